//! A scan's events for `EVENT_BUS_NAME`: one per certificate it raised a finding for, and one
//! per certificate whose finding it resolved after a renewal, as the certificate's own events
//! would have put. A certificate deleted from ACM puts none: it was not renewed, and its
//! incident is for a person to close.

use super::{Expiring, Resolution};
use crate::alert_event::{AlertEvent, AlertKind, Alerted};
use crate::arn::CertificateArn;
use crate::decision::{Severity, days_left};
use crate::finding::display_domain;
use crate::timestamp::rfc3339_seconds;
use time::OffsetDateTime;

/// The events for `expiring` (soonest first, as judged) and `resolved`.
pub(super) fn scan_alerts(
    expiring: &[Expiring],
    resolved: &[Resolution],
    now: OffsetDateTime,
) -> Vec<AlertEvent> {
    let mut alerts = Vec::with_capacity(expiring.len() + resolved.len());
    let mut add = |kind, certificate: &CertificateArn, domain: &str, until, days, severity| {
        let not_after = rfc3339_seconds(until);
        alerts.push(AlertEvent::new(
            kind,
            Alerted {
                certificate,
                domain,
                not_after: &not_after,
                days_left: days,
                severity,
                reason: None,
            },
        ));
    };
    for e in expiring {
        let kind = AlertKind::raised(e.days_left, false);
        add(
            kind,
            &e.certificate,
            display_domain(&e.detail),
            e.not_after,
            e.days_left,
            e.severity,
        );
    }
    for r in resolved {
        let (Some(until), Ok(certificate)) = (r.renewed_until, CertificateArn::parse(&r.arn))
        else {
            continue;
        };
        let days = days_left(until, now);
        let informational = Severity::Informational;
        add(
            AlertKind::Renewed,
            &certificate,
            &r.domain,
            until,
            days,
            informational,
        );
    }
    alerts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::tests::expiring;
    use time::macros::datetime;

    #[test]
    fn raised_and_renewed_certificates_each_put_one_event_deleted_ones_none() {
        let now = datetime!(2026-11-29 12:00 UTC);
        let resolved = [
            Resolution {
                arn: "arn:aws:acm:us-east-1:123456789012:certificate/r".into(),
                domain: "r.example.com".into(),
                renewed_until: Some(datetime!(2027-12-29 12:00 UTC)),
                owner_topic: None,
            },
            Resolution {
                arn: "arn:aws:acm:us-east-1:123456789012:certificate/gone".into(),
                domain: "gone.example.com".into(),
                renewed_until: None,
                owner_topic: None,
            },
        ];
        let alerts = scan_alerts(&[expiring(1, -2), expiring(2, 9)], &resolved, now);
        let kinds: Vec<_> = alerts.iter().map(|a| a.kind).collect();
        assert_eq!(
            kinds,
            [AlertKind::Expired, AlertKind::Expiring, AlertKind::Renewed]
        );
        assert_eq!(alerts[1].detail.days_left, 9);
        assert_eq!(alerts[1].detail.severity, "HIGH");
        assert_eq!(alerts[2].detail.days_left, 395);
        assert_eq!(alerts[2].detail.event_action, "resolve");
        assert_eq!(alerts[2].detail.domain, "r.example.com");
    }
}
