//! What an event runs with, built in one place for every command: the settings passed through
//! to the component, the credentials it signs with, the outbound policy those settings call
//! for, the clocks it sees and where its requests go.

use crate::credentials::{CredentialSource, CredentialsError};
use crate::environment;
use crate::fixture::Exchange;
use crate::identity::OwnAccount;
use crate::outbound::{Cassette, Route};
use crate::outcome::{ErrorKind, Outcome};
use crate::policy::OutboundPolicy;
use crate::sandbox::Determinism;
use certwatch_contract::settings;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one event runs with.
#[derive(Clone)]
pub struct EventSetup {
    /// The component's whole environment: settings and credentials.
    pub env: Vec<(String, String)>,
    /// The clocks and randomness the instance sees.
    pub determinism: Determinism,
    /// Where its requests go.
    pub route: Route,
    /// A deadline shorter than the runtime's, such as what is left of a Lambda invocation.
    pub deadline: Option<Duration>,
    /// Where the process keeps its own account once learned, for settings that need it and
    /// do not give it; `None` where nothing may be learned (a replay, the configuration check).
    pub own_account: Option<Arc<OwnAccount>>,
}

impl EventSetup {
    /// The same, with `name` set to `value` as well (a Lambda invocation's function ARN).
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// The credentials among the environment: what must never appear in a log or a recording.
    pub fn secrets(&self) -> Vec<&str> {
        self.env
            .iter()
            .filter(|(name, value)| {
                settings::CREDENTIALS.contains(&name.as_str()) && !value.is_empty()
            })
            .map(|(_, value)| value.as_str())
            .collect()
    }

    /// The same, to ask the component which account the credentials are (not recorded: the
    /// fixture's settings carry the account instead).
    pub fn for_identity(&self) -> Self {
        let route = match &self.route {
            Route::Record(policy, _) => Route::Live(policy.clone()),
            other => other.clone(),
        };
        Self {
            route,
            own_account: None,
            ..self.clone()
        }
    }

    /// The same, within `deadline` at most.
    pub fn within(self, deadline: Option<Duration>) -> Self {
        Self { deadline, ..self }
    }
}

/// What every live event of one process runs with (`run`, `serve`, `lambda`, `record`): the
/// settings from the host's environment, the credentials, and the policy they call for.
#[derive(Debug, Clone)]
pub struct Live {
    settings: Vec<(String, String)>,
    credentials: CredentialSource,
    policy: Arc<OutboundPolicy>,
    own_account: Arc<OwnAccount>,
}

impl Live {
    /// The settings among `vars` (the host's environment), signed with `credentials`. `region`
    /// (the profile's, as aws-config found it) becomes `AWS_REGION` when `vars` name none.
    pub fn new(
        vars: impl IntoIterator<Item = (String, String)>,
        credentials: CredentialSource,
        region: Option<String>,
    ) -> Self {
        let settings = with_region(environment::settings(vars), region);
        let policy = Arc::new(OutboundPolicy::from_settings(&settings));
        Self {
            settings,
            credentials,
            policy,
            own_account: Arc::default(),
        }
    }

    /// The settings passed through to the component.
    pub fn settings(&self) -> &[(String, String)] {
        &self.settings
    }

    /// certwatch's own account, if this process has learned it.
    pub fn own_account(&self) -> Option<&str> {
        self.own_account.known()
    }

    /// The component's environment: the settings and the current credentials; an error
    /// outcome when there are none.
    async fn env(&self) -> Result<Vec<(String, String)>, Outcome> {
        let credentials = self.credentials.current().await.map_err(|e| {
            let retryable = match &e {
                CredentialsError::Refresh { retryable, .. } => *retryable,
                CredentialsError::NotFound { .. } => false,
            };
            Outcome::failure(ErrorKind::Credentials, e.to_string(), retryable)
        })?;
        let mut env = self.settings.clone();
        env.extend(credentials.to_env());
        Ok(env)
    }

    /// One event against AWS, within the policy.
    pub async fn event(&self) -> Result<EventSetup, Outcome> {
        Ok(EventSetup {
            env: self.env().await?,
            determinism: Determinism::Real,
            route: Route::Live(self.policy.clone()),
            deadline: None,
            own_account: Some(self.own_account.clone()),
        })
    }

    /// One event against AWS, its exchanges kept in `log`, its wall clock frozen at `now` so
    /// that the recording replays with the same signatures' dates.
    pub async fn recording(
        &self,
        now: Duration,
        log: Arc<Mutex<Vec<Exchange>>>,
    ) -> Result<EventSetup, Outcome> {
        Ok(EventSetup {
            env: self.env().await?,
            determinism: Determinism::FrozenClock { now },
            route: Route::Record(self.policy.clone(), log),
            deadline: None,
            own_account: Some(self.own_account.clone()),
        })
    }

    /// A call that may send nothing at all (the configuration check).
    pub async fn offline(&self) -> Result<EventSetup, Outcome> {
        Ok(EventSetup {
            env: self.env().await?,
            determinism: Determinism::Real,
            route: Route::Refuse,
            deadline: None,
            own_account: None,
        })
    }
}

/// `settings`, with `region` as `AWS_REGION` when they name no region of their own.
fn with_region(
    mut settings: Vec<(String, String)>,
    region: Option<String>,
) -> Vec<(String, String)> {
    let names = |name: &str| settings.iter().any(|(k, v)| k == name && !v.is_empty());
    if !names(settings::AWS_REGION)
        && !names(settings::AWS_DEFAULT_REGION)
        && let Some(region) = region
    {
        settings.push((settings::AWS_REGION.to_owned(), region));
        settings.sort();
    }
    settings
}

/// One fixture's event, offline: its settings, the fixed replay credentials, the clocks and
/// randomness pinned at `now`, every request answered from `cassette`.
pub fn replay(
    settings: impl IntoIterator<Item = (String, String)>,
    now: Duration,
    cassette: Arc<Mutex<Cassette>>,
) -> EventSetup {
    let mut env = environment::settings(settings);
    env.extend(environment::replay_credentials().to_env());
    EventSetup {
        env,
        determinism: Determinism::Pinned { now },
        route: Route::Replay(cassette),
        deadline: None,
        own_account: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_profiles_region_fills_in_only_where_the_environment_names_none() {
        let profile = Some("eu-west-1".to_owned());
        assert_eq!(
            with_region(vars(&[("EXPIRY_DAYS", "30")]), profile.clone()),
            vars(&[("AWS_REGION", "eu-west-1"), ("EXPIRY_DAYS", "30")])
        );
        for named in ["AWS_REGION", "AWS_DEFAULT_REGION"] {
            let settings = vars(&[(named, "us-east-2")]);
            assert_eq!(with_region(settings.clone(), profile.clone()), settings);
        }
        assert_eq!(
            with_region(vars(&[("AWS_REGION", "")]), None),
            vars(&[("AWS_REGION", "")])
        );
    }
}
