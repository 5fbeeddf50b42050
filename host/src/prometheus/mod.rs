//! certwatch as a Prometheus exporter: what `serve`'s `GET /metrics` answers, from the latest
//! completed scan and the events served, with no AWS call.
//!
//! - `exposition`: the text format itself (help, type, escaping), knowing nothing of certwatch;
//! - `state`: what certwatch counts and the latest scan, as families of that format.
//!
//! [`Exporter`] is the one both sides share: serve's workers and its scheduled scan write to
//! it, scrapes read it.

pub mod exposition;
pub mod state;

use exposition::Family;
use state::ExporterState;
use std::sync::{Mutex, MutexGuard};

/// The state behind a lock, shared by the threads that serve and the one that scans.
#[derive(Debug)]
pub struct Exporter {
    state: Mutex<ExporterState>,
}

impl Exporter {
    /// Shares `state`.
    pub fn new(state: ExporterState) -> Self {
        Self {
            state: Mutex::new(state),
        }
    }

    /// Changes the state (counts an event, records a scan).
    pub fn update(&self, change: impl FnOnce(&mut ExporterState)) {
        change(&mut self.lock());
    }

    /// The page: the state's families, then `more` (counts kept elsewhere).
    pub fn render(&self, more: impl IntoIterator<Item = Family>) -> String {
        let mut families = self.lock().families();
        families.extend(more);
        exposition::render(&families)
    }

    /// The state, even after a thread panicked holding it: counts are plain numbers, never
    /// left half-written.
    fn lock(&self) -> MutexGuard<'_, ExporterState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
