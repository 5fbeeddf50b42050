//! A certificate's life after the warning, against certwatch-stub (moto has no
//! `BatchUpdateFindings`; the `renewed` fixture follows the API reference as well).

use crate::faults::settings;
use crate::support::{certwatch, run_with_input};
use certwatch_stub::catalogue::Catalogue;
use certwatch_stub::operation::Operation::*;
use certwatch_stub::{Stub, StubConfig};
use serde_json::Value;

fn available(catalogue: &Catalogue, index: usize, action: &str) -> String {
    let mut event: Value =
        serde_json::from_str(&catalogue.expiry_event(index)).expect("the stub's event");
    event["detail-type"] = "ACM Certificate Available".into();
    event["detail"] = serde_json::json!({ "Action": action, "CertificateType": "AMAZON_ISSUED" });
    event.to_string()
}

#[test]
fn a_renewal_resolves_the_finding_and_tells_the_owner() {
    let catalogue = Catalogue::default();
    let stub = Stub::start(StubConfig {
        catalogue: catalogue.clone(),
        findings: vec![open_finding(&catalogue.arn(80), "host-80.example.com")],
        // A throttled resolution is sent again, like every other call.
        faults: vec!["BatchUpdateFindings=throttle*1".parse().expect("a rule")],
        ..StubConfig::default()
    })
    .expect("starting the stub");
    // Certificate 80 now has 80 days left: out of the 45-day window, renewed.
    let ran = run_with_input(
        certwatch().args(["run", "-"]).envs(settings(&stub)),
        available(&catalogue, 80, "RENEWAL").as_bytes(),
    );
    let outcome: Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", ran.stdout, ran.stderr));
    assert_eq!(ran.code, Some(0), "{outcome}");
    assert_eq!(outcome["decision"], "resolved", "{outcome}");

    let stats = stub.stats();
    let finding = format!("{}/certwatch/expiry", catalogue.arn(80));
    assert_eq!(
        stats.effects.imported_findings,
        std::slice::from_ref(&finding)
    );
    assert_eq!(stats.effects.updated_findings, [finding]);
    assert_eq!(
        stats.requests_of(BatchUpdateFindings),
        2,
        "the throttled one, again"
    );
    assert_eq!(
        stats.effects.published[0].1, "Certificate Renewed Notification",
        "{stats:?}"
    );

    // A re-import that still expires inside the window keeps the finding open.
    let ran = run_with_input(
        certwatch().args(["run", "-"]).envs(settings(&stub)),
        available(&catalogue, 12, "REIMPORT").as_bytes(),
    );
    let outcome: Value = serde_json::from_str(&ran.stdout).expect("an outcome");
    assert_eq!(outcome["decision"], "expiring", "{outcome}");
    assert_eq!(stub.stats().requests_of(BatchUpdateFindings), 2);
}

/// An open finding as Security Hub would hold it for `arn`.
fn open_finding(arn: &str, domain: &str) -> Value {
    serde_json::json!({
        "SchemaVersion": "2018-10-08",
        "Id": format!("{arn}/certwatch/expiry"),
        "ProductArn": "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default",
        "GeneratorId": "certwatch/acm-certificate-expiry",
        "AwsAccountId": "123456789012",
        "CreatedAt": "2026-10-01T00:00:00.000Z",
        "RecordState": "ACTIVE",
        // Raised for an expiry long gone: any certificate outside the window now was renewed.
        "ProductFields": { "certwatch/NotAfter": "2026-01-01T00:00:00.000Z" },
        "Resources": [{
            "Type": "AwsCertificateManagerCertificate",
            "Id": arn,
            "Region": "us-east-1",
            "Details": { "AwsCertificateManagerCertificate": { "DomainName": domain } },
        }],
    })
}

#[test]
fn a_scan_resolves_the_findings_of_certificates_renewed_or_deleted_since() {
    let catalogue = Catalogue {
        certificates: 100,
        ..Catalogue::default()
    };
    // Certificate 12 still expires inside the window, 80 was renewed out of it, and 500 is
    // not in ACM any more.
    let findings = [12, 80, 500]
        .map(|i| open_finding(&catalogue.arn(i), &format!("host-{i}.example.com")))
        .to_vec();
    let stub = Stub::start(StubConfig {
        catalogue: catalogue.clone(),
        findings,
        ..StubConfig::default()
    })
    .expect("starting the stub");
    let ran = run_with_input(
        certwatch().args(["run", "-"]).envs(settings(&stub)),
        crate::support::SCHEDULED_SCAN.as_bytes(),
    );
    let outcome: Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", ran.stdout, ran.stderr));
    assert_eq!(ran.code, Some(0), "{outcome}");
    assert_eq!(outcome["findings_resolved"], 2, "{outcome}");

    let stats = stub.stats();
    let finding = |i: usize| format!("{}/certwatch/expiry", catalogue.arn(i));
    let mut updated = stats.effects.updated_findings.clone();
    updated.sort();
    assert_eq!(updated, [finding(80), finding(500)]);
    let held = &stats.effects.findings;
    for resolved in [80, 500] {
        assert_eq!(held[&finding(resolved)]["RecordState"], "ARCHIVED");
        assert_eq!(held[&finding(resolved)]["Compliance"]["Status"], "PASSED");
        assert_eq!(held[&finding(resolved)]["Workflow"]["Status"], "RESOLVED");
    }
    // Still expiring: updated, open, and raised when it first was.
    assert_eq!(held[&finding(12)]["RecordState"], "ACTIVE");
    assert_eq!(held[&finding(12)]["CreatedAt"], "2026-10-01T00:00:00.000Z");
    let digest = &stats.effects.published[0];
    assert_eq!(digest.1, "Certificate Expiration Notification");
}

#[test]
fn a_dry_run_decides_everything_and_changes_nothing() {
    let catalogue = Catalogue {
        certificates: 100,
        ..Catalogue::default()
    };
    let stub = Stub::start(StubConfig {
        catalogue: catalogue.clone(),
        findings: vec![open_finding(&catalogue.arn(80), "host-80.example.com")],
        ..StubConfig::default()
    })
    .expect("starting the stub");
    let ran = run_with_input(
        certwatch()
            .args(["run", "-"])
            .envs(settings(&stub))
            .env("DRY_RUN", "true"),
        crate::support::SCHEDULED_SCAN.as_bytes(),
    );
    let outcome: Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", ran.stdout, ran.stderr));
    assert_eq!(ran.code, Some(0), "{outcome}");
    let operations: Vec<&str> = outcome["planned"]
        .as_array()
        .expect("the planned requests")
        .iter()
        .filter_map(|p| p["operation"].as_str())
        .collect();
    assert!(
        operations.contains(&"securityhub:BatchImportFindings"),
        "{operations:?}"
    );
    assert!(
        operations.contains(&"securityhub:BatchUpdateFindings"),
        "{operations:?}"
    );
    assert!(operations.contains(&"sns:Publish"), "{operations:?}");
    assert_eq!(outcome["findings_resolved"], 1);

    let stats = stub.stats();
    for write in [BatchImportFindings, BatchUpdateFindings, Publish] {
        assert_eq!(stats.requests_of(write), 0, "{write} was sent in a dry run");
    }
    assert!(stats.requests_of(ListCertificates) > 0 && stats.requests_of(GetFindings) > 0);
}
