//! Where the compiled copy lives: the user's cache directory, as the XDG base directory
//! specification names it, unless `CERTWATCH_CACHE_DIR` says otherwise.

use std::ffi::OsString;
use std::path::PathBuf;

/// Names the cache directory to use instead; set but empty, it turns the cache off.
pub const CACHE_DIR_VAR: &str = "CERTWATCH_CACHE_DIR";

/// Where the cache is, or why there is none.
#[derive(Debug, PartialEq, Eq)]
pub enum Location {
    /// This directory (made when first written).
    Dir(PathBuf),
    /// No cache: each start compiles the component in memory.
    Off(&'static str),
}

/// The cache directory the environment (`var`) names: `CERTWATCH_CACHE_DIR` as it is, else
/// `$XDG_CACHE_HOME/certwatch`, else `$HOME/.cache/certwatch`.
pub fn locate(var: impl Fn(&str) -> Option<OsString>) -> Location {
    if let Some(dir) = var(CACHE_DIR_VAR) {
        return match dir.is_empty() {
            true => Location::Off("CERTWATCH_CACHE_DIR is set and empty"),
            false => Location::Dir(PathBuf::from(dir)),
        };
    }
    // The specification has a relative XDG_CACHE_HOME ignored, as an empty one is.
    let absolute = |name: &str| var(name).map(PathBuf::from).filter(|p| p.is_absolute());
    if let Some(cache_home) = absolute("XDG_CACHE_HOME") {
        return Location::Dir(cache_home.join("certwatch"));
    }
    match absolute("HOME") {
        Some(home) => Location::Dir(home.join(".cache").join("certwatch")),
        None => Location::Off("neither XDG_CACHE_HOME nor HOME names a directory"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn located(vars: &[(&str, &str)]) -> Location {
        locate(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| OsString::from(v))
        })
    }

    fn dir(path: &str) -> Location {
        Location::Dir(PathBuf::from(path))
    }

    #[test]
    fn the_xdg_cache_home_comes_first_then_the_home_directory() {
        let both = [("XDG_CACHE_HOME", "/xdg"), ("HOME", "/home/me")];
        assert_eq!(located(&both), dir("/xdg/certwatch"));
        assert_eq!(
            located(&[("HOME", "/home/me")]),
            dir("/home/me/.cache/certwatch")
        );
    }

    #[test]
    fn a_relative_or_empty_xdg_cache_home_is_ignored() {
        for xdg in ["", "relative/cache"] {
            assert_eq!(
                located(&[("XDG_CACHE_HOME", xdg), ("HOME", "/home/me")]),
                dir("/home/me/.cache/certwatch"),
                "{xdg:?}"
            );
        }
    }

    #[test]
    fn the_setting_names_the_directory_itself_and_empty_turns_it_off() {
        let home = ("HOME", "/home/me");
        assert_eq!(
            located(&[(CACHE_DIR_VAR, "/var/cache/cw"), home]),
            dir("/var/cache/cw")
        );
        assert!(matches!(
            located(&[(CACHE_DIR_VAR, ""), home]),
            Location::Off(_)
        ));
    }

    #[test]
    fn without_a_home_there_is_no_cache() {
        assert!(matches!(located(&[]), Location::Off(_)));
        assert!(matches!(located(&[("HOME", "")]), Location::Off(_)));
    }
}
