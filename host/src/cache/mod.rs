//! A compiled copy of the embedded component in the user's cache directory, so that a start
//! loads it (milliseconds) instead of compiling the component with Cranelift (half a second
//! and more, at every start).
//!
//! An entry is the file `certwatch compile` writes (precompiled.rs), named after its
//! fingerprint: the component and the engine's compilation settings. A build finds only its
//! own entry, and checks it before it is loaded; one that is missing, stale or damaged is
//! compiled again and written anew. The cache is only ever a shortcut: when it cannot be read
//! or written, the component is compiled in memory, as without it, and a debug line says why.
//!
//! wasmtime's own cache (`Config::cache`) was not used: it brings zstd (C) and TOML for its
//! settings, compresses each entry (decompressing it again at every start), runs a cleaning
//! worker, and hands what it reads to the deserialiser without a checksum of its own.

mod location;
mod mapped;
mod prune;
#[cfg(test)]
mod scratch;
mod store;

pub use location::{CACHE_DIR_VAR, Location, locate};

use crate::precompiled;
use mapped::Miss;
use std::ffi::OsString;
use std::path::PathBuf;
use wasmtime::Engine;
use wasmtime::component::Component;

/// How an entry's name starts and ends; between them, its fingerprint.
const ENTRY_PREFIX: &str = "embedded-";
const ENTRY_SUFFIX: &str = ".cwasm";

/// The directory that keeps the compiled copies of the embedded component.
#[derive(Debug, Clone)]
pub struct ComponentCache {
    dir: PathBuf,
}

impl ComponentCache {
    /// The cache the environment (`var`) names, or none when it turns the cache off or names
    /// no home directory (see [`locate`]).
    pub fn from_env(var: impl Fn(&str) -> Option<OsString>) -> Option<Self> {
        match locate(var) {
            Location::Dir(dir) => Some(Self::in_dir(dir)),
            Location::Off(why) => {
                tracing::debug!(why, "no cache for the compiled component");
                None
            }
        }
    }

    /// A cache in `dir`, made when first written.
    pub fn in_dir(dir: PathBuf) -> Self {
        Self { dir }
    }

    /// This build's compiled component for `engine`, if the cache holds it whole.
    pub fn load(&self, engine: &Engine) -> Option<Component> {
        let fingerprint = precompiled::fingerprint(engine);
        let path = self.dir.join(entry_name(&fingerprint));
        match mapped::load(engine, &fingerprint, &path) {
            Ok(component) => {
                tracing::debug!(path = %path.display(), "loaded the compiled component from the cache");
                Some(component)
            }
            Err(Miss::Absent) => {
                tracing::debug!(path = %path.display(), "the cache holds no compiled component for this build yet");
                None
            }
            Err(miss) => {
                tracing::debug!(path = %path.display(), error = %miss, "the cached component is stale or damaged; compiling it again");
                None
            }
        }
    }

    /// Keeps `component`, just compiled on `engine`, for the next start; removes old entries.
    /// A cache that cannot be written is no error: this start already has its component.
    pub fn keep(&self, engine: &Engine, component: &Component) {
        let artifact = match component.serialize() {
            Ok(artifact) => artifact,
            Err(e) => {
                tracing::debug!(error = %e, "cannot serialise the compiled component; not caching it");
                return;
            }
        };
        let fingerprint = precompiled::fingerprint(engine);
        let name = entry_name(&fingerprint);
        let trailer = precompiled::trailer(&fingerprint, &artifact);
        match store::write_atomically(&self.dir, &name, &[&artifact, &trailer]) {
            Ok(path) => {
                tracing::debug!(path = %path.display(), "kept the compiled component in the cache");
                prune::prune(&self.dir, &name);
            }
            Err(e) => {
                tracing::debug!(dir = %self.dir.display(), error = %e, "the cache directory is not writable; the component was compiled in memory only");
            }
        }
    }
}

fn entry_name(fingerprint: &str) -> String {
    format!("{ENTRY_PREFIX}{fingerprint}{ENTRY_SUFFIX}")
}

fn is_entry(name: &str) -> bool {
    name.starts_with(ENTRY_PREFIX) && name.ends_with(ENTRY_SUFFIX)
}
