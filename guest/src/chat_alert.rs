//! A certificate's alerts as chat custom notifications: what the e-mail says, word for word
//! (its lines are plain markdown; its commands become code spans), in the certificate's own
//! thread (its reminders and its renewal together). One text for both keeps them saying the
//! same, and the component small.

use crate::alert_event::{AlertKind, dedup_key};
use crate::chat::{CustomNotification, Draft, context};
use crate::decision::Severity;
use crate::finding::{display_domain, finding_id};
use crate::notification::{ExpiryNotice, RenewedNotice};
use crate::timestamp::rfc3339_seconds;
use std::collections::BTreeMap;

/// The chat notification for an expiring, expired or action-required certificate.
pub fn expiry_chat(notice: &ExpiryNotice<'_>, severity: Severity, id: &str) -> CustomNotification {
    let kind = AlertKind::raised(notice.days_left, notice.action.is_some());
    let mark = match kind {
        AlertKind::Expiring if notice.days_left > 0 => ":hourglass:",
        AlertKind::ActionRequired => ":warning:",
        _ => ":red_circle:",
    };
    let arn = notice.certificate.arn();
    let console = arn
        .partition
        .acm_console_url(&arn.region, notice.certificate.id());
    let mut keywords = vec!["certwatch".to_owned(), severity.label().to_owned()];
    keywords.extend(notice.detail.kind.clone());
    let draft = Draft {
        next_steps: vec![format!("Open it in the ACM console: {console}")],
        keywords,
        related_resources: std::iter::once(arn.as_str().to_owned())
            .chain(notice.detail.in_use_by.iter().cloned())
            .collect(),
        ..draft(notice, kind, mark, &notice.message(), severity, id)
    };
    draft.fit()
}

/// The chat notification for a renewal: the all-clear, in the same thread as the alerts.
pub fn renewed_chat(notice: &RenewedNotice<'_>, id: &str) -> CustomNotification {
    let draft = Draft {
        keywords: vec!["certwatch".to_owned(), "renewed".to_owned()],
        related_resources: vec![notice.now.certificate.to_string()],
        ..draft(
            &notice.now,
            AlertKind::Renewed,
            ":white_check_mark:",
            &notice.message(),
            Severity::Informational,
            id,
        )
    };
    draft.fit()
}

/// What every alert's notification has: the e-mail's text, its first line the title.
fn draft(
    notice: &ExpiryNotice<'_>,
    kind: AlertKind,
    mark: &str,
    email: &str,
    severity: Severity,
    id: &str,
) -> Draft {
    let (headline, rest) = email.split_once('\n').unwrap_or((email, ""));
    let description: Vec<String> = rest
        .trim_start_matches('\n')
        .lines()
        .map(|line| match line.strip_prefix("  aws ") {
            Some(command) => format!("`aws {command}`"),
            None => line.to_owned(),
        })
        .collect();
    let domain = display_domain(notice.detail);
    Draft {
        id: Some(id.to_owned()),
        title: format!("{mark} {headline}"),
        description: description.join("\n"),
        thread_id: Some(dedup_key(notice.certificate)),
        summary: format!("{}: {domain}", kind.detail_type()),
        event_type: kind.detail_type().to_owned(),
        additional_context: facts(notice, severity),
        ..Draft::default()
    }
}

/// The facts a custom action or a person may want, as Chatbot's string map.
fn facts(notice: &ExpiryNotice<'_>, severity: Severity) -> BTreeMap<String, String> {
    let arn = notice.certificate.arn();
    context(&[
        ("account", arn.account.clone()),
        ("region", arn.region.clone()),
        ("notAfter", rfc3339_seconds(notice.not_after)),
        ("daysLeft", notice.days_left.to_string()),
        ("severity", severity.label().to_owned()),
        ("findingId", finding_id(notice.certificate)),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arn::CertificateArn;
    use crate::certificate::CertificateDetail;
    use time::macros::datetime;

    fn detail(arn: &CertificateArn, kind: &str) -> CertificateDetail {
        CertificateDetail {
            arn: arn.to_string(),
            domain_name: "*.example.com".into(),
            subject_alternative_names: vec!["*.example.com".into(), "example.com".into()],
            kind: Some(kind.into()),
            in_use_by: vec![
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1".into(),
            ],
            ..CertificateDetail::default()
        }
    }

    fn arn() -> CertificateArn {
        CertificateArn::parse("arn:aws:acm:us-east-1:123456789012:certificate/abc").unwrap()
    }

    fn notice<'a>(
        arn: &'a CertificateArn,
        detail: &'a CertificateDetail,
        days_left: i64,
    ) -> ExpiryNotice<'a> {
        ExpiryNotice {
            certificate: arn,
            detail,
            not_after: datetime!(2026-12-10 12:00 UTC),
            days_left,
            action: None,
        }
    }

    #[test]
    fn an_expiring_certificate_says_what_the_email_says() {
        let arn = arn();
        let detail = detail(&arn, "IMPORTED");
        let notice = notice(&arn, &detail, 11);
        let n = expiry_chat(&notice, Severity::High, "event-1");
        assert_eq!(n.id.as_deref(), Some("event-1"));
        assert_eq!(
            n.content.title,
            ":hourglass: The ACM certificate for *.example.com expires in 11 days, on 2026-12-10 12:00 UTC."
        );
        let d = &n.content.description;
        let email = notice.message();
        // Every line of the e-mail below its headline, the commands as code spans.
        for line in email.lines().skip(2) {
            let line = match line.strip_prefix("  ") {
                Some(command) => format!("`{command}`"),
                None => line.to_owned(),
            };
            assert!(d.contains(&line), "{line:?} is not in\n{d}");
        }
        assert!(
            d.starts_with("Certificate: arn:aws:acm:us-east-1:123456789012:certificate/abc"),
            "{d}"
        );
        assert!(d.contains("Account:     123456789012 (us-east-1)"), "{d}");
        assert!(
            d.contains("\n`aws acm import-certificate --certificate-arn"),
            "{d}"
        );
        assert!(n.content.next_steps[0].contains(
            "https://console.aws.amazon.com/acm/home?region=us-east-1#/certificates/abc"
        ));
        assert_eq!(n.content.keywords, ["certwatch", "HIGH", "IMPORTED"]);
        assert_eq!(n.metadata.event_type, "Certificate Expiring");
        assert_eq!(n.metadata.summary, "Certificate Expiring: *.example.com");
        assert_eq!(n.metadata.additional_context["daysLeft"], "11");
        assert_eq!(n.metadata.additional_context["account"], "123456789012");
        assert_eq!(n.metadata.related_resources[0], arn.to_string());
        assert_eq!(
            n.metadata.related_resources.len(),
            2,
            "the certificate and its user"
        );
    }

    #[test]
    fn the_renewal_lands_in_the_alerts_thread() {
        let arn = arn();
        let detail = detail(&arn, "AMAZON_ISSUED");
        let expired = expiry_chat(&notice(&arn, &detail, -1), Severity::Critical, "e1");
        assert_eq!(expired.metadata.event_type, "Certificate Expired");
        assert!(expired.content.title.starts_with(":red_circle: "));
        assert!(
            expired
                .content
                .description
                .contains("`aws acm describe-certificate")
        );
        let renewed = renewed_chat(
            &RenewedNotice {
                now: notice(&arn, &detail, 395),
                how: "renewed by ACM",
            },
            "e2",
        );
        assert_eq!(renewed.metadata.event_type, "Certificate Renewed");
        assert!(
            renewed.content.title.contains("was renewed by ACM"),
            "{renewed:?}"
        );
        assert_eq!(renewed.metadata.thread_id, Some(format!("certwatch:{arn}")));
        assert_eq!(renewed.metadata.thread_id, expired.metadata.thread_id);
    }

    #[test]
    fn action_required_says_what_to_fix() {
        let arn = arn();
        let detail = detail(&arn, "AMAZON_ISSUED");
        let mut notice = notice(&arn, &detail, 55);
        notice.action = Some("CAA_ERROR");
        let n = expiry_chat(&notice, Severity::High, "e");
        assert_eq!(n.metadata.event_type, "Certificate Renewal Action Required");
        assert!(n.content.title.starts_with(":warning: ACM cannot renew"));
        assert!(
            n.content
                .description
                .contains(crate::renewal_action::what_to_fix("CAA_ERROR")),
            "{}",
            n.content.description
        );
    }
}
