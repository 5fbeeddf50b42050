//! Builds the guest component for `wasm32-wasip2` in both its worlds and hands their paths to
//! the host, so the binary carries the components it was built and tested with:
//! `CERTWATCH_GUEST_WASM`, the world `responder-host` the host runs (it also tells the host how
//! a scan goes), and `CERTWATCH_PORTABLE_WASM`, the world `responder` that
//! `certwatch component` writes for other WASI HTTP hosts.

use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("host/ lives in the workspace")
        .to_path_buf();
    // The workspace manifest holds the guest's profile and its dependencies' features;
    // .cargo/config.toml its target features.
    for watched in [
        ".cargo/config.toml",
        "guest/src",
        "guest/Cargo.toml",
        "wit",
        "Cargo.toml",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    ensure_target();

    let out_dir = PathBuf::from(env("OUT_DIR"));
    let portable = build_guest(&cargo, &root, &[], &out_dir.join("responder.wasm"));
    let wasm = build_guest(
        &cargo,
        &root,
        &["--features", "host-progress"],
        &out_dir.join("responder-host.wasm"),
    );
    println!(
        "cargo:rustc-env=CERTWATCH_PORTABLE_WASM={}",
        portable.display()
    );
    println!("cargo:rustc-env=CERTWATCH_GUEST_WASM={}", wasm.display());
    // What a precompiled component records it was made from (src/precompiled.rs). Not a
    // security boundary: a digest to tell one build's component from another's.
    let bytes = std::fs::read(&wasm).expect("reading the guest component");
    let mut hasher = std::hash::DefaultHasher::new();
    std::hash::Hasher::write(&mut hasher, &bytes);
    println!(
        "cargo:rustc-env=CERTWATCH_GUEST_FINGERPRINT={:016x}",
        std::hash::Hasher::finish(&hasher)
    );
}

/// Builds the guest with `features` and copies the component to `output`. Both worlds build
/// in one target directory, so they share every dependency and only the guest crate is built
/// again; each build overwrites the other's file there, hence the copy.
fn build_guest(cargo: &str, root: &Path, features: &[&str], output: &Path) -> PathBuf {
    // A target directory of its own: the outer build holds the lock on the main one.
    let target_dir = root.join("target").join("guest-build");
    let status = Command::new(cargo)
        .current_dir(root)
        .args([
            "build",
            "--package",
            "certwatch-guest",
            "--target",
            TARGET,
            "--profile",
            "guest",
            "--locked",
        ])
        .args(features)
        .arg("--target-dir")
        .arg(&target_dir)
        // The outer build's flags are for the host, not for wasm.
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTC_WORKSPACE_WRAPPER")
        .status()
        .expect("could not run cargo to build the guest component");
    assert!(
        status.success(),
        "building the guest component {features:?} failed"
    );
    let wasm = target_dir
        .join(TARGET)
        .join("guest")
        .join("certwatch_guest.wasm");
    std::fs::copy(&wasm, output).unwrap_or_else(|e| {
        panic!(
            "the guest build {features:?} produced no {}: {e}",
            wasm.display()
        )
    });
    output.to_owned()
}

/// `rust-toolchain.toml` names the target, but rustup does not add it to an installed
/// toolchain by itself (and never when `RUSTUP_AUTO_INSTALL=0`), so the build does.
fn ensure_target() {
    let sysroot = Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    let installed = sysroot
        .as_deref()
        .is_some_and(|s| Path::new(s).join("lib/rustlib").join(TARGET).exists());
    if installed {
        return;
    }
    println!("cargo:warning=adding the {TARGET} target with rustup");
    let status = Command::new("rustup")
        .args(["target", "add", TARGET])
        .status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "the {TARGET} target is missing and `rustup target add {TARGET}` failed; install it and build again"
    );
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}
