//! What of the host's environment reaches the component, and the credentials it signs with.

use anyhow::Context as _;
use std::path::PathBuf;

use certwatch_contract::settings;
pub use certwatch_contract::settings::PASSED_THROUGH as SETTINGS;

/// The settings among `vars`.
pub fn settings(vars: impl IntoIterator<Item = (String, String)>) -> Vec<(String, String)> {
    let mut kept: Vec<_> = vars
        .into_iter()
        .filter(|(k, _)| SETTINGS.contains(&k.as_str()))
        .collect();
    kept.sort();
    kept
}

/// The AWS credentials the component signs with, handed to it as its own `AWS_*` variables.
/// `Debug` shows only the access key id.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`, or the profile's `aws_access_key_id`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`, or the profile's `aws_secret_access_key`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`, or the profile's `aws_session_token`: temporary credentials' third
    /// part.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .finish_non_exhaustive()
    }
}

/// Fixed, fake credentials for replays: signatures are reproducible, and nothing real is
/// ever written to a fixture.
pub fn replay_credentials() -> Credentials {
    let (id, secret) = certwatch_contract::fixture::REPLAY_CREDENTIALS;
    Credentials {
        access_key_id: id.into(),
        secret_access_key: secret.into(),
        session_token: None,
    }
}

impl Credentials {
    /// As the SDKs look for them: the environment, then the shared credentials file's
    /// profile (`AWS_PROFILE`, else `default`).
    pub fn resolve(get: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let nonempty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        if let (Some(id), Some(secret)) = (
            nonempty("AWS_ACCESS_KEY_ID"),
            nonempty("AWS_SECRET_ACCESS_KEY"),
        ) {
            return Ok(Self {
                access_key_id: id,
                secret_access_key: secret,
                session_token: nonempty("AWS_SESSION_TOKEN"),
            });
        }
        let profile = nonempty("AWS_PROFILE").unwrap_or_else(|| "default".into());
        let path =
            match nonempty("AWS_SHARED_CREDENTIALS_FILE") {
                Some(p) => PathBuf::from(p),
                None => PathBuf::from(nonempty("HOME").context(
                    "no AWS credentials: AWS_ACCESS_KEY_ID is not set and HOME is unknown",
                )?)
                .join(".aws/credentials"),
            };
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "no AWS credentials: AWS_ACCESS_KEY_ID is not set and {} cannot be read",
                path.display()
            )
        })?;
        Self::from_profile(&text, &profile).with_context(|| {
            format!(
                "no AWS credentials for profile {profile:?} in {}",
                path.display()
            )
        })
    }

    /// The `[profile]` section of a shared credentials file.
    fn from_profile(text: &str, profile: &str) -> Option<Self> {
        let mut in_profile = false;
        let (mut id, mut secret, mut token) = (None, None, None);
        for line in text.lines().map(str::trim) {
            if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
                continue;
            }
            if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                in_profile = section.trim() == profile;
                continue;
            }
            if !in_profile {
                continue;
            }
            if let Some((key, value)) = line.split_once('=') {
                let value = Some(value.trim().to_owned());
                match key.trim() {
                    "aws_access_key_id" => id = value,
                    "aws_secret_access_key" => secret = value,
                    "aws_session_token" => token = value,
                    _ => {}
                }
            }
        }
        Some(Self {
            access_key_id: id?,
            secret_access_key: secret?,
            session_token: token,
        })
    }

    /// The variables that carry these credentials into the component.
    pub fn to_env(&self) -> Vec<(String, String)> {
        let mut env = vec![
            (
                settings::AWS_ACCESS_KEY_ID.to_owned(),
                self.access_key_id.clone(),
            ),
            (
                settings::AWS_SECRET_ACCESS_KEY.to_owned(),
                self.secret_access_key.clone(),
            ),
        ];
        if let Some(token) = &self.session_token {
            env.push((settings::AWS_SESSION_TOKEN.to_owned(), token.clone()));
        }
        env
    }

    /// The values that must never appear in a log or a recording.
    pub fn secrets(&self) -> Vec<&str> {
        let mut secrets = vec![self.access_key_id.as_str(), self.secret_access_key.as_str()];
        secrets.extend(self.session_token.as_deref());
        secrets
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_settings_pass_through() {
        let vars = [
            ("PATH", "/bin"),
            ("SNS_TOPIC_ARN", "arn"),
            ("AWS_SECRET_ACCESS_KEY", "s"),
            ("EXPIRY_DAYS", "3"),
        ];
        let kept = settings(vars.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        assert_eq!(
            kept,
            [
                ("EXPIRY_DAYS".to_owned(), "3".to_owned()),
                ("SNS_TOPIC_ARN".to_owned(), "arn".to_owned())
            ]
        );
    }

    #[test]
    fn environment_credentials_come_first() {
        let creds = Credentials::resolve(|k| match k {
            "AWS_ACCESS_KEY_ID" => Some("AKID".into()),
            "AWS_SECRET_ACCESS_KEY" => Some("SECRET".into()),
            "AWS_SESSION_TOKEN" => Some("TOKEN".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(creds.session_token.as_deref(), Some("TOKEN"));
        assert!(!format!("{creds:?}").contains("SECRET"));
    }

    #[test]
    fn shared_credentials_file_profiles() {
        let text = "[default]\naws_access_key_id = A\naws_secret_access_key = B\n\n[ops]\n# comment\naws_access_key_id=C\naws_secret_access_key=D\naws_session_token=E\n";
        let ops = Credentials::from_profile(text, "ops").unwrap();
        assert_eq!(
            (
                ops.access_key_id.as_str(),
                ops.secret_access_key.as_str(),
                ops.session_token.as_deref()
            ),
            ("C", "D", Some("E"))
        );
        assert_eq!(
            Credentials::from_profile(text, "default")
                .unwrap()
                .access_key_id,
            "A"
        );
        assert!(Credentials::from_profile(text, "missing").is_none());
    }
}
