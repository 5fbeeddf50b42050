//! End to end against moto: real certificates in ACM, a real hub and topic, every request
//! signature-checked and IAM-authorised by moto, through the real `certwatch` binary and
//! component.

use crate::support::moto::{ACCOUNT, Keys, REGION, Session, session};
use crate::support::{certwatch, run};
use serde_json::{Value, json};

const TOPIC: &str = "certificate-expiry";
const SUBJECT: &str = "Certificate Expiration Notification";
const OWNER_TOPIC: &str = "payments-team";
const OWNER_TAG: &str = "certwatch:owner-topic";

pub(crate) fn topic_arn() -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{TOPIC}")
}

fn owner_topic_arn() -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{OWNER_TOPIC}")
}

/// The repository's least-privilege policy, less `without`. moto checks every non-S3 request
/// against the resource "*" (it knows no request's resource), so resource-scoped statements can
/// never match there; the statements' resources are widened to "*" and their actions, which is
/// what moto can judge, kept as they are.
pub(crate) fn policy(without: &[&str]) -> Value {
    let text = std::fs::read_to_string(crate::support::repo_root().join("deploy/iam-policy.json"))
        .expect("reading the policy");
    let mut policy: Value = serde_json::from_str(&text).expect("the policy is JSON");
    let statements = policy["Statement"]
        .as_array_mut()
        .expect("the policy has statements");
    statements.retain(|s| !without.contains(&s["Action"].as_str().unwrap_or_default()));
    for statement in statements {
        statement["Resource"] = json!("*");
    }
    policy
}

pub(crate) fn event(certificate_arn: &str, id: &str) -> String {
    json!({
        "version": "0",
        "id": id,
        "detail-type": "ACM Certificate Approaching Expiration",
        "source": "aws.acm",
        "account": ACCOUNT,
        "time": "2026-11-29T12:00:00Z",
        "region": REGION,
        "resources": [certificate_arn],
        "detail": { "DaysToExpiry": 10, "CommonName": "example.com" }
    })
    .to_string()
}

/// Runs one event through `certwatch run` against moto, as `keys`, and returns its outcome.
pub(crate) fn certwatch_run(
    moto: &Session,
    keys: &Keys,
    event: &str,
    env: &[(&str, &str)],
) -> (Option<i32>, Value) {
    let mut command = certwatch();
    command
        .args(["run", "-"])
        .env("AWS_ACCESS_KEY_ID", &keys.id)
        .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("EXPIRY_DAYS", "45")
        .env("SNS_TOPIC_ARN", topic_arn())
        .envs(env.iter().copied());
    let ran = crate::support::run_with_input(&mut command, event.as_bytes());
    assert!(
        !ran.stdout.contains(&keys.secret) && !ran.stderr.contains(&keys.secret),
        "the secret key leaked:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    let outcome = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("no JSON outcome ({e}):\n{}\n{}", ran.stdout, ran.stderr));
    (ran.code, outcome)
}

/// An account with Security Hub on, the topic, certificates expiring in `days`, and a user
/// holding the least-privilege policy; moto checks every request from here on.
pub(crate) fn account(moto: &Session, days: &[u32], hub: bool) -> (Keys, Vec<String>) {
    let untagged: Vec<(u32, Vec<(&str, &str)>)> = days.iter().map(|&d| (d, Vec::new())).collect();
    tagged_account(moto, &untagged, hub)
}

/// The same, with each certificate's tags, and the owners' topic.
fn tagged_account(
    moto: &Session,
    certificates: &[(u32, Vec<(&str, &str)>)],
    hub: bool,
) -> (Keys, Vec<String>) {
    let mut commands = vec![
        json!({ "command": "create_topic", "name": TOPIC }),
        json!({ "command": "create_topic", "name": OWNER_TOPIC }),
    ];
    if hub {
        commands.push(json!({ "command": "enable_security_hub" }));
    }
    let arns: Vec<String> = certificates
        .iter()
        .map(|(d, tags)| moto.aws_one(json!({ "command": "import_new_certificate", "domain": format!("d{d}.example.com"), "days": d, "tags": tags })))
        .map(|arn| arn.as_str().expect("an ARN").to_owned())
        .collect();
    for result in moto.aws(Value::Array(commands)) {
        assert!(result.get("error").is_none(), "{result}");
    }
    let keys = moto.user("certwatch", &policy(&[]));
    moto.enforce_auth();
    (keys, arns)
}

/// The findings in `region`'s hub; none where Security Hub is not enabled (AWS, and the
/// patched moto, refuse to list findings there).
pub(crate) fn findings(moto: &Session, region: &str) -> Vec<Value> {
    let command = json!({ "command": "get_findings", "region": region });
    let found = moto.aws(json!([command])).remove(0);
    match found.get("error").and_then(Value::as_str) {
        Some(error) if error.contains("InvalidAccessException") => Vec::new(),
        Some(error) => panic!("get_findings in {region} failed: {error}"),
        None => found.as_array().cloned().unwrap_or_default(),
    }
}

pub(crate) fn notifications(moto: &Session) -> Vec<Value> {
    moto.aws_one(json!({ "command": "sent_notifications" }))
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_expiry_window_decides_which_certificates_get_a_finding_and_a_message() {
    let moto = session();
    let days = [1, 10, 44, 46, 300];
    let (keys, arns) = account(&moto, &days, true);
    let mut outcomes = Vec::new();
    for (i, arn) in arns.iter().enumerate() {
        let (code, outcome) = certwatch_run(&moto, &keys, &event(arn, &format!("event-{i}")), &[]);
        assert_eq!(code, Some(0), "{outcome}");
        outcomes.push(outcome);
    }
    moto.relax_auth();

    for ((outcome, arn), days) in outcomes.iter().zip(&arns).zip(days) {
        assert_eq!(outcome["status"], "handled", "{outcome}");
        assert_eq!(outcome["certificate"]["arn"], arn.as_str());
        assert_eq!(outcome["certificate"]["days_left"], days, "{outcome}");
        assert_eq!(
            outcome["certificate"]["domain"],
            format!("d{days}.example.com")
        );
        let expiring = days <= 45;
        assert_eq!(
            outcome["decision"],
            if expiring { "expiring" } else { "not-expiring" },
            "{outcome}"
        );
        assert_eq!(outcome["finding"].is_object(), expiring, "{outcome}");
        assert_eq!(
            outcome["notifications"][0].is_object(),
            expiring,
            "{outcome}"
        );
    }

    let findings = findings(&moto, REGION);
    assert_eq!(findings.len(), 3, "{findings:#?}");
    for (arn, days, severity) in [
        (&arns[0], 1, "CRITICAL"),
        (&arns[1], 10, "HIGH"),
        (&arns[2], 44, "LOW"),
    ] {
        let id = format!("{arn}/certwatch/expiry");
        let finding = findings
            .iter()
            .find(|f| f["Id"] == id.as_str())
            .unwrap_or_else(|| panic!("no finding {id}"));
        assert_eq!(finding["SchemaVersion"], "2018-10-08");
        assert_eq!(finding["AwsAccountId"], ACCOUNT);
        assert_eq!(
            finding["ProductArn"],
            format!("arn:aws:securityhub:{REGION}:{ACCOUNT}:product/{ACCOUNT}/default")
        );
        assert_eq!(
            finding["Title"],
            format!("ACM certificate for d{days}.example.com expires in {days} days")
        );
        assert_eq!(finding["Severity"]["Label"], severity);
        assert_eq!(finding["Compliance"]["Status"], "WARNING");
        assert_eq!(finding["RecordState"], "ACTIVE");
        let resource = &finding["Resources"][0];
        assert_eq!(resource["Type"], "AwsCertificateManagerCertificate");
        assert_eq!(resource["Id"], arn.as_str());
        assert_eq!(resource["Partition"], "aws");
        assert_eq!(resource["Region"], REGION);
        assert_eq!(
            resource["Details"]["AwsCertificateManagerCertificate"]["DomainName"],
            format!("d{days}.example.com")
        );
    }

    let sent = notifications(&moto);
    assert_eq!(sent.len(), 3, "{sent:#?}");
    for (outcome, days) in outcomes.iter().zip(days).take(3) {
        let id = &outcome["notifications"][0]["message_id"];
        let message = sent
            .iter()
            .find(|m| m["message_id"] == *id)
            .unwrap_or_else(|| panic!("message {id} not in moto"));
        assert_eq!(message["subject"], SUBJECT);
        assert_eq!(message["topic_arn"], topic_arn());
        let text = message["message"].as_str().unwrap_or_default();
        let when = if days == 1 {
            "expires tomorrow, ".to_owned()
        } else {
            format!("expires in {days} days, on ")
        };
        assert!(
            text.starts_with(&format!(
                "The ACM certificate for d{days}.example.com {when}"
            )),
            "{text}"
        );
        assert!(
            text.contains(&format!(
                "Certificate: {}",
                outcome["certificate"]["arn"].as_str().unwrap_or_default()
            )),
            "{text}"
        );
        assert!(
            text.contains("What to do:\nACM cannot renew an imported certificate."),
            "{text}"
        );
        assert!(
            text.contains("aws acm import-certificate --certificate-arn"),
            "{text}"
        );
    }
}

#[test]
fn the_same_event_twice_updates_one_finding() {
    let moto = session();
    let (keys, arns) = account(&moto, &[5], true);
    let (code, outcome) = certwatch_run(&moto, &keys, &event(&arns[0], "repeated"), &[]);
    assert_eq!(code, Some(0), "{outcome}");
    moto.relax_auth();
    let first = findings(&moto, REGION);
    // A second later, the same event again: the finding is updated, and keeps the time it
    // was first raised.
    std::thread::sleep(std::time::Duration::from_millis(1_100));
    let (code, outcome) = certwatch_run(&moto, &keys, &event(&arns[0], "repeated"), &[]);
    assert_eq!(code, Some(0), "{outcome}");
    let second = findings(&moto, REGION);
    assert_eq!(second.len(), 1);
    assert_eq!(second[0]["CreatedAt"], first[0]["CreatedAt"]);
    assert_ne!(second[0]["UpdatedAt"], first[0]["UpdatedAt"]);
    assert_eq!(notifications(&moto).len(), 2);
}

#[test]
fn without_security_hub_the_owner_is_still_told_and_the_outcome_says_why() {
    let moto = session();
    let (keys, arns) = account(&moto, &[5], false);
    let (code, outcome) = certwatch_run(&moto, &keys, &event(&arns[0], "no-hub"), &[]);
    assert_eq!(code, Some(0), "{outcome}");
    assert_eq!(outcome["finding"], Value::Null, "{outcome}");
    assert_eq!(outcome["skipped"][0]["step"], "security-hub", "{outcome}");
    assert!(
        outcome["skipped"][0]["reason"]
            .as_str()
            .unwrap_or_default()
            .contains("not subscribed"),
        "{outcome}"
    );
    moto.relax_auth();
    assert_eq!(findings(&moto, REGION).len(), 0);
    assert_eq!(notifications(&moto).len(), 1);
}

#[test]
fn findings_land_in_the_security_hub_region() {
    let moto = session();
    moto.aws_one(json!({ "command": "enable_security_hub", "region": "eu-west-1" }));
    let (keys, arns) = account(&moto, &[5], false);
    let (code, outcome) = certwatch_run(
        &moto,
        &keys,
        &event(&arns[0], "elsewhere"),
        &[("SECURITY_HUB_REGION", "eu-west-1")],
    );
    assert_eq!(code, Some(0), "{outcome}");
    assert_eq!(outcome["finding"]["region"], "eu-west-1", "{outcome}");
    moto.relax_auth();
    let there = findings(&moto, "eu-west-1");
    assert_eq!(there.len(), 1);
    assert_eq!(
        there[0]["ProductArn"],
        format!("arn:aws:securityhub:eu-west-1:{ACCOUNT}:product/{ACCOUNT}/default")
    );
    assert_eq!(there[0]["Resources"][0]["Region"], REGION);
    assert_eq!(findings(&moto, REGION).len(), 0);
}

#[test]
fn an_unknown_certificate_is_a_clear_error() {
    let moto = session();
    let (keys, _) = account(&moto, &[], true);
    let missing =
        format!("arn:aws:acm:{REGION}:{ACCOUNT}:certificate/00000000-0000-0000-0000-000000000000");
    let (code, outcome) = certwatch_run(&moto, &keys, &event(&missing, "missing"), &[]);
    assert_eq!(code, Some(1), "{outcome}");
    assert_eq!(outcome["kind"], "aws", "{outcome}");
    assert_eq!(outcome["operation"], "acm:DescribeCertificate", "{outcome}");
    assert_eq!(outcome["code"], "ResourceNotFoundException", "{outcome}");
    assert_eq!(outcome["retryable"], false);
}

#[test]
fn a_topic_that_does_not_exist_is_a_clear_error() {
    let moto = session();
    let (keys, arns) = account(&moto, &[5], true);
    let missing_topic = format!("arn:aws:sns:{REGION}:{ACCOUNT}:no-such-topic");
    let (code, outcome) = certwatch_run(
        &moto,
        &keys,
        &event(&arns[0], "no-topic"),
        &[("SNS_TOPIC_ARN", &missing_topic)],
    );
    assert_eq!(code, Some(1), "{outcome}");
    assert_eq!(outcome["operation"], "sns:Publish", "{outcome}");
    assert_eq!(outcome["code"], "NotFound", "{outcome}");
    // The finding was imported before the publish failed, and the message says so.
    assert!(
        outcome["message"]
            .as_str()
            .unwrap_or_default()
            .contains("imported into us-east-1"),
        "{outcome}"
    );
}

#[test]
fn a_corrupted_signature_is_rejected() {
    let moto = session();
    let (keys, arns) = account(&moto, &[5], true);
    // The secret with its last character changed (to one it surely is not: a secret ending
    // in "x" once made the "wrong" secret the right one).
    let (kept, last) = keys.secret.split_at(keys.secret.len() - 1);
    let wrong = Keys {
        id: keys.id.clone(),
        secret: format!("{kept}{}", if last == "x" { "y" } else { "x" }),
    };
    assert_ne!(wrong.secret, keys.secret);
    let (code, outcome) = certwatch_run(&moto, &wrong, &event(&arns[0], "forged"), &[]);
    assert_eq!(code, Some(1), "{outcome}");
    assert_eq!(outcome["code"], "SignatureDoesNotMatch", "{outcome}");
    assert_eq!(outcome["http_status"], 403, "{outcome}");
}

#[test]
fn without_batch_import_findings_the_import_fails_clearly() {
    let moto = session();
    let (_, arns) = account(&moto, &[5], true);
    moto.relax_auth();
    let keys = moto.user(
        "certwatch-less",
        &policy(&["securityhub:BatchImportFindings"]),
    );
    moto.enforce_auth();
    let (code, outcome) = certwatch_run(&moto, &keys, &event(&arns[0], "denied"), &[]);
    assert_eq!(code, Some(1), "{outcome}");
    assert_eq!(
        outcome["operation"], "securityhub:BatchImportFindings",
        "{outcome}"
    );
    assert_eq!(outcome["code"], "AccessDenied", "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap_or_default()
            .contains("notification"),
        "{outcome}"
    );
}

#[test]
fn a_recording_against_moto_replays_offline() {
    let moto = session();
    let (keys, arns) = account(&moto, &[7], true);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("recorded-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let event_file = dir.with_extension("event.json");
    std::fs::write(&event_file, event(&arns[0], "recorded")).expect("writing the event");
    let ran = run(certwatch()
        .arg("record")
        .arg(&event_file)
        .arg("--out")
        .arg(&dir)
        .env("AWS_ACCESS_KEY_ID", &keys.id)
        .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("SNS_TOPIC_ARN", topic_arn()));
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let replay = std::fs::read_to_string(dir.join("replay.json")).expect("the recording");
    assert!(
        !replay.contains(&keys.secret) && !replay.contains(&keys.id),
        "a credential was recorded"
    );
    assert!(
        replay.contains("AKIAIOSFODNN7EXAMPLE"),
        "the recording is not re-signed with the replay credentials"
    );

    drop(moto); // the replay needs no AWS at all
    for _ in 0..2 {
        let replayed = run(certwatch().arg("replay").arg(&dir));
        assert_eq!(
            replayed.code,
            Some(0),
            "{}\n{}",
            replayed.stdout,
            replayed.stderr
        );
        assert!(
            replayed.stdout.contains("1 passed, 0 failed"),
            "{}",
            replayed.stdout
        );
    }
}

pub(crate) fn scheduled_scan() -> String {
    json!({
        "version": "0",
        "id": "scan-1",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": "2026-11-29T12:00:00Z",
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/certwatch-daily-scan")],
        "detail": {}
    })
    .to_string()
}

#[test]
fn a_scheduled_scan_finds_every_expiring_certificate_and_sends_one_digest() {
    let moto = session();
    let days = [300, 44, 1, 46, 10];
    let (keys, arns) = account(&moto, &days, true);
    let scheduled = scheduled_scan();
    // moto answers ListCertificates in one page whatever MaxItems says (AWS pages by it); the
    // replay fixture `events/scan` follows AWS and pages.
    let (code, outcome) = certwatch_run(&moto, &keys, &scheduled, &[("SCAN_CONCURRENCY", "2")]);
    assert_eq!(code, Some(0), "{outcome}");
    moto.relax_auth();

    assert_eq!(outcome["status"], "scanned", "{outcome}");
    assert_eq!(outcome["certificates_seen"], 5, "{outcome}");
    let expiring: Vec<(i64, String)> = outcome["expiring"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|c| {
            (
                c["days_left"].as_i64().unwrap_or_default(),
                c["arn"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected: Vec<(i64, String)> = [(1, &arns[2]), (10, &arns[4]), (44, &arns[1])]
        .into_iter()
        .map(|(d, a)| (d, a.clone()))
        .collect();
    assert_eq!(expiring, expected);
    assert_eq!(outcome["findings_imported"], 3, "{outcome}");
    assert_eq!(outcome["failed"], json!([]), "{outcome}");

    assert_eq!(findings(&moto, REGION).len(), 3);
    let sent = notifications(&moto);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(
        sent[0]["message_id"],
        outcome["notifications"][0]["message_id"]
    );
    assert_eq!(sent[0]["subject"], SUBJECT);
    let text = sent[0]["message"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("3 ACM certificates expire within 45 days (scan of us-east-1 at "),
        "{text}"
    );
    let at = |domain: &str| {
        text.find(domain)
            .unwrap_or_else(|| panic!("{domain} missing from {text}"))
    };
    assert!(
        at("d1.example.com") < at("d10.example.com")
            && at("d10.example.com") < at("d44.example.com"),
        "{text}"
    );
    assert!(
        !text.contains("d46.example.com") && !text.contains("d300.example.com"),
        "{text}"
    );
}

/// Tags decide which certificates certwatch acts on, and whose topic also hears of them, in
/// scans and in single events alike; moto keeps the tags and checks every request against the
/// policy, `acm:ListTagsForCertificate` included.
#[test]
fn tags_pick_the_certificates_watched_and_the_owners_told() {
    let moto = session();
    let owner = owner_topic_arn();
    let certificates = [
        (5, vec![("env", "prod"), (OWNER_TAG, owner.as_str())]),
        (10, vec![("env", "staging")]),
        (20, vec![("env", "prod"), ("certwatch", "ignore")]),
        (30, vec![("env", "prod")]),
    ];
    let (keys, arns) = tagged_account(&moto, &certificates, true);
    let settings = [
        ("INCLUDE_TAGS", "env=prod"),
        ("EXCLUDE_TAGS", "certwatch=ignore"),
        ("OWNER_TOPIC_TAG", OWNER_TAG),
    ];
    let (code, scan) = certwatch_run(&moto, &keys, &scheduled_scan(), &settings);
    assert_eq!(code, Some(0), "{scan}");
    let (code, owned) = certwatch_run(&moto, &keys, &event(&arns[0], "owned"), &settings);
    assert_eq!(code, Some(0), "{owned}");
    let (code, ignored) = certwatch_run(&moto, &keys, &event(&arns[2], "ignored"), &settings);
    assert_eq!(code, Some(0), "{ignored}");
    moto.relax_auth();

    assert_eq!(scan["certificates_seen"], 4, "{scan}");
    assert_eq!(scan["excluded"], 2, "{scan}");
    let expiring: Vec<&str> = scan["expiring"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["arn"].as_str())
        .collect();
    assert_eq!(expiring, [arns[0].as_str(), arns[3].as_str()]);
    let mut with_findings: Vec<String> = findings(&moto, REGION)
        .iter()
        .filter_map(|f| f["Resources"][0]["Id"].as_str().map(str::to_owned))
        .collect();
    with_findings.sort();
    let mut expected = vec![arns[0].clone(), arns[3].clone()];
    expected.sort();
    assert_eq!(with_findings, expected);

    // The scan's digest of both to the main topic, the owner's own digest of its one; then
    // the single event's message to both.
    let topics = |outcome: &Value| -> Vec<String> {
        outcome["notifications"]
            .as_array()
            .expect("a list")
            .iter()
            .filter_map(|n| n["topic_arn"].as_str().map(str::to_owned))
            .collect()
    };
    assert_eq!(topics(&scan), [topic_arn(), owner.clone()], "{scan}");
    assert_eq!(owned["decision"], "expiring", "{owned}");
    assert_eq!(topics(&owned), [topic_arn(), owner.clone()], "{owned}");
    assert_eq!(ignored["decision"], "excluded", "{ignored}");
    assert_eq!(
        ignored["skipped"][0]["reason"],
        "left out by EXCLUDE_TAGS: it is tagged certwatch=ignore"
    );

    let sent = notifications(&moto);
    assert_eq!(sent.len(), 4, "{sent:#?}");
    let to_owner: Vec<&str> = sent
        .iter()
        .filter(|m| m["topic_arn"] == owner.as_str())
        .filter_map(|m| m["message"].as_str())
        .collect();
    assert_eq!(to_owner.len(), 2, "{sent:#?}");
    assert!(
        to_owner[0].starts_with("1 ACM certificate expires within 45 days")
            && to_owner[0].contains("d5.example.com")
            && !to_owner[0].contains("d30.example.com"),
        "{}",
        to_owner[0]
    );
    assert!(
        to_owner[1].starts_with("The ACM certificate for d5.example.com expires in 5 days"),
        "{}",
        to_owner[1]
    );
}

/// ACM's other two certificate events, through the same real services: "Renewal Action
/// Required" raises a finding (at least medium, whatever the days left) and a message that say
/// what to fix; "Expired" raises a critical one.
#[test]
fn renewal_action_required_and_expired_events_say_what_to_fix() {
    let moto = session();
    let (keys, arns) = account(&moto, &[55, 0], true);
    let action = json!({
        "version": "0",
        "id": "action-required",
        "detail-type": "ACM Certificate Renewal Action Required",
        "source": "aws.acm",
        "account": ACCOUNT,
        "time": "2026-11-29T12:00:00Z",
        "region": REGION,
        "resources": [arns[0]],
        "detail": { "DaysToExpiry": 55, "RenewalStatus": "FAILED", "RenewalStatusReason": "CAA_ERROR" }
    })
    .to_string();
    let expired = json!({
        "version": "0",
        "id": "expired",
        "detail-type": "ACM Certificate Expired",
        "source": "aws.acm",
        "account": ACCOUNT,
        "time": "2026-11-29T12:00:00Z",
        "region": REGION,
        "resources": [arns[1]],
        "detail": { "CommonName": "d0.example.com" }
    })
    .to_string();
    let (code, acted) = certwatch_run(&moto, &keys, &action, &[]);
    assert_eq!(code, Some(0), "{acted}");
    let (code, ended) = certwatch_run(&moto, &keys, &expired, &[]);
    assert_eq!(code, Some(0), "{ended}");
    moto.relax_auth();

    assert_eq!(acted["decision"], "action-required", "{acted}");
    assert_eq!(ended["decision"], "expiring", "{ended}");
    let findings = findings(&moto, REGION);
    let severity = |arn: &str| {
        let finding = findings
            .iter()
            .find(|f| f["Resources"][0]["Id"] == arn)
            .unwrap_or_else(|| panic!("no finding for {arn}: {findings:#?}"));
        finding["Severity"]["Label"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(severity(&arns[0]), "MEDIUM");
    assert_eq!(severity(&arns[1]), "CRITICAL");
    let sent = notifications(&moto);
    let about = |outcome: &Value| {
        let id = &outcome["notifications"][0]["message_id"];
        sent.iter()
            .find(|m| m["message_id"] == *id)
            .and_then(|m| m["message"].as_str())
            .unwrap_or_else(|| panic!("message {id} not in moto: {sent:#?}"))
            .to_owned()
    };
    assert!(about(&acted).contains("CAA record"), "{}", about(&acted));
    assert!(
        about(&ended).contains("d0.example.com"),
        "{}",
        about(&ended)
    );
}

fn finding_id(certificate_arn: &str) -> String {
    format!("{certificate_arn}/certwatch/expiry")
}

/// The finding with `id`, looked up as certwatch looks it up (`Id` EQUALS, `MaxResults` 1).
fn finding(moto: &Session, id: &str) -> Value {
    let found = moto.aws_one(json!({ "command": "get_findings", "id": id }));
    let found = found.as_array().cloned().unwrap_or_default();
    assert_eq!(found.len(), 1, "no finding {id}: {found:#?}");
    assert_eq!(found[0]["Id"], id, "another finding than {id}: {found:#?}");
    found[0].clone()
}

/// Passed, archived, its workflow RESOLVED with certwatch's note.
fn assert_resolved(finding: &Value, note: &str) {
    assert_eq!(finding["Compliance"]["Status"], "PASSED", "{finding:#}");
    assert_eq!(finding["RecordState"], "ARCHIVED", "{finding:#}");
    assert_eq!(finding["Workflow"]["Status"], "RESOLVED", "{finding:#}");
    assert_eq!(finding["Severity"]["Label"], "INFORMATIONAL", "{finding:#}");
    assert_eq!(finding["Note"]["Text"], note, "{finding:#}");
    assert_eq!(finding["Note"]["UpdatedBy"], "certwatch", "{finding:#}");
}

/// Still warning, active, and nobody has touched its workflow.
fn assert_open(finding: &Value) {
    assert_eq!(finding["Compliance"]["Status"], "WARNING", "{finding:#}");
    assert_eq!(finding["RecordState"], "ACTIVE", "{finding:#}");
    assert_eq!(finding["Workflow"]["Status"], "NEW", "{finding:#}");
    assert_eq!(finding["Note"], Value::Null, "{finding:#}");
}

/// ACM's "Certificate Available", as `events/renewed` has it.
pub(crate) fn available(certificate_arn: &str, action: &str, id: &str) -> String {
    json!({
        "version": "0",
        "id": id,
        "detail-type": "ACM Certificate Available",
        "source": "aws.acm",
        "account": ACCOUNT,
        "time": "2026-11-29T12:00:00Z",
        "region": REGION,
        "resources": [certificate_arn],
        "detail": {
            "Action": action,
            "CertificateType": "IMPORTED",
            "CommonName": "example.com",
            "DaysToExpiry": 400,
            "InUse": false,
            "Exported": false
        }
    })
    .to_string()
}

/// "Certificate Available" after a renewal or a re-import that took the certificate out of the
/// window resolves its open finding, found by its `Id` among other certificates' findings (a
/// lookup that ignored the filter would get another's, and resolve nothing); the other
/// findings stay open. A renewal of a certificate never flagged writes and sends nothing.
#[test]
fn a_renewal_or_reimport_resolves_that_certificates_finding_among_others() {
    let moto = session();
    let (keys, arns) = account(&moto, &[5, 10, 20, 30, 300], true);
    let (code, scan) = certwatch_run(&moto, &keys, &scheduled_scan(), &[]);
    assert_eq!(code, Some(0), "{scan}");
    moto.relax_auth();
    let raised = findings(&moto, REGION);
    assert_eq!(raised.len(), 4, "{raised:#?}");
    for arn in [&arns[1], &arns[2]] {
        assert_ne!(
            raised[0]["Id"],
            finding_id(arn),
            "the test needs another finding first"
        );
    }
    for (arn, days) in [(&arns[1], 10), (&arns[2], 20)] {
        moto.aws_one(json!({
            "command": "reimport_certificate", "arn": arn, "domain": format!("d{days}.example.com"), "days": 400
        }));
    }
    moto.enforce_auth();
    let mut outcomes = Vec::new();
    for (arn, action) in [
        (&arns[1], "RENEWAL"),
        (&arns[2], "REIMPORT"),
        (&arns[4], "RENEWAL"),
    ] {
        let (code, outcome) = certwatch_run(
            &moto,
            &keys,
            &available(arn, action, &format!("{action}-{arn}")),
            &[],
        );
        assert_eq!(code, Some(0), "{outcome}");
        outcomes.push(outcome);
    }
    moto.relax_auth();

    let created = |arn: &str| {
        raised
            .iter()
            .find(|f| f["Id"] == finding_id(arn).as_str())
            .map(|f| f["CreatedAt"].clone())
            .unwrap_or_else(|| panic!("no finding for {arn}: {raised:#?}"))
    };
    for ((outcome, arn), how) in outcomes
        .iter()
        .zip(&arns[1..3])
        .zip(["renewed by ACM", "re-imported"])
    {
        assert_eq!(outcome["decision"], "resolved", "{outcome}");
        assert_eq!(outcome["certificate"]["days_left"], 400, "{outcome}");
        assert_eq!(outcome["finding"]["id"], finding_id(arn), "{outcome}");
        assert_eq!(outcome["finding"]["region"], REGION, "{outcome}");
        assert_eq!(outcome["skipped"], json!([]), "{outcome}");
        let resolved = finding(&moto, &finding_id(arn));
        let not_after = outcome["certificate"]["not_after"]
            .as_str()
            .unwrap_or_default();
        assert_resolved(
            &resolved,
            &format!("The certificate was {how}; it now expires on {not_after}."),
        );
        assert_eq!(
            resolved["FindingProviderFields"]["Severity"]["Label"], "INFORMATIONAL",
            "{resolved:#}"
        );
        assert_eq!(resolved["CreatedAt"], created(arn), "{resolved:#}");
    }
    for arn in [&arns[0], &arns[3]] {
        assert_open(&finding(&moto, &finding_id(arn)));
    }

    let never_flagged = &outcomes[2];
    assert_eq!(never_flagged["decision"], "not-expiring", "{never_flagged}");
    assert_eq!(never_flagged["finding"], Value::Null, "{never_flagged}");
    assert_eq!(never_flagged["notifications"], json!([]), "{never_flagged}");
    assert_eq!(findings(&moto, REGION).len(), 4);

    let sent = notifications(&moto);
    assert_eq!(sent.len(), 3, "{sent:#?}");
    for (outcome, words) in outcomes.iter().zip([
        "The ACM certificate for d10.example.com was renewed by ACM: it now expires on ",
        "The ACM certificate for d20.example.com was re-imported: it now expires on ",
    ]) {
        let id = &outcome["notifications"][0]["message_id"];
        let message = sent
            .iter()
            .find(|m| m["message_id"] == *id)
            .unwrap_or_else(|| panic!("message {id} not in moto: {sent:#?}"));
        assert_eq!(message["subject"], "Certificate Renewed Notification");
        let text = message["message"].as_str().unwrap_or_default();
        assert!(text.starts_with(words), "{text}");
    }
}

/// A scan resolves the findings of certificates renewed out of the window or deleted since the
/// last one, and only those; a scan after that finds nothing more to resolve.
#[test]
fn a_scan_resolves_the_findings_of_renewed_and_deleted_certificates_and_no_others() {
    let moto = session();
    let (keys, arns) = account(&moto, &[1, 10, 20, 30, 300], true);
    let scan = |moto: &Session| {
        let (code, outcome) = certwatch_run(moto, &keys, &scheduled_scan(), &[]);
        assert_eq!(code, Some(0), "{outcome}");
        outcome
    };
    let first = scan(&moto);
    assert_eq!(first["findings_imported"], 4, "{first}");
    assert_eq!(first["findings_resolved"], 0, "{first}");
    moto.relax_auth();
    assert_eq!(findings(&moto, REGION).len(), 4);
    moto.aws_one(json!({
        "command": "reimport_certificate", "arn": arns[1], "domain": "d10.example.com", "days": 400
    }));
    moto.aws_one(json!({ "command": "delete_certificate", "arn": arns[2] }));
    moto.enforce_auth();

    let second = scan(&moto);
    moto.relax_auth();
    assert_eq!(second["certificates_seen"], 4, "{second}");
    assert_eq!(second["findings_resolved"], 2, "{second}");
    assert_eq!(second["findings_imported"], 2, "{second}");
    assert_eq!(second["failed"], json!([]), "{second}");
    let expiring: Vec<&str> = second["expiring"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["arn"].as_str())
        .collect();
    assert_eq!(expiring, [arns[0].as_str(), arns[3].as_str()]);
    let note = "The certificate was renewed out of the expiry window, or deleted.";
    let check = |moto: &Session| -> Vec<Value> {
        let resolved: Vec<Value> = [&arns[1], &arns[2]]
            .into_iter()
            .map(|arn| finding(moto, &finding_id(arn)))
            .collect();
        for finding in &resolved {
            assert_resolved(finding, note);
        }
        for arn in [&arns[0], &arns[3]] {
            assert_open(&finding(moto, &finding_id(arn)));
        }
        assert_eq!(findings(moto, REGION).len(), 4);
        resolved
    };
    let resolved = check(&moto);
    assert!(
        resolved[1]["Title"]
            .as_str()
            .unwrap_or_default()
            .ends_with("no longer exists"),
        "{:#}",
        resolved[1]
    );
    let digest = |outcome: &Value| {
        let sent = notifications(&moto);
        let id = &outcome["notifications"][0]["message_id"];
        sent.iter()
            .find(|m| m["message_id"] == *id)
            .and_then(|m| m["message"].as_str())
            .unwrap_or_else(|| panic!("message {id} not in moto: {sent:#?}"))
            .to_owned()
    };
    let text = digest(&second);
    let (_, since) = text
        .split_once("Resolved since the last scan:")
        .unwrap_or_else(|| panic!("nothing resolved in {text}"));
    assert!(
        since.contains("d10.example.com renewed")
            && since.contains("d20.example.com no longer exists in ACM"),
        "{text}"
    );

    moto.enforce_auth();
    let third = scan(&moto);
    moto.relax_auth();
    assert_eq!(third["findings_resolved"], 0, "{third}");
    assert_eq!(third["findings_imported"], 2, "{third}");
    assert_eq!(check(&moto), resolved, "a resolved finding changed");
    let text = digest(&third);
    assert!(!text.contains("Resolved since the last scan"), "{text}");
}

/// A scan whose resolution fails half way (the role may not `BatchUpdateFindings`) leaves the
/// findings of the renewed and the deleted certificate as they were: active, warning, workflow
/// NEW. Archived first, no later lookup of open findings would have seen them again; open, the
/// next scan resolves them, and only them.
#[test]
fn a_resolution_that_fails_half_way_is_finished_by_the_next_scan() {
    let moto = session();
    let (keys, arns) = account(&moto, &[1, 10, 20, 30, 300], true);
    let (code, first) = certwatch_run(&moto, &keys, &scheduled_scan(), &[]);
    assert_eq!(code, Some(0), "{first}");
    assert_eq!(first["findings_imported"], 4, "{first}");
    moto.relax_auth();
    moto.aws_one(json!({
        "command": "reimport_certificate", "arn": arns[1], "domain": "d10.example.com", "days": 400
    }));
    moto.aws_one(json!({ "command": "delete_certificate", "arn": arns[2] }));
    let unresolving = moto.user(
        "certwatch-unresolving",
        &policy(&["securityhub:BatchUpdateFindings"]),
    );
    moto.enforce_auth();

    let (code, failed) = certwatch_run(&moto, &unresolving, &scheduled_scan(), &[]);
    moto.relax_auth();
    assert_eq!(code, Some(1), "{failed}");
    assert_eq!(failed["status"], "error", "{failed}");
    assert_eq!(failed["kind"], "aws", "{failed}");
    assert_eq!(
        failed["operation"], "securityhub:BatchUpdateFindings",
        "{failed}"
    );
    assert_eq!(failed["code"], "AccessDenied", "{failed}");
    let message = failed["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("BatchUpdateFindings")
            && message.contains("resolving findings in us-east-1 failed")
            && message.contains("0 resolved"),
        "{failed}"
    );
    // Its digest lists the expiring certificates, and resolves nothing.
    let digests: Vec<Value> = notifications(&moto)
        .into_iter()
        .filter(|m| m["subject"] == SUBJECT)
        .collect();
    assert_eq!(digests.len(), 2, "{digests:#?}");
    let text = digests[1]["message"].as_str().unwrap_or_default();
    assert!(
        text.contains("d1.example.com")
            && text.contains("d30.example.com")
            && !text.contains("Resolved since the last scan"),
        "{text}"
    );
    // Nothing half done: no finding archived, passed or noted.
    for arn in &arns[..4] {
        assert_open(&finding(&moto, &finding_id(arn)));
    }
    assert_eq!(findings(&moto, REGION).len(), 4);

    moto.enforce_auth();
    let (code, third) = certwatch_run(&moto, &keys, &scheduled_scan(), &[]);
    moto.relax_auth();
    assert_eq!(code, Some(0), "{third}");
    assert_eq!(third["findings_resolved"], 2, "{third}");
    assert_eq!(third["findings_imported"], 2, "{third}");
    assert_eq!(third["failed"], json!([]), "{third}");
    let note = "The certificate was renewed out of the expiry window, or deleted.";
    for arn in [&arns[1], &arns[2]] {
        assert_resolved(&finding(&moto, &finding_id(arn)), note);
    }
    for arn in [&arns[0], &arns[3]] {
        assert_open(&finding(&moto, &finding_id(arn)));
    }
    assert_eq!(findings(&moto, REGION).len(), 4);
    let sent = notifications(&moto);
    let id = &third["notifications"][0]["message_id"];
    let text = sent
        .iter()
        .find(|m| m["message_id"] == *id)
        .and_then(|m| m["message"].as_str())
        .unwrap_or_else(|| panic!("message {id} not in moto: {sent:#?}"));
    let (_, since) = text
        .split_once("Resolved since the last scan:")
        .unwrap_or_else(|| panic!("nothing resolved in {text}"));
    assert!(
        since.contains("d10.example.com renewed")
            && since.contains("d20.example.com no longer exists in ACM")
            && !since.contains("d1.example.com")
            && !since.contains("d30.example.com"),
        "{text}"
    );
}

/// "Certificate Available" whose resolution fails half way (the role may not
/// `BatchUpdateFindings`) is an error, and leaves the finding open; the same event sent again,
/// with the permission back, finds it open and resolves it, and no other.
#[test]
fn a_resolution_that_fails_half_way_is_finished_by_the_event_sent_again() {
    let moto = session();
    let (keys, arns) = account(&moto, &[5, 10, 300], true);
    let (code, scan) = certwatch_run(&moto, &keys, &scheduled_scan(), &[]);
    assert_eq!(code, Some(0), "{scan}");
    assert_eq!(scan["findings_imported"], 2, "{scan}");
    moto.relax_auth();
    let created = finding(&moto, &finding_id(&arns[1]))["CreatedAt"].clone();
    moto.aws_one(json!({
        "command": "reimport_certificate", "arn": arns[1], "domain": "d10.example.com", "days": 400
    }));
    let unresolving = moto.user(
        "certwatch-unresolving",
        &policy(&["securityhub:BatchUpdateFindings"]),
    );
    let renewed = available(&arns[1], "RENEWAL", "renewed-twice");
    moto.enforce_auth();

    let (code, failed) = certwatch_run(&moto, &unresolving, &renewed, &[]);
    moto.relax_auth();
    assert_eq!(code, Some(1), "{failed}");
    assert_eq!(failed["status"], "error", "{failed}");
    assert_eq!(failed["kind"], "aws", "{failed}");
    assert_eq!(
        failed["operation"], "securityhub:BatchUpdateFindings",
        "{failed}"
    );
    assert_eq!(failed["code"], "AccessDenied", "{failed}");
    assert!(
        failed["message"]
            .as_str()
            .unwrap_or_default()
            .contains("BatchUpdateFindings"),
        "{failed}"
    );
    for arn in [&arns[0], &arns[1]] {
        assert_open(&finding(&moto, &finding_id(arn)));
    }
    let after_failure = notifications(&moto);

    moto.enforce_auth();
    let (code, outcome) = certwatch_run(&moto, &keys, &renewed, &[]);
    moto.relax_auth();
    assert_eq!(code, Some(0), "{outcome}");
    assert_eq!(outcome["decision"], "resolved", "{outcome}");
    assert_eq!(outcome["finding"]["id"], finding_id(&arns[1]), "{outcome}");
    assert_eq!(outcome["skipped"], json!([]), "{outcome}");
    let not_after = outcome["certificate"]["not_after"]
        .as_str()
        .unwrap_or_default();
    let resolved = finding(&moto, &finding_id(&arns[1]));
    assert_resolved(
        &resolved,
        &format!("The certificate was renewed by ACM; it now expires on {not_after}."),
    );
    assert_eq!(resolved["CreatedAt"], created, "{resolved:#}");
    assert_open(&finding(&moto, &finding_id(&arns[0])));
    assert_eq!(findings(&moto, REGION).len(), 2);

    let sent = notifications(&moto);
    let notified = outcome["notifications"].as_array().expect("a list");
    assert_eq!(notified.len(), 1, "{outcome}");
    let id = &notified[0]["message_id"];
    let with_id: Vec<&Value> = sent.iter().filter(|m| m["message_id"] == *id).collect();
    assert_eq!(with_id.len(), 1, "{sent:#?}");
    assert_eq!(with_id[0]["subject"], "Certificate Renewed Notification");
    let text = with_id[0]["message"].as_str().unwrap_or_default();
    assert!(
        text.starts_with(
            "The ACM certificate for d10.example.com was renewed by ACM: it now expires on "
        ),
        "{text}"
    );
    // The retry sent just its own message (the failed attempt's, if any, is
    // `a_failed_resolution_tells_no_one_the_finding_was_resolved`'s business).
    assert_eq!(sent.len(), after_failure.len() + 1, "{sent:#?}");
}

/// The renewed message says "certwatch resolved its Security Hub finding": while the finding is
/// still open (the role may not `BatchUpdateFindings`), no message may say so; the one sent
/// once the finding is resolved does.
#[test]
fn a_failed_resolution_tells_no_one_the_finding_was_resolved() {
    let moto = session();
    let (keys, arns) = account(&moto, &[10], true);
    let (code, scan) = certwatch_run(&moto, &keys, &scheduled_scan(), &[]);
    assert_eq!(code, Some(0), "{scan}");
    moto.relax_auth();
    moto.aws_one(json!({
        "command": "reimport_certificate", "arn": arns[0], "domain": "d10.example.com", "days": 400
    }));
    let unresolving = moto.user(
        "certwatch-unresolving",
        &policy(&["securityhub:BatchUpdateFindings"]),
    );
    let renewed = available(&arns[0], "RENEWAL", "renewed-unresolved");
    moto.enforce_auth();
    let (code, failed) = certwatch_run(&moto, &unresolving, &renewed, &[]);
    moto.relax_auth();
    assert_eq!(code, Some(1), "{failed}");
    assert_eq!(
        failed["operation"], "securityhub:BatchUpdateFindings",
        "{failed}"
    );
    assert_open(&finding(&moto, &finding_id(&arns[0])));
    let claims = |sent: &[Value]| {
        sent.iter()
            .filter(|m| {
                m["message"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("certwatch resolved its Security Hub finding")
            })
            .count()
    };
    let sent = notifications(&moto);
    assert_eq!(
        claims(&sent),
        0,
        "a message says the finding was resolved while it is open: {failed}\n{sent:#?}"
    );

    moto.enforce_auth();
    let (code, outcome) = certwatch_run(&moto, &keys, &renewed, &[]);
    moto.relax_auth();
    assert_eq!(code, Some(0), "{outcome}");
    assert_eq!(outcome["decision"], "resolved", "{outcome}");
    assert_eq!(claims(&notifications(&moto)), 1);
}
