//! `certwatch serve`: the responder as an HTTP service, as EventBridge API destinations and
//! other senders call it. `POST /` an event, get its outcome as JSON: 200 handled (or not for
//! certwatch), 400 a bad event, 401 a missing key, 413 too large, 5xx a failure (retry).
//! `GET /health` answers 200 while the server takes events; `GET /metrics` answers
//! Prometheus's text format, and with `--scan-every` serve runs the scheduled scan itself.
//! Slow and abusive clients are held to the limits in [`ConnectionLimits`]: 408 a body sent
//! too slowly, 431 a head too large, 503 past the connection cap.
//!
//! - `interval`: `--scan-every`'s durations;
//! - `schedule`: the scans serve runs itself;
//! - `metrics_route`: `GET /metrics`;
//! - `limits`, `admission`, `connection`, `counters`, `burst`: the limits on clients.

mod admission;
mod burst;
mod connection;
mod counters;
mod limits;

pub use counters::{ConnectionCounters, Incident, MetricKind, Sample};
pub use limits::{ConnectionLimits, DEFAULT_MAX_CONNECTIONS};

pub mod interval;
mod metrics_route;
mod schedule;

use crate::outcome::{ErrorKind, Outcome};
use crate::prometheus::Exporter;
use crate::prometheus::state::ExporterState;
use crate::runtime::Runtime;
use crate::setup::Live;
use bytes::Bytes;
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};

/// How `serve` listens and how much it takes on.
pub struct ServeOptions {
    /// The address to listen on (`--listen`).
    pub listen: SocketAddr,
    /// Threads that accept connections and handle their events, each on an event loop of its
    /// own.
    pub workers: usize,
    /// Events handled at once; more wait their turn.
    pub max_concurrency: usize,
    /// The largest event accepted, in bytes; a larger one is answered 413.
    pub max_body_bytes: usize,
    /// A header every request must carry with this value (EventBridge API destinations send
    /// API keys this way).
    pub api_key: Option<ApiKey>,
    /// Write each outcome's CloudWatch EMF metric lines to standard error.
    pub emf: bool,
    /// How long clients may take and how many may be connected at once.
    pub connections: ConnectionLimits,
    /// Run the scheduled scan at start and then this often (`--scan-every`).
    pub scan_every: Option<std::time::Duration>,
    /// `GET /metrics` requires the API key too (`--metrics-api-key`); else it is open.
    pub metrics_api_key: bool,
}

/// The API key `serve` requires of every request.
#[derive(Clone)]
pub struct ApiKey {
    /// The header that carries it (`--api-key-header`).
    pub header: http::HeaderName,
    /// The key itself (`CERTWATCH_API_KEY`).
    pub value: String,
}

struct Service {
    runtime: Arc<Runtime>,
    live: Live,
    permits: Semaphore,
    max_body_bytes: usize,
    api_key: Option<ApiKey>,
    emf: bool,
    limits: ConnectionLimits,
    admission: admission::Admission,
    /// What the connection limits did, for the logs and a metrics endpoint.
    connections: Arc<ConnectionCounters>,
    exporter: Arc<Exporter>,
    metrics_api_key: bool,
}

/// Serves until `shutdown` resolves, then stops taking connections and finishes the events
/// already accepted.
///
/// Each worker thread accepts from the one listening socket and handles its connections' events
/// from start to finish on its own single-threaded event loop: no event moves between threads,
/// which a work-stealing runtime spends CPU on (measured in BENCHMARKS.md). The instance pool,
/// the concurrency limit and the compiled component are shared.
pub async fn serve(
    runtime: Arc<Runtime>,
    options: ServeOptions,
    live: Live,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let listener = std::net::TcpListener::bind(options.listen)?;
    listener.set_nonblocking(true)?;
    let cap = limits::cap(
        options.connections.max_connections,
        limits::descriptor_limit(),
        options.max_concurrency,
    );
    if let Some(misfit) = &cap.misfit {
        tracing::warn!(
            "--max-connections {} does not fit: {misfit}",
            cap.connections
        );
    }
    eprintln!("certwatch serving on http://{}", listener.local_addr()?);
    let connections = Arc::new(ConnectionCounters::default());
    let exporter = Arc::new(Exporter::new(ExporterState::new(
        std::time::SystemTime::now(),
        options.scan_every,
    )));
    let scanner = schedule::Scanner {
        runtime: runtime.clone(),
        live: live.clone(),
        exporter: exporter.clone(),
        emf: options.emf,
    };
    let service = Arc::new(Service {
        runtime,
        live,
        permits: Semaphore::new(options.max_concurrency.max(1)),
        max_body_bytes: options.max_body_bytes,
        api_key: options.api_key,
        emf: options.emf,
        limits: options.connections,
        admission: admission::Admission::new(cap.connections, connections.clone()),
        connections,
        exporter,
        metrics_api_key: options.metrics_api_key,
    });
    let workers = options.workers.max(1);
    let (stop, stopped) = watch::channel(false);
    let scans = options
        .scan_every
        .map(|every| tokio::spawn(scanner.run(every, stopped.clone())));
    let (finished, mut finishes) = mpsc::unbounded_channel();
    for index in 0..workers {
        let listener = listener.try_clone()?;
        let (service, stopped, finished) = (service.clone(), stopped.clone(), finished.clone());
        std::thread::Builder::new()
            .name(format!("certwatch-serve-{index}"))
            .spawn(move || {
                // Every worker reports how it ended, a panic included, so that nothing waits
                // for a worker that is gone.
                let worked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(anyhow::Error::from)
                        .and_then(|event_loop| {
                            event_loop.block_on(accept(listener, service, stopped))
                        })
                }))
                .unwrap_or_else(|_| Err(anyhow::anyhow!("a serving worker panicked")));
                let _ = finished.send(worked);
            })?;
    }
    drop((listener, finished));
    // A worker that ends before the shutdown has failed: the others are stopped, their events
    // finished, and serving ends with its error.
    let early = tokio::select! {
        () = shutdown => None,
        ended = finishes.recv() => Some(ended),
    };
    match &early {
        None => eprintln!("certwatch finishing the events in flight"),
        Some(_) => eprintln!("certwatch: a serving worker stopped; finishing the events in flight"),
    }
    let _ = stop.send(true);
    let mut results: Vec<anyhow::Result<()>> = Vec::new();
    if let Some(Some(ended)) = early {
        results.push(ended.and(Err(anyhow::anyhow!("a serving worker stopped"))));
    }
    while let Some(worked) = finishes.recv().await {
        results.push(worked);
    }
    eprintln!("certwatch stopped: {}", service.connections.summary());
    if let Some(scans) = scans
        && let Err(e) = scans.await
    {
        results.push(Err(anyhow::anyhow!("the scheduled scans stopped: {e}")));
    }
    results.into_iter().collect()
}

/// One worker: takes connections until told to stop, then finishes their events.
async fn accept(
    listener: std::net::TcpListener,
    service: Arc<Service>,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let listener = TcpListener::from_std(listener)?;
    let graceful = GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, _) = match accepted {
                    Ok(connection) => connection,
                    Err(e) => {
                        // Out of file descriptors, say: wait a moment rather than spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                        continue;
                    }
                };
                if let Some((stream, admitted)) = service.admission.admit(stream) {
                    connection::spawn(stream, service.clone(), admitted, &graceful);
                }
            }
            _ = stopped.changed() => break,
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

impl Service {
    async fn answer(&self, request: http::Request<Incoming>) -> Response<Full<Bytes>> {
        match (request.method(), request.uri().path()) {
            (&Method::GET, "/health") => return json(StatusCode::OK, r#"{"status":"ok"}"#.into()),
            (&Method::GET, "/metrics") => {
                let refused = (self.metrics_api_key)
                    .then(|| self.refuse_without_key(&request))
                    .flatten();
                return refused.unwrap_or_else(|| {
                    metrics_route::answer(&self.exporter, self.connections.families())
                });
            }
            (&Method::POST, _) => {}
            _ => {
                return refuse(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "POST an EventBridge event as JSON",
                );
            }
        }
        if let Some(refused) = self.refuse_without_key(&request) {
            return refused;
        }
        let body = Limited::new(request.into_body(), self.max_body_bytes).collect();
        let body = match tokio::time::timeout(self.limits.body_read, body).await {
            Ok(Ok(body)) => body.to_bytes(),
            Ok(Err(e)) if e.is::<LengthLimitError>() => {
                self.connections.record(Incident::BodyTooLarge);
                return refuse(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &format!("the event is over {} bytes", self.max_body_bytes),
                );
            }
            Ok(Err(e)) => {
                return refuse(
                    StatusCode::BAD_REQUEST,
                    &format!("the event's body could not be read: {e}"),
                );
            }
            Err(_) => {
                self.connections.record(Incident::BodyTimeout);
                return closing(refuse(
                    StatusCode::REQUEST_TIMEOUT,
                    &format!(
                        "the event's body did not arrive within {:?} (--body-read-timeout)",
                        self.limits.body_read
                    ),
                ));
            }
        };
        let Ok(event) = String::from_utf8(body.to_vec()) else {
            return refuse(StatusCode::BAD_REQUEST, "the event is not UTF-8 text");
        };
        let Ok(_permit) = self.permits.acquire().await else {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "the server is shutting down",
            );
        };
        let outcome = self.handle(&event).await;
        self.exporter.update(|state| state.count_event(&outcome));
        if self.emf {
            crate::metrics::emit(&outcome, crate::metrics::Sink::Stderr);
        }
        json(status_for(&outcome), crate::outcome::to_json(&outcome))
    }

    /// A 401 when the API key is required and the request lacks it.
    fn refuse_without_key(
        &self,
        request: &http::Request<Incoming>,
    ) -> Option<Response<Full<Bytes>>> {
        let key = self.api_key.as_ref()?;
        let given = request
            .headers()
            .get(&key.header)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        (!constant_time_eq(given, key.value.as_bytes())).then(|| {
            self.connections.record(Incident::Unauthorized);
            refuse(
                StatusCode::UNAUTHORIZED,
                &format!("the {} header is missing or wrong", key.header),
            )
        })
    }

    async fn handle(&self, event: &str) -> Outcome {
        match self.live.event().await {
            Ok(setup) => self.runtime.handle(event, setup).await,
            Err(outcome) => outcome,
        }
    }
}

/// The contract's status for `outcome`: as the component's own `wasi:http/incoming-handler`
/// answers.
pub fn status_for(outcome: &Outcome) -> StatusCode {
    StatusCode::from_u16(certwatch_contract::http_status(outcome))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// A request refused before its event reached the component.
fn refuse(status: StatusCode, message: &str) -> Response<Full<Bytes>> {
    let kind = match status {
        StatusCode::UNAUTHORIZED => ErrorKind::Unauthorized,
        StatusCode::BAD_REQUEST => ErrorKind::MalformedEvent,
        _ => ErrorKind::Input,
    };
    json(
        status,
        crate::outcome::to_json(&Outcome::failure(kind, message, false)),
    )
}

/// `response`, and the connection closed after it.
fn closing(mut response: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

fn json(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

/// Compares secrets without leaking where they differ through timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(constant_time_eq(b"key", b"key"));
        assert!(!constant_time_eq(b"key", b"kez"));
        assert!(!constant_time_eq(b"key", b"ke"));
    }
}
