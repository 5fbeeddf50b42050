//! The file `certwatch compile` writes, and the copy the start-up cache keeps: wasmtime's
//! precompiled artifact as it is, so that wasmtime can map it from disk, then one line that
//! names what it was made from and lets its bytes be checked before wasmtime reads them:
//!
//! ```text
//! certwatch-precompiled <fingerprint> <length> <crc-32>\n
//! ```
//!
//! each field in fixed-width lowercase hex. wasmtime refuses an artifact from another wasmtime
//! version or engine by itself, but not one compiled from another component: a Lambda package
//! whose `certwatch.cwasm` is older than its `bootstrap` would run the old component's logic.
//! Nor does it check the machine code it loads: deserialising a file cut short or damaged on
//! disk is undefined behaviour, so the length and checksum are checked first. (wasmtime reads
//! an artifact by its ELF headers and ignores the line after it.)

use std::hash::{DefaultHasher, Hash, Hasher};
use wasmtime::Engine;
use wasmtime::component::Component;

/// How the line starts.
const MAGIC: &[u8] = b"certwatch-precompiled ";
const FINGERPRINT_HEX: usize = 16;
const LENGTH_HEX: usize = 16;
const CHECKSUM_HEX: usize = 8;

/// The line's length, newline included.
pub const TRAILER_LEN: usize =
    MAGIC.len() + FINGERPRINT_HEX + 1 + LENGTH_HEX + 1 + CHECKSUM_HEX + 1;

/// A digest of the embedded component, made by the build script.
const EMBEDDED_FINGERPRINT: &str = env!("CERTWATCH_GUEST_FINGERPRINT");

/// Why a precompiled file is not one this binary may run.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PrecompiledError {
    #[error(
        "it was precompiled by another certwatch build or for another engine configuration \
         (fingerprint {found}, this build's is {expected}); run `certwatch compile` again \
         (for a Lambda package, scripts/package-lambda)"
    )]
    /// Made from another component or for another engine configuration.
    Mismatch {
        /// The file's fingerprint.
        found: String,
        /// This binary's, on this engine.
        expected: String,
    },
    /// It ends as certwatch's files do, but its last line is not what certwatch writes.
    #[error("its certwatch line is damaged")]
    BadTrailer,
    /// More or fewer bytes come before the line than it says: a copy cut short, or two files
    /// run together.
    #[error("it holds {found} bytes of compiled code where its last line says {expected}")]
    WrongLength {
        /// What the line says.
        expected: u64,
        /// What comes before it.
        found: u64,
    },
    /// The bytes are not the ones written: damaged on disk or in a copy.
    #[error(
        "its compiled code is damaged (checksum {found:08x}, its last line says {expected:08x})"
    )]
    Damaged {
        /// What the line says.
        expected: u32,
        /// The artifact's own.
        found: u32,
    },
}

/// An artifact whose line named this build and engine, and whose length and checksum held:
/// the only bytes certwatch hands to wasmtime's deserialiser.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Checked<'a>(&'a [u8]);

impl<'a> Checked<'a> {
    /// The artifact's bytes.
    pub fn bytes(self) -> &'a [u8] {
        self.0
    }

    /// The component, loaded by the engine the file was checked against.
    pub fn load(self, engine: &Engine) -> wasmtime::Result<Component> {
        // SAFETY: the bytes are an artifact certwatch wrote for this very build and engine (its
        // fingerprint says so), whole and as written (its length and checksum say so), and
        // wasmtime checks the artifact's own header and engine settings too. They are copied
        // in: whatever happens to the file later does not reach them.
        unsafe { Component::deserialize(engine, self.0) }
    }
}

/// A file in the form certwatch wrote before its line followed the artifact (the line came
/// first, and nothing checked the bytes): made by an older build, so never one this build runs.
pub fn is_older_form(file: &[u8]) -> bool {
    file.starts_with(MAGIC)
}

/// The fingerprint a file's certwatch line names, if it ends in one: which engine to check it
/// against, before it is checked.
pub fn named_fingerprint(file: &[u8]) -> Option<&str> {
    let line = file.get(file.len().checked_sub(TRAILER_LEN)?..)?;
    Line::parse(line.strip_prefix(MAGIC)?).map(|line| line.fingerprint)
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
    let mut file = artifact.to_vec();
    file.extend_from_slice(&trailer(&fingerprint(engine), artifact));
    file
}

/// The line that follows `artifact` in its file.
pub fn trailer(fingerprint: &str, artifact: &[u8]) -> Vec<u8> {
    let line = format!(
        "{fingerprint} {length:0LENGTH_HEX$x} {checksum:0CHECKSUM_HEX$x}\n",
        length = artifact.len(),
        checksum = crc32fast::hash(artifact),
    );
    [MAGIC, line.as_bytes()].concat()
}

/// The artifact in a file certwatch wrote for this build and `engine`, checked whole; `Ok(None)`
/// when the bytes are not such a file at all (a `.wasm` component, say).
pub fn unwrap<'a>(
    engine: &Engine,
    file: &'a [u8],
) -> Result<Option<Checked<'a>>, PrecompiledError> {
    unwrap_with(&fingerprint(engine), file)
}

fn unwrap_with<'a>(
    expected: &str,
    file: &'a [u8],
) -> Result<Option<Checked<'a>>, PrecompiledError> {
    let Some(split) = file.len().checked_sub(TRAILER_LEN) else {
        return Ok(None);
    };
    let (artifact, line) = file.split_at(split);
    let Some(expected) = expect(expected, line, artifact.len() as u64)? else {
        return Ok(None);
    };
    expected.verify(crc32fast::hash(artifact))?;
    Ok(Some(Checked(artifact)))
}

/// What the artifact before `line` must hash to, once the line names the `expected`
/// fingerprint (see [`fingerprint`]) and `artifact_len` bytes; `Ok(None)` when `line` is not a
/// certwatch line at all. For a reader that checks the artifact as it streams it, rather than
/// whole in memory.
pub fn expect(
    expected: &str,
    line: &[u8],
    artifact_len: u64,
) -> Result<Option<Expected>, PrecompiledError> {
    let Some(rest) = line.strip_prefix(MAGIC) else {
        return Ok(None);
    };
    let line = Line::parse(rest).ok_or(PrecompiledError::BadTrailer)?;
    if line.fingerprint != expected {
        return Err(PrecompiledError::Mismatch {
            found: line.fingerprint.to_owned(),
            expected: expected.to_owned(),
        });
    }
    if line.length != artifact_len {
        return Err(PrecompiledError::WrongLength {
            expected: line.length,
            found: artifact_len,
        });
    }
    Ok(Some(Expected {
        checksum: line.checksum,
    }))
}

/// The checksum an artifact's line says it has.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Expected {
    checksum: u32,
}

impl Expected {
    /// Whether `found`, the CRC-32 of the artifact's bytes, is the one written.
    pub fn verify(self, found: u32) -> Result<(), PrecompiledError> {
        match found == self.checksum {
            true => Ok(()),
            false => Err(PrecompiledError::Damaged {
                expected: self.checksum,
                found,
            }),
        }
    }
}

/// The line's fields, after `MAGIC`.
struct Line<'a> {
    fingerprint: &'a str,
    length: u64,
    checksum: u32,
}

impl<'a> Line<'a> {
    /// `rest` is the three fields, each of its fixed width, a space between them and a newline
    /// after.
    fn parse(rest: &'a [u8]) -> Option<Self> {
        let rest = std::str::from_utf8(rest).ok()?.strip_suffix('\n')?;
        let mut fields = rest.split(' ');
        let (fingerprint, length, checksum) = (fields.next()?, fields.next()?, fields.next()?);
        Some(Self {
            fingerprint: hex(fingerprint, FINGERPRINT_HEX)?,
            length: u64::from_str_radix(hex(length, LENGTH_HEX)?, 16).ok()?,
            checksum: u32::from_str_radix(hex(checksum, CHECKSUM_HEX)?, 16).ok()?,
        })
    }
}

/// `field`, if it is `width` digits of lowercase hex, as certwatch writes them.
fn hex(field: &str, width: usize) -> Option<&str> {
    let digits = field
        .bytes()
        .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    (field.len() == width && digits).then_some(field)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runtime::{Limits, engine};

    const KEY: &str = "0123456789abcdef";

    fn on_demand() -> Engine {
        engine(&Limits::default()).unwrap()
    }

    fn wrapped(artifact: &[u8]) -> Vec<u8> {
        [artifact, &trailer(KEY, artifact)].concat()
    }

    fn unwrapped(file: &[u8]) -> Result<Option<&[u8]>, PrecompiledError> {
        unwrap_with(KEY, file).map(|checked| checked.map(Checked::bytes))
    }

    #[test]
    fn a_wrapped_artifact_unwraps_on_the_same_engine() {
        let engine = on_demand();
        let file = wrap(&engine, b"artifact");
        assert_eq!(
            unwrap(&engine, &file).map(|c| c.map(Checked::bytes)),
            Ok(Some(&b"artifact"[..]))
        );
    }

    #[test]
    fn the_artifact_comes_first_then_one_line_of_fixed_width() {
        let checksum = crc32fast::hash(b"artifact");
        let file = String::from_utf8(wrapped(b"artifact")).unwrap();
        assert_eq!(
            file,
            format!("artifactcertwatch-precompiled {KEY} 0000000000000008 {checksum:08x}\n")
        );
        assert_eq!(file.len() - b"artifact".len(), TRAILER_LEN);
    }

    #[test]
    fn a_file_names_its_fingerprint_before_it_is_checked() {
        assert_eq!(named_fingerprint(&wrapped(b"artifact")), Some(KEY));
        // Named even where the bytes before it are damaged: the check comes after.
        let mut damaged = wrapped(b"artifact");
        damaged[0] ^= 1;
        assert_eq!(named_fingerprint(&damaged), Some(KEY));
        assert_eq!(named_fingerprint(b"\0asm\x0d\0\x01\0"), None);
        assert_eq!(named_fingerprint(b""), None);
    }

    #[test]
    fn code_for_any_machine_of_an_architecture_has_a_fingerprint_of_its_own() {
        use crate::code_target::{Architecture, CodeTarget};
        let any = |architecture| {
            crate::runtime::engine_for(&Limits::default(), CodeTarget::AnyLinux(architecture))
                .map(|engine| fingerprint(&engine))
                .unwrap()
        };
        let this_machine = fingerprint(&on_demand());
        assert_ne!(any(Architecture::X86_64), any(Architecture::Aarch64));
        for architecture in Architecture::ALL {
            assert_ne!(any(architecture), this_machine, "{architecture}");
        }
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
        let mut file = wrapped(b"artifact");
        let digit = file.len() - TRAILER_LEN + MAGIC.len();
        file[digit] = b'f';
        let error = unwrapped(&file).unwrap_err();
        assert!(matches!(error, PrecompiledError::Mismatch { .. }));
        assert!(
            error.to_string().contains("run `certwatch compile` again"),
            "{error}"
        );
    }

    #[test]
    fn a_file_cut_short_or_run_together_is_refused() {
        let file = wrapped(b"artifact");
        // Cut at its start: the line is there, the code it names is not all there.
        assert_eq!(
            unwrapped(&file[1..]),
            Err(PrecompiledError::WrongLength {
                expected: 8,
                found: 7
            })
        );
        assert_eq!(
            unwrapped(&[b"x", &file[..]].concat()),
            Err(PrecompiledError::WrongLength {
                expected: 8,
                found: 9
            })
        );
        // Cut at its end: no line, so not a file certwatch wrote.
        assert_eq!(unwrapped(&file[..file.len() - 1]), Ok(None));
        assert_eq!(unwrapped(&file[..3]), Ok(None));
    }

    #[test]
    fn a_flipped_bit_in_the_code_is_refused() {
        let mut file = wrapped(b"artifact");
        file[2] ^= 0x01;
        assert!(matches!(
            unwrapped(&file),
            Err(PrecompiledError::Damaged { .. })
        ));
    }

    #[test]
    fn a_streaming_reader_gets_the_same_answers() {
        let file = wrapped(b"artifact");
        let (artifact, line) = file.split_at(file.len() - TRAILER_LEN);
        let expected = expect(KEY, line, 8).unwrap().unwrap();
        assert_eq!(expected.verify(crc32fast::hash(artifact)), Ok(()));
        assert!(expected.verify(crc32fast::hash(b"artifacT")).is_err());
        assert!(matches!(
            expect(KEY, line, 9),
            Err(PrecompiledError::WrongLength { .. })
        ));
        assert_eq!(expect(KEY, b"\0asm", 8), Ok(None));
    }

    #[test]
    fn the_older_form_is_told_apart() {
        let older = [MAGIC, KEY.as_bytes(), b"\nartifact"].concat();
        assert!(is_older_form(&older));
        assert_eq!(unwrapped(&older), Ok(None));
        assert!(!is_older_form(&wrapped(b"artifact")));
    }

    #[test]
    fn other_files_are_not_precompiled_ones_and_damaged_lines_are_errors() {
        assert_eq!(unwrapped(b"\0asm\x0d\0\x01\0"), Ok(None));
        let good = wrapped(b"artifact");
        // Each byte of the line after its start, made something certwatch never writes there.
        let line = good.len() - TRAILER_LEN;
        for at in line + MAGIC.len()..good.len() {
            let mut file = good.clone();
            file[at] = b'X';
            assert_eq!(
                unwrapped(&file),
                Err(PrecompiledError::BadTrailer),
                "at {at}"
            );
        }
    }
}
