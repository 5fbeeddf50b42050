//! Every request the component sends passes here (`WasiHttpHooks::send_request`): checked
//! against the policy and sent, sent and recorded, or answered from a recording.

use crate::fixture::{Exchange, RecordedRequest, RecordedResponse, diff, render};
use crate::policy::OutboundPolicy;
use crate::upstream::Upstream;
use bytes::Bytes;
use certwatch_contract::fixture::RecordedFailure;
use http_body_util::{BodyExt, Full};
use std::sync::{Arc, Mutex};
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// Where outgoing requests go.
#[derive(Clone)]
pub enum Route {
    /// To AWS (or the endpoint overrides), within the policy.
    Live(Arc<OutboundPolicy>),
    /// As `Live`, keeping every exchange.
    Record(Arc<OutboundPolicy>, Arc<Mutex<Vec<Exchange>>>),
    /// Nowhere: answered from the recording.
    Replay(Arc<Mutex<Cassette>>),
    /// Nowhere at all: every request is refused.
    Refuse,
}

/// The recorded exchanges of one replay, and what the component actually sent.
#[derive(Debug, Default)]
pub struct Cassette {
    /// The recorded exchanges, in the recording's order; blessing rewrites their requests.
    pub exchanges: Vec<Exchange>,
    used: Vec<bool>,
    /// Take the component's requests as the new expectations instead of checking them.
    bless: bool,
    /// Requests that did not match the recording, with readable diffs.
    pub mismatches: Vec<String>,
}

impl Cassette {
    /// Answers from `exchanges`; with `bless`, takes the component's requests as the new
    /// recording instead of checking them.
    pub fn new(exchanges: Vec<Exchange>, bless: bool) -> Self {
        let used = vec![false; exchanges.len()];
        Self {
            exchanges,
            used,
            bless,
            mismatches: Vec::new(),
        }
    }

    /// Recorded requests nobody sent.
    pub fn unused(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| e)
    }

    /// The recorded reply to `actual`: from the first unused exchange for the same operation
    /// and URL, whose request must equal `actual` to the byte (signature included). `Err` is a
    /// mismatch, with a readable diff.
    pub fn answer(&mut self, actual: &RecordedRequest) -> Result<Reply, String> {
        let key = actual.key();
        let same_call: Vec<usize> = (0..self.exchanges.len())
            .filter(|&i| !self.used[i] && self.exchanges[i].request.key() == key)
            .collect();
        // Concurrent calls of one operation arrive in any order: the request identical to the
        // byte wins, then one with the same body, then the first recorded.
        let identical = same_call
            .iter()
            .copied()
            .find(|&i| self.exchanges[i].request == *actual);
        let same_body = same_call
            .iter()
            .copied()
            .find(|&i| self.exchanges[i].request.body == actual.body);
        let candidate = identical.or(same_body).or(same_call.first().copied());
        let Some(index) = candidate else {
            let closest = (0..self.exchanges.len()).find(|&i| !self.used[i]);
            let message = match closest {
                Some(i) => format!(
                    "unexpected request; the closest unused recorded one differs:\n{}",
                    diff(&render(&self.exchanges[i].request), &render(actual))
                ),
                None => format!(
                    "unexpected request; every recorded exchange is used:\n{}",
                    render(actual)
                ),
            };
            self.mismatches.push(message.clone());
            return Err(message);
        };
        let recorded = &mut self.exchanges[index];
        if self.bless {
            recorded.request = actual.clone();
        } else if recorded.request != *actual {
            let message = format!(
                "request differs from the recording:\n{}",
                diff(&render(&recorded.request), &render(actual))
            );
            self.mismatches.push(message.clone());
            return Err(message);
        }
        self.used[index] = true;
        match (&recorded.response, &recorded.failure) {
            (Some(response), _) => Ok(Reply::Response(response.clone())),
            (None, Some(failure)) => Ok(Reply::Failure(failure.clone())),
            (None, None) => {
                Err("the recorded exchange has neither a response nor a failure".into())
            }
        }
    }
}

/// What a recorded exchange answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// The recorded response.
    Response(RecordedResponse),
    /// A transport failure, by the name the fixture gives it (e.g. `connection-refused`).
    Failure(String),
}

/// What a replay answers a request that matches no recording: a client error in the
/// request's own protocol, which the component reports and does not send again.
fn mismatch_reply(request: &RecordedRequest) -> RecordedResponse {
    const CODE: &str = "CertwatchReplayMismatch";
    const MESSAGE: &str = "no recorded exchange matches this request (the replay shows the diff)";
    let form = request
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let (content_type, body) = match form {
        true => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{CODE}</Code><Message>{MESSAGE}</Message></Error></ErrorResponse>"
            ),
        ),
        false => (
            "application/json",
            serde_json::json!({ "__type": CODE, "message": MESSAGE }).to_string(),
        ),
    };
    RecordedResponse {
        status: 400,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("x-amzn-errortype".into(), CODE.into()),
        ],
        body,
    }
}

/// A transport failure as a fixture names it.
pub fn failure_name(error: &HttpError) -> String {
    let recorded = match error {
        HttpError::ConnectionRefused => RecordedFailure::ConnectionRefused,
        HttpError::Connect(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            RecordedFailure::ConnectionRefused
        }
        HttpError::ConnectionTimeout => RecordedFailure::ConnectionTimeout,
        HttpError::ConnectionReadTimeout => RecordedFailure::ConnectionReadTimeout,
        HttpError::ConnectionTerminated => RecordedFailure::ConnectionTerminated,
        HttpError::HttpResponseTimeout => RecordedFailure::ResponseTimeout,
        HttpError::HttpProtocolError => RecordedFailure::ProtocolError,
        HttpError::Hyper(e) if e.is_incomplete_message() || e.is_closed() => {
            RecordedFailure::ConnectionTerminated
        }
        other => return format!("{other:?}"),
    };
    recorded.name().into()
}

/// The transport failure a fixture names, as the host's error.
fn failure_error(name: &str) -> HttpError {
    match RecordedFailure::from_name(name) {
        Some(RecordedFailure::ConnectionRefused) => HttpError::ConnectionRefused,
        Some(RecordedFailure::ConnectionTimeout) => HttpError::ConnectionTimeout,
        Some(RecordedFailure::ConnectionReadTimeout) => HttpError::ConnectionReadTimeout,
        Some(RecordedFailure::ConnectionTerminated) => HttpError::ConnectionTerminated,
        Some(RecordedFailure::ResponseTimeout) => HttpError::HttpResponseTimeout,
        Some(RecordedFailure::ProtocolError) => HttpError::HttpProtocolError,
        None => HttpError::InternalError(Some(name.to_owned())),
    }
}

/// The hooks object a store's `WasiHttpCtxView` borrows.
pub(crate) struct Outbound {
    pub(crate) route: Route,
    /// The shared client live and recording routes send through.
    pub(crate) upstream: Option<Upstream>,
}

type SendResult = Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
>;

impl WasiHttpHooks for Outbound {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> Box<dyn Future<Output = SendResult> + Send> {
        let route = self.route.clone();
        let upstream = self.upstream.clone();
        Box::new(async move {
            let (parts, body) = request.into_parts();
            let body = body.collect().await?.to_bytes();
            // Kept only where it is compared or recorded; a live request is sent as it is.
            let recorded = |parts: &http::request::Parts| RecordedRequest {
                method: parts.method.to_string(),
                url: parts.uri.to_string(),
                headers: header_pairs(&parts.headers),
                body: String::from_utf8_lossy(&body).into_owned(),
            };
            let response = match route {
                Route::Replay(cassette) => {
                    let recorded = recorded(&parts);
                    let answer = cassette
                        .lock()
                        .map_err(|_| internal("the cassette lock is poisoned"))?
                        .answer(&recorded);
                    match answer {
                        Ok(Reply::Response(response)) => respond(response),
                        Ok(Reply::Failure(name)) => Err(failure_error(&name)),
                        // The diff is kept in the cassette; the component gets an error it
                        // will not retry, so it is not made again and again.
                        Err(_) => respond(mismatch_reply(&recorded)),
                    }
                }
                Route::Refuse => {
                    tracing::warn!(uri = %parts.uri, "outgoing request refused: this call may send none");
                    Err(HttpError::HttpRequestDenied)
                }
                Route::Live(policy) => {
                    allow(&policy, &parts.uri)?;
                    let upstream =
                        upstream.ok_or_else(|| internal("no client for live requests"))?;
                    let reply = upstream
                        .send(http::Request::from_parts(parts, body), options)
                        .await?;
                    Ok(reply.map(full))
                }
                Route::Record(policy, log) => {
                    allow(&policy, &parts.uri)?;
                    let recorded = recorded(&parts);
                    let upstream =
                        upstream.ok_or_else(|| internal("no client for live requests"))?;
                    let reply = upstream
                        .send(http::Request::from_parts(parts, body), options)
                        .await
                        .map(|r| RecordedResponse {
                            status: r.status().as_u16(),
                            headers: header_pairs(r.headers()),
                            body: String::from_utf8_lossy(r.body()).into_owned(),
                        });
                    let exchange = match &reply {
                        Ok(response) => Exchange {
                            request: recorded,
                            response: Some(response.clone()),
                            failure: None,
                        },
                        Err(error) => Exchange {
                            request: recorded,
                            response: None,
                            failure: Some(failure_name(error)),
                        },
                    };
                    log.lock()
                        .map_err(|_| internal("the recording lock is poisoned"))?
                        .push(exchange);
                    respond(reply?)
                }
            };
            Ok((
                response?,
                Box::new(async { Ok(()) }) as Box<dyn Future<Output = _> + Send>,
            ))
        })
    }
}

/// Headers as a fixture keeps them: `[name, value]` pairs in the order sent.
fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(n, v)| {
            (
                n.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The policy's verdict on `uri`; a refusal is wasi-http's `HTTP-request-denied`, which the
/// component reports as such and does not send again. Why is said here, in the host's log.
fn allow(policy: &OutboundPolicy, uri: &http::Uri) -> Result<(), HttpError> {
    policy.check(uri).map_err(|reason| {
        tracing::warn!(%uri, %reason, "outgoing request refused by the host policy");
        HttpError::HttpRequestDenied
    })
}

fn internal(message: &str) -> HttpError {
    HttpError::InternalError(Some(message.to_owned()))
}

fn full(bytes: Bytes) -> WasiBody {
    Full::new(bytes)
        .map_err(|never| match never {})
        .boxed_unsync()
}

fn respond(recorded: RecordedResponse) -> Result<http::Response<WasiBody>, HttpError> {
    let mut builder = http::Response::builder().status(recorded.status);
    for (name, value) in &recorded.headers {
        builder = builder.header(name, value);
    }
    builder
        .body(full(Bytes::from(recorded.body.into_bytes())))
        .map_err(|e| internal(&format!("recorded reply is not valid HTTP: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(body: &str, auth: &str) -> RecordedRequest {
        RecordedRequest {
            method: "POST".into(),
            url: "https://acm.us-east-1.amazonaws.com/".into(),
            headers: vec![
                (
                    "x-amz-target".into(),
                    "CertificateManager.DescribeCertificate".into(),
                ),
                ("authorization".into(), auth.into()),
            ],
            body: body.into(),
        }
    }

    fn exchange(body: &str, auth: &str) -> Exchange {
        let response = RecordedResponse {
            status: 200,
            headers: vec![],
            body: "{}".into(),
        };
        Exchange {
            request: request(body, auth),
            response: Some(response),
            failure: None,
        }
    }

    #[test]
    fn answers_exact_matches_once() {
        let mut cassette = Cassette::new(vec![exchange("a", "sig")], false);
        assert!(cassette.answer(&request("a", "sig")).is_ok());
        assert_eq!(cassette.unused().count(), 0);
        let again = cassette.answer(&request("a", "sig")).unwrap_err();
        assert!(again.contains("every recorded exchange is used"), "{again}");
    }

    #[test]
    fn a_different_signature_fails_with_a_diff() {
        let mut cassette = Cassette::new(vec![exchange("a", "sig")], false);
        let err = cassette.answer(&request("a", "other")).unwrap_err();
        assert!(
            err.contains("-authorization: sig") && err.contains("+authorization: other"),
            "{err}"
        );
        assert_eq!(cassette.mismatches.len(), 1);
        assert_eq!(cassette.unused().count(), 1);
    }

    #[test]
    fn concurrent_calls_find_their_own_recording() {
        let mut cassette =
            Cassette::new(vec![exchange("a", "sig-a"), exchange("b", "sig-b")], false);
        assert!(cassette.answer(&request("b", "sig-b")).is_ok());
        assert!(cassette.answer(&request("a", "sig-a")).is_ok());
        assert!(cassette.mismatches.is_empty());
    }

    #[test]
    fn recorded_failures_are_answered_as_failures() {
        let mut failing = exchange("a", "sig");
        failing.response = None;
        failing.failure = Some("connection-terminated".into());
        let mut cassette = Cassette::new(vec![failing], false);
        assert_eq!(
            cassette.answer(&request("a", "sig")),
            Ok(Reply::Failure("connection-terminated".into()))
        );
        assert!(matches!(
            failure_error("connection-terminated"),
            HttpError::ConnectionTerminated
        ));
        assert_eq!(
            failure_name(&failure_error("response-timeout")),
            "response-timeout"
        );
    }

    #[test]
    fn blessing_takes_the_actual_request() {
        let mut cassette = Cassette::new(vec![exchange("a", "old")], true);
        assert!(cassette.answer(&request("b", "new")).is_ok());
        assert_eq!(cassette.exchanges[0].request, request("b", "new"));
    }
}
