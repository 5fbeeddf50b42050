//! Acting in the organization's member accounts: which account an event's certificate is
//! handled in, and the credentials of that account's member role (STS `AssumeRole`, signed
//! with certwatch's own credentials). Security Hub takes a finding only from the account it is
//! for, so a member's certificate is described and its finding raised with the member's
//! credentials; notifications still go from certwatch's own account.

mod scan_queue;
mod settings;

pub use scan_queue::ScanQueue;
pub use settings::{DEFAULT_MEMBER_ROLE_NAME, Organization};

use crate::account::{AccountId, Accounts};
use crate::arn::CertificateArn;
use crate::aws::call::{Caller, Platform};
use crate::aws::{organizations, sts};
use crate::config::{Config, Credentials, Service};
use crate::outcome::{ErrorKind, Failure};
use crate::partition::Partition;
use certwatch_contract::settings as names;

/// The name assumed sessions carry, so a member's CloudTrail says who acted.
pub const SESSION_NAME: &str = "certwatch";

/// Where an event's certificate is handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// In certwatch's own account, with its own credentials.
    Own,
    /// In this member account, with its member role.
    Member(AccountId),
    /// Not at all: the account is not one certwatch is allowed to act in; the reason says why.
    NotAllowed(String),
}

/// Which account `certificate`, from an event sent by `event_account`, is handled in. Without
/// `MEMBER_ACCOUNTS` every event is certwatch's own, as in a single account. The account is
/// checked before it goes into any request or ARN.
pub(crate) async fn membership<P: Platform>(
    central: &Caller<'_, P>,
    config: &Config,
    event_account: Option<&str>,
    certificate: &CertificateArn,
) -> Result<Membership, Failure> {
    let organization = &config.organization;
    let Some(members) = &organization.member_accounts else {
        return Ok(Membership::Own);
    };
    let certificate_account = &certificate.arn().account;
    let account = AccountId::parse(event_account.unwrap_or(certificate_account)).map_err(|m| {
        Failure::new(
            ErrorKind::MalformedEvent,
            format!("the event's account: {m}"),
        )
    })?;
    if account.as_str() != certificate_account {
        return Err(Failure::new(
            ErrorKind::MalformedEvent,
            format!(
                "the event comes from account {account}, but its certificate {certificate} is in account {certificate_account}"
            ),
        ));
    }
    if organization.own_account.as_ref() == Some(&account) {
        return Ok(Membership::Own);
    }
    let own = own_account(config, names::MEMBER_ACCOUNTS)?;
    match members {
        Accounts::Listed(listed) if listed.contains(&account) => Ok(Membership::Member(account)),
        Accounts::Listed(_) => Ok(Membership::NotAllowed(format!(
            "account {account} is neither certwatch's own ({own}) nor one of MEMBER_ACCOUNTS"
        ))),
        Accounts::Organization => {
            let partition = certificate.arn().partition;
            Ok(
                match not_an_active_member(
                    central,
                    config,
                    partition,
                    &account,
                    names::MEMBER_ACCOUNTS,
                )
                .await?
                {
                    None => Membership::Member(account),
                    Some(reason) => Membership::NotAllowed(reason),
                },
            )
        }
    }
}

/// Why `account` is not an ACTIVE account of certwatch's organization, from Organizations'
/// `DescribeAccount` (signed with certwatch's own credentials); `None` when it is one.
/// `setting` is the one that says `organization`.
pub(crate) async fn not_an_active_member<P: Platform>(
    central: &Caller<'_, P>,
    config: &Config,
    partition: Partition,
    account: &AccountId,
    setting: &str,
) -> Result<Option<String>, Failure> {
    let region = partition.organizations_region();
    let endpoint = endpoint(config, Service::Organizations, partition, region);
    let request = organizations::describe_account(&endpoint, region, account);
    let described = central
        .call(request, organizations::parse_describe_account)
        .await?;
    Ok(match described {
        Some(member) if member.active => None,
        Some(_) => Some(format!(
            "account {account} is in the organization but not ACTIVE"
        )),
        None => Some(format!(
            "account {account} is not in certwatch's organization ({setting}=organization)"
        )),
    })
}

/// certwatch's own account, which `setting` needs.
pub(crate) fn own_account<'c>(
    config: &'c Config,
    setting: &'static str,
) -> Result<&'c AccountId, Failure> {
    config.organization.own_account.as_ref().ok_or_else(|| {
        Failure::new(
            ErrorKind::Configuration,
            format!(
                "{setting} is set, but certwatch's own account is not known: set {} (certwatch's host sets it from STS GetCallerIdentity; on Lambda it comes from the function's ARN)",
                names::ACCOUNT_ID
            ),
        )
    })
}

/// The member role's ARN in `account`.
pub fn member_role_arn(config: &Config, partition: Partition, account: &AccountId) -> String {
    format!(
        "arn:{}:iam::{account}:role/{}",
        partition.name(),
        config.organization.member_role_name
    )
}

/// Credentials of the member role in `account`, from STS in certwatch's own region (else
/// `fallback_region`). A role that cannot be assumed is an error naming the account and the
/// role and saying what to check; it is retryable only where STS's error is (throttling, a
/// fault), not for a refusal a retry would meet again.
pub(crate) async fn assume<P: Platform>(
    central: &Caller<'_, P>,
    config: &Config,
    partition: Partition,
    account: &AccountId,
    fallback_region: &str,
) -> Result<Credentials, Failure> {
    let region = config.region.as_deref().unwrap_or(fallback_region);
    let role = member_role_arn(config, partition, account);
    let request = sts::assume_role(
        &endpoint(config, Service::Sts, partition, region),
        region,
        &role,
        SESSION_NAME,
        config.organization.external_id.as_deref(),
    );
    central
        .call(request, sts::parse_assume_role)
        .await
        .map_err(|error| {
            let what_to_check = match error.code() {
                Some("AccessDenied" | "AccessDeniedException") => format!(
                    "check that the role exists in account {account} (deploy/member.yaml), that its trust policy admits certwatch's own role{}, and that certwatch's role may sts:AssumeRole it",
                    match config.organization.external_id {
                        Some(_) => " with the external id MEMBER_ROLE_EXTERNAL_ID gives",
                        None => " (MEMBER_ROLE_EXTERNAL_ID is unset: a role that asks for an external id refuses)",
                    }
                ),
                Some("RegionDisabledException") => format!(
                    "STS is not activated in {region} for account {account}: activate it, or set AWS_REGION to a region where it is"
                ),
                _ => "the role could not be assumed".to_owned(),
            };
            let failure = Failure::from(error);
            Failure {
                message: format!(
                    "could not assume {role} in account {account}: {}; {what_to_check}",
                    failure.message
                ),
                ..failure
            }
        })
}

/// The account's own endpoint for `service`: the override, else AWS's in `partition`.
pub(crate) fn endpoint(
    config: &Config,
    service: Service,
    partition: Partition,
    region: &str,
) -> String {
    match config.endpoints.for_service(service) {
        Some(url) => url.to_owned(),
        None => partition.endpoint(service, region),
    }
}
