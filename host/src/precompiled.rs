//! The file `certwatch compile` writes: wasmtime's precompiled artifact behind one line that
//! names what it was made from, so that a file from another certwatch build, or for another
//! engine configuration, is never run. wasmtime refuses an artifact from another wasmtime
//! version or engine by itself, but not one compiled from another component: a Lambda package
//! whose `certwatch.cwasm` is older than its `bootstrap` would run the old component's logic.

use std::hash::{DefaultHasher, Hash, Hasher};
use wasmtime::Engine;

/// The first bytes of the file, then the fingerprint in hex and a newline.
const MAGIC: &[u8] = b"certwatch-precompiled ";
const FINGERPRINT_HEX: usize = 16;

/// A digest of the embedded component, made by the build script.
const EMBEDDED_FINGERPRINT: &str = env!("CERTWATCH_GUEST_FINGERPRINT");

/// Why a precompiled file is not one this binary may run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrecompiledError {
    #[error(
        "it was precompiled by another certwatch build or for another engine configuration \
         (fingerprint {found}, this build's is {expected}); run `certwatch compile` again"
    )]
    /// Made from another component or for another engine configuration.
    Mismatch {
        /// The file's fingerprint.
        found: String,
        /// This binary's, on this engine.
        expected: String,
    },
    /// It starts as certwatch's files do, but its fingerprint line is cut short or not text.
    #[error("its certwatch header is damaged")]
    BadHeader,
}

/// What an artifact must have been made from to run on `engine`: the engine's compilation
/// settings (wasmtime's precompile compatibility hash) and the component this binary embeds.
/// The pooling allocator does not change it: one file serves `run`, Lambda and `serve`.
pub fn fingerprint(engine: &Engine) -> String {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    EMBEDDED_FINGERPRINT.hash(&mut hasher);
    format!("{:0width$x}", hasher.finish(), width = FINGERPRINT_HEX)
}

/// The file to write for `artifact`, precompiled by `engine`.
pub fn wrap(engine: &Engine, artifact: &[u8]) -> Vec<u8> {
    let mut file = Vec::with_capacity(MAGIC.len() + FINGERPRINT_HEX + 1 + artifact.len());
    file.extend_from_slice(MAGIC);
    file.extend_from_slice(fingerprint(engine).as_bytes());
    file.push(b'\n');
    file.extend_from_slice(artifact);
    file
}

/// The artifact in a file `certwatch compile` wrote for this build and `engine`; `Ok(None)`
/// when the bytes are not such a file at all (a `.wasm` component, say).
pub fn unwrap<'a>(engine: &Engine, file: &'a [u8]) -> Result<Option<&'a [u8]>, PrecompiledError> {
    let Some(rest) = file.strip_prefix(MAGIC) else {
        return Ok(None);
    };
    let (found, artifact) = match rest.split_at_checked(FINGERPRINT_HEX) {
        Some((found, [b'\n', artifact @ ..])) => (found, artifact),
        _ => return Err(PrecompiledError::BadHeader),
    };
    let found = std::str::from_utf8(found).map_err(|_| PrecompiledError::BadHeader)?;
    let expected = fingerprint(engine);
    if found != expected {
        return Err(PrecompiledError::Mismatch {
            found: found.to_owned(),
            expected,
        });
    }
    Ok(Some(artifact))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Limits, engine};

    fn on_demand() -> Engine {
        engine(&Limits::default()).unwrap()
    }

    #[test]
    fn a_wrapped_artifact_unwraps_on_the_same_engine() {
        let engine = on_demand();
        let file = wrap(&engine, b"artifact");
        assert_eq!(unwrap(&engine, &file), Ok(Some(&b"artifact"[..])));
    }

    #[test]
    fn the_pooling_allocator_keeps_the_fingerprint() {
        let pooled = engine(&Limits {
            instance_pool: Some(4),
            ..Limits::default()
        })
        .unwrap();
        assert_eq!(fingerprint(&pooled), fingerprint(&on_demand()));
    }

    #[test]
    fn another_fingerprint_is_refused_and_says_what_to_do() {
        let engine = on_demand();
        let mut file = wrap(&engine, b"artifact");
        let digit = MAGIC.len();
        file[digit] = if file[digit] == b'0' { b'1' } else { b'0' };
        let error = unwrap(&engine, &file).unwrap_err();
        assert!(matches!(error, PrecompiledError::Mismatch { .. }));
        assert!(
            error.to_string().contains("run `certwatch compile` again"),
            "{error}"
        );
    }

    #[test]
    fn other_files_are_not_precompiled_ones_and_damaged_headers_are_errors() {
        let engine = on_demand();
        assert_eq!(unwrap(&engine, b"\0asm\x0d\0\x01\0"), Ok(None));
        assert_eq!(
            unwrap(&engine, b"certwatch-precompiled 12"),
            Err(PrecompiledError::BadHeader)
        );
        assert_eq!(
            unwrap(&engine, b"certwatch-precompiled 0123456789abcdefX"),
            Err(PrecompiledError::BadHeader)
        );
    }
}
