//! The host's HTTP client for the component's live requests. Connections (and their TLS
//! sessions) are kept and reused across requests and events, where wasmtime-wasi-http's default
//! sender opens a new connection, and builds a new TLS configuration, for every request.
//! The component's reply timeouts apply per request; the connect timeout is the client's own,
//! as connections are shared. Replies are read whole, up to a limit.

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use std::error::Error as _;
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions};

/// Replies larger than this are refused; the component would refuse them anyway.
pub const MAX_REPLY_BYTES: usize = 8 * 1024 * 1024;

/// How long opening a connection (and its TLS session) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// For a component that sets no reply timeout; the event's deadline still bounds it.
const DEFAULT_REPLY_TIMEOUT: Duration = Duration::from_secs(30);

/// Idle connections are closed after this, before AWS's own idle timeouts would.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(20);

/// The client live requests go out through; clones share its connections.
#[derive(Clone)]
pub struct Upstream {
    client: Client<HttpsConnector<HttpConnector>, Full<Bytes>>,
}

impl Default for Upstream {
    fn default() -> Self {
        Self::new()
    }
}

impl Upstream {
    /// A client with no connections yet, trusting the webpki roots.
    pub fn new() -> Self {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(CONNECT_TIMEOUT));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_webpki_roots()
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .timer(TokioTimer::new())
            .pool_timer(TokioTimer::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(https);
        Self { client }
    }

    /// Sends `request` (its URI absolute) and reads the whole reply.
    pub async fn send(
        &self,
        request: http::Request<Bytes>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<Bytes>, HttpError> {
        let first_byte = options
            .and_then(|o| o.first_byte_timeout)
            .unwrap_or(DEFAULT_REPLY_TIMEOUT);
        let between_bytes = options
            .and_then(|o| o.between_bytes_timeout)
            .unwrap_or(DEFAULT_REPLY_TIMEOUT);
        let request = request.map(Full::new);
        // The reply's first byte is awaited from the moment the request is handed to the pool,
        // which may first have to open a connection.
        let response = tokio::time::timeout(first_byte, self.client.request(request))
            .await
            .map_err(|_| HttpError::HttpResponseTimeout)?
            .map_err(|e| transport_error(&e))?;
        let (parts, mut body) = response.into_parts();
        let mut bytes = Vec::new();
        loop {
            let frame = tokio::time::timeout(between_bytes, body.frame())
                .await
                .map_err(|_| HttpError::ConnectionReadTimeout)?;
            let Some(frame) = frame else { break };
            let frame = frame.map_err(HttpError::from)?;
            if let Ok(data) = frame.into_data() {
                if bytes.len() + data.len() > MAX_REPLY_BYTES {
                    return Err(HttpError::HttpResponseBodySize(Some(
                        (bytes.len() + data.len()) as u64,
                    )));
                }
                bytes.extend_from_slice(&data);
            }
        }
        Ok(http::Response::from_parts(parts, Bytes::from(bytes)))
    }
}

/// The client's error as wasi:http names it, so the component can say what happened.
fn transport_error(error: &hyper_util::client::legacy::Error) -> HttpError {
    let mut source = error.source();
    while let Some(cause) = source {
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return match io.kind() {
                std::io::ErrorKind::ConnectionRefused => HttpError::ConnectionRefused,
                std::io::ErrorKind::TimedOut => HttpError::ConnectionTimeout,
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe => {
                    HttpError::ConnectionTerminated
                }
                _ if error.is_connect() => {
                    HttpError::Connect(std::io::Error::new(io.kind(), io.to_string()))
                }
                _ => HttpError::InternalError(Some(io.to_string())),
            };
        }
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            return if hyper.is_incomplete_message() || hyper.is_closed() || hyper.is_canceled() {
                HttpError::ConnectionTerminated
            } else {
                HttpError::HttpProtocolError
            };
        }
        source = cause.source();
    }
    if error.is_connect() {
        HttpError::ConnectionRefused
    } else {
        HttpError::InternalError(Some(error.to_string()))
    }
}
