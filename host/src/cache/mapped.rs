//! Loading an entry without copying it: its bytes are checked as they stream through a small
//! buffer, then wasmtime maps that same file, and only the pages the component runs are read
//! in. Reading the entry into memory and handing wasmtime the copy (which it copies again into
//! its own mapping) faults in twice its few megabytes, the largest share of a warm start.

use crate::precompiled::{self, PrecompiledError, TRAILER_LEN};
use std::fs::File;
use std::io::{Read, Seek as _, SeekFrom};
use std::path::Path;
use wasmtime::Engine;
use wasmtime::component::Component;

/// Why an entry was not loaded.
#[derive(Debug, thiserror::Error)]
pub(super) enum Miss {
    /// There is no entry for this build yet.
    #[error("no entry yet")]
    Absent,
    /// It cannot be read.
    #[error("cannot read it: {0}")]
    Unreadable(std::io::Error),
    /// It is not this build's, or not whole.
    #[error("{0}")]
    Refused(#[from] PrecompiledError),
    /// It is not a file certwatch wrote at all.
    #[error("it is not a file certwatch wrote")]
    Foreign,
    /// wasmtime did not load what the checks let through.
    #[error("wasmtime refused it: {0}")]
    Wasmtime(wasmtime::Error),
}

impl From<std::io::Error> for Miss {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => Self::Absent,
            _ => Self::Unreadable(e),
        }
    }
}

/// The component in the entry at `path`, checked whole before wasmtime sees it: made for
/// `fingerprint`, `engine`'s (see [`precompiled::fingerprint`]).
pub(super) fn load(engine: &Engine, fingerprint: &str, path: &Path) -> Result<Component, Miss> {
    let mut file = File::open(path)?;
    let artifact_len = file
        .metadata()?
        .len()
        .checked_sub(TRAILER_LEN as u64)
        .ok_or(Miss::Foreign)?;
    let expected = {
        let mut line = [0; TRAILER_LEN];
        file.seek(SeekFrom::Start(artifact_len))?;
        file.read_exact(&mut line)?;
        precompiled::expect(fingerprint, &line, artifact_len)?.ok_or(Miss::Foreign)?
    };
    file.rewind()?;
    expected.verify(checksum(&mut file, artifact_len)?)?;
    map(engine, &file).map_err(Miss::Wasmtime)
}

/// The CRC-32 of the first `len` bytes of `file`, read from its start; an error if it has
/// fewer (it was cut short while being read).
fn checksum(file: &mut File, len: u64) -> std::io::Result<u32> {
    // Large enough that the reads cost little, small enough to stay in the CPU's caches.
    let mut buffer = vec![0; 64 * 1024];
    let mut hasher = crc32fast::Hasher::new();
    let mut artifact = file.take(len);
    loop {
        match artifact.read(&mut buffer)? {
            0 => break,
            n => hasher.update(&buffer[..n]),
        }
    }
    match artifact.limit() {
        0 => Ok(hasher.finalize()),
        _ => Err(std::io::ErrorKind::UnexpectedEof.into()),
    }
}

/// wasmtime's mapping of `file`, the very file checked: opened again through its descriptor,
/// so that an entry renamed over it meanwhile is not the one mapped.
#[cfg(target_os = "linux")]
fn map(engine: &Engine, file: &File) -> wasmtime::Result<Component> {
    use std::os::fd::AsRawFd as _;
    let same_file = format!("/proc/self/fd/{}", file.as_raw_fd());
    if !Path::new(&same_file).exists() {
        // No /proc (another Unix, or a container without it): load a checked copy instead.
        return copy(engine, file);
    }
    // SAFETY: the file is an entry certwatch wrote for this very build and engine (its line
    // says so), whole and as written (its length and checksum, just read through this same
    // open file, say so), and wasmtime checks the artifact's own header and engine settings
    // too. wasmtime maps it and reads its code as the component runs, so it must not change
    // meanwhile: certwatch never writes into an entry once it is written (a new one is a new
    // file, renamed into place, and the old one lives on for whoever has it mapped), and an
    // entry is the user's own file, in a directory certwatch makes private to the user.
    unsafe { Component::deserialize_file(engine, same_file) }
}

#[cfg(not(target_os = "linux"))]
fn map(engine: &Engine, file: &File) -> wasmtime::Result<Component> {
    copy(engine, file)
}

/// The entry read into memory and checked there, for systems without `/proc/self/fd`.
fn copy(engine: &Engine, mut file: &File) -> wasmtime::Result<Component> {
    let mut bytes = Vec::new();
    file.rewind()?;
    file.read_to_end(&mut bytes)?;
    match precompiled::unwrap(engine, &bytes) {
        Ok(Some(checked)) => checked.load(engine),
        Ok(None) => Err(wasmtime::format_err!("the entry changed while it was read")),
        Err(e) => Err(wasmtime::format_err!("{e}")),
    }
}
