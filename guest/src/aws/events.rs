//! EventBridge `PutEvents` (JSON 1.1 protocol: `X-Amz-Target: AWSEvents.PutEvents`).
//!
//! `PutEvents` answers HTTP 200 even when entries fail: each failed entry carries an
//! `ErrorCode`, and `FailedEntryCount` counts them. A reply with failed entries is read as the
//! call's error, so that it is retried (when the code is transient) and ends as an error
//! outcome like any other failed call.

use super::{AwsRequest, AwsResponse, CallError, Operation, json_reply, unreadable};
use crate::arn::EventBus;
use serde::Serialize;
use serde_json::Value;

/// The entry codes that another attempt can clear (EventBridge's own failure, throttling).
pub const TRANSIENT_ENTRY_CODES: &[&str] = &[
    "InternalFailure",
    "InternalException",
    "ThrottlingException",
];

/// One event to put.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Entry {
    /// Who it is from: `certwatch`.
    pub source: String,
    /// What it is, e.g. `Certificate Expiring`.
    pub detail_type: String,
    /// The detail, as JSON text (EventBridge takes it as a string).
    pub detail: String,
    /// The resources it is about: the certificate's ARN.
    pub resources: Vec<String>,
    /// The bus, by name or ARN.
    pub event_bus_name: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PutEventsBody<'a> {
    entries: &'a [Entry],
}

/// `PutEvents` of `entries` (at most 10, EventBridge's limit) in `region`.
pub fn put_events(endpoint: &str, region: &str, entries: &[Entry]) -> AwsRequest {
    // Strings only: serialising cannot fail.
    let body = serde_json::to_vec(&PutEventsBody { entries }).unwrap_or_default();
    AwsRequest::new(
        Operation::PutEvents,
        region,
        http::Method::POST,
        format!("{endpoint}/"),
        body,
    )
    .header("content-type", "application/x-amz-json-1.1")
    .header("x-amz-target", "AWSEvents.PutEvents")
}

/// The region `bus`'s `PutEvents` goes to: the ARN's, else certwatch's own (`fallback`).
pub fn bus_region<'a>(bus: &'a EventBus, fallback: &'a str) -> &'a str {
    bus.region().unwrap_or(fallback)
}

/// The events' ids, in the order they were sent, when every entry was put; `sent` is how many
/// were. A failed entry is the call's error, with the first failure's code. Read as a
/// `serde_json::Value`, whose code the component has anyway: a derived reply type cost it
/// kilobytes more.
pub fn parse_put_events(response: &AwsResponse, sent: usize) -> Result<Vec<String>, CallError> {
    let operation = Operation::PutEvents;
    let reply: Value = json_reply(operation, response)?;
    let text = |entry: &Value, field: &str| entry[field].as_str().map(str::to_owned);
    let entries: &[Value] = reply["Entries"].as_array().map_or(&[], Vec::as_slice);
    let failed_count = reply["FailedEntryCount"].as_u64().unwrap_or(0);
    let failed: Vec<&Value> = entries
        .iter()
        .filter(|e| text(e, "ErrorCode").is_some())
        .collect();
    if failed_count > 0 || !failed.is_empty() {
        let first = failed.first();
        let code = first
            .and_then(|e| text(e, "ErrorCode"))
            .unwrap_or_else(|| "FailedEntry".to_owned());
        let message = first
            .and_then(|e| text(e, "ErrorMessage"))
            .unwrap_or_default();
        let count = failed_count.max(failed.len() as u64);
        return Err(CallError::Service {
            operation,
            status: response.status,
            code,
            message: format!("{count} of {sent} events were not put: {message}"),
        });
    }
    if !reply.is_object() || entries.len() != sent {
        return Err(unreadable(
            operation,
            response,
            format!("{} entries answered for {sent} sent", entries.len()),
        ));
    }
    entries
        .iter()
        .map(|e| text(e, "EventId").filter(|id| !id.is_empty()))
        .collect::<Option<Vec<String>>>()
        .ok_or_else(|| unreadable(operation, response, "an entry has no EventId".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry() -> Entry {
        Entry {
            source: "certwatch".into(),
            detail_type: "Certificate Expiring".into(),
            detail: r#"{"daysLeft":11}"#.into(),
            resources: vec!["arn:aws:acm:us-east-1:123456789012:certificate/abc".into()],
            event_bus_name: "certwatch".into(),
        }
    }

    fn reply(status: u16, body: &str) -> AwsResponse {
        AwsResponse {
            status,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn the_request_is_json_1_1_with_its_target() {
        let r = put_events(
            "https://events.us-east-1.amazonaws.com",
            "us-east-1",
            &[entry()],
        );
        assert_eq!(r.url, "https://events.us-east-1.amazonaws.com/");
        assert!(
            r.headers
                .contains(&("x-amz-target".into(), "AWSEvents.PutEvents".into()))
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"Entries": [{
                "Source": "certwatch",
                "DetailType": "Certificate Expiring",
                "Detail": "{\"daysLeft\":11}",
                "Resources": ["arn:aws:acm:us-east-1:123456789012:certificate/abc"],
                "EventBusName": "certwatch",
            }]})
        );
    }

    #[test]
    fn reads_the_event_ids() {
        let r = reply(
            200,
            r#"{"FailedEntryCount":0,"Entries":[{"EventId":"11710aed-b79e-4468-a20b-bb3c0c3b4860"}]}"#,
        );
        assert_eq!(
            parse_put_events(&r, 1).unwrap(),
            ["11710aed-b79e-4468-a20b-bb3c0c3b4860"]
        );
    }

    #[test]
    fn a_failed_entry_is_an_error_retried_only_when_transient() {
        let r = reply(
            200,
            r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"InternalFailure","ErrorMessage":"try again"}]}"#,
        );
        let error = parse_put_events(&r, 1).unwrap_err();
        assert_eq!(error.code(), Some("InternalFailure"));
        assert!(
            error
                .to_string()
                .contains("1 of 1 events were not put: try again")
        );
        assert!(error.is_retryable());
        let r = reply(
            200,
            r#"{"FailedEntryCount":1,"Entries":[{"ErrorCode":"MalformedDetail","ErrorMessage":"Detail is malformed."}]}"#,
        );
        assert!(!parse_put_events(&r, 1).unwrap_err().is_retryable());
    }

    #[test]
    fn errors_and_unreadable_replies() {
        let denied = reply(
            400,
            r#"{"__type":"AccessDeniedException","message":"not authorized"}"#,
        );
        assert_eq!(
            parse_put_events(&denied, 1).unwrap_err().code(),
            Some("AccessDeniedException")
        );
        for body in [
            "",
            "{",
            r#"{"FailedEntryCount":0,"Entries":[]}"#,
            r#"{"FailedEntryCount":0,"Entries":[{"EventId":""}]}"#,
        ] {
            assert!(
                matches!(
                    parse_put_events(&reply(200, body), 1),
                    Err(CallError::Unreadable { .. })
                ),
                "{body}"
            );
        }
    }
}
