//! EventBridge events: the envelope, and the ACM events certwatch acts on.

use crate::account_scan_event::{self, ACCOUNT_SCAN, AccountToScan, CERTWATCH_SOURCE};
use crate::arn::{ArnError, CertificateArn};
use serde::Deserialize;

/// Events larger than this are refused before parsing; EventBridge's own limit is 256 KiB.
pub const MAX_EVENT_BYTES: usize = 256 * 1024;

/// The `source` of ACM's events.
pub const ACM_SOURCE: &str = "aws.acm";
/// Sent daily as a certificate nears expiry, from 45 days out unless the account set otherwise
/// (ACM's `DaysBeforeExpiry`).
pub const APPROACHING_EXPIRATION: &str = "ACM Certificate Approaching Expiration";
/// Sent once a certificate has expired; handled as one with no days left, so the finding turns
/// critical and the owner hears of it.
pub const EXPIRED: &str = "ACM Certificate Expired";
/// Sent when a certificate is issued, renewed or (re-)imported; a renewal or import ends an
/// expiry, so certwatch resolves its finding.
pub const CERTIFICATE_AVAILABLE: &str = "ACM Certificate Available";
/// Sent when ACM cannot renew a certificate without its owner's help.
pub const RENEWAL_ACTION_REQUIRED: &str = "ACM Certificate Renewal Action Required";
/// AWS Health tells of ACM renewal trouble too, as `service` `ACM`.
pub const HEALTH_SOURCE: &str = "aws.health";
/// The `detail-type` of AWS Health's events.
pub const HEALTH_EVENT: &str = "AWS Health Event";
/// The `source` of an EventBridge schedule's events.
pub const SCHEDULE_SOURCE: &str = "aws.events";
/// The `detail-type` of an EventBridge schedule's events: each one starts a scan.
pub const SCHEDULED_EVENT: &str = "Scheduled Event";

/// The envelope every EventBridge event shares.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Envelope {
    /// EventBridge's id for the event, which its outcome repeats.
    pub id: String,
    /// What happened, e.g. "ACM Certificate Expired".
    pub detail_type: String,
    /// Who sent it, e.g. `aws.acm`.
    pub source: String,
    /// The account it comes from.
    #[serde(default)]
    pub account: Option<String>,
    /// When it happened (RFC 3339).
    #[serde(default)]
    pub time: Option<String>,
    /// The region it comes from: where a scan looks when `SCAN_REGIONS` is unset.
    #[serde(default)]
    pub region: Option<String>,
    /// ARNs of what it is about; ACM's events name the certificate first.
    #[serde(default)]
    pub resources: Vec<String>,
    /// The fields of its own kind, by `detail-type`; `null` when absent.
    #[serde(default)]
    pub detail: serde_json::Value,
}

/// `detail` of "ACM Certificate Approaching Expiration".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExpiryDetail {
    /// `DaysToExpiry`: the days left as ACM counted them.
    #[serde(default)]
    pub days_to_expiry: Option<i64>,
    /// `CommonName`: the certificate's domain.
    #[serde(default)]
    pub common_name: Option<String>,
}

/// `detail` of "ACM Certificate Available".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AvailableDetail {
    #[serde(default)]
    action: Option<String>,
}

/// `detail` of "ACM Certificate Renewal Action Required".
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ActionDetail {
    #[serde(default)]
    renewal_status_reason: Option<String>,
}

/// `detail` of an AWS Health event.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HealthDetail {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    event_type_code: Option<String>,
    #[serde(default)]
    affected_entities: Vec<HealthEntity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct HealthEntity {
    #[serde(default)]
    entity_value: Option<String>,
}

/// How a certificate became available again, of the ways that end an expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Renewal {
    /// ACM renewed a certificate it issued.
    Renewal,
    /// A new certificate was imported into the same ARN.
    Reimport,
    /// A certificate was imported into ACM.
    Import,
}

impl Renewal {
    fn from_action(action: &str) -> Option<Self> {
        match action {
            "RENEWAL" => Some(Self::Renewal),
            "REIMPORT" => Some(Self::Reimport),
            "IMPORT" => Some(Self::Import),
            _ => None,
        }
    }

    /// The renewal in words, for the owner's message.
    pub fn words(self) -> &'static str {
        match self {
            Self::Renewal => "renewed by ACM",
            Self::Reimport => "re-imported",
            Self::Import => "imported",
        }
    }
}

/// An event, classified by what certwatch does with it.
#[derive(Debug, Clone)]
pub enum Event {
    /// A certificate nearing expiry, or expired ("Approaching Expiration", "Expired").
    ApproachingExpiration {
        /// The event as EventBridge sent it.
        envelope: Envelope,
        /// The certificate it names.
        certificate: CertificateArn,
        /// What ACM said of the expiry.
        detail: ExpiryDetail,
    },
    /// A certificate renewed or (re-)imported: its finding is resolved if it is healthy now.
    Available {
        /// The event as EventBridge sent it.
        envelope: Envelope,
        /// The certificate it names.
        certificate: CertificateArn,
        /// How the certificate became available again.
        renewal: Renewal,
    },
    /// ACM cannot renew the certificate by itself; `reason` says why.
    ActionRequired {
        /// The event as EventBridge sent it.
        envelope: Envelope,
        /// The certificate it names.
        certificate: CertificateArn,
        /// ACM's `RenewalStatusReason`, or the AWS Health event's type code.
        reason: String,
    },
    /// An EventBridge schedule: scan every certificate.
    Scan {
        /// The event as EventBridge sent it.
        envelope: Envelope,
    },
    /// One account's part of a scan spread over SQS: scan that account alone.
    AccountScan {
        /// The event as the scan that sent it wrote it.
        envelope: Envelope,
        /// The account to scan.
        target: AccountToScan,
    },
    /// Well formed, but nothing certwatch acts on; says why.
    NotHandled {
        /// The event as EventBridge sent it.
        envelope: Envelope,
        /// Why certwatch leaves it be.
        reason: String,
    },
}

/// Why a text is not an event certwatch can read: a malformed event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    /// Longer than [`MAX_EVENT_BYTES`]; not parsed.
    #[error("the event is {size} bytes, over the {MAX_EVENT_BYTES}-byte limit")]
    TooLarge {
        /// The text's length in bytes.
        size: usize,
    },
    /// Not JSON, or not EventBridge's envelope; serde_json's words say where.
    #[error("the event is not an EventBridge event: {0}")]
    NotAnEnvelope(String),
    /// An ACM event whose `resources` is empty.
    #[error("the {detail_type} event names no certificate in `resources`")]
    NoCertificate {
        /// The event's `detail-type`.
        detail_type: String,
    },
    /// An ACM event whose `resources[0]` is not a certificate ARN.
    #[error("the {detail_type} event's resources[0] is not usable: {source}")]
    BadCertificate {
        /// The event's `detail-type`.
        detail_type: String,
        /// What is wrong with the ARN.
        source: ArnError,
    },
    /// A `detail` without the fields its `detail-type` has.
    #[error("the {detail_type} event's detail is malformed: {message}")]
    BadDetail {
        /// The event's `detail-type`.
        detail_type: String,
        /// serde_json's words.
        message: String,
    },
}

impl Event {
    /// Reads an event's JSON text and classifies it.
    pub fn parse(text: &str) -> Result<Self, EventError> {
        if text.len() > MAX_EVENT_BYTES {
            return Err(EventError::TooLarge { size: text.len() });
        }
        // serde_json refuses nesting deeper than 128 levels on its own.
        let envelope: Envelope =
            serde_json::from_str(text).map_err(|e| EventError::NotAnEnvelope(e.to_string()))?;
        Self::classify(envelope)
    }

    fn classify(envelope: Envelope) -> Result<Self, EventError> {
        if envelope.source == SCHEDULE_SOURCE && envelope.detail_type == SCHEDULED_EVENT {
            return Ok(Self::Scan { envelope });
        }
        if envelope.source == CERTWATCH_SOURCE && envelope.detail_type == ACCOUNT_SCAN {
            let target = account_scan_event::account_to_scan(&envelope)?;
            return Ok(Self::AccountScan { envelope, target });
        }
        if envelope.source == HEALTH_SOURCE && envelope.detail_type == HEALTH_EVENT {
            return Self::health(envelope);
        }
        if envelope.source != ACM_SOURCE {
            let reason = format!(
                "certwatch acts on source {ACM_SOURCE:?}, not {:?}",
                envelope.source
            );
            return Ok(Self::NotHandled { envelope, reason });
        }
        let known = [
            APPROACHING_EXPIRATION,
            EXPIRED,
            CERTIFICATE_AVAILABLE,
            RENEWAL_ACTION_REQUIRED,
        ];
        if !known.contains(&envelope.detail_type.as_str()) {
            let reason = format!(
                "certwatch does not act on {:?} events",
                envelope.detail_type
            );
            return Ok(Self::NotHandled { envelope, reason });
        }
        let detail_type = envelope.detail_type.clone();
        let first = envelope
            .resources
            .first()
            .ok_or_else(|| EventError::NoCertificate {
                detail_type: detail_type.clone(),
            })?;
        let certificate =
            CertificateArn::parse(first).map_err(|source| EventError::BadCertificate {
                detail_type: detail_type.clone(),
                source,
            })?;
        let bad_detail = |e: serde_json::Error| EventError::BadDetail {
            detail_type: detail_type.clone(),
            message: e.to_string(),
        };
        if detail_type == RENEWAL_ACTION_REQUIRED {
            let detail = match envelope.detail.is_null() {
                true => ActionDetail::default(),
                false => ActionDetail::deserialize(&envelope.detail).map_err(bad_detail)?,
            };
            let reason = detail
                .renewal_status_reason
                .unwrap_or_else(|| "no reason given".into());
            return Ok(Self::ActionRequired {
                envelope,
                certificate,
                reason,
            });
        }
        if detail_type == CERTIFICATE_AVAILABLE {
            let detail = match envelope.detail.is_null() {
                true => AvailableDetail::default(),
                false => AvailableDetail::deserialize(&envelope.detail).map_err(bad_detail)?,
            };
            let action = detail.action.unwrap_or_default();
            let Some(renewal) = Renewal::from_action(&action) else {
                let reason = format!(
                    "certwatch resolves findings on RENEWAL, REIMPORT and IMPORT, not on {action:?}"
                );
                return Ok(Self::NotHandled { envelope, reason });
            };
            return Ok(Self::Available {
                envelope,
                certificate,
                renewal,
            });
        }
        let detail = match envelope.detail.is_null() {
            true => ExpiryDetail::default(),
            false => ExpiryDetail::deserialize(&envelope.detail).map_err(bad_detail)?,
        };
        Ok(Self::ApproachingExpiration {
            envelope,
            certificate,
            detail,
        })
    }

    /// An AWS Health event about ACM: the certificate it names, and its event type as the
    /// reason.
    fn health(envelope: Envelope) -> Result<Self, EventError> {
        let detail_type = envelope.detail_type.clone();
        let detail =
            HealthDetail::deserialize(&envelope.detail).map_err(|e| EventError::BadDetail {
                detail_type: detail_type.clone(),
                message: e.to_string(),
            })?;
        if detail.service.as_deref() != Some("ACM") {
            let reason = format!(
                "certwatch acts on AWS Health events for ACM, not {:?}",
                detail.service.as_deref().unwrap_or("no service")
            );
            return Ok(Self::NotHandled { envelope, reason });
        }
        let named = envelope.resources.iter().cloned().chain(
            detail
                .affected_entities
                .into_iter()
                .filter_map(|e| e.entity_value),
        );
        let Some(certificate) = named
            .filter(|n| n.contains(":acm:"))
            .find_map(|n| CertificateArn::parse(&n).ok())
        else {
            let reason = "the AWS Health event names no ACM certificate".to_owned();
            return Ok(Self::NotHandled { envelope, reason });
        };
        let reason = detail
            .event_type_code
            .unwrap_or_else(|| "AWS Health event".into());
        Ok(Self::ActionRequired {
            envelope,
            certificate,
            reason,
        })
    }

    /// The envelope, whatever the event.
    pub fn envelope(&self) -> &Envelope {
        match self {
            Self::ApproachingExpiration { envelope, .. }
            | Self::Available { envelope, .. }
            | Self::ActionRequired { envelope, .. }
            | Self::Scan { envelope }
            | Self::AccountScan { envelope, .. }
            | Self::NotHandled { envelope, .. } => envelope,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{
        "version": "0",
        "id": "9c95e8e4-96a4-ef3f-b739-b6aa5b193afb",
        "detail-type": "ACM Certificate Approaching Expiration",
        "source": "aws.acm",
        "account": "123456789012",
        "time": "2020-09-30T06:51:08Z",
        "region": "us-east-1",
        "resources": ["arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b"],
        "detail": {"DaysToExpiry": 31, "CommonName": "example.com"}
    }"#;

    #[test]
    fn parses_the_documented_event() {
        let Event::ApproachingExpiration {
            envelope,
            certificate,
            detail,
        } = Event::parse(SAMPLE).unwrap()
        else {
            panic!("not classified as approaching expiration");
        };
        assert_eq!(envelope.id, "9c95e8e4-96a4-ef3f-b739-b6aa5b193afb");
        assert_eq!(certificate.id(), "61f50cd4-45b9-4259-b049-d0a53682fa4b");
        assert_eq!(detail.days_to_expiry, Some(31));
        assert_eq!(detail.common_name.as_deref(), Some("example.com"));
    }

    #[test]
    fn other_events_are_not_handled_and_say_why() {
        let other = SAMPLE.replace(
            "ACM Certificate Approaching Expiration",
            "ACM Certificate Request Failed",
        );
        let Event::NotHandled { reason, .. } = Event::parse(&other).unwrap() else {
            panic!()
        };
        assert!(
            reason.contains("ACM Certificate Request Failed"),
            "{reason}"
        );

        let action = SAMPLE
            .replace(
                "ACM Certificate Approaching Expiration",
                RENEWAL_ACTION_REQUIRED,
            )
            .replace(
                "\"DaysToExpiry\"",
                "\"RenewalStatusReason\": \"CAA_ERROR\", \"Days\"",
            );
        let Event::ActionRequired { reason, .. } = Event::parse(&action).unwrap() else {
            panic!("{action}")
        };
        assert_eq!(reason, "CAA_ERROR");

        let health = |service: &str| {
            serde_json::json!({
                "version": "0", "id": "h", "detail-type": HEALTH_EVENT, "source": HEALTH_SOURCE,
                "account": "123456789012", "region": "us-east-1", "resources": [],
                "detail": {
                    "service": service,
                    "eventTypeCode": "AWS_ACM_RENEWAL_STATE_CHANGE",
                    "affectedEntities": [{ "entityValue": "arn:aws:acm:us-east-1:123456789012:certificate/abc" }]
                }
            })
            .to_string()
        };
        let Event::ActionRequired {
            reason,
            certificate,
            ..
        } = Event::parse(&health("ACM")).unwrap()
        else {
            panic!()
        };
        assert_eq!(reason, "AWS_ACM_RENEWAL_STATE_CHANGE");
        assert_eq!(certificate.id(), "abc");
        assert!(matches!(
            Event::parse(&health("EC2")).unwrap(),
            Event::NotHandled { .. }
        ));

        let expired = SAMPLE.replace("ACM Certificate Approaching Expiration", EXPIRED);
        assert!(matches!(
            Event::parse(&expired).unwrap(),
            Event::ApproachingExpiration { .. }
        ));

        let available = |action: &str| {
            let event = SAMPLE
                .replace(
                    "ACM Certificate Approaching Expiration",
                    CERTIFICATE_AVAILABLE,
                )
                .replace(
                    "\"DaysToExpiry\"",
                    &format!("\"Action\": \"{action}\", \"Days\""),
                );
            Event::parse(&event).unwrap()
        };
        assert!(matches!(
            available("RENEWAL"),
            Event::Available {
                renewal: Renewal::Renewal,
                ..
            }
        ));
        assert!(matches!(
            available("REIMPORT"),
            Event::Available {
                renewal: Renewal::Reimport,
                ..
            }
        ));
        let Event::NotHandled { reason, .. } = available("ISSUANCE") else {
            panic!("a new certificate has no finding to resolve")
        };
        assert!(reason.contains("\"ISSUANCE\""), "{reason}");

        let scheduled = SAMPLE.replace("\"aws.acm\"", "\"aws.events\"");
        let Event::NotHandled { reason, .. } = Event::parse(&scheduled).unwrap() else {
            panic!()
        };
        assert!(reason.contains("aws.events"), "{reason}");
    }

    #[test]
    fn a_schedule_is_a_scan() {
        let scheduled = r#"{"version":"0","id":"89d1a02d","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-29T12:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/daily"],"detail":{}}"#;
        let Event::Scan { envelope } = Event::parse(scheduled).unwrap() else {
            panic!("not a scan")
        };
        assert_eq!(envelope.region.as_deref(), Some("us-east-1"));
    }

    #[test]
    fn malformed_events_get_a_clear_error() {
        let cases: [(&str, &str); 6] = [
            ("not json", "not an EventBridge event"),
            ("[]", "not an EventBridge event"),
            (r#"{"id":"x","source":"aws.acm"}"#, "detail-type"),
            (
                &SAMPLE.replace("\"resources\"", "\"ignored\""),
                "names no certificate",
            ),
            (
                &SAMPLE.replace("arn:aws:acm", "arn:aws:iam"),
                "ACM certificate ARN",
            ),
            (&SAMPLE.replace("31,", "\"soon\","), "detail is malformed"),
        ];
        for (text, expected) in cases {
            let err = Event::parse(text).unwrap_err().to_string();
            assert!(
                err.contains(expected),
                "{err:?} should mention {expected:?}"
            );
        }
    }

    #[test]
    fn refuses_oversized_and_deeply_nested_events() {
        let huge = format!("{{\"pad\":\"{}\"}}", "x".repeat(MAX_EVENT_BYTES));
        assert!(matches!(
            Event::parse(&huge),
            Err(EventError::TooLarge { .. })
        ));
        let deep = format!("{}{}", "[".repeat(150_000), "]".repeat(150_000));
        assert!(matches!(
            Event::parse(&deep),
            Err(EventError::TooLarge { .. })
        ));
        let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(matches!(
            Event::parse(&deep),
            Err(EventError::NotAnEnvelope(_))
        ));
    }
}
