//! certwatch's performance figures, measured side by side in one run (`cargo bench -p
//! certwatch --bench figures`). What each figure means and the latest results: BENCHMARKS.md.
//!
//! Everything runs against certwatch-stub on 127.0.0.1, which answers after an injected delay
//! `r`, so the figures measure certwatch, not the network.

mod common;

use certwatch::fixture::{Fixture, RecordedRequest};
use certwatch::outbound::{Cassette, Reply, Route};
use certwatch::policy::OutboundPolicy;
use certwatch::runtime::{EventSetup, Limits, Runtime};
use certwatch::sandbox::Determinism;
use certwatch_stub::catalogue::Catalogue;
use certwatch_stub::load::{self, LoadPlan};
use certwatch_stub::operation::Operation;
use certwatch_stub::{Stub, StubConfig};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const REGION: &str = "us-east-1";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:certificate-expiry";

/// A figure's name, and what measures it.
type Figure = (&'static str, fn(&Bench));

struct Bench {
    quick: bool,
    rounds: usize,
    /// `--accounts N`: the organization scan's member accounts.
    accounts: Option<usize>,
    root: PathBuf,
    tmp: PathBuf,
    binary: PathBuf,
    cwasm: PathBuf,
    tokio: tokio::runtime::Runtime,
}

fn main() {
    common::serve_as_stub_if_asked();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    // `--rounds N` overrides the count, e.g. for a long run under a profiler.
    let rounds = args.iter().position(|a| a == "--rounds").map(|i| {
        args.get(i + 1)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .expect("--rounds takes a whole number above 0")
    });
    let accounts = args.iter().position(|a| a == "--accounts").map(|i| {
        args.get(i + 1)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .expect("--accounts takes a whole number above 0")
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_owned();
    let tmp = std::env::temp_dir().join(format!("certwatch-bench-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("a temporary folder");
    let binary = Path::new(env!("CARGO_BIN_EXE_certwatch")).to_owned();
    let cwasm = common::precompiled(&binary, &tmp);
    let bench = Bench {
        quick,
        rounds: rounds.unwrap_or(if quick { 5 } else { 25 }),
        accounts,
        root,
        tmp,
        binary,
        cwasm,
        // One thread, as `certwatch run` has.
        tokio: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio"),
    };
    println!(
        "certwatch figures ({} rounds each; median [p10–p90])\n",
        bench.rounds
    );
    println!(
        "guest .wasm size: {} bytes ({:.2} MB)",
        certwatch::runtime::EMBEDDED_COMPONENT.len(),
        certwatch::runtime::EMBEDDED_COMPONENT.len() as f64 / 1e6
    );
    // `cargo bench --bench figures -- serve scan` measures only the figures named.
    let named: Vec<String> = args
        .iter()
        .filter(|a| !a.starts_with('-') && a.parse::<usize>().is_err())
        .cloned()
        .collect();
    let figures: [Figure; 10] = [
        ("default-start", Bench::default_start),
        ("cold-start", Bench::cold_start),
        ("lambda-init", Bench::lambda_init),
        ("per-event", Bench::per_event),
        ("guest-logic", Bench::guest_logic),
        ("latency", Bench::latency),
        ("serve", Bench::serve),
        ("scan", Bench::scan),
        ("org-scan", Bench::org_scan),
        ("fan-out", Bench::fan_out),
    ];
    for (name, figure) in figures {
        if named.is_empty() || named.iter().any(|n| n == name) {
            figure(&bench);
        }
    }
    let _ = std::fs::remove_dir_all(&bench.tmp);
}

impl Bench {
    /// A new process handles one event: precompiled component vs. compiling it at start.
    fn cold_start(&self) {
        let stub = stub(Duration::ZERO, Catalogue::default());
        let event_file = self.tmp.join("event.json");
        std::fs::write(&event_file, Catalogue::default().expiry_event(1)).expect("the event");
        let run_with = |binary: &Path, component: Option<&Path>| {
            let mut command = Command::new(binary);
            if let Some(path) = component {
                command.arg("--component").arg(path);
            }
            // Without the start-up cache (session 7's figure has it): each start without
            // `--component` compiles.
            command
                .arg("run")
                .arg(&event_file)
                .env_clear()
                .envs(settings(&stub.url()))
                .env("CERTWATCH_CACHE_DIR", "")
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            let started = Instant::now();
            let status = command.status().expect("certwatch run");
            assert!(status.success(), "certwatch run failed against the stub");
            started.elapsed()
        };
        let run = |component: Option<&Path>| run_with(&self.binary, component);
        let version = measure(self.rounds, || {
            let started = Instant::now();
            Command::new(&self.binary)
                .arg("--version")
                .stdout(Stdio::null())
                .status()
                .expect("certwatch --version");
            started.elapsed()
        });
        let precompiled = measure(self.rounds, || run(Some(&self.cwasm)));
        let compiled = measure(self.rounds.min(10), || run(None));
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
        // `CERTWATCH_BENCH_BASELINE`: the other build's cold start, in turns with this one's.
        if let Some(baseline) = std::env::var_os("CERTWATCH_BENCH_BASELINE").map(PathBuf::from) {
            let baseline_cwasm = common::precompiled(&baseline, &self.tmp);
            let (mut this, mut other) = (Vec::new(), Vec::new());
            for _ in 0..self.rounds {
                this.push(run(Some(&self.cwasm)));
                other.push(run_with(&baseline, Some(&baseline_cwasm)));
            }
            let (this, other) = (summarise(this), summarise(other));
            println!(
                "  precompiled, in turns: this build {}, baseline {}   this/baseline = {:.2}×",
                show(&this),
                show(&other),
                ratio(&this, &other)
            );
        }
    }

    /// A new process handles one event against the stub, start to exit, as a person runs it:
    /// the seed's Python, `certwatch run` with its cache empty and warm, and `--component`,
    /// in turns.
    fn default_start(&self) {
        let stub = stub(Duration::ZERO, Catalogue::default());
        let event_file = self.tmp.join("default-start-event.json");
        std::fs::write(&event_file, Catalogue::default().expiry_event(1)).expect("the event");
        let home = self.tmp.join("default-start-home");
        std::fs::create_dir_all(&home).expect("a home");
        // Each process gets the stub's settings and a home of its own, and nothing else.
        let fresh = |program: &Path| {
            let mut command = Command::new(program);
            command
                .env_clear()
                .envs(settings(&stub.url()))
                .env("HOME", &home)
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            command
        };
        let timed = |mut command: Command, what: &str| {
            let started = Instant::now();
            let status = command.status().expect(what);
            let took = started.elapsed();
            assert!(status.success(), "{what} failed against the stub");
            took
        };
        let certwatch = |cache: &Path, component: Option<&Path>| {
            let mut command = fresh(&self.binary);
            if let Some(path) = component {
                command.arg("--component").arg(path);
            }
            command
                .arg("run")
                .arg(&event_file)
                .env("XDG_CACHE_HOME", cache);
            timed(command, "certwatch run")
        };
        let seed = seed_python(&self.root);
        let script = self
            .root
            .join("host/benches/seed/handle_expiring_certificates.py");
        let python = |interpreter: &Path| {
            let mut command = fresh(interpreter);
            // boto3 reads the region from AWS_DEFAULT_REGION (Lambda sets both).
            command
                .arg(&script)
                .arg(&event_file)
                .env("AWS_DEFAULT_REGION", REGION);
            timed(command, "the seed's Python")
        };
        let warm = self.tmp.join("default-start-warm-cache");
        certwatch(&warm, None);
        let (mut first, mut later, mut named, mut seeds) = (vec![], vec![], vec![], vec![]);
        for round in 0..self.rounds {
            // A cache of its own for every first run, so each one finds it empty.
            let empty = self.tmp.join(format!("default-start-empty-{round}"));
            if round < self.rounds.min(10) {
                first.push(certwatch(&empty, None));
                let _ = std::fs::remove_dir_all(&empty);
            }
            later.push(certwatch(&warm, None));
            named.push(certwatch(&empty, Some(&self.cwasm)));
            if let Ok(interpreter) = &seed {
                seeds.push(python(interpreter));
            }
        }
        // The seed made its four calls each time (only it asks DescribeHub).
        let asked = stub.stats().requests_of(Operation::DescribeHub);
        assert_eq!(asked, seeds.len() as u64, "the seed's calls");
        let [first, later, named, seeds] = [first, later, named, seeds].map(summarise);
        println!("\nthe default start, process start → exit, one event against the stub (r = 0):");
        match &seed {
            Ok(_) => println!(
                "  the seed's Python (boto3)                 {}",
                show(&seeds)
            ),
            Err(why) => println!("  the seed's Python: not measured ({why})"),
        }
        println!(
            "  certwatch run, first run (cache empty)    {}",
            show(&first)
        );
        println!(
            "  certwatch run, later runs (cache warm)    {}",
            show(&later)
        );
        println!(
            "  certwatch run --component <cwasm>         {}",
            show(&named)
        );
        if seed.is_ok() {
            println!(
                "  seed / warm = {:.1}× (target ≥ 50×); seed / first = {:.2}×; warm / --component = {:.2}×",
                ratio(&seeds, &later),
                ratio(&seeds, &first),
                ratio(&later, &named)
            );
        }
    }

    /// One event in process, replies from memory: the component (with either allocator) and
    /// the same guest code compiled natively, answered through the same cassette.
    fn per_event(&self) {
        let fixture =
            Fixture::load(&self.root.join("events/in-window")).expect("the in-window fixture");
        let env = {
            let mut env = certwatch::environment::settings(fixture.replay.env.clone());
            env.extend(certwatch::environment::replay_credentials().to_env());
            env
        };
        let now = certwatch::replay::parse_now(&fixture.replay.now).expect("now");
        let on_demand = Runtime::from_file(&self.cwasm, Limits::default()).expect("runtime");
        let pooled = Runtime::from_file(
            &self.cwasm,
            Limits {
                instance_pool: Some(16),
                ..Limits::default()
            },
        )
        .expect("pooled runtime");
        // What a Lambda package carries: code for any machine of this architecture.
        let any_machine = {
            let architecture = certwatch::code_target::Architecture::this_machine()
                .expect("an x86_64 or aarch64 Linux machine");
            let path =
                common::precompiled_for(&self.binary, &self.tmp, Some(architecture.triple()));
            Runtime::from_file(&path, Limits::default()).expect("runtime")
        };
        let event = |runtime: &Runtime| {
            let setup = EventSetup {
                env: env.clone(),
                determinism: Determinism::Pinned { now },
                route: Route::Replay(Arc::new(Mutex::new(Cassette::new(
                    fixture.replay.exchanges.clone(),
                    false,
                )))),
                deadline: None,
                own_account: None,
            };
            let started = Instant::now();
            let outcome = self.tokio.block_on(runtime.handle(&fixture.event, setup));
            let took = started.elapsed();
            assert!(!outcome.is_error(), "{outcome:?}");
            took
        };
        let instance_only = |runtime: &Runtime| {
            let started = Instant::now();
            let checked = self.tokio.block_on(runtime.check_configuration(EventSetup {
                env: env.clone(),
                determinism: Determinism::Real,
                route: Route::Refuse,
                deadline: None,
                own_account: None,
            }));
            let took = started.elapsed();
            assert!(checked.is_ok(), "{checked:?}");
            took
        };
        let n = self.rounds * 8;
        // Interleaved, so drift on a noisy machine hits every figure alike.
        let (mut a, mut b, mut c, mut d, mut e, mut f) =
            (vec![], vec![], vec![], vec![], vec![], vec![]);
        for _ in 0..=n {
            a.push(event(&on_demand));
            b.push(event(&pooled));
            c.push(instance_only(&on_demand));
            d.push(instance_only(&pooled));
            e.push(native_event(&fixture));
            f.push(event(&any_machine));
        }
        let [a, b, c, d, e, f] = [a, b, c, d, e, f].map(|mut v| {
            v.remove(0); // warm-up
            v.sort();
            v
        });
        println!(
            "\nper event, fresh instance + decision + finding + message + 4 signed requests, replies from memory:"
        );
        println!("  component, instances allocated on demand {}", show(&a));
        println!(
            "  component, pooling allocator             {}   pooled/on-demand = {:.2}×",
            show(&b),
            ratio(&b, &a)
        );
        println!(
            "  component, code for any machine of this architecture (the Lambda package's) {}   /this CPU's = {:.2}×",
            show(&f),
            ratio(&f, &a)
        );
        println!("  instance + configuration check only:");
        println!("    on demand                              {}", show(&c));
        println!("    pooled                                 {}", show(&d));
        println!("  the same guest code, native, same cassette {}", show(&e));
        let logic = |event: &[Duration], instance: &[Duration]| {
            median(event).saturating_sub(median(instance)).as_secs_f64() / median(&e).as_secs_f64()
        };
        println!(
            "  component/native, whole event = {:.2}×; event − instance = {:.2}× (on demand), {:.2}× (pooled)",
            ratio(&a, &e),
            logic(&a, &c),
            logic(&b, &d)
        );
    }

    /// The guest's own code alone, the very same code natively and in a component: the
    /// responder driven from memory (`host/benches/logic-guest`), no instance per event, no
    /// `wasi:http`, no host. One call handles the event `1` and `1 + K` times; the difference
    /// over K is one event's logic, instantiation and the call's set-up cancelling out.
    fn guest_logic(&self) {
        const K: u32 = 20;
        let fixture =
            &Fixture::load(&self.root.join("events/in-window")).expect("the in-window fixture");
        let wasm = logic_component(&self.root);
        let runtime = Runtime::from_file(&wasm, Limits::default()).expect("the logic component");
        let bundle = |rounds: u32| logic_bundle(fixture, rounds);
        let (once, many) = (bundle(1), bundle(1 + K));
        let in_component = |text: &str| {
            let setup = EventSetup {
                env: vec![],
                determinism: Determinism::Pinned {
                    now: certwatch::replay::parse_now(&fixture.replay.now).expect("now"),
                },
                route: Route::Refuse,
                deadline: None,
                own_account: None,
            };
            let started = Instant::now();
            let outcome = self.tokio.block_on(runtime.handle(text, setup));
            let took = started.elapsed();
            match outcome {
                certwatch::outcome::Outcome::NotHandled(i) if i.reason.starts_with("handled") => {}
                other => panic!("the logic component failed: {other:?}"),
            }
            took
        };
        // Natively twice, each built as the component is (fat LTO, one codegen unit) and run in
        // a process of its own: at opt-level 3, as a native build would ship; and at the
        // guest's own levels, to tell the guest's build settings apart from the rest of the gap
        // (wasm and Cranelift, the runtime's checks, the CPU's SHA extensions, the allocators).
        let native = |binary: &Path| {
            let mut child = Command::new(binary)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .expect("starting the native logic");
            std::io::Write::write_all(
                &mut child.stdin.take().expect("its standard input"),
                many.as_bytes(),
            )
            .expect("handing it the bundle");
            let output = child.wait_with_output().expect("the native logic");
            assert!(output.status.success(), "the native logic failed");
            let nanos: u64 = String::from_utf8_lossy(&output.stdout)
                .trim()
                .parse()
                .expect("nanoseconds a round");
            Duration::from_nanos(nanos)
        };
        let optimised = native_logic(&self.root, "native-logic");
        let at_guest_levels = native_logic(&self.root, "native-logic-guest-levels");
        let n = self.rounds * 4;
        let (mut w, mut v, mut u) = (vec![], vec![], vec![]);
        for _ in 0..=n {
            let short = in_component(&once);
            let long = in_component(&many);
            w.push(long.saturating_sub(short) / K);
            v.push(native(&optimised));
            u.push(native(&at_guest_levels));
        }
        let [w, v, u] = [w, v, u].map(|mut samples| {
            samples.remove(0); // warm-up
            samples.sort();
            samples
        });
        println!(
            "\nthe guest's logic alone: event, decision, finding, message, 4 signatures, reading the replies; from memory:"
        );
        println!(
            "  in the component                               {}",
            show(&w)
        );
        println!(
            "  the same code, native (opt-level 3)            {}",
            show(&v)
        );
        println!(
            "  the same code, native, at the guest's levels   {}",
            show(&u)
        );
        println!(
            "  component/native = {:.2}× (against opt-level 3; {:.2}× against the guest's levels)",
            ratio(&w, &v),
            ratio(&w, &u)
        );
    }

    /// Two round trips, not four.
    fn latency(&self) {
        let runtime = Runtime::from_file(&self.cwasm, Limits::default()).expect("runtime");
        let event = Catalogue::default().expiry_event(1);
        for delay in [Duration::from_millis(20), Duration::from_millis(50)] {
            let slow = stub(delay, Catalogue::default());
            let rtt = self.round_trip(delay);
            let policy = Arc::new(OutboundPolicy::new(
                [certwatch_contract::Partition::Aws],
                [slow.url().as_str()],
            ));
            let env = settings(&slow.url());
            let latency = measure(self.rounds, || {
                let setup = EventSetup {
                    env: env.clone(),
                    determinism: Determinism::Real,
                    route: Route::Live(policy.clone()),
                    deadline: None,
                    own_account: None,
                };
                let started = Instant::now();
                let outcome = self.tokio.block_on(runtime.handle(&event, setup));
                assert!(!outcome.is_error(), "{outcome:?}");
                started.elapsed()
            });
            println!(
                "\nevent latency, stub delay {delay:?} (r, one request's round trip as measured = {:.2} ms): {}   = {:.2} r (4 calls in sequence would be 4 r)",
                rtt.as_secs_f64() * 1e3,
                show(&latency),
                median(&latency).as_secs_f64() / rtt.as_secs_f64()
            );
        }
    }

    /// `certwatch serve` under 32 clients; throughput and peak memory.
    fn serve(&self) {
        // `CERTWATCH_BENCH_BASELINE=path/to/another/certwatch` measures that build too, in
        // turns with this one, so a change to the server is judged side by side.
        let baseline = std::env::var_os("CERTWATCH_BENCH_BASELINE").map(PathBuf::from);
        let count = if self.quick { 2_000 } else { 10_000 };
        println!("\nserve, 32 clients, stub r = 0, {count} events each way:");
        let mut kept_rates: Vec<(String, f64)> = Vec::new();
        let turns = if baseline.is_some() { 2 } else { 1 };
        for _ in 0..turns {
            for (name, binary) in baseline
                .iter()
                .map(|b| ("baseline", b))
                .chain([("this build", &self.binary)])
            {
                let rate = self.serve_with(binary, name, count);
                kept_rates.push((name.to_owned(), rate));
            }
        }
        if baseline.is_some() {
            let mean = |who: &str| {
                let rates: Vec<f64> = kept_rates
                    .iter()
                    .filter(|(n, _)| n == who)
                    .map(|(_, r)| *r)
                    .collect();
                rates.iter().sum::<f64>() / rates.len() as f64
            };
            println!(
                "  kept alive, this build / baseline = {:.2}× (mean of {turns} turns each)",
                mean("this build") / mean("baseline")
            );
        }
    }

    /// One server from `binary`, measured with a new connection per event and with connections
    /// kept alive; returns the kept-alive rate.
    fn serve_with(&self, binary: &Path, name: &str, count: usize) -> f64 {
        let catalogue = Catalogue {
            days_spread: 45,
            ..Catalogue::default()
        };
        let stub = common::StubProcess::start();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a port")
            .port();
        // Each build runs the component it precompiled itself: another's is refused.
        let cwasm = match binary == self.binary {
            true => self.cwasm.clone(),
            false => common::precompiled(binary, &self.tmp),
        };
        let mut server = Command::new(binary)
            .arg("--component")
            .arg(&cwasm)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env_clear()
            .envs(settings(&stub.url))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("certwatch serve");
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.try_wait() {
                panic!("{name}'s certwatch serve ended before it listened: {status}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let post = |events: &[String], keep_alive: bool| {
            load::run(&LoadPlan {
                address: format!("127.0.0.1:{port}"),
                events,
                clients: 32,
                max_attempts: 1,
                keep_alive,
                on_answered: &|_| {},
            })
        };
        // Steady state: the first thousand events (connections, pooled instances) are not
        // counted.
        let events = |from: usize, n: usize| -> Vec<String> {
            (from..from + n)
                .map(|i| catalogue.expiry_event(i))
                .collect()
        };
        post(&events(2 * count, 1_000), false);
        let fresh = post(&events(0, count), false);
        let kept = post(&events(count, count), true);
        let rss = common::peak_rss_kib(server.id());
        let _ = server.kill();
        let _ = server.wait();
        println!("  {name}: peak RSS {:.1} MiB", rss as f64 / 1024.0);
        let mut kept_rate = 0.0;
        for (how, report) in [
            ("a new connection per event", &fresh),
            ("connections kept alive", &kept),
        ] {
            let ok = report.answered(200);
            let rate = ok as f64 / report.took.as_secs_f64();
            println!(
                "    {how:<27} {ok} answered 200 in {:.2} s = {rate:.0} events/s; latency {}",
                report.took.as_secs_f64(),
                show(&report.latencies),
            );
            kept_rate = rate;
        }
        kept_rate
    }

    /// A scheduled scan of 10,000 certificates whose listing lacks the expiry, so each one is
    /// described: ceil(10,000 / c) round trips at best.
    fn scan(&self) {
        let runtime = Runtime::from_file(&self.cwasm, Limits::default()).expect("runtime");
        let certificates = 10_000;
        let runs: &[(usize, u64)] = if self.quick {
            &[(64, 20)]
        } else {
            &[(16, 20), (64, 20), (64, 50)]
        };
        for &(concurrency, delay_ms) in runs {
            let delay = Duration::from_millis(delay_ms);
            let rtt = self.round_trip(delay);
            let catalogue = Catalogue {
                certificates,
                summaries_lack_expiry: true,
                ..Catalogue::default()
            };
            let stub = stub(delay, catalogue);
            let policy = Arc::new(OutboundPolicy::new(
                [certwatch_contract::Partition::Aws],
                [stub.url().as_str()],
            ));
            let mut env = settings(&stub.url());
            env.push(("SCAN_CONCURRENCY".into(), concurrency.to_string()));
            let setup = EventSetup {
                env,
                determinism: Determinism::Real,
                route: Route::Live(policy),
                deadline: Some(Duration::from_secs(600)),
                own_account: None,
            };
            let started = Instant::now();
            let outcome = self
                .tokio
                .block_on(runtime.handle(&scheduled_event(), setup));
            let took = started.elapsed();
            assert!(!outcome.is_error(), "{outcome:?}");
            let stats = stub.stats();
            assert_eq!(
                stats.requests_of(Operation::DescribeCertificate),
                certificates as u64
            );
            let floor = certificates.div_ceil(concurrency) as f64 * rtt.as_secs_f64();
            println!(
                "\nscan of {certificates} certificates, c = {concurrency}, stub delay {delay:?} (r as measured = {:.2} ms): {:.2} s = {:.3} × ceil(10,000 / c) · r (target ≤ 1.2); {} requests, {} findings imported, {} digest messages",
                rtt.as_secs_f64() * 1e3,
                took.as_secs_f64(),
                took.as_secs_f64() / floor,
                stats.requests.values().sum::<u64>(),
                stats.effects.imported_findings.len(),
                stats.effects.published.len()
            );
        }
    }
}

impl Bench {
    /// A Lambda init, as Lambda starts `bootstrap` (without arguments): from its start to its
    /// first `GET /runtime/invocation/next` on a loopback Runtime API, so the component is
    /// loaded and the configuration checked. With the package's `certwatch.cwasm`
    /// (`certwatch compile --target`, for any machine of the architecture), with one
    /// precompiled for this machine's CPU, and with none (compiled at init). The arm64
    /// package's, where its test built it, under qemu-aarch64.
    fn lambda_init(&self) {
        let architecture = certwatch::code_target::Architecture::this_machine()
            .expect("an x86_64 or aarch64 Linux machine");
        let package = |name: &str, cwasm: Option<&Path>| {
            let dir = self.tmp.join(format!("lambda-{name}"));
            std::fs::create_dir_all(&dir).expect("a package folder");
            std::fs::copy(&self.binary, dir.join("bootstrap")).expect("bootstrap");
            if let Some(cwasm) = cwasm {
                std::fs::copy(cwasm, dir.join("certwatch.cwasm")).expect("certwatch.cwasm");
            }
            dir.join("bootstrap")
        };
        let for_any_machine =
            common::precompiled_for(&self.binary, &self.tmp, Some(architecture.triple()));
        let any_machine = package("any", Some(&for_any_machine));
        let this_machine = package("this", Some(&self.cwasm));
        let none = package("none", None);
        let init = |bootstrap: &Path, qemu: bool| {
            let mut command = match qemu {
                false => Command::new(bootstrap),
                true => {
                    let mut command = Command::new("qemu-aarch64-static");
                    command
                        .arg("-L")
                        .arg("/usr/aarch64-linux-gnu")
                        .arg(bootstrap);
                    command
                }
            };
            lambda_init_once(&mut command)
        };
        let rounds = self.rounds.min(15);
        let any = measure(rounds, || init(&any_machine, false));
        let this = measure(rounds, || init(&this_machine, false));
        let compiled = measure(rounds.min(10), || init(&none, false));
        println!(
            "\nLambda init, bootstrap start → first /next (component loaded, configuration checked):"
        );
        println!(
            "  {architecture}, package's component (any {architecture})   {}",
            show(&any)
        );
        println!(
            "  {architecture}, component for this machine's CPU      {}   {:.2}× the package's",
            show(&this),
            ratio(&this, &any)
        );
        println!(
            "  {architecture}, no component: compiled at init        {}   {:.1}× the package's",
            show(&compiled),
            ratio(&compiled, &any)
        );
        // The arm64 package the tests built (unoptimised, see host/tests/all/lambda_arm64.rs).
        let arm64 = self.root.join("target/arm64-package-test/lambda/arm64");
        if architecture == certwatch::code_target::Architecture::X86_64
            && arm64.join("bootstrap").exists()
        {
            let packaged = measure(rounds.min(5), || init(&arm64.join("bootstrap"), true));
            println!(
                "  aarch64 under qemu, unoptimised bootstrap, package's component {}",
                show(&packaged)
            );
            if self.quick {
                return;
            }
            // Once: Cranelift unoptimised under qemu takes minutes.
            let bare = self.tmp.join("lambda-arm64-none");
            std::fs::create_dir_all(&bare).expect("a package folder");
            std::fs::copy(arm64.join("bootstrap"), bare.join("bootstrap")).expect("bootstrap");
            let compiled = measure(1, || init(&bare.join("bootstrap"), true));
            println!(
                "  aarch64 under qemu, unoptimised bootstrap, compiled at init    {}   {:.1}× the package's",
                show(&compiled),
                ratio(&compiled, &packaged)
            );
        } else {
            println!(
                "  aarch64: not measured (no arm64 package here; the test `lambda_arm64` builds one)"
            );
        }
    }

    /// A scheduled scan across member accounts (`SCAN_ACCOUNTS`; 1,000, `--accounts N` for
    /// another count) × 2 regions × 20 certificates, each account with its own `AssumeRole`,
    /// against a stub in a process of its own (so the peak memory is certwatch's). Measured
    /// against the bound its round trips set: accounts go `ACCOUNTS_AT_ONCE` at a time, and
    /// each one's requests that must wait for another's reply, as the stub counted them.
    fn org_scan(&self) {
        let Organization {
            accounts,
            delay,
            rtt,
            stub,
            runtime,
            setup,
        } = self.organization(&[]);
        // The peak from here on: the figures measured before this one do not count.
        let reset = std::fs::write("/proc/self/clear_refs", "5");
        let before = common::rss_kib(std::process::id());
        let started = Instant::now();
        let outcome = self
            .tokio
            .block_on(runtime.handle(&scheduled_event(), setup));
        let took = started.elapsed();
        let peak = common::peak_rss_kib(std::process::id());
        let report = scanned_in_full(&outcome);
        assert_eq!(report.accounts.len(), accounts);
        let expected_seen = accounts * ORGANIZATION_REGIONS.len() * ORGANIZATION_CERTIFICATES;
        assert_eq!(report.certificates_seen as usize, expected_seen);

        let stats = self.stub_stats(&stub.url);
        let seen = SeenRequests::read(&stats, &ORGANIZATION_REGIONS);
        assert_eq!(seen.accounts, accounts, "accounts the stub saw");
        let publishes = stats["requests"]["Publish"].as_u64().unwrap_or(0);
        let waves = accounts.div_ceil(certwatch_guest::scan::ACCOUNTS_AT_ONCE);
        let round_trips = waves as u64 * seen.longest_chain + publishes;
        let bound = rtt.mul_f64(round_trips as f64);
        println!(
            "
scan across {accounts} accounts × {} regions × {ORGANIZATION_CERTIFICATES} certificates, {} at a time, stub delay {delay:?} (r as measured = {:.2} ms):",
            ORGANIZATION_REGIONS.len(),
            certwatch_guest::scan::ACCOUNTS_AT_ONCE,
            rtt.as_secs_f64() * 1e3
        );
        println!(
            "  requests per account, as the stub saw them: {}; {} requests in all",
            seen.per_account,
            stats["requests"]
                .as_object()
                .map_or(0, |r| r.values().filter_map(|n| n.as_u64()).sum::<u64>())
        );
        println!(
            "  bound: ceil({accounts} / {}) × {} round trips an account + {publishes} digest messages = {round_trips} r = {:.2} s",
            certwatch_guest::scan::ACCOUNTS_AT_ONCE,
            seen.longest_chain,
            bound.as_secs_f64()
        );
        println!(
            "  wall {:.2} s = {:.3} × the bound (target ≤ 1.3); {} findings imported, {} digest messages",
            took.as_secs_f64(),
            took.as_secs_f64() / bound.as_secs_f64(),
            report.findings_imported,
            report.notifications.len()
        );
        match reset {
            Ok(()) => println!(
                "  peak RSS of the process during the scan {:.1} MiB (RSS {:.1} MiB before it)",
                peak as f64 / 1024.0,
                before as f64 / 1024.0
            ),
            Err(e) => println!(
                "  peak RSS of the process {:.1} MiB, the figures before this one included (the peak could not be reset: {e})",
                peak as f64 / 1024.0
            ),
        }
    }

    /// The organization scan of [`Bench::org_scan`] spread over SQS (`SCAN_QUEUE_URL`), as
    /// the template deploys it: the schedule's invocation sends one message per account, ten a
    /// `SendMessageBatch`, one call after another; then the queue's event source mapping hands
    /// each message (`BatchSize` 1) to one of `MaximumConcurrency` (10) instances, each of which
    /// scans that account and publishes its part of the digest. Each phase against its own bound.
    fn fan_out(&self) {
        // deploy/template.yaml's event source mapping: BatchSize and ScanMaximumConcurrency's
        // default.
        const BATCH_SIZE: usize = 1;
        const INSTANCES: usize = 10;
        let Organization {
            accounts,
            delay,
            rtt,
            stub,
            runtime,
            setup,
        } = self.organization(&[("SCAN_QUEUE_URL", "/123456789012/certwatch-scan")]);

        // Phase 1: the schedule's invocation queues the accounts.
        let reset = std::fs::write("/proc/self/clear_refs", "5");
        let before = common::rss_kib(std::process::id());
        let started = Instant::now();
        let outcome = self
            .tokio
            .block_on(runtime.handle(&scheduled_event(), setup.clone()));
        let queueing = started.elapsed();
        let queueing_peak = common::peak_rss_kib(std::process::id());
        let certwatch::outcome::Outcome::Scanned(report) = &outcome else {
            panic!("queueing the accounts failed: {outcome:?}");
        };
        let queued = report
            .accounts
            .iter()
            .filter(|a| a.queued_as.is_some())
            .count();
        assert_eq!(queued, accounts, "accounts queued: {:?}", report.accounts);
        let messages = self.stub_messages(&stub.url);
        assert_eq!(messages.len(), accounts, "messages the stub's queue took");
        let batches = accounts.div_ceil(certwatch_guest::aws::sqs::MAX_BATCH_ENTRIES);
        let queueing_bound = rtt.mul_f64(batches as f64);

        // Phase 2: the queue's messages, handed to the instances as each becomes free; each
        // batch's records one after another, as the function's `handle_batch` takes them.
        let pending = Mutex::new(messages.chunks(BATCH_SIZE).collect::<Vec<_>>().into_iter());
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let started = Instant::now();
        let outcomes: Vec<Vec<certwatch::outcome::Outcome>> = std::thread::scope(|scope| {
            let instances: Vec<_> = (0..INSTANCES)
                .map(|_| {
                    scope.spawn(|| {
                        // One thread and event loop per instance, as a Lambda instance has.
                        let tokio = tokio::runtime::Builder::new_current_thread()
                            .enable_all()
                            .build()
                            .expect("tokio");
                        let mut outcomes = Vec::new();
                        loop {
                            let batch = pending.lock().expect("the queue").next();
                            let Some(batch) = batch else { break outcomes };
                            for body in batch {
                                outcomes.push(tokio.block_on(runtime.handle(body, setup.clone())));
                            }
                        }
                    })
                })
                .collect();
            instances
                .into_iter()
                .map(|i| i.join().expect("an instance"))
                .collect()
        });
        let scanning = started.elapsed();
        let scanning_peak = common::peak_rss_kib(std::process::id());
        let (mut seen, mut published) = (0, 0);
        for outcome in outcomes.iter().flatten() {
            let report = scanned_in_full(outcome);
            seen += report.certificates_seen as usize;
            published += report.notifications.len();
        }
        assert_eq!(outcomes.iter().flatten().count(), accounts);
        assert_eq!(
            seen,
            accounts * ORGANIZATION_REGIONS.len() * ORGANIZATION_CERTIFICATES
        );

        let stats = self.stub_stats(&stub.url);
        let seen_requests = SeenRequests::read(&stats, &ORGANIZATION_REGIONS);
        assert_eq!(seen_requests.accounts, accounts, "accounts the stub saw");
        // Each account's chain, then its digest part's messages, one after another.
        let per_account = seen_requests.longest_chain + (published / accounts) as u64;
        let waves = accounts.div_ceil(BATCH_SIZE).div_ceil(INSTANCES);
        let scanning_bound = rtt.mul_f64((waves * BATCH_SIZE) as f64 * per_account as f64);
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "
the same scan spread over SQS (SCAN_QUEUE_URL): {accounts} accounts × {} regions × {ORGANIZATION_CERTIFICATES} certificates, stub delay {delay:?} (r as measured = {:.2} ms):",
            ORGANIZATION_REGIONS.len(),
            ms(rtt)
        );
        println!(
            "  phase 1, queueing: {batches} SendMessageBatch calls, one after another: bound {batches} r = {:.2} s; wall {:.2} s = {:.3} × the bound; peak RSS {:.1} MiB (RSS {:.1} MiB before it)",
            queueing_bound.as_secs_f64(),
            queueing.as_secs_f64(),
            queueing.as_secs_f64() / queueing_bound.as_secs_f64(),
            queueing_peak as f64 / 1024.0,
            before as f64 / 1024.0,
        );
        println!(
            "  phase 2, scanning: {} record(s) a batch, {INSTANCES} instances at once; per account {} round trips, then {} digest message(s): bound {waves} waves × {per_account} r = {:.2} s; wall {:.2} s = {:.3} × the bound; {published} digest messages; peak RSS of the {INSTANCES} instances in this one process {:.1} MiB{}",
            BATCH_SIZE,
            seen_requests.longest_chain,
            published / accounts,
            scanning_bound.as_secs_f64(),
            scanning.as_secs_f64(),
            scanning.as_secs_f64() / scanning_bound.as_secs_f64(),
            scanning_peak as f64 / 1024.0,
            match reset {
                Ok(()) => String::new(),
                Err(e) => format!(
                    " (the peak could not be reset, so it includes the figures before: {e})"
                ),
            }
        );
        println!(
            "  both phases: {:.2} s, against org-scan's one invocation above (same accounts and stub delay)",
            (queueing + scanning).as_secs_f64()
        );
    }

    /// An organization of member accounts (1,000, `--accounts N` for another count) × 2
    /// regions × 20 certificates, in a stub in a process of its own (so the peak memory is
    /// certwatch's), and the settings that scan it all (`SCAN_ACCOUNTS`), with `extra`, whose
    /// values are paths on the stub's URL.
    fn organization(&self, extra: &[(&str, &str)]) -> Organization {
        let accounts = self
            .accounts
            .unwrap_or(if self.quick { 200 } else { 1_000 });
        let delay = Duration::from_millis(20);
        let rtt = self.round_trip(delay);
        let stub = common::StubProcess::start_with(&common::StubProcessSetup {
            latency_ms: delay.as_millis() as u64,
            members: accounts,
            certificates: ORGANIZATION_CERTIFICATES,
            // Certificate i expires in i days: with EXPIRY_DAYS=10, 11 of each region's 20
            // are inside the window and raise a finding.
            days_spread: 90,
        });
        let ids = certwatch_stub::accounts::Members {
            count: accounts,
            ..Default::default()
        }
        .ids();
        let runtime = Runtime::from_file(&self.cwasm, Limits::default()).expect("runtime");
        let policy = Arc::new(OutboundPolicy::new(
            [certwatch_contract::Partition::Aws],
            [stub.url.as_str()],
        ));
        let mut env = settings(&stub.url);
        env.extend(
            [
                ("SCAN_ACCOUNTS", ids.join(",")),
                ("SCAN_REGIONS", ORGANIZATION_REGIONS.join(",")),
                ("EXPIRY_DAYS", "10".to_owned()),
                // Known, as on Lambda, so no GetCallerIdentity is asked.
                ("CERTWATCH_ACCOUNT_ID", "123456789012".to_owned()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        env.extend(
            extra
                .iter()
                .map(|(k, path)| ((*k).to_owned(), format!("{}{path}", stub.url))),
        );
        let setup = EventSetup {
            env,
            determinism: Determinism::Real,
            route: Route::Live(policy),
            deadline: Some(Duration::from_secs(900)),
            own_account: None,
        };
        Organization {
            accounts,
            delay,
            rtt,
            stub,
            runtime,
            setup,
        }
    }

    /// The messages a stub in another process has taken into its queues, in order: their
    /// bodies.
    fn stub_messages(&self, url: &str) -> Vec<String> {
        let messages = self.stub_report(url, "messages");
        messages
            .as_array()
            .expect("the stub's messages")
            .iter()
            .map(|m| m["Body"].as_str().expect("a message's body").to_owned())
            .collect()
    }

    /// What a stub in another process has seen.
    fn stub_stats(&self, url: &str) -> serde_json::Value {
        self.stub_report(url, "stats")
    }

    /// A stub's report of what it has seen, `GET /stub/<report>`, as JSON.
    fn stub_report(&self, url: &str, report: &str) -> serde_json::Value {
        let request = http::Request::get(format!("{url}/stub/{report}"))
            .body(bytes::Bytes::new())
            .expect("a request");
        let upstream = certwatch::upstream::Upstream::new();
        let reply = self
            .tokio
            .block_on(upstream.send(request, None))
            .unwrap_or_else(|e| panic!("the stub's {report}: {e}"));
        serde_json::from_slice(reply.body())
            .unwrap_or_else(|e| panic!("the stub's {report} as JSON: {e}"))
    }

    /// One request's round trip to a stub with `delay`, through the client certwatch sends
    /// with: the `r` the figures are measured against. It is the delay plus the stub's timer
    /// (which wakes on whole milliseconds) and loopback.
    fn round_trip(&self, delay: Duration) -> Duration {
        let stub = stub(delay, Catalogue::default());
        let upstream = certwatch::upstream::Upstream::new();
        let samples = measure(30, || {
            let request = http::Request::post(stub.url())
                .header("authorization", "AWS4-HMAC-SHA256 Credential=bench")
                .header("x-amz-target", "CertificateManager.DescribeCertificate")
                .body(bytes::Bytes::from_static(
                    br#"{"CertificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/x"}"#,
                ))
                .expect("a request");
            let started = Instant::now();
            let reply = self.tokio.block_on(upstream.send(request, None));
            assert!(reply.is_ok_and(|r| r.status() == 200));
            started.elapsed()
        });
        median(&samples)
    }
}

/// A scan's report, where the scan was done and no account of it failed.
fn scanned_in_full(outcome: &certwatch::outcome::Outcome) -> &certwatch::outcome::ScanReport {
    let certwatch::outcome::Outcome::Scanned(report) = outcome else {
        panic!("the scan failed: {outcome:?}");
    };
    let failed: Vec<_> = report
        .accounts
        .iter()
        .filter(|a| a.error.is_some())
        .collect();
    assert!(failed.is_empty(), "accounts failed: {failed:?}");
    report
}

/// The regions and certificates in each of the organization figures' accounts.
const ORGANIZATION_REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
const ORGANIZATION_CERTIFICATES: usize = 20;

/// The organization figures' stub, and the component and settings that scan it.
struct Organization {
    accounts: usize,
    delay: Duration,
    /// One round trip to a stub with `delay`, as measured.
    rtt: Duration,
    stub: common::StubProcess,
    runtime: Runtime,
    setup: EventSetup,
}

/// The member accounts' requests a stub saw, and the longest chain of them one account's scan
/// had to make one after the other.
struct SeenRequests {
    accounts: usize,
    /// The longest chain over the accounts: its `AssumeRole`, then in each region (the
    /// regions at once) the listing pages alongside the hub's `GetFindings` pages, then that
    /// hub's imports or updates, whichever are more.
    longest_chain: u64,
    /// Each kind's count per account, the same in every account, e.g. `AssumeRole 1`.
    per_account: String,
}

impl SeenRequests {
    fn read(stats: &serde_json::Value, regions: &[&str]) -> Self {
        let members = stats["members"].as_object().expect("the members' requests");
        let count = |region: &serde_json::Value, operation: Operation| {
            region[operation.to_string()].as_u64().unwrap_or(0)
        };
        let mut kinds: Vec<String> = Vec::new();
        let mut longest_chain = 0;
        for by_region in members.values() {
            let mut assumed = 0;
            let mut slowest_region = 0;
            let mut described: Vec<String> = Vec::new();
            for (name, region) in by_region.as_object().into_iter().flatten() {
                assumed += count(region, Operation::AssumeRole);
                // Listed with their expiry, so nothing is described or tagged: the formula
                // below would not hold otherwise.
                for unexpected in [
                    Operation::DescribeCertificate,
                    Operation::ListTagsForCertificate,
                ] {
                    assert_eq!(count(region, unexpected), 0, "{unexpected} in {name}");
                }
                if regions.contains(&name.as_str()) {
                    let listing = count(region, Operation::ListCertificates)
                        .max(count(region, Operation::GetFindings));
                    let writes = count(region, Operation::BatchImportFindings)
                        .max(count(region, Operation::BatchUpdateFindings));
                    slowest_region = slowest_region.max(listing + writes);
                }
                let mut operations: Vec<String> = region
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(operation, n)| format!("{operation} {n}"))
                    .collect();
                operations.sort();
                described.push(format!("{name}: {}", operations.join(", ")));
            }
            longest_chain = longest_chain.max(assumed + slowest_region);
            let described = described.join("; ");
            if !kinds.contains(&described) {
                kinds.push(described);
            }
        }
        Self {
            accounts: members.len(),
            longest_chain,
            per_account: match kinds.len() {
                1 => kinds.remove(0),
                n => format!("{n} different mixes, e.g. {}", kinds.join(" | ")),
            },
        }
    }
}

/// The Python that runs the seed's function: the test tools' (`.venv/`, where moto brought
/// boto3), else `python3`'s own executable (not a version manager's shim, a shell script that
/// would be timed too), if it has boto3.
fn seed_python(root: &Path) -> Result<PathBuf, String> {
    let venv = root.join(".venv/bin/python");
    let candidate = match venv.exists() {
        true => venv,
        false => PathBuf::from("python3"),
    };
    let found = Command::new(&candidate)
        .args(["-c", "import boto3, sys; print(sys.executable)"])
        .output()
        .map_err(|e| format!("{}: {e}", candidate.display()))?;
    match found.status.success() {
        true => Ok(PathBuf::from(String::from_utf8_lossy(&found.stdout).trim())),
        false => Err(format!(
            "{} has no boto3; scripts/test-tools installs it",
            candidate.display()
        )),
    }
}

/// Starts `command`, a Lambda bootstrap, on a Runtime API of its own and times it until it
/// asks for its first invocation; then stops it.
fn lambda_init_once(command: &mut Command) -> Duration {
    use std::io::Read as _;
    let api = std::net::TcpListener::bind("127.0.0.1:0").expect("a Runtime API port");
    let address = api.local_addr().expect("its address");
    let started = Instant::now();
    let mut child = command
        .env_clear()
        .envs(settings("http://127.0.0.1:9"))
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("CERTWATCH_CACHE_DIR", "")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bootstrap");
    // Not forever: a bootstrap that stops before it asks says so (unoptimised under qemu,
    // compiling at init takes minutes).
    api.set_nonblocking(true).expect("a non-blocking listener");
    let mut connection = loop {
        match api.accept() {
            Ok((connection, _)) => break connection,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("bootstrap stopped before its first request: {status}");
                }
                assert!(
                    started.elapsed() < Duration::from_secs(900),
                    "bootstrap asked for no invocation in 15 minutes"
                );
                std::thread::sleep(Duration::from_micros(200));
            }
            Err(e) => panic!("the Runtime API: {e}"),
        }
    };
    connection
        .set_nonblocking(false)
        .expect("a blocking connection");
    let mut head = [0u8; 64];
    let read = connection.read(&mut head).unwrap_or(0);
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let asked = String::from_utf8_lossy(&head[..read]);
    assert!(
        asked.starts_with("GET /2018-06-01/runtime/invocation/next"),
        "bootstrap's first request: {asked}"
    );
    took
}

fn stub(latency: Duration, catalogue: Catalogue) -> Stub {
    Stub::start(StubConfig {
        latency,
        catalogue,
        threads: 1,
        ..StubConfig::default()
    })
    .expect("the stub")
}

fn settings(endpoint: &str) -> Vec<(String, String)> {
    [
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "bench-secret"),
        ("AWS_REGION", REGION),
        ("AWS_ENDPOINT_URL", endpoint),
        ("SNS_TOPIC_ARN", TOPIC),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

fn scheduled_event() -> String {
    serde_json::json!({
        "version": "0", "id": "bench-scan", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-29T12:00:00Z", "region": REGION,
        "resources": ["arn:aws:events:us-east-1:123456789012:rule/certwatch-daily-scan"], "detail": {}
    })
    .to_string()
}

/// The logic benchmark's component (`host/benches/logic-guest`), built with the guest's profile
/// into a target directory of its own (its guest crate lacks the component shell).
fn logic_component(root: &Path) -> PathBuf {
    let args = ["--lib", "--target", "wasm32-wasip2", "--profile", "guest"];
    build_logic_guest(root, &args).join("wasm32-wasip2/guest/certwatch_logic_guest.wasm")
}

/// The logic benchmark natively, built with `profile` (`native-logic` or
/// `native-logic-guest-levels`), next to its component.
fn native_logic(root: &Path, profile: &str) -> PathBuf {
    let args = ["--bin", "certwatch-native-logic", "--profile", profile];
    build_logic_guest(root, &args).join(format!("{profile}/certwatch-native-logic"))
}

/// Builds `certwatch-logic-guest` with `args` into its target directory, which it returns.
fn build_logic_guest(root: &Path, args: &[&str]) -> PathBuf {
    let target_dir = root.join("target/logic-guest-build");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(root)
        .args(["build", "--locked", "--package", "certwatch-logic-guest"])
        .args(args)
        .arg("--target-dir")
        .arg(&target_dir)
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .status()
        .expect("running cargo build");
    assert!(
        status.success(),
        "certwatch-logic-guest {args:?} did not build"
    );
    target_dir
}

/// The fixture's event, settings, clock and replies, to handle `rounds` times.
fn logic_bundle(fixture: &Fixture, rounds: u32) -> String {
    let mut env: Vec<(String, String)> = fixture.replay.env.clone().into_iter().collect();
    env.extend(certwatch::environment::replay_credentials().to_env());
    let replies: Vec<serde_json::Value> = fixture
        .replay
        .exchanges
        .iter()
        .map(|exchange| {
            let request = &exchange.request;
            let method: http::Method = request.method.parse().expect("a method");
            let path = request
                .url
                .split_once("://")
                .map_or("/", |(_, rest)| rest.find('/').map_or("/", |i| &rest[i..]));
            let operation = Operation::of(
                &method,
                path.split('?').next().unwrap_or(path),
                request.header("x-amz-target"),
                request.body.as_bytes(),
            )
            .expect("a known operation");
            let response = exchange.response.as_ref().expect("a recorded response");
            serde_json::json!({
                "operation": format!("{operation:?}"),
                "status": response.status,
                "headers": response.headers,
                "body": response.body,
            })
        })
        .collect();
    serde_json::json!({
        "event": fixture.event,
        "env": env,
        "now": fixture.replay.now,
        "replies": replies,
        "rounds": rounds,
    })
    .to_string()
}

/// The guest's responder compiled natively, its requests answered through the same cassette
/// the component's are (blessing, so the host-added headers need not match).
fn native_event(fixture: &Fixture) -> Duration {
    use certwatch_guest::aws::{AwsRequest, AwsResponse, SendFailure};
    struct Memory(Mutex<Cassette>, time::OffsetDateTime);
    impl certwatch_guest::responder::Platform for Memory {
        fn now(&self) -> time::OffsetDateTime {
            self.1
        }
        async fn send(&self, request: &AwsRequest) -> Result<AwsResponse, SendFailure> {
            let recorded = RecordedRequest {
                method: request.method.to_string(),
                url: request.url.clone(),
                headers: request.headers.clone(),
                body: String::from_utf8_lossy(&request.body).into_owned(),
            };
            let failed = |message: String| SendFailure::Failed(message);
            let reply = self
                .0
                .lock()
                .map_err(|_| failed("poisoned".into()))?
                .answer(&recorded)
                .map_err(failed)?;
            match reply {
                Reply::Response(response) => Ok(AwsResponse {
                    status: response.status,
                    headers: response.headers,
                    body: response.body.into_bytes(),
                }),
                Reply::Failure(name) => Err(failed(name)),
            }
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
    let platform = Memory(
        Mutex::new(Cassette::new(fixture.replay.exchanges.clone(), true)),
        now,
    );
    let outcome = certwatch_logic_guest::block_on(certwatch_guest::responder::handle(
        &platform,
        &env,
        &fixture.event,
    ));
    let took = started.elapsed();
    assert!(outcome.is_ok(), "{outcome:?}");
    took
}

fn measure(n: usize, mut once: impl FnMut() -> Duration) -> Vec<Duration> {
    once(); // warm up
    let mut samples: Vec<Duration> = (0..n).map(|_| once()).collect();
    samples.sort();
    samples
}

/// `samples`, sorted, as `measure` returns them.
fn summarise(mut samples: Vec<Duration>) -> Vec<Duration> {
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
    if sorted.is_empty() {
        return "no samples".into();
    }
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    format!(
        "{:>9.3} ms [{:.3}–{:.3}]",
        median(sorted).as_secs_f64() * 1e3,
        at(0.1).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3
    )
}
