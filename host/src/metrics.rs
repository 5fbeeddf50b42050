//! CloudWatch Embedded Metric Format: each outcome as log lines CloudWatch turns into metrics,
//! so operators can graph and alarm without another API call. A handled certificate gives its
//! days to expiry (by certificate) and what was done; a scan gives its health (certificates
//! seen, expiring, failed), so a scan that quietly stops working can be alarmed on too; a
//! failure gives an error count by kind.

use crate::outcome::{Certificate, Decision, Outcome};
use serde_json::{Value, json};

/// The CloudWatch namespace every metric is in.
pub const NAMESPACE: &str = "certwatch";

/// Where EMF lines go: Lambda sends standard output to CloudWatch Logs; elsewhere they go to
/// standard error, beside the logs, and standard output keeps the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// Standard output, on Lambda.
    Stdout,
    /// Standard error, everywhere else.
    Stderr,
}

/// Writes `outcome`'s EMF lines, stamped now, each whole on its own line.
pub fn emit(outcome: &Outcome, sink: Sink) {
    use std::io::Write as _;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    let text: String = emf_lines(outcome, now)
        .into_iter()
        .map(|line| line + "\n")
        .collect();
    // One write per outcome, so lines from events handled at once never interleave.
    let _ = match sink {
        Sink::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
        Sink::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
    };
}

/// The EMF lines for `outcome`, stamped `timestamp_ms` (milliseconds since the epoch).
pub fn emf_lines(outcome: &Outcome, timestamp_ms: u64) -> Vec<String> {
    let line = |dimensions: &[&str], metrics: &[(&str, &str)], values: Value| {
        let mut record = json!({
            "_aws": {
                "Timestamp": timestamp_ms,
                "CloudWatchMetrics": [{
                    "Namespace": NAMESPACE,
                    "Dimensions": [dimensions],
                    "Metrics": metrics
                        .iter()
                        .map(|(name, unit)| json!({ "Name": name, "Unit": unit }))
                        .collect::<Vec<_>>(),
                }],
            },
        });
        if let (Some(record), Some(values)) = (record.as_object_mut(), values.as_object()) {
            let known = values.iter().filter(|(_, v)| !v.is_null());
            record.extend(known.map(|(k, v)| (k.clone(), v.clone())));
        }
        record.to_string()
    };
    let days = |certificate: &Certificate| {
        line(
            &["Certificate"],
            &[("DaysToExpiry", "Count")],
            json!({
                "Certificate": certificate.arn,
                "Domain": certificate.domain,
                "DaysToExpiry": certificate.days_left,
            }),
        )
    };
    match outcome {
        Outcome::Handled(handled) => {
            // A certificate a filter leaves out must not feed an alarm on days left.
            let watched = handled.decision != Decision::Excluded;
            let mut lines: Vec<String> = watched
                .then(|| days(&handled.certificate))
                .into_iter()
                .collect();
            lines.push(line(
                &[],
                &[
                    ("FindingsImported", "Count"),
                    ("NotificationsSent", "Count"),
                    ("Errors", "Count"),
                ],
                json!({
                    "Decision": handled.decision,
                    "Certificate": handled.certificate.arn,
                    "FindingsImported": handled.finding.as_ref().map_or(0, |f| f.imported),
                    "NotificationsSent": handled.notifications.len(),
                    "Errors": 0,
                }),
            ));
            lines
        }
        Outcome::Scanned(report) => {
            let mut lines: Vec<String> = report.expiring.iter().map(days).collect();
            lines.push(line(
                &[],
                &[
                    ("ScanCertificatesSeen", "Count"),
                    ("ScanCertificatesExpiring", "Count"),
                    ("ScanCertificatesExcluded", "Count"),
                    ("ScanCertificatesFailed", "Count"),
                    ("FindingsImported", "Count"),
                    ("FindingsResolved", "Count"),
                    ("NotificationsSent", "Count"),
                    ("Errors", "Count"),
                ],
                json!({
                    "Regions": report.regions.join(","),
                    "ScanCertificatesSeen": report.certificates_seen,
                    "ScanCertificatesExpiring": report.expiring.len(),
                    "ScanCertificatesExcluded": report.excluded,
                    "ScanCertificatesFailed": report.failed.len(),
                    "FindingsImported": report.findings_imported,
                    "FindingsResolved": report.findings_resolved,
                    "NotificationsSent": report.notifications.len(),
                    "Errors": 0,
                }),
            ));
            lines
        }
        Outcome::NotHandled(_) => Vec::new(),
        Outcome::Error(failure) => vec![line(
            &["ErrorKind"],
            &[("Errors", "Count")],
            json!({
                "ErrorKind": failure.kind,
                "Operation": failure.operation,
                "Retryable": failure.retryable,
                "Errors": 1,
            }),
        )],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::*;

    fn parse(line: &str) -> Value {
        serde_json::from_str(line).expect("each line is one JSON object")
    }

    /// Every metric a directive names must be a top-level number, and every dimension a
    /// top-level string: what CloudWatch requires of an EMF record.
    fn assert_valid_emf(record: &Value) {
        let directive = &record["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert!(record["_aws"]["Timestamp"].is_u64());
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(record[name].is_number(), "{name} in {record}");
        }
        for dimension in directive["Dimensions"][0].as_array().unwrap() {
            let name = dimension.as_str().unwrap();
            assert!(record[name].is_string(), "{name} in {record}");
        }
    }

    fn certificate(days_left: i64) -> Certificate {
        Certificate {
            arn: "arn:aws:acm:us-east-1:123456789012:certificate/abc".into(),
            domain: "www.example.com".into(),
            not_after: "2026-12-10T12:00:00Z".into(),
            days_left,
        }
    }

    /// The EMF lines of a handled certificate 11 days from expiry, parsed.
    fn handled_lines(decision: Decision, finding: Option<FindingImport>) -> Vec<Value> {
        let outcome = Outcome::Handled(Handled {
            event_id: "e".into(),
            certificate: certificate(11),
            decision,
            finding,
            notifications: vec![],
            skipped: vec![],
            planned: vec![],
            events: vec![],
        });
        emf_lines(&outcome, 1_764_417_600_000)
            .iter()
            .map(|l| parse(l))
            .collect()
    }

    #[test]
    fn a_handled_certificate_gives_its_days_and_what_was_done() {
        let finding = FindingImport {
            id: "f".into(),
            region: "us-east-1".into(),
            imported: 1,
        };
        let lines = handled_lines(Decision::Expiring, Some(finding));
        assert_eq!(lines.len(), 2);
        lines.iter().for_each(assert_valid_emf);
        assert_eq!(lines[0]["DaysToExpiry"], 11);
        assert_eq!(lines[0]["Certificate"], certificate(11).arn);
        assert_eq!(
            (
                lines[1]["FindingsImported"].as_u64(),
                lines[1]["NotificationsSent"].as_u64()
            ),
            (Some(1), Some(0))
        );
    }

    #[test]
    fn a_certificate_left_out_by_a_filter_gives_no_days() {
        let lines = handled_lines(Decision::Excluded, None);
        assert_eq!(lines.len(), 1);
        assert!(lines[0].get("DaysToExpiry").is_none(), "{}", lines[0]);
        assert_eq!(lines[0]["Decision"], "excluded");
    }

    #[test]
    fn a_scan_gives_its_health_and_a_failure_its_kind() {
        let outcome = Outcome::Scanned(ScanReport {
            event_id: "s".into(),
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            certificates_seen: 7,
            excluded: 0,
            expiring: vec![certificate(5), certificate(30)],
            findings_imported: 2,
            findings_resolved: 1,
            notifications: vec![],
            failed: vec![FailedCertificate {
                arn: "x".into(),
                message: "gone".into(),
            }],
            skipped: vec![],
            planned: vec![],
            certificates: vec![],
            accounts: vec![],
            events: vec![],
        });
        let lines: Vec<Value> = emf_lines(&outcome, 1).iter().map(|l| parse(l)).collect();
        assert_eq!(lines.len(), 3);
        lines.iter().for_each(assert_valid_emf);
        let health = &lines[2];
        assert_eq!(health["ScanCertificatesSeen"], 7);
        assert_eq!(health["ScanCertificatesExpiring"], 2);
        assert_eq!(health["ScanCertificatesFailed"], 1);

        let failed = emf_lines(&Outcome::failure(ErrorKind::Deadline, "late", true), 1);
        let record = parse(&failed[0]);
        assert_valid_emf(&record);
        assert_eq!(
            (record["ErrorKind"].as_str(), record["Errors"].as_u64()),
            (Some("deadline"), Some(1))
        );
        assert!(
            emf_lines(
                &Outcome::NotHandled(Ignored {
                    event_id: "n".into(),
                    source: "aws.ec2".into(),
                    detail_type: "x".into(),
                    reason: "r".into()
                }),
                1
            )
            .is_empty()
        );
    }
}
