//! How long `serve` waits for a client and how many it holds at once, and whether that many
//! connections fit in the process's file descriptors.

use std::time::Duration;

/// The most connections open at once when `--max-connections` is not given (fewer if the
/// descriptor limit leaves less room).
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// The most a request's head may take in memory; a larger one is answered 431. EventBridge's
/// heads are well under 8 KiB.
pub(super) const HEAD_BYTES: usize = 64 * 1024;

/// Descriptors `serve` keeps for itself beside client connections: standard streams, the
/// listening socket, the component and cache files, the runtime's own.
const RESERVED_DESCRIPTORS: u64 = 64;

/// Descriptors an event in flight may hold for its calls to AWS.
const DESCRIPTORS_PER_EVENT: u64 = 2;

/// The limits on clients, from `serve`'s flags.
#[derive(Debug, Clone)]
pub struct ConnectionLimits {
    /// The most connections open at once (`--max-connections`); past it a new one is answered
    /// 503 and closed. `None`: [`DEFAULT_MAX_CONNECTIONS`], or what the descriptors allow.
    pub max_connections: Option<usize>,
    /// From a connection's start, or a request's first byte, to the end of its head.
    pub header_read: Duration,
    /// From the end of a request's head to the end of its body.
    pub body_read: Duration,
    /// How long a kept-alive connection may wait for its next request.
    pub keep_alive: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            max_connections: None,
            header_read: Duration::from_secs(10),
            body_read: Duration::from_secs(30),
            keep_alive: Duration::from_secs(60),
        }
    }
}

/// The cap `serve` runs with, and why it may not fit.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Cap {
    pub(super) connections: usize,
    pub(super) misfit: Option<Misfit>,
}

/// A `--max-connections` above what the descriptor limit leaves for client connections:
/// connections past `room` fail to be accepted instead of being answered 503.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Misfit {
    pub(super) descriptors: u64,
    pub(super) room: u64,
}

impl std::fmt::Display for Misfit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the open-file limit is {} descriptors, which leaves room for {} client connections; \
             raise it (ulimit -n) or lower --max-connections",
            self.descriptors, self.room
        )
    }
}

/// The connection cap: the one asked for, checked against the soft descriptor limit
/// (`None`: unknown or unlimited); without one, the default, lowered to fit.
pub(super) fn cap(
    requested: Option<usize>,
    descriptors: Option<u64>,
    max_concurrency: usize,
) -> Cap {
    let room = descriptors.map(|limit| {
        let reserved = RESERVED_DESCRIPTORS + DESCRIPTORS_PER_EVENT * max_concurrency as u64;
        limit.saturating_sub(reserved)
    });
    let fits = |connections: usize| room.is_none_or(|room| connections as u64 <= room);
    match requested {
        Some(connections) => Cap {
            connections: connections.max(1),
            misfit: match (descriptors, room) {
                (Some(descriptors), Some(room)) if !fits(connections) => {
                    Some(Misfit { descriptors, room })
                }
                _ => None,
            },
        },
        None => {
            let room = room.map_or(usize::MAX, |room| {
                usize::try_from(room).unwrap_or(usize::MAX)
            });
            Cap {
                connections: DEFAULT_MAX_CONNECTIONS.min(room).max(1),
                misfit: None,
            }
        }
    }
}

/// The soft limit on open files (`RLIMIT_NOFILE`), if there is one.
#[cfg(unix)]
pub(super) fn descriptor_limit() -> Option<u64> {
    rustix::process::getrlimit(rustix::process::Resource::Nofile).current
}

/// The soft limit on open files: none known off Unix.
#[cfg(not(unix))]
pub(super) fn descriptor_limit() -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_cap_fits_a_roomy_limit() {
        assert_eq!(
            cap(None, Some(65_536), 64),
            Cap {
                connections: DEFAULT_MAX_CONNECTIONS,
                misfit: None
            }
        );
        assert_eq!(cap(None, None, 64).connections, DEFAULT_MAX_CONNECTIONS);
    }

    #[test]
    fn the_default_cap_shrinks_to_fit_a_small_limit() {
        // 256 descriptors, 64 kept, 2 for each of 64 events: room for 64 connections.
        assert_eq!(
            cap(None, Some(256), 64),
            Cap {
                connections: 64,
                misfit: None
            }
        );
        assert_eq!(cap(None, Some(16), 64).connections, 1);
    }

    #[test]
    fn a_cap_asked_for_is_kept_and_a_misfit_said() {
        assert_eq!(
            cap(Some(2_000), Some(2_048), 64),
            Cap {
                connections: 2_000,
                misfit: Some(Misfit {
                    descriptors: 2_048,
                    room: 1_856
                })
            }
        );
        assert_eq!(cap(Some(1_856), Some(2_048), 64).misfit, None);
        assert_eq!(cap(Some(100_000), None, 64).misfit, None);
        assert_eq!(cap(Some(0), None, 64).connections, 1);
    }

    #[test]
    fn the_misfit_says_what_to_do() {
        let misfit = Misfit {
            descriptors: 2_048,
            room: 1_856,
        };
        assert!(misfit.to_string().contains("ulimit -n"), "{misfit}");
        assert!(misfit.to_string().contains("1856"), "{misfit}");
    }

    #[test]
    fn this_process_has_a_descriptor_limit() {
        let limit = descriptor_limit();
        if cfg!(unix) {
            assert!(limit.is_some_and(|l| l > 0), "{limit:?}");
        }
    }
}
