//! The scheduled scan: every certificate in the scanned regions, listed with `Includes` for every
//! key type, described only where the summary lacks the expiry, judged against the window;
//! findings imported in batches per hub, and one digest message. A certificate that cannot be
//! judged is listed in the outcome and never stops the scan.

use super::{Platform, Responder};
use crate::arn::{CertificateArn, is_region};
use crate::aws::acm::{self, CertificateDetail};
use crate::aws::securityhub::{self, HubState};
use crate::aws::{CallError, sns};
use crate::config::Service;
use crate::event::Envelope;
use crate::expiry::{ExpiryWindow, days_left};
use crate::finding::{ExpiryFinding, display_domain};
use crate::notification::SUBJECT;
use crate::outcome::*;
use crate::partition::Partition;
use crate::scan::{Expiring, digest_messages, finding_batches, needs_description};
use crate::timestamp::rfc3339_seconds;
use futures::StreamExt as _;
use futures::future::{join, join_all};
use std::collections::BTreeMap;
use time::OffsetDateTime;

/// A step of the scan that failed as a whole (not one certificate).
struct StepFailure {
    what: String,
    error: CallError,
}

impl<P: Platform> Responder<'_, P> {
    pub(super) async fn scan(&self, envelope: &Envelope) -> Result<ScanReport, HandleError> {
        let regions = self.scan_regions(envelope)?;
        let mut failures = Vec::new();

        let listed = join_all(regions.iter().map(|region| self.list_region(region))).await;
        let mut certificates = Vec::new();
        for (region, result) in regions.iter().zip(listed) {
            match result {
                Ok(found) => certificates.extend(found),
                Err(error) => failures.push(StepFailure {
                    what: format!("listing the certificates in {region}"),
                    error,
                }),
            }
        }
        let certificates_seen = certificates.len();
        let (certificates, mut failed) = self.complete(certificates).await;

        let now = self.platform.now();
        let window = ExpiryWindow {
            days: self.config.expiry_days,
        };
        let mut expiring = Vec::new();
        for detail in certificates {
            let Ok(certificate) = CertificateArn::parse(&detail.arn) else {
                failed.push(FailedCertificate {
                    arn: detail.arn.clone(),
                    message: "ACM listed an ARN certwatch cannot read".into(),
                });
                continue;
            };
            let Some(not_after) = detail.not_after else {
                continue;
            };
            let days_left = days_left(not_after, now);
            if window.contains(days_left) {
                expiring.push(Expiring {
                    certificate,
                    detail,
                    not_after,
                    days_left,
                });
            }
        }
        expiring.sort_by(|a, b| {
            a.days_left
                .cmp(&b.days_left)
                .then_with(|| a.detail.arn.cmp(&b.detail.arn))
        });
        failed.sort_by(|a, b| a.arn.cmp(&b.arn));

        let mut report = ScanReport {
            event_id: envelope.id.clone(),
            regions: regions.clone(),
            certificates_seen: u32::try_from(certificates_seen).unwrap_or(u32::MAX),
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
            notifications: Vec::new(),
            failed,
            skipped: Vec::new(),
        };

        let (imported, published) = join(
            self.import_findings(&expiring, now),
            self.publish_digest(&expiring, &regions, now),
        )
        .await;
        let (count, skipped, import_failures) = imported;
        report.findings_imported = count;
        report.skipped.extend(skipped);
        failures.extend(import_failures);
        match published {
            Ok(Some(notifications)) => report.notifications = notifications,
            Ok(None) if self.config.sns_topic.is_none() && !expiring.is_empty() => {
                report.skipped.push(Skipped {
                    step: Step::Notification,
                    reason: "SNS_TOPIC_ARN is not set".into(),
                })
            }
            Ok(None) => {}
            Err(failure) => failures.push(failure),
        }
        match failures.is_empty() {
            true => Ok(report),
            false => Err(scan_failure(&report, failures)),
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

    /// Every certificate in `region`, page by page.
    async fn list_region(&self, region: &str) -> Result<Vec<CertificateDetail>, CallError> {
        let endpoint = self.endpoint_in(Service::Acm, Partition::for_region(region), region);
        let mut certificates = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = acm::list_certificates(&endpoint, region, token.as_deref());
            let page = self.call(request, acm::parse_list_certificates).await?;
            certificates.extend(page.certificates);
            match page.next_token {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => return Ok(certificates),
            }
        }
    }

    /// Describes, a bounded number at once, the certificates whose summary lacks the expiry.
    async fn complete(
        &self,
        certificates: Vec<CertificateDetail>,
    ) -> (Vec<CertificateDetail>, Vec<FailedCertificate>) {
        let (lacking, mut complete): (Vec<_>, Vec<_>) =
            certificates.into_iter().partition(needs_description);
        let described: Vec<(String, Result<CertificateDetail, String>)> =
            futures::stream::iter(lacking)
                .map(|summary| async move {
                    let result = match CertificateArn::parse(&summary.arn) {
                        Ok(arn) => {
                            let request = acm::describe_certificate(
                                &self.endpoint(Service::Acm, &arn, &arn.arn().region),
                                &arn,
                            );
                            self.call(request, acm::parse_describe_certificate)
                                .await
                                .map_err(|e| e.to_string())
                        }
                        Err(e) => Err(e.to_string()),
                    };
                    (summary.arn, result)
                })
                .buffer_unordered(self.config.scan_concurrency)
                .collect()
                .await;
        let mut failed = Vec::new();
        for (arn, result) in described {
            match result {
                Ok(detail) => complete.push(detail),
                Err(message) => failed.push(FailedCertificate { arn, message }),
            }
        }
        (complete, failed)
    }

    /// One finding per expiring certificate, in batches, into each hub that receives them.
    async fn import_findings(
        &self,
        expiring: &[Expiring],
        now: OffsetDateTime,
    ) -> (u32, Vec<Skipped>, Vec<StepFailure>) {
        let mut by_hub: BTreeMap<String, Vec<&Expiring>> = BTreeMap::new();
        for e in expiring {
            let hub = self
                .config
                .security_hub_region
                .clone()
                .unwrap_or_else(|| e.certificate.arn().region.clone());
            by_hub.entry(hub).or_default().push(e);
        }
        let (mut imported, mut skipped, mut failures) = (0, Vec::new(), Vec::new());
        for (hub_region, certificates) in by_hub {
            let partition = Partition::for_region(&hub_region);
            let endpoint = self.endpoint_in(Service::SecurityHub, partition, &hub_region);
            match self
                .call(
                    securityhub::describe_hub(&endpoint, &hub_region),
                    securityhub::parse_describe_hub,
                )
                .await
            {
                Ok(HubState::Subscribed { .. }) => {}
                Ok(HubState::NotSubscribed { message }) => {
                    let reason = format!("Security Hub is not enabled in {hub_region}: {message}");
                    skipped.push(Skipped {
                        step: Step::SecurityHub,
                        reason,
                    });
                    continue;
                }
                Err(error) => {
                    failures.push(StepFailure {
                        what: format!("checking Security Hub in {hub_region}"),
                        error,
                    });
                    continue;
                }
            }
            let findings = certificates
                .iter()
                .map(|e| {
                    ExpiryFinding {
                        certificate: &e.certificate,
                        detail: &e.detail,
                        not_after: e.not_after,
                        days_left: e.days_left,
                        hub_region: &hub_region,
                        now,
                        generator_id: &self.config.generator_id,
                    }
                    .to_asff()
                })
                .collect();
            for batch in finding_batches(findings) {
                let request = securityhub::batch_import_findings(&endpoint, &hub_region, &batch);
                match self
                    .call(request, securityhub::parse_batch_import_findings)
                    .await
                {
                    Ok(result) => imported += result.success_count,
                    Err(error) => failures.push(StepFailure {
                        what: format!("importing findings into {hub_region}"),
                        error,
                    }),
                }
            }
        }
        (imported, skipped, failures)
    }

    /// The digest, in as many messages as SNS needs; `None` when there is nothing to say or
    /// nowhere to say it.
    async fn publish_digest(
        &self,
        expiring: &[Expiring],
        regions: &[String],
        now: OffsetDateTime,
    ) -> Result<Option<Vec<Notification>>, StepFailure> {
        let Some(topic) = &self.config.sns_topic else {
            return Ok(None);
        };
        let messages = digest_messages(expiring, self.config.expiry_days, regions, now);
        if messages.is_empty() {
            return Ok(None);
        }
        let endpoint = self.endpoint_in(Service::Sns, topic.arn().partition, &topic.arn().region);
        let mut sent = Vec::new();
        for message in messages {
            let request = sns::publish(&endpoint, topic, SUBJECT, &message);
            let message_id = self
                .call(request, sns::parse_publish)
                .await
                .map_err(|error| StepFailure {
                    what: "publishing the digest".into(),
                    error,
                })?;
            sent.push(Notification {
                topic_arn: topic.to_string(),
                message_id,
            });
        }
        Ok(Some(sent))
    }
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
        "scan of {}: {} certificates seen, {} expiring, {} findings imported, {} messages sent; {}",
        report.regions.join(", "),
        report.certificates_seen,
        report.expiring.len(),
        report.findings_imported,
        report.notifications.len(),
        described.join("; ")
    );
    HandleError {
        message,
        retryable,
        ..first
    }
}
