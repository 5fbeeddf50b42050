//! Security Hub `BatchImportFindings` and `BatchUpdateFindings` (REST-JSON protocol).

use super::{AwsRequest, AwsResponse, CallError, Operation, json_reply};
use serde::{Deserialize, Serialize};

/// `BatchImportFindings` of `findings`, each ASFF as JSON text, into `region`'s hub.
pub fn batch_import_findings(endpoint: &str, region: &str, findings: &[String]) -> AwsRequest {
    // The findings arrive as JSON text, each written once: a scan's thousands of findings
    // are measured for batching and sent without being copied or written again.
    let mut body = String::with_capacity(16 + findings.iter().map(|f| f.len() + 1).sum::<usize>());
    body.push_str(r#"{"Findings":["#);
    for (i, finding) in findings.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(finding);
    }
    body.push_str("]}");
    AwsRequest::new(
        Operation::BatchImportFindings,
        region,
        http::Method::POST,
        format!("{endpoint}/findings/import"),
        body.into_bytes(),
    )
    .header("content-type", "application/json")
}

/// What `BatchImportFindings` took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportResult {
    /// Findings imported (`SuccessCount`).
    pub success_count: u32,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ImportReply {
    failed_count: u32,
    success_count: u32,
    #[serde(default)]
    failed_findings: Option<Vec<FailedFinding>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct FailedFinding {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

/// `FailedCount > 0` is an error: a finding that was not imported is not a finding.
pub fn parse_batch_import_findings(response: &AwsResponse) -> Result<ImportResult, CallError> {
    let operation = Operation::BatchImportFindings;
    let reply: ImportReply = json_reply(operation, response)?;
    if reply.failed_count > 0 {
        let first = reply.failed_findings.as_deref().and_then(<[_]>::first);
        let code = first
            .and_then(|f| f.error_code.clone())
            .unwrap_or_else(|| "FailedFindings".into());
        let detail = first
            .map(|f| {
                format!(
                    "finding {} rejected: {}",
                    f.id.as_deref().unwrap_or("?"),
                    f.error_message.as_deref().unwrap_or("no reason given")
                )
            })
            .unwrap_or_default();
        let message = format!(
            "{} of {} findings failed to import; {detail}",
            reply.failed_count,
            reply.failed_count + reply.success_count
        );
        return Err(CallError::Service {
            operation,
            status: response.status,
            code,
            message,
        });
    }
    Ok(ImportResult {
        success_count: reply.success_count,
    })
}

/// One finding, as `BatchUpdateFindings` names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FindingIdentifier {
    /// The finding's `Id`.
    pub id: String,
    /// The hub product it belongs to (`ProductArn`).
    pub product_arn: String,
}

/// `BatchUpdateFindings`: the findings' workflow set to RESOLVED, with a note saying why.
/// (A provider's own `BatchImportFindings` cannot change the workflow of a finding that
/// exists.)
pub fn resolve_findings(
    endpoint: &str,
    region: &str,
    findings: &[FindingIdentifier],
    note: &str,
) -> AwsRequest {
    let note: String = note.chars().take(512).collect();
    let body = serde_json::json!({
        "FindingIdentifiers": findings,
        "Workflow": { "Status": "RESOLVED" },
        "Note": { "Text": note, "UpdatedBy": "certwatch" },
    });
    AwsRequest::new(
        Operation::BatchUpdateFindings,
        region,
        http::Method::PATCH,
        format!("{endpoint}/findings/batchupdate"),
        super::json_text(&body).into_bytes(),
    )
    .header("content-type", "application/json")
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UpdateReply {
    #[serde(default)]
    processed_findings: Vec<serde_json::Value>,
    #[serde(default)]
    unprocessed_findings: Vec<UnprocessedFinding>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UnprocessedFinding {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    error_message: Option<String>,
}

/// How many findings were resolved; any finding left unprocessed is an error.
pub fn parse_batch_update_findings(response: &AwsResponse) -> Result<u32, CallError> {
    let operation = Operation::BatchUpdateFindings;
    let reply: UpdateReply = json_reply(operation, response)?;
    // A transient code anywhere makes the whole update worth another attempt: it only sets
    // the workflow and a note, so updating the others again changes nothing.
    let transient = reply.unprocessed_findings.iter().find(|f| {
        f.error_code
            .as_deref()
            .is_some_and(|code| super::error::TRANSIENT_FINDING_CODES.contains(&code))
    });
    if let Some(first) = transient.or(reply.unprocessed_findings.first()) {
        return Err(CallError::Service {
            operation,
            status: response.status,
            code: first
                .error_code
                .clone()
                .unwrap_or_else(|| "UnprocessedFindings".into()),
            message: format!(
                "{} findings not updated: {}",
                reply.unprocessed_findings.len(),
                first.error_message.as_deref().unwrap_or("no reason given")
            ),
        });
    }
    Ok(u32::try_from(reply.processed_findings.len()).unwrap_or(u32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(status: u16, body: &str) -> AwsResponse {
        AwsResponse {
            status,
            headers: vec![("content-type".into(), "text/html; charset=utf-8".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn import_request_and_reply() {
        let r = batch_import_findings(
            "https://securityhub.us-east-1.amazonaws.com",
            "us-east-1",
            &[r#"{"Id":"x"}"#.to_owned(), r#"{"Id":"y"}"#.to_owned()],
        );
        assert_eq!(
            r.url,
            "https://securityhub.us-east-1.amazonaws.com/findings/import"
        );
        assert_eq!(r.body, br#"{"Findings":[{"Id":"x"},{"Id":"y"}]}"#);
        let ok = parse_batch_import_findings(&reply(
            200,
            r#"{"FailedCount":0,"SuccessCount":1,"FailedFindings":[]}"#,
        ));
        assert_eq!(ok.unwrap(), ImportResult { success_count: 1 });
    }

    #[test]
    fn resolving_follows_the_api_reference() {
        let finding = FindingIdentifier {
            id: "arn:aws:acm:us-east-1:1:certificate/c/certwatch/expiry".into(),
            product_arn: "arn:aws:securityhub:us-east-1:1:product/1/default".into(),
        };
        let r = resolve_findings(
            "https://securityhub.us-east-1.amazonaws.com",
            "us-east-1",
            std::slice::from_ref(&finding),
            "renewed",
        );
        assert_eq!(r.method, http::Method::PATCH);
        assert_eq!(
            r.url,
            "https://securityhub.us-east-1.amazonaws.com/findings/batchupdate"
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(
            body["FindingIdentifiers"][0]["ProductArn"],
            finding.product_arn
        );
        assert_eq!(body["Workflow"]["Status"], "RESOLVED");
        assert_eq!(body["Note"]["UpdatedBy"], "certwatch");

        let processed = format!(
            r#"{{"ProcessedFindings":[{{"Id":"{}","ProductArn":"{}"}}],"UnprocessedFindings":[]}}"#,
            finding.id, finding.product_arn
        );
        assert_eq!(parse_batch_update_findings(&reply(200, &processed)), Ok(1));
        let unprocessed = r#"{"ProcessedFindings":[],"UnprocessedFindings":[{"FindingIdentifier":{"Id":"x","ProductArn":"y"},"ErrorCode":"FindingNotFound","ErrorMessage":"Finding not found"}]}"#;
        let e = parse_batch_update_findings(&reply(200, unprocessed)).unwrap_err();
        assert_eq!(e.code(), Some("FindingNotFound"));
        assert!(!e.is_retryable());
    }

    #[test]
    fn a_concurrent_update_is_worth_another_attempt() {
        let unprocessed = |codes: &[&str]| {
            let findings: Vec<String> = codes
                .iter()
                .map(|c| format!(r#"{{"FindingIdentifier":{{"Id":"x","ProductArn":"y"}},"ErrorCode":"{c}","ErrorMessage":"m"}}"#))
                .collect();
            let body = format!(
                r#"{{"ProcessedFindings":[],"UnprocessedFindings":[{}]}}"#,
                findings.join(",")
            );
            parse_batch_update_findings(&reply(200, &body)).unwrap_err()
        };
        for transient in ["ConcurrentUpdateError", "InternalFailure"] {
            assert!(unprocessed(&[transient]).is_retryable(), "{transient}");
        }
        // One transient among lasting ones: the retry updates them all again, harmlessly.
        let mixed = unprocessed(&["FindingNotFound", "ConcurrentUpdateError"]);
        assert_eq!(mixed.code(), Some("ConcurrentUpdateError"));
        assert!(mixed.is_retryable());
        assert!(!unprocessed(&["InvalidInput"]).is_retryable());
        // Only there: the same code from another operation is what it says.
        let import = r#"{"FailedCount":1,"SuccessCount":0,"FailedFindings":[{"Id":"x","ErrorCode":"InternalFailure","ErrorMessage":"m"}]}"#;
        assert!(
            !parse_batch_import_findings(&reply(200, import))
                .unwrap_err()
                .is_retryable()
        );
    }

    #[test]
    fn failed_findings_are_an_error() {
        let body = r#"{"FailedCount":1,"SuccessCount":0,"FailedFindings":[{"Id":"x","ErrorCode":"InvalidInput","ErrorMessage":"Finding does not adhere to ASFF"}]}"#;
        let e = parse_batch_import_findings(&reply(200, body)).unwrap_err();
        assert_eq!(e.code(), Some("InvalidInput"));
        assert!(
            e.to_string().contains("Finding does not adhere to ASFF"),
            "{e}"
        );
    }
}
