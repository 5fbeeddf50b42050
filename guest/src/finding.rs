//! The Security Hub finding (ASFF 2018-10-08) for a certificate nearing expiry, and the same
//! finding resolved once the certificate is renewed.

use crate::arn::CertificateArn;
use crate::asff::{
    Asff, CertificateDetails, Compliance, ComplianceStatus, FINDING_TYPE, ProductFields,
    ProviderFields, RESOURCE_TYPE, Recommendation, RecordState, Remediation, Resource,
    ResourceDetails, SCHEMA_VERSION, SeverityLabel,
};
use crate::aws::open_findings::OpenFinding;
use crate::certificate::CertificateDetail;
use crate::decision::Severity;
use crate::timestamp::rfc3339_millis;
use time::OffsetDateTime;

/// The findings' `GeneratorId` when `CERTWATCH_GENERATOR_ID` is unset.
pub const GENERATOR_ID: &str = "certwatch/acm-certificate-expiry";

/// Everything a finding says about one certificate at one moment.
#[derive(Debug, Clone)]
pub struct ExpiryFinding<'a> {
    /// The certificate the finding is about: its resource, and the account and partition.
    pub certificate: &'a CertificateArn,
    /// What ACM said of the certificate, copied into the resource's details.
    pub detail: &'a CertificateDetail,
    /// When the certificate expires; also recorded as `certwatch/NotAfter`.
    pub not_after: OffsetDateTime,
    /// Whole days from `now` to `not_after`, negative once expired (`certwatch/DaysToExpiry`).
    pub days_left: i64,
    /// The region whose hub receives the finding.
    pub hub_region: &'a str,
    /// When the finding is written: its `UpdatedAt`, and `CreatedAt` for a new one.
    pub now: OffsetDateTime,
    /// Who raised the finding: certwatch's default, or the Lambda function's ARN.
    pub generator_id: &'a str,
    /// The finding's severity label, as the decision set it.
    pub severity: Severity,
    /// The certificate was renewed: the finding passes and is archived.
    pub resolved: bool,
    /// When Security Hub says the finding was first raised, if certwatch asked; otherwise
    /// `now`.
    pub created_at: Option<&'a str>,
    /// Why ACM cannot renew the certificate by itself, when that is what the finding is about.
    pub action: Option<&'a str>,
}

/// The finding's id: one per certificate, so a repeated or retried event updates the same
/// finding instead of adding another.
pub fn finding_id(certificate: &CertificateArn) -> String {
    format!("{certificate}/certwatch/expiry")
}

impl<'a> ExpiryFinding<'a> {
    /// The finding's `Id`: [`finding_id`] of its certificate.
    pub fn id(&self) -> String {
        finding_id(self.certificate)
    }

    /// The hub product the finding belongs to: the account's own default product.
    pub fn product_arn(&self) -> String {
        let arn = self.certificate.arn();
        let account = &arn.account;
        format!(
            "arn:{}:securityhub:{}:{account}:product/{account}/default",
            arn.partition.name(),
            self.hub_region
        )
    }

    pub(crate) fn to_asff(&self) -> Asff<'a> {
        let arn = self.certificate.arn();
        let partition = arn.partition;
        let account = &arn.account;
        let domain = display_domain(self.detail);
        let severity = self.severity;
        let when = rfc3339_millis(self.not_after);
        let now = rfc3339_millis(self.now);
        let (title, description) = if self.resolved {
            (
                format!("ACM certificate for {domain} was renewed"),
                format!(
                    "The ACM certificate for {domain} ({arn}) was renewed: it now expires on {when}, in {} days.",
                    self.days_left
                ),
            )
        } else if let Some(reason) = self.action {
            (
                format!("ACM cannot renew the certificate for {domain} ({reason})"),
                format!(
                    "ACM cannot renew the certificate for {domain} ({arn}) by itself: {reason}. It expires on {when}, in {} days.",
                    self.days_left
                ),
            )
        } else if self.days_left < 0 {
            (
                format!("ACM certificate for {domain} has expired"),
                format!("The ACM certificate for {domain} ({arn}) expired on {when}."),
            )
        } else {
            (
                format!(
                    "ACM certificate for {domain} expires in {} days",
                    self.days_left
                ),
                format!(
                    "The ACM certificate for {domain} ({arn}) expires on {when}, in {} days.",
                    self.days_left
                ),
            )
        };
        let recommendation = if let Some(reason) = self.action {
            crate::renewal_action::what_to_fix(reason).to_owned()
        } else if self.detail.kind.as_deref() == Some("IMPORTED") {
            format!(
                "Import a renewed certificate for {domain} into the same ARN (acm:ImportCertificate with --certificate-arn) before it expires."
            )
        } else {
            format!(
                "Check why ACM has not renewed the certificate for {domain} (domain validation, renewal status), or request a new one and move its users over before it expires."
            )
        };
        let (compliance, record_state) = if self.resolved {
            (ComplianceStatus::Passed, RecordState::Archived)
        } else {
            (ComplianceStatus::Warning, RecordState::Active)
        };
        let detail = self.detail;
        Asff {
            aws_account_id: account,
            compliance: Compliance { status: compliance },
            created_at: self.created_at.map_or_else(|| now.clone(), str::to_owned),
            description: truncate(&description, 1024),
            finding_provider_fields: ProviderFields {
                severity: SeverityLabel::new(severity.label()),
                types: [FINDING_TYPE],
            },
            generator_id: self.generator_id,
            id: self.id(),
            product_arn: self.product_arn(),
            product_fields: Some(ProductFields {
                days_to_expiry: self.days_left.to_string(),
                not_after: when.clone(),
            }),
            record_state,
            // A renewed certificate needs nothing done.
            remediation: (!self.resolved).then(|| Remediation {
                recommendation: Recommendation {
                    text: truncate(&recommendation, 512),
                    url: partition.acm_console_url(&arn.region, self.certificate.id()),
                },
            }),
            resources: [Resource {
                details: Some(ResourceDetails {
                    certificate: CertificateDetails {
                        domain_name: &detail.domain_name,
                        in_use_by: &detail.in_use_by,
                        not_after: when,
                        renewal_eligibility: detail.renewal_eligibility.as_deref(),
                        status: detail.status.as_deref(),
                        subject_alternative_names: &detail.subject_alternative_names,
                        kind: detail.kind.as_deref(),
                    },
                }),
                id: arn.as_str(),
                partition: partition.name(),
                region: &arn.region,
                kind: RESOURCE_TYPE,
            }],
            schema_version: SCHEMA_VERSION,
            severity: SeverityLabel::new(severity.label()),
            title: truncate(&title, 256),
            types: [FINDING_TYPE],
            updated_at: now,
        }
    }
}

/// The finding of a certificate deleted from ACM since it was raised, resolved: passed and
/// archived. All that is known of the certificate is what its open finding says.
pub struct GoneFinding<'a> {
    /// The finding as Security Hub holds it open.
    pub open: &'a OpenFinding,
    /// When it is resolved: its `UpdatedAt`.
    pub now: OffsetDateTime,
    /// The `GeneratorId` it is written under: the one that raised it.
    pub generator_id: &'a str,
}

impl<'a> GoneFinding<'a> {
    pub(crate) fn to_asff(&self) -> Asff<'a> {
        let open = self.open;
        let now = rfc3339_millis(self.now);
        let partition = open.certificate_arn.split(':').nth(1).unwrap_or("aws");
        let domain = open.domain.as_deref().unwrap_or(&open.certificate_arn);
        let severity = SeverityLabel::new(Severity::Informational.label());
        Asff {
            aws_account_id: &open.account,
            compliance: Compliance {
                status: ComplianceStatus::Passed,
            },
            created_at: open.created_at.clone().unwrap_or_else(|| now.clone()),
            description: truncate(
                &format!(
                    "The ACM certificate for {domain} ({}) was deleted from ACM, so it can no longer expire.",
                    open.certificate_arn
                ),
                1024,
            ),
            finding_provider_fields: ProviderFields {
                severity,
                types: [FINDING_TYPE],
            },
            generator_id: self.generator_id,
            id: open.id.clone(),
            product_arn: open.product_arn.clone(),
            product_fields: None,
            record_state: RecordState::Archived,
            remediation: None,
            resources: [Resource {
                details: None,
                id: &open.certificate_arn,
                partition,
                region: &open.certificate_region,
                kind: RESOURCE_TYPE,
            }],
            schema_version: SCHEMA_VERSION,
            severity,
            title: truncate(
                &format!("ACM certificate for {domain} no longer exists"),
                256,
            ),
            types: [FINDING_TYPE],
            updated_at: now,
        }
    }
}

/// The domain as people know it: ACM's `DomainName`, else the certificate id.
pub fn display_domain(detail: &CertificateDetail) -> &str {
    if detail.domain_name.is_empty() {
        detail.arn.rsplit('/').next().unwrap_or(&detail.arn)
    } else {
        &detail.domain_name
    }
}

/// At most `max` characters, cut on a character boundary.
fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;
    use time::macros::datetime;

    /// The finding as JSON, the way Security Hub reads it.
    fn json(asff: Asff<'_>) -> Value {
        serde_json::from_str(&asff.to_json()).unwrap()
    }

    fn detail(arn: &str, kind: &str) -> CertificateDetail {
        CertificateDetail {
            arn: arn.into(),
            domain_name: "example.com".into(),
            subject_alternative_names: vec!["example.com".into(), "www.example.com".into()],
            not_after: Some(datetime!(2026-12-10 12:00 UTC)),
            status: Some("ISSUED".into()),
            kind: Some(kind.into()),
            in_use_by: vec![],
            in_use: Some(false),
            renewal_eligibility: Some("INELIGIBLE".into()),
        }
    }

    /// An open finding of a certificate 11 days from expiry, raised in us-east-1.
    fn expiry_finding<'a>(
        certificate: &'a CertificateArn,
        detail: &'a CertificateDetail,
    ) -> ExpiryFinding<'a> {
        ExpiryFinding {
            certificate,
            detail,
            not_after: datetime!(2026-12-10 12:00 UTC),
            days_left: 11,
            hub_region: "us-east-1",
            now: datetime!(2026-11-29 12:00 UTC),
            generator_id: GENERATOR_ID,
            severity: Severity::High,
            resolved: false,
            created_at: None,
            action: None,
        }
    }

    fn finding(arn: &str, hub_region: &str, days_left: i64) -> Value {
        let certificate = CertificateArn::parse(arn).unwrap();
        let detail = detail(arn, "IMPORTED");
        let f = ExpiryFinding {
            days_left,
            hub_region,
            severity: crate::decision::SeverityThresholds::default().severity(days_left),
            ..expiry_finding(&certificate, &detail)
        }
        .to_asff();
        json(f)
    }

    /// The recorded requests hold findings written from a `Value`, whose keys are sorted: the
    /// structs must keep their fields in that order at every level.
    fn assert_keys_sorted(text: &str) {
        let sorted = serde_json::to_string(&serde_json::from_str::<Value>(text).unwrap()).unwrap();
        assert_eq!(text, sorted);
    }

    #[test]
    fn fields_are_written_in_the_order_the_recordings_hold() {
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
        let certificate = CertificateArn::parse(arn).unwrap();
        let mut detail = detail(arn, "IMPORTED");
        detail.in_use_by = vec!["arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/x".into()];
        for resolved in [false, true] {
            let finding = ExpiryFinding {
                resolved,
                created_at: Some("2026-11-01T00:00:00.000Z"),
                ..expiry_finding(&certificate, &detail)
            };
            assert_keys_sorted(&finding.to_asff().to_json());
        }
        let open = OpenFinding {
            id: format!("{arn}/certwatch/expiry"),
            product_arn: "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
                .into(),
            account: "123456789012".into(),
            certificate_arn: arn.into(),
            certificate_region: "us-east-1".into(),
            domain: Some("example.com".into()),
            created_at: None,
            not_after: None,
        };
        let gone = GoneFinding {
            open: &open,
            now: datetime!(2026-11-29 12:00 UTC),
            generator_id: GENERATOR_ID,
        };
        assert_keys_sorted(&gone.to_asff().to_json());
    }

    #[test]
    fn a_resolved_finding_passes_and_is_archived() {
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
        let certificate = CertificateArn::parse(arn).unwrap();
        let detail = detail(arn, "AMAZON_ISSUED");
        let f = ExpiryFinding {
            not_after: datetime!(2027-12-10 12:00 UTC),
            days_left: 376,
            severity: Severity::Informational,
            resolved: true,
            ..expiry_finding(&certificate, &detail)
        }
        .to_asff();
        let f = json(f);
        assert_eq!(
            f["Id"],
            format!("{arn}/certwatch/expiry"),
            "the same finding"
        );
        assert_eq!(f["Compliance"]["Status"], "PASSED");
        assert_eq!(f["RecordState"], "ARCHIVED");
        assert_eq!(
            f["FindingProviderFields"]["Severity"]["Label"],
            "INFORMATIONAL"
        );
        assert_eq!(f["Title"], "ACM certificate for example.com was renewed");
        assert!(f.get("Remediation").is_none());
    }

    #[test]
    fn the_resource_is_the_certificate() {
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
        let f = finding(arn, "us-east-1", 11);
        assert_eq!(f["SchemaVersion"], "2018-10-08");
        assert_eq!(f["Id"], format!("{arn}/certwatch/expiry"));
        assert_eq!(f["AwsAccountId"], "123456789012");
        assert_eq!(f["GeneratorId"], GENERATOR_ID);
        assert_eq!(
            f["ProductArn"],
            "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
        );
        let resource = &f["Resources"][0];
        assert_eq!(resource["Type"], "AwsCertificateManagerCertificate");
        assert_eq!(resource["Id"], arn);
        assert_eq!(resource["Partition"], "aws");
        assert_eq!(resource["Region"], "us-east-1");
        assert_eq!(
            resource["Details"]["AwsCertificateManagerCertificate"]["DomainName"],
            "example.com"
        );
        assert_eq!(f["Compliance"]["Status"], "WARNING");
        assert_eq!(f["CreatedAt"], "2026-11-29T12:00:00.000Z");
        assert_eq!(
            f["Title"],
            "ACM certificate for example.com expires in 11 days"
        );
        assert!(
            f["Description"]
                .as_str()
                .unwrap()
                .contains("2026-12-10T12:00:00.000Z, in 11 days")
        );
        assert_eq!(f["Severity"]["Label"], "HIGH");
        assert_eq!(f["FindingProviderFields"]["Severity"]["Label"], "HIGH");
        assert!(
            f["Remediation"]["Recommendation"]["Text"]
                .as_str()
                .unwrap()
                .contains("Import a renewed certificate")
        );
    }

    #[test]
    fn partitions_and_hub_regions() {
        let f = finding(
            "arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc",
            "cn-northwest-1",
            3,
        );
        assert_eq!(
            f["ProductArn"],
            "arn:aws-cn:securityhub:cn-northwest-1:123456789012:product/123456789012/default"
        );
        assert_eq!(f["Resources"][0]["Partition"], "aws-cn");
        assert_eq!(f["Resources"][0]["Region"], "cn-north-1");
        assert_eq!(
            f["Remediation"]["Recommendation"]["Url"],
            "https://console.amazonaws.cn/acm/home?region=cn-north-1#/certificates/abc"
        );
        let f = finding(
            "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc",
            "us-gov-west-1",
            3,
        );
        assert_eq!(f["Resources"][0]["Partition"], "aws-us-gov");
        assert!(
            f["Remediation"]["Recommendation"]["Url"]
                .as_str()
                .unwrap()
                .starts_with("https://console.amazonaws-us-gov.com/")
        );
    }

    #[test]
    fn expired_certificates_say_so() {
        let f = finding(
            "arn:aws:acm:us-east-1:123456789012:certificate/abc",
            "us-east-1",
            -2,
        );
        assert_eq!(f["Title"], "ACM certificate for example.com has expired");
        assert_eq!(f["Severity"]["Label"], "CRITICAL");
    }

    #[test]
    fn truncates_on_character_boundaries() {
        assert_eq!(truncate("ééé", 2), "éé");
        assert_eq!(truncate("ab", 5), "ab");
    }
}
