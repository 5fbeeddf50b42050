//! The per-event store state: what one component instance may see and do.

use crate::outbound::Outbound;
use std::time::Duration;
use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryOutputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// How much of the component's stderr is kept for the log.
const STDERR_CAPACITY: usize = 64 * 1024;

/// The clocks and randomness an instance sees.
#[derive(Debug, Clone, Copy)]
pub enum Determinism {
    /// The host's real clocks and randomness.
    Real,
    /// The wall clock frozen at `now` (seconds since the epoch), and randomness from a fixed
    /// seed, so a replay is the same to the byte every time.
    Pinned {
        /// The frozen wall clock, since the epoch.
        now: Duration,
    },
    /// The real randomness, but the wall clock frozen at `now`, so a live recording replays
    /// with the same signatures' dates.
    FrozenClock {
        /// The frozen wall clock, since the epoch.
        now: Duration,
    },
}

/// One instance's store state: WASI with only the environment it is given, HTTP through the
/// outbound hooks, its limits, and its captured output.
pub(crate) struct Sandbox {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    pub(crate) limits: StoreLimits,
    outbound: Outbound,
    pub(crate) stderr: MemoryOutputPipe,
    /// Who hears of a scan's progress (the component's `progress` import); no one by default.
    pub(crate) progress: Option<crate::progress::ProgressSink>,
}

impl Sandbox {
    pub(crate) fn new(
        env: &[(String, String)],
        determinism: Determinism,
        outbound: Outbound,
        limits: StoreLimits,
    ) -> Self {
        let stderr = MemoryOutputPipe::new(STDERR_CAPACITY);
        let mut builder = WasiCtx::builder();
        // No files, no sockets, no arguments: only the environment it is given, and HTTP
        // through the outbound hooks.
        builder
            .envs(env)
            .stderr(stderr.clone())
            .stdout(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        match determinism {
            Determinism::Real => {}
            Determinism::FrozenClock { now } => {
                builder.wall_clock(FixedWallClock(now));
            }
            Determinism::Pinned { now } => {
                builder
                    .wall_clock(FixedWallClock(now))
                    .monotonic_clock(FixedMonotonicClock)
                    .secure_random(wasmtime_wasi::Deterministic::new(SEED.to_vec()))
                    .insecure_random(wasmtime_wasi::Deterministic::new(SEED.to_vec()))
                    .insecure_random_seed(0x5eed);
            }
        }
        Self {
            wasi: builder.build(),
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            limits,
            outbound,
            stderr,
            progress: None,
        }
    }
}

const SEED: [u8; 8] = [0x63, 0x65, 0x72, 0x74, 0x77, 0x61, 0x74, 0x63];

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for Sandbox {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.outbound,
        }
    }
}

struct FixedWallClock(Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

struct FixedMonotonicClock;

impl HostMonotonicClock for FixedMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
