//! What `certwatch scan` lists: one entry for each certificate a scan saw, made as it is judged,
//! and only when the host asked for the list (`CERTWATCH_SCAN_LIST`): a scheduled scan of
//! 10,000 certificates neither keeps nor returns them.

use super::Resolution;
use crate::arn::CertificateArn;
use crate::certificate::CertificateDetail;
use crate::finding::display_domain;
use crate::outcome::{ScanAction, ScannedCertificate};
use crate::timestamp::rfc3339_seconds;
use time::OffsetDateTime;

/// The certificates seen so far, when they are wanted.
#[derive(Debug, Default)]
pub(crate) struct Inventory {
    /// `None` when the list was not asked for: nothing is kept.
    entries: Option<Vec<ScannedCertificate>>,
}

/// What the judging concluded of one certificate, for its entry.
pub(crate) struct Entry {
    /// When it expires, and the whole days left until then.
    pub(crate) expiry: Option<(OffsetDateTime, i64)>,
    pub(crate) in_window: bool,
    pub(crate) action: ScanAction,
    pub(crate) reason: Option<String>,
}

impl Entry {
    /// A certificate the scan could not judge, and why.
    pub(crate) fn failed(reason: String) -> Self {
        Self {
            expiry: None,
            in_window: false,
            action: ScanAction::Failed,
            reason: Some(reason),
        }
    }
}

impl Inventory {
    /// An inventory that keeps entries only if `wanted`.
    pub(crate) fn new(wanted: bool) -> Self {
        Self {
            entries: wanted.then(Vec::new),
        }
    }

    /// Notes `detail` as judged.
    pub(crate) fn add(&mut self, detail: &CertificateDetail, entry: Entry) {
        let Some(entries) = &mut self.entries else {
            return;
        };
        let region = CertificateArn::parse(&detail.arn)
            .map(|arn| arn.arn().region.clone())
            .unwrap_or_default();
        entries.push(ScannedCertificate {
            arn: detail.arn.clone(),
            domain: display_domain(detail).to_owned(),
            region,
            not_after: entry.expiry.map(|(at, _)| rfc3339_seconds(at)),
            days_left: entry.expiry.map(|(_, days)| days),
            in_window: entry.in_window,
            kind: detail.kind.clone(),
            in_use: detail.in_use,
            status: detail.status.clone(),
            action: entry.action,
            reason: entry.reason,
        });
    }

    /// The list, soonest expiry first, with the findings the scan resolved marked so.
    pub(crate) fn into_list(self, resolutions: &[Resolution]) -> Vec<ScannedCertificate> {
        let mut list = self.entries.unwrap_or_default();
        for entry in &mut list {
            if resolutions.iter().any(|r| r.arn == entry.arn) {
                entry.action = ScanAction::FindingResolved;
            }
        }
        list.sort_by(ScannedCertificate::soonest_first);
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn detail(id: u32) -> CertificateDetail {
        super::super::tests::expiring(id as usize, 1).detail
    }

    fn nothing(days: i64) -> Entry {
        Entry {
            expiry: Some((datetime!(2027-01-01 00:00 UTC), days)),
            in_window: false,
            action: ScanAction::Nothing,
            reason: None,
        }
    }

    #[test]
    fn nothing_is_kept_unless_the_list_was_asked_for() {
        let mut inventory = Inventory::new(false);
        inventory.add(&detail(1), nothing(100));
        assert!(inventory.into_list(&[]).is_empty());
    }

    #[test]
    fn entries_say_where_the_certificate_lives_and_come_soonest_first() {
        let mut inventory = Inventory::new(true);
        inventory.add(&detail(1), nothing(100));
        inventory.add(
            &detail(2),
            Entry::failed("DescribeCertificate failed".into()),
        );
        inventory.add(&detail(3), nothing(60));
        let resolved = Resolution {
            arn: detail(1).arn,
            domain: "d1.example.com".into(),
            renewed_until: None,
            owner_topic: None,
        };
        let list = inventory.into_list(&[resolved]);
        let arns: Vec<&str> = list.iter().map(|c| c.arn.as_str()).collect();
        assert_eq!(arns, [detail(3).arn, detail(1).arn, detail(2).arn]);
        assert_eq!(list[0].region, "us-east-1");
        assert_eq!(list[0].domain, "d3.example.com");
        assert_eq!(list[0].not_after.as_deref(), Some("2027-01-01T00:00:00Z"));
        assert_eq!(list[0].kind.as_deref(), Some("IMPORTED"));
        assert_eq!(list[1].action, ScanAction::FindingResolved);
        assert_eq!(list[2].action, ScanAction::Failed);
        assert_eq!(list[2].days_left, None);
        assert_eq!(
            list[2].reason.as_deref(),
            Some("DescribeCertificate failed")
        );
    }
}
