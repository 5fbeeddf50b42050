//! What the benchmarks share: the precompiled component and the memory figures of a process.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The embedded component precompiled by `certwatch compile`, into `dir`.
pub fn precompiled(binary: &Path, dir: &Path) -> PathBuf {
    precompiled_for(binary, dir, None)
}

/// The same, for any machine of `target`'s architecture where one is given
/// (`certwatch compile --target`, what a Lambda package carries).
pub fn precompiled_for(binary: &Path, dir: &Path, target: Option<&str>) -> PathBuf {
    // One file per binary and target: a baseline build's must not overwrite this build's.
    let which = binary.to_string_lossy().replace(['/', '\\', ':'], "_");
    let cwasm = dir.join(format!(
        "certwatch-bench-{}-{which}-{}.cwasm",
        std::process::id(),
        target.unwrap_or("this-machine")
    ));
    let mut command = Command::new(binary);
    command.arg("compile").arg("--output").arg(&cwasm);
    if let Some(target) = target {
        command.arg("--target").arg(target);
    }
    let compiled = command.status().expect("certwatch compile");
    assert!(compiled.success(), "certwatch compile failed");
    cwasm
}

/// A process's resident memory now, in KiB.
#[allow(dead_code, reason = "not every benchmark samples it")]
pub fn rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmRSS:")
}

/// A process's peak resident memory so far, in KiB.
pub fn peak_rss_kib(pid: u32) -> u64 {
    status_kib(pid, "VmHWM:")
}

fn status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The flag that makes a benchmark binary serve as the stub instead.
const STUB_PROCESS: &str = "--stub-process";

/// The stub in a process of its own (this benchmark binary, started again), as AWS would be.
/// In the benchmark's own process, the stub's one thread competes with the load's 32 client
/// threads for the scheduler, and the figures measure that instead of certwatch.
#[allow(
    dead_code,
    reason = "the load benchmark keeps its stub in process, to count what reached it"
)]
pub struct StubProcess {
    child: std::process::Child,
    pub url: String,
}

#[allow(dead_code, reason = "as above")]
impl StubProcess {
    /// A stub as [`StubProcessSetup::default`] says.
    pub fn start() -> Self {
        Self::start_with(&StubProcessSetup::default())
    }

    /// A stub as `setup` says.
    pub fn start_with(setup: &StubProcessSetup) -> Self {
        use std::io::BufRead as _;
        let mut child = Command::new(std::env::current_exe().expect("this benchmark"))
            .arg(STUB_PROCESS)
            .arg(serde_json::json!(setup).to_string())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("the stub process");
        let mut url = String::new();
        std::io::BufReader::new(child.stdout.take().expect("its output"))
            .read_line(&mut url)
            .expect("the stub's address");
        Self {
            child,
            url: url.trim().to_owned(),
        }
    }
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a [`StubProcess`] holds and how slow it is, handed to it as JSON after the flag.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct StubProcessSetup {
    pub latency_ms: u64,
    /// Member accounts, each with `certificates` in every region.
    pub members: usize,
    pub certificates: usize,
    /// Certificate `i` expires in `i % days_spread` days.
    pub days_spread: u64,
}

impl Default for StubProcessSetup {
    /// Answering at once, every certificate expiring within 45 days.
    fn default() -> Self {
        Self {
            latency_ms: 0,
            members: 0,
            certificates: 0,
            days_spread: 45,
        }
    }
}

/// When started as [`StubProcess`], serves as the stub until killed, and never returns.
#[allow(dead_code, reason = "as above")]
pub fn serve_as_stub_if_asked() {
    let mut args = std::env::args().skip_while(|a| a != STUB_PROCESS).skip(1);
    let Some(setup) = args.next() else {
        return;
    };
    let setup: StubProcessSetup = serde_json::from_str(&setup).expect("the stub's setup");
    let stub = certwatch_stub::Stub::start(certwatch_stub::StubConfig {
        latency: std::time::Duration::from_millis(setup.latency_ms),
        catalogue: certwatch_stub::catalogue::Catalogue {
            days_spread: setup.days_spread,
            certificates: setup.certificates,
            ..Default::default()
        },
        members: certwatch_stub::accounts::Members {
            count: setup.members,
            ..Default::default()
        },
        threads: 1,
        ..Default::default()
    })
    .expect("the stub");
    println!("{}", stub.url());
    loop {
        std::thread::park();
    }
}
