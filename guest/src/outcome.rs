//! What handling one event came to: the component returns exactly one of these per event.

use crate::aws::CallError;
use crate::config::ConfigError;
use crate::event::EventError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Expiring,
    NotExpiring,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Certificate {
    pub arn: String,
    pub domain: String,
    pub not_after: String,
    pub days_left: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingImport {
    pub id: String,
    pub region: String,
    pub imported: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub topic_arn: String,
    pub message_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    SecurityHub,
    Notification,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub step: Step,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handled {
    pub event_id: String,
    pub certificate: Certificate,
    pub decision: Decision,
    pub finding: Option<FindingImport>,
    pub notification: Option<Notification>,
    pub skipped: Vec<Skipped>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    pub event_id: String,
    pub source: String,
    pub detail_type: String,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Handled(Handled),
    NotHandled(Ignored),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    MalformedEvent,
    Configuration,
    Aws,
    Transport,
}

/// Why an event could not be handled; `retryable` tells the sender whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HandleError {
    pub kind: ErrorKind,
    pub message: String,
    pub operation: Option<&'static str>,
    pub code: Option<String>,
    pub status: Option<u16>,
    pub retryable: bool,
}

impl HandleError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            operation: None,
            code: None,
            status: None,
            retryable: false,
        }
    }
}

impl From<EventError> for HandleError {
    fn from(e: EventError) -> Self {
        Self::new(ErrorKind::MalformedEvent, e.to_string())
    }
}

impl From<ConfigError> for HandleError {
    fn from(e: ConfigError) -> Self {
        Self::new(ErrorKind::Configuration, format!("configuration: {e}"))
    }
}

impl From<CallError> for HandleError {
    fn from(e: CallError) -> Self {
        let kind = match e {
            CallError::Service { .. } => ErrorKind::Aws,
            CallError::Transport { .. } | CallError::Unreadable { .. } => ErrorKind::Transport,
        };
        Self {
            kind,
            message: e.to_string(),
            operation: Some(e.operation().name()),
            code: e.code().map(str::to_owned),
            status: e.status(),
            retryable: e.is_retryable(),
        }
    }
}
