//! SQS `SendMessageBatch`, as the API reference documents it: one to ten entries with distinct
//! ids, each taken (its message id and the MD5 of its body) or refused on its own under HTTP 200.
//! The stub holds every queue URL it is sent to, and keeps each message, in order, for a
//! benchmark to deliver as an event source mapping would (`GET /stub/messages`).

use crate::operation::Protocol;
use crate::reply::Reply;
use md5::{Digest, Md5};
use serde_json::{Value, json};

/// Entries one `SendMessageBatch` takes at most.
const MAX_ENTRIES: usize = 10;

/// A message a queue took.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Queued {
    /// The queue it was sent to.
    pub queue_url: String,
    /// The id SQS gave it.
    pub message_id: String,
    /// Its text.
    pub body: String,
}

/// The reply to `request`, a `SendMessageBatch`; the messages taken join `queued`.
pub(crate) fn send_message_batch(request: &Value, queued: &mut Vec<Queued>) -> Reply {
    let protocol = Protocol::Json10;
    let Some(queue_url) = request["QueueUrl"].as_str() else {
        return Reply::error(
            protocol,
            400,
            "com.amazonaws.sqs#MissingParameter",
            "The request must contain the parameter QueueUrl.",
        );
    };
    let entries = request["Entries"].as_array().map_or(&[][..], Vec::as_slice);
    if entries.is_empty() {
        return Reply::error(
            protocol,
            400,
            "com.amazonaws.sqs#EmptyBatchRequest",
            "The batch request doesn't contain any entries.",
        );
    }
    if entries.len() > MAX_ENTRIES {
        return Reply::error(
            protocol,
            400,
            "com.amazonaws.sqs#TooManyEntriesInBatchRequest",
            &format!("Maximum number of entries per request are {MAX_ENTRIES}."),
        );
    }
    let ids: Vec<&str> = entries.iter().filter_map(|e| e["Id"].as_str()).collect();
    let distinct: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    if ids.len() != entries.len() || distinct.len() != ids.len() {
        return Reply::error(
            protocol,
            400,
            "com.amazonaws.sqs#BatchEntryIdsNotDistinct",
            "Two or more batch entries in the request have the same Id.",
        );
    }
    let (mut successful, mut failed) = (Vec::new(), Vec::new());
    for (entry, id) in entries.iter().zip(ids) {
        let Some(body) = entry["MessageBody"].as_str().filter(|b| !b.is_empty()) else {
            failed.push(json!({
                "Id": id,
                "SenderFault": true,
                "Code": "MissingParameter",
                "Message": "The request must contain the parameter MessageBody.",
            }));
            continue;
        };
        let message_id = format!("stub-queued-{}", queued.len() + 1);
        successful.push(json!({
            "Id": id,
            "MessageId": message_id,
            "MD5OfMessageBody": md5_hex(body),
        }));
        queued.push(Queued {
            queue_url: queue_url.to_owned(),
            message_id,
            body: body.to_owned(),
        });
    }
    Reply::ok(
        protocol,
        json!({ "Successful": successful, "Failed": failed }).to_string(),
    )
}

/// The MD5 digest SQS gives of a message's body, in lower-case hex.
fn md5_hex(text: &str) -> String {
    Md5::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(request: Value, queued: &mut Vec<Queued>) -> (u16, Value) {
        let reply = send_message_batch(&request, queued);
        (
            reply.status,
            serde_json::from_str(&reply.body).expect("JSON"),
        )
    }

    #[test]
    fn takes_each_entry_and_keeps_its_message() {
        let mut queued = Vec::new();
        let (status, body) = reply(
            json!({
                "QueueUrl": "http://127.0.0.1:1/123456789012/scan",
                "Entries": [
                    { "Id": "a", "MessageBody": "hello" },
                    { "Id": "b", "MessageBody": "" },
                ],
            }),
            &mut queued,
        );
        assert_eq!(status, 200);
        // RFC 1321's own test value for "hello" is well known; this is it.
        assert_eq!(
            body["Successful"],
            json!([{ "Id": "a", "MessageId": "stub-queued-1",
                     "MD5OfMessageBody": "5d41402abc4b2a76b9719d911017c592" }])
        );
        assert_eq!(body["Failed"][0]["Id"], "b");
        assert_eq!(body["Failed"][0]["SenderFault"], true);
        assert_eq!(
            queued,
            [Queued {
                queue_url: "http://127.0.0.1:1/123456789012/scan".into(),
                message_id: "stub-queued-1".into(),
                body: "hello".into(),
            }]
        );
    }

    #[test]
    fn refuses_a_batch_sqs_would_refuse_whole() {
        let entry = |id: &str| json!({ "Id": id, "MessageBody": "x" });
        let url = "http://127.0.0.1:1/123456789012/scan";
        for (entries, code) in [
            (vec![], "com.amazonaws.sqs#EmptyBatchRequest"),
            (
                vec![entry("a"); 11],
                "com.amazonaws.sqs#TooManyEntriesInBatchRequest",
            ),
            (
                vec![entry("a"), entry("a")],
                "com.amazonaws.sqs#BatchEntryIdsNotDistinct",
            ),
        ] {
            let mut queued = Vec::new();
            let (status, body) = reply(json!({ "QueueUrl": url, "Entries": entries }), &mut queued);
            assert_eq!((status, body["__type"].as_str()), (400, Some(code)));
            assert!(queued.is_empty());
        }
    }
}
