//! The listing: every region's certificates, page by page; each described and tagged where
//! the decision needs it, and judged as its page arrives.

use super::inventory::{Entry, Inventory};
use super::{Completed, Judged, Listed, Seen, StepFailure, Tags, Unexamined};
use super::{Expiring, needs_description};
use crate::arn::CertificateArn;
use crate::aws::acm;
use crate::aws::{AwsRequest, AwsResponse, CallError};
use crate::certificate::CertificateDetail;
use crate::certificate::Tag;
use crate::config::Service;
use crate::decision::{ExpiryWindow, Notify, Rules, Severity, Trigger, Verdict, days_left};
use crate::outcome::*;
use crate::partition::Partition;
use crate::responder::{Platform, Responder};
use certwatch_contract::ScanProgress;
use futures::StreamExt as _;
use futures::channel::mpsc;
use futures::future::join_all;
use time::OffsetDateTime;

impl<P: Platform> Responder<'_, P> {
    /// Every certificate in every region, page by page, each page handed on as it arrives.
    pub(super) async fn list_regions(
        &self,
        regions: &[String],
        listed: mpsc::UnboundedSender<Listed>,
    ) {
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
                        _ => {
                            // After its last certificate: the judge, taking them in order,
                            // has judged them all when it reaches this.
                            let _ = listed.unbounded_send(Listed::RegionDone);
                            return;
                        }
                    }
                }
            }
        }))
        .await;
    }

    /// Judges each listed certificate against the window, describing it first where the
    /// summary lacks the expiry, and hands each expiring one to the importer. Tells the
    /// platform how far it has come after each certificate and each region.
    pub(super) async fn judge_all(
        &self,
        listed: mpsc::UnboundedReceiver<Listed>,
        found: mpsc::UnboundedSender<Expiring>,
        regions: usize,
        now: OffsetDateTime,
    ) -> Judged {
        let rules = Rules::from_config(self.config);
        let window = rules.window;
        let mut judged = Judged {
            inventory: Inventory::new(self.config.list_certificates),
            ..Judged::default()
        };
        let mut regions_done = 0;
        self.tell_progress(&judged, regions_done, regions);
        let mut completed = listed
            .map(|item| async move {
                match item {
                    Listed::Certificate(summary) => {
                        Completed::Detail(self.examine(summary, window, now).await)
                    }
                    Listed::Failed { region, failure } => Completed::Failed { region, failure },
                    Listed::RegionDone => Completed::RegionDone,
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
                    regions_done += 1;
                    self.tell_progress(&judged, regions_done, regions);
                    continue;
                }
                Completed::RegionDone => {
                    regions_done += 1;
                    self.tell_progress(&judged, regions_done, regions);
                    continue;
                }
                Completed::Detail(Err(Unexamined { failed, summary })) => {
                    judged.certificates_seen += 1;
                    let entry = Entry::failed(failed.message.clone());
                    judged.inventory.add(&summary, entry);
                    judged.seen.insert(failed.arn.clone(), Seen::Unjudged);
                    judged.failed.push(failed);
                    self.tell_progress(&judged, regions_done, regions);
                    continue;
                }
                Completed::Detail(Ok(examined)) => examined,
            };
            let (detail, tags) = detail;
            judged.certificates_seen += 1;
            self.tell_progress(&judged, regions_done, regions);
            let Ok(certificate) = CertificateArn::parse(&detail.arn) else {
                let message = "ACM listed an ARN certwatch cannot read";
                judged.inventory.add(&detail, Entry::failed(message.into()));
                judged.seen.insert(detail.arn.clone(), Seen::Unjudged);
                judged.failed.push(FailedCertificate {
                    arn: detail.arn.clone(),
                    message: message.into(),
                });
                continue;
            };
            let Some(not_after) = detail.not_after else {
                let entry = Entry {
                    expiry: None,
                    in_window: false,
                    action: ScanAction::NoExpiry,
                    reason: detail.status.clone(),
                };
                judged.inventory.add(&detail, entry);
                judged.seen.insert(detail.arn.clone(), Seen::Unjudged);
                continue;
            };
            let days_left = days_left(not_after, now);
            let arn = detail.arn.clone();
            let read_tags = tags.as_deref().unwrap_or_default();
            let verdict = rules.judge(&detail, read_tags, days_left, Trigger::Scan);
            let entry = |action, reason| Entry {
                expiry: Some((not_after, days_left)),
                in_window: window.contains(days_left),
                action,
                reason,
            };
            let mut judgement = Expiring {
                certificate,
                detail,
                not_after,
                days_left,
                severity: Severity::Informational,
                due: false,
                owner_topic: None,
            };
            match verdict {
                Verdict::NotExpiring | Verdict::Renewed(_) => {
                    let nothing = entry(ScanAction::Nothing, None);
                    judged.inventory.add(&judgement.detail, nothing);
                    judged.seen.insert(arn, Seen::Healthy(Box::new(judgement)));
                    continue;
                }
                Verdict::Excluded(reason) => {
                    let excluded = entry(ScanAction::Excluded, Some(reason));
                    judged.inventory.add(&judgement.detail, excluded);
                    judged.excluded += 1;
                    judged.seen.insert(arn, Seen::Unjudged);
                    continue;
                }
                Verdict::Raise {
                    severity, notify, ..
                } => {
                    let raised = entry(ScanAction::FindingRaised, None);
                    judged.inventory.add(&judgement.detail, raised);
                    judgement.severity = severity;
                    judgement.due = notify == Notify::Now;
                }
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
    ) -> Result<(CertificateDetail, Tags), Unexamined> {
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
            Err(failed) if filters.need_tags() => Err(Unexamined {
                failed,
                summary: detail,
            }),
            Err(failed) => Ok((detail, Err(failed.message))),
        }
    }

    /// `summary` described; a failure keeps the summary, for what the scan lists of it.
    async fn describe(&self, summary: CertificateDetail) -> Result<CertificateDetail, Unexamined> {
        self.ask_about(
            &summary.arn,
            acm::describe_certificate,
            acm::parse_describe_certificate,
        )
        .await
        .map_err(|failed| Unexamined { failed, summary })
    }

    /// Tells the platform how far the scan has come.
    fn tell_progress(&self, judged: &Judged, regions_done: usize, regions: usize) {
        let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        let progress = ScanProgress {
            regions_done: count(regions_done),
            regions_total: count(regions),
            certificates_seen: count(judged.certificates_seen),
        };
        match &self.progress {
            Some(account) => account.tell(progress, self.caller.platform()),
            None => self.caller.platform().progress(&progress),
        }
    }

    pub(super) async fn tags_of(&self, arn: &str) -> Result<Vec<Tag>, FailedCertificate> {
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
}
