//! certwatch's responder driven from memory, for the figures benchmark's like-for-like
//! comparison: the very same code (event, decision, finding, message, signing, parsing the
//! replies) runs natively, called from the benchmark, and in a component, called through
//! certwatch's own WIT world. Nothing here crosses `wasi:http`, and nothing waits.
//!
//! The component's `handle` takes a [`Bundle`] as its event text and handles the bundle's
//! event `rounds` times; the host times calls with different `rounds`, so instantiation and
//! the bundle's parsing cancel out.

use certwatch_guest::aws::{AwsRequest, AwsResponse, SendFailure};
use certwatch_guest::responder::Platform;
use serde::Deserialize;
use std::cell::RefCell;
use std::time::Duration;
use time::OffsetDateTime;

/// One event with everything it needs, and how many times to handle it.
#[derive(Debug, Deserialize)]
pub struct Bundle {
    pub event: String,
    pub env: Vec<(String, String)>,
    /// The wall clock every round reads (RFC 3339).
    pub now: String,
    pub replies: Vec<Reply>,
    pub rounds: u32,
}

/// The reply to the first unused request of `operation` (`DescribeCertificate`, ...).
#[derive(Debug, Deserialize)]
pub struct Reply {
    pub operation: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Handles the bundle's event `bundle.rounds` times; the first failure ends it. A round that
/// asks for a reply the bundle lacks, or leaves one unused, is a failure too: the figure would
/// time other work than the event's.
pub fn run(bundle: &Bundle) -> Result<(), String> {
    let now = OffsetDateTime::parse(&bundle.now, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("now: {e}"))?;
    for _ in 0..bundle.rounds {
        let platform = Memory {
            bundle,
            now,
            used: RefCell::new(vec![false; bundle.replies.len()]),
            missing: RefCell::new(Vec::new()),
        };
        let handled = block_on(certwatch_guest::responder::handle(
            &platform,
            &bundle.env,
            &bundle.event,
        ));
        std::hint::black_box(handled.map_err(|e| e.to_string())?);
        if let Some(name) = platform.missing.borrow().first() {
            return Err(format!(
                "the event asked for a reply the bundle lacks: {name}"
            ));
        }
        if platform.used.borrow().contains(&false) {
            return Err("the event left a reply of the bundle unused".into());
        }
    }
    Ok(())
}

struct Memory<'a> {
    bundle: &'a Bundle,
    now: OffsetDateTime,
    used: RefCell<Vec<bool>>,
    missing: RefCell<Vec<&'static str>>,
}

impl Platform for Memory<'_> {
    fn now(&self) -> OffsetDateTime {
        self.now
    }

    async fn send(&self, request: &AwsRequest) -> Result<AwsResponse, SendFailure> {
        let name = request.operation.name();
        let operation = name.split_once(':').map_or(name, |(_, op)| op);
        let mut used = self.used.borrow_mut();
        let Some(index) = (0..self.bundle.replies.len())
            .find(|&i| !used[i] && self.bundle.replies[i].operation == operation)
        else {
            self.missing.borrow_mut().push(name);
            return Err(SendFailure::Failed(format!("no reply left for {name}")));
        };
        used[index] = true;
        let reply = &self.bundle.replies[index];
        Ok(AwsResponse {
            status: reply.status,
            headers: reply.headers.clone(),
            body: reply.body.as_bytes().to_vec(),
        })
    }

    async fn sleep(&self, _: Duration) {}

    fn jitter(&self) -> f64 {
        0.5
    }
}

/// A future that never waits (as the responder's over a platform answering from memory), run
/// to its end: polling again after each wake-up is enough.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}

#[cfg(target_arch = "wasm32")]
mod component {
    wit_bindgen::generate!({ path: "../../../wit", world: "responder" });

    use exports::certwatch::responder::handler::{self as wit, Guest};

    struct LogicBench;

    impl Guest for LogicBench {
        fn handle(bundle: String) -> Result<wit::Outcome, wit::Error> {
            let report = serde_json::from_str::<super::Bundle>(&bundle)
                .map_err(|e| format!("not a bundle: {e}"))
                .and_then(|bundle| super::run(&bundle).map(|()| bundle.rounds));
            let reason = match report {
                Ok(rounds) => format!("handled {rounds} times"),
                Err(e) => format!("failed: {e}"),
            };
            Ok(wit::Outcome::NotHandled(wit::Ignored {
                event_id: "logic-bench".into(),
                source: "bench".into(),
                detail_type: "bundle".into(),
                reason,
            }))
        }

        fn check_configuration() -> Result<(), wit::Error> {
            Ok(())
        }

        // The bench drives logic only: it has no credentials, so no account.
        fn identify() -> Result<String, wit::Error> {
            Err(wit::Error {
                kind: wit::ErrorKind::Configuration,
                message: "the logic bench has no account".into(),
                operation: None,
                code: None,
                status: None,
                retryable: false,
            })
        }
    }

    export!(LogicBench);
}
