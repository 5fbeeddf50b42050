//! What the component is allowed to reach.

use crate::support::runtime;

#[test]
fn the_component_imports_only_what_it_needs() {
    let imports = runtime().component_imports();
    let interface = |name: &str| name.split('@').next().unwrap_or(name).to_owned();
    let allowed = |name: &str| {
        let interface = interface(name);
        matches!(
            interface.as_str(),
            "wasi:http/types"
                | "wasi:http/outgoing-handler"
                | "wasi:io/error"
                | "wasi:io/poll"
                | "wasi:io/streams"
                | "wasi:clocks/wall-clock"
                | "wasi:clocks/monotonic-clock"
                | "wasi:random/random"
                | "wasi:random/insecure-seed"
                | "wasi:cli/environment"
                | "wasi:cli/exit"
                | "wasi:cli/stderr"
                // certwatch's own host's, for a scan's progress line; the portable component
                // (`certwatch component`) does not import it.
                | "certwatch:responder/progress"
        ) ||
            // Linked by the runtime libraries (std's and wstd's stdio), never called by
            // certwatch; the host connects stdin to nothing and keeps stdout in memory.
            matches!(interface.as_str(), "wasi:cli/stdin" | "wasi:cli/stdout")
            || interface.starts_with("wasi:cli/terminal-")
    };
    let extra: Vec<_> = imports.iter().filter(|name| !allowed(name)).collect();
    assert!(
        extra.is_empty(),
        "the component imports more than it needs: {extra:?}"
    );
    assert!(
        !imports
            .iter()
            .any(|name| name.starts_with("wasi:filesystem") || name.starts_with("wasi:sockets")),
        "the component must reach no files and no sockets: {imports:?}"
    );
    for needed in [
        "wasi:http/outgoing-handler",
        "wasi:clocks/wall-clock",
        "wasi:cli/environment",
    ] {
        assert!(
            imports.iter().any(|name| name.starts_with(needed)),
            "{needed} missing from {imports:?}"
        );
    }
}

/// The hostile test component (`host/tests/hostile-guest`), built once per test run.
/// The hostile component, its instances allocated on demand (`run`, Lambda) or pooled (`serve`).
fn hostile_runtime(pooled: bool) -> &'static certwatch::runtime::Runtime {
    static RUNTIMES: [std::sync::OnceLock<certwatch::runtime::Runtime>; 2] =
        [std::sync::OnceLock::new(), std::sync::OnceLock::new()];
    RUNTIMES[usize::from(pooled)].get_or_init(|| {
        let root = crate::support::repo_root();
        let target_dir = root.join("target/guest-build");
        let status =
            std::process::Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(&root)
                .args([
                    "build",
                    "--locked",
                    "--package",
                    "certwatch-hostile-guest",
                    "--target",
                    "wasm32-wasip2",
                    "--profile",
                    "guest",
                ])
                .arg("--target-dir")
                .arg(&target_dir)
                .env_remove("CARGO_ENCODED_RUSTFLAGS")
                .env_remove("RUSTFLAGS")
                .status()
                .expect("building the hostile component");
        assert!(status.success(), "the hostile component did not build");
        let wasm = target_dir.join("wasm32-wasip2/guest/certwatch_hostile_guest.wasm");
        let limits = certwatch::runtime::Limits {
            deadline: std::time::Duration::from_secs(2),
            memory_bytes: 64 * 1024 * 1024,
            instance_pool: pooled.then_some(4),
        };
        certwatch::runtime::Runtime::from_file(&wasm, limits)
            .expect("loading the hostile component")
    })
}

/// Runs one attempt as `certwatch run` would: live, under the outbound policy for us-east-1.
async fn attempt(runtime: &certwatch::runtime::Runtime, what: &str) -> certwatch::outcome::Outcome {
    use certwatch::outbound::Route;
    use certwatch::policy::OutboundPolicy;
    use certwatch::runtime::EventSetup;
    use certwatch::sandbox::Determinism;
    let policy = std::sync::Arc::new(OutboundPolicy::new(
        [certwatch_contract::Partition::Aws],
        [],
    ));
    let env = vec![("EXPIRY_DAYS".to_owned(), "45".to_owned())];
    let setup = EventSetup {
        env,
        determinism: Determinism::Real,
        route: Route::Live(policy),
        deadline: None,
        own_account: None,
    };
    runtime.handle(what, setup).await
}

fn reason(outcome: &certwatch::outcome::Outcome) -> String {
    match outcome {
        certwatch::outcome::Outcome::NotHandled(ignored) => ignored.reason.clone(),
        other => panic!("the attempt was not reported: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sandbox_stops_what_a_hostile_component_tries_and_goes_on() {
    for pooled in [false, true] {
        stops_what_a_hostile_component_tries(hostile_runtime(pooled)).await;
    }
}

async fn stops_what_a_hostile_component_tries(runtime: &certwatch::runtime::Runtime) {
    use certwatch::outcome::Outcome;
    let network = reason(&attempt(runtime, "network").await);
    assert!(network.contains("HttpRequestDenied"), "{network}");
    assert!(!network.contains("reached it"), "{network}");

    let files = reason(&attempt(runtime, "files").await);
    assert!(files.starts_with("no file"), "{files}");

    // Only what the host hands over; nothing of the host's own environment.
    assert_eq!(reason(&attempt(runtime, "env").await), "EXPIRY_DAYS");

    let started = std::time::Instant::now();
    let looped = attempt(runtime, "loop").await;
    assert!(
        matches!(&looped, Outcome::Error(f) if f.kind == certwatch::outcome::ErrorKind::Deadline),
        "{looped:?}"
    );
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the endless loop was not stopped in time"
    );

    let hoarded = attempt(runtime, "allocate").await;
    assert!(
        matches!(&hoarded, Outcome::Error(f) if f.kind == certwatch::outcome::ErrorKind::Trap),
        "{hoarded:?}"
    );

    // The host goes on with the next event, in a fresh instance.
    assert_eq!(reason(&attempt(runtime, "nothing").await), "nothing tried");
}
