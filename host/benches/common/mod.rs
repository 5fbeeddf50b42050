//! What the benchmarks share: the precompiled component and the memory figures of a process.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The embedded component precompiled by `certwatch compile`, into `dir`.
pub fn precompiled(binary: &Path, dir: &Path) -> PathBuf {
    let cwasm = dir.join(format!("certwatch-bench-{}.cwasm", std::process::id()));
    let compiled = Command::new(binary)
        .arg("compile")
        .arg("--output")
        .arg(&cwasm)
        .status()
        .expect("certwatch compile");
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
