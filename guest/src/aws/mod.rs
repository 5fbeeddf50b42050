//! The AWS wire protocols certwatch speaks, as plain data: requests are built and responses
//! parsed here without I/O; `crate::responder` sends them through a [`crate::responder::Platform`].

pub mod acm;
pub mod call;
pub mod error;
pub mod events;
pub mod open_findings;
pub mod organizations;
pub(crate) mod query;
pub mod retry;
pub mod securityhub;
pub mod sign;
pub mod sns;
pub mod sqs;
pub mod sts;
pub mod transport;
pub mod xml;

pub use error::CallError;

use crate::config::Service;

/// `value` as compact JSON text. `Value`'s `Display` goes through `fmt`'s machinery, which in the
/// component cost as much as building the value.
pub fn json_text(value: &serde_json::Value) -> String {
    // Writing a `Value` cannot fail: its map keys are strings.
    serde_json::to_string(value).unwrap_or_default()
}

/// The AWS operations certwatch calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// ACM: one page of a region's certificates.
    ListCertificates,
    /// ACM: one certificate's expiry, names, type, status and users.
    DescribeCertificate,
    /// ACM: one certificate's tags.
    ListTagsForCertificate,
    /// Security Hub: raise, update or archive findings.
    BatchImportFindings,
    /// Security Hub: set findings' workflow to resolved.
    BatchUpdateFindings,
    /// Security Hub: certwatch's open findings, or one of them.
    GetFindings,
    /// SNS: a message to a topic.
    Publish,
    /// STS: credentials for a member account's role.
    AssumeRole,
    /// STS: the account certwatch's own credentials belong to.
    GetCallerIdentity,
    /// Organizations: one page of the organization's accounts.
    ListAccounts,
    /// Organizations: one account, whether it is the organization's.
    DescribeAccount,
    /// SQS: a scan's accounts sent to its queue, one message each.
    SendMessageBatch,
    /// EventBridge: events onto a bus.
    PutEvents,
}

impl Operation {
    /// The service that answers it.
    pub fn service(self) -> Service {
        match self {
            Self::ListCertificates | Self::DescribeCertificate | Self::ListTagsForCertificate => {
                Service::Acm
            }
            Self::BatchImportFindings | Self::BatchUpdateFindings | Self::GetFindings => {
                Service::SecurityHub
            }
            Self::Publish => Service::Sns,
            Self::AssumeRole | Self::GetCallerIdentity => Service::Sts,
            Self::ListAccounts | Self::DescribeAccount => Service::Organizations,
            Self::SendMessageBatch => Service::Sqs,
            Self::PutEvents => Service::Events,
        }
    }

    /// Whether the operation changes something: what a dry run reports instead of sending.
    pub fn writes(self) -> bool {
        matches!(
            self,
            Self::BatchImportFindings
                | Self::BatchUpdateFindings
                | Self::Publish
                | Self::SendMessageBatch
                | Self::PutEvents
        )
    }

    /// The IAM action name, e.g. `acm:DescribeCertificate`.
    pub fn name(self) -> &'static str {
        match self {
            Self::ListCertificates => "acm:ListCertificates",
            Self::DescribeCertificate => "acm:DescribeCertificate",
            Self::ListTagsForCertificate => "acm:ListTagsForCertificate",
            Self::BatchImportFindings => "securityhub:BatchImportFindings",
            Self::BatchUpdateFindings => "securityhub:BatchUpdateFindings",
            Self::GetFindings => "securityhub:GetFindings",
            Self::Publish => "sns:Publish",
            Self::AssumeRole => "sts:AssumeRole",
            Self::GetCallerIdentity => "sts:GetCallerIdentity",
            Self::ListAccounts => "organizations:ListAccounts",
            Self::DescribeAccount => "organizations:DescribeAccount",
            // IAM authorises a batch as its messages: `sqs:SendMessage`.
            Self::SendMessageBatch => "sqs:SendMessage",
            Self::PutEvents => "events:PutEvents",
        }
    }
}

/// Why a request got no reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendFailure {
    /// The host refused to send it (wasi-http's `HTTP-request-denied`): its outbound policy.
    Refused,
    /// Anything else, in words: the connection failed or closed, no reply came in time, ...
    /// A [`transport::TransportFailure`] gives them (`SendFailure::from`).
    Failed(String),
}

/// `scheme://host[:port]` of `url`, for saying where a request went without its path.
pub fn origin(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    url[..url.len() - rest.len() + host_len].to_owned()
}

/// A request ready to be signed and sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsRequest {
    /// What the request asks for.
    pub operation: Operation,
    /// The region the request is signed for.
    pub region: String,
    /// `POST`, or `PATCH` for `BatchUpdateFindings`.
    pub method: http::Method,
    /// Absolute URL: endpoint, path and query.
    pub url: String,
    /// Headers besides the signature's own (lowercase names).
    pub headers: Vec<(String, String)>,
    /// The payload as signed and sent: JSON, or a form for SNS.
    pub body: Vec<u8>,
    /// How long to wait for the reply (and between its bytes); the platform's default if unset.
    pub reply_timeout: Option<std::time::Duration>,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsResponse {
    /// The HTTP status.
    pub status: u16,
    /// Lowercase names.
    pub headers: Vec<(String, String)>,
    /// The payload as received: JSON, or XML from SNS.
    pub body: Vec<u8>,
}

impl AwsResponse {
    /// The first value of header `name`, in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// A reply of `status` with `body`, for the protocol modules' tests.
#[cfg(test)]
pub(crate) fn test_reply(status: u16, body: &str) -> AwsResponse {
    AwsResponse {
        status,
        headers: Vec::new(),
        body: body.as_bytes().to_vec(),
    }
}

/// A success reply's body as JSON `T`; an error reply as the operation's error.
pub(crate) fn json_reply<T: serde::de::DeserializeOwned>(
    operation: Operation,
    response: &AwsResponse,
) -> Result<T, CallError> {
    if !response.is_success() {
        return Err(CallError::from_response(operation, response));
    }
    serde_json::from_slice(&response.body)
        .map_err(|e| unreadable(operation, response, e.to_string()))
}

/// A success reply whose body is not the operation's reply.
pub(crate) fn unreadable(
    operation: Operation,
    response: &AwsResponse,
    message: String,
) -> CallError {
    CallError::Unreadable {
        operation,
        status: response.status,
        message,
    }
}

impl AwsRequest {
    pub(crate) fn new(
        operation: Operation,
        region: &str,
        method: http::Method,
        url: String,
        body: Vec<u8>,
    ) -> Self {
        Self {
            operation,
            region: region.to_owned(),
            method,
            url,
            headers: Vec::new(),
            body,
            reply_timeout: None,
        }
    }

    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
}

/// The reply AWS would give `request` (a write) if it succeeded: what a dry run answers itself
/// with, so the rest of the decision runs as it would.
pub fn dry_run_reply(request: &AwsRequest) -> AwsResponse {
    let listed = |field: &str| {
        serde_json::from_slice::<serde_json::Value>(&request.body)
            .ok()
            .and_then(|body| body[field].as_array().map(Vec::len))
            .unwrap_or(0)
    };
    let body = match request.operation {
        Operation::BatchImportFindings => format!(
            r#"{{"FailedCount":0,"SuccessCount":{},"FailedFindings":[]}}"#,
            listed("Findings")
        ),
        Operation::BatchUpdateFindings => serde_json::json!({
            "ProcessedFindings": vec![serde_json::json!({}); listed("FindingIdentifiers")],
            "UnprocessedFindings": [],
        })
        .to_string(),
        Operation::SendMessageBatch => sqs::dry_run_reply(request),
        Operation::PutEvents => serde_json::json!({
            "FailedEntryCount": 0,
            "Entries": vec![serde_json::json!({"EventId": "dry-run"}); listed("Entries")],
        })
        .to_string(),
        _ => "<PublishResponse><PublishResult><MessageId>dry-run</MessageId></PublishResult></PublishResponse>"
            .to_owned(),
    };
    AwsResponse {
        status: 200,
        headers: Vec::new(),
        body: body.into_bytes(),
    }
}
