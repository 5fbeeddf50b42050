//! A fast stand-in for ACM, Security Hub, SNS, STS and SQS on 127.0.0.1: the operations certwatch
//! calls, answered after an injected delay, with scripted or random faults, for the stub's own
//! account and for as many member accounts as asked (see [`accounts`]). The benchmarks measure
//! certwatch against it, and the fault and load tests count what reached it.
//!
//! It checks that each request is SigV4-signed, not that the signature is right: moto's server
//! does that in the end-to-end tests.

#![warn(missing_docs, unreachable_pub)]

pub mod accounts;
pub mod catalogue;
pub mod fault;
pub mod load;
pub mod operation;
pub mod queue;
pub mod reply;

use accounts::Members;
use bytes::Bytes;
use catalogue::Catalogue;
use fault::{Fault, FaultPlan, FaultRule};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use operation::Operation;
use reply::{Asker, Effects, Reply};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How a stub starts: where it listens, what it holds, how slow and faulty it is.
#[derive(Debug, Clone, Default)]
pub struct StubConfig {
    /// Where to listen; port 0 picks a free one.
    pub listen: Option<SocketAddr>,
    /// How long every reply waits: the round trip the benchmarks inject.
    pub latency: Duration,
    /// The certificates its ACM holds, in its own account and in each member's.
    pub catalogue: Catalogue,
    /// The member accounts whose role STS lets certwatch assume.
    pub members: Members,
    /// Scripted faults: a request gets the first one's that applies and has calls left.
    pub faults: Vec<FaultRule>,
    /// The share of requests, beyond the scripted faults, that get a random one.
    pub random_fault_rate: f64,
    /// Seeds the random faults: the same seed picks the same faults for the same requests.
    pub seed: u64,
    /// Tokio worker threads serving requests (at least one).
    pub threads: usize,
    /// Findings Security Hub already holds, as `BatchImportFindings` would have taken them.
    pub findings: Vec<serde_json::Value>,
}

/// What the stub has seen so far.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    /// Requests per operation, faulted ones included.
    pub requests: BTreeMap<String, u64>,
    /// Member accounts' requests (and the `AssumeRole` of each), per account, region and
    /// operation.
    pub members: BTreeMap<String, BTreeMap<String, BTreeMap<String, u64>>>,
    /// Requests the stub did not recognise or that were not signed.
    pub refused: u64,
    /// Faults injected, by kind.
    pub faults: BTreeMap<String, u64>,
    /// What the requests answered normally changed: findings imported and updated, messages
    /// published.
    pub effects: Effects,
}

impl Stats {
    /// Requests of `operation`, faulted ones included.
    pub fn requests_of(&self, operation: Operation) -> u64 {
        self.requests
            .get(&operation.to_string())
            .copied()
            .unwrap_or(0)
    }

    /// Distinct finding ids imported.
    pub fn distinct_findings(&self) -> usize {
        let mut ids = self.effects.imported_findings.clone();
        ids.sort();
        ids.dedup();
        ids.len()
    }
}

struct State {
    catalogue: Catalogue,
    members: Members,
    latency: Duration,
    plan: Mutex<FaultPlan>,
    stats: Mutex<Stats>,
}

/// A running stub. Dropping it stops it.
pub struct Stub {
    address: SocketAddr,
    state: Arc<State>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Stub {
    /// Starts the stub on its own threads.
    pub fn start(config: StubConfig) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(config.threads.max(1))
            .thread_name("certwatch-stub")
            .enable_all()
            .build()?;
        let listen = config
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        let listener = runtime.block_on(tokio::net::TcpListener::bind(listen))?;
        let address = listener.local_addr()?;
        let state = Arc::new(State {
            catalogue: config.catalogue,
            members: config.members,
            latency: config.latency,
            plan: Mutex::new(FaultPlan::new(
                config.faults,
                config.random_fault_rate,
                config.seed,
            )),
            stats: Mutex::new(Stats {
                effects: Effects {
                    findings: config
                        .findings
                        .into_iter()
                        .map(|f| (f["Id"].as_str().unwrap_or_default().to_owned(), f))
                        .collect(),
                    ..Effects::default()
                },
                ..Stats::default()
            }),
        });
        runtime.spawn(accept(listener, state.clone()));
        Ok(Self {
            address,
            state,
            runtime: Some(runtime),
        })
    }

    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL to give certwatch (`AWS_ENDPOINT_URL`).
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What it has seen so far, copied.
    pub fn stats(&self) -> Stats {
        self.state
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

async fn accept(listener: tokio::net::TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { handle(request, &state).await }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The error that makes hyper drop the connection without replying.
#[derive(Debug, thiserror::Error)]
#[error("connection reset by certwatch-stub")]
struct Reset;

async fn handle(
    request: hyper::Request<Incoming>,
    state: &State,
) -> Result<hyper::Response<Full<Bytes>>, Reset> {
    let (parts, body) = request.into_parts();
    let body = body.collect().await.map_err(|_| Reset)?.to_bytes();
    if parts.method == http::Method::GET {
        let stats = state.stats.lock().unwrap_or_else(PoisonError::into_inner);
        let report = match parts.uri.path() {
            "/stub/stats" => Some(serde_json::to_string(&*stats)),
            "/stub/messages" => Some(serde_json::to_string(&stats.effects.queued)),
            _ => None,
        };
        if let Some(report) = report {
            return Ok(respond(Reply {
                status: 200,
                content_type: "application/json",
                error_type: None,
                body: report.unwrap_or_default(),
            }));
        }
    }
    let target = parts
        .headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok());
    let authorization = parts
        .headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let signed = authorization.starts_with("AWS4-HMAC-SHA256 Credential=");
    let operation = Operation::of(&parts.method, parts.uri.path(), target, &body);
    let Some(operation) = operation.filter(|_| signed) else {
        state
            .stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .refused += 1;
        let protocol = match target {
            Some(_) => operation::Protocol::Json11,
            None => operation::Protocol::RestJson,
        };
        let (code, message) = match signed {
            true => (
                "UnknownOperationException",
                "certwatch-stub does not know this operation",
            ),
            false => (
                "MissingAuthenticationTokenException",
                "the request is not SigV4-signed",
            ),
        };
        return Ok(respond(Reply::error(protocol, 403, code, message)));
    };
    let fault = state
        .plan
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .next(operation);
    let member = state.members.account_signing(authorization);
    let region = accounts::Scope::of(authorization).map_or("", |s| s.region);
    let member_catalogue = member
        .as_deref()
        .map(|account| state.catalogue.in_account(account, region));
    let asker = Asker {
        catalogue: member_catalogue.as_ref().unwrap_or(&state.catalogue),
        member: member.as_deref(),
    };
    // An AssumeRole is counted as the account's whose role it asks for.
    let counted_as = match operation {
        Operation::AssumeRole => operation::form_value(&body, "RoleArn")
            .and_then(|role| state.members.account_of_role(&role).map(str::to_owned)),
        _ => member.clone(),
    };
    let reply = {
        let mut stats = state.stats.lock().unwrap_or_else(PoisonError::into_inner);
        *stats.requests.entry(operation.to_string()).or_default() += 1;
        if let Some(account) = counted_as {
            let regions = stats.members.entry(account).or_default();
            let operations = regions.entry(region.to_owned()).or_default();
            *operations.entry(operation.to_string()).or_default() += 1;
        }
        if let Some(fault) = fault {
            *stats.faults.entry(fault_name(fault)).or_default() += 1;
        }
        // A faulted request changes nothing, as a failed AWS call would not.
        let mut scratch = Effects::default();
        let effects = match fault {
            None | Some(Fault::Slow(_)) => &mut stats.effects,
            Some(_) => &mut scratch,
        };
        reply::answer(operation, &body, asker, &state.members, effects)
    };
    let delay = match fault {
        Some(Fault::Slow(extra)) => state.latency + extra,
        _ => state.latency,
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    match fault {
        Some(Fault::Echo) => {
            let quoted: Vec<String> = ["authorization", "x-amz-security-token"]
                .iter()
                .filter_map(|name| {
                    let value = parts.headers.get(*name)?.to_str().ok()?;
                    Some(format!("{name}={value}"))
                })
                .collect();
            let message = format!("The request was malformed: {}", quoted.join(" "));
            Ok(respond(Reply::error(
                operation.protocol(),
                400,
                "IncompleteSignatureException",
                &message,
            )))
        }
        Some(fault) => reply
            .spoiled(fault, operation.protocol())
            .map(respond)
            .ok_or(Reset),
        None => Ok(respond(reply)),
    }
}

fn fault_name(fault: Fault) -> String {
    match fault {
        Fault::Status(status) => status.to_string(),
        Fault::Slow(_) => "slow".into(),
        other => format!("{other:?}").to_lowercase(),
    }
}

fn respond(reply: Reply) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::new(Full::new(Bytes::from(reply.body)));
    *response.status_mut() =
        http::StatusCode::from_u16(reply.status).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(reply.content_type),
    );
    if let Some(value) = reply
        .error_type
        .and_then(|t| http::HeaderValue::from_str(&t).ok())
    {
        headers.insert("x-amzn-errortype", value);
    }
    response
}
