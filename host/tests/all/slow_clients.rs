//! `certwatch serve` against slow and abusive clients (issue 19): connections that send half a
//! request and then nothing are closed by their deadlines, at most `--max-connections` are
//! held and the next is answered 503 at once, and real events go through meanwhile. Deadlines
//! are short here (flags) so that the whole file runs in a few seconds.

use crate::faults::{settings, stub};
use crate::serve::{start_serve, start_serve_logged};
use crate::support::{events_dir, http, precompiled_component};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// What "at once" and "within its timeout" allow for a loaded CI machine.
const SLACK: Duration = Duration::from_millis(1_500);

/// A client that sent `sent` and then nothing.
struct Stalled {
    stream: TcpStream,
    opened: Instant,
}

impl Stalled {
    fn open(address: &str, sent: &str) -> Self {
        let mut stream = TcpStream::connect(address).expect("connecting");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a read timeout");
        stream.write_all(sent.as_bytes()).expect("sending");
        Self {
            stream,
            opened: Instant::now(),
        }
    }

    /// Reads until the server closes the connection: what it answered, and when it closed.
    fn until_closed(mut self) -> (String, Instant) {
        let mut answer = Vec::new();
        self.stream
            .read_to_end(&mut answer)
            .expect("the server closed the connection (no read timeout, no reset)");
        (
            String::from_utf8_lossy(&answer).into_owned(),
            Instant::now(),
        )
    }
}

/// Half a request line and headers.
const HALF_A_HEAD: &str = "POST / HTTP/1.1\r\nhost: certwatch\r\ncontent-le";

/// A whole head, and 100 bytes of the 1,000 it announces.
fn half_a_body() -> String {
    format!(
        "POST / HTTP/1.1\r\nhost: certwatch\r\ncontent-length: 1000\r\n\r\n{}",
        "x".repeat(100)
    )
}

fn event() -> String {
    std::fs::read_to_string(events_dir().join("in-window/event.json")).expect("the sample event")
}

/// Posts the event and checks that it is handled at once.
fn answered_at_once(address: &str, event: &str) -> Instant {
    let start = Instant::now();
    let (status, body) = http(address, "POST", "/", &[], event);
    assert_eq!(status, 200, "{body}");
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "the event took {:?}",
        start.elapsed()
    );
    Instant::now()
}

/// Asserts that a connection opened at `opened` was closed within `timeout` (and not before).
fn closed_within(what: &str, opened: Instant, closed: Instant, timeout: Duration) {
    let open_for = closed - opened;
    assert!(
        open_for >= timeout - Duration::from_millis(50) && open_for < timeout + SLACK,
        "{what} was closed after {open_for:?}, its timeout being {timeout:?}"
    );
}

#[test]
fn stalled_clients_are_closed_and_turned_away_while_real_events_go_through() {
    const STALLED: usize = 4;
    // Each kind of stall up to the cap, and one slot for the real event.
    const CAP: usize = 2 * STALLED + 1;
    const HEAD_TIMEOUT: Duration = Duration::from_secs(2);
    const BODY_TIMEOUT: Duration = Duration::from_millis(2_500);
    let stub = stub(&[]);
    let (mut server, address, log) = start_serve_logged(
        &[
            "--max-connections",
            &CAP.to_string(),
            "--header-read-timeout",
            "2",
            "--body-read-timeout",
            "2.5",
        ],
        &settings(&stub),
    );
    let event = event();
    // The instance pool warm, so that the event below measures the stalls, not a first start.
    answered_at_once(&address, &event);

    let heads: Vec<Stalled> = (0..STALLED)
        .map(|_| Stalled::open(&address, HALF_A_HEAD))
        .collect();
    let bodies: Vec<Stalled> = (0..STALLED)
        .map(|_| Stalled::open(&address, &half_a_body()))
        .collect();
    let answered = answered_at_once(&address, &event);

    // The real event's slot, freed as its connection closed, taken by one more stall: the cap
    // is reached.
    let last = Stalled::open(&address, HALF_A_HEAD);
    let probed = Instant::now();
    let (turned_away, _) =
        Stalled::open(&address, "GET /health HTTP/1.1\r\nhost: c\r\n\r\n").until_closed();
    assert!(
        probed.elapsed() < SLACK,
        "turned away after {:?}",
        probed.elapsed()
    );
    let head = turned_away.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 503 "), "{turned_away}");
    assert!(head.contains("\r\nretry-after: 1\r\n"), "{turned_away}");

    for (i, stalled) in heads.into_iter().chain(std::iter::once(last)).enumerate() {
        let opened = stalled.opened;
        let (answer, closed) = stalled.until_closed();
        assert_eq!(answer, "", "stalled head {i} was answered");
        closed_within(&format!("stalled head {i}"), opened, closed, HEAD_TIMEOUT);
        assert!(
            closed > answered || i == STALLED,
            "stalled head {i} was closed before the event"
        );
    }
    for (i, stalled) in bodies.into_iter().enumerate() {
        let opened = stalled.opened;
        let (answer, closed) = stalled.until_closed();
        assert!(
            answer.starts_with("HTTP/1.1 408 "),
            "stalled body {i}: {answer}"
        );
        closed_within(&format!("stalled body {i}"), opened, closed, BODY_TIMEOUT);
        assert!(
            closed > answered,
            "stalled body {i} was closed before the event"
        );
    }

    answered_at_once(&address, &event);
    assert_eq!(http(&address, "GET", "/health", &[], "").0, 200);

    // Stopped, it sums up what each limit did; each burst was warned about once.
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("kill");
    assert!(stopped.success());
    assert!(server.0.wait().expect("waiting for the server").success());
    let said: Vec<String> = log.try_iter().collect();
    let summary = said
        .iter()
        .find_map(|l| l.strip_prefix("certwatch stopped: "))
        .unwrap_or_else(|| panic!("no summary: {said:#?}"));
    for counted in [
        format!("header_timeout {}", STALLED + 1),
        format!("body_timeout {STALLED}"),
        "turned_away 1".to_owned(),
    ] {
        assert!(summary.contains(&counted), "{counted} not in: {summary}");
    }
    let warned = |what: &str| said.iter().filter(|l| l.contains(what)).count();
    assert_eq!(
        warned("its request head was not sent in time"),
        1,
        "{said:#?}"
    );
    assert_eq!(warned("its body was not sent in time"), 1, "{said:#?}");
}

#[test]
fn an_unauthorised_request_is_answered_before_its_body() {
    let stub = stub(&[]);
    let mut env = settings(&stub);
    env.push(("CERTWATCH_API_KEY", "slow-clients-key".into()));
    let (_server, address) = start_serve(&["--api-key-header", "x-api-key"], &env);
    // 100 MiB announced, 1 KiB sent.
    let sent = format!(
        "POST / HTTP/1.1\r\nhost: certwatch\r\ncontent-length: {}\r\n\r\n{}",
        100 * 1024 * 1024,
        "x".repeat(1024)
    );
    let stalled = Stalled::open(&address, &sent);
    let opened = stalled.opened;
    let (answer, closed) = stalled.until_closed();
    assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
    assert!(
        closed - opened < SLACK,
        "answered after {:?}",
        closed - opened
    );
    assert!(answer.contains("unauthorized"), "{answer}");
}

#[test]
fn a_head_too_large_is_answered_431_and_the_connection_closed() {
    let stub = stub(&[]);
    let (_server, address) = start_serve(&[], &settings(&stub));
    let mut stream = TcpStream::connect(&address).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("a read timeout");
    let head = format!(
        "POST / HTTP/1.1\r\nhost: certwatch\r\nx-padding: {}\r\ncontent-length: 2\r\n\r\n{{}}",
        "p".repeat(1024 * 1024)
    );
    // The server stops reading at its limit; the rest may not go out.
    let _ = stream.write_all(head.as_bytes());
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    assert_eq!(http(&address, "GET", "/health", &[], "").0, 200);
}

#[test]
fn a_kept_alive_connection_outlives_the_head_deadline_until_its_keep_alive() {
    const KEEP_ALIVE: Duration = Duration::from_millis(1_500);
    let stub = stub(&[]);
    let (_server, address) = start_serve(
        &[
            "--header-read-timeout",
            "0.3",
            "--keep-alive-timeout",
            "1.5",
        ],
        &settings(&stub),
    );
    let mut stream = TcpStream::connect(&address).expect("connecting");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("a read timeout");
    stream
        .write_all(b"GET /health HTTP/1.1\r\nhost: certwatch\r\n\r\n")
        .expect("sending");
    let mut reader = BufReader::new(stream);
    let mut status = String::new();
    reader.read_line(&mut status).expect("the status line");
    assert!(status.starts_with("HTTP/1.1 200 "), "{status}");
    let answered = Instant::now();
    // The rest of the answer, then nothing until the server closes the idle connection.
    let mut rest = Vec::new();
    reader
        .read_to_end(&mut rest)
        .expect("the server closed the connection");
    closed_within("the idle connection", answered, Instant::now(), KEEP_ALIVE);
}

#[test]
fn a_connection_cap_beyond_the_open_file_limit_is_warned_about() {
    let stub = stub(&[]);
    let binary = env!("CARGO_BIN_EXE_certwatch");
    let mut child = std::process::Command::new("sh")
        .args(["-c", r#"ulimit -n 256 && exec "$@""#, "sh", binary])
        .arg("--component")
        .arg(precompiled_component())
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--max-connections",
            "5000",
        ])
        .env_clear()
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .envs(settings(&stub))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting certwatch serve under ulimit -n 256");
    let lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut before_serving = Vec::new();
    for line in lines {
        let line = line.expect("reading stderr");
        if line.starts_with("certwatch serving on") {
            break;
        }
        before_serving.push(line);
    }
    let _ = child.kill();
    let _ = child.wait();
    let said = before_serving.join("\n");
    assert!(
        said.contains("--max-connections 5000 does not fit") && said.contains("ulimit -n"),
        "no warning before serving: {said}"
    );
}
