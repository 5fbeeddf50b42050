//! The EventBridge event certwatch puts on `EVENT_BUS_NAME` for each decision, for incident
//! tools (PagerDuty, Opsgenie) to page on and, after a renewal, to resolve: `source`
//! `certwatch`, one detail-type per kind of alert, the certificate as its one resource, and a
//! detail whose `dedupKey` is the same for every alert about one certificate.

use crate::arn::{CertificateArn, EventBus};
use crate::aws::events::Entry;
use crate::decision::Severity;
use crate::finding::finding_id;
use serde::{Deserialize, Serialize};

/// Every event's `source`.
pub const SOURCE: &str = "certwatch";

/// What an alert is about: its detail-type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertKind {
    /// Inside the window, not yet expired.
    Expiring,
    /// Past its NotAfter.
    Expired,
    /// ACM cannot renew it by itself.
    ActionRequired,
    /// Renewed or re-imported out of the window: the incident can be resolved.
    Renewed,
}

impl AlertKind {
    /// Every kind.
    pub const ALL: [Self; 4] = [
        Self::Expiring,
        Self::Expired,
        Self::ActionRequired,
        Self::Renewed,
    ];

    /// The kind of a raised alert: expired once no day is left, else expiring, unless ACM
    /// cannot renew the certificate by itself.
    pub fn raised(days_left: i64, action_required: bool) -> Self {
        match (action_required, days_left) {
            (true, _) => Self::ActionRequired,
            (false, d) if d < 0 => Self::Expired,
            _ => Self::Expiring,
        }
    }

    /// The event's `detail-type`, also the chat notification's `eventType`.
    pub fn detail_type(self) -> &'static str {
        match self {
            Self::Expiring => "Certificate Expiring",
            Self::Expired => "Certificate Expired",
            Self::ActionRequired => "Certificate Renewal Action Required",
            Self::Renewed => "Certificate Renewed",
        }
    }

    /// `trigger` for an alert, `resolve` for a renewal: PagerDuty's `event_action`.
    pub fn event_action(self) -> &'static str {
        match self {
            Self::Renewed => "resolve",
            _ => "trigger",
        }
    }
}

/// The key every alert about `certificate` carries (the event's `dedupKey`, the chat
/// notification's `threadId`), so its reminders and its renewal meet in one incident and
/// one thread.
pub fn dedup_key(certificate: &CertificateArn) -> String {
    format!("certwatch:{certificate}")
}

/// PagerDuty's severity (`critical`, `error`, `warning`, `info`) for certwatch's: an input
/// transformer cannot map values, so the detail carries both.
pub fn incident_severity(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "critical",
        Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Informational => "info",
    }
}

/// The event's detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertDetail {
    /// The certificate's ARN.
    pub certificate_arn: String,
    /// Its domain as people know it.
    pub domain: String,
    /// The account the certificate is in (from its ARN).
    pub account: String,
    /// The region it is in.
    pub region: String,
    /// Its expiry, RFC 3339.
    pub not_after: String,
    /// Whole days to `notAfter`, negative once expired.
    pub days_left: i64,
    /// The finding's severity label: `CRITICAL` … `INFORMATIONAL`.
    pub severity: String,
    /// The same as PagerDuty names it: `critical`, `error`, `warning`, `info`.
    pub incident_severity: String,
    /// `trigger`, or `resolve` after a renewal.
    pub event_action: String,
    /// The Security Hub finding's id.
    pub finding_id: String,
    /// The same for every alert about this certificate ([`dedup_key`]).
    pub dedup_key: String,
    /// One line for a person: what happened.
    pub summary: String,
    /// Why ACM cannot renew it, for a renewal action required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// One alert, ready to be put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertEvent {
    /// What it is about.
    pub kind: AlertKind,
    /// The detail.
    pub detail: AlertDetail,
}

/// What an alert event says of its certificate.
#[derive(Debug, Clone, Copy)]
pub struct Alerted<'a> {
    /// Which certificate.
    pub certificate: &'a CertificateArn,
    /// Its domain.
    pub domain: &'a str,
    /// Its expiry, RFC 3339.
    pub not_after: &'a str,
    /// Days left.
    pub days_left: i64,
    /// The finding's severity.
    pub severity: Severity,
    /// Why ACM cannot renew it, if that is the alert.
    pub reason: Option<&'a str>,
}

impl AlertEvent {
    /// The event for `kind` about `alerted`.
    pub fn new(kind: AlertKind, alerted: Alerted<'_>) -> Self {
        let arn = alerted.certificate.arn();
        let domain = alerted.domain;
        let summary = match kind {
            AlertKind::Expiring => format!(
                "The ACM certificate for {domain} expires in {} days ({})",
                alerted.days_left, alerted.not_after
            ),
            AlertKind::Expired => format!(
                "The ACM certificate for {domain} has expired ({})",
                alerted.not_after
            ),
            AlertKind::ActionRequired => format!(
                "ACM cannot renew the certificate for {domain} by itself; it expires in {} days",
                alerted.days_left
            ),
            AlertKind::Renewed => format!(
                "The ACM certificate for {domain} was renewed; it now expires {}",
                alerted.not_after
            ),
        };
        Self {
            kind,
            detail: AlertDetail {
                certificate_arn: alerted.certificate.to_string(),
                domain: domain.to_owned(),
                account: arn.account.clone(),
                region: arn.region.clone(),
                not_after: alerted.not_after.to_owned(),
                days_left: alerted.days_left,
                severity: alerted.severity.label().to_owned(),
                incident_severity: incident_severity(alerted.severity).to_owned(),
                event_action: kind.event_action().to_owned(),
                finding_id: finding_id(alerted.certificate),
                dedup_key: dedup_key(alerted.certificate),
                summary,
                reason: alerted.reason.map(str::to_owned),
            },
        }
    }

    /// The `PutEvents` entry for `bus`.
    pub fn entry(&self, bus: &EventBus) -> Entry {
        Entry {
            source: SOURCE.to_owned(),
            detail_type: self.kind.detail_type().to_owned(),
            // A struct of strings and numbers always serialises.
            detail: serde_json::to_string(&self.detail).unwrap_or_default(),
            resources: vec![self.detail.certificate_arn.clone()],
            event_bus_name: bus.as_str().to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alerted(certificate: &CertificateArn, days_left: i64) -> Alerted<'_> {
        Alerted {
            certificate,
            domain: "*.example.com",
            not_after: "2026-12-10T12:00:00Z",
            days_left,
            severity: Severity::High,
            reason: None,
        }
    }

    #[test]
    fn kinds_follow_the_days_and_the_action() {
        assert_eq!(AlertKind::raised(11, false), AlertKind::Expiring);
        assert_eq!(AlertKind::raised(0, false), AlertKind::Expiring);
        assert_eq!(AlertKind::raised(-1, false), AlertKind::Expired);
        assert_eq!(AlertKind::raised(-1, true), AlertKind::ActionRequired);
        let types: Vec<_> = AlertKind::ALL.map(AlertKind::detail_type).into();
        assert_eq!(
            types,
            [
                "Certificate Expiring",
                "Certificate Expired",
                "Certificate Renewal Action Required",
                "Certificate Renewed"
            ]
        );
    }

    #[test]
    fn the_detail_names_the_certificate_and_its_account_from_the_arn() {
        // A member account's certificate: the account is the certificate's, not certwatch's.
        let arn =
            CertificateArn::parse("arn:aws:acm:eu-west-1:210987654321:certificate/abc").unwrap();
        let event = AlertEvent::new(AlertKind::Expiring, alerted(&arn, 11));
        let bus = EventBus::parse("certwatch").unwrap();
        let entry = event.entry(&bus);
        assert_eq!(entry.source, "certwatch");
        assert_eq!(entry.detail_type, "Certificate Expiring");
        assert_eq!(entry.resources, [arn.to_string()]);
        assert_eq!(entry.event_bus_name, "certwatch");
        let detail: serde_json::Value = serde_json::from_str(&entry.detail).unwrap();
        assert_eq!(detail["certificateArn"], arn.to_string());
        assert_eq!(detail["domain"], "*.example.com");
        assert_eq!(detail["account"], "210987654321");
        assert_eq!(detail["region"], "eu-west-1");
        assert_eq!(detail["notAfter"], "2026-12-10T12:00:00Z");
        assert_eq!(detail["daysLeft"], 11);
        assert_eq!(detail["severity"], "HIGH");
        assert_eq!(detail["incidentSeverity"], "error");
        assert_eq!(detail["eventAction"], "trigger");
        assert_eq!(detail["findingId"], format!("{arn}/certwatch/expiry"));
        assert_eq!(detail["dedupKey"], format!("certwatch:{arn}"));
        assert!(detail.get("reason").is_none());
    }

    #[test]
    fn a_renewal_resolves_the_same_incident() {
        let arn =
            CertificateArn::parse("arn:aws:acm:us-east-1:123456789012:certificate/abc").unwrap();
        let raised = AlertEvent::new(AlertKind::Expired, alerted(&arn, -2));
        let renewed = AlertEvent::new(AlertKind::Renewed, alerted(&arn, 395));
        assert_eq!(raised.detail.dedup_key, renewed.detail.dedup_key);
        assert_eq!(
            (
                raised.detail.event_action.as_str(),
                renewed.detail.event_action.as_str()
            ),
            ("trigger", "resolve")
        );
    }

    #[test]
    fn every_severity_has_an_incident_severity() {
        use Severity::*;
        let mapped: Vec<_> = [Critical, High, Medium, Low, Informational]
            .map(incident_severity)
            .into();
        assert_eq!(mapped, ["critical", "error", "warning", "info", "info"]);
    }
}
