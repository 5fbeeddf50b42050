//! What `serve` counts about its connections: how many are open and accepted, and each time a
//! limit turned a client away or closed its connection. The counters are listed for a metrics
//! endpoint, summed up at shutdown, and each kind of incident is warned about once per burst.

use super::burst::{BurstLog, REPORT_EVERY, Report};
use crate::prometheus::exposition::Family;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// A limit that turned a client away or closed its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Incident {
    /// A new connection past `--max-connections`: answered 503 and closed.
    TooManyConnections,
    /// The request's head did not arrive within `--header-read-timeout`.
    HeaderTimeout,
    /// The request's body did not arrive within `--body-read-timeout`: answered 408.
    BodyTimeout,
    /// A kept-alive connection sent nothing for `--keep-alive-timeout` (ordinary, not abuse).
    IdleTimeout,
    /// The request's head was larger than serve reads: answered 431.
    HeaderTooLarge,
    /// The body was over `--max-body-bytes`: answered 413.
    BodyTooLarge,
    /// The API key was missing or wrong: answered 401 before the body was read.
    Unauthorized,
}

const INCIDENTS: [Incident; 7] = [
    Incident::TooManyConnections,
    Incident::HeaderTimeout,
    Incident::BodyTimeout,
    Incident::IdleTimeout,
    Incident::HeaderTooLarge,
    Incident::BodyTooLarge,
    Incident::Unauthorized,
];

impl Incident {
    /// The metric family and its `reason` label.
    fn metric(self) -> (&'static str, &'static str) {
        const REJECTED: &str = "certwatch_connections_rejected_total";
        const TIMED_OUT: &str = "certwatch_connections_timed_out_total";
        const REFUSED: &str = "certwatch_requests_refused_total";
        match self {
            Self::TooManyConnections => (REJECTED, "max_connections"),
            Self::HeaderTimeout => (TIMED_OUT, "header"),
            Self::BodyTimeout => (TIMED_OUT, "body"),
            Self::IdleTimeout => (TIMED_OUT, "idle"),
            Self::HeaderTooLarge => (REFUSED, "header_too_large"),
            Self::BodyTooLarge => (REFUSED, "body_too_large"),
            Self::Unauthorized => (REFUSED, "unauthorized"),
        }
    }

    fn help(self) -> &'static str {
        match self {
            Self::TooManyConnections => {
                "Connections answered 503 and closed because --max-connections were open."
            }
            Self::HeaderTimeout | Self::BodyTimeout | Self::IdleTimeout => {
                "Connections closed by a read timeout: the request head, the body, or idle keep-alive."
            }
            Self::HeaderTooLarge | Self::BodyTooLarge | Self::Unauthorized => {
                "Requests refused before their event reached the component."
            }
        }
    }

    /// What the warning says, in a few words.
    fn what(self) -> &'static str {
        match self {
            Self::TooManyConnections => "a connection was turned away: --max-connections are open",
            Self::HeaderTimeout => "a connection was closed: its request head was not sent in time",
            Self::BodyTimeout => "a request was answered 408: its body was not sent in time",
            Self::IdleTimeout => "an idle kept-alive connection was closed",
            Self::HeaderTooLarge => "a request was answered 431: its head is too large",
            Self::BodyTooLarge => "a request was answered 413: its body is too large",
            Self::Unauthorized => "a request was answered 401: its API key is missing or wrong",
        }
    }

    /// Its name in the shutdown summary.
    fn name(self) -> &'static str {
        match self {
            Self::TooManyConnections => "turned_away",
            Self::HeaderTimeout => "header_timeout",
            Self::BodyTimeout => "body_timeout",
            Self::IdleTimeout => "idle_timeout",
            Self::HeaderTooLarge => "header_too_large",
            Self::BodyTooLarge => "body_too_large",
            Self::Unauthorized => "unauthorized",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Whether a metric only goes up or goes up and down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Only goes up (Prometheus `counter`).
    Counter,
    /// Goes up and down (Prometheus `gauge`).
    Gauge,
}

/// One value for a metrics endpoint. Samples of one family come one after another, with the
/// same `family`, `help` and `kind`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The metric's name with its labels, Prometheus style:
    /// `certwatch_connections_rejected_total{reason="max_connections"}`.
    pub name: String,
    /// The name without labels, for `# HELP` and `# TYPE` lines.
    pub family: &'static str,
    /// What the family counts.
    pub help: &'static str,
    /// Counter or gauge.
    pub kind: MetricKind,
    /// The value now.
    pub value: u64,
    /// The `reason` label, for the families that have one.
    pub reason: Option<&'static str>,
}

/// `serve`'s connection counters, shared by every worker.
#[derive(Debug)]
pub struct ConnectionCounters {
    open: AtomicU64,
    accepted: AtomicU64,
    incidents: [AtomicU64; INCIDENTS.len()],
    bursts: [Mutex<BurstLog>; INCIDENTS.len()],
}

impl Default for ConnectionCounters {
    fn default() -> Self {
        Self {
            open: AtomicU64::new(0),
            accepted: AtomicU64::new(0),
            incidents: std::array::from_fn(|_| AtomicU64::new(0)),
            bursts: std::array::from_fn(|_| Mutex::new(BurstLog::new(REPORT_EVERY))),
        }
    }
}

impl ConnectionCounters {
    /// A connection was accepted under the cap; it is open until `closed`.
    pub(super) fn opened(&self) {
        self.accepted.fetch_add(1, Ordering::Relaxed);
        self.open.fetch_add(1, Ordering::Relaxed);
    }

    /// A connection accepted under the cap has closed.
    pub(super) fn closed(&self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts `incident`, and warns about it once per burst.
    pub(super) fn record(&self, incident: Incident) {
        self.incidents[incident.index()].fetch_add(1, Ordering::Relaxed);
        let report = match self.bursts[incident.index()].lock() {
            Ok(mut burst) => burst.note(Instant::now()),
            // A worker panicked while holding it: count, but do not log.
            Err(_) => None,
        };
        let what = incident.what();
        match (report, incident) {
            (None, _) => {}
            // Clients closing idle connections late is ordinary; nobody need be warned.
            (Some(_), Incident::IdleTimeout) => tracing::debug!("{what}"),
            (Some(Report::First), _) => tracing::warn!("{what} (further ones are counted)"),
            (Some(Report::Again { count, over }), _) => {
                tracing::warn!("{what}: {count} times in the last {} s", over.as_secs());
            }
        }
    }

    /// How many times `incident` happened.
    pub fn count(&self, incident: Incident) -> u64 {
        self.incidents[incident.index()].load(Ordering::Relaxed)
    }

    /// Every counter, for a metrics endpoint.
    pub fn samples(&self) -> Vec<Sample> {
        let mut samples = vec![
            Sample {
                name: "certwatch_connections_open".into(),
                family: "certwatch_connections_open",
                help: "Client connections open now.",
                kind: MetricKind::Gauge,
                value: self.open.load(Ordering::Relaxed),
                reason: None,
            },
            Sample {
                name: "certwatch_connections_accepted_total".into(),
                family: "certwatch_connections_accepted_total",
                help: "Client connections accepted under --max-connections.",
                kind: MetricKind::Counter,
                value: self.accepted.load(Ordering::Relaxed),
                reason: None,
            },
        ];
        samples.extend(INCIDENTS.iter().map(|&incident| {
            let (family, reason) = incident.metric();
            Sample {
                name: format!("{family}{{reason=\"{reason}\"}}"),
                family,
                help: incident.help(),
                kind: MetricKind::Counter,
                value: self.count(incident),
                reason: Some(reason),
            }
        }));
        samples
    }

    /// The samples as the exposition's families, for `GET /metrics`.
    pub fn families(&self) -> Vec<Family> {
        let mut families: Vec<Family> = Vec::new();
        for sample in self.samples() {
            if families.last().map(Family::name) != Some(sample.family) {
                families.push(match sample.kind {
                    MetricKind::Counter => Family::counter(sample.family, sample.help),
                    MetricKind::Gauge => Family::gauge(sample.family, sample.help),
                });
            }
            let labels: Vec<(&'static str, &str)> =
                sample.reason.map(|r| ("reason", r)).into_iter().collect();
            if let Some(family) = families.last_mut() {
                family.sample(&labels, sample.value as f64);
            }
        }
        families
    }

    /// One line for the shutdown log: connections accepted, and each limit that acted.
    pub fn summary(&self) -> String {
        let mut line = format!(
            "{} connections accepted",
            self.accepted.load(Ordering::Relaxed)
        );
        for incident in INCIDENTS {
            let count = self.count(incident);
            if count > 0 {
                line.push_str(&format!(", {} {count}", incident.name()));
            }
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_incident_is_counted_under_its_own_name() {
        let counters = ConnectionCounters::default();
        counters.opened();
        counters.opened();
        counters.closed();
        for (times, incident) in INCIDENTS.iter().enumerate() {
            for _ in 0..=times {
                counters.record(*incident);
            }
        }
        let samples = counters.samples();
        let value = |name: &str| {
            samples
                .iter()
                .find(|s| s.name == name)
                .unwrap_or_else(|| panic!("no {name} in {samples:?}"))
                .value
        };
        assert_eq!(value("certwatch_connections_open"), 1);
        assert_eq!(value("certwatch_connections_accepted_total"), 2);
        assert_eq!(
            value(r#"certwatch_connections_rejected_total{reason="max_connections"}"#),
            1
        );
        assert_eq!(
            value(r#"certwatch_connections_timed_out_total{reason="header"}"#),
            2
        );
        assert_eq!(
            value(r#"certwatch_requests_refused_total{reason="unauthorized"}"#),
            7
        );
        let names: std::collections::HashSet<_> = samples.iter().map(|s| &s.name).collect();
        assert_eq!(names.len(), samples.len(), "a name listed twice");
    }

    #[test]
    fn a_family_samples_are_listed_together() {
        let samples = ConnectionCounters::default().samples();
        let mut seen: Vec<&str> = Vec::new();
        for sample in &samples {
            if seen.last() != Some(&sample.family) {
                assert!(
                    !seen.contains(&sample.family),
                    "{} is split: {samples:?}",
                    sample.family
                );
                seen.push(sample.family);
            }
            assert!(sample.name.starts_with(sample.family));
        }
    }

    #[test]
    fn the_families_render_as_the_samples_name_them() {
        let counters = ConnectionCounters::default();
        counters.record(Incident::HeaderTimeout);
        let page = crate::prometheus::exposition::render(&counters.families());
        for sample in counters.samples() {
            assert!(
                page.lines()
                    .any(|l| l == format!("{} {}", sample.name, sample.value)),
                "{} missing from:\n{page}",
                sample.name
            );
        }
        let types = page.lines().filter(|l| l.starts_with("# TYPE ")).count();
        let families: std::collections::BTreeSet<&str> =
            counters.samples().iter().map(|s| s.family).collect();
        assert_eq!(types, families.len(), "{page}");
    }

    #[test]
    fn the_summary_names_only_the_limits_that_acted() {
        let counters = ConnectionCounters::default();
        counters.opened();
        counters.record(Incident::BodyTimeout);
        assert_eq!(counters.summary(), "1 connections accepted, body_timeout 1");
    }
}
