//! The scheduled scan: every certificate in the scanned regions, listed with `Includes` for every
//! key type, described only where the summary lacks the expiry, judged against the window;
//! findings imported in batches per hub, open findings of certificates renewed or deleted since
//! resolved, and one digest message. A certificate that cannot be judged is listed in the
//! outcome and never stops the scan.

use super::scan_findings::Imported;
use super::{Platform, Responder};
use crate::arn::{CertificateArn, TopicArn, is_region};
use crate::aws::acm::{self, CertificateDetail};
use crate::aws::{AwsRequest, AwsResponse, CallError, sns};
use crate::config::Service;
use crate::event::Envelope;
use crate::expiry::{ExpiryWindow, days_left};
use crate::filter::Tag;
use crate::finding::display_domain;
use crate::notification::SUBJECT;
use crate::outcome::*;
use crate::partition::Partition;
use crate::scan::{Expiring, Resolution, digest_messages, needs_description};
use crate::timestamp::rfc3339_seconds;
use futures::FutureExt as _;
use futures::StreamExt as _;
use futures::channel::mpsc;
use futures::future::{join_all, join4};
use std::collections::{BTreeMap, BTreeSet};
use time::OffsetDateTime;

/// A step of the scan that failed as a whole (not one certificate).
pub(super) struct StepFailure {
    pub(super) what: String,
    pub(super) error: CallError,
}

/// What the listing hands on.
enum Listed {
    Certificate(CertificateDetail),
    Failed {
        region: String,
        failure: StepFailure,
    },
}

/// A listed certificate, described if it had to be, with its tags if it is inside the window
/// and a filter or owner routing reads them.
enum Completed {
    Detail(Result<(CertificateDetail, Tags), FailedCertificate>),
    Failed {
        region: String,
        failure: StepFailure,
    },
}

/// A certificate's tags; `Err` says why they could not be listed when only owner routing
/// wanted them (a tag filter that cannot read them fails the certificate instead).
type Tags = Result<Vec<Tag>, String>;

/// What a scan learned of one listed certificate.
pub(super) enum Seen {
    Expiring,
    /// Outside the window: its expiry, for resolving a finding it may still have.
    Healthy(Box<Expiring>),
    /// Failed, without an expiry to judge (pending, failed validation), or left out by a
    /// filter: its finding, if any, is left as it is.
    Unjudged,
}

/// What judging every certificate found.
#[derive(Default)]
pub(super) struct Judged {
    certificates_seen: usize,
    /// Inside the window, left out by a filter.
    excluded: usize,
    /// Owner tags that name no usable topic.
    unusable_owners: Vec<Skipped>,
    /// Soonest first.
    pub(super) expiring: Vec<Expiring>,
    failed: Vec<FailedCertificate>,
    failures: Vec<StepFailure>,
    /// Every certificate listed, by ARN.
    pub(super) seen: BTreeMap<String, Seen>,
    /// Regions whose listing failed: nothing can be concluded about their certificates.
    pub(super) unlisted: BTreeSet<String>,
}

impl<P: Platform> Responder<'_, P> {
    /// Three stages run at once, so the scan takes about as long as its describes: the
    /// listing pages through each region; each certificate is judged as its page arrives (after
    /// a `DescribeCertificate`, at most `SCAN_CONCURRENCY` at a time, where the summary lacks
    /// the expiry); and findings are imported a full batch at a time as they are found, one
    /// request at a time per scan (Security Hub allows 10 a second). The digest goes out once
    /// every certificate is judged.
    pub(super) async fn scan(&self, envelope: &Envelope) -> Result<ScanReport, HandleError> {
        let regions = self.scan_regions(envelope)?;
        let now = self.platform.now();
        // Each hub's open findings are asked for at once: they say whether the hub takes
        // findings, when each was first raised, and which may need resolving.
        let hub_regions = self.hub_regions(&regions);
        let hubs = self
            .look_up_hubs(&hub_regions, envelope.account.as_deref())
            .shared();
        let (listed_tx, listed_rx) = mpsc::unbounded();
        let (found_tx, found_rx) = mpsc::unbounded();
        let ((), (judged, resolved, digest), imported, _) = join4(
            self.list_regions(&regions, listed_tx),
            async {
                let judged = self.judge_all(listed_rx, found_tx, now).await;
                let hubs = hubs.clone().await;
                let mut resolved = self
                    .resolve_gone_and_renewed(&hubs, &judged, &regions, now)
                    .await;
                let unknown_owners = self.find_owners(&mut resolved.resolutions).await;
                let mut digest = self
                    .publish_digest(&judged.expiring, &resolved.resolutions, &regions, now)
                    .await;
                digest.skipped.extend(unknown_owners);
                (judged, resolved, digest)
            },
            self.import_as_found(found_rx, hubs.clone(), now),
            // Polled from the start, so the lookups go out with the first listing page.
            hubs.clone(),
        )
        .await;

        let Judged {
            certificates_seen,
            excluded,
            unusable_owners,
            expiring,
            mut failed,
            mut failures,
            ..
        } = judged;
        failed.sort_by(|a, b| a.arn.cmp(&b.arn));
        let mut report = ScanReport {
            event_id: envelope.id.clone(),
            regions: regions.clone(),
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
            findings_imported: 0,
            findings_resolved: u32::try_from(resolved.resolutions.len()).unwrap_or(u32::MAX),
            notifications: digest.sent,
            failed,
            skipped: unusable_owners,
            planned: Vec::new(),
        };
        let Imported {
            count,
            skipped,
            failures: import_failures,
        } = imported;
        report.findings_imported = count;
        report.skipped.extend(skipped);
        failures.extend(import_failures);
        failures.extend(resolved.failures);
        failures.extend(digest.failures);
        report.skipped.extend(digest.skipped);
        if self.config.sns_topic.is_none() && !expiring.is_empty() {
            report.skipped.push(Skipped {
                step: Step::Notification,
                reason: "SNS_TOPIC_ARN is not set".into(),
            });
        }
        match failures.is_empty() {
            true => Ok(report),
            false => Err(scan_failure(&report, failures)),
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
    fn scan_regions(&self, envelope: &Envelope) -> Result<Vec<String>, HandleError> {
        if !self.config.scan_regions.is_empty() {
            return Ok(self.config.scan_regions.clone());
        }
        let region = envelope
            .region
            .clone()
            .filter(|r| is_region(r))
            .or_else(|| self.config.region.clone());
        region.map(|r| vec![r]).ok_or_else(|| {
            HandleError::new(
                ErrorKind::Configuration,
                "a scan needs SCAN_REGIONS, a region in the event, or AWS_REGION",
            )
        })
    }

    /// Every certificate in every region, page by page, each page handed on as it arrives.
    async fn list_regions(&self, regions: &[String], listed: mpsc::UnboundedSender<Listed>) {
        join_all(regions.iter().map(|region| {
            let listed = listed.clone();
            async move {
                let endpoint =
                    self.endpoint_in(Service::Acm, Partition::for_region(region), region);
                let mut token: Option<String> = None;
                loop {
                    let request = acm::list_certificates(&endpoint, region, token.as_deref());
                    let page = match self.call(request, acm::parse_list_certificates).await {
                        Ok(page) => page,
                        Err(error) => {
                            let what = format!("listing the certificates in {region}");
                            let failure = StepFailure { what, error };
                            let region = region.clone();
                            let _ = listed.unbounded_send(Listed::Failed { region, failure });
                            return;
                        }
                    };
                    for certificate in page.certificates {
                        let _ = listed.unbounded_send(Listed::Certificate(certificate));
                    }
                    match page.next_token {
                        Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                        _ => return,
                    }
                }
            }
        }))
        .await;
    }

    /// Judges each listed certificate against the window, describing it first where the
    /// summary lacks the expiry, and hands each expiring one to the importer.
    async fn judge_all(
        &self,
        listed: mpsc::UnboundedReceiver<Listed>,
        found: mpsc::UnboundedSender<Expiring>,
        now: OffsetDateTime,
    ) -> Judged {
        let window = ExpiryWindow {
            days: self.config.expiry_days,
        };
        let mut judged = Judged::default();
        let mut completed = listed
            .map(|item| async move {
                match item {
                    Listed::Certificate(summary) => {
                        Completed::Detail(self.examine(summary, window, now).await)
                    }
                    Listed::Failed { region, failure } => Completed::Failed { region, failure },
                }
            })
            // In listing order, not completion order: findings go into batches, and a
            // replay's requests must not depend on which reply came first.
            .buffered(self.config.scan_concurrency);
        while let Some(completed) = completed.next().await {
            let detail = match completed {
                Completed::Failed { region, failure } => {
                    judged.unlisted.insert(region);
                    judged.failures.push(failure);
                    continue;
                }
                Completed::Detail(Err(failed)) => {
                    judged.certificates_seen += 1;
                    judged.seen.insert(failed.arn.clone(), Seen::Unjudged);
                    judged.failed.push(failed);
                    continue;
                }
                Completed::Detail(Ok(examined)) => examined,
            };
            let (detail, tags) = detail;
            judged.certificates_seen += 1;
            let Ok(certificate) = CertificateArn::parse(&detail.arn) else {
                judged.seen.insert(detail.arn.clone(), Seen::Unjudged);
                judged.failed.push(FailedCertificate {
                    arn: detail.arn.clone(),
                    message: "ACM listed an ARN certwatch cannot read".into(),
                });
                continue;
            };
            let Some(not_after) = detail.not_after else {
                judged.seen.insert(detail.arn.clone(), Seen::Unjudged);
                continue;
            };
            let days_left = days_left(not_after, now);
            let arn = detail.arn.clone();
            let judgement = Expiring {
                certificate,
                detail,
                not_after,
                days_left,
                owner_topic: None,
            };
            if !window.contains(days_left) {
                judged.seen.insert(arn, Seen::Healthy(Box::new(judgement)));
                continue;
            }
            if self
                .config
                .filters
                .exclusion(&judgement.detail, tags.as_deref().unwrap_or_default())
                .is_some()
            {
                judged.excluded += 1;
                judged.seen.insert(arn, Seen::Unjudged);
                continue;
            }
            let partition = judgement.certificate.arn().partition;
            let owner = self.owner_of(tags.as_deref().map_err(Clone::clone), partition);
            let judgement = match owner {
                Some(Err(reason)) => {
                    judged.unusable_owners.push(Skipped {
                        step: Step::Notification,
                        reason: format!("{arn}: {reason}"),
                    });
                    judgement
                }
                owner => Expiring {
                    owner_topic: owner.and_then(Result::ok),
                    ..judgement
                },
            };
            judged.seen.insert(arn, Seen::Expiring);
            let _ = found.unbounded_send(judgement.clone());
            judged.expiring.push(judgement);
        }
        // Closing the channel tells the importer that every finding is in.
        drop(found);
        judged.expiring.sort_by(|a, b| {
            a.days_left
                .cmp(&b.days_left)
                .then_with(|| a.detail.arn.cmp(&b.detail.arn))
        });
        judged
    }

    /// What judging `summary` needs: a description where the summary lacks the expiry, and,
    /// inside the window only, a description where it lacks what a filter reads, and the tags
    /// where a filter or owner routing reads them.
    async fn examine(
        &self,
        summary: CertificateDetail,
        window: ExpiryWindow,
        now: OffsetDateTime,
    ) -> Result<(CertificateDetail, Tags), FailedCertificate> {
        let detail = match needs_description(&summary) {
            true => self.describe(summary).await?,
            false => summary,
        };
        let inside = detail
            .not_after
            .is_some_and(|not_after| window.contains(days_left(not_after, now)));
        if !inside {
            return Ok((detail, Ok(Vec::new())));
        }
        let filters = &self.config.filters;
        let detail = match filters.need_description(&detail) {
            true => self.describe(detail).await?,
            false => detail,
        };
        let tags_read = filters.need_tags() || self.config.owner_topic_tag.is_some();
        if !tags_read || filters.exclusion_by_kind(&detail).is_some() {
            return Ok((detail, Ok(Vec::new())));
        }
        match self.tags_of(&detail.arn).await {
            Ok(tags) => Ok((detail, Ok(tags))),
            Err(failed) if filters.need_tags() => Err(failed),
            Err(failed) => Ok((detail, Err(failed.message))),
        }
    }

    async fn describe(
        &self,
        summary: CertificateDetail,
    ) -> Result<CertificateDetail, FailedCertificate> {
        self.ask_about(
            &summary.arn,
            acm::describe_certificate,
            acm::parse_describe_certificate,
        )
        .await
    }

    async fn tags_of(&self, arn: &str) -> Result<Vec<Tag>, FailedCertificate> {
        self.ask_about(arn, acm::list_tags_for_certificate, acm::parse_list_tags)
            .await
    }

    /// One ACM request about the certificate `arn`; a failure is that certificate's alone.
    async fn ask_about<T>(
        &self,
        arn: &str,
        request: fn(&str, &CertificateArn) -> AwsRequest,
        parse: fn(&AwsResponse) -> Result<T, CallError>,
    ) -> Result<T, FailedCertificate> {
        let answered = match CertificateArn::parse(arn) {
            Ok(certificate) => {
                let region = &certificate.arn().region;
                let endpoint = self.endpoint(Service::Acm, &certificate, region);
                self.call(request(&endpoint, &certificate), parse)
                    .await
                    .map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        answered.map_err(|message| FailedCertificate {
            arn: arn.to_owned(),
            message,
        })
    }

    /// With owner routing, the owner of each renewed certificate whose finding was resolved, so
    /// that its owner hears of the renewal too; tags are listed only now.
    /// A deleted certificate has no tags left to read. Returns why an owner is not known.
    async fn find_owners(&self, resolutions: &mut [Resolution]) -> Vec<Skipped> {
        if self.config.owner_topic_tag.is_none() {
            return Vec::new();
        }
        // One after the other: resolutions are few (renewals since the last scan), and this
        // keeps the component within its size budget.
        let mut unknown = Vec::new();
        for resolution in resolutions.iter_mut().filter(|r| r.renewed_until.is_some()) {
            // A resolved finding's certificate ARN was read when its finding was looked up.
            let Ok(arn) = CertificateArn::parse(&resolution.arn) else {
                continue;
            };
            let tags = self.tags_of(&resolution.arn).await;
            let tags = tags.as_deref().map_err(|failed| failed.message.clone());
            let owner = self.owner_of(tags, arn.arn().partition);
            match owner {
                Some(Ok(topic)) => resolution.owner_topic = Some(topic),
                Some(Err(reason)) => unknown.push(Skipped {
                    step: Step::Notification,
                    reason: format!("{}: {reason}", resolution.arn),
                }),
                None => {}
            }
        }
        unknown
    }

    /// The digest, in as many messages as SNS needs, to `SNS_TOPIC_ARN`; and to each owner's
    /// topic, a digest of its own certificates. Nothing where there is nothing to say. With
    /// `NOTIFY_AT_DAYS`, a digest names only the certificates on one of those days, and every
    /// expired one; the findings of the others were still updated.
    async fn publish_digest(
        &self,
        expiring: &[Expiring],
        resolved: &[Resolution],
        regions: &[String],
        now: OffsetDateTime,
    ) -> Digest {
        let is_due = |e: &&Expiring| match &self.config.notify_at_days {
            None => true,
            Some(days) => e.days_left <= 0 || days.contains(&e.days_left),
        };
        // Each topic with its certificates due, how many are not, and the resolutions it hears
        // of (all of them for `SNS_TOPIC_ARN`, its own for an owner). The main topic first,
        // then owners as their soonest certificate comes.
        let mut audiences: Vec<Audience> = Vec::new();
        if let Some(topic) = &self.config.sns_topic {
            audiences.push(Audience::new(topic));
            audiences[0].resolved = resolved.to_vec();
        }
        for certificate in expiring {
            let owner = certificate.owner_topic.as_ref();
            for topic in self.config.sns_topic.iter().chain(owner) {
                let audience = Audience::of(&mut audiences, topic);
                match is_due(&certificate) {
                    true => audience.due.push(certificate.clone()),
                    false => audience.not_due += 1,
                }
            }
        }
        for resolution in resolved {
            if let Some(topic) = &resolution.owner_topic {
                Audience::of(&mut audiences, topic)
                    .resolved
                    .push(resolution.clone());
            }
        }
        let sent = join_all(audiences.into_iter().map(|audience| {
            let messages = digest_messages(
                &audience.due,
                audience.not_due,
                &audience.resolved,
                self.config.expiry_days,
                regions,
                now,
            );
            let topic = audience.topic;
            self.publish_messages(topic, messages)
                .map(move |(sent, failure)| (topic, sent, failure))
        }))
        .await;
        // An owner's topic that cannot be reached is reported, not the scan's failure: a
        // retried scan would send every other digest again.
        let mut digest = Digest::default();
        for (topic, notifications, failure) in sent {
            digest.sent.extend(notifications);
            match failure {
                None => {}
                Some(failure) if Some(topic) == self.config.sns_topic.as_ref() => {
                    digest.failures.push(failure)
                }
                Some(StepFailure { what, error }) => digest.skipped.push(Skipped {
                    step: Step::Notification,
                    reason: format!("{what} failed: {error}"),
                }),
            }
        }
        digest
    }

    /// Publishes `messages` to `topic` one after the other, stopping at the first failure.
    async fn publish_messages(
        &self,
        topic: &TopicArn,
        messages: Vec<String>,
    ) -> (Vec<Notification>, Option<StepFailure>) {
        let endpoint = self.endpoint_in(Service::Sns, topic.arn().partition, &topic.arn().region);
        let mut sent = Vec::new();
        for message in messages {
            let request = sns::publish(&endpoint, topic, SUBJECT, &message);
            match self.call(request, sns::parse_publish).await {
                Ok(message_id) => sent.push(Notification {
                    topic_arn: topic.to_string(),
                    message_id,
                }),
                Err(error) => {
                    let what = format!("publishing the digest to {topic}");
                    return (sent, Some(StepFailure { what, error }));
                }
            }
        }
        (sent, None)
    }
}

/// One topic's digest: its certificates due, how many inside the window are not, and the
/// resolutions it hears of.
struct Audience<'t> {
    topic: &'t TopicArn,
    due: Vec<Expiring>,
    not_due: usize,
    resolved: Vec<Resolution>,
}

impl<'t> Audience<'t> {
    fn new(topic: &'t TopicArn) -> Self {
        Self {
            topic,
            due: Vec::new(),
            not_due: 0,
            resolved: Vec::new(),
        }
    }

    /// `topic`'s audience among `audiences`, added last if it is not there yet.
    fn of<'a>(audiences: &'a mut Vec<Self>, topic: &'t TopicArn) -> &'a mut Self {
        let index = match audiences.iter().position(|a| a.topic == topic) {
            Some(index) => index,
            None => {
                audiences.push(Self::new(topic));
                audiences.len() - 1
            }
        };
        &mut audiences[index]
    }
}

/// The digests sent, and the topics they could not reach: `SNS_TOPIC_ARN` (a failure) and
/// owners' (skipped).
#[derive(Default)]
struct Digest {
    sent: Vec<Notification>,
    failures: Vec<StepFailure>,
    skipped: Vec<Skipped>,
}

/// One error for the scan, saying what failed and what was done before.
fn scan_failure(report: &ScanReport, failures: Vec<StepFailure>) -> HandleError {
    let retryable = failures.iter().all(|f| f.error.is_retryable());
    let described: Vec<String> = failures
        .iter()
        .map(|f| format!("{} failed: {}", f.what, f.error))
        .collect();
    let mut failures = failures.into_iter();
    let first = failures
        .next()
        .map(|f| HandleError::from(f.error))
        .unwrap_or_else(|| HandleError::new(ErrorKind::Aws, "the scan failed"));
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
    HandleError {
        message,
        retryable,
        ..first
    }
}
