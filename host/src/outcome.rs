//! The one outcome every event ends in, as the JSON that `run`, `replay` and the fixtures use.

use crate::bindings::wit;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "kebab-case")]
pub enum Outcome {
    Handled(Handled),
    Scanned(ScanReport),
    NotHandled(Ignored),
    Error(Failure),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handled {
    pub event_id: String,
    pub certificate: Certificate,
    /// `expiring`, `not-expiring`, `resolved`, `action-required` or `excluded`.
    pub decision: String,
    pub finding: Option<Finding>,
    pub notifications: Vec<Notification>,
    pub skipped: Vec<Skipped>,
    /// In a dry run, the requests that would have changed something.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<PlannedRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlannedRequest {
    pub operation: String,
    pub url: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    pub arn: String,
    pub domain: String,
    pub not_after: String,
    pub days_left: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub id: String,
    pub region: String,
    pub imported: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub topic_arn: String,
    pub message_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    /// `security-hub` or `notification`.
    pub step: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanReport {
    pub event_id: String,
    pub regions: Vec<String>,
    pub certificates_seen: u32,
    /// Inside the window but left out by a filter.
    #[serde(default)]
    pub excluded: u32,
    /// Inside the window, soonest first.
    pub expiring: Vec<Certificate>,
    pub findings_imported: u32,
    #[serde(default)]
    pub findings_resolved: u32,
    pub notifications: Vec<Notification>,
    pub failed: Vec<FailedCertificate>,
    pub skipped: Vec<Skipped>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub planned: Vec<PlannedRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedCertificate {
    pub arn: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    pub event_id: String,
    pub source: String,
    pub detail_type: String,
    pub reason: String,
}

/// Why an event was not handled: what the component reported, or what stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// `malformed-event`, `configuration`, `aws`, `transport` (from the component), or
    /// `input`, `deadline`, `trap` (from the host).
    pub kind: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Whether sending the same event again may succeed.
    pub retryable: bool,
}

impl Outcome {
    pub fn failure(kind: &str, message: impl Into<String>, retryable: bool) -> Self {
        Self::Error(Failure {
            kind: kind.into(),
            message: message.into(),
            operation: None,
            code: None,
            http_status: None,
            retryable,
        })
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Self::Error(_))
    }

    pub fn to_pretty_json(&self) -> String {
        serde_json::to_string_pretty(self)
            .unwrap_or_else(|e| format!("{{\"status\":\"error\",\"message\":\"{e}\"}}"))
    }
}

fn planned(p: wit::PlannedRequest) -> PlannedRequest {
    PlannedRequest {
        operation: p.operation,
        url: p.url,
        body: p.body,
    }
}

impl From<Result<wit::Outcome, wit::Error>> for Outcome {
    fn from(result: Result<wit::Outcome, wit::Error>) -> Self {
        match result {
            Ok(wit::Outcome::Handled(h)) => Self::Handled(Handled {
                event_id: h.event_id,
                certificate: h.certificate.into(),
                decision: match h.decision {
                    wit::Decision::Expiring => "expiring",
                    wit::Decision::NotExpiring => "not-expiring",
                    wit::Decision::Resolved => "resolved",
                    wit::Decision::ActionRequired => "action-required",
                    wit::Decision::Excluded => "excluded",
                }
                .into(),
                finding: h.finding.map(|f| Finding {
                    id: f.id,
                    region: f.region,
                    imported: f.imported,
                }),
                notifications: h.notifications.into_iter().map(Into::into).collect(),
                skipped: h.skipped.into_iter().map(Into::into).collect(),
                planned: h.planned.into_iter().map(planned).collect(),
            }),
            Ok(wit::Outcome::Scanned(r)) => Self::Scanned(ScanReport {
                event_id: r.event_id,
                regions: r.regions,
                certificates_seen: r.certificates_seen,
                excluded: r.excluded,
                expiring: r.expiring.into_iter().map(Into::into).collect(),
                findings_imported: r.findings_imported,
                findings_resolved: r.findings_resolved,
                notifications: r.notifications.into_iter().map(Into::into).collect(),
                failed: r
                    .failed
                    .into_iter()
                    .map(|f| FailedCertificate {
                        arn: f.arn,
                        message: f.message,
                    })
                    .collect(),
                skipped: r.skipped.into_iter().map(Into::into).collect(),
                planned: r.planned.into_iter().map(planned).collect(),
            }),
            Ok(wit::Outcome::NotHandled(i)) => Self::NotHandled(Ignored {
                event_id: i.event_id,
                source: i.source,
                detail_type: i.detail_type,
                reason: i.reason,
            }),
            Err(e) => Self::Error(Failure {
                kind: match e.kind {
                    wit::ErrorKind::MalformedEvent => "malformed-event",
                    wit::ErrorKind::Configuration => "configuration",
                    wit::ErrorKind::Aws => "aws",
                    wit::ErrorKind::Transport => "transport",
                }
                .into(),
                message: e.message,
                operation: e.operation,
                code: e.code,
                http_status: e.status,
                retryable: e.retryable,
            }),
        }
    }
}

impl From<wit::Certificate> for Certificate {
    fn from(c: wit::Certificate) -> Self {
        Self {
            arn: c.arn,
            domain: c.domain,
            not_after: c.not_after,
            days_left: c.days_left,
        }
    }
}

impl From<wit::Notification> for Notification {
    fn from(n: wit::Notification) -> Self {
        Self {
            topic_arn: n.topic_arn,
            message_id: n.message_id,
        }
    }
}

impl From<wit::Skipped> for Skipped {
    fn from(s: wit::Skipped) -> Self {
        let step = match s.step {
            wit::Step::SecurityHub => "security-hub",
            wit::Step::Notification => "notification",
        };
        Self {
            step: step.into(),
            reason: s.reason,
        }
    }
}
