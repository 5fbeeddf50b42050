//! AWS account ids, checked before one goes into an ARN or a request, and the settings that
//! choose accounts (`MEMBER_ACCOUNTS`, `SCAN_ACCOUNTS`).

use std::collections::BTreeSet;
use std::fmt;

/// A 12-digit AWS account id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountId(String);

impl AccountId {
    /// `text` if it is 12 ASCII digits; else why not, quoting at most its first 40 characters.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(text.to_owned()))
        } else {
            let shown: String = text.chars().take(40).collect();
            Err(format!("{shown:?} is not a 12-digit account id"))
        }
    }

    /// The id's digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The word that stands for every ACTIVE account of the organization.
pub const ORGANIZATION: &str = "organization";

/// Which accounts a setting names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accounts {
    /// These, each once, in order.
    Listed(BTreeSet<AccountId>),
    /// Every ACTIVE account AWS Organizations lists.
    Organization,
}

impl Accounts {
    /// A comma-separated list of account ids, or `organization`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let items: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect();
        match items.as_slice() {
            [] => Err("names no account".into()),
            [word] if word.eq_ignore_ascii_case(ORGANIZATION) => Ok(Self::Organization),
            _ => {
                let listed = items
                    .iter()
                    .map(|item| match item.eq_ignore_ascii_case(ORGANIZATION) {
                        true => Err(format!(
                            "{ORGANIZATION:?} stands alone: it means every account"
                        )),
                        false => AccountId::parse(item),
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Self::Listed(listed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_ids_are_twelve_digits() {
        assert_eq!(
            AccountId::parse("012345678901").unwrap().as_str(),
            "012345678901"
        );
        for bad in [
            "",
            "12345678901",
            "1234567890123",
            "12345678901a",
            "１２３４５６７８９０１２",
            "123456789012:role/x",
        ] {
            let error = AccountId::parse(bad).unwrap_err();
            assert!(error.contains("is not a 12-digit account id"), "{error}");
        }
    }

    #[test]
    fn a_list_or_the_organization() {
        assert_eq!(
            Accounts::parse(" Organization ").unwrap(),
            Accounts::Organization
        );
        let Accounts::Listed(listed) =
            Accounts::parse("222222222222, 111111111111,,222222222222").unwrap()
        else {
            panic!("a list");
        };
        let ids: Vec<&str> = listed.iter().map(AccountId::as_str).collect();
        assert_eq!(ids, ["111111111111", "222222222222"]);
        assert!(
            Accounts::parse(" , ")
                .unwrap_err()
                .contains("names no account")
        );
        assert!(
            Accounts::parse("111111111111,organization")
                .unwrap_err()
                .contains("stands alone")
        );
        assert!(
            Accounts::parse("111111111111,arn:aws:iam::1:root")
                .unwrap_err()
                .contains("is not a 12-digit account id")
        );
    }
}
