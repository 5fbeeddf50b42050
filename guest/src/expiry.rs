//! The decision: is a certificate inside the expiry window, and how urgent is it.

use time::{Duration, OffsetDateTime};

/// Certificates expiring within `days` (inclusive), or already expired, are acted upon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    pub days: u32,
}

/// Whole days from `now` until `not_after`, rounded down; negative once expired.
pub fn days_left(not_after: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let remaining: Duration = not_after - now;
    remaining.whole_seconds().div_euclid(86_400)
}

impl ExpiryWindow {
    pub fn contains(self, days_left: i64) -> bool {
        days_left <= i64::from(self.days)
    }
}

/// ASFF severity labels, from how soon the certificate expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    /// Critical within a week or once expired, high within two weeks, medium within a month,
    /// low otherwise (the tiers x509-certificate-exporter users know).
    pub fn for_days_left(days_left: i64) -> Self {
        match days_left {
            ..=7 => Self::Critical,
            8..=14 => Self::High,
            15..=30 => Self::Medium,
            _ => Self::Low,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// ASFF's normalized score for the label (the middle of the label's documented range).
    pub fn normalized(self) -> u8 {
        match self {
            Self::Low => 20,
            Self::Medium => 50,
            Self::High => 80,
            Self::Critical => 95,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn days_left_rounds_down_and_goes_negative() {
        let now = datetime!(2026-11-29 12:00 UTC);
        assert_eq!(days_left(datetime!(2026-12-10 12:00 UTC), now), 11);
        assert_eq!(days_left(datetime!(2026-12-10 11:59:59 UTC), now), 10);
        assert_eq!(days_left(datetime!(2026-11-29 12:00 UTC), now), 0);
        assert_eq!(days_left(datetime!(2026-11-29 11:00 UTC), now), -1);
        assert_eq!(days_left(datetime!(2026-11-27 12:00 UTC), now), -2);
    }

    #[test]
    fn the_window_is_inclusive_and_covers_expired_certificates() {
        let window = ExpiryWindow { days: 45 };
        for inside in [-30, 0, 1, 10, 44, 45] {
            assert!(window.contains(inside), "{inside}");
        }
        for outside in [46, 300] {
            assert!(!window.contains(outside), "{outside}");
        }
    }

    #[test]
    fn severity_tiers() {
        let tiers: Vec<_> = [-1, 0, 7, 8, 14, 15, 30, 31, 45]
            .into_iter()
            .map(Severity::for_days_left)
            .collect();
        use Severity::*;
        assert_eq!(
            tiers,
            [
                Critical, Critical, Critical, High, High, Medium, Medium, Low, Low
            ]
        );
    }
}
