//! One client connection, from accept to close, under the read deadlines.
//!
//! hyper's own `header_read_timeout` also runs while a kept-alive connection waits for its next
//! request, so it cannot give a short head deadline and a long keep-alive at once (a load
//! balancer's idle connections would be cut at the head deadline). Each connection therefore
//! keeps its own clock: from its start, or a request's first byte, its head must arrive within
//! the header timeout; between requests it may stay idle for the keep-alive timeout; while a
//! request is being handled no connection deadline runs (its body has the body deadline, its
//! event the event deadline). When the clock runs out the connection is dropped, which closes it.

use super::Service;
use super::counters::{ConnectionCounters, Incident};
use super::limits::{ConnectionLimits, HEAD_BYTES};
use hyper_util::rt::TokioIo;
use hyper_util::server::graceful::GracefulShutdown;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{Notify, OwnedSemaphorePermit};
use tokio::time::{Duration, Instant};

/// Serves an admitted connection on this worker's event loop until it closes, its clock runs
/// out, or the server shuts down.
pub(super) fn spawn(
    stream: TcpStream,
    service: Arc<Service>,
    admitted: Admitted,
    graceful: &GracefulShutdown,
) {
    let clock = Arc::new(Clock::new(&service.limits));
    let io = TokioIo::new(Watched {
        admitted: Some(admitted),
        stream,
        clock: clock.clone(),
    });
    let answering = {
        let (service, clock) = (service.clone(), clock.clone());
        hyper::service::service_fn(move |request| {
            let (service, clock) = (service.clone(), clock.clone());
            async move {
                clock.request_started();
                let response = service.answer(request).await;
                clock.request_answered();
                Ok::<_, std::convert::Infallible>(response)
            }
        })
    };
    let connection = hyper::server::conn::http1::Builder::new()
        .max_buf_size(HEAD_BYTES)
        .serve_connection(io, answering);
    let connection = graceful.watch(connection);
    tokio::spawn(async move {
        tokio::select! {
            ended = connection => {
                if let Err(e) = ended {
                    if e.is_parse_too_large() {
                        service.connections.record(Incident::HeaderTooLarge);
                    } else {
                        tracing::debug!(error = %e, "a connection ended with an error");
                    }
                }
            }
            incident = clock.run_out() => service.connections.record(incident),
        }
    });
}

/// A connection under the cap: counted open until dropped, its slot freed with it.
pub(super) struct Admitted {
    _slot: OwnedSemaphorePermit,
    counters: Arc<ConnectionCounters>,
}

impl Admitted {
    pub(super) fn new(slot: OwnedSemaphorePermit, counters: Arc<ConnectionCounters>) -> Self {
        counters.opened();
        Self {
            _slot: slot,
            counters,
        }
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        self.counters.closed();
    }
}

/// Where a connection is, and when it must have moved on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Waiting for a request's head to be complete, by the deadline.
    AwaitingHead(Instant),
    /// A request is being read or handled: its own deadlines apply.
    InRequest,
    /// Answered; waiting for the next request, until the deadline.
    Idle(Instant),
}

/// A connection's phase, moved on by its requests and its bytes, watched by its task.
struct Clock {
    header_read: Duration,
    keep_alive: Duration,
    phase: Mutex<Phase>,
    changed: Notify,
}

impl Clock {
    fn new(limits: &ConnectionLimits) -> Self {
        Self {
            header_read: limits.header_read,
            keep_alive: limits.keep_alive,
            phase: Mutex::new(Phase::AwaitingHead(Instant::now() + limits.header_read)),
            changed: Notify::new(),
        }
    }

    fn phase(&self) -> Phase {
        // A poisoned lock still holds a phase that was whole: each write is one assignment.
        *self
            .phase
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn update(&self, next: impl FnOnce(Phase) -> Option<Phase>) {
        let mut phase = self.phase.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(next) = next(*phase) {
            *phase = next;
            drop(phase);
            self.changed.notify_one();
        }
    }

    fn request_started(&self) {
        self.update(|_| Some(Phase::InRequest));
    }

    fn request_answered(&self) {
        let idle_until = Instant::now() + self.keep_alive;
        self.update(|_| Some(Phase::Idle(idle_until)));
    }

    /// Bytes came in: on an idle connection they start a request, whose head has its deadline.
    fn bytes_arrived(&self) {
        self.update(|phase| match phase {
            Phase::Idle(_) => Some(Phase::AwaitingHead(Instant::now() + self.header_read)),
            Phase::AwaitingHead(_) | Phase::InRequest => None,
        });
    }

    /// Resolves when a deadline passes in the phase it was set for.
    async fn run_out(&self) -> Incident {
        loop {
            // `notify_one` keeps a wake-up for a change made before this waits.
            let changed = self.changed.notified();
            let phase = self.phase();
            let (deadline, incident) = match phase {
                Phase::AwaitingHead(at) => (at, Incident::HeaderTimeout),
                Phase::Idle(at) => (at, Incident::IdleTimeout),
                Phase::InRequest => {
                    changed.await;
                    continue;
                }
            };
            tokio::select! {
                () = tokio::time::sleep_until(deadline) => {
                    if self.phase() == phase {
                        return incident;
                    }
                }
                () = changed => {}
            }
        }
    }
}

/// The client's socket, telling its clock when bytes arrive, and holding its slot under the
/// cap. The slot is freed before the socket closes (field order: dropped first), so a client
/// that sees its connection end and connects again finds the slot free.
struct Watched {
    admitted: Option<Admitted>,
    stream: TcpStream,
    clock: Arc<Clock>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let read = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_arrived();
        }
        read
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.admitted = None;
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Real time, short deadlines: each bound below is generous, none measures speed.
    const HEAD: Duration = Duration::from_millis(100);
    const KEEP_ALIVE: Duration = Duration::from_millis(300);
    const SLACK: Duration = Duration::from_secs(1);

    fn clock() -> Arc<Clock> {
        Arc::new(Clock::new(&ConnectionLimits {
            header_read: HEAD,
            keep_alive: KEEP_ALIVE,
            ..ConnectionLimits::default()
        }))
    }

    async fn runs_out_after(clock: &Clock, deadline: Duration) -> Incident {
        let start = Instant::now();
        let incident = clock.run_out().await;
        let took = start.elapsed();
        assert!(
            took >= deadline - Duration::from_millis(5) && took < deadline + SLACK,
            "{incident:?} after {took:?}, not {deadline:?}"
        );
        incident
    }

    #[tokio::test]
    async fn a_head_not_sent_in_time_runs_out_at_the_header_deadline() {
        let clock = clock();
        assert_eq!(runs_out_after(&clock, HEAD).await, Incident::HeaderTimeout);
    }

    #[tokio::test]
    async fn an_idle_connection_lasts_the_keep_alive_and_a_new_request_gets_the_header_deadline() {
        let clock = clock();
        clock.request_started();
        clock.request_answered();
        assert_eq!(
            runs_out_after(&clock, KEEP_ALIVE).await,
            Incident::IdleTimeout
        );

        clock.request_answered();
        tokio::time::sleep(KEEP_ALIVE / 2).await;
        // The next request's first bytes, half way through the keep-alive: its head has HEAD.
        clock.bytes_arrived();
        assert_eq!(runs_out_after(&clock, HEAD).await, Incident::HeaderTimeout);
    }

    #[tokio::test]
    async fn bytes_of_a_head_under_way_do_not_move_its_deadline() {
        let clock = clock();
        let start = Instant::now();
        let watching = tokio::spawn({
            let clock = clock.clone();
            async move { clock.run_out().await }
        });
        while !watching.is_finished() {
            clock.bytes_arrived();
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(watching.await.ok(), Some(Incident::HeaderTimeout));
        assert!(start.elapsed() < HEAD + SLACK, "{:?}", start.elapsed());
    }

    #[tokio::test]
    async fn no_deadline_runs_while_a_request_is_handled() {
        let clock = clock();
        clock.request_started();
        let watching = tokio::spawn({
            let clock = clock.clone();
            async move { clock.run_out().await }
        });
        tokio::time::sleep(KEEP_ALIVE * 2).await;
        assert!(!watching.is_finished(), "a deadline ran out mid-request");
        clock.request_answered();
        let start = Instant::now();
        assert_eq!(watching.await.ok(), Some(Incident::IdleTimeout));
        assert!(start.elapsed() < KEEP_ALIVE + SLACK);
    }
}
