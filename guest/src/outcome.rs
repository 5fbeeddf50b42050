//! What handling one event came to: the component returns exactly one of these per event.

use crate::aws::CallError;
use crate::config::ConfigError;
use crate::event::EventError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Expiring,
    NotExpiring,
    /// Renewed out of the window: the finding resolved, the owner told.
    Resolved,
    /// ACM cannot renew it by itself: a finding and a message say what to fix.
    ActionRequired,
    /// Left out by a filter: nothing done.
    Excluded,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub arn: String,
    pub domain: String,
    pub not_after: String,
    pub days_left: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingImport {
    pub id: String,
    pub region: String,
    pub imported: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub topic_arn: String,
    pub message_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    SecurityHub,
    Notification,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub step: Step,
    pub reason: String,
}

/// A request a dry run would have sent, instead of sending it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRequest {
    pub operation: String,
    pub url: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub event_id: String,
    pub certificate: Certificate,
    pub decision: Decision,
    pub finding: Option<FindingImport>,
    /// To `SNS_TOPIC_ARN`, then to the topic the certificate's owner tag names.
    pub notifications: Vec<Notification>,
    pub skipped: Vec<Skipped>,
    pub planned: Vec<PlannedRequest>,
}

/// A certificate a scan could not judge, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedCertificate {
    pub arn: String,
    pub message: String,
}

/// What a scheduled scan found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanReport {
    pub event_id: String,
    pub regions: Vec<String>,
    pub certificates_seen: u32,
    /// Inside the window but left out by a filter.
    pub excluded: u32,
    /// Soonest first.
    pub expiring: Vec<Certificate>,
    pub findings_imported: u32,
    /// Open findings of certificates renewed or deleted since, resolved.
    pub findings_resolved: u32,
    pub notifications: Vec<Notification>,
    pub failed: Vec<FailedCertificate>,
    pub skipped: Vec<Skipped>,
    pub planned: Vec<PlannedRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub event_id: String,
    pub source: String,
    pub detail_type: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Handled(Handled),
    Scanned(ScanReport),
    NotHandled(Ignored),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    MalformedEvent,
    Configuration,
    Aws,
    Transport,
}

/// Why an event could not be handled; `retryable` tells the sender whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HandleError {
    pub kind: ErrorKind,
    pub message: String,
    pub operation: Option<&'static str>,
    pub code: Option<String>,
    pub status: Option<u16>,
    pub retryable: bool,
}

impl HandleError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            operation: None,
            code: None,
            status: None,
            retryable: false,
        }
    }
}

impl From<EventError> for HandleError {
    fn from(e: EventError) -> Self {
        Self::new(ErrorKind::MalformedEvent, e.to_string())
    }
}

impl From<ConfigError> for HandleError {
    fn from(e: ConfigError) -> Self {
        Self::new(ErrorKind::Configuration, format!("configuration: {e}"))
    }
}

impl From<CallError> for HandleError {
    fn from(e: CallError) -> Self {
        let kind = match e {
            CallError::Service { .. } => ErrorKind::Aws,
            CallError::Transport { .. } | CallError::Unreadable { .. } => ErrorKind::Transport,
        };
        Self {
            kind,
            message: e.to_string(),
            operation: Some(e.operation().name()),
            code: e.code().map(str::to_owned),
            status: e.status(),
            retryable: e.is_retryable(),
        }
    }
}

/// The outcome as JSON, in the shape the `certwatch` host prints and its fixtures keep.
pub fn to_json(result: &Result<Outcome, HandleError>) -> serde_json::Value {
    use serde_json::json;
    let mut value = outcome_json(result);
    let planned = match result {
        Ok(Outcome::Handled(h)) => &h.planned[..],
        Ok(Outcome::Scanned(r)) => &r.planned[..],
        _ => &[],
    };
    if !planned.is_empty() {
        value["planned"] = planned
            .iter()
            .map(|p| json!({ "operation": p.operation, "url": p.url, "body": p.body }))
            .collect();
    }
    value
}

fn outcome_json(result: &Result<Outcome, HandleError>) -> serde_json::Value {
    use serde_json::json;
    match result {
        Ok(Outcome::Handled(h)) => json!({
            "status": "handled",
            "event_id": h.event_id,
            "certificate": certificate_json(&h.certificate),
            "decision": match h.decision {
                Decision::Expiring => "expiring",
                Decision::NotExpiring => "not-expiring",
                Decision::Resolved => "resolved",
                Decision::ActionRequired => "action-required",
                Decision::Excluded => "excluded",
            },
            "finding": h.finding.as_ref().map(|f| json!({ "id": f.id, "region": f.region, "imported": f.imported })),
            "notifications": h.notifications.iter().map(notification_json).collect::<Vec<_>>(),
            "skipped": h.skipped.iter().map(skipped_json).collect::<Vec<_>>(),
        }),
        Ok(Outcome::Scanned(r)) => json!({
            "status": "scanned",
            "event_id": r.event_id,
            "regions": r.regions,
            "certificates_seen": r.certificates_seen,
            "excluded": r.excluded,
            "expiring": r.expiring.iter().map(certificate_json).collect::<Vec<_>>(),
            "findings_imported": r.findings_imported,
            "findings_resolved": r.findings_resolved,
            "notifications": r.notifications.iter().map(notification_json).collect::<Vec<_>>(),
            "failed": r.failed.iter().map(|f| json!({ "arn": f.arn, "message": f.message })).collect::<Vec<_>>(),
            "skipped": r.skipped.iter().map(skipped_json).collect::<Vec<_>>(),
        }),
        Ok(Outcome::NotHandled(i)) => json!({
            "status": "not-handled",
            "event_id": i.event_id,
            "source": i.source,
            "detail_type": i.detail_type,
            "reason": i.reason,
        }),
        Err(e) => {
            let mut error = json!({
                "status": "error",
                "kind": match e.kind {
                    ErrorKind::MalformedEvent => "malformed-event",
                    ErrorKind::Configuration => "configuration",
                    ErrorKind::Aws => "aws",
                    ErrorKind::Transport => "transport",
                },
                "message": e.message,
                "retryable": e.retryable,
            });
            for (name, value) in [
                ("operation", e.operation.map(|o| json!(o))),
                ("code", e.code.as_ref().map(|c| json!(c))),
                ("http_status", e.status.map(|s| json!(s))),
            ] {
                if let Some(value) = value {
                    error[name] = value;
                }
            }
            error
        }
    }
}

fn certificate_json(c: &Certificate) -> serde_json::Value {
    serde_json::json!({ "arn": c.arn, "domain": c.domain, "not_after": c.not_after, "days_left": c.days_left })
}

fn notification_json(n: &Notification) -> serde_json::Value {
    serde_json::json!({ "topic_arn": n.topic_arn, "message_id": n.message_id })
}

fn skipped_json(s: &Skipped) -> serde_json::Value {
    let step = match s.step {
        Step::SecurityHub => "security-hub",
        Step::Notification => "notification",
    };
    serde_json::json!({ "step": step, "reason": s.reason })
}

/// The HTTP status an outcome is answered with: 200 when handled (or deliberately not), 400
/// for an event that will never work, 5xx for a failure, so that the sender retries.
pub fn http_status(result: &Result<Outcome, HandleError>) -> u16 {
    match result {
        Ok(_) => 200,
        Err(e) => match e.kind {
            ErrorKind::MalformedEvent => 400,
            ErrorKind::Configuration => 500,
            ErrorKind::Aws | ErrorKind::Transport if e.retryable => 503,
            ErrorKind::Aws | ErrorKind::Transport => 502,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn handled() -> Outcome {
        Outcome::Handled(Handled {
            event_id: "e".into(),
            certificate: Certificate {
                arn: "arn".into(),
                domain: "example.com".into(),
                not_after: "2026-12-10T12:00:00Z".into(),
                days_left: 11,
            },
            decision: Decision::Expiring,
            finding: Some(FindingImport {
                id: "f".into(),
                region: "us-east-1".into(),
                imported: 1,
            }),
            notifications: vec![],
            planned: vec![],
            skipped: vec![Skipped {
                step: Step::Notification,
                reason: "SNS_TOPIC_ARN is not set".into(),
            }],
        })
    }

    #[test]
    fn handled_outcomes_as_json() {
        let json = to_json(&Ok(handled()));
        assert_eq!(json["status"], "handled");
        assert_eq!(json["certificate"]["days_left"], 11);
        assert_eq!(json["decision"], "expiring");
        assert_eq!(json["finding"]["imported"], 1);
        assert_eq!(json["notifications"], serde_json::json!([]));
        assert_eq!(json["skipped"][0]["step"], "notification");
        assert_eq!(http_status(&Ok(handled())), 200);
    }

    #[test]
    fn errors_as_json_and_status() {
        let malformed = HandleError::new(ErrorKind::MalformedEvent, "no certificate");
        assert_eq!(http_status(&Err(malformed.clone())), 400);
        let json = to_json(&Err(malformed));
        assert_eq!(json["kind"], "malformed-event");
        assert!(json.get("code").is_none());
        let throttled = HandleError {
            code: Some("Throttling".into()),
            status: Some(400),
            retryable: true,
            operation: Some("sns:Publish"),
            ..HandleError::new(ErrorKind::Aws, "slow down")
        };
        assert_eq!(http_status(&Err(throttled.clone())), 503);
        let json = to_json(&Err(throttled));
        assert_eq!(
            (
                json["code"].as_str(),
                json["http_status"].as_u64(),
                json["operation"].as_str()
            ),
            (Some("Throttling"), Some(400), Some("sns:Publish"))
        );
        let denied = HandleError {
            retryable: false,
            ..HandleError::new(ErrorKind::Aws, "denied")
        };
        assert_eq!(http_status(&Err(denied)), 502);
        assert_eq!(
            http_status(&Err(HandleError::new(
                ErrorKind::Configuration,
                "EXPIRY_DAYS"
            ))),
            500
        );
    }
}
