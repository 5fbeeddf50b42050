//! Why a request got no reply, in the words an outcome says it with: one place for them,
//! whatever sent the request (`wasi:http` in the component, a test's platform natively).

use super::SendFailure;

/// A transport failure: the connection, the timeouts, the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportFailure {
    /// The endpoint refused the connection.
    ConnectionRefused,
    /// No connection was made in time.
    ConnectionTimeout,
    /// The connection stayed silent, or no response came, past the reply timeout.
    ResponseTimeout,
    /// The connection closed before the response.
    ConnectionTerminated,
    /// The endpoint's name did not resolve.
    NameNotResolved,
    /// The host refused to send the request: its outbound policy. As a [`SendFailure`], this
    /// is [`SendFailure::Refused`], which is not retried.
    Denied,
    /// The reply broke the HTTP protocol. Worded as `wasi:http` names it: certwatch has no
    /// words of its own for it yet.
    ProtocolError,
    /// The host's own reason, as it gave it.
    Host(String),
    /// Any other failure, as whoever saw it describes it.
    Other(String),
}

impl std::fmt::Display for TransportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::ConnectionRefused => "the connection was refused",
            Self::ConnectionTimeout => "the connection timed out",
            Self::ResponseTimeout => "no response came in time",
            Self::ConnectionTerminated => "the connection closed before the response",
            Self::NameNotResolved => "the endpoint's name could not be resolved",
            Self::Denied => "the host refused the request",
            Self::ProtocolError => "ErrorCode::HttpProtocolError",
            Self::Host(reason) | Self::Other(reason) => reason,
        })
    }
}

impl From<TransportFailure> for SendFailure {
    fn from(failure: TransportFailure) -> Self {
        match failure {
            TransportFailure::Denied => Self::Refused,
            other => Self::Failed(other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_denied_request_is_refused_and_the_rest_failed_in_words() {
        assert_eq!(
            SendFailure::from(TransportFailure::Denied),
            SendFailure::Refused
        );
        assert_eq!(
            SendFailure::from(TransportFailure::ResponseTimeout),
            SendFailure::Failed("no response came in time".into())
        );
        assert_eq!(
            TransportFailure::Host("the cassette lock is poisoned".into()).to_string(),
            "the cassette lock is poisoned"
        );
    }
}
