//! What the tests share: the component, precompiled once per test run, and the binary.

use certwatch::runtime::{Limits, Runtime};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is in the workspace")
        .to_owned()
}

pub fn events_dir() -> PathBuf {
    repo_root().join("events")
}

/// The embedded component, precompiled by `certwatch compile` once for the whole test run.
pub fn precompiled_component() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("certwatch-{}.cwasm", std::process::id()));
        let status = Command::new(env!("CARGO_BIN_EXE_certwatch"))
            .arg("compile")
            .arg("--output")
            .arg(&path)
            .status()
            .expect("running certwatch compile");
        assert!(status.success(), "certwatch compile failed");
        path
    })
}

/// One runtime for the in-process tests, from the precompiled component.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::from_file(precompiled_component(), Limits::default())
            .expect("loading the precompiled component")
    })
}

/// The `certwatch` binary with the precompiled component and a clean environment: nothing of
/// the developer's AWS setup leaks into a test.
pub fn certwatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_certwatch"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env!("CARGO_TARGET_TMPDIR"));
    command.arg("--component").arg(precompiled_component());
    command
}

pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(command: &mut Command) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("running certwatch");
    Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    }
}
pub mod moto;
