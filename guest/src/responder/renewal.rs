//! After a renewal or (re-)import that took a certificate out of the expiry window: the finding
//! is imported once more as passed and archived, its workflow set to RESOLVED, and the owner
//! is told the certificate was renewed.

use super::{Fail, Known, Platform, Responder, Skip, StepError, finish};
use crate::alert_event::{AlertEvent, AlertKind, Alerted};
use crate::arn::CertificateArn;
use crate::aws::CallError;
use crate::aws::open_findings::HubState;
use crate::aws::securityhub::{self, FindingIdentifier};
use crate::chat_alert::renewed_chat;
use crate::config::Service;
use crate::decision::Severity;
use crate::event::Renewal;
use crate::finding::ExpiryFinding;
use crate::notification::{ExpiryNotice, RENEWED_SUBJECT, RenewedNotice};
use crate::outcome::*;
use crate::timestamp::rfc3339_seconds;

impl<P: Platform> Responder<'_, P> {
    pub(super) async fn resolve(
        &self,
        mut handled: Handled,
        certificate: &CertificateArn,
        known: Known<'_>,
        hub_state: Result<HubState, CallError>,
        renewal: Renewal,
    ) -> Result<Handled, Failure> {
        // Only an open finding is resolved, and only its owner told: a routine renewal of a
        // certificate certwatch never warned about writes and sends nothing.
        if matches!(&hub_state, Ok(HubState::Subscribed { first_raised: None })) {
            return Ok(handled);
        }
        handled.decision = Decision::Resolved;
        let hub_region = known.hub_region;
        let finding = ExpiryFinding {
            certificate,
            detail: known.detail,
            not_after: known.not_after,
            days_left: known.days_left,
            hub_region,
            now: known.now,
            generator_id: &self.config.generator_id,
            severity: Severity::Informational,
            resolved: true,
            created_at: super::first_raised(&hub_state),
            action: None,
        };
        let resolve = async {
            match &hub_state {
                Ok(HubState::Subscribed { .. }) => {}
                Ok(HubState::NotSubscribed { message }) => {
                    return Err(Skip(Skipped {
                        step: Step::SecurityHub,
                        reason: format!("Security Hub is not enabled in {hub_region}: {message}"),
                    }));
                }
                Err(error) => return Err(Fail(error.clone())),
            }
            let endpoint = self.endpoint(Service::SecurityHub, certificate, hub_region);
            // The workflow first, while the finding is still active: if the archiving import
            // then fails, the event sent again (or the next scan) still finds the finding open
            // and finishes. The other way round, a failed update left it archived and
            // unresolved, where no lookup of open findings sees it again.
            let identifier = FindingIdentifier {
                id: finding.id(),
                product_arn: finding.product_arn(),
            };
            let note = format!(
                "The certificate was {}; it now expires on {}.",
                renewal.words(),
                rfc3339_seconds(known.not_after)
            );
            let update = securityhub::resolve_findings(&endpoint, hub_region, &[identifier], &note);
            self.call(update, securityhub::parse_batch_update_findings)
                .await
                .map_err(Fail)?;
            let import = securityhub::batch_import_findings(
                &endpoint,
                hub_region,
                &[finding.to_asff().to_json()],
            );
            let imported = self
                .call(import, securityhub::parse_batch_import_findings)
                .await
                .map_err(Fail)?;
            Ok(Some(FindingImport {
                id: finding.id(),
                region: hub_region.to_owned(),
                imported: imported.success_count,
            }))
        };
        // The owner hears of it only once the finding is resolved: a message saying so while
        // the finding is still open would be false, and each retry would send it again. (One
        // round trip more than at once, for an event that comes once a renewal.)
        let resolved = resolve.await;
        let (published, put) = match &resolved {
            Err(Fail(_)) => (Vec::new(), Vec::new()),
            Ok(_) | Err(Skip(_)) => {
                let alert = AlertEvent::new(
                    AlertKind::Renewed,
                    Alerted {
                        certificate,
                        domain: &handled.certificate.domain,
                        not_after: &handled.certificate.not_after,
                        days_left: known.days_left,
                        severity: Severity::Informational,
                        reason: None,
                    },
                );
                // One after the other, as the resolution before them: a renewal comes once.
                let published = self
                    .publish_renewed(certificate, &known, renewal, &handled.event_id)
                    .await;
                (published, self.put_alert(certificate, alert).await)
            }
        };
        finish(handled, resolved, published, put)
    }

    async fn publish_renewed(
        &self,
        certificate: &CertificateArn,
        known: &Known<'_>,
        renewal: Renewal,
        event_id: &str,
    ) -> Vec<Result<Notification, StepError>> {
        let notice = RenewedNotice {
            now: ExpiryNotice {
                certificate,
                detail: known.detail,
                not_after: known.not_after,
                days_left: known.days_left,
                action: None,
            },
            how: renewal.words(),
        };
        let chat = (self.config.chat_topic.is_some()).then(|| renewed_chat(&notice, event_id));
        // After the e-mails, as an alert's chat message is.
        let mut published = self
            .notify(certificate, known.owner, RENEWED_SUBJECT, &notice.message())
            .await;
        published.extend(self.publish_chat(RENEWED_SUBJECT, chat).await);
        published
    }
}
