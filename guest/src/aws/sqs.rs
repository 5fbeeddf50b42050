//! Amazon SQS `SendMessageBatch` (AWS JSON 1.0 protocol): a scan's accounts sent to its queue,
//! up to ten messages a call. Each message is accepted or refused on its own under HTTP 200.

use super::{AwsRequest, AwsResponse, CallError, Operation, json_reply, json_text};
use serde::{Deserialize, Serialize};

/// Messages one `SendMessageBatch` takes at most.
pub const MAX_BATCH_ENTRIES: usize = 10;

/// One message of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entry {
    /// Unique within the batch: how the reply names it.
    pub id: String,
    /// The message's text.
    pub message_body: String,
}

/// `SendMessageBatch` of `entries` (at most [`MAX_BATCH_ENTRIES`]) to the queue at `queue_url`,
/// through SQS's `endpoint` in `region`.
pub fn send_message_batch(
    endpoint: &str,
    region: &str,
    queue_url: &str,
    entries: &[Entry],
) -> AwsRequest {
    let body = serde_json::json!({ "QueueUrl": queue_url, "Entries": entries });
    AwsRequest::new(
        Operation::SendMessageBatch,
        region,
        http::Method::POST,
        format!("{endpoint}/"),
        json_text(&body).into_bytes(),
    )
    .header("content-type", "application/x-amz-json-1.0")
    .header("x-amz-target", "AmazonSQS.SendMessageBatch")
}

/// A message SQS took.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Sent {
    /// The entry's id.
    pub id: String,
    /// The id SQS gave the message.
    pub message_id: String,
}

/// A message SQS refused.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Refused {
    /// The entry's id.
    pub id: String,
    /// Whether the message itself is at fault: sending it again fails the same way.
    #[serde(default)]
    pub sender_fault: bool,
    /// SQS's error code.
    #[serde(default)]
    pub code: String,
    /// SQS's words.
    #[serde(default)]
    pub message: Option<String>,
}

impl Refused {
    /// Whether the same message may be taken if sent again: SQS's fault, not the message's.
    pub fn is_retryable(&self) -> bool {
        !self.sender_fault
    }

    /// The refusal as the call's error, for the account it was to scan.
    pub fn error(&self) -> CallError {
        CallError::Service {
            operation: Operation::SendMessageBatch,
            status: 200,
            code: self.code.clone(),
            message: self
                .message
                .clone()
                .unwrap_or_else(|| "no reason given".into()),
        }
    }
}

/// What one `SendMessageBatch` did with each message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchSent {
    /// Messages taken.
    #[serde(default)]
    pub successful: Vec<Sent>,
    /// Messages refused.
    #[serde(default)]
    pub failed: Vec<Refused>,
}

/// Each message's fate; an error reply (the queue missing, access denied) is the call's error.
pub fn parse_send_message_batch(response: &AwsResponse) -> Result<BatchSent, CallError> {
    json_reply(Operation::SendMessageBatch, response)
}

/// The reply SQS gives when it takes every message of `request`: what a dry run answers with.
pub(crate) fn dry_run_reply(request: &AwsRequest) -> String {
    let ids: Vec<String> = serde_json::from_slice::<serde_json::Value>(&request.body)
        .ok()
        .and_then(|body| {
            body["Entries"].as_array().map(|entries| {
                entries
                    .iter()
                    .filter_map(|e| e["Id"].as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default();
    let successful: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({ "Id": id, "MessageId": "dry-run" }))
        .collect();
    json_text(&serde_json::json!({ "Successful": successful, "Failed": [] }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::test_reply;

    fn entries() -> Vec<Entry> {
        ["111111111111", "222222222222"]
            .iter()
            .map(|id| Entry {
                id: (*id).to_owned(),
                message_body: format!(r#"{{"account":"{id}"}}"#),
            })
            .collect()
    }

    #[test]
    fn the_request_follows_the_json_protocol() {
        let r = send_message_batch(
            "https://sqs.us-east-1.amazonaws.com",
            "us-east-1",
            "https://sqs.us-east-1.amazonaws.com/123456789012/certwatch-scan",
            &entries(),
        );
        assert_eq!(r.method, http::Method::POST);
        assert_eq!(r.url, "https://sqs.us-east-1.amazonaws.com/");
        assert!(
            r.headers
                .contains(&("x-amz-target".into(), "AmazonSQS.SendMessageBatch".into()))
        );
        assert!(
            r.headers
                .contains(&("content-type".into(), "application/x-amz-json-1.0".into()))
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body["QueueUrl"],
            "https://sqs.us-east-1.amazonaws.com/123456789012/certwatch-scan"
        );
        assert_eq!(body["Entries"][1]["Id"], "222222222222");
        assert_eq!(
            body["Entries"][1]["MessageBody"],
            r#"{"account":"222222222222"}"#
        );
        assert!(Operation::SendMessageBatch.writes());
    }

    #[test]
    fn each_message_is_taken_or_refused_on_its_own() {
        let reply = r#"{"Successful":[{"Id":"111111111111","MessageId":"m-1","MD5OfMessageBody":"x"}],
            "Failed":[{"Id":"222222222222","SenderFault":false,"Code":"InternalError","Message":"try again"},
                      {"Id":"333333333333","SenderFault":true,"Code":"InvalidMessageContents"}]}"#;
        let sent = parse_send_message_batch(&test_reply(200, reply)).unwrap();
        assert_eq!(
            sent.successful,
            [Sent {
                id: "111111111111".into(),
                message_id: "m-1".into()
            }]
        );
        let [transient, lasting] = &sent.failed[..] else {
            panic!("{sent:?}");
        };
        assert!(transient.is_retryable() && !lasting.is_retryable());
        let error = lasting.error();
        assert_eq!(error.code(), Some("InvalidMessageContents"));
        assert!(error.to_string().contains("no reason given"), "{error}");
    }

    #[test]
    fn an_error_reply_is_the_calls_error() {
        let reply = r#"{"__type":"com.amazonaws.sqs#QueueDoesNotExist","message":"The specified queue does not exist."}"#;
        let error = parse_send_message_batch(&test_reply(400, reply)).unwrap_err();
        assert_eq!(error.code(), Some("QueueDoesNotExist"));
        assert!(!error.is_retryable());
    }

    #[test]
    fn a_dry_run_is_answered_as_if_every_message_were_taken() {
        let request = send_message_batch("https://e", "us-east-1", "https://q", &entries());
        let reply = test_reply(200, &dry_run_reply(&request));
        let sent = parse_send_message_batch(&reply).unwrap();
        let ids: Vec<&str> = sent.successful.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["111111111111", "222222222222"]);
        assert!(sent.failed.is_empty());
    }
}
