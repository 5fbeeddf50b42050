//! What handling one event came to: the contract's outcome (`certwatch-contract`), and how the
//! component's own errors become its [`Failure`].

pub use certwatch_contract::outcome::*;
pub use certwatch_contract::{ErrorKind, Failure};

use crate::aws::CallError;
use crate::config::ConfigError;
use crate::event::EventError;

impl From<EventError> for Failure {
    fn from(e: EventError) -> Self {
        Failure::new(ErrorKind::MalformedEvent, e.to_string())
    }
}

impl From<ConfigError> for Failure {
    fn from(e: ConfigError) -> Self {
        Failure::new(ErrorKind::Configuration, format!("configuration: {e}"))
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Self {
        let kind = match e {
            CallError::Service { .. } => ErrorKind::Aws,
            CallError::Refused { .. } => ErrorKind::Refused,
            CallError::Transport { .. } | CallError::Unreadable { .. } => ErrorKind::Transport,
        };
        Failure {
            kind,
            message: e.to_string(),
            operation: Some(e.operation().name().to_owned()),
            code: e.code().map(str::to_owned),
            http_status: e.status(),
            retryable: e.is_retryable(),
        }
    }
}
