//! Warnings about abusive clients, once per burst: a flood of stalled connections would
//! otherwise write a line per connection and bury the log. The first occurrence is logged at
//! once; later ones are counted and reported together, at most once per window.

use std::time::{Duration, Instant};

/// How often a burst's running count is reported, at most.
pub(super) const REPORT_EVERY: Duration = Duration::from_secs(10);

/// What to log for an occurrence, if anything.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Report {
    /// The first occurrence since the last report was more than a window ago: a new burst.
    First,
    /// The burst goes on: `count` occurrences (this one included) since the last report, which
    /// was `over` ago.
    Again { count: u64, over: Duration },
}

/// One kind of occurrence's burst state. Pure: the caller passes the time.
#[derive(Debug)]
pub(super) struct BurstLog {
    window: Duration,
    last_report: Option<Instant>,
    unreported: u64,
}

impl BurstLog {
    pub(super) const fn new(window: Duration) -> Self {
        Self {
            window,
            last_report: None,
            unreported: 0,
        }
    }

    /// Notes one occurrence at `now`; says what to log for it.
    pub(super) fn note(&mut self, now: Instant) -> Option<Report> {
        let report = match self.last_report {
            Some(at) if now.saturating_duration_since(at) < self.window => {
                self.unreported += 1;
                return None;
            }
            Some(at) if self.unreported > 0 => Report::Again {
                count: self.unreported + 1,
                over: now.saturating_duration_since(at),
            },
            _ => Report::First,
        };
        self.last_report = Some(now);
        self.unreported = 0;
        Some(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(10);

    fn at(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn the_first_occurrence_is_reported_and_the_rest_of_the_window_counted() {
        let start = Instant::now();
        let mut log = BurstLog::new(WINDOW);
        assert_eq!(log.note(start), Some(Report::First));
        for millis in 1..=999 {
            assert_eq!(log.note(at(start, millis)), None, "at {millis} ms");
        }
        assert_eq!(
            log.note(at(start, 10_000)),
            Some(Report::Again {
                count: 1_000,
                over: WINDOW
            })
        );
    }

    #[test]
    fn a_long_burst_is_reported_once_per_window() {
        let start = Instant::now();
        let mut log = BurstLog::new(WINDOW);
        // One occurrence every 100 ms for a minute.
        let reports: Vec<Report> = (0..600)
            .filter_map(|i| log.note(at(start, i * 100)))
            .collect();
        assert_eq!(reports.len(), 6, "{reports:?}");
        assert_eq!(reports[0], Report::First);
        for report in &reports[1..] {
            assert_eq!(
                report,
                &Report::Again {
                    count: 100,
                    over: WINDOW
                }
            );
        }
    }

    #[test]
    fn after_a_quiet_window_a_new_burst_starts() {
        let start = Instant::now();
        let mut log = BurstLog::new(WINDOW);
        assert_eq!(log.note(start), Some(Report::First));
        assert_eq!(log.note(at(start, 60_000)), Some(Report::First));
        assert_eq!(log.note(at(start, 60_001)), None);
    }
}
