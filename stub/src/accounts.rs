//! Many accounts behind one stub, as an organization's member accounts: STS `AssumeRole` into
//! a member's role hands out credentials whose access key id names the account, and every
//! request signed with them is served from that account's certificates and hub. Which account
//! a request is for is read from the access key id in its `Authorization` header's
//! `Credential=` scope, and from nothing else.

use crate::catalogue::Catalogue;

/// The first member account's id; member `i` is this plus `i`.
const FIRST_MEMBER: u64 = 200_000_000_000;
/// Assumed credentials' access key ids are this, the account, and [`KEY_SUFFIX`]: 20
/// characters, as STS's are.
const KEY_PREFIX: &str = "ASIA";
const KEY_SUFFIX: &str = "STUB";

/// The member accounts the stub holds, each with the catalogue's certificates in every region.
#[derive(Debug, Clone)]
pub struct Members {
    /// How many; [`Members::id`] names each.
    pub count: usize,
    /// The role `AssumeRole` admits in each account.
    pub role_name: String,
}

impl Default for Members {
    fn default() -> Self {
        Self {
            count: 0,
            role_name: "certwatch-member".into(),
        }
    }
}

/// Credentials `AssumeRole` hands out for one member account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assumed {
    /// The account the role is in.
    pub account: String,
    /// Names the account, so later requests can be told apart by it.
    pub access_key_id: String,
    /// Not checked: the stub checks that a request is signed, not its signature.
    pub secret_access_key: String,
    /// Not checked either.
    pub session_token: String,
}

impl Members {
    /// Member `index`'s account id.
    pub fn id(index: usize) -> String {
        format!("{:012}", FIRST_MEMBER + index as u64)
    }

    /// Every member's account id, in order.
    pub fn ids(&self) -> Vec<String> {
        (0..self.count).map(Self::id).collect()
    }

    /// Whether `account` is one of the members.
    pub fn holds(&self, account: &str) -> bool {
        account.len() == 12
            && account
                .parse::<u64>()
                .ok()
                .and_then(|id| id.checked_sub(FIRST_MEMBER))
                .is_some_and(|index| index < self.count as u64)
    }

    /// The member account `role_arn` (`arn:<partition>:iam::<account>:role/<name>`) is in, if
    /// it names a member and the members' role.
    pub fn account_of_role<'a>(&self, role_arn: &'a str) -> Option<&'a str> {
        let mut parts = role_arn.splitn(6, ':');
        let (arn, _partition, iam, region) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        let (account, resource) = (parts.next()?, parts.next()?);
        let named = resource.strip_prefix("role/")? == self.role_name;
        (arn == "arn" && iam == "iam" && region.is_empty() && named && self.holds(account))
            .then_some(account)
    }

    /// The credentials of `role_arn`'s session, if it is a member's role.
    pub fn assume(&self, role_arn: &str) -> Option<Assumed> {
        let account = self.account_of_role(role_arn)?;
        Some(Assumed {
            account: account.to_owned(),
            access_key_id: format!("{KEY_PREFIX}{account}{KEY_SUFFIX}"),
            secret_access_key: format!("stub-secret-{account}"),
            session_token: format!("stub-session-{account}"),
        })
    }

    /// The member account whose assumed credentials signed a request with this
    /// `Authorization` header; `None` for any other credentials (the stub's own account).
    pub fn account_signing(&self, authorization: &str) -> Option<String> {
        let account = Scope::of(authorization)?
            .access_key_id
            .strip_prefix(KEY_PREFIX)?
            .strip_suffix(KEY_SUFFIX)?;
        self.holds(account).then(|| account.to_owned())
    }
}

/// The `Credential=` scope of a SigV4 `Authorization` header:
/// `<access key id>/<date>/<region>/<service>/aws4_request`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope<'a> {
    /// Whose credentials signed the request.
    pub access_key_id: &'a str,
    /// The region it was signed for.
    pub region: &'a str,
}

impl<'a> Scope<'a> {
    /// The scope of `authorization`, if it is a SigV4 header.
    pub fn of(authorization: &'a str) -> Option<Self> {
        let credential = authorization
            .strip_prefix("AWS4-HMAC-SHA256 Credential=")?
            .split([',', ' '])
            .next()?;
        let mut parts = credential.split('/');
        let access_key_id = parts.next()?;
        let region = parts.nth(1)?;
        Some(Self {
            access_key_id,
            region,
        })
    }
}

impl Catalogue {
    /// The same certificates in `account` and `region`: a member account's catalogue.
    pub fn in_account(&self, account: &str, region: &str) -> Catalogue {
        Catalogue {
            account: account.to_owned(),
            region: region.to_owned(),
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNED: &str = "AWS4-HMAC-SHA256 Credential=ASIA200000000007STUB/20261202/eu-west-1/acm/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc";

    #[test]
    fn a_member_role_is_assumed_into_credentials_naming_its_account() {
        let members = Members {
            count: 10,
            ..Members::default()
        };
        assert_eq!(Members::id(7), "200000000007");
        let assumed = members
            .assume("arn:aws:iam::200000000007:role/certwatch-member")
            .unwrap();
        assert_eq!(assumed.access_key_id, "ASIA200000000007STUB");
        assert_eq!(assumed.access_key_id.len(), 20);
        for refused in [
            "arn:aws:iam::200000000010:role/certwatch-member",
            "arn:aws:iam::200000000007:role/someone-else",
            "arn:aws:iam::123456789012:role/certwatch-member",
            "arn:aws:iam:us-east-1:200000000007:role/certwatch-member",
        ] {
            assert_eq!(members.assume(refused), None, "{refused}");
        }
    }

    #[test]
    fn a_request_is_a_members_only_by_its_signing_key() {
        let members = Members {
            count: 10,
            ..Members::default()
        };
        assert_eq!(
            Scope::of(SIGNED),
            Some(Scope {
                access_key_id: "ASIA200000000007STUB",
                region: "eu-west-1"
            })
        );
        assert_eq!(
            members.account_signing(SIGNED).as_deref(),
            Some("200000000007")
        );
        let own = SIGNED.replace("ASIA200000000007STUB", "AKIAIOSFODNN7EXAMPLE");
        assert_eq!(members.account_signing(&own), None);
        let outside = SIGNED.replace("200000000007", "200000000070");
        assert_eq!(members.account_signing(&outside), None);
    }
}
