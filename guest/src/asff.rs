//! The finding as `BatchImportFindings` takes it: the parts of the AWS Security Finding Format
//! (2018-10-08) certwatch writes, as types that serialise straight to JSON text.
//!
//! Typed rather than a `serde_json::Value`: a `Value` is a tree of maps built, written and
//! dropped once per finding, which was a sixth of the guest's logic in the component. Fields
//! are in alphabetical order, as a `Value`'s map wrote them, so the bytes (and the fixtures'
//! recorded requests) are the same.

use serde::Serialize;

pub(crate) const SCHEMA_VERSION: &str = "2018-10-08";
pub(crate) const FINDING_TYPE: &str =
    "Software and Configuration Checks/AWS Security Best Practices";
pub(crate) const RESOURCE_TYPE: &str = "AwsCertificateManagerCertificate";

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Asff<'a> {
    pub(crate) aws_account_id: &'a str,
    pub(crate) compliance: Compliance,
    pub(crate) created_at: String,
    pub(crate) description: String,
    pub(crate) finding_provider_fields: ProviderFields,
    pub(crate) generator_id: &'a str,
    pub(crate) id: String,
    pub(crate) product_arn: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) product_fields: Option<ProductFields>,
    pub(crate) record_state: RecordState,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) remediation: Option<Remediation>,
    pub(crate) resources: [Resource<'a>; 1],
    pub(crate) schema_version: &'static str,
    pub(crate) severity: SeverityLabel,
    pub(crate) title: String,
    pub(crate) types: [&'static str; 1],
    pub(crate) updated_at: String,
}

impl Asff<'_> {
    /// Compact JSON text, as the request body carries it.
    pub(crate) fn to_json(&self) -> String {
        // Writing these types cannot fail: every map key is a string, and nothing is a float.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Compliance {
    pub(crate) status: ComplianceStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum ComplianceStatus {
    Warning,
    Passed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub(crate) enum RecordState {
    Active,
    Archived,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct ProviderFields {
    pub(crate) severity: SeverityLabel,
    pub(crate) types: [&'static str; 1],
}

/// A severity as both `Label` and `Original`.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct SeverityLabel {
    pub(crate) label: &'static str,
    pub(crate) original: &'static str,
}

impl SeverityLabel {
    pub(crate) fn new(label: &'static str) -> Self {
        Self {
            label,
            original: label,
        }
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct ProductFields {
    #[serde(rename = "certwatch/DaysToExpiry")]
    pub(crate) days_to_expiry: String,
    #[serde(rename = "certwatch/NotAfter")]
    pub(crate) not_after: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Remediation {
    pub(crate) recommendation: Recommendation,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Recommendation {
    pub(crate) text: String,
    pub(crate) url: String,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Resource<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) details: Option<ResourceDetails<'a>>,
    pub(crate) id: &'a str,
    pub(crate) partition: &'a str,
    pub(crate) region: &'a str,
    #[serde(rename = "Type")]
    pub(crate) kind: &'static str,
}

#[derive(Debug, Serialize)]
pub(crate) struct ResourceDetails<'a> {
    #[serde(rename = "AwsCertificateManagerCertificate")]
    pub(crate) certificate: CertificateDetails<'a>,
}

/// What ACM said of the certificate; fields ACM left out are left out.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CertificateDetails<'a> {
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(crate) domain_name: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(crate) in_use_by: &'a [String],
    pub(crate) not_after: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) renewal_eligibility: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) status: Option<&'a str>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(crate) subject_alternative_names: &'a [String],
    #[serde(rename = "Type", skip_serializing_if = "Option::is_none")]
    pub(crate) kind: Option<&'a str>,
}
