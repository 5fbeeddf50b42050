//! The [`Platform`] over WASI: `wasi:http/outgoing-handler`, the wall clock, sleeps and
//! randomness.

use crate::aws::transport::TransportFailure;
use crate::aws::{AwsRequest, AwsResponse, SendFailure};
use crate::responder::Platform;
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, Method, OutgoingBody, OutgoingRequest, RequestOptions, Scheme,
};
use wasip2::io::streams::{InputStream, StreamError};
use wstd::io::{AsyncOutputStream, AsyncPollable};

/// Replies larger than this are refused; certwatch's replies are a few KiB.
const MAX_REPLY_BYTES: usize = 8 * 1024 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The most one read of a body asks for.
const READ_CHUNK_BYTES: u64 = 64 * 1024;

pub(super) struct Wasi;

impl Platform for Wasi {
    fn now(&self) -> OffsetDateTime {
        SystemTime::now().into()
    }

    async fn send(&self, request: &AwsRequest) -> Result<AwsResponse, SendFailure> {
        send(request).await.map_err(|failure| match failure {
            // A denied request becomes `SendFailure::Refused`.
            Failed::Code(code) => describe(&code).into(),
            Failed::Other(message) => SendFailure::Failed(message),
        })
    }

    async fn sleep(&self, duration: Duration) {
        wstd::task::sleep(duration.into()).await;
    }

    fn jitter(&self) -> f64 {
        (wasip2::random::random::get_random_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Through the `progress` import, in the component certwatch's host runs; the portable
    /// component has no one to tell.
    #[cfg(feature = "host-progress")]
    fn progress(&self, progress: &certwatch_contract::ScanProgress) {
        use super::bindings::progress as wit;
        wit::report(wit::ScanProgress {
            regions_done: progress.regions_done,
            regions_total: progress.regions_total,
            certificates_seen: progress.certificates_seen,
        });
    }
}

/// Why an exchange failed: the host's own error code, or what went wrong here.
enum Failed {
    Code(ErrorCode),
    Other(String),
}

impl From<String> for Failed {
    fn from(message: String) -> Self {
        Self::Other(message)
    }
}

/// One exchange over `wasi:http/outgoing-handler`. The body is written and finished before the
/// request is handed over, so the host always sees it whole.
async fn send(request: &AwsRequest) -> Result<AwsResponse, Failed> {
    let uri: http::Uri = request
        .url
        .parse()
        .map_err(|e| format!("bad URL {}: {e}", request.url))?;
    let mut headers: Vec<(String, Vec<u8>)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
        .collect();
    if !request.body.is_empty() {
        headers.push((
            "content-length".into(),
            request.body.len().to_string().into_bytes(),
        ));
    }
    let fields = Fields::from_list(&headers).map_err(|e| format!("header rejected: {e:?}"))?;
    let outgoing = OutgoingRequest::new(fields);
    let method = match request.method {
        http::Method::GET => Method::Get,
        http::Method::POST => Method::Post,
        http::Method::PATCH => Method::Patch,
        http::Method::PUT => Method::Put,
        http::Method::DELETE => Method::Delete,
        ref other => Method::Other(other.to_string()),
    };
    let scheme = match uri.scheme_str() {
        Some("http") => Scheme::Http,
        _ => Scheme::Https,
    };
    outgoing
        .set_method(&method)
        .map_err(|()| "method rejected".to_string())?;
    outgoing
        .set_scheme(Some(&scheme))
        .map_err(|()| "scheme rejected".to_string())?;
    outgoing
        .set_authority(uri.authority().map(|a| a.as_str()))
        .map_err(|()| "authority rejected".to_string())?;
    outgoing
        .set_path_with_query(uri.path_and_query().map(|p| p.as_str()))
        .map_err(|()| "path rejected".to_string())?;

    let body = outgoing
        .body()
        .map_err(|()| "request body unavailable".to_string())?;
    {
        let stream = AsyncOutputStream::new(
            body.write()
                .map_err(|()| "request body stream unavailable".to_string())?,
        );
        stream
            .write_all(&request.body)
            .await
            .map_err(|e| format!("writing the request body: {e}"))?;
        stream
            .flush()
            .await
            .map_err(|e| format!("flushing the request body: {e}"))?;
    }
    OutgoingBody::finish(body, None).map_err(|e| format!("finishing the request body: {e}"))?;

    let options = RequestOptions::new();
    // Hosts that do not support a timeout refuse to set it; the host's deadline still applies.
    let _ = options.set_connect_timeout(Some(CONNECT_TIMEOUT.as_nanos() as u64));
    let reply_timeout = request
        .reply_timeout
        .unwrap_or(crate::config::DEFAULT_REQUEST_TIMEOUT)
        .as_nanos() as u64;
    let _ = options.set_first_byte_timeout(Some(reply_timeout));
    let _ = options.set_between_bytes_timeout(Some(reply_timeout));

    let pending = outgoing_handler::handle(outgoing, Some(options)).map_err(Failed::Code)?;
    AsyncPollable::new(pending.subscribe()).wait_for().await;
    let incoming = match pending.get() {
        Some(Ok(Ok(response))) => response,
        Some(Ok(Err(code))) => return Err(Failed::Code(code)),
        Some(Err(())) | None => return Err("the response was not available".to_owned().into()),
    };
    let status = incoming.status();
    let headers = incoming
        .headers()
        .entries()
        .into_iter()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(&value).into_owned(),
            )
        })
        .collect();
    let reply_body = incoming
        .consume()
        .map_err(|()| "response body unavailable".to_string())?;
    let stream = reply_body
        .stream()
        .map_err(|()| "response body stream unavailable".to_string())?;
    let body = read_all(stream, MAX_REPLY_BYTES)
        .await
        .map_err(|e| format!("the response body: {e}"))?;
    drop(wasip2::http::types::IncomingBody::finish(reply_body));
    Ok(AwsResponse {
        status,
        headers,
        body,
    })
}

/// A whole body stream, refusing more than `limit` bytes. Each read takes what the host has
/// (the canonical ABI allocates exactly that), so there is no scratch buffer to zero and copy.
pub(super) async fn read_all(stream: InputStream, limit: usize) -> Result<Vec<u8>, String> {
    // Declared after the stream, so dropped before it: a pollable is the stream's child.
    let ready = AsyncPollable::new(stream.subscribe());
    let mut body = Vec::new();
    loop {
        let chunk = match stream.read(READ_CHUNK_BYTES) {
            Ok(chunk) => chunk,
            Err(StreamError::Closed) => return Ok(body),
            Err(StreamError::LastOperationFailed(error)) => {
                return Err(format!("reading failed: {}", error.to_debug_string()));
            }
        };
        if chunk.is_empty() {
            ready.wait_for().await;
            continue;
        }
        if body.len() + chunk.len() > limit {
            return Err(format!("over {limit} bytes"));
        }
        if body.is_empty() {
            body = chunk;
        } else {
            body.extend_from_slice(&chunk);
        }
    }
}

/// The transport failure a wasi-http error code stands for; the host's own reasons pass
/// through.
fn describe(code: &ErrorCode) -> TransportFailure {
    match code {
        ErrorCode::InternalError(Some(reason)) => TransportFailure::Host(reason.clone()),
        ErrorCode::ConnectionRefused => TransportFailure::ConnectionRefused,
        ErrorCode::ConnectionTimeout => TransportFailure::ConnectionTimeout,
        ErrorCode::ConnectionReadTimeout | ErrorCode::HttpResponseTimeout => {
            TransportFailure::ResponseTimeout
        }
        ErrorCode::ConnectionTerminated => TransportFailure::ConnectionTerminated,
        ErrorCode::DnsTimeout | ErrorCode::DnsError(_) => TransportFailure::NameNotResolved,
        ErrorCode::HttpRequestDenied => TransportFailure::Denied,
        ErrorCode::HttpProtocolError => TransportFailure::ProtocolError,
        other => TransportFailure::Other(format!("{other:?}")),
    }
}
