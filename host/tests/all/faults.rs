//! The fault matrix, against certwatch-stub: every fault the stub injects, where it matters.
//! Each case ends in exactly one outcome that says what happened; a failed event exits non-zero
//! (run), answers 5xx (serve) or is a function error (Lambda), so EventBridge or Lambda sends
//! it again, and the event sent again updates the same finding.

use crate::support::{certwatch, events_dir, run};
use certwatch_stub::operation::Operation::{self, *};
use certwatch_stub::{Stats, Stub, StubConfig};
use serde_json::Value;

const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:certificate-expiry";

pub fn stub(faults: &[&str]) -> Stub {
    Stub::start(StubConfig {
        faults: faults
            .iter()
            .map(|f| f.parse().expect("a fault rule"))
            .collect(),
        ..StubConfig::default()
    })
    .expect("starting the stub")
}

/// What certwatch runs with against `stub`; a short request timeout keeps the slow cases fast.
pub fn settings(stub: &Stub) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".into()),
        ("AWS_SECRET_ACCESS_KEY", "fault-matrix-secret".into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ENDPOINT_URL", stub.url()),
        ("SNS_TOPIC_ARN", TOPIC.into()),
        ("REQUEST_TIMEOUT_MS", "300".into()),
    ]
}

/// `certwatch run` on the in-window event: its exit code and its one outcome.
fn run_event(stub: &Stub) -> (Option<i32>, Value) {
    let ran = run(certwatch()
        .arg("run")
        .arg(events_dir().join("in-window/event.json"))
        .envs(settings(stub)));
    let outcome = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("not one outcome ({e}): {}\n{}", ran.stdout, ran.stderr));
    (ran.code, outcome)
}

struct Case {
    faults: &'static [&'static str],
    /// `None` when the event is handled in the end.
    error: Option<Expected>,
    /// Requests the stub must have seen for one operation, retries included.
    requests: (Operation, u64),
}

struct Expected {
    operation: &'static str,
    says: &'static str,
    retryable: bool,
}

const fn fails(operation: &'static str, says: &'static str, retryable: bool) -> Option<Expected> {
    Some(Expected {
        operation,
        says,
        retryable,
    })
}

const CASES: &[Case] = &[
    Case {
        faults: &["DescribeCertificate=throttle*2"],
        error: None,
        requests: (DescribeCertificate, 3),
    },
    Case {
        faults: &["DescribeCertificate=throttle*3"],
        error: fails("acm:DescribeCertificate", "ThrottlingException", true),
        requests: (DescribeCertificate, 3),
    },
    Case {
        faults: &["BatchImportFindings=throttle*3"],
        error: fails(
            "securityhub:BatchImportFindings",
            "TooManyRequestsException",
            true,
        ),
        requests: (BatchImportFindings, 3),
    },
    Case {
        faults: &["Publish=throttle*1"],
        error: None,
        requests: (Publish, 2),
    },
    Case {
        faults: &["BatchImportFindings=500*2"],
        error: None,
        requests: (BatchImportFindings, 3),
    },
    // GetFindings allows few requests a second: a lookup throttled to the end does not hold
    // an expiring certificate's finding back.
    Case {
        faults: &["GetFindings=throttle*3"],
        error: None,
        requests: (GetFindings, 3),
    },
    Case {
        faults: &["GetFindings=503*3"],
        error: fails("securityhub:GetFindings", "ServiceUnavailable", true),
        requests: (GetFindings, 3),
    },
    Case {
        faults: &["Publish=500*3"],
        error: fails("sns:Publish", "InternalFailure", true),
        requests: (Publish, 3),
    },
    Case {
        faults: &["GetFindings=slow:1500*1"],
        error: None,
        requests: (GetFindings, 2),
    },
    Case {
        faults: &["DescribeCertificate=slow:1500*3"],
        error: fails("acm:DescribeCertificate", "no response came in time", true),
        requests: (DescribeCertificate, 3),
    },
    Case {
        faults: &["Publish=reset*2"],
        error: None,
        requests: (Publish, 3),
    },
    Case {
        faults: &["DescribeCertificate=reset*3"],
        error: fails("acm:DescribeCertificate", "connection closed", true),
        requests: (DescribeCertificate, 3),
    },
    // A whole reply that cannot be read is not sent again: it would read the same.
    Case {
        faults: &["DescribeCertificate=truncated"],
        error: fails(
            "acm:DescribeCertificate",
            "unreadable reply (HTTP 200)",
            false,
        ),
        requests: (DescribeCertificate, 1),
    },
    Case {
        faults: &["BatchImportFindings=malformed"],
        error: fails("securityhub:BatchImportFindings", "unreadable reply", false),
        requests: (BatchImportFindings, 1),
    },
    Case {
        faults: &["Publish=malformed"],
        error: fails("sns:Publish", "ill-formed document", false),
        requests: (Publish, 1),
    },
    Case {
        faults: &["DescribeCertificate=html"],
        error: fails("acm:DescribeCertificate", "unreadable reply", false),
        requests: (DescribeCertificate, 1),
    },
    Case {
        faults: &["Publish=html"],
        error: fails("sns:Publish", "unreadable reply", false),
        requests: (Publish, 1),
    },
    Case {
        faults: &["BatchImportFindings=empty"],
        error: fails("securityhub:BatchImportFindings", "unreadable reply", false),
        requests: (BatchImportFindings, 1),
    },
    Case {
        faults: &["DescribeCertificate=empty"],
        error: fails("acm:DescribeCertificate", "unreadable reply", false),
        requests: (DescribeCertificate, 1),
    },
];

#[test]
fn every_fault_ends_in_one_outcome_that_says_what_happened() {
    std::thread::scope(|scope| {
        let runs: Vec<_> = CASES
            .iter()
            .map(|case| {
                scope.spawn(move || {
                    let stub = stub(case.faults);
                    let (code, outcome) = run_event(&stub);
                    (case, code, outcome, stub.stats())
                })
            })
            .collect();
        for handle in runs {
            let (case, code, outcome, stats) = handle.join().expect("a case");
            check(case, code, &outcome, &stats);
        }
    });
}

fn check(case: &Case, code: Option<i32>, outcome: &Value, stats: &Stats) {
    let name = case.faults.join(" ");
    let (operation, count) = case.requests;
    assert_eq!(
        stats.requests_of(operation),
        count,
        "{name}: {operation} requests; {stats:?}"
    );
    match &case.error {
        None => {
            assert_eq!(code, Some(0), "{name}: {outcome}");
            assert_eq!(outcome["status"], "handled", "{name}: {outcome}");
            assert_eq!(stats.distinct_findings(), 1, "{name}");
            assert_eq!(stats.effects.published.len(), 1, "{name}");
        }
        Some(expected) => {
            assert_eq!(
                code,
                Some(1),
                "{name}: a failed event exits non-zero: {outcome}"
            );
            assert_eq!(outcome["status"], "error", "{name}: {outcome}");
            assert_eq!(
                outcome["operation"], expected.operation,
                "{name}: {outcome}"
            );
            assert_eq!(
                outcome["retryable"], expected.retryable,
                "{name}: {outcome}"
            );
            let message = outcome["message"].as_str().unwrap_or_default();
            assert!(
                message.contains(expected.says),
                "{name}: the outcome does not say {:?}: {outcome}",
                expected.says
            );
        }
    }
}

#[test]
fn an_event_sent_again_updates_the_same_finding() {
    let stub = stub(&["Publish=503*3"]);
    let (code, first) = run_event(&stub);
    assert_eq!(code, Some(1), "{first}");
    assert!(
        first["message"]
            .as_str()
            .is_some_and(|m| m.contains("done before the failure: finding")),
        "the failure says what was done before it: {first}"
    );
    let (code, second) = run_event(&stub);
    assert_eq!(code, Some(0), "{second}");
    let stats = stub.stats();
    assert_eq!(stats.effects.imported_findings.len(), 2, "{stats:?}");
    assert_eq!(stats.distinct_findings(), 1, "{stats:?}");
    assert_eq!(stats.effects.published.len(), 1, "{stats:?}");
}

#[test]
fn a_scan_of_thousands_pages_describes_and_imports_in_full_batches() {
    use certwatch_stub::catalogue::Catalogue;
    let catalogue = Catalogue {
        certificates: 2_500,
        summaries_lack_expiry: true,
        // Listed, then deleted before it is described: reported, and the scan goes on.
        vanished: vec![1_234],
        ..Catalogue::default()
    };
    let stub = Stub::start(StubConfig {
        catalogue: catalogue.clone(),
        faults: vec!["DescribeCertificate=503*3".parse().expect("a rule")],
        ..StubConfig::default()
    })
    .expect("starting the stub");
    let ran = crate::support::run_with_input(
        certwatch()
            .args(["run", "-"])
            .envs(settings(&stub))
            .env("SCAN_CONCURRENCY", "32"),
        crate::support::SCHEDULED_SCAN.as_bytes(),
    );
    let outcome: Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", ran.stdout, ran.stderr));
    assert_eq!(ran.code, Some(0), "{outcome}");
    assert_eq!(outcome["status"], "scanned", "{outcome}");
    assert_eq!(outcome["certificates_seen"], 2_500);
    assert_eq!(outcome["failed"][0]["arn"], catalogue.arn(1_234));
    assert_eq!(outcome["failed"].as_array().map(Vec::len), Some(1));

    let stats = stub.stats();
    let requests = |operation| stats.requests_of(operation);
    assert_eq!(requests(ListCertificates), 3, "three pages of 1,000");
    // Each certificate once, and the three that got a 503 once more.
    assert_eq!(requests(DescribeCertificate), 2_500 + 3);
    let expiring = (0..2_500)
        .filter(|&i| i != 1_234 && catalogue.days_left(i) <= 45)
        .count();
    assert_eq!(outcome["expiring"].as_array().map(Vec::len), Some(expiring));
    assert_eq!(stats.distinct_findings(), expiring);
    assert_eq!(stats.effects.imported_findings.len(), expiring);
    assert_eq!(
        requests(BatchImportFindings),
        expiring.div_ceil(100) as u64,
        "findings go in full batches of 100"
    );
    // The open findings tell whether the hub takes findings: no DescribeHub.
    assert_eq!((requests(GetFindings), requests(DescribeHub)), (1, 0));
    assert_eq!(stats.effects.published.len(), 1);
}
