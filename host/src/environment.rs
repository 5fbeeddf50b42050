//! What of the host's environment reaches the component, and the credentials it signs with.

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
/// `Debug` shows none of them.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// `AWS_ACCESS_KEY_ID`.
    pub access_key_id: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret_access_key: String,
    /// `AWS_SESSION_TOKEN`: temporary credentials' third part.
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
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
    fn debug_shows_no_part_of_them() {
        let shown = format!("{:?}", replay_credentials());
        let (id, secret) = certwatch_contract::fixture::REPLAY_CREDENTIALS;
        assert!(!shown.contains(id) && !shown.contains(secret), "{shown}");
    }
}
