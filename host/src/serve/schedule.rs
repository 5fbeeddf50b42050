//! `serve --scan-every`: serve runs the scheduled scan itself, for a deployment without
//! EventBridge (a pod, say). The same event `certwatch scan` builds, with the same settings as
//! any scheduled event and the list of certificates asked for, so `/metrics` shows every one.
//! One scan at a time: the first at start, then one each interval; a scan that fails is
//! logged and counted, and the next runs as planned.

use crate::prometheus::Exporter;
use crate::runtime::Runtime;
use crate::scan::event::{scheduled_event, with_flags};
use crate::setup::Live;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;
use tokio::time::MissedTickBehavior;

/// What a scan runs with, and where its result goes.
pub(super) struct Scanner {
    pub(super) runtime: Arc<Runtime>,
    pub(super) live: Live,
    pub(super) exporter: Arc<Exporter>,
    pub(super) emf: bool,
}

impl Scanner {
    /// Scans every `every` until `stopped` changes. A scan in flight then is finished, not
    /// dropped: the runtime's deadline bounds it, as it bounds every event.
    pub(super) async fn run(self, every: Duration, mut stopped: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(every);
        // A scan longer than the interval delays the next one; scans never pile up.
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                _ = stopped.changed() => return,
            }
            self.scan_once().await;
            if *stopped.borrow() {
                return;
            }
        }
    }

    async fn scan_once(&self) {
        let started = Instant::now();
        let event = scheduled_event(time::OffsetDateTime::now_utc());
        let outcome = match self.live.event().await {
            Ok(setup) => {
                let setup = with_flags(setup, &[], false);
                self.runtime.handle(&event, setup).await
            }
            Err(outcome) => outcome,
        };
        let took = started.elapsed();
        match &outcome {
            crate::outcome::Outcome::Scanned(report) => tracing::info!(
                certificates = report.certificates_seen,
                expiring = report.expiring.len(),
                took_ms = took.as_millis(),
                "the scheduled scan completed"
            ),
            crate::outcome::Outcome::Error(failure) => tracing::warn!(
                kind = %failure.kind,
                error = %failure.message,
                "the scheduled scan failed; the previous scan's metrics stay"
            ),
            other => tracing::warn!(status = other.status(), "the scheduled scan did not scan"),
        }
        if self.emf {
            crate::metrics::emit(&outcome, crate::metrics::Sink::Stderr);
        }
        self.exporter
            .update(|state| state.record_scan(outcome, SystemTime::now(), took));
    }
}
