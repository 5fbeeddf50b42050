//! A certificate as certwatch knows it: what ACM described or listed, and its tags. The
//! domain's central types, apart from the wire formats that fill them.

use time::OffsetDateTime;

/// What certwatch needs to know of a certificate.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CertificateDetail {
    /// `CertificateArn`.
    pub arn: String,
    /// `DomainName`: the name it was requested for; empty when ACM gave none.
    pub domain_name: String,
    /// Every name it covers (`SubjectAlternativeNames`, or a summary's
    /// `SubjectAlternativeNameSummaries`).
    pub subject_alternative_names: Vec<String>,
    /// When it expires (`NotAfter`); `None` when ACM did not say, as for one not yet issued.
    pub not_after: Option<OffsetDateTime>,
    /// `ISSUED`, `PENDING_VALIDATION`, `EXPIRED`, ...
    pub status: Option<String>,
    /// `IMPORTED`, `AMAZON_ISSUED` or `PRIVATE`.
    pub kind: Option<String>,
    /// ARNs of the AWS resources that use it (`InUseBy`); only a description lists them.
    pub in_use_by: Vec<String>,
    /// Whether an AWS resource uses it: a summary's `InUse`, or a description's `InUseBy`.
    pub in_use: Option<bool>,
    /// `ELIGIBLE` or `INELIGIBLE`: whether ACM can renew it by itself (`RenewalEligibility`).
    pub renewal_eligibility: Option<String>,
}

/// A certificate's tag, as `ListTagsForCertificate` gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// `Key`, e.g. `certwatch:owner-topic`.
    pub key: String,
    /// `Value`; a tag may have none.
    pub value: Option<String>,
}
