//! AWS Organizations `ListAccounts` and `DescribeAccount` (JSON 1.1 protocol). Organizations
//! answers at one endpoint per partition
//! ([`certwatch_contract::Partition::organizations_region`]), and only to the management
//! account or a delegated administrator.

use super::{AwsRequest, AwsResponse, CallError, Operation, json_reply, json_text};
use crate::account::AccountId;
use serde::Deserialize;

/// An account the organization has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganizationAccount {
    /// Its id.
    pub id: AccountId,
    /// Its name, as the organization knows it.
    pub name: Option<String>,
    /// Whether it is ACTIVE (not suspended, nor closing): the only accounts certwatch acts in.
    pub active: bool,
}

/// One page of `ListAccounts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountsPage {
    /// The page's accounts; ids Organizations gave that are not 12 digits are left out.
    pub accounts: Vec<OrganizationAccount>,
    /// Where the next page starts, if there is one.
    pub next_token: Option<String>,
}

/// One page of the organization's accounts, from `next_token` (the first page when `None`).
pub fn list_accounts(endpoint: &str, region: &str, next_token: Option<&str>) -> AwsRequest {
    let body = match next_token {
        Some(token) => serde_json::json!({ "NextToken": token }),
        None => serde_json::json!({}),
    };
    request(
        Operation::ListAccounts,
        "AWSOrganizationsV20161128.ListAccounts",
        endpoint,
        region,
        &body,
    )
}

/// `DescribeAccount` of `account`: whether it is the organization's, and active.
pub fn describe_account(endpoint: &str, region: &str, account: &AccountId) -> AwsRequest {
    request(
        Operation::DescribeAccount,
        "AWSOrganizationsV20161128.DescribeAccount",
        endpoint,
        region,
        &serde_json::json!({ "AccountId": account.as_str() }),
    )
}

fn request(
    operation: Operation,
    target: &str,
    endpoint: &str,
    region: &str,
    body: &serde_json::Value,
) -> AwsRequest {
    AwsRequest::new(
        operation,
        region,
        http::Method::POST,
        format!("{endpoint}/"),
        json_text(body).into_bytes(),
    )
    .header("content-type", "application/x-amz-json-1.1")
    .header("x-amz-target", target)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireAccount {
    id: String,
    #[serde(default)]
    name: Option<String>,
    /// `ACTIVE`, `SUSPENDED`, `PENDING_CLOSURE`: deprecated for `State`, which newer replies
    /// carry beside it.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

impl WireAccount {
    fn into_account(self) -> Option<OrganizationAccount> {
        let state = self.state.or(self.status);
        Some(OrganizationAccount {
            id: AccountId::parse(&self.id).ok()?,
            name: self.name.filter(|n| !n.is_empty()),
            active: state.as_deref() == Some("ACTIVE"),
        })
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListAccountsReply {
    #[serde(default)]
    accounts: Vec<WireAccount>,
    #[serde(default)]
    next_token: Option<String>,
}

/// A page of `ListAccounts`.
pub fn parse_list_accounts(response: &AwsResponse) -> Result<AccountsPage, CallError> {
    let reply: ListAccountsReply = json_reply(Operation::ListAccounts, response)?;
    Ok(AccountsPage {
        accounts: reply
            .accounts
            .into_iter()
            .filter_map(WireAccount::into_account)
            .collect(),
        next_token: reply.next_token.filter(|t| !t.is_empty()),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeAccountReply {
    account: WireAccount,
}

/// The account `DescribeAccount` described; `None` when the organization has no such account
/// (`AccountNotFoundException`).
pub fn parse_describe_account(
    response: &AwsResponse,
) -> Result<Option<OrganizationAccount>, CallError> {
    match json_reply::<DescribeAccountReply>(Operation::DescribeAccount, response) {
        Ok(reply) => Ok(reply.account.into_account()),
        Err(error) if error.code() == Some("AccountNotFoundException") => Ok(None),
        Err(error) => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::aws::test_reply as reply;

    #[test]
    fn pages_of_accounts() {
        let request = list_accounts(
            "https://organizations.us-east-1.amazonaws.com",
            "us-east-1",
            Some("t2"),
        );
        assert_eq!(request.body, br#"{"NextToken":"t2"}"#);
        let page = parse_list_accounts(&reply(
            200,
            r#"{"Accounts":[
                {"Id":"111111111111","Name":"prod","Status":"ACTIVE"},
                {"Id":"222222222222","Name":"old","Status":"ACTIVE","State":"SUSPENDED"},
                {"Id":"not-an-id","Status":"ACTIVE"}
            ],"NextToken":"t3"}"#,
        ))
        .unwrap();
        let listed: Vec<(&str, bool)> = page
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), a.active))
            .collect();
        assert_eq!(listed, [("111111111111", true), ("222222222222", false)]);
        assert_eq!(page.accounts[0].name.as_deref(), Some("prod"));
        assert_eq!(page.next_token.as_deref(), Some("t3"));
    }

    #[test]
    fn an_account_outside_the_organization_is_none() {
        let missing = reply(
            400,
            r#"{"__type":"AccountNotFoundException","Message":"not found"}"#,
        );
        assert_eq!(parse_describe_account(&missing).unwrap(), None);
        let refused = reply(
            400,
            r#"{"__type":"AWSOrganizationsNotInUseException","Message":"no organization"}"#,
        );
        assert_eq!(
            parse_describe_account(&refused).unwrap_err().code(),
            Some("AWSOrganizationsNotInUseException")
        );
    }
}
