//! Why an event was not handled: the component's errors and the host's own, one type.

use serde::{Deserialize, Serialize};

/// What kind of failure ended an event. The first five come from the component, the rest
/// from the host that runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ErrorKind {
    /// The event is not a usable EventBridge event.
    MalformedEvent,
    /// The configuration is missing or invalid.
    Configuration,
    /// AWS answered with an error.
    Aws,
    /// No usable answer: timed out, connection lost, unreadable reply.
    Transport,
    /// The host's outbound policy refused a request: a retry would be refused again.
    Refused,
    /// The host could not read the request before the component saw it (too large, not UTF-8).
    Input,
    /// The request lacked the API key `serve` requires.
    Unauthorized,
    /// The host had no usable AWS credentials for the event: their source (a container
    /// endpoint, instance metadata, `credential_process`, an SSO or assumed-role session)
    /// failed, and the last ones it had have expired.
    Credentials,
    /// The event took longer than its deadline.
    Deadline,
    /// The component stopped (out of memory, a bug); the host went on.
    Trap,
}

impl ErrorKind {
    /// Every kind, in the order they are documented.
    pub const ALL: [Self; 10] = [
        Self::MalformedEvent,
        Self::Configuration,
        Self::Aws,
        Self::Transport,
        Self::Refused,
        Self::Input,
        Self::Unauthorized,
        Self::Credentials,
        Self::Deadline,
        Self::Trap,
    ];

    /// The name the kind has in JSON, e.g. `malformed-event`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MalformedEvent => "malformed-event",
            Self::Configuration => "configuration",
            Self::Aws => "aws",
            Self::Transport => "transport",
            Self::Refused => "refused",
            Self::Input => "input",
            Self::Unauthorized => "unauthorized",
            Self::Credentials => "credentials",
            Self::Deadline => "deadline",
            Self::Trap => "trap",
        }
    }

    /// The name in PascalCase, as Lambda's function error types use it (`MalformedEvent`).
    pub fn pascal_name(self) -> &'static str {
        match self {
            Self::MalformedEvent => "MalformedEvent",
            Self::Configuration => "Configuration",
            Self::Aws => "Aws",
            Self::Transport => "Transport",
            Self::Refused => "Refused",
            Self::Input => "Input",
            Self::Unauthorized => "Unauthorized",
            Self::Credentials => "Credentials",
            Self::Deadline => "Deadline",
            Self::Trap => "Trap",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why an event could not be handled; `retryable` tells the sender whether to try again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    /// What kind of failure.
    pub kind: ErrorKind,
    /// What happened, and what was done before it.
    pub message: String,
    /// The AWS operation involved, e.g. `acm:DescribeCertificate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The AWS error code, e.g. `ResourceNotFoundException`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The HTTP status, where a reply was received.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    /// Whether sending the same event again may succeed.
    pub retryable: bool,
}

impl Failure {
    /// A failure of `kind` that a retry will not mend, without an AWS operation.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            operation: None,
            code: None,
            http_status: None,
            retryable: false,
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_and_named_as_serde_writes_it() {
        let names: std::collections::BTreeSet<&str> =
            ErrorKind::ALL.iter().map(|k| k.name()).collect();
        assert_eq!(names.len(), ErrorKind::ALL.len());
        for kind in ErrorKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.name()));
        }
    }
}
