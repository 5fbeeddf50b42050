//! AWS error replies, whatever protocol they arrive in, and what certwatch makes of them.

use super::{AwsResponse, Operation};

/// A failed AWS call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// AWS answered with an error.
    #[error("{} failed: {code}: {message} (HTTP {status})", operation.name())]
    Service {
        /// The call that failed.
        operation: Operation,
        /// The reply's HTTP status: 200 for a batch that refused some of its findings.
        status: u16,
        /// AWS's error code, e.g. `ThrottlingException`, or the first refused finding's.
        code: String,
        /// AWS's message, or what a batch refused and why.
        message: String,
    },
    /// No answer: timed out, connection lost.
    #[error("{} failed: {message}", operation.name())]
    Transport {
        /// The call that failed.
        operation: Operation,
        /// What happened, in words.
        message: String,
    },
    /// The host that runs the component refused to send the request (its outbound policy):
    /// sending it again would be refused again. Whose policy it is, the component cannot tell:
    /// certwatch's own host logs its reason, another host has its own rules.
    #[error(
        "{} failed: the host refused the request to {origin}: \
         its outbound policy does not allow it",
        operation.name()
    )]
    Refused {
        /// The call that was refused.
        operation: Operation,
        /// `scheme://host[:port]` of the refused URL.
        origin: String,
    },
    /// A success status whose body could not be read as the operation's reply.
    #[error("{} returned an unreadable reply (HTTP {status}): {message}", operation.name())]
    Unreadable {
        /// The call that failed.
        operation: Operation,
        /// The reply's HTTP status.
        status: u16,
        /// Why the body is not the reply: what the parser said.
        message: String,
    },
}

/// The most of an AWS error message an outcome carries.
const MAX_MESSAGE_CHARS: usize = 1_000;

/// Per-finding codes `BatchUpdateFindings` reports under HTTP 200 that another attempt can clear:
/// another update (or an import) was touching the finding, or Security Hub failed inside.
pub const TRANSIENT_FINDING_CODES: &[&str] = &["ConcurrentUpdateError", "InternalFailure"];

/// Error codes AWS uses for throttling, besides HTTP 429.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
];

impl CallError {
    /// The call that failed.
    pub fn operation(&self) -> Operation {
        match self {
            Self::Service { operation, .. }
            | Self::Transport { operation, .. }
            | Self::Refused { operation, .. }
            | Self::Unreadable { operation, .. } => *operation,
        }
    }

    /// AWS's error code, when AWS answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            Self::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The reply's HTTP status, when a reply came.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Service { status, .. } | Self::Unreadable { status, .. } => Some(*status),
            Self::Transport { .. } | Self::Refused { .. } => None,
        }
    }

    /// AWS asked to slow down.
    pub fn is_throttling(&self) -> bool {
        match self {
            Self::Service { status, code, .. } => {
                *status == 429 || THROTTLING_CODES.contains(&code.as_str())
            }
            _ => false,
        }
    }

    /// This error with every occurrence of `secrets` blanked out of its text, and the text cut
    /// to a readable length: some AWS errors quote the request back, credentials and all.
    pub fn redacted(self, secrets: &[&str]) -> Self {
        let clean = |mut text: String| {
            for secret in secrets.iter().filter(|s| s.len() >= 4) {
                text = text.replace(secret, "[redacted]");
            }
            match text.char_indices().nth(MAX_MESSAGE_CHARS) {
                Some((end, _)) => format!("{}…", &text[..end]),
                None => text,
            }
        };
        match self {
            Self::Service {
                operation,
                status,
                code,
                message,
            } => Self::Service {
                operation,
                status,
                code: clean(code),
                message: clean(message),
            },
            Self::Transport { operation, message } => Self::Transport {
                operation,
                message: clean(message),
            },
            Self::Refused { operation, origin } => Self::Refused {
                operation,
                origin: clean(origin),
            },
            Self::Unreadable {
                operation,
                status,
                message,
            } => Self::Unreadable {
                operation,
                status,
                message: clean(message),
            },
        }
    }

    /// Whether the same request may succeed if sent again: throttling, server faults, and
    /// transport failures; never a client error that will fail the same way.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Service { status, code, .. } => {
                *status == 429
                    || *status >= 500
                    || THROTTLING_CODES.contains(&code.as_str())
                    || self.is_finding_conflict()
                    || self.is_transient_event_failure()
            }
            Self::Transport { .. } => true,
            Self::Refused { .. } => false,
            Self::Unreadable { status, .. } => *status >= 500,
        }
    }

    /// Whether `BatchUpdateFindings` found its findings busy or failed inside (reported per
    /// finding under HTTP 200): another attempt, a little later, can clear it.
    pub fn is_finding_conflict(&self) -> bool {
        match self {
            Self::Service {
                operation: Operation::BatchUpdateFindings,
                status: 200,
                code,
                ..
            } => TRANSIENT_FINDING_CODES.contains(&code.as_str()),
            _ => false,
        }
    }

    /// Whether `PutEvents` reported its entries failed inside EventBridge (under HTTP 200):
    /// another attempt can put them.
    pub fn is_transient_event_failure(&self) -> bool {
        match self {
            Self::Service {
                operation: Operation::PutEvents,
                status: 200,
                code,
                ..
            } => super::events::TRANSIENT_ENTRY_CODES.contains(&code.as_str()),
            _ => false,
        }
    }

    /// Reads an error reply: JSON (`__type`/`code`/`Code`, `message`/`Message`, or the
    /// `x-amzn-ErrorType` header), XML (`<Code>`, `<Message>`), or neither.
    pub fn from_response(operation: Operation, response: &AwsResponse) -> Self {
        let (json_code, json_message) = json_error(&response.body);
        let (xml_code, xml_message) = if json_code.is_none() {
            xml_error(&response.body)
        } else {
            (None, None)
        };
        let header_code = response
            .header("x-amzn-errortype")
            .map(|v| v.split(':').next().unwrap_or(v).to_owned());
        let code = header_code
            .or(json_code)
            .or(xml_code)
            .map(|c| shape_name(&c).to_owned())
            .filter(|c| !c.is_empty())
            .unwrap_or_else(|| format!("HTTP{}", response.status));
        let message = json_message.or(xml_message).unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&response.body);
            let text = text.trim();
            if text.is_empty() {
                "(empty reply)".to_owned()
            } else {
                text.chars().take(300).collect()
            }
        });
        Self::Service {
            operation,
            status: response.status,
            code,
            message,
        }
    }
}

/// `com.amazonaws.acm#ResourceNotFoundException` and `aws.protocoltests#X` name the shape `X`.
fn shape_name(code: &str) -> &str {
    code.rsplit('#').next().unwrap_or(code).trim()
}

fn json_error(body: &[u8]) -> (Option<String>, Option<String>) {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_slice::<serde_json::Value>(body)
    else {
        return (None, None);
    };
    let text = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| map.get(*k).and_then(|v| v.as_str()).map(str::to_owned))
    };
    (
        text(&["__type", "code", "Code"]),
        text(&["message", "Message", "errorMessage"]),
    )
}

/// `<Code>` and `<Message>` of an XML error document, in any of the shapes AWS uses:
/// `<ErrorResponse><Error>…` (Query), `<Response><Errors><Error>…` (EC2), `<Error>…` (REST-XML).
fn xml_error(body: &[u8]) -> (Option<String>, Option<String>) {
    use super::xml::first_text;
    let Ok(text) = std::str::from_utf8(body) else {
        return (None, None);
    };
    // The `<Error>`'s own field, else one directly under the root.
    let field = |name: &str| {
        let in_error = |path: &[String]| {
            path.len() >= 2 && path[path.len() - 2] == "Error" && path[path.len() - 1] == name
        };
        let at_root = |path: &[String]| path.len() == 2 && path[1] == name;
        first_text(text, in_error)
            .ok()
            .flatten()
            .or_else(|| first_text(text, at_root).ok().flatten())
    };
    (field("Code"), field("Message"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> AwsResponse {
        AwsResponse {
            status,
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    fn parts(e: &CallError) -> (&str, String, bool) {
        let CallError::Service { code, message, .. } = e else {
            panic!("{e:?}")
        };
        (code, message.clone(), e.is_retryable())
    }

    #[test]
    fn json_1_1_errors() {
        let r = reply(
            400,
            &[],
            r#"{"__type":"com.amazonaws.acm#ResourceNotFoundException","message":"Could not find certificate"}"#,
        );
        let e = CallError::from_response(Operation::DescribeCertificate, &r);
        assert_eq!(
            parts(&e),
            (
                "ResourceNotFoundException",
                "Could not find certificate".into(),
                false
            )
        );
    }

    #[test]
    fn rest_json_errors_and_the_error_type_header() {
        let r = reply(
            401,
            &[(
                "x-amzn-ErrorType",
                "InvalidAccessException:http://internal.amazon.com/",
            )],
            r#"{"Code":"InvalidAccessException","Message":"Account 123456789012 is not subscribed to AWS Security Hub"}"#,
        );
        let e = CallError::from_response(Operation::GetFindings, &r);
        assert_eq!(e.code(), Some("InvalidAccessException"));
        assert!(parts(&e).1.contains("not subscribed"));
    }

    #[test]
    fn query_xml_errors() {
        let r = reply(
            404,
            &[],
            r#"<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>x</RequestId></ErrorResponse>"#,
        );
        assert_eq!(
            parts(&CallError::from_response(Operation::Publish, &r)),
            ("NotFound", "Topic does not exist".into(), false)
        );
    }

    #[test]
    fn throttling_and_server_faults_are_retryable() {
        let throttled = reply(
            400,
            &[],
            r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#,
        );
        assert!(
            CallError::from_response(Operation::DescribeCertificate, &throttled).is_retryable()
        );
        let xml_throttle = reply(
            400,
            &[],
            "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>",
        );
        assert!(CallError::from_response(Operation::Publish, &xml_throttle).is_retryable());
        for status in [429, 500, 502, 503, 504] {
            assert!(
                CallError::from_response(Operation::Publish, &reply(status, &[], ""))
                    .is_retryable(),
                "{status}"
            );
        }
        assert!(!CallError::from_response(Operation::Publish, &reply(403, &[], "")).is_retryable());
    }

    #[test]
    fn unreadable_error_bodies_still_give_a_code_and_message() {
        let e = CallError::from_response(
            Operation::Publish,
            &reply(502, &[], "<html>Bad Gateway</html>"),
        );
        let (code, message, retryable) = parts(&e);
        assert_eq!(code, "HTTP502");
        assert!(message.contains("Bad Gateway"));
        assert!(retryable);
        let e = CallError::from_response(Operation::Publish, &reply(500, &[], ""));
        assert_eq!(parts(&e).1, "(empty reply)");
    }

    #[test]
    fn credentials_quoted_back_are_blanked_out() {
        let quoted = CallError::Service {
            operation: Operation::Publish,
            status: 400,
            code: "IncompleteSignatureException".into(),
            message: "Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261129 x-amz-security-token=tok3n".into(),
        };
        let clean = quoted.redacted(&["AKIDEXAMPLE", "s3cr3t", "tok3n"]);
        let text = clean.to_string();
        assert!(
            !text.contains("AKIDEXAMPLE") && !text.contains("tok3n"),
            "{text}"
        );
        assert!(text.contains("Credential=[redacted]/20261129"), "{text}");
        let long = CallError::Transport {
            operation: Operation::Publish,
            message: "x".repeat(5_000),
        };
        assert!(long.redacted(&[]).to_string().len() < 1_100);
    }

    #[test]
    fn a_refusal_names_the_origin_and_no_policy_but_the_hosts_own() {
        // The same component runs under certwatch's host and under others (wasmCloud refuses
        // what a workload's allowedHosts leaves out): the message cannot know whose rule
        // refused it, only that the host did. certwatch's own host logs its reason.
        let refused = CallError::Refused {
            operation: Operation::Publish,
            origin: "https://sns.eu-west-1.amazonaws.com".into(),
        };
        assert_eq!(
            refused.to_string(),
            "sns:Publish failed: the host refused the request to \
             https://sns.eu-west-1.amazonaws.com: its outbound policy does not allow it"
        );
    }
}
