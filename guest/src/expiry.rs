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
    /// A resolved finding: nothing left to do.
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

/// The days left at or under which a finding is critical, high and medium; low above them.
/// Expired certificates are always critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityThresholds {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
}

impl Default for SeverityThresholds {
    /// Critical within a week, high within two, medium within a month: the tiers
    /// x509-certificate-exporter users know.
    fn default() -> Self {
        Self {
            critical: 7,
            high: 14,
            medium: 30,
        }
    }
}

impl SeverityThresholds {
    pub fn severity(&self, days_left: i64) -> Severity {
        match days_left {
            d if d < 0 || d <= self.critical => Severity::Critical,
            d if d <= self.high => Severity::High,
            d if d <= self.medium => Severity::Medium,
            _ => Severity::Low,
        }
    }
}

impl Severity {
    pub fn label(self) -> &'static str {
        match self {
            Self::Informational => "INFORMATIONAL",
            Self::Low => "LOW",
            Self::Medium => "MEDIUM",
            Self::High => "HIGH",
            Self::Critical => "CRITICAL",
        }
    }

    /// ASFF's normalized score for the label (the middle of the label's documented range).
    pub fn normalized(self) -> u8 {
        match self {
            Self::Informational => 0,
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
        let thresholds = SeverityThresholds::default();
        let tiers: Vec<_> = [-1, 0, 7, 8, 14, 15, 30, 31, 45]
            .into_iter()
            .map(|d| thresholds.severity(d))
            .collect();
        use Severity::*;
        assert_eq!(
            tiers,
            [
                Critical, Critical, Critical, High, High, Medium, Medium, Low, Low
            ]
        );
    }

    #[test]
    fn thresholds_can_be_moved_and_expired_stays_critical() {
        let strict = SeverityThresholds {
            critical: 14,
            high: 21,
            medium: 40,
        };
        assert_eq!(strict.severity(-3), Severity::Critical);
        assert_eq!(strict.severity(14), Severity::Critical);
        assert_eq!(strict.severity(21), Severity::High);
        assert_eq!(strict.severity(40), Severity::Medium);
        assert_eq!(strict.severity(41), Severity::Low);
        let lax = SeverityThresholds {
            critical: 0,
            high: 1,
            medium: 2,
        };
        assert_eq!(lax.severity(-1), Severity::Critical);
    }
}
