//! Who gets a connection: under `--max-connections` a client is served; past it, it is
//! answered 503 with `Retry-After` and closed at once, never queued.

use super::connection::Admitted;
use super::counters::{ConnectionCounters, Incident};
use crate::outcome::{ErrorKind, Outcome};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;

/// What a client turned away is told to wait, in seconds.
const RETRY_AFTER_SECS: u32 = 1;

/// Connections being turned away at once. Each is kept a moment so that its client reads the
/// 503 (closing with its request unread would reset the connection and lose the answer); past
/// this many, a flood is closed without one.
const TURNING_AWAY_AT_ONCE: usize = 64;

/// How long a client turned away has to read its 503.
const TURN_AWAY_WITHIN: Duration = Duration::from_secs(1);

/// The open-connection cap, shared by every worker.
pub(super) struct Admission {
    slots: Arc<Semaphore>,
    turning_away: Arc<Semaphore>,
    counters: Arc<ConnectionCounters>,
    refusal: Arc<[u8]>,
}

impl Admission {
    pub(super) fn new(max_connections: usize, counters: Arc<ConnectionCounters>) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(max_connections.max(1))),
            turning_away: Arc::new(Semaphore::new(TURNING_AWAY_AT_ONCE)),
            counters,
            refusal: refusal().into(),
        }
    }

    /// A slot for `stream`, or `None` when it has been turned away.
    pub(super) fn admit(&self, stream: TcpStream) -> Option<(TcpStream, Admitted)> {
        if let Ok(slot) = self.slots.clone().try_acquire_owned() {
            return Some((stream, Admitted::new(slot, self.counters.clone())));
        }
        self.counters.record(Incident::TooManyConnections);
        // Without a permit the stream is dropped here, closing it.
        if let Ok(permit) = self.turning_away.clone().try_acquire_owned() {
            let refusal = self.refusal.clone();
            tokio::spawn(async move {
                let _permit = permit;
                let _ = tokio::time::timeout(TURN_AWAY_WITHIN, turn_away(stream, &refusal)).await;
            });
        }
        None
    }
}

/// Answers 503, closes the sending side, and reads what the client sent until it closes too.
async fn turn_away(mut stream: TcpStream, refusal: &[u8]) -> std::io::Result<()> {
    stream.write_all(refusal).await?;
    stream.shutdown().await?;
    let mut unread = [0u8; 4096];
    while stream.read(&mut unread).await? > 0 {}
    Ok(())
}

/// The whole 503 response, as an outcome like every other answer.
fn refusal() -> Vec<u8> {
    let body = crate::outcome::to_json(&Outcome::failure(
        ErrorKind::Input,
        "the server has as many connections open as it takes (--max-connections); retry shortly",
        true,
    ));
    format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: {RETRY_AFTER_SECS}\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_a_whole_503_with_retry_after() {
        let refusal = String::from_utf8(refusal()).expect("text");
        let (head, body) = refusal.split_once("\r\n\r\n").expect("a head and a body");
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("\r\nretry-after: 1\r\n"), "{head}");
        assert!(head.contains("\r\nconnection: close\r\n"), "{head}");
        assert!(
            head.ends_with(&format!("content-length: {}", body.len())),
            "{head}"
        );
        let outcome: serde_json::Value = serde_json::from_str(body).expect("JSON");
        assert_eq!(outcome["retryable"], true, "{body}");
    }
}
