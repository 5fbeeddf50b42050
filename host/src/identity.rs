//! certwatch's own account: the organization settings (`MEMBER_ACCOUNTS`, `SCAN_ACCOUNTS`)
//! need it, to tell its own account's events from its members'. Unless the environment says
//! (`CERTWATCH_ACCOUNT_ID`), it is learned once a process, from STS `GetCallerIdentity` through
//! the component (which signs every AWS call), and handed to every later event. On Lambda the
//! function's ARN gives it, with no call.

use crate::outcome::Outcome;
use certwatch_contract::settings;
use std::future::Future;

/// The account, once learned; a failed attempt is not kept, so the next event tries again.
#[derive(Debug, Default)]
pub struct OwnAccount(tokio::sync::OnceCell<String>);

impl OwnAccount {
    /// The account, learned by `learn` the first time (one attempt at a time).
    pub async fn get_or_learn<F, Fut>(&self, learn: F) -> Result<&str, Outcome>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<String, Outcome>>,
    {
        self.0.get_or_try_init(learn).await.map(String::as_str)
    }

    /// The account, if it has been learned.
    pub fn known(&self) -> Option<&str> {
        self.0.get().map(String::as_str)
    }
}

/// Whether `env` names other accounts without saying which is certwatch's own.
pub fn needed(env: &[(String, String)]) -> bool {
    let set = |name: &str| env.iter().any(|(k, v)| k == name && !v.trim().is_empty());
    settings::ACROSS_ACCOUNTS.iter().any(|name| set(name)) && !set(settings::ACCOUNT_ID)
}

/// The account of a Lambda function's ARN (`arn:<partition>:lambda:<region>:<account>:function:…`).
pub fn lambda_function_account(arn: &str) -> Option<&str> {
    let parts: Vec<&str> = arn.splitn(7, ':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, account, "function", _]
            if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(account)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn needed_only_across_accounts_and_when_not_told() {
        assert!(!needed(&env(&[("SNS_TOPIC_ARN", "x")])));
        assert!(needed(&env(&[("MEMBER_ACCOUNTS", "organization")])));
        assert!(needed(&env(&[("SCAN_ACCOUNTS", "111111111111")])));
        assert!(!needed(&env(&[("SCAN_ACCOUNTS", " ")])));
        assert!(!needed(&env(&[
            ("MEMBER_ACCOUNTS", "organization"),
            ("CERTWATCH_ACCOUNT_ID", "111111111111"),
        ])));
    }

    #[test]
    fn a_functions_arn_names_its_account() {
        assert_eq!(
            lambda_function_account("arn:aws:lambda:eu-west-1:222222222222:function:certwatch"),
            Some("222222222222")
        );
        assert_eq!(
            lambda_function_account(
                "arn:aws:lambda:eu-west-1:222222222222:function:certwatch:live"
            ),
            Some("222222222222")
        );
        assert_eq!(
            lambda_function_account("arn:aws:sns:eu-west-1:222222222222:t"),
            None
        );
        assert_eq!(
            lambda_function_account("arn:aws:lambda:eu-west-1:2222:function:x"),
            None
        );
    }
}
