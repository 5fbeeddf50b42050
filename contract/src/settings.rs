//! The environment variables the component reads. The host passes [`PASSED_THROUGH`] on from
//! its own environment and nothing else; the credentials ([`CREDENTIALS`]) it resolves itself,
//! and the Lambda runtime adds [`GENERATOR_ID`] and [`TRACE_ID`] per invocation.

/// Certificates expiring within this many days are acted on (`45`).
pub const EXPIRY_DAYS: &str = "EXPIRY_DAYS";
/// Where notifications go.
pub const SNS_TOPIC_ARN: &str = "SNS_TOPIC_ARN";
/// The region whose Security Hub receives findings; the certificate's own when unset.
pub const SECURITY_HUB_REGION: &str = "SECURITY_HUB_REGION";
/// Days left on which an event notifies, e.g. `45,30,14,7,3,1`.
pub const NOTIFY_AT_DAYS: &str = "NOTIFY_AT_DAYS";
/// Regions a scheduled scan covers.
pub const SCAN_REGIONS: &str = "SCAN_REGIONS";
/// `DescribeCertificate` calls a scan makes at once.
pub const SCAN_CONCURRENCY: &str = "SCAN_CONCURRENCY";
/// Days left at or under which a finding is critical, high and medium.
pub const SEVERITY_DAYS: &str = "SEVERITY_DAYS";
/// Decide everything, send nothing that changes anything.
pub const DRY_RUN: &str = "DRY_RUN";
/// Act only on imported certificates.
pub const ONLY_IMPORTED: &str = "ONLY_IMPORTED";
/// Act only on certificates something uses.
pub const ONLY_IN_USE: &str = "ONLY_IN_USE";
/// Act only on certificates with one of these tags.
pub const INCLUDE_TAGS: &str = "INCLUDE_TAGS";
/// Leave out certificates with any of these tags.
pub const EXCLUDE_TAGS: &str = "EXCLUDE_TAGS";
/// A tag whose value, an SNS topic ARN, also receives the certificate's alerts.
pub const OWNER_TOPIC_TAG: &str = "OWNER_TOPIC_TAG";
/// How long one attempt of an AWS request waits for its reply, in milliseconds.
pub const REQUEST_TIMEOUT_MS: &str = "REQUEST_TIMEOUT_MS";
/// The findings' `GeneratorId`; on Lambda, the function's ARN.
pub const GENERATOR_ID: &str = "CERTWATCH_GENERATOR_ID";
/// The X-Ray trace header to pass on to AWS, as Lambda sets it.
pub const TRACE_ID: &str = "_X_AMZN_TRACE_ID";
/// The region certwatch runs in.
pub const AWS_REGION: &str = "AWS_REGION";
/// The region certwatch runs in, when `AWS_REGION` is not set.
pub const AWS_DEFAULT_REGION: &str = "AWS_DEFAULT_REGION";
/// The endpoint override for every service, as in the AWS SDKs; a service's own
/// ([`crate::Service::endpoint_variable`]) wins.
pub const AWS_ENDPOINT_URL: &str = "AWS_ENDPOINT_URL";

/// Member accounts whose events certwatch handles, in each account with its role:
/// comma-separated 12-digit ids, or `organization` for every ACTIVE account Organizations lists.
pub const MEMBER_ACCOUNTS: &str = "MEMBER_ACCOUNTS";
/// The role certwatch assumes in a member account (`certwatch-member`).
pub const MEMBER_ROLE_NAME: &str = "MEMBER_ROLE_NAME";
/// The external id the member roles' trust policies ask for, if any.
pub const MEMBER_ROLE_EXTERNAL_ID: &str = "MEMBER_ROLE_EXTERNAL_ID";
/// Accounts a scheduled scan covers, as [`MEMBER_ACCOUNTS`]; certwatch's own when unset.
pub const SCAN_ACCOUNTS: &str = "SCAN_ACCOUNTS";
/// An SQS queue's URL: with it, a scheduled scan only lists the accounts (`SCAN_ACCOUNTS`) and
/// sends one message per account there; the same function, triggered by the queue, scans each.
pub const SCAN_QUEUE_URL: &str = "SCAN_QUEUE_URL";
/// The account certwatch runs in. The host fills it in (from STS `GetCallerIdentity`, once a
/// process) where the organization settings need it; on Lambda the function's ARN gives it.
pub const ACCOUNT_ID: &str = "CERTWATCH_ACCOUNT_ID";
/// An SNS topic Amazon Q Developer in chat applications (AWS Chatbot) reads: each alert is
/// also published there as a custom notification, in markdown.
pub const CHAT_TOPIC_ARN: &str = "CHAT_TOPIC_ARN";
/// An EventBridge bus (its name or ARN) that receives one event per decision, for incident
/// tools.
pub const EVENT_BUS_NAME: &str = "EVENT_BUS_NAME";

/// Set (`true`) by `certwatch scan` alone: the scan's outcome lists every certificate it saw.
/// Never passed through from the host's environment, so a scheduled scan's outcome (on Lambda,
/// say) stays the same size however many certificates the account holds.
pub const SCAN_LIST: &str = "CERTWATCH_SCAN_LIST";

/// The access key id the component signs with.
pub const AWS_ACCESS_KEY_ID: &str = "AWS_ACCESS_KEY_ID";
/// The secret access key the component signs with.
pub const AWS_SECRET_ACCESS_KEY: &str = "AWS_SECRET_ACCESS_KEY";
/// The session token of temporary credentials.
pub const AWS_SESSION_TOKEN: &str = "AWS_SESSION_TOKEN";

/// The credentials' variables: never taken from the host's environment as they are, never
/// logged or recorded.
pub const CREDENTIALS: [&str; 3] = [AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN];

/// Settings the host passes on to the component when they are set: its configuration, and
/// nothing else of the host's environment.
pub const PASSED_THROUGH: &[&str] = &[
    EXPIRY_DAYS,
    SNS_TOPIC_ARN,
    SECURITY_HUB_REGION,
    AWS_REGION,
    AWS_DEFAULT_REGION,
    AWS_ENDPOINT_URL,
    "AWS_ENDPOINT_URL_ACM",
    "AWS_ENDPOINT_URL_SECURITYHUB",
    "AWS_ENDPOINT_URL_SNS",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_ORGANIZATIONS",
    "AWS_ENDPOINT_URL_SQS",
    ACCOUNT_ID,
    GENERATOR_ID,
    DRY_RUN,
    EXCLUDE_TAGS,
    INCLUDE_TAGS,
    NOTIFY_AT_DAYS,
    ONLY_IMPORTED,
    ONLY_IN_USE,
    OWNER_TOPIC_TAG,
    REQUEST_TIMEOUT_MS,
    SCAN_CONCURRENCY,
    SCAN_REGIONS,
    SEVERITY_DAYS,
    MEMBER_ACCOUNTS,
    MEMBER_ROLE_NAME,
    MEMBER_ROLE_EXTERNAL_ID,
    SCAN_ACCOUNTS,
    SCAN_QUEUE_URL,
    CHAT_TOPIC_ARN,
    EVENT_BUS_NAME,
    "AWS_ENDPOINT_URL_EVENTS",
];

/// Settings that make certwatch act in accounts other than its own, for which it must know
/// which account is its own ([`ACCOUNT_ID`]).
pub const ACROSS_ACCOUNTS: [&str; 3] = [MEMBER_ACCOUNTS, SCAN_ACCOUNTS, SCAN_QUEUE_URL];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Service;

    #[test]
    fn every_service_override_is_passed_through() {
        for service in Service::ALL {
            assert!(
                PASSED_THROUGH.contains(&service.endpoint_variable()),
                "{service:?}"
            );
        }
    }

    #[test]
    fn the_scan_list_is_never_passed_through() {
        assert!(!PASSED_THROUGH.contains(&SCAN_LIST));
    }

    #[test]
    fn credentials_are_never_passed_through() {
        for name in CREDENTIALS {
            assert!(!PASSED_THROUGH.contains(&name), "{name}");
        }
    }
}
