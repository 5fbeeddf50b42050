//! `certwatch-stub`: the stub AWS as a process, for trying certwatch locally or loading it.
//! `GET /stub/stats` answers what it has seen, `GET /stub/messages` the messages its SQS took.

use anyhow::Context as _;
use certwatch_stub::accounts::Members;
use certwatch_stub::catalogue::Catalogue;
use certwatch_stub::fault::FaultRule;
use certwatch_stub::{Stub, StubConfig};
use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;

/// A stand-in for ACM, Security Hub, SNS and STS on loopback, with injected latency and faults.
#[derive(Parser)]
#[command(version)]
struct Args {
    #[arg(long, default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// Milliseconds every reply waits.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Certificates ListCertificates lists; certificate i expires in i % days-spread days.
    #[arg(long, default_value_t = 0)]
    certificates: usize,
    #[arg(long, default_value_t = 90)]
    days_spread: u64,
    /// Leave NotAfter out of the listing, so every certificate must be described.
    #[arg(long)]
    summaries_lack_expiry: bool,
    /// Member accounts (ids 200000000000 and up) whose role STS lets certwatch assume, each
    /// holding the same certificates in every region.
    #[arg(long, default_value_t = 0)]
    members: usize,
    #[arg(long, default_value = "certwatch-member")]
    member_role_name: String,
    /// A scripted fault, `<operation or *>=<fault>[*<times>]`, e.g. `Publish=503*2`.
    #[arg(long = "fault")]
    faults: Vec<FaultRule>,
    /// The share of other requests that get a random fault.
    #[arg(long, default_value_t = 0.0)]
    random_fault_rate: f64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[arg(long, default_value_t = 1)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let stub = Stub::start(StubConfig {
        listen: Some(args.listen),
        latency: Duration::from_millis(args.latency_ms),
        catalogue: Catalogue {
            certificates: args.certificates,
            days_spread: args.days_spread,
            summaries_lack_expiry: args.summaries_lack_expiry,
            ..Catalogue::default()
        },
        members: Members {
            count: args.members,
            role_name: args.member_role_name,
        },
        faults: args.faults,
        random_fault_rate: args.random_fault_rate,
        seed: args.seed,
        threads: args.threads,
        findings: Vec::new(),
    })
    .with_context(|| format!("listening on {}", args.listen))?;
    eprintln!("certwatch-stub listening on {}", stub.url());
    loop {
        std::thread::park();
    }
}
