//! A certificate's alerts as chat custom notifications: what the e-mail says, in markdown, in
//! the certificate's own thread (its reminders and its renewal together).

use crate::alert_event::{AlertKind, dedup_key};
use crate::chat::{CustomNotification, Draft, code};
use crate::decision::Severity;
use crate::finding::{display_domain, finding_id};
use crate::notification::{ExpiryNotice, RenewedNotice};
use crate::timestamp::{human, rfc3339_seconds};
use std::collections::BTreeMap;

/// The chat notification for an expiring, expired or action-required certificate.
pub fn expiry_chat(notice: &ExpiryNotice<'_>, severity: Severity, id: &str) -> CustomNotification {
    let arn = notice.certificate.arn();
    let domain = display_domain(notice.detail);
    let when = human(notice.not_after);
    let kind = AlertKind::raised(notice.days_left, notice.action.is_some());
    let (title, headline) = match (kind, notice.days_left) {
        (AlertKind::ActionRequired, d) => (
            format!(":warning: ACM cannot renew {domain}"),
            format!(
                "ACM cannot renew the certificate for {} by itself ({}). It expires on {when}, in {d} days.",
                code(domain),
                notice.action.unwrap_or("renewal action required")
            ),
        ),
        (AlertKind::Expired, _) => (
            format!(":red_circle: Certificate expired: {domain}"),
            format!(
                "The ACM certificate for {} has expired, on {when}.",
                code(domain)
            ),
        ),
        (_, 0) => (
            format!(":red_circle: Certificate expires today: {domain}"),
            format!(
                "The ACM certificate for {} expires today, {when}.",
                code(domain)
            ),
        ),
        (_, d) => (
            format!(":hourglass: Certificate expires in {d} days: {domain}"),
            format!(
                "The ACM certificate for {} expires in {d} days, on {when}.",
                code(domain)
            ),
        ),
    };
    let mut lines = vec![headline, String::new()];
    lines.push(format!("*Certificate:* {}", code(arn.as_str())));
    let others: Vec<String> = notice
        .detail
        .subject_alternative_names
        .iter()
        .filter(|n| n.as_str() != domain)
        .map(|n| code(n))
        .collect();
    if !others.is_empty() {
        lines.push(format!("*Also covers:* {}", others.join(", ")));
    }
    lines.push(format!(
        "*Account:* {} ({})",
        code(&arn.account),
        arn.region
    ));
    if let Some(kind) = &notice.detail.kind {
        lines.push(format!("*Type:* {kind}"));
    }
    if !notice.detail.in_use_by.is_empty() {
        let users: Vec<String> = notice.detail.in_use_by.iter().map(|u| code(u)).collect();
        lines.push(format!("*In use by:* {}", users.join(", ")));
    }
    lines.push(format!("*Severity:* {}", severity.label()));
    let console = arn
        .partition
        .acm_console_url(&arn.region, notice.certificate.id());
    let mut next_steps = vec![what_to_do(notice)];
    next_steps.push(format!("Open it in the ACM console: {console}"));
    let mut keywords = vec!["certwatch".to_owned(), severity.label().to_owned()];
    keywords.extend(notice.detail.kind.clone());
    keywords.push(arn.region.clone());
    Draft {
        id: Some(id.to_owned()),
        title,
        description: lines.join("\n"),
        next_steps,
        keywords,
        thread_id: Some(dedup_key(notice.certificate)),
        summary: format!("{}: {domain}", kind.detail_type()),
        event_type: kind.detail_type().to_owned(),
        related_resources: std::iter::once(arn.as_str().to_owned())
            .chain(notice.detail.in_use_by.iter().cloned())
            .collect(),
        additional_context: context(notice, severity),
    }
    .fit()
}

/// The chat notification for a renewal: the all-clear, in the same thread as the alerts.
pub fn renewed_chat(notice: &RenewedNotice<'_>, id: &str) -> CustomNotification {
    let now = &notice.now;
    let arn = now.certificate.arn();
    let domain = display_domain(now.detail);
    let kind = AlertKind::Renewed;
    let description = [
        format!(
            "The ACM certificate for {} was {}: it now expires on {}, in {} days.",
            code(domain),
            notice.how,
            human(now.not_after),
            now.days_left
        ),
        String::new(),
        format!("*Certificate:* {}", code(arn.as_str())),
        format!("*Account:* {} ({})", code(&arn.account), arn.region),
        String::new(),
        "Nothing more to do: certwatch resolved its Security Hub finding.".to_owned(),
    ]
    .join("\n");
    Draft {
        id: Some(id.to_owned()),
        title: format!(":white_check_mark: Certificate renewed: {domain}"),
        description,
        next_steps: Vec::new(),
        keywords: vec![
            "certwatch".to_owned(),
            "renewed".to_owned(),
            arn.region.clone(),
        ],
        thread_id: Some(dedup_key(now.certificate)),
        summary: format!("{}: {domain}", kind.detail_type()),
        event_type: kind.detail_type().to_owned(),
        related_resources: vec![arn.as_str().to_owned()],
        additional_context: context(now, Severity::Informational),
    }
    .fit()
}

/// What to do, in one step: the same advice as the e-mail's.
fn what_to_do(notice: &ExpiryNotice<'_>) -> String {
    let arn = notice.certificate.arn();
    if let Some(reason) = notice.action {
        return crate::renewal_action::what_to_fix(reason).to_owned();
    }
    match notice.detail.kind.as_deref() {
        Some("IMPORTED") => format!(
            "ACM cannot renew an imported certificate: import a renewed one into the same ARN, `aws acm import-certificate --certificate-arn {arn} --certificate fileb://cert.pem --private-key fileb://key.pem --certificate-chain fileb://chain.pem --region {}`",
            arn.region
        ),
        _ => format!(
            "Check the renewal status and the domain's validation records: `aws acm describe-certificate --certificate-arn {arn} --region {}`",
            arn.region
        ),
    }
}

/// The facts a custom action or a person may want, as Chatbot's string map.
fn context(notice: &ExpiryNotice<'_>, severity: Severity) -> BTreeMap<String, String> {
    let arn = notice.certificate.arn();
    [
        ("account", arn.account.clone()),
        ("region", arn.region.clone()),
        ("notAfter", rfc3339_seconds(notice.not_after)),
        ("daysLeft", notice.days_left.to_string()),
        ("severity", severity.label().to_owned()),
        ("findingId", finding_id(notice.certificate)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
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
        let n = expiry_chat(&notice(&arn, &detail, 11), Severity::High, "event-1");
        assert_eq!(n.id.as_deref(), Some("event-1"));
        assert_eq!(
            n.content.title,
            ":hourglass: Certificate expires in 11 days: *.example.com"
        );
        let d = &n.content.description;
        assert!(
            d.starts_with(
                "The ACM certificate for `*.example.com` expires in 11 days, on 2026-12-10 12:00 UTC."
            ),
            "{d}"
        );
        assert!(d.contains("*Account:* `123456789012` (us-east-1)"), "{d}");
        assert!(d.contains("*Also covers:* `example.com`"), "{d}");
        assert!(
            d.contains("*In use by:* `arn:aws:elasticloadbalancing"),
            "{d}"
        );
        assert!(n.content.next_steps[0].contains("aws acm import-certificate --certificate-arn"));
        assert!(n.content.next_steps[1].contains(
            "https://console.aws.amazon.com/acm/home?region=us-east-1#/certificates/abc"
        ));
        assert_eq!(n.metadata.event_type, "Certificate Expiring");
        assert_eq!(n.metadata.additional_context["daysLeft"], "11");
        assert_eq!(n.metadata.related_resources[0], arn.to_string());
    }

    #[test]
    fn the_renewal_lands_in_the_alerts_thread() {
        let arn = arn();
        let detail = detail(&arn, "AMAZON_ISSUED");
        let expired = expiry_chat(&notice(&arn, &detail, -1), Severity::Critical, "e1");
        assert_eq!(expired.metadata.event_type, "Certificate Expired");
        assert!(expired.content.next_steps[0].contains("describe-certificate"));
        let renewed = renewed_chat(
            &RenewedNotice {
                now: notice(&arn, &detail, 395),
                how: "renewed by ACM",
            },
            "e2",
        );
        assert_eq!(renewed.metadata.event_type, "Certificate Renewed");
        assert!(renewed.metadata.thread_id.is_some());
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
        assert_eq!(
            n.content.next_steps[0],
            crate::renewal_action::what_to_fix("CAA_ERROR")
        );
    }
}
