//! Why ACM could not renew a certificate by itself, and what its owner has to fix: from the
//! `RenewalStatusReason` of "ACM Certificate Renewal Action Required", or an AWS Health event.

/// What to do about `reason` (ACM's `FailureReason` values, or an AWS Health event type).
pub fn what_to_fix(reason: &str) -> &'static str {
    match reason {
        "CAA_ERROR" => {
            "A CAA record on the domain does not allow Amazon to issue certificates for it. Add a CAA record naming amazon.com (or amazontrust.com, awstrust.com, amazonaws.com), or remove the restriction; ACM then retries."
        }
        "DOMAIN_VALIDATION_DENIED"
        | "ADDITIONAL_VERIFICATION_REQUIRED"
        | "NO_AVAILABLE_CONTACTS"
        | "AWS_ACM_RENEWAL_STATE_CHANGE"
        | "AWS_ACM_PENDING_VALIDATION" => {
            "ACM could not validate the domain. Put back the validation CNAME records ACM created (aws acm describe-certificate shows them under DomainValidationOptions), or approve the validation e-mail."
        }
        "DOMAIN_NOT_ALLOWED" | "INVALID_PUBLIC_DOMAIN" => {
            "ACM cannot validate this domain publicly. Request a certificate for a public domain you control, and move the certificate's users over."
        }
        reason if reason.starts_with("PCA_") => {
            "The private CA cannot issue the renewal. Check the CA is ACTIVE, that ACM may use it (its permissions for acm.amazonaws.com), and its quotas."
        }
        _ => {
            "ACM could not renew the certificate by itself. Check its renewal status (aws acm describe-certificate, RenewalSummary) and fix what it names, or request a new certificate and move its users over."
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_gets_its_own_advice() {
        assert!(what_to_fix("CAA_ERROR").contains("CAA record"));
        assert!(what_to_fix("DOMAIN_VALIDATION_DENIED").contains("CNAME"));
        assert!(what_to_fix("PCA_INVALID_STATE").contains("private CA"));
        assert!(what_to_fix("SOMETHING_NEW").contains("RenewalSummary"));
    }
}
