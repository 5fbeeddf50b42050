//! The SNS message a person reads and acts on.

use crate::arn::CertificateArn;
use crate::certificate::CertificateDetail;
use crate::finding::display_domain;
use crate::timestamp::human;
use time::OffsetDateTime;

/// The documented function's subject, kept so existing e-mail filters still match.
pub const SUBJECT: &str = "Certificate Expiration Notification";

/// The message that tells the owner a certificate is expiring, has expired, or needs them to
/// renew.
#[derive(Debug, Clone)]
pub struct ExpiryNotice<'a> {
    /// The certificate it is about.
    pub certificate: &'a CertificateArn,
    /// What ACM said of the certificate: its names, type and users.
    pub detail: &'a CertificateDetail,
    /// When the certificate expires.
    pub not_after: OffsetDateTime,
    /// Whole days to `not_after`, negative once expired.
    pub days_left: i64,
    /// Why ACM cannot renew it by itself, when the message is about that.
    pub action: Option<&'a str>,
}

impl ExpiryNotice<'_> {
    /// The message's subject: always [`SUBJECT`].
    pub fn subject(&self) -> &'static str {
        SUBJECT
    }

    /// The message's text: what happened, the certificate, and what to do about it.
    pub fn message(&self) -> String {
        let arn = self.certificate.arn();
        let domain = display_domain(self.detail);
        let when = human(self.not_after);
        let headline = match self.days_left {
            d if let Some(reason) = self.action => format!(
                "ACM cannot renew the certificate for {domain} by itself ({reason}). It expires on {when}, in {d} days."
            ),
            // Days left round down, so "3 days ago" could mean 2 days and an hour: the date says it.
            d if d < 0 => format!("The ACM certificate for {domain} has expired, on {when}."),
            0 => format!("The ACM certificate for {domain} expires today, {when}."),
            1 => format!("The ACM certificate for {domain} expires tomorrow, {when}."),
            d => format!("The ACM certificate for {domain} expires in {d} days, on {when}."),
        };
        let mut lines = vec![headline, String::new()];
        lines.push(format!("Certificate: {arn}"));
        let others: Vec<&str> = self
            .detail
            .subject_alternative_names
            .iter()
            .map(String::as_str)
            .filter(|n| *n != domain)
            .collect();
        if !others.is_empty() {
            lines.push(format!("Also covers: {}", others.join(", ")));
        }
        lines.push(format!("Account:     {} ({})", arn.account, arn.region));
        if let Some(kind) = &self.detail.kind {
            lines.push(format!("Type:        {kind}"));
        }
        if !self.detail.in_use_by.is_empty() {
            lines.push(format!("In use by:   {}", self.detail.in_use_by.join(", ")));
        }
        lines.push(String::new());
        lines.push("What to do:".into());
        if let Some(reason) = self.action {
            lines.push(crate::renewal_action::what_to_fix(reason).into());
        } else if self.detail.kind.as_deref() == Some("IMPORTED") {
            lines.push("ACM cannot renew an imported certificate. Get a renewed certificate from its issuer and".into());
            lines.push("import it into the same ARN, so everything using it picks it up:".into());
            lines.push(format!(
                "  aws acm import-certificate --certificate-arn {arn} --certificate fileb://cert.pem --private-key fileb://key.pem --certificate-chain fileb://chain.pem --region {}",
                arn.region
            ));
        } else {
            lines.push("ACM renews the certificates it issues by itself, unless validation fails. Check the".into());
            lines.push(
                "renewal status and the domain's validation records (DNS CNAME or e-mail):".into(),
            );
            lines.push(format!(
                "  aws acm describe-certificate --certificate-arn {arn} --region {}",
                arn.region
            ));
        }
        lines.push(String::new());
        lines.push(format!(
            "Console: {}",
            arn.partition
                .acm_console_url(&arn.region, self.certificate.id())
        ));
        lines.join("\n")
    }
}

/// The subject of the message that tells the owner a certificate was renewed.
pub const RENEWED_SUBJECT: &str = "Certificate Renewed Notification";

/// The all-clear: a certificate certwatch may have warned about was renewed.
#[derive(Debug, Clone)]
pub struct RenewedNotice<'a> {
    /// The certificate as it is now.
    pub now: ExpiryNotice<'a>,
    /// How it was renewed, in words: "renewed by ACM", "re-imported".
    pub how: &'a str,
}

impl RenewedNotice<'_> {
    /// The message's text: how it was renewed, and when it now expires.
    pub fn message(&self) -> String {
        let arn = self.now.certificate.arn();
        let domain = display_domain(self.now.detail);
        [
            format!(
                "The ACM certificate for {domain} was {}: it now expires on {}, in {} days.",
                self.how,
                human(self.now.not_after),
                self.now.days_left
            ),
            String::new(),
            format!("Certificate: {arn}"),
            format!("Account:     {} ({})", arn.account, arn.region),
            String::new(),
            "Nothing more to do. certwatch resolved its Security Hub finding for this certificate."
                .into(),
        ]
        .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn message(kind: &str, days_left: i64) -> String {
        let certificate =
            CertificateArn::parse("arn:aws:acm:us-east-1:123456789012:certificate/abc").unwrap();
        let detail = CertificateDetail {
            arn: certificate.to_string(),
            domain_name: "example.com".into(),
            subject_alternative_names: vec!["example.com".into(), "www.example.com".into()],
            not_after: None,
            status: None,
            kind: Some(kind.into()),
            in_use_by: vec![
                "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/web/1".into(),
            ],
            in_use: Some(true),
            renewal_eligibility: None,
        };
        ExpiryNotice {
            certificate: &certificate,
            detail: &detail,
            not_after: datetime!(2026-12-10 12:00 UTC),
            days_left,
            action: None,
        }
        .message()
    }

    #[test]
    fn says_what_when_and_what_to_do() {
        let m = message("IMPORTED", 11);
        assert!(
            m.starts_with(
                "The ACM certificate for example.com expires in 11 days, on 2026-12-10 12:00 UTC."
            ),
            "{m}"
        );
        assert!(m.contains("Certificate: arn:aws:acm:us-east-1:123456789012:certificate/abc"));
        assert!(m.contains("Also covers: www.example.com"));
        assert!(m.contains("In use by:   arn:aws:elasticloadbalancing"));
        assert!(m.contains("aws acm import-certificate --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/abc"));
        assert!(m.contains(
            "Console: https://console.aws.amazon.com/acm/home?region=us-east-1#/certificates/abc"
        ));
    }

    #[test]
    fn amazon_issued_certificates_get_renewal_advice() {
        assert!(message("AMAZON_ISSUED", 30).contains("renewal status"));
    }

    #[test]
    fn today_tomorrow_and_expired() {
        assert!(
            message("IMPORTED", 0).starts_with("The ACM certificate for example.com expires today")
        );
        assert!(message("IMPORTED", 1).contains("expires tomorrow"));
        assert!(message("IMPORTED", -3).starts_with(
            "The ACM certificate for example.com has expired, on 2026-12-10 12:00 UTC."
        ));
    }

    #[test]
    fn the_subject_fits_sns() {
        for subject in [SUBJECT, RENEWED_SUBJECT] {
            assert!(subject.len() <= 100 && subject.is_ascii());
        }
    }

    #[test]
    fn the_all_clear_says_until_when() {
        let certificate =
            CertificateArn::parse("arn:aws:acm:us-east-1:123456789012:certificate/abc").unwrap();
        let detail = CertificateDetail {
            arn: certificate.to_string(),
            domain_name: "example.com".into(),
            ..CertificateDetail::default()
        };
        let m = RenewedNotice {
            now: ExpiryNotice {
                certificate: &certificate,
                detail: &detail,
                not_after: datetime!(2027-12-10 12:00 UTC),
                days_left: 376,
                action: None,
            },
            how: "renewed by ACM",
        }
        .message();
        assert!(
            m.starts_with("The ACM certificate for example.com was renewed by ACM: it now expires on 2027-12-10 12:00 UTC, in 376 days."),
            "{m}"
        );
    }
}
