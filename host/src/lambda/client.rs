//! The Lambda Runtime API over HTTP: one small function a request.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use serde::Serialize;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One invocation, as `/runtime/invocation/next` hands it over.
#[derive(Debug, Clone)]
pub struct Invocation {
    /// `Lambda-Runtime-Aws-Request-Id`: what the response or error is posted under.
    pub request_id: String,
    /// What is left of the invocation's time, if Lambda said.
    pub remaining: Option<Duration>,
    /// `Lambda-Runtime-Invoked-Function-Arn`: the function's ARN, the findings' `GeneratorId`.
    pub function_arn: Option<String>,
    /// `Lambda-Runtime-Trace-Id`: the X-Ray trace header the component passes on to AWS.
    pub trace_id: Option<String>,
    /// The event as sent; not necessarily UTF-8.
    pub event: Vec<u8>,
}

/// The error shape Lambda reports for a failed invocation or init.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorReport {
    /// `errorType`, e.g. `certwatch.MalformedEvent`.
    pub error_type: String,
    /// `errorMessage`: what went wrong, in words.
    pub error_message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("AWS_LAMBDA_RUNTIME_API {0:?} is not host:port or a URL")]
    Address(String),
    #[error("the Runtime API request failed: {0}")]
    Transport(String),
    #[error("the Runtime API answered {status} to {what}: {body}")]
    Status {
        what: &'static str,
        status: u16,
        body: String,
    },
    #[error("the Runtime API's invocation has no {0} header")]
    MissingHeader(&'static str),
}

/// A client of the Lambda Runtime API, at the address Lambda gives the runtime.
pub struct RuntimeApi {
    /// `http://host:port[/prefix]/2018-06-01`.
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl RuntimeApi {
    /// From `AWS_LAMBDA_RUNTIME_API`: `host:port` on Lambda, or a URL (as emulators give it).
    pub fn new(address: &str) -> Result<Self, ApiError> {
        let address = address.trim().trim_end_matches('/');
        if address.is_empty() || address.contains(char::is_whitespace) {
            return Err(ApiError::Address(address.to_owned()));
        }
        let base = if address.starts_with("http://") {
            address.to_owned()
        } else {
            format!("http://{address}")
        };
        base.parse::<http::Uri>()
            .map_err(|_| ApiError::Address(address.to_owned()))?;
        let client = Client::builder(TokioExecutor::new()).build_http();
        Ok(Self {
            base: format!("{base}/2018-06-01"),
            client,
        })
    }

    /// Waits for the next invocation.
    pub async fn next(&self) -> Result<Invocation, ApiError> {
        let (status, headers, body) = self
            .call(
                http::Method::GET,
                "/runtime/invocation/next",
                None,
                "the next invocation",
            )
            .await?;
        if status != 200 {
            return Err(ApiError::Status {
                what: "next",
                status,
                body: String::from_utf8_lossy(&body).into_owned(),
            });
        }
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let request_id = header("lambda-runtime-aws-request-id")
            .ok_or(ApiError::MissingHeader("Lambda-Runtime-Aws-Request-Id"))?;
        let remaining = header("lambda-runtime-deadline-ms")
            .and_then(|v| v.parse::<u64>().ok())
            .map(remaining_time);
        Ok(Invocation {
            request_id,
            remaining,
            function_arn: header("lambda-runtime-invoked-function-arn"),
            trace_id: header("lambda-runtime-trace-id"),
            event: body.to_vec(),
        })
    }

    /// Posts the invocation's response: the outcome's JSON.
    pub async fn respond(&self, request_id: &str, body: String) -> Result<(), ApiError> {
        let path = format!("/runtime/invocation/{request_id}/response");
        self.expect_accepted(&path, Bytes::from(body), None, "the response")
            .await
    }

    /// Reports the invocation failed, as a function error of `report`'s type.
    pub async fn fail(&self, request_id: &str, report: &ErrorReport) -> Result<(), ApiError> {
        let path = format!("/runtime/invocation/{request_id}/error");
        self.expect_accepted(
            &path,
            to_json(report),
            Some(&report.error_type),
            "the invocation error",
        )
        .await
    }

    /// Reports the runtime could not start; Lambda then gives up on this environment.
    pub async fn init_error(&self, report: &ErrorReport) -> Result<(), ApiError> {
        self.expect_accepted(
            "/runtime/init/error",
            to_json(report),
            Some(&report.error_type),
            "the init error",
        )
        .await
    }

    async fn expect_accepted(
        &self,
        path: &str,
        body: Bytes,
        error_type: Option<&str>,
        what: &'static str,
    ) -> Result<(), ApiError> {
        let (status, _, reply) = self
            .call_with(http::Method::POST, path, Some(body), error_type, what)
            .await?;
        if !(200..300).contains(&status) {
            return Err(ApiError::Status {
                what,
                status,
                body: String::from_utf8_lossy(&reply).into_owned(),
            });
        }
        Ok(())
    }

    async fn call(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Bytes>,
        what: &'static str,
    ) -> Result<(u16, http::HeaderMap, Bytes), ApiError> {
        self.call_with(method, path, body, None, what).await
    }

    async fn call_with(
        &self,
        method: http::Method,
        path: &str,
        body: Option<Bytes>,
        error_type: Option<&str>,
        what: &'static str,
    ) -> Result<(u16, http::HeaderMap, Bytes), ApiError> {
        let mut request = http::Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.base));
        if let Some(error_type) = error_type {
            request = request.header("lambda-runtime-function-error-type", error_type);
        }
        let request = request
            .body(Full::new(body.unwrap_or_default()))
            .map_err(|e| ApiError::Transport(format!("{what}: {e}")))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| ApiError::Transport(format!("{what}: {e}")))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| ApiError::Transport(format!("{what}: {e}")))?
            .to_bytes();
        Ok((parts.status.as_u16(), parts.headers, body))
    }
}

fn to_json(report: &ErrorReport) -> Bytes {
    Bytes::from(serde_json::to_vec(report).unwrap_or_default())
}

/// `Lambda-Runtime-Deadline-Ms` is the deadline in Unix milliseconds. Emulators (cargo-lambda
/// 1.9) send the function's timeout instead; a value before 1973 can only be that.
fn remaining_time(deadline_ms: u64) -> Duration {
    const PLAUSIBLE_EPOCH_MS: u64 = 100_000_000_000;
    if deadline_ms < PLAUSIBLE_EPOCH_MS {
        return Duration::from_millis(deadline_ms);
    }
    let deadline = UNIX_EPOCH + Duration::from_millis(deadline_ms);
    deadline
        .duration_since(SystemTime::now())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_lambda_and_as_emulators_give_them() {
        assert_eq!(
            RuntimeApi::new("127.0.0.1:9001").unwrap().base,
            "http://127.0.0.1:9001/2018-06-01"
        );
        assert_eq!(
            RuntimeApi::new("http://127.0.0.1:9000/.rt/").unwrap().base,
            "http://127.0.0.1:9000/.rt/2018-06-01"
        );
        assert!(RuntimeApi::new("").is_err());
        assert!(RuntimeApi::new("a b").is_err());
    }

    #[test]
    fn deadlines() {
        assert_eq!(remaining_time(600_000), Duration::from_secs(600));
        let in_a_minute =
            SystemTime::now().duration_since(UNIX_EPOCH).unwrap() + Duration::from_secs(60);
        let left = remaining_time(in_a_minute.as_millis() as u64);
        assert!(
            left > Duration::from_secs(55) && left <= Duration::from_secs(60),
            "{left:?}"
        );
        assert_eq!(remaining_time(1_000_000_000_000), Duration::ZERO);
    }

    #[test]
    fn error_reports_use_lambdas_field_names() {
        let report = ErrorReport {
            error_type: "certwatch.Aws".into(),
            error_message: "denied".into(),
        };
        assert_eq!(
            to_json(&report),
            Bytes::from_static(br#"{"errorType":"certwatch.Aws","errorMessage":"denied"}"#)
        );
    }
}
