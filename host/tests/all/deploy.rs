//! The deployment files: the SAM template passes cfn-lint (from PyPI, nobody here wrote it)
//! and grants exactly the actions of the least-privilege policy file; every queue, the
//! function's errors, the scan's heartbeat and the soonest expiry are alarmed, to the topic.

use crate::support::{repo_root, venv};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::process::Command;

#[test]
fn the_sam_template_is_cfn_lint_clean() {
    let output = Command::new(venv().join("bin/cfn-lint"))
        .arg(repo_root().join("deploy/template.yaml"))
        .output()
        .expect("running cfn-lint");
    assert!(
        output.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_template_grants_the_policy_files_actions_and_no_others() {
    let policy: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("deploy/iam-policy.json")).expect("the policy"),
    )
    .expect("the policy is JSON");
    let actions: BTreeSet<String> = policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| {
            s["Action"]
                .as_str()
                .expect("one action a statement")
                .to_owned()
        })
        .collect();
    let template = template();
    let mut granted = BTreeSet::new();
    for policy in template["Resources"]["Function"]["Properties"]["Policies"]
        .as_array()
        .expect("the function's policies")
    {
        for statement in policy["Statement"].as_array().expect("statements") {
            // A statement only some deployments have: `!If [condition, statement, NoValue]`.
            let statement = match statement.get("Fn::If") {
                Some(branches) => &branches[1],
                None => statement,
            };
            granted.insert(statement["Action"].as_str().expect("one action").to_owned());
        }
    }
    assert_eq!(granted, actions);
}

/// The template as CloudFormation reads it, with its short-form functions as the long form
/// (`!GetAtt A.B` is `{"Fn::GetAtt": ["A", "B"]}`): read by cfn-lint's own YAML loader.
fn template() -> Value {
    let output = Command::new(venv().join("bin/python"))
        .args([
            "-c",
            "import json, sys; from cfnlint.decode.cfn_yaml import load; print(json.dumps(load(sys.argv[1])))",
        ])
        .arg(repo_root().join("deploy/template.yaml"))
        .output()
        .expect("running cfn-lint's loader");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the template as JSON")
}

/// The template's resources of `kind`, by logical id.
fn resources<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// Every alarm goes to the notification topic: an alarm nobody hears of is no alarm.
fn assert_routed_to_the_topic(id: &str, alarm: &Value) {
    let actions = alarm["Properties"]["AlarmActions"]
        .as_array()
        .unwrap_or_else(|| panic!("{id} has no AlarmActions"));
    assert!(
        actions.contains(&json!({"Ref": "Topic"})),
        "{id} does not notify the topic: {actions:?}"
    );
}

#[test]
fn every_queue_has_an_alarm_on_its_visible_messages() {
    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let queues = resources(&template, "AWS::SQS::Queue");
    assert!(queues.len() >= 4, "{queues:?}");
    for (queue, definition) in queues {
        let watching = alarms.iter().find(|(_, alarm)| {
            let p = &alarm["Properties"];
            p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && p["Namespace"] == "AWS/SQS"
                && p["Dimensions"]
                    == json!([{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}])
        });
        let Some((id, alarm)) = watching else {
            panic!("no alarm watches the queue {queue}");
        };
        let p = &alarm["Properties"];
        assert_eq!(
            (&p["ComparisonOperator"], &p["Threshold"]),
            (&json!("GreaterThanThreshold"), &json!(0)),
            "{id}: one message on {queue} is one too many"
        );
        // A queue only some deployments have, its alarm only with it.
        assert_eq!(alarm.get("Condition"), definition.get("Condition"), "{id}");
        assert_routed_to_the_topic(id, alarm);
    }
}

#[test]
fn the_scan_heartbeat_treats_missing_data_as_breaching() {
    use certwatch::metrics::{NAMESPACE, emf_lines};
    // What the host writes for a scan: the metric's name and dimensions as they really are.
    let scan: certwatch::outcome::Outcome = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/scan/outcome.json")).unwrap(),
    )
    .unwrap();
    let health: Value = emf_lines(&scan, 0)
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|line| line.get("ScanCertificatesSeen").is_some())
        .expect("a scan writes ScanCertificatesSeen");
    let directive = &health["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(
        directive["Dimensions"],
        json!([[]]),
        "the heartbeat has no dimensions"
    );

    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let (id, heartbeat) = alarms
        .iter()
        .find(|(_, a)| a["Properties"]["MetricName"] == "ScanCertificatesSeen")
        .expect("an alarm on ScanCertificatesSeen");
    let p = &heartbeat["Properties"];
    assert_eq!(p["Namespace"], NAMESPACE);
    assert_eq!(directive["Namespace"], NAMESPACE);
    assert!(p.get("Dimensions").is_none(), "{id}: EMF wrote none");
    assert_eq!(p["TreatMissingData"], "breaching", "{id}");
    // Missing for a day and a bit: longer than the schedule's day, shorter than two.
    let window = p["Period"].as_u64().unwrap() * p["EvaluationPeriods"].as_u64().unwrap();
    assert!(
        (86_400 + 1..2 * 86_400).contains(&window),
        "{id}: {window} s"
    );
    assert_eq!(
        p["DatapointsToAlarm"], p["EvaluationPeriods"],
        "{id}: every hour empty"
    );
    assert_routed_to_the_topic(id, heartbeat);
}

#[test]
fn the_function_errors_and_the_soonest_expiry_are_alarmed() {
    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let (id, errors) = alarms
        .iter()
        .find(|(_, a)| {
            a["Properties"]["Namespace"] == "AWS/Lambda"
                && a["Properties"]["MetricName"] == "Errors"
        })
        .expect("an alarm on the function's Errors");
    assert_eq!(
        errors["Properties"]["Dimensions"],
        json!([{"Name": "FunctionName", "Value": {"Ref": "Function"}}])
    );
    assert_routed_to_the_topic(id, errors);
    let (id, soonest) = alarms
        .iter()
        .find(|(_, a)| a["Properties"]["Metrics"].is_array())
        .expect("an alarm on the soonest DaysToExpiry");
    let p = &soonest["Properties"];
    let query = p["Metrics"][0]["Expression"].as_str().unwrap();
    assert_eq!(
        query,
        format!(
            "SELECT MIN(DaysToExpiry) FROM SCHEMA({}, Certificate)",
            certwatch::metrics::NAMESPACE
        )
    );
    assert_eq!(p["Threshold"], json!({"Ref": "ExpiryAlarmDays"}));
    assert_eq!(p["ComparisonOperator"], "LessThanThreshold");
    assert_routed_to_the_topic(id, soonest);
}

/// The PagerDuty rule's input transformer reads fields the component's events have, and
/// writes an Events API v2 body: `dedup_key`, `event_action`, `payload.severity`, `summary`
/// and `source`, with the routing key left to the connection's secret.
#[test]
fn the_pagerduty_transformer_maps_the_events_detail() {
    use certwatch_guest::alert_event::{AlertEvent, AlertKind, Alerted};
    use certwatch_guest::arn::CertificateArn;
    let certificate =
        CertificateArn::parse("arn:aws:acm:us-east-1:123456789012:certificate/abc").unwrap();
    let event = AlertEvent::new(
        AlertKind::Expiring,
        Alerted {
            certificate: &certificate,
            domain: "www.example.com",
            not_after: "2026-12-10T12:00:00Z",
            days_left: 11,
            severity: certwatch_guest::decision::Severity::High,
            reason: None,
        },
    );
    let envelope = json!({
        "detail-type": event.kind.detail_type(),
        "detail": serde_json::to_value(&event.detail).unwrap(),
    });
    let template = template();
    let rule = &template["Resources"]["PagerDutyRule"]["Properties"];
    let transformer = &rule["Targets"][0]["InputTransformer"];
    let mut body = transformer["InputTemplate"].as_str().unwrap().to_owned();
    for (name, path) in transformer["InputPathsMap"].as_object().unwrap() {
        let pointer = format!(
            "/{}",
            path.as_str()
                .unwrap()
                .trim_start_matches("$.")
                .replace('.', "/")
        );
        let value = envelope
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("{name}: the event has no {path}"));
        body = body.replace(&format!("<{name}>"), &value.to_string());
    }
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body["dedup_key"], format!("certwatch:{certificate}"));
    assert_eq!(body["event_action"], "trigger");
    assert_eq!(body["payload"]["severity"], "error");
    assert_eq!(body["payload"]["source"], certificate.to_string());
    assert!(
        body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("www.example.com")
    );
    assert!(
        body.get("routing_key").is_none(),
        "the key is the connection's secret"
    );
    let connection = &template["Resources"]["PagerDutyConnection"]["Properties"];
    let parameter = &connection["AuthParameters"]["InvocationHttpParameters"]["BodyParameters"][0];
    assert_eq!(parameter["Key"], "routing_key");
    assert_eq!(parameter["IsValueSecret"], true);
    let detail_types: Vec<&str> = rule["EventPattern"]["detail-type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(detail_types, AlertKind::ALL.map(AlertKind::detail_type));
}

#[test]
fn the_rule_sends_every_acm_event_the_component_acts_on() {
    use certwatch_guest::event::{
        APPROACHING_EXPIRATION, CERTIFICATE_AVAILABLE, EXPIRED, HEALTH_EVENT, HEALTH_SOURCE,
        RENEWAL_ACTION_REQUIRED,
    };
    let template =
        std::fs::read_to_string(repo_root().join("deploy/template.yaml")).expect("the template");
    let listed: Vec<&str> = template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- ACM Certificate "))
        .collect();
    for detail_type in [
        APPROACHING_EXPIRATION,
        EXPIRED,
        CERTIFICATE_AVAILABLE,
        RENEWAL_ACTION_REQUIRED,
    ] {
        let name = detail_type.trim_start_matches("ACM Certificate ");
        assert!(
            listed.contains(&name),
            "the rule does not send {detail_type:?} events: {listed:?}"
        );
    }
    assert!(
        template.contains(&format!("source: [{HEALTH_SOURCE}]"))
            && template.contains(&format!("detail-type: [{HEALTH_EVENT}]"))
            && template.contains("service: [ACM]"),
        "no rule sends AWS Health's ACM events"
    );
}
