//! Every certwatch build (another component, another wasmtime version or setting) has an entry
//! of its own, a few megabytes each, and rebuilding certwatch makes a new one each time. Once
//! a new entry is written, the older ones go, all but the few most recently written, which
//! keeps two builds used in turns from compiling at every start. Only certwatch's own files
//! are ever removed: the directory may be one the user shares with other things.

use super::store::TEMPORARY_SUFFIX;
use super::{ENTRY_PREFIX, is_entry};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Entries kept, the one just written included.
pub(super) const KEPT: usize = 3;

/// A temporary file this old is one a writer left when it stopped half way; no write takes
/// this long.
const ABANDONED_AFTER: Duration = Duration::from_secs(60 * 60);

/// Removes from `dir` the entries other than `current` and the `KEPT - 1` written last, and
/// temporary files abandoned there. What cannot be removed stays; it is tried again next time.
pub(super) fn prune(dir: &Path, current: &str) {
    let Ok(listing) = std::fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut others: Vec<(SystemTime, PathBuf)> = Vec::new();
    for item in listing.flatten() {
        let (Ok(name), Ok(metadata)) = (item.file_name().into_string(), item.metadata()) else {
            continue;
        };
        if !metadata.is_file() {
            continue;
        }
        let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        if is_temporary(&name) {
            if now.duration_since(modified).unwrap_or_default() > ABANDONED_AFTER {
                remove(&item.path());
            }
        } else if is_entry(&name) && name != current {
            others.push((modified, item.path()));
        }
    }
    others.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    for (_, path) in others.iter().skip(KEPT - 1) {
        remove(path);
    }
}

/// A temporary file of a writer's: `store.rs` names them after their entry, hidden.
fn is_temporary(name: &str) -> bool {
    name.strip_prefix('.')
        .is_some_and(|rest| rest.starts_with(ENTRY_PREFIX) && rest.ends_with(TEMPORARY_SUFFIX))
}

fn remove(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {
            tracing::debug!(path = %path.display(), "removed an old compiled component from the cache")
        }
        Err(e) => {
            tracing::debug!(path = %path.display(), error = %e, "cannot remove an old compiled component from the cache")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::{entry_name, scratch};

    fn touch(dir: &Path, name: &str, age: Duration) {
        let path = dir.join(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_modified(SystemTime::now() - age).unwrap();
    }

    #[test]
    fn the_entries_written_last_stay_and_nothing_but_certwatch_s_own_files_goes() {
        let dir = scratch::dir("prune");
        std::fs::create_dir_all(&dir).unwrap();
        let hour = Duration::from_secs(3600);
        let current = entry_name("000000000000000c");
        // The current entry is the oldest of all here, and stays all the same.
        touch(&dir, &current, 9 * hour);
        for (key, hours) in [
            ("0000000000000001", 1),
            ("0000000000000002", 2),
            ("0000000000000003", 3),
            ("0000000000000004", 4),
        ] {
            touch(&dir, &entry_name(key), hours * hour);
        }
        let abandoned = format!(".{}.12-0{TEMPORARY_SUFFIX}", entry_name("0000000000000005"));
        let in_progress = format!(".{current}.13-0{TEMPORARY_SUFFIX}");
        touch(&dir, &abandoned, 2 * hour);
        touch(&dir, &in_progress, Duration::ZERO);
        for foreign in ["notes.txt", "other.cwasm", ".hidden.tmp"] {
            touch(&dir, foreign, 5 * hour);
        }

        prune(&dir, &current);

        let mut expected = vec![
            current,
            entry_name("0000000000000001"),
            entry_name("0000000000000002"),
            in_progress,
            "notes.txt".to_owned(),
            "other.cwasm".to_owned(),
            ".hidden.tmp".to_owned(),
        ];
        expected.sort();
        assert_eq!(scratch::names(&dir), expected);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
