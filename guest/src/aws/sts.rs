//! AWS STS (Query protocol): `AssumeRole` into a member account's role, and
//! `GetCallerIdentity`, which tells certwatch its own account.

use super::query::{form, reply_texts};
use super::{AwsRequest, AwsResponse, CallError, Operation};
use crate::config::Credentials;

const VERSION: &str = "2011-06-15";

/// How long assumed credentials last: STS's shortest, since one event or one account's scan
/// uses them and certwatch never keeps them.
pub const SESSION_SECONDS: u32 = 900;

/// `AssumeRole` of `role_arn`, signed for `region`, its session named `session_name`.
pub fn assume_role(
    endpoint: &str,
    region: &str,
    role_arn: &str,
    session_name: &str,
    external_id: Option<&str>,
) -> AwsRequest {
    let duration = SESSION_SECONDS.to_string();
    let mut fields = vec![
        ("Action", "AssumeRole"),
        ("Version", VERSION),
        ("RoleArn", role_arn),
        ("RoleSessionName", session_name),
        ("DurationSeconds", duration.as_str()),
    ];
    fields.extend(external_id.map(|id| ("ExternalId", id)));
    query_request(Operation::AssumeRole, endpoint, region, &fields)
}

/// The credentials `AssumeRole` returned.
pub fn parse_assume_role(response: &AwsResponse) -> Result<Credentials, CallError> {
    let field = |name| -> [&str; 4] {
        [
            "AssumeRoleResponse",
            "AssumeRoleResult",
            "Credentials",
            name,
        ]
    };
    let [access_key_id, secret_access_key, session_token] = reply_texts(
        Operation::AssumeRole,
        response,
        [
            &field("AccessKeyId"),
            &field("SecretAccessKey"),
            &field("SessionToken"),
        ],
    )?;
    Ok(Credentials {
        access_key_id,
        secret_access_key,
        session_token: Some(session_token),
    })
}

/// `GetCallerIdentity`, signed for `region`.
pub fn get_caller_identity(endpoint: &str, region: &str) -> AwsRequest {
    query_request(
        Operation::GetCallerIdentity,
        endpoint,
        region,
        &[("Action", "GetCallerIdentity"), ("Version", VERSION)],
    )
}

/// The account the credentials belong to.
pub fn parse_get_caller_identity(response: &AwsResponse) -> Result<String, CallError> {
    let [account] = reply_texts(
        Operation::GetCallerIdentity,
        response,
        [&[
            "GetCallerIdentityResponse",
            "GetCallerIdentityResult",
            "Account",
        ]],
    )?;
    Ok(account)
}

fn query_request(
    operation: Operation,
    endpoint: &str,
    region: &str,
    fields: &[(&str, &str)],
) -> AwsRequest {
    AwsRequest::new(
        operation,
        region,
        http::Method::POST,
        format!("{endpoint}/"),
        form(fields).into_bytes(),
    )
    .header(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::aws::test_reply as reply;

    #[test]
    fn assume_role_request() {
        let request = assume_role(
            "https://sts.eu-west-1.amazonaws.com",
            "eu-west-1",
            "arn:aws:iam::111111111111:role/certwatch-member",
            "certwatch",
            Some("a b"),
        );
        assert_eq!(request.operation, Operation::AssumeRole);
        assert_eq!(request.region, "eu-west-1");
        assert_eq!(request.url, "https://sts.eu-west-1.amazonaws.com/");
        assert_eq!(
            String::from_utf8(request.body).unwrap(),
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A111111111111%3Arole%2Fcertwatch-member&RoleSessionName=certwatch&DurationSeconds=900&ExternalId=a+b"
        );
    }

    #[test]
    fn reads_assumed_credentials_and_never_quotes_them() {
        let body = r#"<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
          <AssumeRoleResult>
            <AssumedRoleUser><Arn>arn:aws:sts::111111111111:assumed-role/certwatch-member/certwatch</Arn></AssumedRoleUser>
            <Credentials>
              <AccessKeyId>ASIAEXAMPLEKEY</AccessKeyId>
              <SecretAccessKey>secret/value</SecretAccessKey>
              <SessionToken>token==</SessionToken>
              <Expiration>2026-12-02T05:00:00Z</Expiration>
            </Credentials>
          </AssumeRoleResult>
        </AssumeRoleResponse>"#;
        let credentials = parse_assume_role(&reply(200, body)).unwrap();
        assert_eq!(credentials.access_key_id, "ASIAEXAMPLEKEY");
        assert_eq!(credentials.secret_access_key, "secret/value");
        assert_eq!(credentials.session_token.as_deref(), Some("token=="));

        let without_token = body.replace("<SessionToken>token==</SessionToken>", "");
        let error = parse_assume_role(&reply(200, &without_token)).unwrap_err();
        let text = error.to_string();
        assert!(
            text.contains("has no AssumeRoleResult/Credentials/SessionToken"),
            "{text}"
        );
        assert!(
            !text.contains("secret/value") && !text.contains("ASIAEXAMPLEKEY"),
            "{text}"
        );
    }

    #[test]
    fn a_refused_role_is_an_error_with_sts_code() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User is not authorized to perform: sts:AssumeRole</Message></Error></ErrorResponse>";
        let error = parse_assume_role(&reply(403, body)).unwrap_err();
        assert_eq!(error.code(), Some("AccessDenied"));
        assert!(!error.is_retryable());
    }

    #[test]
    fn reads_the_callers_account() {
        let body = "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/x</Arn><UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
        assert_eq!(
            parse_get_caller_identity(&reply(200, body)).unwrap(),
            "123456789012"
        );
        let request = get_caller_identity("https://sts.us-east-1.amazonaws.com", "us-east-1");
        assert_eq!(
            String::from_utf8(request.body).unwrap(),
            "Action=GetCallerIdentity&Version=2011-06-15"
        );
    }
}
