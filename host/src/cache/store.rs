//! Writing an entry so that no reader ever sees part of one: a temporary file in the cache
//! directory itself (a rename is atomic only within one file system), renamed over the entry
//! once it is whole. Two processes that compile at once each rename a whole file; the last
//! one stays.
//!
//! Nothing is synced to disk: a file that a crash leaves damaged fails its checksum when it is
//! next read and is compiled again, and a start is spared the wait.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// What a temporary file's name ends with, so that leftovers can be told from entries.
pub(super) const TEMPORARY_SUFFIX: &str = ".tmp";

/// Writes `parts`, one after another, to `dir/name`, making `dir` if need be; returns the
/// entry's path.
pub(super) fn write_atomically(
    dir: &Path,
    name: &str,
    parts: &[&[u8]],
) -> std::io::Result<PathBuf> {
    make_dir(dir)?;
    let entry = dir.join(name);
    let temporary = dir.join(temporary_name(name));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .and_then(|mut file| parts.iter().try_for_each(|part| file.write_all(part)))
        .and_then(|()| std::fs::rename(&temporary, &entry));
    match written {
        Ok(()) => Ok(entry),
        Err(e) => {
            let _ = std::fs::remove_file(&temporary);
            Err(e)
        }
    }
}

/// The directory and any missing parents, private to the user as the XDG specification asks
/// of the cache home.
fn make_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// A name no other writer uses at the same time: hidden, with this process's id and a count.
fn temporary_name(name: &str) -> String {
    static COUNT: AtomicU32 = AtomicU32::new(0);
    let count = COUNT.fetch_add(1, Ordering::Relaxed);
    format!(".{name}.{}-{count}{TEMPORARY_SUFFIX}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::scratch::{dir as scratch, names};

    #[test]
    fn an_entry_is_written_whole_in_a_new_directory_and_replaced_whole() {
        let dir = scratch("replace");
        let nested = dir.join("a/b");
        let entry = write_atomically(&nested, "entry", &[b"fir", b"st"]).unwrap();
        assert_eq!(std::fs::read(&entry).unwrap(), b"first");
        write_atomically(&nested, "entry", &[b"second"]).unwrap();
        assert_eq!(std::fs::read(&entry).unwrap(), b"second");
        assert_eq!(names(&nested), ["entry"], "no temporary file is left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&nested).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_directory_that_cannot_be_made_is_an_error_and_leaves_nothing() {
        let dir = scratch("blocked");
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("a-file");
        std::fs::write(&file, b"not a directory").unwrap();
        assert!(write_atomically(&file.join("cache"), "entry", &[b"bytes"]).is_err());
        assert_eq!(names(&dir), ["a-file"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_rename_that_fails_removes_its_temporary_file() {
        let dir = scratch("rename");
        // An entry that is a directory with something in it cannot be renamed over.
        std::fs::create_dir_all(dir.join("entry/inside")).unwrap();
        assert!(write_atomically(&dir, "entry", &[b"bytes"]).is_err());
        assert_eq!(names(&dir), ["entry"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
