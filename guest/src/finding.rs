//! The Security Hub finding (ASFF 2018-10-08) for a certificate nearing expiry, and the same
//! finding resolved once the certificate is renewed.

use crate::arn::CertificateArn;
use crate::aws::acm::CertificateDetail;
use crate::aws::open_findings::OpenFinding;
use crate::expiry::Severity;
use crate::timestamp::rfc3339_millis;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

pub const GENERATOR_ID: &str = "certwatch/acm-certificate-expiry";
const FINDING_TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";

/// Everything a finding says about one certificate at one moment.
#[derive(Debug, Clone)]
pub struct ExpiryFinding<'a> {
    pub certificate: &'a CertificateArn,
    pub detail: &'a CertificateDetail,
    pub not_after: OffsetDateTime,
    pub days_left: i64,
    /// The region whose hub receives the finding.
    pub hub_region: &'a str,
    pub now: OffsetDateTime,
    /// Who raised the finding: certwatch's default, or the Lambda function's ARN.
    pub generator_id: &'a str,
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

impl ExpiryFinding<'_> {
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

    pub fn to_asff(&self) -> Value {
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
        let mut finding = json!({
            "SchemaVersion": "2018-10-08",
            "Id": self.id(),
            "ProductArn": self.product_arn(),
            "GeneratorId": self.generator_id,
            "AwsAccountId": account,
            "Types": [FINDING_TYPE],
            "CreatedAt": self.created_at.map_or_else(|| now.clone(), str::to_owned),
            "UpdatedAt": now,
            "Severity": { "Label": severity.label(), "Original": severity.label() },
            "FindingProviderFields": {
                "Severity": { "Label": severity.label(), "Original": severity.label() },
                "Types": [FINDING_TYPE],
            },
            "Title": truncate(&title, 256),
            "Description": truncate(&description, 1024),
            "Remediation": {
                "Recommendation": {
                    "Text": truncate(&recommendation, 512),
                    "Url": partition.acm_console_url(&arn.region, self.certificate.id()),
                }
            },
            "ProductFields": {
                "certwatch/DaysToExpiry": self.days_left.to_string(),
                "certwatch/NotAfter": when,
            },
            "Resources": [{
                "Type": "AwsCertificateManagerCertificate",
                "Id": arn.as_str(),
                "Partition": partition.name(),
                "Region": arn.region,
                "Details": { "AwsCertificateManagerCertificate": certificate_details(self.detail, &when) },
            }],
            "Compliance": { "Status": "WARNING" },
            "RecordState": "ACTIVE",
        });
        if self.resolved {
            finding["Compliance"]["Status"] = "PASSED".into();
            finding["RecordState"] = "ARCHIVED".into();
            if let Some(fields) = finding.as_object_mut() {
                fields.remove("Remediation");
            }
        }
        finding
    }
}

/// The finding of a certificate deleted from ACM since it was raised, resolved: passed and
/// archived. All that is known of the certificate is what its open finding says.
pub struct GoneFinding<'a> {
    pub open: &'a OpenFinding,
    pub now: OffsetDateTime,
    pub generator_id: &'a str,
}

impl GoneFinding<'_> {
    pub fn to_asff(&self) -> Value {
        let open = self.open;
        let now = rfc3339_millis(self.now);
        let partition = open.certificate_arn.split(':').nth(1).unwrap_or("aws");
        let domain = open.domain.as_deref().unwrap_or(&open.certificate_arn);
        let severity = Severity::Informational.label();
        json!({
            "SchemaVersion": "2018-10-08",
            "Id": open.id,
            "ProductArn": open.product_arn,
            "GeneratorId": self.generator_id,
            "AwsAccountId": open.account,
            "Types": [FINDING_TYPE],
            "CreatedAt": open.created_at.clone().unwrap_or_else(|| now.clone()),
            "UpdatedAt": now,
            "Severity": { "Label": severity, "Original": severity },
            "FindingProviderFields": {
                "Severity": { "Label": severity, "Original": severity },
                "Types": [FINDING_TYPE],
            },
            "Title": truncate(&format!("ACM certificate for {domain} no longer exists"), 256),
            "Description": truncate(&format!("The ACM certificate for {domain} ({}) was deleted from ACM, so it can no longer expire.", open.certificate_arn), 1024),
            "Resources": [{
                "Type": "AwsCertificateManagerCertificate",
                "Id": open.certificate_arn,
                "Partition": partition,
                "Region": open.certificate_region,
            }],
            "Compliance": { "Status": "PASSED" },
            "RecordState": "ARCHIVED",
        })
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

fn certificate_details(detail: &CertificateDetail, not_after: &str) -> Value {
    let mut fields = Map::new();
    if !detail.domain_name.is_empty() {
        fields.insert("DomainName".into(), detail.domain_name.clone().into());
    }
    fields.insert("NotAfter".into(), not_after.into());
    for (name, value) in [
        ("Status", &detail.status),
        ("Type", &detail.kind),
        ("RenewalEligibility", &detail.renewal_eligibility),
    ] {
        if let Some(value) = value {
            fields.insert(name.into(), value.clone().into());
        }
    }
    if !detail.subject_alternative_names.is_empty() {
        fields.insert(
            "SubjectAlternativeNames".into(),
            detail.subject_alternative_names.clone().into(),
        );
    }
    if !detail.in_use_by.is_empty() {
        fields.insert("InUseBy".into(), detail.in_use_by.clone().into());
    }
    Value::Object(fields)
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
    use time::macros::datetime;

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

    fn finding(arn: &str, hub_region: &str, days_left: i64) -> Value {
        let certificate = CertificateArn::parse(arn).unwrap();
        let detail = detail(arn, "IMPORTED");
        ExpiryFinding {
            certificate: &certificate,
            detail: &detail,
            not_after: datetime!(2026-12-10 12:00 UTC),
            days_left,
            hub_region,
            now: datetime!(2026-11-29 12:00 UTC),
            generator_id: GENERATOR_ID,
            severity: crate::expiry::SeverityThresholds::default().severity(days_left),
            resolved: false,
            created_at: None,
            action: None,
        }
        .to_asff()
    }

    #[test]
    fn a_resolved_finding_passes_and_is_archived() {
        let arn = "arn:aws:acm:us-east-1:123456789012:certificate/abc";
        let certificate = CertificateArn::parse(arn).unwrap();
        let detail = detail(arn, "AMAZON_ISSUED");
        let f = ExpiryFinding {
            certificate: &certificate,
            detail: &detail,
            not_after: datetime!(2027-12-10 12:00 UTC),
            days_left: 376,
            hub_region: "us-east-1",
            now: datetime!(2026-11-29 12:00 UTC),
            generator_id: GENERATOR_ID,
            severity: Severity::Informational,
            resolved: true,
            created_at: None,
            action: None,
        }
        .to_asff();
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
