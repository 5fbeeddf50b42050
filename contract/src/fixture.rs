//! The files of a replay fixture, one folder per case under `events/`: `event.json` (the
//! EventBridge event), `replay.json` ([`Replay`]: the pinned "now", the settings and the
//! recorded exchanges) and `outcome.json` (the [`crate::Outcome`] the event must end in). The
//! host replays them through the component; the guest's tests replay them natively.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The fixture file holding the event.
pub const EVENT_FILE: &str = "event.json";
/// The fixture file holding the pinned "now", the settings and the exchanges.
pub const REPLAY_FILE: &str = "replay.json";
/// The fixture file holding the expected outcome.
pub const OUTCOME_FILE: &str = "outcome.json";

/// A request as the component sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedRequest {
    /// `GET`, `POST`, …
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// `[name, value]` pairs, names lowercase, in the order sent.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    #[serde(default)]
    pub body: String,
}

/// A reply as AWS gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedResponse {
    /// The HTTP status.
    pub status: u16,
    /// `[name, value]` pairs.
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// The body, as text.
    #[serde(default)]
    pub body: String,
}

/// One request and what came of it: a response, or a transport failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exchange {
    /// What was sent.
    pub request: RecordedRequest,
    /// What came back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<RecordedResponse>,
    /// No response: `connection-refused`, `connection-timeout`, `connection-read-timeout`,
    /// `connection-terminated`, `response-timeout`, `protocol-error`, or another message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// `replay.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    /// What the fixture shows.
    #[serde(default)]
    pub description: String,
    /// The wall clock the component sees, RFC 3339.
    pub now: String,
    /// Configuration for the component; credentials are never stored, replay supplies fixed
    /// test credentials.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The recorded exchanges, in the order they happened.
    #[serde(default)]
    pub exchanges: Vec<Exchange>,
}

/// The fixed, fake credentials every replay signs with, so that signatures are reproducible
/// and nothing real is ever written to a fixture: access key id, secret access key.
pub const REPLAY_CREDENTIALS: (&str, &str) = (
    "AKIAIOSFODNN7EXAMPLE",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
);

/// The fake credentials a recorded `AssumeRole` reply is rewritten to hold (access key id,
/// secret access key, session token), so a member account's requests replay signed alike and
/// nothing STS handed out is ever written to a fixture.
pub const REPLAY_ASSUMED_CREDENTIALS: (&str, &str, &str) = (
    "ASIAIOSFODNN7MEMBER",
    "replay/member/secret/EXAMPLEKEY",
    "replay-member-session-token",
);

impl RecordedRequest {
    /// What identifies the call a request makes, whatever its signature and timing: two
    /// requests with the same key are the same operation on the same endpoint (method, URL,
    /// `x-amz-target`, and a form body's `Action`).
    pub fn key(&self) -> (String, String, String, String) {
        let target = self.header("x-amz-target").unwrap_or_default().to_owned();
        let action = form_field(&self.body, "Action").unwrap_or_default();
        (self.method.clone(), self.url.clone(), target, action)
    }

    /// The value of the header `name`, whatever its case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A form body's field, as sent (not decoded).
fn form_field(body: &str, name: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        pair.strip_prefix(name)?
            .strip_prefix('=')
            .map(str::to_owned)
    })
}

/// A transport failure as a fixture records it in [`Exchange::failure`]: the host writes these
/// names when recording and answers with the failure they name when replaying. Any other
/// text there is the host's own reason, passed on as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecordedFailure {
    /// The endpoint refused the connection.
    ConnectionRefused,
    /// No connection was made in time.
    ConnectionTimeout,
    /// The connection stayed silent past the timeout.
    ConnectionReadTimeout,
    /// The connection closed before the response.
    ConnectionTerminated,
    /// No response came in time.
    ResponseTimeout,
    /// The reply broke the HTTP protocol.
    ProtocolError,
}

impl RecordedFailure {
    /// Every recorded failure.
    pub const ALL: [Self; 6] = [
        Self::ConnectionRefused,
        Self::ConnectionTimeout,
        Self::ConnectionReadTimeout,
        Self::ConnectionTerminated,
        Self::ResponseTimeout,
        Self::ProtocolError,
    ];

    /// The name a fixture gives it, e.g. `connection-terminated`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ConnectionRefused => "connection-refused",
            Self::ConnectionTimeout => "connection-timeout",
            Self::ConnectionReadTimeout => "connection-read-timeout",
            Self::ConnectionTerminated => "connection-terminated",
            Self::ResponseTimeout => "response-timeout",
            Self::ProtocolError => "protocol-error",
        }
    }

    /// The failure a fixture names `name`; `None` for the host's own reasons.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|failure| failure.name() == name)
    }
}
