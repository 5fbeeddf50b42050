//! What `/metrics` shows: the latest completed scan's certificates and health, and counts of
//! the events handled, kept between scrapes. Pure: the clock's readings are passed in.

use super::exposition::Family;
use crate::outcome::{ErrorKind, Outcome, ScanReport, ScannedCertificate};
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Every `status` an outcome can have, so each count is there (at 0) from the start: a rate
/// over a series that appears only with its first event misses that event.
const STATUSES: [&str; 4] = ["handled", "scanned", "not-handled", "error"];

/// The counts and the latest scan.
#[derive(Debug, Clone)]
pub struct ExporterState {
    started_at: f64,
    scan_interval: Option<Duration>,
    latest_scan: Option<CompletedScan>,
    scan_failures: u64,
    events: BTreeMap<&'static str, u64>,
    errors: BTreeMap<&'static str, u64>,
}

/// A scan that ended in a report.
#[derive(Debug, Clone)]
struct CompletedScan {
    finished_at: f64,
    took: f64,
    seen: u64,
    expiring: u64,
    excluded: u64,
    failed: u64,
    certificates: Vec<ScannedCertificate>,
}

impl ExporterState {
    /// Nothing counted yet, for a process started at `started_at` that scans every
    /// `scan_interval` (if it scans by itself at all).
    pub fn new(started_at: SystemTime, scan_interval: Option<Duration>) -> Self {
        Self {
            started_at: unix_seconds(started_at),
            scan_interval,
            latest_scan: None,
            scan_failures: 0,
            events: STATUSES.iter().map(|s| (*s, 0)).collect(),
            errors: ErrorKind::ALL.iter().map(|k| (k.name(), 0)).collect(),
        }
    }

    /// Counts one event's outcome: by its status, and an error by its kind.
    pub fn count_event(&mut self, outcome: &Outcome) {
        *self.events.entry(outcome.status()).or_default() += 1;
        if let Outcome::Error(failure) = outcome {
            *self.errors.entry(failure.kind.name()).or_default() += 1;
        }
    }

    /// A scheduled scan that ended in `outcome` at `finished_at`, after `took`: counted as an
    /// event; a report replaces the previous scan's series (certificates gone disappear with
    /// it), anything else is a failure that leaves them as they were.
    pub fn record_scan(&mut self, outcome: Outcome, finished_at: SystemTime, took: Duration) {
        self.count_event(&outcome);
        match outcome {
            Outcome::Scanned(report) => {
                self.latest_scan = Some(CompletedScan::new(
                    report,
                    unix_seconds(finished_at),
                    took.as_secs_f64(),
                ));
            }
            _ => self.scan_failures += 1,
        }
    }

    /// Every family, in the order the page shows them.
    pub fn families(&self) -> Vec<Family> {
        let scan = self.latest_scan.as_ref();
        let mut not_after = Family::gauge(
            "certwatch_certificate_not_after_timestamp_seconds",
            "When the certificate expires (ACM's NotAfter), as of the latest completed scan.",
        );
        let mut days_left = Family::gauge(
            "certwatch_certificate_days_left",
            "Whole days to the certificate's expiry when the latest completed scan ran; negative once expired.",
        );
        for certificate in scan.map_or(&[][..], |s| &s.certificates) {
            let Some(expires) = certificate.not_after.as_deref().and_then(parse_rfc3339) else {
                continue;
            };
            let in_use = certificate
                .in_use
                .map(|u| u.to_string())
                .unwrap_or_default();
            let labels = [
                ("arn", certificate.arn.as_str()),
                ("domain", certificate.domain.as_str()),
                ("account", account_of(&certificate.arn)),
                ("region", certificate.region.as_str()),
                ("type", certificate.kind.as_deref().unwrap_or_default()),
                ("in_use", in_use.as_str()),
            ];
            not_after.sample(&labels, expires);
            if let Some(days) = certificate.days_left {
                days_left.sample(&labels, days as f64);
            }
        }
        let mut last_success = Family::gauge(
            "certwatch_scan_last_success_timestamp_seconds",
            "When the latest scan that completed ended.",
        );
        let mut duration = Family::gauge(
            "certwatch_scan_duration_seconds",
            "How long the latest scan that completed took.",
        );
        let mut states = Family::gauge(
            "certwatch_scan_certificates",
            "Certificates in the latest completed scan, by state: seen, expiring (inside the window and watched), excluded (by a filter), failed (not judged).",
        );
        if let Some(scan) = scan {
            last_success.sample(&[], scan.finished_at);
            duration.sample(&[], scan.took);
            for (state, count) in [
                ("seen", scan.seen),
                ("expiring", scan.expiring),
                ("excluded", scan.excluded),
                ("failed", scan.failed),
            ] {
                states.sample(&[("state", state)], count as f64);
            }
        }
        let mut interval = Family::gauge(
            "certwatch_scan_interval_seconds",
            "How often serve runs the scheduled scan itself (--scan-every).",
        );
        if let Some(every) = self.scan_interval {
            interval.sample(&[], every.as_secs_f64());
        }
        let mut events = Family::counter(
            "certwatch_events_total",
            "Events handled (served and scheduled scans), by outcome.",
        );
        for (outcome, count) in &self.events {
            events.sample(&[("outcome", outcome)], *count as f64);
        }
        let mut errors = Family::counter(
            "certwatch_errors_total",
            "Events that ended in an error, by kind.",
        );
        for (kind, count) in &self.errors {
            errors.sample(&[("kind", kind)], *count as f64);
        }
        vec![
            not_after,
            days_left,
            last_success,
            duration,
            states,
            interval,
            Family::counter(
                "certwatch_scan_failures_total",
                "Scheduled scans that failed; the previous scan's series are kept.",
            )
            .with_value(self.scan_failures as f64),
            events,
            errors,
            Family::gauge(
                "certwatch_start_time_seconds",
                "When this certwatch process started.",
            )
            .with_value(self.started_at),
        ]
    }
}

impl CompletedScan {
    fn new(report: ScanReport, finished_at: f64, took: f64) -> Self {
        let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
        Self {
            finished_at,
            took,
            seen: u64::from(report.certificates_seen),
            expiring: count(report.expiring.len()),
            excluded: u64::from(report.excluded),
            failed: count(report.failed.len()),
            certificates: report.certificates,
        }
    }
}

/// The account in an ACM certificate's ARN (`arn:<partition>:acm:<region>:<account>:…`), so
/// that it stays right when one scan covers many accounts; empty for anything else.
pub fn account_of(arn: &str) -> &str {
    let mut parts = arn.splitn(6, ':');
    match (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        (Some("arn"), Some(_), Some("acm"), Some(_), Some(account), Some(_)) => account,
        _ => "",
    }
}

fn parse_rfc3339(text: &str) -> Option<f64> {
    let at = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    Some(at.unix_timestamp() as f64)
}

fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::super::exposition::render;
    use super::*;
    use crate::outcome::{Certificate, FailedCertificate, ScanAction};

    const ARN: &str =
        "arn:aws:acm:eu-west-1:210987654321:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b";

    fn at(seconds: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(seconds)
    }

    fn certificate(
        arn: &str,
        not_after: Option<&str>,
        days_left: Option<i64>,
    ) -> ScannedCertificate {
        ScannedCertificate {
            arn: arn.into(),
            domain: "www.example.com".into(),
            region: "eu-west-1".into(),
            not_after: not_after.map(Into::into),
            days_left,
            in_window: true,
            kind: Some("IMPORTED".into()),
            in_use: Some(true),
            status: Some("ISSUED".into()),
            action: ScanAction::FindingRaised,
            reason: None,
        }
    }

    fn scanned(certificates: Vec<ScannedCertificate>) -> Outcome {
        Outcome::Scanned(ScanReport {
            event_id: "s".into(),
            regions: vec!["eu-west-1".into()],
            certificates_seen: 3,
            excluded: 1,
            expiring: vec![Certificate {
                arn: ARN.into(),
                domain: "www.example.com".into(),
                not_after: "2027-01-01T00:00:00Z".into(),
                days_left: 12,
            }],
            findings_imported: 1,
            findings_resolved: 0,
            notifications: vec![],
            failed: vec![FailedCertificate {
                arn: "arn:aws:acm:eu-west-1:210987654321:certificate/f".into(),
                message: "gone".into(),
            }],
            skipped: vec![],
            planned: vec![],
            certificates,
            accounts: vec![],
            events: vec![],
        })
    }

    fn lines_of(page: &str, name: &str) -> Vec<String> {
        page.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn the_account_comes_from_the_arn() {
        assert_eq!(account_of(ARN), "210987654321");
        assert_eq!(
            account_of("arn:aws-cn:acm:cn-north-1:123456789012:certificate/x"),
            "123456789012"
        );
        assert_eq!(account_of("arn:aws:sns:us-east-1:123456789012:topic"), "");
        assert_eq!(account_of("not an arn"), "");
        assert_eq!(account_of(""), "");
    }

    #[test]
    fn a_scan_gives_one_series_a_certificate_with_its_labels() {
        let mut state = ExporterState::new(at(100), Some(Duration::from_secs(21_600)));
        let expiring = certificate(ARN, Some("2027-01-01T00:00:00Z"), Some(12));
        let pending = certificate(
            "arn:aws:acm:eu-west-1:210987654321:certificate/p",
            None,
            None,
        );
        state.record_scan(
            scanned(vec![expiring, pending]),
            at(1_000),
            Duration::from_millis(1_500),
        );
        let page = render(&state.families());
        let labels = format!(
            "{{arn=\"{ARN}\",domain=\"www.example.com\",account=\"210987654321\",region=\"eu-west-1\",type=\"IMPORTED\",in_use=\"true\"}}"
        );
        assert_eq!(
            lines_of(&page, "certwatch_certificate_not_after_timestamp_seconds"),
            [format!(
                "certwatch_certificate_not_after_timestamp_seconds{labels} 1798761600"
            )]
        );
        assert_eq!(
            lines_of(&page, "certwatch_certificate_days_left"),
            [format!("certwatch_certificate_days_left{labels} 12")]
        );
        assert_eq!(
            lines_of(&page, "certwatch_scan_last_success_timestamp_seconds"),
            ["certwatch_scan_last_success_timestamp_seconds 1000"]
        );
        assert_eq!(
            lines_of(&page, "certwatch_scan_duration_seconds"),
            ["certwatch_scan_duration_seconds 1.5"]
        );
        assert_eq!(
            lines_of(&page, "certwatch_scan_certificates"),
            [
                "certwatch_scan_certificates{state=\"seen\"} 3",
                "certwatch_scan_certificates{state=\"expiring\"} 1",
                "certwatch_scan_certificates{state=\"excluded\"} 1",
                "certwatch_scan_certificates{state=\"failed\"} 1",
            ]
        );
        assert_eq!(
            lines_of(&page, "certwatch_scan_interval_seconds"),
            ["certwatch_scan_interval_seconds 21600"]
        );
        assert!(
            page.contains("certwatch_events_total{outcome=\"scanned\"} 1\n"),
            "{page}"
        );
        assert!(
            page.contains("certwatch_start_time_seconds 100\n"),
            "{page}"
        );
    }

    #[test]
    fn the_next_scan_replaces_the_series_and_a_failure_keeps_them() {
        let mut state = ExporterState::new(at(0), Some(Duration::from_secs(60)));
        let gone = "arn:aws:acm:eu-west-1:210987654321:certificate/gone";
        let both = vec![
            certificate(ARN, Some("2027-01-01T00:00:00Z"), Some(12)),
            certificate(gone, Some("2027-02-01T00:00:00Z"), Some(43)),
        ];
        state.record_scan(scanned(both), at(10), Duration::from_secs(1));
        let one = vec![certificate(ARN, Some("2027-01-01T00:00:00Z"), Some(12))];
        state.record_scan(scanned(one), at(20), Duration::from_secs(1));
        let page = render(&state.families());
        assert!(!page.contains(gone), "{page}");
        assert_eq!(lines_of(&page, "certwatch_certificate_days_left").len(), 1);

        let failed = Outcome::failure(ErrorKind::Aws, "AccessDenied", false);
        state.record_scan(failed, at(30), Duration::from_secs(1));
        let after = render(&state.families());
        assert_eq!(
            lines_of(&after, "certwatch_certificate_days_left"),
            lines_of(&page, "certwatch_certificate_days_left")
        );
        assert!(after.contains("certwatch_scan_last_success_timestamp_seconds 20\n"));
        assert!(
            after.contains("certwatch_scan_failures_total 1\n"),
            "{after}"
        );
        assert!(
            after.contains("certwatch_errors_total{kind=\"aws\"} 1\n"),
            "{after}"
        );
        assert!(after.contains("certwatch_events_total{outcome=\"error\"} 1\n"));
        assert!(after.contains("certwatch_events_total{outcome=\"scanned\"} 2\n"));
    }

    #[test]
    fn every_count_is_there_from_the_start_and_no_scan_means_no_scan_series() {
        let page = render(&ExporterState::new(at(0), None).families());
        for status in STATUSES {
            assert!(page.contains(&format!(
                "certwatch_events_total{{outcome=\"{status}\"}} 0\n"
            )));
        }
        for kind in ErrorKind::ALL {
            assert!(page.contains(&format!("certwatch_errors_total{{kind=\"{kind}\"}} 0\n")));
        }
        assert!(lines_of(&page, "certwatch_scan_last_success_timestamp_seconds").is_empty());
        assert!(lines_of(&page, "certwatch_scan_interval_seconds").is_empty());
        assert!(page.contains("# TYPE certwatch_certificate_days_left gauge\n"));
    }

    #[test]
    fn every_outcome_status_is_counted_from_the_start() {
        let handled = Outcome::NotHandled(crate::outcome::Ignored {
            event_id: "e".into(),
            source: "aws.ec2".into(),
            detail_type: "x".into(),
            reason: "r".into(),
        });
        for outcome in [
            handled,
            scanned(vec![]),
            Outcome::failure(ErrorKind::Trap, "t", false),
        ] {
            assert!(STATUSES.contains(&outcome.status()), "{}", outcome.status());
        }
    }
}
