//! The README's sample run (`cargo run --release -p certwatch`) and the test command
//! (`cargo test --release --workspace`) build the crates they share with the same features,
//! so whichever comes second reuses the first one's build instead of compiling wasmtime again.

use crate::support::repo_root;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Each package `cargo tree` lists for `selection`, with the feature sets it is built with
/// (one for a normal dependency, another where it is also a build dependency, say).
fn features(selection: &[&str]) -> BTreeMap<String, BTreeSet<String>> {
    let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(repo_root())
        .args(["tree", "--locked", "--offline", "--prefix", "none"])
        .args(["--format", "{p}|{f}"])
        .args(selection)
        .output()
        .expect("running cargo tree");
    assert!(
        output.status.success(),
        "cargo tree: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut packages: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (package, features) in String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_once('|'))
    {
        // "name vX.Y.Z (path)": the name and version say which package it is; a package
        // listed before is marked "(*)".
        let id: Vec<&str> = package.split_whitespace().take(2).collect();
        let features = features.trim().trim_end_matches("(*)").trim().to_owned();
        packages.entry(id.join(" ")).or_default().insert(features);
    }
    packages
}

#[test]
fn the_sample_run_builds_shared_crates_with_the_test_builds_features() {
    let sample_run = features(&["--package", "certwatch", "--edges", "normal,build"]);
    let tests = features(&["--workspace", "--edges", "normal,build,dev"]);
    let differing: Vec<String> = sample_run
        .iter()
        .filter_map(|(package, features)| {
            let in_tests = tests.get(package)?;
            (in_tests != features)
                .then(|| format!("{package}: sample run {features:?}, tests {in_tests:?}"))
        })
        .collect();
    assert!(
        differing.is_empty(),
        "give host/Cargo.toml these features, so the sample run reuses the test build:\n{}",
        differing.join("\n")
    );
}
