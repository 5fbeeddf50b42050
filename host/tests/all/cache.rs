//! The compiled copy of the embedded component in the user's cache directory: written by the
//! first start, loaded by the next, never loaded when damaged or another build's, and never
//! needed for a run to work. Each test has a cache home of its own (`XDG_CACHE_HOME`, and a
//! `HOME` beside it), so none touches the developer's; what the cache did is read from its
//! debug lines and from the entry file itself.

use crate::support::{events_dir, run_with_input};
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

const LOADED: &str = "loaded the compiled component from the cache";
const KEPT: &str = "kept the compiled component in the cache";
const REFUSED: &str = "the cached component is stale or damaged";
const NOT_WRITABLE: &str = "the cache directory is not writable";

/// A fresh cache home for `test`.
fn cache_home(test: &str) -> PathBuf {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cache-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a cache home");
    dir
}

/// `certwatch replay` of one fixture, with the embedded component (no `--component`), the
/// cache home `home`, and the cache's debug lines on standard error.
fn replay_in(home: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_certwatch"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home.join("home"))
        .env("XDG_CACHE_HOME", home)
        .env("CERTWATCH_LOG", "certwatch::cache=debug")
        .arg("replay")
        .arg(events_dir().join("in-window"));
    command
}

/// Runs `command`, which must replay its fixture correctly; returns what it logged.
fn replayed(command: &mut Command) -> String {
    let ran = run_with_input(command, b"");
    assert_eq!(
        ran.code,
        Some(0),
        "the replay failed:\n{}\n{}",
        ran.stdout,
        ran.stderr
    );
    assert!(ran.stdout.contains("1 passed, 0 failed"), "{}", ran.stdout);
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    ran.stderr
}

/// The one entry in the cache `dir` (`XDG_CACHE_HOME/certwatch`).
fn the_entry(dir: &Path) -> PathBuf {
    let entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("the cache directory")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(entries.len(), 1, "one entry: {entries:?}");
    entries.into_iter().next().expect("one entry")
}

/// A whole entry, written once for the tests that damage a copy of it.
fn good_entry() -> &'static (String, Vec<u8>) {
    static ENTRY: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    ENTRY.get_or_init(|| {
        let home = cache_home("good-entry");
        replayed(&mut replay_in(&home));
        let path = the_entry(&home.join("certwatch"));
        let name = path
            .file_name()
            .expect("a name")
            .to_string_lossy()
            .into_owned();
        (name, std::fs::read(&path).expect("the entry"))
    })
}

/// A cache home whose entry is `bytes`, at this build's name.
fn home_with_entry(test: &str, bytes: &[u8]) -> (PathBuf, PathBuf) {
    let home = cache_home(test);
    let dir = home.join("certwatch");
    std::fs::create_dir_all(&dir).expect("the cache directory");
    let path = dir.join(&good_entry().0);
    std::fs::write(&path, bytes).expect("an entry");
    (home, path)
}

/// After a damaged entry was refused: the run compiled and wrote a whole entry again, which
/// the next run loads.
fn assert_rebuilt(home: &Path, path: &Path, log: &str) {
    assert!(log.contains(REFUSED), "{log}");
    assert!(!log.contains(LOADED), "{log}");
    assert!(log.contains(KEPT), "{log}");
    assert_eq!(
        std::fs::read(path).expect("the entry"),
        good_entry().1,
        "the entry written again is whole"
    );
    assert!(replayed(&mut replay_in(home)).contains(LOADED));
}

#[test]
fn the_first_run_keeps_the_compiled_component_and_the_next_ones_load_it() {
    let home = cache_home("first-and-second");
    let first = replayed(&mut replay_in(&home));
    assert!(first.contains(KEPT), "{first}");
    assert!(!first.contains(LOADED), "{first}");
    let entry = the_entry(&home.join("certwatch"));
    let written = std::fs::metadata(&entry).expect("the entry");

    for _ in 0..2 {
        let next = replayed(&mut replay_in(&home));
        assert!(next.contains(LOADED), "{next}");
        assert!(!next.contains(KEPT), "{next}");
    }
    let after = std::fs::metadata(&entry).expect("the entry");
    assert_eq!(
        (after.ino(), after.modified().ok()),
        (written.ino(), written.modified().ok()),
        "loading leaves the entry as it was"
    );
}

#[test]
fn an_entry_cut_short_is_refused_and_compiled_again() {
    let whole = &good_entry().1;
    for keep in [whole.len() / 2, 100, 0] {
        let (home, path) = home_with_entry(&format!("cut-short-{keep}"), &whole[..keep]);
        let log = replayed(&mut replay_in(&home));
        assert_rebuilt(&home, &path, &log);
    }
}

#[test]
fn an_entry_with_damaged_code_is_refused_and_compiled_again() {
    let mut damaged = good_entry().1.clone();
    let middle = damaged.len() / 2;
    damaged[middle] ^= 0x40;
    let (home, path) = home_with_entry("damaged", &damaged);
    let log = replayed(&mut replay_in(&home));
    assert!(log.contains("damaged (checksum"), "{log}");
    assert_rebuilt(&home, &path, &log);
}

#[test]
fn an_entry_of_another_build_is_not_loaded() {
    // This build's name, another build's fingerprint inside (a copy, or a hash collision of
    // names): refused for its fingerprint, before its bytes are looked at.
    let mut other = good_entry().1.clone();
    let line = other.len() - certwatch::precompiled::TRAILER_LEN;
    let digit = line + b"certwatch-precompiled ".len();
    other[digit] = if other[digit] == b'0' { b'1' } else { b'0' };
    let (home, path) = home_with_entry("another-build", &other);
    // And another build's own entry, under its own name: never even read.
    let foreign = path.with_file_name("embedded-0123456789abcdef.cwasm");
    std::fs::write(&foreign, b"another build's entry").expect("a foreign entry");

    let log = replayed(&mut replay_in(&home));
    assert!(log.contains("another certwatch build"), "{log}");
    assert_rebuilt(&home, &path, &log);
    assert_eq!(
        std::fs::read(&foreign).expect("the other build's entry stays"),
        b"another build's entry"
    );
}

#[test]
fn a_cache_that_cannot_be_written_still_runs_compiling_in_memory() {
    let home = cache_home("unwritable");
    // A file where the cache directory would be made: no user, root included, can make it.
    let blocked = home.join("blocked");
    std::fs::write(&blocked, b"not a directory").expect("a file");
    for _ in 0..2 {
        let log = replayed(replay_in(&home).env("XDG_CACHE_HOME", &blocked));
        assert!(log.contains(NOT_WRITABLE), "{log}");
        assert!(!log.contains(LOADED), "{log}");
    }
    assert_eq!(
        std::fs::read(&blocked).expect("the file"),
        b"not a directory"
    );
}

#[test]
fn the_cache_can_be_moved_or_turned_off() {
    let home = cache_home("setting");
    let elsewhere = home.join("elsewhere");
    let log = replayed(replay_in(&home).env("CERTWATCH_CACHE_DIR", &elsewhere));
    assert!(log.contains(KEPT), "{log}");
    the_entry(&elsewhere);
    assert!(!home.join("certwatch").exists());

    let log = replayed(replay_in(&home).env("CERTWATCH_CACHE_DIR", ""));
    assert!(log.contains("no cache for the compiled component"), "{log}");
    assert!(!log.contains(KEPT), "{log}");
    assert!(!home.join("certwatch").exists());
}

#[test]
fn a_named_component_never_touches_the_cache() {
    let home = cache_home("named-component");
    let log = replayed(
        replay_in(&home)
            .arg("--component")
            .arg(crate::support::precompiled_component()),
    );
    assert!(!log.contains("cache"), "{log}");
    assert!(!home.join("certwatch").exists());
}
