//! One certificate a scan saw, as `certwatch scan` lists it. A scheduled scan's outcome leaves
//! the list out (it is asked for with [`crate::settings::SCAN_LIST`]), so its size does not
//! grow with the account's certificates.

use serde::{Deserialize, Serialize};
use std::cmp::Ordering;

/// What a scan did, or in a dry run would have done, with one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanAction {
    /// Inside the window: its finding raised (or updated).
    FindingRaised,
    /// Renewed out of the window since its finding was raised: the finding resolved.
    FindingResolved,
    /// Inside the window, left out by a filter.
    Excluded,
    /// Not judged: describing it (or listing its tags) failed.
    Failed,
    /// No expiry to judge: pending validation, failed, revoked.
    NoExpiry,
    /// Outside the window, no finding to resolve.
    Nothing,
}

impl ScanAction {
    /// Every action, in the order they are documented.
    pub const ALL: [Self; 6] = [
        Self::FindingRaised,
        Self::FindingResolved,
        Self::Excluded,
        Self::Failed,
        Self::NoExpiry,
        Self::Nothing,
    ];

    /// The name the action has in JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            Self::FindingRaised => "finding-raised",
            Self::FindingResolved => "finding-resolved",
            Self::Excluded => "excluded",
            Self::Failed => "failed",
            Self::NoExpiry => "no-expiry",
            Self::Nothing => "nothing",
        }
    }
}

impl std::fmt::Display for ScanAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// One certificate a scan saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScannedCertificate {
    /// The certificate's ARN.
    pub arn: String,
    /// Its domain as people know it.
    pub domain: String,
    /// The region it lives in.
    pub region: String,
    /// RFC 3339, UTC; `None` for a certificate without an expiry yet.
    pub not_after: Option<String>,
    /// Whole days to `not_after`, rounded down; negative once expired.
    pub days_left: Option<i64>,
    /// Whether it expires inside the window (`EXPIRY_DAYS`), filters aside.
    pub in_window: bool,
    /// ACM's `Type`: `IMPORTED`, `AMAZON_ISSUED` or `PRIVATE`, where ACM said.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Whether an AWS resource uses it, where ACM said.
    pub in_use: Option<bool>,
    /// ACM's `Status`, e.g. `ISSUED`.
    pub status: Option<String>,
    /// What certwatch did with it, or in a dry run would have done.
    pub action: ScanAction,
    /// The filter that left it out, why it failed, or its status when it has no expiry.
    pub reason: Option<String>,
}

impl ScannedCertificate {
    /// Soonest expiry first (expired ones first of all), those without an expiry last; then
    /// by ARN, so the order never depends on which reply came first.
    pub fn soonest_first(a: &Self, b: &Self) -> Ordering {
        let expiry = |c: &Self| (c.days_left.is_none(), c.days_left, c.not_after.clone());
        expiry(a).cmp(&expiry(b)).then_with(|| a.arn.cmp(&b.arn))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn certificate(arn: &str, days_left: Option<i64>) -> ScannedCertificate {
        ScannedCertificate {
            arn: arn.into(),
            domain: "example.com".into(),
            region: "us-east-1".into(),
            not_after: days_left.map(|d| format!("2027-01-{:02}T00:00:00Z", d.clamp(1, 28))),
            days_left,
            in_window: days_left.is_some_and(|d| d <= 45),
            kind: Some("IMPORTED".into()),
            in_use: Some(false),
            status: Some("ISSUED".into()),
            action: ScanAction::Nothing,
            reason: None,
        }
    }

    #[test]
    fn soonest_expiry_comes_first_and_no_expiry_last() {
        let mut list = [
            certificate("d", None),
            certificate("c", Some(30)),
            certificate("b", Some(-2)),
            certificate("a", Some(30)),
            certificate("e", Some(5)),
        ];
        list.sort_by(ScannedCertificate::soonest_first);
        let order: Vec<&str> = list.iter().map(|c| c.arn.as_str()).collect();
        assert_eq!(order, ["b", "e", "a", "c", "d"]);
    }

    #[test]
    fn actions_are_named_as_serde_writes_them() {
        for action in ScanAction::ALL {
            let json = serde_json::to_string(&action).unwrap();
            assert_eq!(json, format!("\"{}\"", action.name()));
        }
    }

    #[test]
    fn the_type_is_written_as_acm_names_it() {
        let json = serde_json::to_value(certificate("a", Some(3))).unwrap();
        assert_eq!(json["type"], "IMPORTED");
        assert_eq!(json["days_left"], 3);
        assert_eq!(json["in_window"], true);
    }
}
