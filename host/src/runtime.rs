//! Loads the component once and runs each event in a fresh, limited instance of it.

use crate::bindings::ResponderHostPre;
use crate::cache::ComponentCache;
use crate::code_target::{Architecture, CodeTarget};
use crate::outbound::{Outbound, Route};
use crate::outcome::{ErrorKind, Outcome};
use crate::progress::ProgressSink;
use crate::sandbox::Sandbox;
pub use crate::setup::EventSetup;
use crate::upstream::Upstream;
use certwatch_contract::settings;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;
use wasmtime::component::{Component, HasSelf, Linker};
use wasmtime::error::Context as _;
use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, StoreLimitsBuilder,
    UpdateDeadline,
};
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;

/// The component this binary was built with and runs: the WIT world `responder-host`, which
/// also tells this host how a scan goes (`progress`).
pub const EMBEDDED_COMPONENT: &[u8] = include_bytes!(env!("CERTWATCH_GUEST_WASM"));

/// The same logic as the WIT world `responder`, importing nothing but WASI: what
/// `certwatch component` writes for other WASI HTTP hosts (`wasmtime serve`, jco, wasmCloud),
/// which know nothing of `progress`.
pub const PORTABLE_COMPONENT: &[u8] = include_bytes!(env!("CERTWATCH_PORTABLE_WASM"));

/// How often the epoch advances; a guest that computes yields to the host this often.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// What one event may use: its time, its memory, and the instances kept ready.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The most an event may take, start to finish (the documented Lambda's timeout).
    pub deadline: Duration,
    /// The most linear memory one instance may grow to.
    pub memory_bytes: usize,
    /// Instances the pooling allocator keeps ready, for hosts that run many events at once
    /// (serve); `None` allocates each instance when it is needed.
    pub instance_pool: Option<u32>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            deadline: Duration::from_secs(30),
            memory_bytes: 128 * 1024 * 1024,
            instance_pool: None,
        }
    }
}

thread_local! {
    /// The client for live requests, made on a thread's first one and kept for every event
    /// after it: with an event loop per core (`serve`), each core keeps its own connections.
    static UPSTREAM: Upstream = Upstream::new();
}

/// The compiled component on its engine, ready to handle events, each in a fresh instance.
pub struct Runtime {
    engine: Engine,
    component: Component,
    pre: ResponderHostPre<Sandbox>,
    limits: Limits,
    ticker: Arc<AtomicBool>,
    compiled_at_start: bool,
}

impl Drop for Runtime {
    fn drop(&mut self) {
        self.ticker.store(false, Ordering::Relaxed);
    }
}

/// The engine components run on, compiling for this machine. The allocation strategy does not
/// change compiled code, so one precompiled component serves both.
pub fn engine(limits: &Limits) -> wasmtime::Result<Engine> {
    engine_for(limits, CodeTarget::ThisMachine)
}

/// The engine, compiling for `target`: for another architecture it only precompiles.
pub fn engine_for(limits: &Limits, target: CodeTarget) -> wasmtime::Result<Engine> {
    let mut config = Config::new();
    config.epoch_interruption(true).wasm_component_model(true);
    if let CodeTarget::AnyLinux(architecture) = target {
        // A target named, even this machine's own, infers none of this CPU's features.
        config.target(architecture.triple())?;
    }
    if std::env::var_os("CERTWATCH_PERFMAP").is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    if let Some(instances) = limits.instance_pool {
        let mut pool = PoolingAllocationConfig::default();
        // certwatch's component has a handful of core instances (its module and the shims
        // wit-component adds), one memory and a few tables; the margins cover test components.
        // Freed memory goes back to the kernel in batches: each batch costs a TLB shootdown on
        // every core; batching them raised serve's throughput by about a tenth.
        pool.total_component_instances(instances)
            .total_core_instances(instances * 8)
            .total_memories(instances * 2)
            .total_tables(instances * 8)
            .total_stacks(instances)
            .max_memory_size(limits.memory_bytes)
            .decommit_batch_size(instances.div_ceil(4) as usize);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    }
    Engine::new(&config)
}

/// The engine `file` was precompiled for, where it is one this machine runs: this machine's,
/// or, for a file `certwatch compile --target` made (a Lambda package's), the one for any
/// machine of this architecture. Any other file (a `.wasm`, or one made elsewhere) gets this
/// machine's engine, which compiles the first and refuses the second.
fn engine_to_load(limits: &Limits, file: &[u8]) -> wasmtime::Result<Engine> {
    if let Some(named) = crate::precompiled::named_fingerprint(file) {
        let any_machine = Architecture::this_machine().map(CodeTarget::AnyLinux);
        // One engine at a time: with serve's pooling allocator, each reserves its instances'
        // address space.
        for target in std::iter::once(CodeTarget::ThisMachine).chain(any_machine) {
            let engine = engine_for(limits, target)?;
            if named == crate::precompiled::fingerprint(&engine) {
                return Ok(engine);
            }
        }
    }
    // Neither, or no precompiled file: this machine's engine compiles it or refuses it,
    // saying why.
    engine(limits)
}

impl Runtime {
    /// The embedded component: the compiled copy in `cache` when it holds this build's, else
    /// compiled now (and kept in `cache` for the next start).
    pub fn embedded(limits: Limits, cache: Option<&ComponentCache>) -> wasmtime::Result<Self> {
        let engine = engine(&limits)?;
        let (component, compiled_at_start) = match cache.and_then(|cache| cache.load(&engine)) {
            Some(component) => (component, false),
            None => {
                let component = Component::new(&engine, EMBEDDED_COMPONENT)
                    .context("compiling the embedded component")?;
                if let Some(cache) = cache {
                    cache.keep(&engine, &component);
                }
                (component, true)
            }
        };
        Self::with_component(engine, component, limits, compiled_at_start)
    }

    /// A component from a file: a `.wasm` component (compiled now) or one `certwatch compile`
    /// precompiled for this very build and engine configuration (anything else is refused).
    pub fn from_file(path: &Path, limits: Limits) -> wasmtime::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        let engine = engine_to_load(&limits, &bytes)?;
        let refused = |reason: &dyn std::fmt::Display| {
            wasmtime::format_err!("{} cannot run here: {reason}", path.display())
        };
        let component = match crate::precompiled::unwrap(&engine, &bytes) {
            Ok(Some(artifact)) => {
                let component = artifact.load(&engine).with_context(|| {
                    format!("loading the precompiled component {}", path.display())
                })?;
                return Self::with_component(engine, component, limits, false);
            }
            Ok(None) if crate::precompiled::is_older_form(&bytes) => {
                return Err(refused(
                    &"an older certwatch precompiled it; run `certwatch compile` again",
                ));
            }
            Ok(None) if Engine::detect_precompiled(&bytes).is_some() => {
                return Err(refused(
                    &"it is a precompiled artifact certwatch did not write; use `certwatch compile`",
                ));
            }
            Ok(None) => Component::new(&engine, &bytes)
                .with_context(|| format!("compiling {}", path.display()))?,
            Err(e) => return Err(refused(&e)),
        };
        Self::with_component(engine, component, limits, true)
    }

    fn with_component(
        engine: Engine,
        component: Component,
        limits: Limits,
        compiled_at_start: bool,
    ) -> wasmtime::Result<Self> {
        let mut linker = Linker::<Sandbox>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        // Always defined, so both components instantiate: the embedded one calls it, the
        // portable one (`--component`) never does.
        crate::bindings::progress::add_to_linker::<Sandbox, HasSelf<Sandbox>>(&mut linker, |s| s)?;
        let pre = ResponderHostPre::new(linker.instantiate_pre(&component)?)?;
        let ticker = Arc::new(AtomicBool::new(true));
        let (running, ticking_engine) = (ticker.clone(), engine.clone());
        std::thread::Builder::new()
            .name("certwatch-epoch".into())
            .spawn(move || {
                while running.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    ticking_engine.increment_epoch();
                }
            })?;
        Ok(Self {
            engine,
            component,
            pre,
            limits,
            ticker,
            compiled_at_start,
        })
    }

    /// Whether the component was compiled as this runtime was made, rather than loaded
    /// precompiled (from a file or the start-up cache): what a slow start costs.
    pub fn compiled_at_start(&self) -> bool {
        self.compiled_at_start
    }

    /// The names of everything the component imports.
    pub fn component_imports(&self) -> Vec<String> {
        self.component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// The embedded component, precompiled for `target`.
    pub fn precompile_embedded(target: CodeTarget) -> wasmtime::Result<Vec<u8>> {
        let engine = engine_for(&Limits::default(), target)?;
        let artifact = engine.precompile_component(EMBEDDED_COMPONENT)?;
        Ok(crate::precompiled::wrap(&engine, &artifact))
    }

    /// Runs one event in a fresh instance. Whatever happens, the result is one outcome.
    pub async fn handle(&self, event: &str, setup: EventSetup) -> Outcome {
        self.handle_with_progress(event, setup, None).await
    }

    /// The same, telling `progress` how a scan goes as the component reports it.
    pub async fn handle_with_progress(
        &self,
        event: &str,
        setup: EventSetup,
        progress: Option<ProgressSink>,
    ) -> Outcome {
        let setup = match self.with_own_account(setup).await {
            Ok(setup) => setup,
            Err(outcome) => return outcome,
        };
        let deadline = setup
            .deadline
            .map_or(self.limits.deadline, |d| d.min(self.limits.deadline));
        let (mut store, stderr) = self.store(setup);
        store.data_mut().progress = progress;
        let run = async {
            let responder = self.pre.instantiate_async(&mut store).await?;
            responder
                .certwatch_responder_handler()
                .call_handle(&mut store, event)
                .await
        };
        let outcome = match tokio::time::timeout(deadline, run).await {
            Ok(Ok(result)) => crate::outcome::from_wit(result),
            Ok(Err(trap)) => trapped(&trap),
            Err(_) => Outcome::failure(
                ErrorKind::Deadline,
                format!("the event was not handled within the {deadline:?} deadline"),
                true,
            ),
        };
        log_stderr(&stderr);
        outcome
    }

    /// `setup`, with certwatch's own account among its settings where they need it and do not
    /// give it: learned from the component's `identify` the first time, kept for the process.
    async fn with_own_account(&self, mut setup: EventSetup) -> Result<EventSetup, Outcome> {
        let Some(cell) = setup.own_account.clone() else {
            return Ok(setup);
        };
        if !crate::identity::needed(&setup.env) {
            return Ok(setup);
        }
        // The setup is copied for the question only the first time, not at every event.
        let account = cell
            .get_or_learn(|| self.identify(setup.for_identity()))
            .await?;
        setup
            .env
            .push((settings::ACCOUNT_ID.to_owned(), account.to_owned()));
        Ok(setup)
    }

    /// Asks the component which account `setup`'s credentials belong to.
    pub async fn identify(&self, setup: EventSetup) -> Result<String, Outcome> {
        let (mut store, stderr) = self.store(setup);
        let run = async {
            let responder = self.pre.instantiate_async(&mut store).await?;
            responder
                .certwatch_responder_handler()
                .call_identify(&mut store)
                .await
        };
        let identified = match tokio::time::timeout(self.limits.deadline, run).await {
            Ok(Ok(Ok(account))) => Ok(account),
            Ok(Ok(Err(error))) => {
                let mut failure = crate::outcome::failure(error);
                failure.message = format!(
                    "certwatch could not learn its own account, which {} need: {}",
                    settings::ACROSS_ACCOUNTS.join(", "),
                    failure.message
                );
                Err(Outcome::Error(failure))
            }
            Ok(Err(trap)) => Err(trapped(&trap)),
            Err(_) => Err(Outcome::failure(
                ErrorKind::Deadline,
                "learning certwatch's own account (sts:GetCallerIdentity) did not finish",
                true,
            )),
        };
        log_stderr(&stderr);
        identified
    }

    /// Asks the component whether `setup`'s environment is a configuration it can work with.
    pub async fn check_configuration(&self, setup: EventSetup) -> Result<(), Outcome> {
        let (mut store, stderr) = self.store(setup);
        let run = async {
            let responder = self.pre.instantiate_async(&mut store).await?;
            responder
                .certwatch_responder_handler()
                .call_check_configuration(&mut store)
                .await
        };
        let checked = match tokio::time::timeout(self.limits.deadline, run).await {
            Ok(Ok(Ok(()))) => Ok(()),
            Ok(Ok(Err(error))) => Err(Outcome::Error(crate::outcome::failure(error))),
            Ok(Err(trap)) => Err(trapped(&trap)),
            Err(_) => Err(Outcome::failure(
                ErrorKind::Deadline,
                "the configuration check did not finish",
                true,
            )),
        };
        log_stderr(&stderr);
        checked
    }

    /// A fresh store for one call: the sandbox, the memory cap, and an epoch deadline that
    /// makes a computing guest yield, so the caller's timeout can stop it.
    fn store(&self, setup: EventSetup) -> (Store<Sandbox>, MemoryOutputPipe) {
        let limits = StoreLimitsBuilder::new()
            .memory_size(self.limits.memory_bytes)
            .instances(4)
            .build();
        let upstream = match setup.route {
            Route::Live(_) | Route::Record(..) => Some(UPSTREAM.with(Upstream::clone)),
            Route::Replay(_) | Route::Refuse => None,
        };
        let outbound = Outbound {
            route: setup.route,
            upstream,
        };
        let sandbox = Sandbox::new(&setup.env, setup.determinism, outbound, limits);
        let stderr = sandbox.stderr.clone();
        let mut store = Store::new(&self.engine, sandbox);
        store.limiter(|s| &mut s.limits);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(1)));
        (store, stderr)
    }
}

fn trapped(trap: &wasmtime::Error) -> Outcome {
    Outcome::failure(
        ErrorKind::Trap,
        format!("the component stopped: {}", trap_summary(trap)),
        true,
    )
}

fn log_stderr(stderr: &MemoryOutputPipe) {
    let log = stderr.contents();
    if !log.is_empty() {
        tracing::warn!(component_stderr = %String::from_utf8_lossy(&log).trim_end(), "the component wrote to stderr");
    }
}

/// A trap's cause without the wasm backtrace's noise.
fn trap_summary(error: &wasmtime::Error) -> String {
    let mut parts: Vec<String> = error.chain().map(|c| c.to_string()).collect();
    parts.dedup();
    parts
        .into_iter()
        .map(|p| p.lines().next().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
        .join(": ")
}
