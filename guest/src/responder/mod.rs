//! The responder: one event in, one outcome out. It decides and builds everything here and
//! reaches the world only through a [`Platform`], so the same code runs in the component
//! (WASI HTTP, WASI clocks) and natively under test.

use crate::arn::CertificateArn;
use crate::arn::TopicArn;
use crate::aws::acm::{self, CertificateDetail};
use crate::aws::open_findings::{self, HubState};
use crate::aws::retry::RetryPolicy;
use crate::aws::securityhub;
use crate::aws::sign::Signer;
use crate::aws::{AwsRequest, AwsResponse, CallError, sns};
use crate::config::{Config, Service};
use crate::event::{Envelope, Event};
use crate::expiry::{ExpiryWindow, Severity, days_left};
use crate::filter::{Tag, owner_topic, owner_unknown};
use crate::finding::{ExpiryFinding, display_domain, finding_id};
use crate::notification::ExpiryNotice;
use crate::outcome::*;
use crate::partition::Partition;
use crate::timestamp::rfc3339_seconds;
use futures::future::{OptionFuture, join, join3};
use std::time::Duration;

mod renewal;
mod scan_findings;
mod scheduled;
use time::OffsetDateTime;

/// What the responder needs from where it runs.
pub trait Platform {
    /// The wall clock, read afresh whenever it is needed.
    fn now(&self) -> OffsetDateTime;
    /// Sends a signed request; `Err` describes a failure to get any reply.
    fn send(&self, request: &AwsRequest) -> impl Future<Output = Result<AwsResponse, String>>;
    fn sleep(&self, duration: Duration) -> impl Future<Output = ()>;
    /// Uniform in `[0, 1)`, for retry jitter.
    fn jitter(&self) -> f64;
}

pub struct Responder<'a, P> {
    config: &'a Config,
    signer: Signer,
    platform: &'a P,
    retry: RetryPolicy,
    /// In a dry run, the writes that were not sent.
    planned: std::cell::RefCell<Vec<PlannedRequest>>,
}

/// Handles one event: configuration from `env`, the event from `event_text`.
pub async fn handle<P: Platform>(
    platform: &P,
    env: &[(String, String)],
    event_text: &str,
) -> Result<Outcome, HandleError> {
    // Configuration is read only for events certwatch acts on.
    let config = || Config::from_pairs(env);
    let responder = |config| Responder {
        config,
        signer: Signer::new(&config.credentials),
        platform,
        retry: RetryPolicy::default(),
        planned: Default::default(),
    };
    let event = Event::parse(event_text)?;
    // ACM's NotAfter decides; the event's DaysToExpiry only picks notification days.
    let (envelope, certificate, trigger) = match &event {
        Event::NotHandled { envelope, reason } => {
            return Ok(Outcome::NotHandled(Ignored {
                event_id: envelope.id.clone(),
                source: envelope.source.clone(),
                detail_type: envelope.detail_type.clone(),
                reason: reason.clone(),
            }));
        }
        Event::Scan { envelope } => {
            let config = config()?;
            let responder = responder(&config);
            return responder.scan(envelope).await.map(|report| {
                Outcome::Scanned(ScanReport {
                    planned: responder.planned.take(),
                    ..report
                })
            });
        }
        Event::ApproachingExpiration {
            envelope,
            certificate,
            detail,
        } => (
            envelope,
            certificate,
            Trigger::Expiry(detail.days_to_expiry),
        ),
        Event::ActionRequired {
            envelope,
            certificate,
            reason,
        } => (envelope, certificate, Trigger::ActionRequired(reason)),
        Event::Available {
            envelope,
            certificate,
            renewal,
        } => (envelope, certificate, Trigger::Renewal(*renewal)),
    };
    let config = config()?;
    let responder = responder(&config);
    responder
        .certificate_event(envelope, certificate, trigger)
        .await
        .map(|handled| {
            Outcome::Handled(Handled {
                planned: responder.planned.take(),
                ..handled
            })
        })
}

impl<P: Platform> Responder<'_, P> {
    fn endpoint(&self, service: Service, certificate: &CertificateArn, region: &str) -> String {
        self.endpoint_in(service, certificate.arn().partition, region)
    }

    fn endpoint_in(&self, service: Service, partition: Partition, region: &str) -> String {
        match self.config.endpoints.for_service(service) {
            Some(url) => url.to_owned(),
            None => partition.endpoint(service.signing_name(), region),
        }
    }

    /// One certificate's event: the certificate and its hub looked up at once, then the
    /// finding raised and the owner told if it expires within the window, or, after a renewal
    /// that took it out of the window, the finding resolved and the owner told so.
    async fn certificate_event(
        &self,
        envelope: &Envelope,
        certificate: &CertificateArn,
        trigger: Trigger<'_>,
    ) -> Result<Handled, HandleError> {
        let cert_region = &certificate.arn().region;
        let hub_region = self
            .config
            .security_hub_region
            .as_deref()
            .unwrap_or(cert_region);
        let describe = acm::describe_certificate(
            &self.endpoint(Service::Acm, certificate, cert_region),
            certificate,
        );
        // The certificate's own finding, looked up with it: whether the hub takes findings
        // at all, and when the finding was first raised, in the same round trip.
        let finding_id = finding_id(certificate);
        let hub = open_findings::get_finding(
            &self.endpoint(Service::SecurityHub, certificate, hub_region),
            hub_region,
            &finding_id,
        );
        let generator = &self.config.generator_id;
        // Tags only where a filter or owner routing reads them, in the same round trip.
        let tags = async {
            if !self.config.filters.need_tags() && self.config.owner_topic_tag.is_none() {
                return Ok(Vec::new());
            }
            let endpoint = self.endpoint(Service::Acm, certificate, cert_region);
            let request = acm::list_tags_for_certificate(&endpoint, certificate);
            self.call(request, acm::parse_list_tags).await
        };
        let (described, hub_state, tags) = join3(
            self.call(describe, acm::parse_describe_certificate),
            self.call(hub, |r| {
                open_findings::parse_finding_lookup(r, &finding_id, generator)
            }),
            tags,
        )
        .await;
        let detail = described?;
        // Tags a filter needs are worth an error; tags wanted only for owner routing are not:
        // the finding and SNS_TOPIC_ARN's message still go out, and the outcome says why the
        // owner was not told. A certificate its type or use leaves out needs no tags at all.
        let filters = &self.config.filters;
        let (tags, tags_failure) = match tags {
            Ok(tags) => (tags, None),
            Err(_) if filters.exclusion_by_kind(&detail).is_some() => (Vec::new(), None),
            Err(error) if filters.need_tags() => return Err(error.into()),
            Err(error) => (Vec::new(), Some(error)),
        };
        // GetFindings allows few requests a second, and ACM's daily events come together: a
        // lookup throttled to the end still lets an expiring certificate's finding be raised
        // (as new: when it was first raised is not known). Anything else stays an error.
        let hub_state = match (hub_state, trigger) {
            (Err(error), Trigger::Expiry(_) | Trigger::ActionRequired(_))
                if error.is_throttling() =>
            {
                Ok(HubState::Subscribed { first_raised: None })
            }
            (other, _) => other,
        };
        let now = self.platform.now();
        let not_after = detail.not_after.ok_or_else(|| {
            HandleError::new(
                ErrorKind::Aws,
                format!(
                    "{certificate} has no expiry date yet (status {}): ACM gives NotAfter only once a certificate is issued",
                    detail.status.as_deref().unwrap_or("unknown")
                ),
            )
        })?;
        let days_left = days_left(not_after, now);
        let summary = Certificate {
            arn: certificate.to_string(),
            domain: display_domain(&detail).to_owned(),
            not_after: rfc3339_seconds(not_after),
            days_left,
        };
        let mut handled = Handled {
            event_id: envelope.id.clone(),
            certificate: summary,
            decision: Decision::NotExpiring,
            finding: None,
            notifications: Vec::new(),
            skipped: Vec::new(),
            planned: Vec::new(),
        };
        if let Some(reason) = self.config.filters.exclusion(&detail, &tags) {
            handled.decision = Decision::Excluded;
            handled.skipped = [Step::SecurityHub, Step::Notification]
                .map(|step| Skipped {
                    step,
                    reason: reason.clone(),
                })
                .into();
            return Ok(handled);
        }
        let owner_tags = match &tags_failure {
            Some(error) => Err(error.to_string()),
            None => Ok(&tags[..]),
        };
        let owner = self.owner_of(owner_tags, certificate.arn().partition);
        let expiring = ExpiryWindow {
            days: self.config.expiry_days,
        }
        .contains(days_left);
        // A renewal that needs its owner is raised whatever the days left: ACM tries from 60
        // days out, and waiting for the window would waste them.
        let (event_days, action) = match (trigger, expiring) {
            (Trigger::ActionRequired(reason), _) => (None, Some(reason)),
            (Trigger::Expiry(event_days), true) => (event_days, None),
            (Trigger::Renewal(_), true) => (None, None),
            (Trigger::Expiry(_), false) => return Ok(handled),
            (Trigger::Renewal(renewal), false) => {
                let known = Known {
                    detail: &detail,
                    not_after,
                    days_left,
                    hub_region,
                    now,
                    owner: &owner,
                };
                return self
                    .resolve(handled, certificate, known, hub_state, renewal)
                    .await;
            }
        };
        handled.decision = match action {
            Some(_) => Decision::ActionRequired,
            None => Decision::Expiring,
        };
        let severity = match action {
            Some(_) => self
                .config
                .severity
                .severity(days_left)
                .max(Severity::Medium),
            None => self.config.severity.severity(days_left),
        };

        let finding = ExpiryFinding {
            certificate,
            detail: &detail,
            not_after,
            days_left,
            hub_region,
            now,
            generator_id: &self.config.generator_id,
            severity,
            resolved: false,
            created_at: first_raised(&hub_state),
            action,
        };
        let import = async {
            match &hub_state {
                Ok(HubState::Subscribed { .. }) => {
                    let request = securityhub::batch_import_findings(
                        &self.endpoint(Service::SecurityHub, certificate, hub_region),
                        hub_region,
                        &[finding.to_asff().to_json()],
                    );
                    let result = self
                        .call(request, securityhub::parse_batch_import_findings)
                        .await
                        .map_err(Fail)?;
                    Ok(Some(FindingImport {
                        id: finding.id(),
                        region: hub_region.to_owned(),
                        imported: result.success_count,
                    }))
                }
                Ok(HubState::NotSubscribed { message }) => Err(Skip(Skipped {
                    step: Step::SecurityHub,
                    reason: format!("Security Hub is not enabled in {hub_region}: {message}"),
                })),
                Err(error) => Err(Fail(error.clone())),
            }
        };
        let notice = ExpiryNotice {
            certificate,
            detail: &detail,
            not_after,
            days_left,
            action,
        };
        let publish = self.publish(notice, event_days, &owner);
        let (imported, published) = join(import, publish).await;
        finish(handled, imported, published)
    }

    /// The topic a certificate's `OWNER_TOPIC_TAG` names among its `tags`, if configured and
    /// tagged; or why it is not known (`tags` could not be listed, the tag names no topic).
    /// A tag naming `SNS_TOPIC_ARN` itself adds no one: that topic is told anyway.
    fn owner_of(&self, tags: Result<&[Tag], String>, partition: Partition) -> Owner {
        let key = self.config.owner_topic_tag.as_deref()?;
        let owner = match tags {
            Ok(tags) => owner_topic(key, tags, partition),
            Err(error) => Some(Err(owner_unknown(error))),
        };
        match owner {
            Some(Ok(topic)) if self.config.sns_topic.as_ref() == Some(&topic) => None,
            owner => owner,
        }
    }

    /// The owner's message; on the days `NOTIFY_AT_DAYS` names, once expired, and whenever
    /// ACM needs the owner to act.
    async fn publish(
        &self,
        notice: ExpiryNotice<'_>,
        event_days: Option<i64>,
        owner: &Owner,
    ) -> Vec<Result<Notification, StepError>> {
        let days_left = notice.days_left;
        if let Some(days) = self
            .config
            .notify_at_days
            .as_ref()
            .filter(|_| notice.action.is_none())
        {
            let day = event_days.unwrap_or(days_left);
            if days_left > 0 && !days.contains(&day) {
                let listed: Vec<String> = days.iter().rev().map(i64::to_string).collect();
                let mut skipped = vec![Err(Skip(Skipped {
                    step: Step::Notification,
                    reason: format!(
                        "{day} days left is not a notification day (NOTIFY_AT_DAYS={})",
                        listed.join(",")
                    ),
                }))];
                skipped.extend(unusable_owner(owner));
                return skipped;
            }
        }
        self.notify(
            notice.certificate,
            owner,
            notice.subject(),
            &notice.message(),
        )
        .await
    }

    /// Publishes one message about `certificate` to `SNS_TOPIC_ARN` and to its owner's topic,
    /// at once; one result per topic, and a skip for a missing topic or an unusable owner tag.
    /// The owner's topic is data anyone who tags certificates controls: a failure to reach it
    /// is reported as a skip, never as the event's failure, which would repeat every other
    /// step and message on each retry.
    async fn notify(
        &self,
        certificate: &CertificateArn,
        owner: &Owner,
        subject: &str,
        message: &str,
    ) -> Vec<Result<Notification, StepError>> {
        let main = self.config.sns_topic.as_ref();
        let owner_topic = match owner {
            Some(Ok(topic)) => Some(topic),
            _ => None,
        };
        let mut results: Vec<_> = unusable_owner(owner).into_iter().collect();
        if main.is_none() {
            results.push(Err(no_topic()));
        }
        let publish = |topic: &TopicArn| {
            let topic = topic.clone();
            async move {
                let endpoint = self.endpoint(Service::Sns, certificate, &topic.arn().region);
                let request = sns::publish(&endpoint, &topic, subject, message);
                let message_id = self.call(request, sns::parse_publish).await?;
                Ok::<_, CallError>(Notification {
                    topic_arn: topic.to_string(),
                    message_id,
                })
            }
        };
        let (to_main, to_owner) = join(
            OptionFuture::from(main.map(publish)),
            OptionFuture::from(owner_topic.map(publish)),
        )
        .await;
        results.extend(to_main.map(|sent| sent.map_err(Fail)));
        results.extend(owner_topic.zip(to_owner).map(|(topic, sent)| {
            sent.map_err(|error| {
                Skip(Skipped {
                    step: Step::Notification,
                    reason: format!("the owner's topic {topic} was not told: {error}"),
                })
            })
        }));
        results
    }

    /// The credentials, which no error may quote.
    fn secrets(&self) -> Vec<&str> {
        let credentials = &self.config.credentials;
        let mut secrets = vec![
            credentials.access_key_id.as_str(),
            credentials.secret_access_key.as_str(),
        ];
        secrets.extend(credentials.session_token.as_deref());
        secrets
    }

    /// Signs and sends `request`, retrying what the retry policy allows, and parses the reply.
    async fn call<T>(
        &self,
        request: AwsRequest,
        parse: impl Fn(&AwsResponse) -> Result<T, CallError>,
    ) -> Result<T, CallError> {
        let operation = request.operation;
        if self.config.dry_run && operation.writes() {
            self.planned.borrow_mut().push(PlannedRequest {
                operation: operation.name().to_owned(),
                url: request.url.clone(),
                body: String::from_utf8_lossy(&request.body).into_owned(),
            });
            return parse(&crate::aws::dry_run_reply(&request));
        }
        // The trace header travels unsigned, as the AWS SDKs send it.
        let mut request = match &self.config.trace_id {
            Some(trace) => request.header("x-amzn-trace-id", trace),
            None => request,
        };
        request.reply_timeout = Some(self.config.request_timeout);
        let mut attempt = 1;
        loop {
            let now = self.platform.now();
            let signed_headers = self
                .signer
                .signed_headers(&request, now.into())
                .map_err(|e| CallError::Transport {
                    operation,
                    message: e.to_string(),
                })?;
            // Sent with the signature's headers, then back to its own for the next attempt:
            // the body is not copied.
            let unsigned = std::mem::replace(&mut request.headers, signed_headers);
            let sent = self.platform.send(&request).await;
            request.headers = unsigned;
            let result = match sent {
                Ok(response) => parse(&response),
                Err(message) => Err(CallError::Transport { operation, message }),
            };
            let error = match result {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            match self
                .retry
                .delay_after(attempt, &error, self.platform.jitter())
            {
                Some(delay) => self.platform.sleep(delay).await,
                None => return Err(error.redacted(&self.secrets())),
            }
            attempt += 1;
        }
    }
}

/// When the certificate's open finding was first raised, if the lookup found one.
fn first_raised(hub_state: &Result<HubState, CallError>) -> Option<&str> {
    match hub_state {
        Ok(HubState::Subscribed { first_raised }) => first_raised.as_deref(),
        _ => None,
    }
}

/// What a certificate event is about.
#[derive(Debug, Clone, Copy)]
enum Trigger<'a> {
    /// Approaching expiration, or expired; the event's `DaysToExpiry`, if it gave one.
    Expiry(Option<i64>),
    /// Renewed or (re-)imported.
    Renewal(crate::event::Renewal),
    /// ACM cannot renew it by itself, for this reason.
    ActionRequired(&'a str),
}

/// What the first round trip established about a certificate.
struct Known<'a> {
    detail: &'a CertificateDetail,
    not_after: OffsetDateTime,
    days_left: i64,
    hub_region: &'a str,
    now: OffsetDateTime,
    owner: &'a Owner,
}

/// The topic a certificate's owner tag names: none, usable, or why not.
type Owner = Option<Result<TopicArn, String>>;

/// The outcome once the finding and the notification are done: each done, skipped or failed.
fn finish(
    mut handled: Handled,
    imported: Result<Option<FindingImport>, StepError>,
    published: Vec<Result<Notification, StepError>>,
) -> Result<Handled, HandleError> {
    let mut failures = Vec::new();
    match imported {
        Ok(finding) => handled.finding = finding,
        Err(Skip(skipped)) => handled.skipped.push(skipped),
        Err(Fail(error)) => failures.push(error),
    }
    for published in published {
        match published {
            Ok(notification) => handled.notifications.push(notification),
            Err(Skip(skipped)) => handled.skipped.push(skipped),
            Err(Fail(error)) => failures.push(error),
        }
    }
    match failures.len() {
        0 => Ok(handled),
        _ => Err(partial_failure(&handled, failures)),
    }
}

/// The skip an owner tag that names no usable topic comes to.
fn unusable_owner(owner: &Owner) -> Option<Result<Notification, StepError>> {
    match owner {
        Some(Err(reason)) => Some(Err(Skip(Skipped {
            step: Step::Notification,
            reason: reason.clone(),
        }))),
        _ => None,
    }
}

fn no_topic() -> StepError {
    Skip(Skipped {
        step: Step::Notification,
        reason: "SNS_TOPIC_ARN is not set".into(),
    })
}

/// A step that did not happen: deliberately, or because it failed.
enum StepError {
    Skip(Skipped),
    Fail(CallError),
}
use StepError::{Fail, Skip};

/// One error for the event that also says what did get done, since a retry will redo it.
fn partial_failure(handled: &Handled, failures: Vec<CallError>) -> HandleError {
    let mut done = Vec::new();
    if let Some(f) = &handled.finding {
        done.push(format!("finding {} imported into {}", f.id, f.region));
    }
    for n in &handled.notifications {
        done.push(format!(
            "notification {} published to {}",
            n.message_id, n.topic_arn
        ));
    }
    let retryable = failures.iter().all(CallError::is_retryable);
    let mut failures = failures.into_iter();
    let first = failures
        .next()
        .map(HandleError::from)
        .unwrap_or_else(|| HandleError::new(ErrorKind::Aws, "failed"));
    let mut message = format!(
        "{} expires in {} days; {}",
        handled.certificate.arn, handled.certificate.days_left, first.message
    );
    for other in failures {
        message.push_str(&format!("; also {other}"));
    }
    if !done.is_empty() {
        message.push_str(&format!(" (done before the failure: {})", done.join(", ")));
    }
    HandleError {
        message,
        retryable,
        ..first
    }
}
