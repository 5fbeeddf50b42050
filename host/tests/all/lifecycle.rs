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
