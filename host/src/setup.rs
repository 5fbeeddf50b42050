//! What an event runs with, built in one place for every command: the settings passed through
//! to the component, the credentials it signs with, the outbound policy those settings call
//! for, the clocks it sees and where its requests go.

use crate::environment::{self, Credentials};
use crate::fixture::Exchange;
use crate::outbound::{Cassette, Route};
use crate::policy::OutboundPolicy;
use crate::sandbox::Determinism;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What one event runs with.
pub struct EventSetup {
    /// The component's whole environment: settings and credentials.
    pub env: Vec<(String, String)>,
    /// The clocks and randomness the instance sees.
    pub determinism: Determinism,
    /// Where its requests go.
    pub route: Route,
    /// A deadline shorter than the runtime's, such as what is left of a Lambda invocation.
    pub deadline: Option<Duration>,
}

impl EventSetup {
    /// The same, with `name` set to `value` as well (a Lambda invocation's function ARN).
    pub fn with_env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
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
    credentials: Credentials,
    policy: Arc<OutboundPolicy>,
}

impl Live {
    /// The settings among `vars` (the host's environment), with `credentials`.
    pub fn new(vars: impl IntoIterator<Item = (String, String)>, credentials: Credentials) -> Self {
        let settings = environment::settings(vars);
        let policy = Arc::new(OutboundPolicy::from_settings(&settings));
        Self {
            settings,
            credentials,
            policy,
        }
    }

    /// The settings passed through to the component.
    pub fn settings(&self) -> &[(String, String)] {
        &self.settings
    }

    /// The credentials events are signed with.
    pub fn credentials(&self) -> &Credentials {
        &self.credentials
    }

    /// The component's environment: the settings and the credentials.
    fn env(&self) -> Vec<(String, String)> {
        let mut env = self.settings.clone();
        env.extend(self.credentials.to_env());
        env
    }

    /// One event against AWS, within the policy.
    pub fn event(&self) -> EventSetup {
        EventSetup {
            env: self.env(),
            determinism: Determinism::Real,
            route: Route::Live(self.policy.clone()),
            deadline: None,
        }
    }

    /// One event against AWS, its exchanges kept in `log`, its wall clock frozen at `now` so
    /// that the recording replays with the same signatures' dates.
    pub fn recording(&self, now: Duration, log: Arc<Mutex<Vec<Exchange>>>) -> EventSetup {
        EventSetup {
            env: self.env(),
            determinism: Determinism::FrozenClock { now },
            route: Route::Record(self.policy.clone(), log),
            deadline: None,
        }
    }

    /// A call that may send nothing at all (the configuration check).
    pub fn offline(&self) -> EventSetup {
        EventSetup {
            env: self.env(),
            determinism: Determinism::Real,
            route: Route::Refuse,
            deadline: None,
        }
    }
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
    }
}
