//! certwatch's performance figures, measured side by side in one run (`cargo bench -p
//! certwatch`). What each figure means and the latest results: BENCHMARKS.md.
//!
//! Everything runs against a stub AWS on 127.0.0.1 that answers with fixed replies after an
//! injected delay, so the figures measure certwatch, not the network or the stub.

use certwatch::outbound::{Cassette, Route};
use certwatch::policy::OutboundPolicy;
use certwatch::runtime::{EventSetup, Limits, Runtime};
use certwatch::sandbox::Determinism;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const ACCOUNT: &str = "123456789012";
const REGION: &str = "us-east-1";
const CERTIFICATE: &str =
    "arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b";

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let rounds = if quick { 5 } else { 25 };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned();
    let tmp = std::env::temp_dir().join(format!("certwatch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("a temporary folder");
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio");

    println!(
        "certwatch figures ({} rounds each; median [p10–p90])\n",
        rounds
    );
    println!(
        "guest .wasm size: {} bytes ({:.2} MB)",
        certwatch::runtime::EMBEDDED_COMPONENT.len(),
        certwatch::runtime::EMBEDDED_COMPONENT.len() as f64 / 1e6
    );

    let stub = tokio.block_on(Stub::start(Duration::ZERO));
    let event = std::fs::read_to_string(root.join("events/in-window/event.json"))
        .expect("the sample event");
    let event_file = tmp.join("event.json");
    std::fs::write(&event_file, &event).expect("writing the event");
    let binary = Path::new(env!("CARGO_BIN_EXE_certwatch")).to_owned();
    let cwasm = tmp.join("certwatch.cwasm");
    assert!(
        Command::new(&binary)
            .arg("compile")
            .arg("--output")
            .arg(&cwasm)
            .status()
            .expect("certwatch compile")
            .success()
    );

    // Cold start: a new process handles one event, precompiled component vs. compiling it.
    let run = |component: Option<&Path>| {
        let mut command = Command::new(&binary);
        if let Some(path) = component {
            command.arg("--component").arg(path);
        }
        command
            .arg("run")
            .arg(&event_file)
            .envs(stub.env())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let started = Instant::now();
        let status = command.status().expect("certwatch run");
        assert!(status.success(), "certwatch run failed against the stub");
        started.elapsed()
    };
    let version = measure(rounds, || {
        let started = Instant::now();
        Command::new(&binary)
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .expect("certwatch --version");
        started.elapsed()
    });
    let precompiled = measure(rounds, || run(Some(&cwasm)));
    let compiled = measure(rounds.min(10), || run(None));
    println!("\ncold start, process start → first event handled (stub, r = 0):");
    println!(
        "  certwatch --version (process floor)     {}",
        show(&version)
    );
    println!(
        "  precompiled component                   {}",
        show(&precompiled)
    );
    println!(
        "  component compiled at start (JIT)       {}   {:.1}× the precompiled",
        show(&compiled),
        ratio(&compiled, &precompiled)
    );

    // Per event, in one process: a fresh instance, the logic and the signing, no network.
    let runtime = Runtime::from_file(&cwasm, Limits::default()).expect("the runtime");
    let fixture = certwatch::fixture::Fixture::load(&root.join("events/in-window"))
        .expect("the in-window fixture");
    let replay_env = {
        let mut env = certwatch::environment::settings(fixture.replay.env.clone());
        env.extend(certwatch::environment::replay_credentials().to_env());
        env
    };
    let now = certwatch::replay::parse_now(&fixture.replay.now).expect("now");
    let per_event = |n: usize| {
        measure(n, || {
            let cassette = Arc::new(Mutex::new(Cassette::new(
                fixture.replay.exchanges.clone(),
                false,
            )));
            let setup = EventSetup {
                env: replay_env.clone(),
                determinism: Determinism::Pinned { now },
                route: Route::Replay(cassette),
                deadline: None,
            };
            let started = Instant::now();
            let outcome = tokio.block_on(runtime.handle(&fixture.event, setup));
            let took = started.elapsed();
            assert!(!outcome.is_error(), "{outcome:?}");
            took
        })
    };
    let component = per_event(rounds * 8);
    let native = measure(rounds * 8, || native_event(&fixture));
    println!(
        "\nper event, fresh instance + decision + finding + message + 4 signed requests, replies from memory:"
    );
    println!(
        "  in the component                        {}",
        show(&component)
    );
    println!(
        "  the same guest code, native             {}   component/native = {:.2}×",
        show(&native),
        ratio(&component, &native)
    );

    // Latency with an injected round trip: two round trips, not four.
    for rtt in [Duration::from_millis(20), Duration::from_millis(50)] {
        let slow = tokio.block_on(Stub::start(rtt));
        let policy = Arc::new(OutboundPolicy::new([REGION], [slow.url().as_str()]));
        let mut env: Vec<(String, String)> = slow
            .env()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        env.sort();
        let latency = measure(rounds, || {
            let setup = EventSetup {
                env: env.clone(),
                determinism: Determinism::Real,
                route: Route::Live(policy.clone()),
                deadline: None,
            };
            let started = Instant::now();
            let outcome = tokio.block_on(runtime.handle(&stub_event(), setup));
            assert!(!outcome.is_error(), "{outcome:?}");
            started.elapsed()
        });
        println!(
            "\nevent latency with r = {:?}: {}   = {:.2} r (4 calls in sequence would be 4 r)",
            rtt,
            show(&latency),
            median(&latency).as_secs_f64() / rtt.as_secs_f64()
        );
    }

    // Serving: throughput and memory.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a port")
        .port();
    let mut server = Command::new(&binary)
        .arg("--component")
        .arg(&cwasm)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .envs(stub.env())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("certwatch serve");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(50));
    }
    let events = if quick { 2_000 } else { 10_000 };
    let clients = 32;
    let body = stub_event();
    let started = Instant::now();
    let handled: usize = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..clients)
            .map(|_| {
                scope.spawn(|| {
                    (0..events / clients)
                        .filter(|_| post(port, &body) == 200)
                        .count()
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a client"))
            .sum()
    });
    let took = started.elapsed();
    let rss = peak_rss_kib(server.id());
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "\nserve, {clients} clients, stub r = 0: {handled} of {} events answered 200 in {:.2} s = {:.0} events/s; peak RSS {:.1} MiB",
        events / clients * clients,
        took.as_secs_f64(),
        handled as f64 / took.as_secs_f64(),
        rss as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(&tmp);
}

/// The guest's responder compiled natively, answered from the fixture's recorded replies.
fn native_event(fixture: &certwatch::fixture::Fixture) -> Duration {
    use certwatch_guest::aws::{AwsRequest, AwsResponse};
    struct Memory<'a>(&'a certwatch::fixture::Fixture, time::OffsetDateTime);
    impl certwatch_guest::responder::Platform for Memory<'_> {
        fn now(&self) -> time::OffsetDateTime {
            self.1
        }
        async fn send(&self, request: &AwsRequest) -> Result<AwsResponse, String> {
            let target = request
                .headers
                .iter()
                .find(|(n, _)| n == "x-amz-target")
                .map(|(_, v)| v.as_str());
            let exchange = self.0.replay.exchanges.iter().find(|e| {
                e.request.url == request.url && e.request.header("x-amz-target") == target
            });
            let response = exchange
                .and_then(|e| e.response.clone())
                .ok_or("no recorded reply")?;
            Ok(AwsResponse {
                status: response.status,
                headers: response.headers,
                body: response.body.into_bytes(),
            })
        }
        async fn sleep(&self, _: Duration) {}
        fn jitter(&self) -> f64 {
            0.5
        }
    }
    let now = time::OffsetDateTime::parse(
        &fixture.replay.now,
        &time::format_description::well_known::Rfc3339,
    )
    .expect("now");
    let mut env: Vec<(String, String)> = fixture.replay.env.clone().into_iter().collect();
    env.extend(certwatch::environment::replay_credentials().to_env());
    let started = Instant::now();
    let outcome = futures_lite_block_on(certwatch_guest::responder::handle(
        &Memory(fixture, now),
        &env,
        &fixture.event,
    ));
    let took = started.elapsed();
    assert!(outcome.is_ok(), "{outcome:?}");
    took
}

/// The native responder never waits, so polling it once more after each wake-up is enough.
fn futures_lite_block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    loop {
        if let std::task::Poll::Ready(value) = future.as_mut().poll(&mut context) {
            return value;
        }
    }
}

/// An event for the stub's certificate, which it always says expires in 11 days.
fn stub_event() -> String {
    serde_json::json!({
        "version": "0", "id": "bench", "detail-type": "ACM Certificate Approaching Expiration", "source": "aws.acm",
        "account": ACCOUNT, "time": "2026-11-29T12:00:00Z", "region": REGION, "resources": [CERTIFICATE],
        "detail": { "DaysToExpiry": 11, "CommonName": "www.example.com" }
    })
    .to_string()
}

/// A stand-in for ACM, Security Hub and SNS: fixed replies after `delay`.
struct Stub {
    address: SocketAddr,
}

impl Stub {
    async fn start(delay: Duration) -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let address = listener.local_addr().expect("its address");
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| answer(request, delay));
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Self { address }
    }

    fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".into()),
            ("AWS_SECRET_ACCESS_KEY", "bench-secret".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_ENDPOINT_URL", self.url()),
            (
                "SNS_TOPIC_ARN",
                format!("arn:aws:sns:{REGION}:{ACCOUNT}:certificate-expiry"),
            ),
        ]
    }
}

async fn answer(
    request: hyper::Request<Incoming>,
    delay: Duration,
) -> Result<hyper::Response<Full<bytes::Bytes>>, std::convert::Infallible> {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let path = request.uri().path().to_owned();
    let _ = request.into_body().collect().await;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let body = match (path.as_str(), target.as_str()) {
        (_, "CertificateManager.DescribeCertificate") => {
            let not_after = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default() + 11 * 86_400 + 3_600;
            format!(r#"{{"Certificate":{{"CertificateArn":"{CERTIFICATE}","DomainName":"www.example.com","Status":"ISSUED","Type":"IMPORTED","NotAfter":{not_after}}}}}"#)
        }
        ("/accounts", _) => format!(r#"{{"HubArn":"arn:aws:securityhub:{REGION}:{ACCOUNT}:hub/default"}}"#),
        ("/findings/import", _) => r#"{"FailedCount":0,"SuccessCount":1,"FailedFindings":[]}"#.to_owned(),
        _ => "<PublishResponse><PublishResult><MessageId>bench-message</MessageId></PublishResult></PublishResponse>".to_owned(),
    };
    Ok(hyper::Response::new(Full::new(bytes::Bytes::from(body))))
}

/// One POST over a fresh connection; its status.
fn post(port: u16, body: &str) -> u16 {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return 0;
    };
    let request = format!(
        "POST / HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    if stream.write_all(request.as_bytes()).is_err() {
        return 0;
    }
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn measure(n: usize, mut once: impl FnMut() -> Duration) -> Vec<Duration> {
    once(); // warm up
    let mut samples: Vec<Duration> = (0..n).map(|_| once()).collect();
    samples.sort();
    samples
}

fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

fn ratio(a: &[Duration], b: &[Duration]) -> f64 {
    median(a).as_secs_f64() / median(b).as_secs_f64()
}

fn show(sorted: &[Duration]) -> String {
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    format!(
        "{:>9.3} ms [{:.3}–{:.3}]",
        median(sorted).as_secs_f64() * 1e3,
        at(0.1).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3
    )
}
