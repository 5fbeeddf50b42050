//! `certwatch`: handle EventBridge events with the responder component.

use anyhow::Context as _;
use certwatch::cache::ComponentCache;
use certwatch::code_target::CodeTarget;
use certwatch::credentials::CredentialSource;
use certwatch::lambda::RuntimeApi;
use certwatch::outcome::{self, ErrorKind, Outcome};
use certwatch::runtime::{Limits, Runtime};
use certwatch::serve::{ApiKey, ConnectionLimits, ServeOptions, serve};
use certwatch::setup::Live;
use clap::{Parser, Subcommand};
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

#[derive(Parser)]
#[command(
    version,
    about = "Responds to ACM certificate expiry events: finding in Security Hub, message on SNS."
)]
struct Cli {
    /// Run this component instead of the embedded one: a `.wasm` component, or a file written by
    /// `certwatch compile`.
    #[arg(long, global = true, env = "CERTWATCH_COMPONENT")]
    component: Option<PathBuf>,
    /// The most one event may take, in seconds.
    #[arg(long, global = true, default_value_t = 30)]
    deadline: u64,
    /// The most memory one component instance may use, in MiB.
    #[arg(long, global = true, default_value_t = 128)]
    memory_mib: usize,
    /// Write each outcome's CloudWatch Embedded Metric Format lines to standard error (Lambda
    /// always writes them, to standard output).
    #[arg(long, global = true, env = "CERTWATCH_EMF")]
    emf: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Handle one event against AWS with this environment's configuration and credentials.
    Run {
        /// The EventBridge event, as a JSON file, or `-` for standard input.
        event: PathBuf,
    },
    /// Replay fixtures offline: each must send exactly its recorded requests and end in its
    /// recorded outcome.
    Replay {
        /// Fixture folders, or folders holding them.
        #[arg(default_value = "events")]
        paths: Vec<PathBuf>,
        /// Print each fixture's requests and outcome.
        #[arg(long)]
        show: bool,
        /// Accept what the component sends and answers as the fixtures' new expectations.
        #[arg(long)]
        bless: bool,
    },
    /// Handle one event live and save it, with AWS's replies, as a replay fixture.
    Record {
        /// The EventBridge event, as a JSON file, or `-` for standard input.
        event: PathBuf,
        /// The fixture folder to write.
        #[arg(long)]
        out: PathBuf,
        /// What the fixture shows.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Precompile the embedded component for this host, for `--component`.
    Compile {
        #[arg(long)]
        output: PathBuf,
        /// Precompile for any Linux machine of this architecture, with none of this CPU's
        /// optional features: what a Lambda package carries (`x86_64-unknown-linux-gnu` or
        /// `aarch64-unknown-linux-gnu`, from either).
        #[arg(long)]
        target: Option<certwatch::code_target::Architecture>,
    },
    /// Serve events over HTTP: `POST /` an event, get its outcome; `GET /health`.
    Serve {
        /// The address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Events handled at once; more wait their turn.
        #[arg(long, default_value_t = 64)]
        max_concurrency: usize,
        /// Threads that take connections and handle events, each on its own event loop; the
        /// number of cores when not given.
        #[arg(long)]
        workers: Option<usize>,
        /// The largest event accepted, in bytes (EventBridge's own limit is 256 KiB).
        #[arg(long, default_value_t = 256 * 1024)]
        max_body_bytes: usize,
        /// Require this header on every request, with the value of `CERTWATCH_API_KEY`
        /// (`GET /health` aside, and `GET /metrics` unless `--metrics-api-key`).
        #[arg(long)]
        api_key_header: Option<http::HeaderName>,
        #[command(flatten)]
        connections: ConnectionFlags,
        /// Run the scheduled scan at start and then this often (`6h`, `30m`, `1h30m`), for
        /// `GET /metrics`; without it, no scan runs unless an event asks for one.
        #[arg(long, value_parser = certwatch::serve::interval::parse)]
        scan_every: Option<Duration>,
        /// Require the API key on `GET /metrics` too (open by default: scrapers rarely send
        /// one).
        #[arg(long, requires = "api_key_header")]
        metrics_api_key: bool,
    },
    /// Scan every certificate now, as the daily schedule does, and show what certwatch saw and
    /// did: exit 0 when the scan ran, 1 when it failed, 3 with `--fail-on-expiring` when a
    /// certificate is inside the window.
    Scan(certwatch::scan::ScanOptions),
    /// Write the embedded component (`.wasm`) to a file, for other WASI HTTP hosts.
    Component {
        #[arg(long)]
        output: PathBuf,
    },
    /// Serve the AWS Lambda Runtime API (`AWS_LAMBDA_RUNTIME_API`) as a custom runtime. A binary
    /// named `bootstrap`, started without arguments, does this by itself.
    Lambda,
}

/// `serve`'s limits on slow and abusive clients.
#[derive(clap::Args)]
struct ConnectionFlags {
    /// The most client connections open at once; past it a new one is answered 503 with
    /// Retry-After and closed. Default: 512, or fewer if the open-file limit leaves less room.
    #[arg(long)]
    max_connections: Option<usize>,
    /// Seconds a client has to send a request's head, from connecting or from its first byte.
    #[arg(long, default_value = "10", value_parser = seconds)]
    header_read_timeout: Duration,
    /// Seconds a client has to send a request's body once its head is in; then 408.
    #[arg(long, default_value = "30", value_parser = seconds)]
    body_read_timeout: Duration,
    /// Seconds a kept-alive connection may wait for its next request. Keep it above the idle
    /// timeout of a load balancer in front.
    #[arg(long, default_value = "60", value_parser = seconds)]
    keep_alive_timeout: Duration,
}

impl From<ConnectionFlags> for ConnectionLimits {
    fn from(flags: ConnectionFlags) -> Self {
        Self {
            max_connections: flags.max_connections,
            header_read: flags.header_read_timeout,
            body_read: flags.body_read_timeout,
            keep_alive: flags.keep_alive_timeout,
        }
    }
}

/// A timeout in seconds, fractions allowed (`0.5`); above zero.
fn seconds(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    match Duration::try_from_secs_f64(seconds) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        _ => Err(format!("`{text}` is not a timeout above zero seconds")),
    }
}

/// The precompiled component a Lambda package carries beside `bootstrap`.
const PACKAGED_COMPONENT: &str = "certwatch.cwasm";

fn main() -> ExitCode {
    init_logging();
    let cli = if started_as_lambda_bootstrap() {
        Cli::parse_from(["certwatch", "lambda"])
    } else {
        Cli::parse()
    };
    // One thread: every command but `serve` handles one event at a time, where one thread
    // saves the hand-offs between threads; `serve` runs an event loop per core of its own.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("certwatch: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("certwatch: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let limits = Limits {
        deadline: Duration::from_secs(cli.deadline),
        memory_bytes: cli.memory_mib * 1024 * 1024,
        // Serving keeps an instance ready for every event it may run at once, and one more
        // for the scan it runs itself (which takes no event's turn).
        instance_pool: match &cli.command {
            Command::Serve {
                max_concurrency,
                scan_every,
                ..
            } => u32::try_from((*max_concurrency).max(1) + usize::from(scan_every.is_some())).ok(),
            _ => None,
        },
    };
    let load = |lambda: bool| load_runtime(cli.component.as_deref(), lambda, limits);
    match cli.command {
        Command::Component { output } => {
            std::fs::write(&output, certwatch::runtime::PORTABLE_COMPONENT)
                .with_context(|| format!("writing {}", output.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Compile { output, target } => {
            let target = target.map_or(CodeTarget::ThisMachine, CodeTarget::AnyLinux);
            let bytes = wasm(Runtime::precompile_embedded(target))?;
            std::fs::write(&output, bytes)
                .with_context(|| format!("writing {}", output.display()))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Run { event } => {
            let event = match read_event(&event)? {
                Ok(event) => event,
                Err(outcome) => {
                    println!("{}", outcome::to_json(&outcome));
                    return Ok(exit_for(&outcome));
                }
            };
            let live = live().await?;
            let runtime = load(false)?;
            let outcome = match live.event().await {
                Ok(setup) => runtime.handle(&event, setup).await,
                Err(outcome) => outcome,
            };
            if cli.emf {
                certwatch::metrics::emit(&outcome, certwatch::metrics::Sink::Stderr);
            }
            println!("{}", outcome::to_json(&outcome));
            Ok(exit_for(&outcome))
        }
        Command::Record {
            event,
            out,
            description,
        } => {
            let event = read_event(&event)?
                .map_err(|outcome| anyhow::anyhow!("{}", outcome::to_json(&outcome)))?;
            let live = live().await?;
            let runtime = load(false)?;
            let outcome =
                certwatch::record::record(&runtime, event, &live, &out, description).await?;
            println!("{}", outcome::to_json(&outcome));
            eprintln!("recorded {}", out.display());
            Ok(exit_for(&outcome))
        }
        Command::Replay { paths, show, bless } => {
            let passed = certwatch::replay::replay_all(&load(false)?, &paths, show, bless).await?;
            Ok(if passed {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Scan(options) => {
            let live = live().await?;
            let runtime = load(false)?;
            let status = certwatch::scan::run(&runtime, live.event().await, &options).await?;
            Ok(ExitCode::from(status))
        }
        Command::Lambda => {
            let address = std::env::var("AWS_LAMBDA_RUNTIME_API")
                .context("AWS_LAMBDA_RUNTIME_API is not set: `certwatch lambda` runs inside Lambda or an emulator")?;
            let api = RuntimeApi::new(&address)?;
            let runtime = load(true)?;
            let vars: Vec<(String, String)> = std::env::vars().collect();
            certwatch::lambda::run(&runtime, &api, &vars).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            max_concurrency,
            workers,
            max_body_bytes,
            api_key_header,
            connections,
            scan_every,
            metrics_api_key,
        } => {
            let api_key = match api_key_header {
                Some(header) => {
                    let value = std::env::var("CERTWATCH_API_KEY")
                        .ok()
                        .filter(|v| !v.is_empty())
                        .context("--api-key-header needs the key in CERTWATCH_API_KEY")?;
                    Some(ApiKey { header, value })
                }
                None => None,
            };
            let live = live().await?;
            let options = ServeOptions {
                listen,
                workers: workers.unwrap_or_else(|| {
                    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
                }),
                max_concurrency,
                max_body_bytes,
                api_key,
                emf: cli.emf,
                connections: connections.into(),
                scan_every,
                metrics_api_key,
            };
            serve(Arc::new(load(false)?), options, live, shutdown_signal()).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The component to run: the one named with `--component`; on Lambda, the precompiled one
/// packaged beside `bootstrap` (Lambda has no writable home for a cache); else the embedded
/// one, from the user's cache, or compiled now and cached.
fn load_runtime(component: Option<&Path>, lambda: bool, limits: Limits) -> anyhow::Result<Runtime> {
    if let Some(path) = component {
        return wasm(Runtime::from_file(path, limits));
    }
    if let Some(path) = lambda.then(packaged_component).flatten() {
        match Runtime::from_file(&path, limits) {
            Ok(runtime) => {
                let compiled_at_start = runtime.compiled_at_start();
                tracing::info!(
                    path = %path.display(),
                    compiled_at_start,
                    "the packaged component is loaded"
                );
                return Ok(runtime);
            }
            // A packaged component that does not fit this build: compiling the embedded one
            // costs a few hundred milliseconds once, which beats not starting.
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "the packaged component does not load; compiling the embedded one")
            }
        }
    }
    let cache = ComponentCache::from_env(|name| std::env::var_os(name));
    wasm(Runtime::embedded(limits, cache.as_ref()))
}

/// What live events run with: the host's environment's settings, and the credentials and
/// region aws-config's default chains find.
async fn live() -> anyhow::Result<Live> {
    let found = CredentialSource::discover().await?;
    Ok(Live::new(std::env::vars(), found.source, found.region))
}

/// Logs to standard error, filtered by `CERTWATCH_LOG` (`tracing` syntax), else warnings only.
/// The AWS SDK's own crates (aws-config and what it runs on) are never logged, at any level:
/// their lines print what credential providers return and raw replies, keys and tokens
/// included. What certwatch says about credentials carries their errors' messages instead.
fn init_logging() {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let wanted = tracing_subscriber::EnvFilter::try_from_env("CERTWATCH_LOG")
        .unwrap_or_else(|_| "warn".into());
    let not_the_sdk =
        tracing_subscriber::filter::filter_fn(|metadata| !from_the_sdk(metadata.target()));
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                // Colour for a person at a terminal, never in a file or a log collector's pipe.
                .with_ansi(colour_on_stderr())
                .with_filter(wanted)
                .with_filter(not_the_sdk),
        )
        .init();
}

/// Standard error is a terminal and `NO_COLOR` is not set: as `scan` decides its colours.
fn colour_on_stderr() -> bool {
    let terminal = certwatch::scan::Terminal::detect();
    terminal.stderr && !terminal.no_colour
}

/// Whether a log line's target is one of the AWS SDK's crates (`aws_config`, `aws_smithy_*`,
/// `aws_sigv4`, `aws_runtime`, `aws_sdk_*`, …: all named `aws_`).
fn from_the_sdk(target: &str) -> bool {
    target.starts_with("aws_")
}

/// Ctrl-C or SIGTERM (what container platforms send before they stop a process).
async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
}

/// Lambda starts a custom runtime as `bootstrap`, without arguments.
fn started_as_lambda_bootstrap() -> bool {
    let mut args = std::env::args_os();
    let name = args.next().map(PathBuf::from);
    let is_bootstrap = name
        .as_deref()
        .and_then(Path::file_name)
        .is_some_and(|n| n == "bootstrap");
    is_bootstrap && args.next().is_none()
}

/// `certwatch.cwasm` beside the executable, if the package has one.
fn packaged_component() -> Option<PathBuf> {
    let path = std::env::current_exe()
        .ok()?
        .parent()?
        .join(PACKAGED_COMPONENT);
    path.exists().then_some(path)
}

/// wasmtime's errors, with their causes, as the binary's errors.
fn wasm<T>(result: wasmtime::Result<T>) -> anyhow::Result<T> {
    result.map_err(|e| anyhow::anyhow!("{e:?}"))
}

fn exit_for(outcome: &Outcome) -> ExitCode {
    if outcome.is_error() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The event's text. A file that cannot be read is an error of the command; bytes that are
/// not UTF-8 are an event that ends in its own error outcome.
fn read_event(path: &Path) -> anyhow::Result<Result<String, Outcome>> {
    // Far more than any event may be (the component refuses over 256 KiB), but bounded.
    const READ_LIMIT: u64 = 1024 * 1024;
    let mut bytes = Vec::new();
    if path == Path::new("-") {
        std::io::stdin()
            .take(READ_LIMIT)
            .read_to_end(&mut bytes)
            .context("reading the event from standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|file| file.take(READ_LIMIT).read_to_end(&mut bytes))
            .with_context(|| format!("reading {}", path.display()))?;
    }
    Ok(String::from_utf8(bytes).map_err(|e| {
        Outcome::failure(
            ErrorKind::MalformedEvent,
            format!("the event is not UTF-8 text: {e}"),
            false,
        )
    }))
}
