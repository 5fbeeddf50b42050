//! Which machines a precompiled component is for. Compiled for this machine, the code uses
//! every CPU feature this machine has, and only a CPU with the same features may run it; a
//! Lambda package is built on one machine and runs on others, of either architecture, so it
//! carries code for any machine of its architecture (Cranelift's baseline features).

use std::fmt;
use std::str::FromStr;

/// The machines an engine compiles for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeTarget {
    /// This machine, with the CPU features it has: what `run`, `serve` and the start-up cache
    /// use.
    ThisMachine,
    /// Any 64-bit Linux machine of `Architecture`, whatever its CPU's optional features.
    AnyLinux(Architecture),
}

/// The architectures Lambda runs, by their Rust target triples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Architecture {
    /// `x86_64-unknown-linux-gnu` (Lambda's `x86_64`).
    X86_64,
    /// `aarch64-unknown-linux-gnu` (Lambda's `arm64`, Graviton).
    Aarch64,
}

impl Architecture {
    /// Every architecture certwatch precompiles for.
    pub const ALL: [Architecture; 2] = [Architecture::X86_64, Architecture::Aarch64];

    /// Its target triple, as wasmtime and cargo name it.
    pub fn triple(self) -> &'static str {
        match self {
            Self::X86_64 => "x86_64-unknown-linux-gnu",
            Self::Aarch64 => "aarch64-unknown-linux-gnu",
        }
    }

    /// The architecture this binary runs on, if it is one of these on Linux.
    pub fn this_machine() -> Option<Self> {
        match (std::env::consts::ARCH, std::env::consts::OS) {
            ("x86_64", "linux") => Some(Self::X86_64),
            ("aarch64", "linux") => Some(Self::Aarch64),
            _ => None,
        }
    }
}

impl fmt::Display for Architecture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.triple())
    }
}

/// A `--target` that names no architecture certwatch precompiles for.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error(
    "{0:?} is not a target certwatch precompiles for: \
     x86_64-unknown-linux-gnu or aarch64-unknown-linux-gnu"
)]
pub struct UnknownTarget(String);

impl FromStr for Architecture {
    type Err = UnknownTarget;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|a| a.triple() == text)
            .ok_or_else(|| UnknownTarget(text.chars().take(80).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_by_their_triples() {
        for architecture in Architecture::ALL {
            assert_eq!(architecture.triple().parse(), Ok(architecture));
        }
        let error = "arm64".parse::<Architecture>().unwrap_err();
        assert!(
            error.to_string().contains("aarch64-unknown-linux-gnu"),
            "{error}"
        );
    }

    #[test]
    #[cfg(all(
        target_os = "linux",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    fn this_machine_is_one_of_them_where_the_tests_run() {
        assert!(
            Architecture::this_machine().is_some(),
            "certwatch is tested on x86_64 or aarch64 Linux"
        );
    }
}
