//! The scheduled scan: every certificate in the scanned regions, listed with `Includes` for every
//! key type, described only where the summary lacks the expiry, judged by the decision;
//! findings imported in batches per hub, open findings of certificates renewed or deleted since
//! resolved, and one digest message. A certificate that cannot be judged is listed in the
//! outcome and never stops the scan. The steps, one file each:
//!
//! - `listing`: list each region's certificates, describe and tag them where needed, judge
//!   each one;
//! - `findings`: each hub's open findings, the imports as certificates are found, the
//!   resolutions once all are judged;
//! - `digest`: who hears of what, and the messages published;
//! - `digest_message`: the digest's text; `batches`: the import batches' limits;
//! - `accounts`: a scan across accounts; `fan_out`: the same spread over SQS, one message
//!   per account.

mod accounts;
mod alerts;
mod batches;
mod digest;
mod digest_chat;
mod digest_message;
mod fan_out;
mod findings;
mod inventory;
mod listing;

pub use accounts::ACCOUNTS_AT_ONCE;
pub(crate) use accounts::{AccountProgress, scan_accounts};
pub use batches::{MAX_FINDINGS_PER_BATCH, MAX_IMPORT_BYTES, finding_batches};
pub use digest_chat::{DIGEST_EVENT_TYPE, DigestScope, digest_chat};
pub use digest_message::{SNS_MAX_MESSAGE_BYTES, digest_messages};
pub(crate) use fan_out::{queue_accounts, scan_queued_account};

use crate::arn::{CertificateArn, TopicArn, is_region};
use crate::aws::CallError;
use crate::certificate::CertificateDetail;
use crate::certificate::Tag;
use crate::decision::Severity;
use crate::event::Envelope;
use crate::finding::display_domain;
use crate::outcome::*;
use crate::responder::{Platform, Responder};
use crate::timestamp::rfc3339_seconds;
use findings::Imported;
use futures::FutureExt as _;
use futures::channel::mpsc;
use futures::future::join4;
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// Account names by id, as Organizations gave them, for a scan across accounts' digest.
pub type AccountNames = BTreeMap<String, String>;

/// A certificate a scan found inside the window.
#[derive(Debug, Clone)]
pub struct Expiring {
    /// Which certificate: its ARN, with the account and region it lives in.
    pub certificate: CertificateArn,
    /// What ACM said of it.
    pub detail: CertificateDetail,
    /// When it expires.
    pub not_after: OffsetDateTime,
    /// Whole days to `not_after`, negative once expired.
    pub days_left: i64,
    /// Its finding's severity, as the decision set it (informational outside the window).
    pub severity: Severity,
    /// Whether the digest names it today (`NOTIFY_AT_DAYS`).
    pub due: bool,
    /// The topic its owner tag names, which also gets its alerts.
    pub owner_topic: Option<TopicArn>,
}

/// Whether the summary lacks what the decision needs and `DescribeCertificate` can give it:
/// an issued (or unknown) certificate without `NotAfter`. Pending, failed and revoked ones
/// have no expiry to watch.
pub fn needs_description(detail: &CertificateDetail) -> bool {
    detail.not_after.is_none()
        && matches!(detail.status.as_deref(), None | Some("ISSUED" | "INACTIVE"))
}

/// A certificate whose open finding a scan resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The certificate's ARN.
    pub arn: String,
    /// Its domain as people know it; the ARN for a deleted one whose finding named none.
    pub domain: String,
    /// The new expiry of a renewed certificate; `None` for one deleted from ACM.
    pub renewed_until: Option<OffsetDateTime>,
    /// The topic its owner tag names, which also hears of it.
    pub owner_topic: Option<TopicArn>,
}

/// A step of the scan that failed as a whole (not one certificate).
pub(crate) struct StepFailure {
    pub(crate) what: String,
    pub(crate) error: CallError,
}

/// What the listing hands on.
enum Listed {
    Certificate(CertificateDetail),
    Failed {
        region: String,
        failure: StepFailure,
    },
    /// A region's last certificate has been handed on.
    RegionDone,
}

/// A listed certificate, described if it had to be, with its tags if it is inside the window
/// and a filter or owner routing reads them.
enum Completed {
    Detail(Result<(CertificateDetail, Tags), Unexamined>),
    Failed {
        region: String,
        failure: StepFailure,
    },
    RegionDone,
}

/// A listed certificate that could not be described (or its tags listed), with what its
/// summary said.
struct Unexamined {
    failed: FailedCertificate,
    summary: CertificateDetail,
}

/// A certificate's tags; `Err` says why they could not be listed when only owner routing
/// wanted them (a tag filter that cannot read them fails the certificate instead).
type Tags = Result<Vec<Tag>, String>;

/// What a scan learned of one listed certificate.
pub(crate) enum Seen {
    Expiring,
    /// Outside the window: its expiry, for resolving a finding it may still have.
    Healthy(Box<Expiring>),
    /// Failed, without an expiry to judge (pending, failed validation), or left out by a
    /// filter: its finding, if any, is left as it is.
    Unjudged,
}

/// What judging every certificate found.
#[derive(Default)]
pub(crate) struct Judged {
    certificates_seen: usize,
    /// Inside the window, left out by a filter.
    excluded: usize,
    /// Owner tags that name no usable topic.
    unusable_owners: Vec<Skipped>,
    /// Soonest first.
    pub(crate) expiring: Vec<Expiring>,
    failed: Vec<FailedCertificate>,
    failures: Vec<StepFailure>,
    /// Every certificate listed, by ARN.
    pub(crate) seen: BTreeMap<String, Seen>,
    /// Regions whose listing failed: nothing can be concluded about their certificates.
    pub(crate) unlisted: BTreeSet<String>,
    /// Every certificate judged, for `certwatch scan`'s list, if it asked for one.
    inventory: inventory::Inventory,
}

/// What a scan found, for those it tells.
pub(crate) struct Found<'a> {
    pub(crate) scan_id: &'a str,
    pub(crate) expiring: &'a [Expiring],
    pub(crate) resolutions: &'a [Resolution],
    pub(crate) regions: &'a [String],
    pub(crate) now: OffsetDateTime,
    /// Account names, in a scan across accounts: the digest is grouped by account.
    pub(crate) accounts: Option<&'a AccountNames>,
}

/// One account's part of a scan: every certificate judged, the findings imported and resolved,
/// the owners of renewed certificates found; everything but the digest.
pub(crate) struct AccountPart {
    pub(crate) judged: Judged,
    resolved: findings::Resolved,
    imported: Imported,
    unknown_owners: Vec<Skipped>,
}

impl<P: Platform> Responder<'_, P> {
    /// A scan of the one account the credentials are for: its part, then the digest.
    pub(crate) async fn scan(&self, envelope: &Envelope) -> Result<ScanReport, Failure> {
        let regions = self.scan_regions(envelope)?;
        let now = self.caller.platform().now();
        let part = self
            .scan_account(&regions, envelope.account.as_deref(), now)
            .await;
        let expiring = part.judged.expiring.clone();
        let resolutions = part.resolved.resolutions.clone();
        let (mut report, mut failures) = part.into_report(&envelope.id, &regions);
        let found = Found {
            scan_id: &envelope.id,
            expiring: &expiring,
            resolutions: &resolutions,
            regions: &regions,
            now,
            accounts: None,
        };
        self.tell_of(found, &mut report, &mut failures).await;
        match failures.is_empty() {
            true => Ok(report),
            false => Err(scan_failure(&report, failures)),
        }
    }

    /// Everyone told what a scan found: the e-mail digests, then the chat digest (after them,
    /// not beside them: one round trip more, and a smaller component than two digests'
    /// futures joined), then the events for incident tools. What was sent goes into `report`,
    /// what failed into `failures`.
    pub(crate) async fn tell_of(
        &self,
        found: Found<'_>,
        report: &mut ScanReport,
        failures: &mut Vec<StepFailure>,
    ) {
        let Found {
            scan_id,
            expiring,
            resolutions,
            regions,
            now,
            accounts,
        } = found;
        let mut digest = self
            .publish_digest(expiring, resolutions, regions, now, accounts)
            .await;
        let scope = DigestScope {
            scan_id,
            window_days: self.config.expiry_days,
            regions,
            now,
            accounts,
        };
        let chat = self.publish_digest_chat(expiring, resolutions, scope).await;
        digest.absorb(chat);
        report.notifications = digest.sent;
        failures.extend(digest.failures);
        report.skipped.extend(digest.skipped);
        let alerts = alerts::scan_alerts(expiring, resolutions, now);
        // The first region scanned stands for certwatch's own where `AWS_REGION` is unset.
        if let (false, Some(region)) = (alerts.is_empty(), regions.first()) {
            let partition = crate::partition::Partition::for_region(region);
            let (events, failure) = self.put_alerts(partition, region, &alerts).await;
            report.events = events;
            failures.extend(failure.map(|error| StepFailure {
                what: "putting the scan's events".to_owned(),
                error,
            }));
        }
        self.note_no_topic(report);
    }

    /// Says so when a scan found certificates expiring and `SNS_TOPIC_ARN` is unset.
    pub(crate) fn note_no_topic(&self, report: &mut ScanReport) {
        if self.config.sns_topic.is_none() && !report.expiring.is_empty() {
            report.skipped.push(Skipped {
                step: Step::Notification,
                reason: "SNS_TOPIC_ARN is not set".into(),
            });
        }
    }

    /// Three stages run at once, so the scan takes about as long as its describes: the
    /// listing pages through each region; each certificate is judged as its page arrives (after
    /// a `DescribeCertificate`, at most `SCAN_CONCURRENCY` at a time, where the summary lacks
    /// the expiry); and findings are imported a full batch at a time as they are found, one
    /// request at a time per scan (Security Hub allows 10 a second). Only `account`'s findings
    /// are looked up where it is known.
    pub(crate) async fn scan_account(
        &self,
        regions: &[String],
        account: Option<&str>,
        now: OffsetDateTime,
    ) -> AccountPart {
        // Each hub's open findings are asked for at once: they say whether the hub takes
        // findings, when each was first raised, and which may need resolving.
        let hub_regions = self.hub_regions(regions);
        let hubs = self.look_up_hubs(&hub_regions, account).shared();
        let (listed_tx, listed_rx) = mpsc::unbounded();
        let (found_tx, found_rx) = mpsc::unbounded();
        let ((), (judged, resolved, unknown_owners), imported, _) = join4(
            self.list_regions(regions, listed_tx),
            async {
                let judged = self
                    .judge_all(listed_rx, found_tx, regions.len(), now)
                    .await;
                let hubs = hubs.clone().await;
                let mut resolved = self
                    .resolve_gone_and_renewed(&hubs, &judged, regions, account, now)
                    .await;
                let unknown_owners = self.find_owners(&mut resolved.resolutions).await;
                (judged, resolved, unknown_owners)
            },
            self.import_as_found(found_rx, hubs.clone(), now),
            // Polled from the start, so the lookups go out with the first listing page.
            hubs.clone(),
        )
        .await;
        AccountPart {
            judged,
            resolved,
            imported,
            unknown_owners,
        }
    }

    /// The hubs a scan's findings go to: `SECURITY_HUB_REGION`, else each scanned region's own.
    fn hub_regions(&self, regions: &[String]) -> Vec<String> {
        match &self.config.security_hub_region {
            Some(hub) => vec![hub.clone()],
            None => regions.to_vec(),
        }
    }

    /// `SCAN_REGIONS`, else the schedule's own region, else `AWS_REGION`.
    fn scan_regions(&self, envelope: &Envelope) -> Result<Vec<String>, Failure> {
        if !self.config.scan_regions.is_empty() {
            return Ok(self.config.scan_regions.clone());
        }
        let region = envelope
            .region
            .clone()
            .filter(|r| is_region(r))
            .or_else(|| self.config.region.clone());
        region.map(|r| vec![r]).ok_or_else(|| {
            Failure::new(
                ErrorKind::Configuration,
                "a scan needs SCAN_REGIONS, a region in the event, or AWS_REGION",
            )
        })
    }
}

impl AccountPart {
    /// The report of this part alone (no digest yet), and the steps that failed.
    pub(crate) fn into_report(
        self,
        event_id: &str,
        regions: &[String],
    ) -> (ScanReport, Vec<StepFailure>) {
        let Judged {
            certificates_seen,
            excluded,
            unusable_owners,
            expiring,
            mut failed,
            mut failures,
            inventory,
            ..
        } = self.judged;
        failed.sort_by(|a, b| a.arn.cmp(&b.arn));
        let Imported {
            count,
            skipped,
            failures: import_failures,
        } = self.imported;
        let mut report = ScanReport {
            event_id: event_id.to_owned(),
            regions: regions.to_vec(),
            certificates_seen: u32::try_from(certificates_seen).unwrap_or(u32::MAX),
            excluded: u32::try_from(excluded).unwrap_or(u32::MAX),
            expiring: expiring
                .iter()
                .map(|e| Certificate {
                    arn: e.detail.arn.clone(),
                    domain: display_domain(&e.detail).to_owned(),
                    not_after: rfc3339_seconds(e.not_after),
                    days_left: e.days_left,
                })
                .collect(),
            findings_imported: count,
            findings_resolved: u32::try_from(self.resolved.resolutions.len()).unwrap_or(u32::MAX),
            notifications: Vec::new(),
            failed,
            skipped: unusable_owners,
            planned: Vec::new(),
            certificates: inventory.into_list(&self.resolved.resolutions),
            accounts: Vec::new(),
            events: Vec::new(),
        };
        report.skipped.extend(skipped);
        failures.extend(import_failures);
        failures.extend(self.resolved.failures);
        report.skipped.extend(self.unknown_owners);
        (report, failures)
    }
}

/// One error for the scan, saying what failed and what was done before.
fn scan_failure(report: &ScanReport, failures: Vec<StepFailure>) -> Failure {
    let retryable = failures.iter().all(|f| f.error.is_retryable());
    let described: Vec<String> = failures
        .iter()
        .map(|f| format!("{} failed: {}", f.what, f.error))
        .collect();
    let mut failures = failures.into_iter();
    let first = failures
        .next()
        .map(|f| Failure::from(f.error))
        .unwrap_or_else(|| Failure::new(ErrorKind::Aws, "the scan failed"));
    let message = format!(
        "scan of {}: {} certificates seen, {} expiring, {} findings imported, {} resolved, {} messages sent; {}",
        report.regions.join(", "),
        report.certificates_seen,
        report.expiring.len(),
        report.findings_imported,
        report.findings_resolved,
        report.notifications.len(),
        described.join("; ")
    );
    Failure {
        message,
        retryable,
        ..first
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) fn expiring(id: usize, days_left: i64) -> Expiring {
        let arn = format!("arn:aws:acm:us-east-1:123456789012:certificate/{id:08}");
        Expiring {
            certificate: CertificateArn::parse(&arn).unwrap(),
            detail: CertificateDetail {
                arn,
                domain_name: format!("d{id}.example.com"),
                subject_alternative_names: vec![],
                not_after: None,
                status: Some("ISSUED".into()),
                kind: Some("IMPORTED".into()),
                in_use_by: vec![],
                in_use: None,
                renewal_eligibility: None,
            },
            not_after: datetime!(2026-12-10 12:00 UTC),
            days_left,
            severity: Severity::High,
            due: true,
            owner_topic: None,
        }
    }

    #[test]
    fn only_issued_certificates_without_an_expiry_are_looked_up() {
        let mut detail = expiring(1, 1).detail;
        assert!(needs_description(&detail));
        detail.status = Some("PENDING_VALIDATION".into());
        assert!(!needs_description(&detail));
        detail.not_after = Some(datetime!(2026-12-10 12:00 UTC));
        detail.status = Some("ISSUED".into());
        assert!(!needs_description(&detail));
    }
}
