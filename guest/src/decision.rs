//! The decision, in one place: for one certificate and what prompted the look at it (an ACM
//! event, an AWS Health event, a scan), what certwatch does: leave it out, leave it be, resolve
//! its finding, or raise its finding at a severity and tell the owner, today or not. Events and
//! scans both ask [`Rules::judge`]; nothing else decides.

use crate::certificate::{CertificateDetail, Tag};
use crate::config::Config;
use crate::event::Renewal;
use crate::filter::Filters;
use std::collections::BTreeSet;
use time::{Duration, OffsetDateTime};

/// What prompted certwatch to look at a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// ACM's "Approaching Expiration" or "Expired"; the event's `DaysToExpiry`, if it gave one.
    Expiry(Option<i64>),
    /// Renewed or (re-)imported.
    Renewal(Renewal),
    /// ACM cannot renew it by itself, for this reason ("Renewal Action Required", AWS Health).
    ActionRequired(&'a str),
    /// A scheduled scan listed it.
    Scan,
}

/// What certwatch does about one certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<'a> {
    /// A filter leaves it out, for this reason: nothing is written or sent.
    Excluded(String),
    /// Outside the window, and nothing to resolve: nothing to do.
    NotExpiring,
    /// Renewed out of the window: its open finding, if it has one, is resolved and the owner
    /// told.
    Renewed(Renewal),
    /// Its finding is raised (or updated) at `severity`, and the owner told unless `notify`
    /// says why not today.
    Raise {
        /// The finding's severity, from the days left.
        severity: Severity,
        /// Why ACM cannot renew it, when that is what prompted it.
        action: Option<&'a str>,
        /// Whether the owner is told today.
        notify: Notify,
    },
}

/// Whether the owner hears of a raised finding today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notify {
    /// The owner is told now.
    Now,
    /// Not a notification day (`NOTIFY_AT_DAYS`); the finding is still updated.
    NotToday(String),
}

/// The rules a certificate is judged by, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    /// Which certificates are acted upon (`EXPIRY_DAYS`).
    pub window: ExpiryWindow,
    /// How severe a finding is for its days left (`SEVERITY_DAYS`).
    pub severity: SeverityThresholds,
    /// Which certificates are left out (`ONLY_IMPORTED`, `INCLUDE_TAGS`, ...).
    pub filters: &'a Filters,
    /// Days left on which the owner is told (`NOTIFY_AT_DAYS`); every day when `None`.
    pub notify_at_days: Option<&'a BTreeSet<i64>>,
}

impl<'a> Rules<'a> {
    /// The rules `config` sets.
    pub fn from_config(config: &'a Config) -> Self {
        Self {
            window: ExpiryWindow {
                days: config.expiry_days,
            },
            severity: config.severity,
            filters: &config.filters,
            notify_at_days: config.notify_at_days.as_ref(),
        }
    }

    /// What happens to the certificate `detail` (with its `tags`, where they were read), which
    /// expires in `days_left` days, prompted by `trigger`.
    ///
    /// An event's certificate is filtered first, whatever its days left. A scan reads tags only
    /// inside the window, so it filters there only: a certificate outside the window stays one
    /// whose finding a renewal may resolve.
    pub fn judge<'t>(
        &self,
        detail: &CertificateDetail,
        tags: &[Tag],
        days_left: i64,
        trigger: Trigger<'t>,
    ) -> Verdict<'t> {
        let inside = self.window.contains(days_left);
        if matches!(trigger, Trigger::Scan) && !inside {
            return Verdict::NotExpiring;
        }
        if let Some(reason) = self.filters.exclusion(detail, tags) {
            return Verdict::Excluded(reason);
        }
        let severity = self.severity.severity(days_left);
        match (trigger, inside) {
            // A renewal that needs its owner is raised whatever the days left, at least
            // medium, and told at once: ACM tries from 60 days out, and waiting for the window
            // (or a notification day) would waste them.
            (Trigger::ActionRequired(reason), _) => Verdict::Raise {
                severity: severity.max(Severity::Medium),
                action: Some(reason),
                notify: Notify::Now,
            },
            (Trigger::Expiry(event_days), true) => Verdict::Raise {
                severity,
                action: None,
                notify: self.notify(event_days.unwrap_or(days_left), days_left),
            },
            (Trigger::Renewal(_) | Trigger::Scan, true) => Verdict::Raise {
                severity,
                action: None,
                notify: self.notify(days_left, days_left),
            },
            (Trigger::Expiry(_) | Trigger::Scan, false) => Verdict::NotExpiring,
            (Trigger::Renewal(renewal), false) => Verdict::Renewed(renewal),
        }
    }

    /// Whether the owner is told on `day` (the event's `DaysToExpiry`, else the days left): on
    /// the days `NOTIFY_AT_DAYS` names, and always once the certificate has expired.
    fn notify(&self, day: i64, days_left: i64) -> Notify {
        match self.notify_at_days {
            Some(days) if days_left > 0 && !days.contains(&day) => {
                let listed: Vec<String> = days.iter().rev().map(i64::to_string).collect();
                Notify::NotToday(format!(
                    "{day} days left is not a notification day (NOTIFY_AT_DAYS={})",
                    listed.join(",")
                ))
            }
            _ => Notify::Now,
        }
    }
}

/// Whether a scan resolves a certificate's open finding, raised when it expired at
/// `raised_for` (the finding's own record of `NotAfter`): only once it expires later than that
/// and outside the window (renewed). Outside the window is not enough: a finding raised for a
/// renewal that needs action, or under a wider window, stays open until then.
pub fn renewed_since(raised_for: Option<OffsetDateTime>, not_after: OffsetDateTime) -> bool {
    raised_for.is_some_and(|before| not_after > before)
}

/// Certificates expiring within `days` (inclusive), or already expired, are acted upon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiryWindow {
    /// How far ahead the window reaches, in days (`EXPIRY_DAYS`).
    pub days: u32,
}

/// Whole days from `now` until `not_after`, rounded down; negative once expired.
pub fn days_left(not_after: OffsetDateTime, now: OffsetDateTime) -> i64 {
    let remaining: Duration = not_after - now;
    remaining.whole_seconds().div_euclid(86_400)
}

impl ExpiryWindow {
    /// Whether a certificate `days_left` days from expiry is inside: expired ones always are.
    pub fn contains(self, days_left: i64) -> bool {
        days_left <= i64::from(self.days)
    }
}

/// ASFF severity labels, from how soon the certificate expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A resolved finding: nothing left to do.
    Informational,
    /// Further from expiry than the medium threshold.
    Low,
    /// At or under the medium threshold's days left.
    Medium,
    /// At or under the high threshold's days left.
    High,
    /// At or under the critical threshold's days left, or expired.
    Critical,
}

/// The days left at or under which a finding is critical, high and medium; low above them.
/// Expired certificates are always critical.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeverityThresholds {
    /// Days left at or under which a finding is critical.
    pub critical: i64,
    /// Days left at or under which a finding is high.
    pub high: i64,
    /// Days left at or under which a finding is medium.
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
    /// The severity of a finding for a certificate `days_left` days from expiry.
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
    /// The ASFF label: `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`.
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
    use crate::filter::TagPattern;

    fn rules<'a>(filters: &'a Filters, days: Option<&'a BTreeSet<i64>>) -> Rules<'a> {
        Rules {
            window: ExpiryWindow { days: 45 },
            severity: SeverityThresholds::default(),
            filters,
            notify_at_days: days,
        }
    }

    #[test]
    fn events_raise_inside_the_window_and_scans_too() {
        let filters = Filters::default();
        let rules = rules(&filters, None);
        let detail = CertificateDetail::default();
        let raised = |trigger| rules.judge(&detail, &[], 10, trigger);
        for trigger in [
            Trigger::Expiry(Some(10)),
            Trigger::Scan,
            Trigger::Renewal(Renewal::Reimport),
        ] {
            assert_eq!(
                raised(trigger),
                Verdict::Raise {
                    severity: Severity::High,
                    action: None,
                    notify: Notify::Now
                },
                "{trigger:?}"
            );
        }
        assert_eq!(
            rules.judge(&detail, &[], 46, Trigger::Expiry(None)),
            Verdict::NotExpiring
        );
        assert_eq!(
            rules.judge(&detail, &[], 46, Trigger::Scan),
            Verdict::NotExpiring
        );
        assert_eq!(
            rules.judge(&detail, &[], 300, Trigger::Renewal(Renewal::Renewal)),
            Verdict::Renewed(Renewal::Renewal)
        );
    }

    #[test]
    fn action_required_is_raised_at_least_medium_whatever_the_days_and_told_at_once() {
        let filters = Filters::default();
        let days = BTreeSet::from([30]);
        let rules = rules(&filters, Some(&days));
        let detail = CertificateDetail::default();
        assert_eq!(
            rules.judge(&detail, &[], 55, Trigger::ActionRequired("CAA_ERROR")),
            Verdict::Raise {
                severity: Severity::Medium,
                action: Some("CAA_ERROR"),
                notify: Notify::Now
            }
        );
        let Verdict::Raise { severity, .. } =
            rules.judge(&detail, &[], 3, Trigger::ActionRequired("CAA_ERROR"))
        else {
            panic!("not raised");
        };
        assert_eq!(severity, Severity::Critical);
    }

    #[test]
    fn notification_days_hold_messages_back_but_never_once_expired() {
        let filters = Filters::default();
        let days = BTreeSet::from([1, 7, 30]);
        let rules = rules(&filters, Some(&days));
        let detail = CertificateDetail::default();
        let notify = |days_left, trigger| match rules.judge(&detail, &[], days_left, trigger) {
            Verdict::Raise { notify, .. } => notify,
            other => panic!("{other:?}"),
        };
        assert_eq!(notify(7, Trigger::Scan), Notify::Now);
        assert_eq!(
            notify(10, Trigger::Scan),
            Notify::NotToday(
                "10 days left is not a notification day (NOTIFY_AT_DAYS=30,7,1)".into()
            )
        );
        // The event's own day counts: ACM sends it on its schedule.
        assert_eq!(notify(8, Trigger::Expiry(Some(7))), Notify::Now);
        assert_eq!(notify(-2, Trigger::Expiry(None)), Notify::Now);
    }

    #[test]
    fn filters_leave_an_event_out_whatever_its_days_but_a_scan_only_inside_the_window() {
        let filters = Filters {
            exclude_tags: vec![TagPattern::parse("certwatch=ignore").unwrap()],
            ..Filters::default()
        };
        let rules = rules(&filters, None);
        let detail = CertificateDetail::default();
        let tags = [Tag {
            key: "certwatch".into(),
            value: Some("ignore".into()),
        }];
        assert!(matches!(
            rules.judge(&detail, &tags, 300, Trigger::Renewal(Renewal::Renewal)),
            Verdict::Excluded(_)
        ));
        assert!(matches!(
            rules.judge(&detail, &tags, 10, Trigger::Scan),
            Verdict::Excluded(_)
        ));
        assert_eq!(
            rules.judge(&detail, &[], 300, Trigger::Scan),
            Verdict::NotExpiring
        );
    }

    #[test]
    fn a_scan_resolves_only_a_certificate_that_now_expires_later() {
        use time::macros::datetime;
        let raised_for = Some(datetime!(2026-12-10 12:00 UTC));
        assert!(renewed_since(raised_for, datetime!(2027-12-10 12:00 UTC)));
        assert!(!renewed_since(raised_for, datetime!(2026-12-10 12:00 UTC)));
        assert!(!renewed_since(None, datetime!(2027-12-10 12:00 UTC)));
    }

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
