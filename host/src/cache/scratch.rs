//! What the cache's unit tests share: a directory of their own, and what is in it.

use std::path::{Path, PathBuf};

/// A directory for `test` alone, absent (a test makes it, or has the code under test make it).
pub(super) fn dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("certwatch-cache-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// The names in `dir`, sorted.
pub(super) fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("the directory")
        .map(|e| {
            e.expect("an entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}
