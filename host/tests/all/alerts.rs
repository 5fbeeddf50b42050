//! The alerts beyond the e-mail, against moto: what certwatch publishes to `CHAT_TOPIC_ARN`
//! reaches a queue subscribed to the topic and reads back as a chat custom notification; what
//! it puts on `EVENT_BUS_NAME` reaches a queue through a rule on the bus, with the detail an
//! incident tool pages on. moto checks every request's signature and the least-privilege
//! policy (which grants `events:PutEvents`).
//!
//! moto itself never fails a `PutEvents` entry that certwatch sends (it rejects only entries
//! without a source, detail-type or JSON detail); host/tests/moto/server.py refuses the entries
//! put on a bus tagged `certwatch-test:fail-entries`, so an entry failure (a positive
//! `FailedEntryCount`) is tested here as well as by the replay fixtures
//! `events/events-failed-entry` and `events/events-failed-entry-then-ok`. A bus that does not
//! exist is the call's own failure.

use crate::moto::{account, available, certwatch_run, event, scheduled_scan, topic_arn};
use crate::support::moto::{ACCOUNT, REGION, Session, session};
use certwatch_guest::chat::CustomNotification;
use serde_json::{Value, json};

const CHAT_TOPIC: &str = "certificate-expiry-chat";

fn chat_topic_arn() -> String {
    format!("arn:aws:sns:{REGION}:{ACCOUNT}:{CHAT_TOPIC}")
}

/// A queue, and its URL.
fn queue(moto: &Session, name: &str) -> (String, String) {
    let queue = moto.aws_one(json!({ "command": "create_queue", "name": name }));
    let field = |f: &str| queue[f].as_str().expect(f).to_owned();
    (field("url"), field("arn"))
}

/// Every message on the queue now, as JSON.
fn received(moto: &Session, url: &str) -> Vec<Value> {
    moto.aws_one(json!({ "command": "receive_messages", "url": url }))
        .as_array()
        .expect("messages")
        .iter()
        .map(|body| {
            let text = body.as_str().expect("a body");
            serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
        })
        .collect()
}

/// The chat topic, with a queue subscribed to it that reads its messages as published.
fn chat_reader(moto: &Session) -> String {
    moto.aws_one(json!({ "command": "create_topic", "name": CHAT_TOPIC }));
    let (url, arn) = queue(moto, "chat-reader");
    moto.aws_one(
        json!({ "command": "subscribe_queue", "topic_arn": chat_topic_arn(), "queue_arn": arn }),
    );
    url
}

#[test]
fn the_chat_topic_gets_custom_notifications_a_certificates_renewal_in_its_thread() {
    let moto = session();
    let reader = chat_reader(&moto);
    let (keys, arns) = account(&moto, &[10], true);
    let arn = &arns[0];
    let chat = [("CHAT_TOPIC_ARN", chat_topic_arn())];
    let chat: Vec<(&str, &str)> = chat.iter().map(|(k, v)| (*k, v.as_str())).collect();

    let (code, expiring) = certwatch_run(&moto, &keys, &event(arn, "expiring-1"), &chat);
    assert_eq!(code, Some(0), "{expiring}");
    let topics: Vec<&Value> = expiring["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["topic_arn"])
        .collect();
    assert_eq!(topics, [&json!(topic_arn()), &json!(chat_topic_arn())]);

    moto.relax_auth();
    moto.aws_one(json!({
        "command": "reimport_certificate", "arn": arn, "domain": "d10.example.com", "days": 400
    }));
    moto.enforce_auth();
    let (code, renewed) = certwatch_run(
        &moto,
        &keys,
        &available(arn, "REIMPORT", "renewed-1"),
        &chat,
    );
    assert_eq!(code, Some(0), "{renewed}");
    assert_eq!(renewed["decision"], "resolved", "{renewed}");
    moto.relax_auth();

    let messages = received(&moto, &reader);
    assert_eq!(messages.len(), 2, "{messages:#?}");
    let [alert, all_clear] = [&messages[0], &messages[1]].map(|m| {
        serde_json::from_value::<CustomNotification>(m.clone())
            .unwrap_or_else(|e| panic!("not a custom notification ({e}): {m:#}"))
    });
    for (message, id) in [(&messages[0], "expiring-1"), (&messages[1], "renewed-1")] {
        assert_eq!(message["version"], "1.0", "{message:#}");
        assert_eq!(message["source"], "custom", "{message:#}");
        assert_eq!(message["id"], id, "{message:#}");
        assert_eq!(message["content"]["textType"], "client-markdown");
        assert_eq!(message["metadata"]["relatedResources"][0], arn.as_str());
    }
    assert_eq!(alert.metadata.event_type, "Certificate Expiring");
    assert!(
        alert
            .content
            .title
            .contains("d10.example.com expires in 10 days"),
        "{alert:#?}"
    );
    let d = &alert.content.description;
    assert!(d.contains(&format!("{ACCOUNT} ({REGION})")), "{d}");
    assert!(
        d.contains("`aws acm import-certificate --certificate-arn"),
        "{d}"
    );
    assert!(
        alert
            .content
            .next_steps
            .iter()
            .any(|s| s.contains("/acm/home?region=us-east-1")),
        "{alert:#?}"
    );
    assert!(alert.content.keywords.contains(&"certwatch".to_owned()));
    assert_eq!(alert.metadata.additional_context["daysLeft"], "10");
    assert_eq!(all_clear.metadata.event_type, "Certificate Renewed");
    assert_eq!(
        alert.metadata.thread_id,
        Some(format!("certwatch:{arn}")),
        "one thread per certificate"
    );
    assert_eq!(all_clear.metadata.thread_id, alert.metadata.thread_id);
}

#[test]
fn the_scans_digest_reaches_the_chat_topic() {
    let moto = session();
    let reader = chat_reader(&moto);
    let (keys, arns) = account(&moto, &[3, 20, 300], true);
    let chat = chat_topic_arn();
    let (code, scan) = certwatch_run(
        &moto,
        &keys,
        &scheduled_scan(),
        &[("CHAT_TOPIC_ARN", &chat)],
    );
    assert_eq!(code, Some(0), "{scan}");
    moto.relax_auth();
    let messages = received(&moto, &reader);
    assert_eq!(messages.len(), 1, "{messages:#?}");
    let digest: CustomNotification = serde_json::from_value(messages[0].clone()).unwrap();
    assert_eq!(digest.id.as_deref(), Some("scan-1"));
    assert_eq!(digest.metadata.event_type, "Certificate Scan Digest");
    assert!(
        digest
            .content
            .title
            .contains("2 ACM certificates expire within 45 days"),
        "{digest:#?}"
    );
    let d = &digest.content.description;
    let (soon, later) = (d.find("d3.example.com"), d.find("d20.example.com"));
    assert!(soon.is_some() && soon < later, "{d}");
    assert!(!d.contains("d300.example.com"), "{d}");
    assert_eq!(digest.metadata.related_resources, arns[..2]);
}

#[test]
fn each_decision_puts_an_event_a_rule_delivers_with_its_detail() {
    let moto = session();
    let (url, queue_arn) = queue(&moto, "incidents");
    moto.aws_one(json!({
        "command": "route_events_to_queue",
        "bus": "certwatch",
        "pattern": { "source": ["certwatch"] },
        "queue_arn": queue_arn,
    }));
    let (keys, arns) = account(&moto, &[10], true);
    let arn = &arns[0];
    let bus = [("EVENT_BUS_NAME", "certwatch")];
    let (code, expiring) = certwatch_run(&moto, &keys, &event(arn, "expiring-1"), &bus);
    assert_eq!(code, Some(0), "{expiring}");
    assert_eq!(expiring["events"][0]["detail_type"], "Certificate Expiring");
    assert_eq!(expiring["events"][0]["event_bus"], "certwatch");
    moto.relax_auth();
    moto.aws_one(json!({
        "command": "reimport_certificate", "arn": arn, "domain": "d10.example.com", "days": 400
    }));
    moto.enforce_auth();
    let (code, renewed) =
        certwatch_run(&moto, &keys, &available(arn, "REIMPORT", "renewed-1"), &bus);
    assert_eq!(code, Some(0), "{renewed}");
    moto.relax_auth();

    let delivered = received(&moto, &url);
    assert_eq!(delivered.len(), 2, "{delivered:#?}");
    let (raised, resolved) = (&delivered[0], &delivered[1]);
    for (event, outcome) in [(raised, &expiring), (resolved, &renewed)] {
        assert_eq!(event["source"], "certwatch", "{event:#}");
        assert_eq!(event["resources"], json!([arn]), "{event:#}");
        assert_eq!(event["detail-type"], outcome["events"][0]["detail_type"]);
    }
    assert_eq!(raised["detail-type"], "Certificate Expiring");
    assert_eq!(resolved["detail-type"], "Certificate Renewed");
    let detail = &raised["detail"];
    assert_eq!(detail["certificateArn"], arn.as_str());
    assert_eq!(detail["domain"], "d10.example.com");
    assert_eq!(detail["account"], ACCOUNT);
    assert_eq!(detail["region"], REGION);
    assert_eq!(detail["notAfter"], expiring["certificate"]["not_after"]);
    assert_eq!(detail["daysLeft"], 10);
    assert_eq!(detail["severity"], "HIGH");
    assert_eq!(detail["incidentSeverity"], "error");
    assert_eq!(detail["eventAction"], "trigger");
    assert_eq!(detail["findingId"], expiring["finding"]["id"]);
    assert_eq!(detail["dedupKey"], format!("certwatch:{arn}"));
    let detail = &resolved["detail"];
    assert_eq!(detail["eventAction"], "resolve");
    assert_eq!(detail["daysLeft"], 400);
    assert_eq!(detail["severity"], "INFORMATIONAL");
    assert_eq!(
        detail["dedupKey"], raised["detail"]["dedupKey"],
        "one incident"
    );
}

#[test]
fn a_put_that_fails_is_an_error_outcome_that_says_what_was_done() {
    let moto = session();
    let (keys, arns) = account(&moto, &[10], true);
    let (code, outcome) = certwatch_run(
        &moto,
        &keys,
        &event(&arns[0], "expiring-1"),
        &[("EVENT_BUS_NAME", "no-such-bus")],
    );
    assert_ne!(code, Some(0), "{outcome}");
    assert_eq!(outcome["status"], "error", "{outcome}");
    assert_eq!(outcome["operation"], "events:PutEvents", "{outcome}");
    assert_eq!(outcome["code"], "ResourceNotFoundException", "{outcome}");
    assert_eq!(outcome["retryable"], false, "{outcome}");
    let message = outcome["message"].as_str().unwrap();
    assert!(
        message.contains("finding") && message.contains("notification"),
        "the finding and the e-mail were done before: {message}"
    );
}

/// PutEvents can succeed as a call and refuse its entries (`FailedEntryCount`); moto's server
/// refuses them on a bus tagged to (host/tests/moto/server.py). A refused entry is an error
/// outcome, retryable exactly where EventBridge's code for it is.
#[test]
fn an_entry_the_bus_refuses_is_an_error_outcome_retryable_where_its_code_is() {
    let moto = session();
    let (_, queue_arn) = queue(&moto, "refused");
    let buses = [
        ("refusing-for-now", "InternalFailure", true),
        ("refusing-for-good", "AccessDeniedException", false),
    ];
    for (bus, code, _) in buses {
        moto.aws_one(json!({
            "command": "route_events_to_queue",
            "bus": bus,
            "pattern": { "source": ["certwatch"] },
            "queue_arn": queue_arn,
            "tags": { "certwatch-test:fail-entries": code },
        }));
    }
    let (keys, arns) = account(&moto, &[10], true);
    for (bus, code, retryable) in buses {
        let (exit, outcome) = certwatch_run(
            &moto,
            &keys,
            &event(&arns[0], &format!("{bus}-1")),
            &[("EVENT_BUS_NAME", bus)],
        );
        assert_ne!(exit, Some(0), "{outcome}");
        assert_eq!(outcome["status"], "error", "{outcome}");
        assert_eq!(outcome["operation"], "events:PutEvents", "{outcome}");
        assert_eq!(outcome["code"], code, "{outcome}");
        assert_eq!(outcome["retryable"], retryable, "{outcome}");
        let message = outcome["message"].as_str().unwrap_or_default();
        assert!(message.contains("1 of 1 events were not put"), "{message}");
    }
}
