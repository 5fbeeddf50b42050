//! What certwatch's component and its host agree on, written once.
//!
//! - [`outcome`]: the one outcome every event ends in, with the names it has in JSON;
//! - [`scanned`]: one certificate a scan saw, as `certwatch scan` lists it; [`progress`]: how
//!   far a scan has come, as the component tells the host;
//! - [`failure`]: why an event was not handled, with one [`ErrorKind`] for the component's
//!   kinds and the host's own;
//! - [`status`]: the HTTP status each outcome is answered with, wherever it is served;
//! - [`settings`]: the names of the environment variables the component reads;
//! - [`endpoints`]: the AWS services certwatch calls, the partitions they live in, and their
//!   endpoints, from which both the component's requests and the host's outbound policy follow;
//! - [`fixture`]: the files of a replay fixture under `events/`.
//!
//! The WIT world (`wit/certwatch.wit`) stays the component's boundary: the component converts
//! these types into its records, the host converts them back. Nothing else mirrors them.
//!
//! ```
//! use certwatch_contract::{ErrorKind, Failure, Outcome, http_status};
//!
//! let throttled = Failure { retryable: true, ..Failure::new(ErrorKind::Aws, "slow down") };
//! assert_eq!(http_status(&Outcome::Error(throttled)), 503);
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs, unreachable_pub, missing_debug_implementations)]

pub mod account_scan;
pub mod endpoints;
pub mod failure;
pub mod fixture;
pub mod outcome;
pub mod progress;
pub mod scanned;
pub mod settings;
pub mod status;

pub use account_scan::{AccountScan, RegionScan};
pub use endpoints::{Partition, Service, is_region};
pub use failure::{ErrorKind, Failure};
pub use outcome::{
    Certificate, Decision, FailedCertificate, FindingImport, Handled, Ignored, Notification,
    Outcome, PlannedRequest, ScanAction, ScanReport, ScannedCertificate, Skipped, Step,
};
pub use progress::ScanProgress;
pub use status::http_status;
