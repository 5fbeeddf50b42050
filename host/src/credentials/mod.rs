//! The host's AWS credentials and region, found as the AWS SDKs find them, and kept fresh.
//!
//! aws-config's default chains look, in order, at the environment, the shared config and
//! credentials files' profile (static keys, `role_arn` with `source_profile` or
//! `credential_source`, `credential_process`, SSO), a web identity token, the ECS/EKS container
//! endpoint, and EC2 instance metadata (IMDSv2). The chain does not cache what it finds:
//! [`CredentialSource`] keeps the last credentials and asks again shortly before they expire,
//! so one process (`serve`, `lambda`) keeps working across rotations and every event is signed
//! with the current ones. The component still signs every request itself.

mod lazy_https;

use crate::environment::Credentials;
use aws_config::BehaviorVersion;
use aws_credential_types::provider::{ProvideCredentials, SharedCredentialsProvider};
use lazy_https::LazyHttps;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long before their expiry credentials are replaced: longer than an event may take, so
/// that none expires while an event signs with it.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// How long credentials without an expiry (static keys, a `credential_process` that names
/// none) are kept before the chain is asked again, as the SDKs' own cache does.
const KEEP_WITHOUT_EXPIRY: Duration = Duration::from_secs(15 * 60);

/// The most one look-up may take; each provider has shorter timeouts of its own.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the chain looks, in its order, for the message when it finds nothing.
const WHERE_LOOKED: &str = "the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, \
     AWS_SESSION_TOKEN); the profile in the shared config and credentials files (static keys, \
     role_arn with source_profile or credential_source, credential_process, SSO); a web \
     identity token (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN); the container credentials \
     endpoint (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or AWS_CONTAINER_CREDENTIALS_FULL_URI); \
     EC2 instance metadata (IMDSv2, off with AWS_EC2_METADATA_DISABLED=true)";

/// Why there are no credentials to sign with.
#[derive(Debug, thiserror::Error)]
pub enum CredentialsError {
    /// Nothing in the chain gave credentials, at start.
    #[error(
        "no AWS credentials: certwatch looked, in this order, at {WHERE_LOOKED}; profile {profile:?}{config_files}: {cause}"
    )]
    NotFound {
        /// `AWS_PROFILE`, else `default`.
        profile: String,
        /// The files named by `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`, if set.
        config_files: String,
        /// What the chain said, with its causes.
        cause: String,
    },
    /// The source failed when the last credentials had expired.
    #[error("the AWS credentials expired and could not be renewed: {cause}")]
    Refresh {
        /// What the chain said, with its causes.
        cause: String,
        /// Whether asking again may help (a timeout, a throttled endpoint).
        retryable: bool,
    },
}

/// The credentials every event signs with: the chain's, kept until shortly before they expire.
#[derive(Clone)]
pub struct CredentialSource {
    inner: Arc<Inner>,
}

struct Inner {
    provider: SharedCredentialsProvider,
    held: tokio::sync::Mutex<Held>,
}

/// The last credentials the chain gave, and when to ask it again.
struct Held {
    credentials: Credentials,
    expires: Option<SystemTime>,
    refresh_at: SystemTime,
}

impl std::fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialSource").finish_non_exhaustive()
    }
}

/// What the default chains found at start.
#[derive(Debug)]
pub struct Discovered {
    /// The credentials, kept fresh.
    pub source: CredentialSource,
    /// The region the environment or the profile names (the component's `AWS_REGION` when the
    /// environment sets none).
    pub region: Option<String>,
}

impl CredentialSource {
    /// Runs aws-config's default region and credentials chains over the process's environment
    /// and files, and takes the first credentials, so that a process without any fails at
    /// start, saying where it looked.
    pub async fn discover() -> Result<Discovered, CredentialsError> {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(LazyHttps::default())
            .load()
            .await;
        let not_found = |cause: String| CredentialsError::NotFound {
            profile: std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into()),
            config_files: ["AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"]
                .iter()
                .filter_map(|name| std::env::var(name).ok().map(|v| format!(", {name}={v}")))
                .collect(),
            cause,
        };
        let provider = config
            .credentials_provider()
            .ok_or_else(|| not_found("no credentials provider".into()))?;
        let first = lookup(&provider)
            .await
            .map_err(|(cause, _)| not_found(cause))?;
        let held = Held::new(first, SystemTime::now());
        Ok(Discovered {
            source: Self {
                inner: Arc::new(Inner {
                    provider,
                    held: tokio::sync::Mutex::new(held),
                }),
            },
            region: config.region().map(ToString::to_string),
        })
    }

    /// The credentials to sign the next event with: the ones held, or new ones once those are
    /// near their expiry. If the source fails while the held ones are still valid, they are
    /// used, and the failure logged.
    pub async fn current(&self) -> Result<Credentials, CredentialsError> {
        let now = SystemTime::now();
        // One look-up at a time: events arriving meanwhile wait for its result.
        let mut held = self.inner.held.lock().await;
        if now < held.refresh_at {
            return Ok(held.credentials.clone());
        }
        match lookup(&self.inner.provider).await {
            Ok(fresh) => {
                *held = Held::new(fresh, now);
                tracing::debug!(expires = ?held.expires, "AWS credentials renewed");
                Ok(held.credentials.clone())
            }
            Err((cause, _)) if held.expires.is_none_or(|expires| now < expires) => {
                tracing::warn!(error = %cause, "AWS credentials could not be renewed; the current ones are still valid");
                Ok(held.credentials.clone())
            }
            Err((cause, retryable)) => Err(CredentialsError::Refresh { cause, retryable }),
        }
    }
}

impl Held {
    fn new(credentials: aws_credential_types::Credentials, now: SystemTime) -> Self {
        let expires = credentials.expiry();
        let refresh_at = match expires {
            Some(expires) => expires
                .checked_sub(REFRESH_BEFORE_EXPIRY)
                .unwrap_or(expires),
            None => now + KEEP_WITHOUT_EXPIRY,
        };
        Self {
            credentials: Credentials {
                access_key_id: credentials.access_key_id().to_owned(),
                secret_access_key: credentials.secret_access_key().to_owned(),
                session_token: credentials.session_token().map(str::to_owned),
            },
            expires,
            refresh_at,
        }
    }
}

/// One look-up through the chain, bounded; the error is its message with its causes, and
/// whether a retry may help.
async fn lookup(
    provider: &SharedCredentialsProvider,
) -> Result<aws_credential_types::Credentials, (String, bool)> {
    use aws_credential_types::provider::error::CredentialsError as ChainError;
    match tokio::time::timeout(LOOKUP_TIMEOUT, provider.provide_credentials()).await {
        Err(_) => Err((
            format!("no answer within {} seconds", LOOKUP_TIMEOUT.as_secs()),
            true,
        )),
        Ok(Ok(credentials)) => Ok(credentials),
        Ok(Err(e)) => {
            let retryable = matches!(
                e,
                ChainError::ProviderTimedOut(_) | ChainError::ProviderError(_)
            );
            let profile = std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into());
            Err((with_what_to_do(with_causes(&e), &profile), retryable))
        }
    }
}

/// `cause`, with what the person at the keyboard can do about it where certwatch knows: an
/// SSO session that is missing or has expired needs them to sign in again. The event stays
/// retryable: sent again once they have, it is handled, where refusing it for good would lose
/// the alert.
fn with_what_to_do(cause: String, profile: &str) -> String {
    // aws-config's words for a token `aws sso login` has not cached, or that has expired.
    let signed_out = [
        "failed to load the cached SSO token",
        "the SSO token has expired",
    ];
    match signed_out.iter().any(|words| cause.contains(words)) {
        true => format!("{cause}; sign in again: aws sso login --profile {profile}"),
        false => cause,
    }
}

/// An error's message followed by its causes' (the chain's own says little by itself), on
/// one line.
fn with_causes(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    // The chain lists what each provider said on lines of their own.
    let mut line = String::new();
    for part in message.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
        if !line.is_empty() {
            line.push_str(if line.ends_with(':') { " " } else { "; " });
        }
        line.push_str(part);
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(expiry: Option<SystemTime>) -> aws_credential_types::Credentials {
        aws_credential_types::Credentials::new(
            "AKID",
            "SECRET",
            Some("TOKEN".into()),
            expiry,
            "test",
        )
    }

    #[test]
    fn expiring_credentials_are_renewed_before_they_expire() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let expires = now + Duration::from_secs(3600);
        let held = Held::new(credentials(Some(expires)), now);
        assert_eq!(held.refresh_at, expires - REFRESH_BEFORE_EXPIRY);
        assert_eq!(held.credentials.session_token.as_deref(), Some("TOKEN"));
    }

    #[test]
    fn a_missing_or_expired_sso_token_says_to_sign_in_again() {
        for cause in [
            "an error occurred while loading an access token: failed to load the cached SSO token",
            "an error occurred while loading an access token: \
             the SSO token has expired and cannot be refreshed",
        ] {
            assert_eq!(
                with_what_to_do(cause.into(), "ops"),
                format!("{cause}; sign in again: aws sso login --profile ops")
            );
        }
        let other = "error parsing XML: no root element";
        assert_eq!(with_what_to_do(other.into(), "ops"), other);
    }

    #[test]
    fn credentials_without_expiry_are_looked_up_again_later() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000);
        let held = Held::new(credentials(None), now);
        assert_eq!(held.refresh_at, now + KEEP_WITHOUT_EXPIRY);
    }

    #[test]
    fn causes_are_kept_once_each() {
        #[derive(Debug, thiserror::Error)]
        #[error("outer")]
        struct Outer(#[source] Inner);
        #[derive(Debug, thiserror::Error)]
        #[error("inner cause")]
        struct Inner;
        assert_eq!(with_causes(&Outer(Inner)), "outer: inner cause");
    }

    #[test]
    fn a_cause_over_several_lines_is_kept_on_one() {
        #[derive(Debug, thiserror::Error)]
        #[error(
            "no credentials found in chain. Attempted:\n  Environment: not set\n  Profile: not enabled\n"
        )]
        struct Listed;
        assert_eq!(
            with_causes(&Listed),
            "no credentials found in chain. Attempted: Environment: not set; Profile: not enabled"
        );
    }
}
