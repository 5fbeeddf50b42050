//! The one outcome every event ends in: what `run` prints, `serve` answers, Lambda returns and
//! each fixture's `outcome.json` holds.

use crate::failure::Failure;
pub use crate::scanned::{ScanAction, ScannedCertificate};
use serde::{Deserialize, Serialize};

/// What handling one event came to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    /// A certificate's event, acted upon.
    Handled(Handled),
    /// A scheduled scan's report.
    Scanned(ScanReport),
    /// A well-formed event that certwatch does not act on.
    NotHandled(Ignored),
    /// The event could not be handled; sending it again may help (`retryable`).
    Error(Failure),
}

impl Outcome {
    /// An error outcome of `kind`, without an AWS operation.
    pub fn failure(kind: crate::ErrorKind, message: impl Into<String>, retryable: bool) -> Self {
        Self::Error(Failure {
            retryable,
            ..Failure::new(kind, message)
        })
    }

    /// Whether the event failed.
    pub fn is_error(&self) -> bool {
        matches!(self, Self::Error(_))
    }

    /// `handled`, `scanned`, `not-handled` or `error`: the `status` field.
    pub fn status(&self) -> &'static str {
        match self {
            Self::Handled(_) => "handled",
            Self::Scanned(_) => "scanned",
            Self::NotHandled(_) => "not-handled",
            Self::Error(_) => "error",
        }
    }
}

impl From<Result<Outcome, Failure>> for Outcome {
    fn from(result: Result<Outcome, Failure>) -> Self {
        result.unwrap_or_else(Outcome::Error)
    }
}

/// What certwatch concluded about a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// Inside the expiry window: a finding is raised and the owner told.
    Expiring,
    /// Outside the window: nothing to do.
    NotExpiring,
    /// Renewed out of the window: the finding resolved, the owner told.
    Resolved,
    /// ACM cannot renew it by itself: a finding and a message say what to fix.
    ActionRequired,
    /// Left out by a filter: nothing done.
    Excluded,
}

impl Decision {
    /// The name the decision has in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Self::Expiring => "expiring",
            Self::NotExpiring => "not-expiring",
            Self::Resolved => "resolved",
            Self::ActionRequired => "action-required",
            Self::Excluded => "excluded",
        }
    }
}

impl std::fmt::Display for Decision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The certificate as ACM described it at the time of the event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The certificate's ARN.
    pub arn: String,
    /// Its domain name.
    pub domain: String,
    /// RFC 3339, UTC.
    pub not_after: String,
    /// Whole days from "now" to `not_after`, rounded down; negative once expired.
    pub days_left: i64,
}

/// The Security Hub finding that was imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingImport {
    /// The finding's stable id: the same certificate always maps to the same finding.
    pub id: String,
    /// The region whose hub received it.
    pub region: String,
    /// `BatchImportFindings`' `SuccessCount`.
    pub imported: u32,
}

/// An SNS message that was published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// The topic it went to.
    pub topic_arn: String,
    /// SNS's id for it.
    pub message_id: String,
}

/// An EventBridge event certwatch put on `EVENT_BUS_NAME`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PutEvent {
    /// The bus, as `EVENT_BUS_NAME` names it.
    pub event_bus: String,
    /// Its `detail-type`, e.g. `Certificate Expiring`.
    pub detail_type: String,
    /// EventBridge's id for it.
    pub event_id: String,
}

/// A step certwatch deliberately did not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    /// Importing or resolving the finding.
    SecurityHub,
    /// Publishing a message.
    Notification,
}

impl std::fmt::Display for Step {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::SecurityHub => "security-hub",
            Self::Notification => "notification",
        })
    }
}

/// A step not taken, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// Which step.
    pub step: Step,
    /// Why.
    pub reason: String,
}

/// A request a dry run (`DRY_RUN`) would have sent, instead of sending it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRequest {
    /// The AWS operation, e.g. `securityhub:BatchImportFindings`.
    pub operation: String,
    /// Where it would have gone.
    pub url: String,
    /// What it would have said.
    pub body: String,
}

/// A certificate event that was acted upon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handled {
    /// The EventBridge event's id.
    pub event_id: String,
    /// The certificate, as described.
    pub certificate: Certificate,
    /// What certwatch concluded.
    pub decision: Decision,
    /// The finding imported, if one was.
    pub finding: Option<FindingImport>,
    /// To `SNS_TOPIC_ARN`, then to the topic the certificate's `OWNER_TOPIC_TAG` names.
    pub notifications: Vec<Notification>,
    /// Steps not taken, and why.
    pub skipped: Vec<Skipped>,
    /// In a dry run, every request that would have changed something; else empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<PlannedRequest>,
    /// The events put on `EVENT_BUS_NAME`: one per decision; empty when it is unset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<PutEvent>,
}

/// A certificate a scan could not judge, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCertificate {
    /// The certificate's ARN.
    pub arn: String,
    /// What went wrong.
    pub message: String,
}

/// What a scheduled scan found and did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    /// The schedule's event id.
    pub event_id: String,
    /// The regions scanned.
    pub regions: Vec<String>,
    /// Every certificate listed.
    pub certificates_seen: u32,
    /// Inside the window but left out by a filter.
    #[serde(default)]
    pub excluded: u32,
    /// Inside the window, soonest first.
    pub expiring: Vec<Certificate>,
    /// Findings imported.
    pub findings_imported: u32,
    /// Open findings of certificates renewed (now outside the window) or deleted since,
    /// resolved.
    #[serde(default)]
    pub findings_resolved: u32,
    /// The digest, in as many messages as it took, and each owner topic's own.
    pub notifications: Vec<Notification>,
    /// Certificates that could not be judged.
    pub failed: Vec<FailedCertificate>,
    /// Steps not taken, and why.
    pub skipped: Vec<Skipped>,
    /// In a dry run, every request that would have changed something; else empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<PlannedRequest>,
    /// Every certificate seen, soonest expiry first, only when the host asked for them
    /// ([`crate::settings::SCAN_LIST`], which only `certwatch scan` sets): a scheduled scan's
    /// outcome does not grow with the account.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub certificates: Vec<ScannedCertificate>,
    /// Each account's part, where the scan covered accounts (`SCAN_ACCOUNTS`); else empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub accounts: Vec<crate::AccountScan>,
    /// The events put on `EVENT_BUS_NAME`; empty when it is unset.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<PutEvent>,
}

impl ScanReport {
    /// A report of scanning `regions` for the schedule `event_id` that has found and done
    /// nothing yet.
    pub fn new(event_id: &str, regions: &[String]) -> Self {
        Self {
            event_id: event_id.to_owned(),
            regions: regions.to_vec(),
            certificates_seen: 0,
            excluded: 0,
            expiring: Vec::new(),
            findings_imported: 0,
            findings_resolved: 0,
            notifications: Vec::new(),
            failed: Vec::new(),
            skipped: Vec::new(),
            planned: Vec::new(),
            certificates: Vec::new(),
            accounts: Vec::new(),
            events: Vec::new(),
        }
    }
}

/// A well-formed EventBridge event that certwatch does not act on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    /// The event's id.
    pub event_id: String,
    /// Its `source`.
    pub source: String,
    /// Its `detail-type`.
    pub detail_type: String,
    /// Why certwatch does not act on it.
    pub reason: String,
}
