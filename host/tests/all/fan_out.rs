//! A scan spread over SQS (`SCAN_QUEUE_URL`), under cargo-lambda's Runtime API emulator against
//! moto's SQS: the scheduled scan puts one message per account on the queue; those messages,
//! as the SQS batch event an event source mapping delivers, are scanned each in its own
//! account, and the partial batch response names only the record whose account failed.

use crate::lambda::Emulator;
use crate::organization::{
    BROKEN_MEMBER, MEMBER, central_keys, findings_in, keys_in, organization_of_three,
    scheduled_scan,
};
use crate::support::moto::{ACCOUNT, Keys, REGION, Session, session};
use crate::support::{Running, certwatch};
use serde_json::{Value, json};
use std::process::Stdio;

/// `certwatch lambda` on `emulator`, as the central user `keys`, scanning the three accounts
/// through `queue`; it logs at debug level to `log`.
fn function(
    emulator: &Emulator,
    moto: &Session,
    keys: &Keys,
    queue: &str,
    log: &std::path::Path,
) -> Running {
    let accounts = format!("{ACCOUNT},{MEMBER},{BROKEN_MEMBER}");
    let log = std::fs::File::create(log).expect("a log");
    Running(
        certwatch()
            .arg("lambda")
            .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
            .env("AWS_ACCESS_KEY_ID", &keys.id)
            .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("SNS_TOPIC_ARN", crate::moto::topic_arn())
            .env("SCAN_ACCOUNTS", accounts)
            .env("SCAN_REGIONS", REGION)
            .env("SCAN_QUEUE_URL", queue)
            // cargo-lambda names the function `function-arn`, which gives no account.
            .env("CERTWATCH_ACCOUNT_ID", ACCOUNT)
            .env("CERTWATCH_LOG", "debug")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("a log"))
            .stderr(log)
            .spawn()
            .expect("starting certwatch lambda"),
    )
}

/// What the emulator printed, as JSON.
fn answer(code: Option<i32>, printed: &str) -> Value {
    assert_eq!(code, Some(0), "{printed}");
    serde_json::from_str(printed.trim()).unwrap_or_else(|e| panic!("{e}: {printed}"))
}

/// The messages as Lambda's event source mapping hands them to the function.
fn sqs_batch(messages: &[Value], queue_arn: &str) -> String {
    let records: Vec<Value> = messages
        .iter()
        .map(|m| {
            json!({
                "messageId": m["message_id"], "receiptHandle": m["receipt_handle"],
                "body": m["body"], "attributes": { "ApproximateReceiveCount": "1" },
                "messageAttributes": {}, "md5OfBody": "", "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn, "awsRegion": REGION
            })
        })
        .collect();
    json!({ "Records": records }).to_string()
}

#[test]
fn fan_out_queues_each_account_and_the_batch_scans_each_in_its_own_hub() {
    let moto = session();
    let organization = organization_of_three(&moto);
    let queue = moto.aws_one(json!({ "command": "create_queue", "name": "certwatch-scan" }));
    let queue_arn = queue["arn"].as_str().expect("a queue ARN").to_owned();
    let queue = queue["url"].as_str().expect("a queue URL");
    let emulator = Emulator::start();
    let log = log_path("queues");
    let _function = function(&emulator, &moto, &organization.keys, queue, &log);

    // The schedule's scan only queues the accounts: one message each, nothing scanned. Not
    // under moto's IAM, which asks for `sqs:SendMessageBatch`, an action IAM does not have
    // (AWS authorises a batch as `sqs:SendMessage`, which deploy/'s policy grants).
    let (code, printed) = emulator.invoke(&scheduled_scan());
    let outcome = answer(code, &printed);
    assert_eq!(outcome["status"], "scanned", "{outcome}");
    assert_eq!(outcome["certificates_seen"], 0, "{outcome}");
    assert!(findings_in(&moto, None).is_empty(), "scanned already");
    let queued: Vec<(&str, &str)> = outcome["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            assert_eq!(a["regions"], json!([]), "{a}");
            assert!(a.get("error").is_none(), "{a}");
            (
                a["account"].as_str().unwrap_or_default(),
                a["queued_as"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    let ids: Vec<&str> = queued.iter().map(|(account, _)| *account).collect();
    assert_eq!(ids, [MEMBER, ACCOUNT, BROKEN_MEMBER], "{outcome}");

    let messages = moto.aws_one(json!({ "command": "receive_records", "url": queue }));
    let messages = messages.as_array().cloned().unwrap_or_default();
    assert_eq!(messages.len(), 3, "{messages:#?}");
    let mut message_of = std::collections::BTreeMap::new();
    for message in &messages {
        let body: Value =
            serde_json::from_str(message["body"].as_str().unwrap_or_default()).expect("JSON");
        assert_eq!(body["detail-type"], "Account Scan", "{body}");
        assert_eq!(body["source"], "certwatch", "{body}");
        let account = body["detail"]["account"].as_str().unwrap_or_default();
        assert_eq!(body["account"], account, "{body}");
        assert_eq!(body["id"], format!("org-scan/{account}"), "{body}");
        let id = message["message_id"].as_str().unwrap_or_default();
        assert!(queued.contains(&(account, id)), "{account} {id}: {outcome}");
        message_of.insert(account.to_owned(), id.to_owned());
    }

    // The queue's batch: each account scanned with its own role, the broken one's record alone
    // reported failed.
    moto.enforce_auth();
    let (code, printed) = emulator.invoke(&sqs_batch(&messages, &queue_arn));
    moto.relax_auth();
    let response = answer(code, &printed);
    assert_eq!(
        response,
        json!({ "batchItemFailures": [{ "itemIdentifier": message_of[BROKEN_MEMBER] }] }),
        "{printed}"
    );

    let own_findings = findings_in(&moto, None);
    assert_eq!(own_findings.len(), 1, "{own_findings:#?}");
    assert_eq!(
        own_findings[0]["Resources"][0]["Id"],
        organization.own_arn.as_str()
    );
    let member_findings = findings_in(&moto, Some(&keys_in(&moto, MEMBER)));
    assert_eq!(member_findings.len(), 1, "{member_findings:#?}");
    assert_eq!(
        member_findings[0]["Resources"][0]["Id"],
        organization.member_arn.as_str()
    );
    assert!(findings_in(&moto, Some(&keys_in(&moto, BROKEN_MEMBER))).is_empty());

    // Each account's part of the digest, published as that account was done.
    let sent = crate::moto::notifications(&moto);
    let digests: Vec<&str> = sent.iter().filter_map(|n| n["message"].as_str()).collect();
    for account in [MEMBER, ACCOUNT] {
        let heading = format!("Account {account}:");
        assert_eq!(
            digests.iter().filter(|d| d.contains(&heading)).count(),
            1,
            "{account}: {digests:#?}"
        );
    }
    assert!(
        digests.iter().all(|d| !d.contains(BROKEN_MEMBER)),
        "{digests:#?}"
    );

    // The failed record is logged by its message id; no credential moto issued (its temporary
    // keys start `ASIA`), nor the central secret, is.
    let logged = std::fs::read_to_string(&log).expect("the function's log");
    assert!(
        logged.contains(&format!("message_id={}", message_of[BROKEN_MEMBER])),
        "{logged}"
    );
    assert!(
        !logged.contains("ASIA") && !logged.contains(&organization.keys.secret),
        "a credential leaked:\n{logged}"
    );
}

fn log_path(test: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fan-out-{test}-{}.log", std::process::id()))
}

#[test]
fn fan_out_a_record_that_is_not_an_event_is_reported_failed_and_an_outsider_is_not_handled() {
    let moto = session();
    let queue = moto.aws_one(json!({ "command": "create_queue", "name": "certwatch-scan" }));
    let queue_arn = queue["arn"].as_str().expect("a queue ARN").to_owned();
    let queue = queue["url"].as_str().expect("a queue URL");
    let emulator = Emulator::start();
    let log = log_path("not-an-event");
    let _function = function(&emulator, &moto, &central_keys(), queue, &log);
    let not_handled = json!({
        "version": "0", "id": "other", "detail-type": "Something Else", "source": "aws.s3",
        "account": ACCOUNT, "resources": [], "detail": {}
    });
    // An account this deployment does not scan: not-handled, so it does not come back.
    let outsider = json!({
        "version": "0", "id": "x/999999999999", "detail-type": "Account Scan", "source": "certwatch",
        "account": "999999999999", "region": REGION, "resources": [],
        "detail": { "account": "999999999999" }
    });
    let messages = [
        json!({ "message_id": "m-1", "receipt_handle": "r", "body": "not an event" }),
        json!({ "message_id": "m-2", "receipt_handle": "r", "body": not_handled.to_string() }),
        json!({ "message_id": "m-3", "receipt_handle": "r", "body": "{\"id\":\"x\",\"source\":\"certwatch\",\"detail-type\":\"Account Scan\",\"detail\":{\"account\":\"../x\"}}" }),
        json!({ "message_id": "m-4", "receipt_handle": "r", "body": outsider.to_string() }),
    ];
    let (code, printed) = emulator.invoke(&sqs_batch(&messages, &queue_arn));
    let response = answer(code, &printed);
    assert_eq!(
        response,
        json!({ "batchItemFailures": [{ "itemIdentifier": "m-1" }, { "itemIdentifier": "m-3" }] }),
        "{printed}"
    );
    let logged = std::fs::read_to_string(&log).expect("the function's log");
    for id in ["m-1", "m-3"] {
        assert!(logged.contains(&format!("message_id={id}")), "{logged}");
    }
    assert!(
        logged.contains("message_id=m-4 status=\"not-handled\""),
        "{logged}"
    );
}
