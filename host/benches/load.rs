//! The reliability load run (`cargo bench -p certwatch --bench load`). `certwatch serve` takes
//! events from 32 clients while the stub fails 5 % of AWS requests at random; a client sends an
//! event again after a 5xx, as EventBridge does.
//!
//! 1. 10,000 events into one server, its memory sampled every 1,000.
//! 2. 10,000 more; half way through the server is told to stop (SIGTERM), finishes what it
//!    accepted, and a new server takes the events the first did not answer.
//!
//! Nothing may be lost: every event ends with its finding at the stub, and no event the server
//! handled goes unanswered. The README's reliability section records the figures.

mod common;

use certwatch_stub::catalogue::Catalogue;
use certwatch_stub::load::{self, Delivery, LoadPlan, LoadReport};
use certwatch_stub::{Stub, StubConfig};
use common::{peak_rss_kib, rss_kib};
use std::collections::HashSet;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, Once};
use std::time::Duration;

const CLIENTS: usize = 32;
const FAULT_RATE: f64 = 0.05;
const SAMPLE_EVERY: usize = 1_000;

struct Run<'a> {
    binary: &'a Path,
    cwasm: &'a Path,
    stub: &'a Stub,
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let count = if quick { 2_000 } else { 10_000 };
    let binary = Path::new(env!("CARGO_BIN_EXE_certwatch"));
    let cwasm = common::precompiled(binary, &std::env::temp_dir());
    let catalogue = Catalogue {
        // Every certificate inside the window, so every event imports a finding.
        days_spread: 45,
        ..Catalogue::default()
    };
    let stub = Stub::start(StubConfig {
        catalogue: catalogue.clone(),
        random_fault_rate: FAULT_RATE,
        seed: 2026,
        threads: 1,
        ..StubConfig::default()
    })
    .expect("the stub");
    let run = Run {
        binary,
        cwasm: &cwasm,
        stub: &stub,
    };
    println!(
        "certwatch load run: {CLIENTS} clients, {:.0} % of AWS requests faulted at random\n",
        FAULT_RATE * 100.0
    );

    // 1. Steady load on one server.
    let steady: Vec<String> = (0..count).map(|i| catalogue.expiry_event(i)).collect();
    let (mut server, port) = run.serve();
    let pid = server.id();
    let samples = Mutex::new(vec![(0, rss_kib(pid), peak_rss_kib(pid))]);
    let sample = |answered: usize| {
        if answered.is_multiple_of(SAMPLE_EVERY)
            && let Ok(mut samples) = samples.lock()
        {
            samples.push((answered, rss_kib(pid), peak_rss_kib(pid)));
        }
    };
    let first = load::run(&plan(port, &steady, &sample));
    let _ = server.kill();
    let _ = server.wait();
    println!("1. {count} events into one server:");
    summarise(&first);
    println!("   resident memory every {SAMPLE_EVERY} events answered (RSS / peak, MiB):");
    if let Ok(samples) = samples.lock() {
        for (answered, rss, peak) in samples.iter() {
            println!(
                "   {answered:>6}: {:.1} / {:.1}",
                *rss as f64 / 1024.0,
                *peak as f64 / 1024.0
            );
        }
    }

    // 2. A shutdown half way, and a new server for the rest.
    let second_batch: Vec<String> = (count..2 * count)
        .map(|i| catalogue.expiry_event(i))
        .collect();
    let (mut server, port) = run.serve();
    let pid = server.id();
    let stop = Once::new();
    let stop_half_way = |answered: usize| {
        if answered >= count / 2 {
            stop.call_once(|| {
                let _ = Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
            });
        }
    };
    let before = load::run(&plan(port, &second_batch, &stop_half_way));
    let exit = server.wait().expect("the stopped server");
    let imported = stub.stats().effects.imported_findings;
    let finding_of = |i: usize| format!("{}/certwatch/expiry", catalogue.arn(count + i));
    let lost = load::handled_but_unanswered(&before, &imported, finding_of);
    let rest: Vec<String> = before
        .deliveries
        .iter()
        .zip(&second_batch)
        .filter(|(d, _)| !matches!(d, Delivery::Answered { status: 200, .. }))
        .map(|(_, e)| e.clone())
        .collect();
    let (mut server, port) = run.serve();
    let after = load::run(&plan(port, &rest, &|_| {}));
    let _ = server.kill();
    let _ = server.wait();
    println!(
        "\n2. {count} more; SIGTERM once {} were answered:",
        count / 2
    );
    summarise(&before);
    println!(
        "   the stopped server exited with {exit}; events it handled without answering: {}",
        lost.len()
    );
    println!(
        "   a new server, the {} events the first did not answer:",
        rest.len()
    );
    summarise(&after);

    let stats = stub.stats();
    let found: HashSet<&str> = stats
        .effects
        .imported_findings
        .iter()
        .map(String::as_str)
        .collect();
    let missing = (0..2 * count)
        .filter(|&i| !found.contains(format!("{}/certwatch/expiry", catalogue.arn(i)).as_str()))
        .count();
    println!(
        "\nthe stub: {} requests, {} faulted {:?}",
        stats.requests.values().sum::<u64>(),
        stats.faults.values().sum::<u64>(),
        stats.faults
    );
    println!(
        "events that ended with their finding: {} of {} (distinct findings {})",
        2 * count - missing,
        2 * count,
        stats.distinct_findings()
    );
    let _ = std::fs::remove_file(&cwasm);
    assert!(lost.is_empty() && missing == 0, "events were lost");
}

fn plan<'a>(
    port: u16,
    events: &'a [String],
    on_answered: &'a (dyn Fn(usize) + Sync),
) -> LoadPlan<'a> {
    LoadPlan {
        address: format!("127.0.0.1:{port}"),
        events,
        clients: CLIENTS,
        max_attempts: 10,
        keep_alive: false,
        on_answered,
    }
}

fn summarise(report: &LoadReport) {
    let mut fates = std::collections::BTreeMap::new();
    for delivery in &report.deliveries {
        let fate = match delivery {
            Delivery::Answered { status, .. } => status.to_string(),
            Delivery::NotAccepted { .. } => "not accepted".into(),
            Delivery::NoAnswer { .. } => "no answer".into(),
        };
        *fates.entry(fate).or_insert(0) += 1;
    }
    let latencies = &report.latencies;
    let at = |q: f64| {
        latencies
            .get(((latencies.len().max(1) - 1) as f64 * q) as usize)
            .copied()
            .unwrap_or_default()
            .as_secs_f64()
            * 1e3
    };
    println!(
        "   {} answered 200 in {:.2} s ({:.0} events/s); last answers {fates:?}; {} attempts sent again after a 5xx; attempt latency p50 {:.1} ms, p99 {:.1} ms",
        report.answered(200),
        report.took.as_secs_f64(),
        report.answered(200) as f64 / report.took.as_secs_f64(),
        report.resent(),
        at(0.5),
        at(0.99),
    );
}

impl Run<'_> {
    fn serve(&self) -> (Child, u16) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port")
            .port();
        let server = Command::new(self.binary)
            .arg("--component")
            .arg(self.cwasm)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_clear()
            .envs([
                ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
                ("AWS_SECRET_ACCESS_KEY", "load-secret"),
                ("AWS_REGION", "us-east-1"),
                ("AWS_ENDPOINT_URL", self.stub.url().as_str()),
                (
                    "SNS_TOPIC_ARN",
                    "arn:aws:sns:us-east-1:123456789012:certificate-expiry",
                ),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("certwatch serve");
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            std::thread::sleep(Duration::from_millis(20));
        }
        (server, port)
    }
}
