//! The component's `progress` import, on the host's side: a scan tells how far it has come,
//! and whoever runs the event may show it (`certwatch scan`'s progress line). Every event's
//! linker defines it, so the component that imports it runs in every command, and the portable
//! one, which does not, runs too (it just tells nothing).

use crate::bindings::progress;
use crate::sandbox::Sandbox;
use certwatch_contract::ScanProgress;

/// Hears each report. Called on the thread that runs the instance, between its requests:
/// it must be quick.
pub type ProgressSink = Box<dyn FnMut(ScanProgress) + Send>;

impl progress::Host for Sandbox {
    fn report(&mut self, report: progress::ScanProgress) {
        if let Some(sink) = self.progress.as_mut() {
            sink(crate::outcome::progress(report));
        }
    }
}
