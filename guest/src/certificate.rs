//! A certificate as certwatch knows it: what ACM described or listed, and its tags. The
//! domain's central types, apart from the wire formats that fill them.

use time::OffsetDateTime;

/// What certwatch needs to know of a certificate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertificateDetail {
    pub arn: String,
    pub domain_name: String,
    pub subject_alternative_names: Vec<String>,
    pub not_after: Option<OffsetDateTime>,
    /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, ...
    pub status: Option<String>,
    /// `IMPORTED`, `AMAZON_ISSUED` or `PRIVATE`.
    pub kind: Option<String>,
    pub in_use_by: Vec<String>,
    /// Whether an AWS resource uses it: a summary's `InUse`, or a description's `InUseBy`.
    pub in_use: Option<bool>,
    pub renewal_eligibility: Option<String>,
}

/// A certificate's tag, as `ListTagsForCertificate` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub key: String,
    pub value: Option<String>,
}
