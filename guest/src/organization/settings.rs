//! The organization settings: which accounts certwatch acts in besides its own, and the role
//! it assumes there.

use super::ScanQueue;
use crate::account::{AccountId, Accounts};
use crate::config::ConfigError;
use certwatch_contract::settings;

/// The member role's name when `MEMBER_ROLE_NAME` is unset.
pub const DEFAULT_MEMBER_ROLE_NAME: &str = "certwatch-member";

/// How certwatch reaches accounts other than its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    /// certwatch's own account (`CERTWATCH_ACCOUNT_ID`, which the host sets); needed only
    /// where the settings below name other accounts.
    pub own_account: Option<AccountId>,
    /// Whose events are handled in their own account (`MEMBER_ACCOUNTS`); when unset, every
    /// event is handled with certwatch's own credentials, as in a single account.
    pub member_accounts: Option<Accounts>,
    /// What a scheduled scan covers (`SCAN_ACCOUNTS`); certwatch's own account when unset.
    pub scan_accounts: Option<Accounts>,
    /// The role assumed in a member account (`MEMBER_ROLE_NAME`).
    pub member_role_name: String,
    /// The external id its trust policy asks for (`MEMBER_ROLE_EXTERNAL_ID`).
    pub external_id: Option<String>,
    /// Where a scheduled scan sends its accounts instead of scanning them (`SCAN_QUEUE_URL`).
    pub scan_queue: Option<ScanQueue>,
}

impl Organization {
    /// Reads the organization settings through `get`, which gives a setting's trimmed value,
    /// `None` when unset or empty.
    pub(crate) fn from_settings<'a>(
        get: impl Fn(&str) -> Option<&'a str>,
    ) -> Result<Self, ConfigError> {
        let fail = |variable, message| ConfigError { variable, message };
        let accounts = |name: &'static str| {
            get(name)
                .map(|text| Accounts::parse(text).map_err(|m| fail(name, m)))
                .transpose()
        };
        let own_account = get(settings::ACCOUNT_ID)
            .map(|text| AccountId::parse(text).map_err(|m| fail(settings::ACCOUNT_ID, m)))
            .transpose()?;
        let member_role_name = match get(settings::MEMBER_ROLE_NAME) {
            None => DEFAULT_MEMBER_ROLE_NAME.to_owned(),
            Some(name) if is_role_name(name) => name.to_owned(),
            Some(name) => {
                return Err(fail(
                    settings::MEMBER_ROLE_NAME,
                    format!(
                        "{:?} is not an IAM role name (1 to 64 letters, digits and +=,.@_-)",
                        name.chars().take(80).collect::<String>()
                    ),
                ));
            }
        };
        let external_id = match get(settings::MEMBER_ROLE_EXTERNAL_ID) {
            None => None,
            Some(id) if is_external_id(id) => Some(id.to_owned()),
            // Not quoted: an external id is meant to be known only to the two accounts.
            Some(_) => {
                return Err(fail(
                    settings::MEMBER_ROLE_EXTERNAL_ID,
                    "is not an external id STS accepts (2 to 1224 letters, digits and +=,.@:/_-)"
                        .into(),
                ));
            }
        };
        Ok(Self {
            own_account,
            member_accounts: accounts(settings::MEMBER_ACCOUNTS)?,
            scan_accounts: accounts(settings::SCAN_ACCOUNTS)?,
            member_role_name,
            external_id,
            scan_queue: get(settings::SCAN_QUEUE_URL)
                .map(|url| ScanQueue::parse(url).map_err(|m| fail(settings::SCAN_QUEUE_URL, m)))
                .transpose()?,
        })
    }
}

fn is_role_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@_-".contains(&b))
}

fn is_external_id(id: &str) -> bool {
    (2..=1224).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+=,.@:/_-".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn read(pairs: &[(&str, &str)]) -> Result<Organization, ConfigError> {
        let vars: BTreeMap<&str, &str> = pairs.iter().copied().collect();
        Organization::from_settings(|name| vars.get(name).copied())
    }

    #[test]
    fn single_account_by_default() {
        let organization = read(&[]).unwrap();
        assert_eq!(organization.member_accounts, None);
        assert_eq!(organization.scan_accounts, None);
        assert_eq!(organization.member_role_name, "certwatch-member");
        assert_eq!(organization.own_account, None);
    }

    #[test]
    fn the_own_account_is_checked() {
        let own = read(&[(settings::ACCOUNT_ID, "111111111111")])
            .unwrap()
            .own_account;
        assert_eq!(own.map(|a| a.to_string()).as_deref(), Some("111111111111"));
        let error = read(&[(settings::ACCOUNT_ID, "12")]).unwrap_err();
        assert_eq!(error.variable, settings::ACCOUNT_ID);
    }

    #[test]
    fn role_names_and_external_ids_are_checked_and_secrets_not_quoted() {
        let error = read(&[(settings::MEMBER_ROLE_NAME, "role/with/path")]).unwrap_err();
        assert!(
            error.to_string().contains("is not an IAM role name"),
            "{error}"
        );
        let error = read(&[(settings::MEMBER_ROLE_EXTERNAL_ID, "secret id!")]).unwrap_err();
        assert!(!error.to_string().contains("secret id"), "{error}");
        let ok = read(&[
            (settings::MEMBER_ROLE_NAME, "Cert.Watch@ops"),
            (settings::MEMBER_ROLE_EXTERNAL_ID, "org:certwatch/1"),
            (settings::MEMBER_ACCOUNTS, "organization"),
        ])
        .unwrap();
        assert_eq!(ok.external_id.as_deref(), Some("org:certwatch/1"));
        assert_eq!(ok.member_accounts, Some(Accounts::Organization));
    }
}
