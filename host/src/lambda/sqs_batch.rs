//! SQS's batch event, as an event source mapping delivers the scan queue's messages
//! (`SCAN_QUEUE_URL`), and the partial batch response that tells SQS which records failed
//! (`ReportBatchItemFailures`): only those are received again, and a redrive policy parks one
//! that keeps failing in the dead-letter queue.

use serde::Deserialize;

/// What SQS's records carry as their `eventSource`.
const SQS_EVENT_SOURCE: &str = "aws:sqs";

/// One message of the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    /// SQS's id for it: what the batch response names it by.
    pub(super) message_id: String,
    /// Its body, the event to handle; `Err` says why there is none.
    pub(super) body: Result<String, String>,
}

/// What an invocation's payload is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Payload {
    /// One event, handled as it is.
    Event,
    /// SQS's messages, each an event.
    Batch(Vec<Record>),
    /// SQS's messages, but one without a `messageId`: no batch response can name it, so the
    /// invocation fails and SQS delivers the whole batch again. Says which record.
    Unnamed(String),
}

#[derive(Deserialize)]
struct Batch {
    #[serde(rename = "Records")]
    records: Vec<WireRecord>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRecord {
    #[serde(default)]
    message_id: Option<String>,
    #[serde(default)]
    event_source: Option<String>,
    #[serde(default)]
    body: Option<serde_json::Value>,
}

/// Whether `payload` is SQS's batch: an object whose `Records` are all SQS's (at least one);
/// anything else is one event.
pub(super) fn payload(payload: &[u8]) -> Payload {
    let Ok(batch) = serde_json::from_slice::<Batch>(payload) else {
        return Payload::Event;
    };
    let all_sqs = batch
        .records
        .iter()
        .all(|r| r.event_source.as_deref() == Some(SQS_EVENT_SOURCE));
    if batch.records.is_empty() || !all_sqs {
        return Payload::Event;
    }
    let mut records = Vec::with_capacity(batch.records.len());
    for (index, record) in batch.records.into_iter().enumerate() {
        let Some(message_id) = record.message_id.filter(|id| !id.is_empty()) else {
            return Payload::Unnamed(format!("the SQS batch's record {index} has no messageId"));
        };
        let body = match record.body {
            Some(serde_json::Value::String(text)) => Ok(text),
            Some(_) => Err("the record's body is not text".to_owned()),
            None => Err("the record has no body".to_owned()),
        };
        records.push(Record { message_id, body });
    }
    Payload::Batch(records)
}

/// The partial batch response naming the records in `failed`; an empty list means all went
/// through.
pub(super) fn batch_response<'a>(failed: impl IntoIterator<Item = &'a str>) -> String {
    let failures: Vec<serde_json::Value> = failed
        .into_iter()
        .map(|id| serde_json::json!({ "itemIdentifier": id }))
        .collect();
    serde_json::json!({ "batchItemFailures": failures }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(id: &str, body: serde_json::Value) -> serde_json::Value {
        json!({
            "messageId": id, "receiptHandle": "r", "body": body, "attributes": {},
            "messageAttributes": {}, "md5OfBody": "m", "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:certwatch-scan",
            "awsRegion": "us-east-1"
        })
    }

    #[test]
    fn an_sqs_batch_is_its_records_in_order() {
        let event = json!({ "Records": [
            record("m-1", json!("{\"id\":\"a\"}")),
            record("m-2", json!({"id": "b"})),
            record("m-3", serde_json::Value::Null),
        ]});
        let Payload::Batch(records) = payload(event.to_string().as_bytes()) else {
            panic!("not a batch");
        };
        assert_eq!(
            records,
            [
                Record {
                    message_id: "m-1".into(),
                    body: Ok("{\"id\":\"a\"}".into())
                },
                Record {
                    message_id: "m-2".into(),
                    body: Err("the record's body is not text".into())
                },
                Record {
                    message_id: "m-3".into(),
                    body: Err("the record has no body".into())
                },
            ]
        );
    }

    #[test]
    fn anything_else_is_one_event() {
        let s3 = json!({ "Records": [{ "eventSource": "aws:s3", "messageId": "x" }] });
        for other in [
            r#"{"version":"0","id":"x","detail-type":"Scheduled Event","source":"aws.events"}"#
                .to_owned(),
            r#"{"Records":[]}"#.to_owned(),
            s3.to_string(),
            "not json".to_owned(),
            "[]".to_owned(),
        ] {
            assert_eq!(payload(other.as_bytes()), Payload::Event, "{other}");
        }
    }

    #[test]
    fn a_record_without_an_id_fails_the_whole_batch() {
        let mut unnamed = record("", json!("{}"));
        let event = json!({ "Records": [record("m-1", json!("{}")), unnamed.clone()] });
        assert_eq!(
            payload(event.to_string().as_bytes()),
            Payload::Unnamed("the SQS batch's record 1 has no messageId".into())
        );
        unnamed.as_object_mut().map(|r| r.remove("messageId"));
        let event = json!({ "Records": [unnamed] });
        assert!(matches!(
            payload(event.to_string().as_bytes()),
            Payload::Unnamed(_)
        ));
    }

    #[test]
    fn the_batch_response_names_each_failed_record() {
        let response: serde_json::Value =
            serde_json::from_str(&batch_response(["m-2", "m-3"])).unwrap();
        assert_eq!(
            response,
            json!({ "batchItemFailures": [{ "itemIdentifier": "m-2" }, { "itemIdentifier": "m-3" }] })
        );
        assert_eq!(batch_response([]), r#"{"batchItemFailures":[]}"#);
    }
}
