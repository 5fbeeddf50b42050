//! The finding as `BatchImportFindings` takes it: the parts of the AWS Security Finding Format
//! (2018-10-08) certwatch writes, as types that serialise straight to JSON text.
//!
//! Typed rather than a `serde_json::Value`: a `Value` is a tree of maps built, written and
//! dropped once per finding, which was a sixth of the guest's logic in the component. Fields
//! are in alphabetical order, as a `Value`'s map wrote them, so the bytes (and the fixtures'
//! recorded requests) are the same.

use serde::Serialize;

pub const SCHEMA_VERSION: &str = "2018-10-08";
pub const FINDING_TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";
pub const RESOURCE_TYPE: &str = "AwsCertificateManagerCertificate";

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Asff<'a> {
    pub aws_account_id: &'a str,
    pub compliance: Compliance,
    pub created_at: String,
    pub description: String,
    pub finding_provider_fields: ProviderFields,
    pub generator_id: &'a str,
    pub id: String,
    pub product_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product_fields: Option<ProductFields>,
    pub record_state: RecordState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remediation: Option<Remediation>,
    pub resources: [Resource<'a>; 1],
    pub schema_version: &'static str,
    pub severity: SeverityLabel,
    pub title: String,
    pub types: [&'static str; 1],
    pub updated_at: String,
}

impl Asff<'_> {
    /// Compact JSON text, as the request body carries it.
    pub fn to_json(&self) -> String {
        // Writing these types cannot fail: every map key is a string, and nothing is a float.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Compliance {
    pub status: ComplianceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum ComplianceStatus {
    Warning,
    Passed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RecordState {
    Active,
    Archived,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProviderFields {
    pub severity: SeverityLabel,
    pub types: [&'static str; 1],
}

/// A severity as both `Label` and `Original`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SeverityLabel {
    pub label: &'static str,
    pub original: &'static str,
}

impl SeverityLabel {
    pub fn new(label: &'static str) -> Self {
        Self {
            label,
            original: label,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ProductFields {
    #[serde(rename = "certwatch/DaysToExpiry")]
    pub days_to_expiry: String,
    #[serde(rename = "certwatch/NotAfter")]
    pub not_after: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Remediation {
    pub recommendation: Recommendation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Recommendation {
    pub text: String,
    pub url: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Resource<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ResourceDetails<'a>>,
    pub id: &'a str,
    pub partition: &'a str,
    pub region: &'a str,
    #[serde(rename = "Type")]
    pub kind: &'static str,
}

#[derive(Debug, Serialize)]
pub struct ResourceDetails<'a> {
    #[serde(rename = "AwsCertificateManagerCertificate")]
    pub certificate: CertificateDetails<'a>,
}

/// What ACM said of the certificate; fields ACM left out are left out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CertificateDetails<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    pub domain_name: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub in_use_by: &'a [String],
    pub not_after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_eligibility: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub subject_alternative_names: &'a [String],
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<&'a str>,
}
