//! The arm64 Lambda package, built on this machine (x86_64, as CI's) by `scripts/package-lambda
//! arm64` as a user builds it (its bootstrap unoptimised, `CERTWATCH_LAMBDA_PROFILE=cross-check`, since an
//! optimised aarch64 wasmtime would take CI longer than every other test together; whether the
//! precompiled component loads does not depend on how the host was optimised). Its bootstrap
//! runs under qemu-aarch64 (Debian's qemu-user-static): as Lambda starts it, under
//! cargo-lambda's Runtime API emulator against moto, it loads the packaged component without
//! compiling it, and handles an event.

use crate::lambda::{
    Emulator, against_moto, certificate_expiring_in_9_days, handled_9_days_left, in_window_event,
};
use crate::support::moto::session;
use crate::support::{Running, events_dir, repo_root};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The aarch64 C library and libgcc that Debian's cross packages put here, which qemu loads
/// the dynamically linked bootstrap with.
const AARCH64_SYSROOT: &str = "/usr/aarch64-linux-gnu";

/// Unpacks the zip `argv[1]` into `argv[2]` with each file's mode, as Lambda does (Python's
/// `zipfile -e` drops them, and bootstrap would not be executable).
const UNZIP_KEEPING_MODES: &str = "\
import os, sys, zipfile
package = zipfile.ZipFile(sys.argv[1])
for entry in package.infolist():
    path = package.extract(entry, sys.argv[2])
    os.chmod(path, (entry.external_attr >> 16) & 0o777)
";

/// `scripts/package-lambda arm64`, into a target directory of the tests' own (a user's
/// `target/lambda` is left as it is), unpacked: the folder holding `bootstrap` and
/// `certwatch.cwasm`.
fn arm64_package() -> PathBuf {
    // The script installs the test tools itself: only once the run's own install is done, so
    // that two installs never run at once.
    crate::support::venv();
    let target_dir = repo_root().join("target/arm64-package-test");
    let built = Command::new(repo_root().join("scripts/package-lambda"))
        .arg("arm64")
        .env("CARGO_TARGET_DIR", &target_dir)
        .env("CERTWATCH_LAMBDA_PROFILE", "cross-check")
        // This test run's own certwatch precompiles: the same sources, already built.
        .env("CERTWATCH_COMPILER", env!("CARGO_BIN_EXE_certwatch"))
        .stdin(Stdio::null())
        .output()
        .expect("running scripts/package-lambda arm64");
    assert!(
        built.status.success(),
        "scripts/package-lambda arm64 failed:\n{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let unpacked = Path::new(env!("CARGO_TARGET_TMPDIR")).join("arm64-package");
    let _ = std::fs::remove_dir_all(&unpacked);
    let zip = target_dir.join("lambda/certwatch-arm64.zip");
    let status = Command::new("python3")
        .args(["-c", UNZIP_KEEPING_MODES])
        .arg(&zip)
        .arg(&unpacked)
        .status()
        .expect("python3's zipfile");
    assert!(status.success(), "unpacking {}", zip.display());
    let mut files: Vec<String> = std::fs::read_dir(&unpacked)
        .expect("the unpacked package")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    assert_eq!(
        files,
        ["bootstrap", "certwatch.cwasm"],
        "the package's files"
    );
    let bootstrap = unpacked.join("bootstrap");
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&bootstrap)
            .expect("bootstrap")
            .permissions(),
    );
    assert_eq!(
        mode & 0o111,
        0o111,
        "bootstrap is not executable in the zip"
    );
    let elf = std::fs::read(&bootstrap).expect("bootstrap");
    // ELF's e_machine, little-endian at byte 18: 0xb7 is AArch64.
    assert_eq!(
        elf.get(18..20),
        Some(&[0xb7, 0][..]),
        "bootstrap is not an aarch64 ELF"
    );
    unpacked
}

/// `bootstrap` of `package` under qemu-aarch64, named `bootstrap` (as Lambda starts it,
/// without arguments, it runs the Lambda runtime), with nothing of this machine's environment.
fn under_qemu(package: &Path) -> Command {
    let mut command = Command::new("qemu-aarch64-static");
    command
        .arg("-L")
        .arg(AARCH64_SYSROOT)
        .arg(package.join("bootstrap"))
        .env_clear()
        .env("HOME", env!("CARGO_TARGET_TMPDIR"));
    command
}

#[test]
fn the_arm64_package_loads_its_precompiled_component_at_init_and_handles_an_event() {
    let package = arm64_package();

    // The component precompiled for this machine's CPU, not for aarch64, is refused by name:
    // the check that tells a package that would compile at init from one that does not.
    let native = Path::new(env!("CARGO_TARGET_TMPDIR")).join("arm64-test-native.cwasm");
    let compiled = Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("compile")
        .arg("--output")
        .arg(&native)
        .status()
        .expect("certwatch compile");
    assert!(compiled.success());
    let refused = under_qemu(&package)
        .arg("--component")
        .arg(&native)
        .args(["replay"])
        .arg(events_dir().join("in-window"))
        .output()
        .expect("bootstrap under qemu");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && said.contains("cannot run here"),
        "{said}"
    );

    // The packaged one replays a fixture, precompiled: `--component` never compiles a file
    // certwatch precompiled.
    let replayed = under_qemu(&package)
        .arg("--component")
        .arg(package.join("certwatch.cwasm"))
        .arg("replay")
        .arg(events_dir().join("in-window"))
        .output()
        .expect("bootstrap under qemu");
    assert!(
        replayed.status.success(),
        "{}{}",
        String::from_utf8_lossy(&replayed.stdout),
        String::from_utf8_lossy(&replayed.stderr)
    );

    // As Lambda runs it: init loads the package's component, and an event is handled.
    let moto = session();
    let arn = certificate_expiring_in_9_days(&moto, "arm64.example.com");
    let emulator = Emulator::start();
    let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join("arm64-bootstrap.log");
    let _function = Running(
        against_moto(&mut under_qemu(&package), &emulator, &moto)
            .env("CERTWATCH_LOG", "certwatch=info")
            .stderr(std::fs::File::create(&log).expect("a log"))
            .spawn()
            .expect("starting bootstrap under qemu"),
    );
    handled_9_days_left(&emulator, &in_window_event(&arn));
    let findings = moto.aws_one(json!({ "command": "get_findings" }));
    assert_eq!(findings.as_array().map(Vec::len), Some(1), "{findings}");

    let init = wait_for_line(&log, "the packaged component is loaded");
    assert!(
        init.contains("compiled_at_start=false") && init.contains("certwatch.cwasm"),
        "the arm64 package compiled its component at init: {init}"
    );
}

/// The first line of `log` that contains `text`, once it is written.
fn wait_for_line(log: &Path, text: &str) -> String {
    let started = Instant::now();
    loop {
        let written = std::fs::read_to_string(log).unwrap_or_default();
        if let Some(line) = written.lines().find(|l| l.contains(text)) {
            return line.to_owned();
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {text:?} in the log:\n{written}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
