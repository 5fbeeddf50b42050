//! The responder: one event in, one outcome out. It decides and builds everything here and
//! reaches the world only through a [`Platform`], so the same code runs in the component
//! (WASI HTTP, WASI clocks) and natively under test.

use crate::alert_event::{AlertEvent, AlertKind, Alerted};
use crate::arn::CertificateArn;
use crate::arn::TopicArn;
use crate::aws::acm;
use crate::aws::call::Caller;
pub use crate::aws::call::Platform;
use crate::aws::open_findings::{self, HubState};
use crate::aws::securityhub;
use crate::aws::{AwsRequest, AwsResponse, CallError, sns};
use crate::certificate::CertificateDetail;
use crate::certificate::Tag;
use crate::chat_alert::expiry_chat;
use crate::config::{Config, Service};
use crate::decision::{Notify, Rules, Trigger, Verdict, days_left};
use crate::event::{Envelope, Event};
use crate::filter::{owner_topic, owner_unknown};
use crate::finding::{ExpiryFinding, display_domain, finding_id};
use crate::notification::ExpiryNotice;
use crate::organization::{self, Membership};
use crate::outcome::*;
use crate::partition::Partition;
use crate::timestamp::rfc3339_seconds;
use futures::future::{OptionFuture, join, join3};

mod alerts;
mod renewal;
use time::OffsetDateTime;

/// One event's handling (or one account's part of a scan): its configuration, and the callers
/// that sign and send its requests.
pub struct Responder<'a, P> {
    pub(crate) config: &'a Config,
    /// Signs with the credentials of the account the certificates are in: certwatch's own, or
    /// a member role's.
    pub(crate) caller: Caller<'a, P>,
    /// certwatch's own, where `caller` is a member's: notifications, STS and Organizations go
    /// from certwatch's own account.
    pub(crate) central: Option<&'a Caller<'a, P>>,
    /// In a scan across accounts, where this account's progress adds up with the others'.
    pub(crate) progress: Option<crate::scan::AccountProgress<'a>>,
}

/// Handles one event: configuration from `env`, the event from `event_text`.
pub async fn handle<P: Platform>(
    platform: &P,
    env: &[(String, String)],
    event_text: &str,
) -> Result<Outcome, Failure> {
    // Configuration is read only for events certwatch acts on.
    let config = || Config::from_pairs(env);
    let event = Event::parse(event_text)?;
    // ACM's NotAfter decides; the event's DaysToExpiry only picks notification days.
    let (envelope, certificate, trigger) = match &event {
        Event::NotHandled { envelope, reason } => {
            return Ok(not_handled(envelope, reason.clone()));
        }
        Event::Scan { envelope } => {
            let config = config()?;
            if let Some(queue) = &config.organization.scan_queue {
                return crate::scan::queue_accounts(platform, &config, envelope, queue)
                    .await
                    .map(Outcome::Scanned);
            }
            if let Some(accounts) = &config.organization.scan_accounts {
                return crate::scan::scan_accounts(platform, &config, envelope, accounts)
                    .await
                    .map(Outcome::Scanned);
            }
            let responder = Responder::own(platform, &config);
            return responder.scan(envelope).await.map(|report| {
                Outcome::Scanned(ScanReport {
                    planned: responder.take_planned(),
                    ..report
                })
            });
        }
        Event::AccountScan { envelope, target } => {
            let config = config()?;
            return crate::scan::scan_queued_account(platform, &config, envelope, target).await;
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
    let central = Caller::new(platform, &config.credentials, config.call_options());
    let account = envelope.account.as_deref();
    let assumed = match organization::membership(&central, &config, account, certificate).await? {
        Membership::Own => None,
        Membership::Member(account) => {
            let partition = certificate.arn().partition;
            let region = &certificate.arn().region;
            Some(organization::assume(&central, &config, partition, &account, region).await?)
        }
        Membership::NotAllowed(reason) => return Ok(not_handled(envelope, reason)),
    };
    let responder = match &assumed {
        Some(credentials) => Responder {
            config: &config,
            caller: Caller::new(platform, credentials, config.call_options()),
            central: Some(&central),
            progress: None,
        },
        None => Responder {
            config: &config,
            caller: central,
            central: None,
            progress: None,
        },
    };
    responder
        .certificate_event(envelope, certificate, trigger)
        .await
        .map(|handled| {
            Outcome::Handled(Handled {
                planned: responder.take_planned(),
                ..handled
            })
        })
}

/// The account the credentials in `env` belong to, from STS `GetCallerIdentity` in
/// certwatch's region (`us-east-1` when none is set).
pub async fn identify<P: Platform>(
    platform: &P,
    env: &[(String, String)],
) -> Result<String, Failure> {
    let config = Config::from_pairs(env)?;
    let caller = Caller::new(platform, &config.credentials, config.call_options());
    let region = config.region.as_deref().unwrap_or("us-east-1");
    let partition = Partition::for_region(region);
    let endpoint = organization::endpoint(&config, Service::Sts, partition, region);
    let request = crate::aws::sts::get_caller_identity(&endpoint, region);
    let account = caller
        .call(request, crate::aws::sts::parse_get_caller_identity)
        .await?;
    crate::account::AccountId::parse(&account)
        .map(|id| id.to_string())
        .map_err(|m| {
            Failure::new(
                ErrorKind::Aws,
                format!("sts:GetCallerIdentity gave an account that is not one: {m}"),
            )
        })
}

/// The outcome of an event certwatch does not act on, and why.
fn not_handled(envelope: &Envelope, reason: String) -> Outcome {
    Outcome::NotHandled(Ignored {
        event_id: envelope.id.clone(),
        source: envelope.source.clone(),
        detail_type: envelope.detail_type.clone(),
        reason,
    })
}

impl<'a, P: Platform> Responder<'a, P> {
    /// Everything in certwatch's own account, with its own credentials.
    pub(crate) fn own(platform: &'a P, config: &'a Config) -> Self {
        Self {
            config,
            caller: Caller::new(platform, &config.credentials, config.call_options()),
            central: None,
            progress: None,
        }
    }

    /// The writes a dry run noted instead of sending, in the account and (where it is another
    /// caller) from certwatch's own.
    pub(crate) fn take_planned(&self) -> Vec<PlannedRequest> {
        let mut planned = self.caller.take_planned();
        if let Some(central) = self.central {
            planned.extend(central.take_planned());
        }
        planned
    }
}

impl<P: Platform> Responder<'_, P> {
    pub(crate) fn endpoint(
        &self,
        service: Service,
        certificate: &CertificateArn,
        region: &str,
    ) -> String {
        self.endpoint_in(service, certificate.arn().partition, region)
    }

    pub(crate) fn endpoint_in(
        &self,
        service: Service,
        partition: Partition,
        region: &str,
    ) -> String {
        match self.config.endpoints.for_service(service) {
            Some(url) => url.to_owned(),
            None => partition.endpoint(service, region),
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
    ) -> Result<Handled, Failure> {
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
        let now = self.caller.platform().now();
        let not_after = detail.not_after.ok_or_else(|| {
            Failure::new(
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
            events: Vec::new(),
        };
        let owner_tags = match &tags_failure {
            Some(error) => Err(error.to_string()),
            None => Ok(&tags[..]),
        };
        let owner = self.owner_of(owner_tags, certificate.arn().partition);
        let (severity, action, notify) =
            match Rules::from_config(self.config).judge(&detail, &tags, days_left, trigger) {
                Verdict::Excluded(reason) => {
                    handled.decision = Decision::Excluded;
                    handled.skipped = [Step::SecurityHub, Step::Notification]
                        .map(|step| Skipped {
                            step,
                            reason: reason.clone(),
                        })
                        .into();
                    return Ok(handled);
                }
                Verdict::NotExpiring => return Ok(handled),
                Verdict::Renewed(renewal) => {
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
                Verdict::Raise {
                    severity,
                    action,
                    notify,
                } => (severity, action, notify),
            };
        handled.decision = match action {
            Some(_) => Decision::ActionRequired,
            None => Decision::Expiring,
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
        let alert = AlertEvent::new(
            AlertKind::raised(days_left, action.is_some()),
            Alerted {
                certificate,
                domain: &handled.certificate.domain,
                not_after: &handled.certificate.not_after,
                days_left,
                severity,
                reason: action,
            },
        );
        // Chat follows the e-mail's days (`NOTIFY_AT_DAYS`); the event goes out every day, as
        // the finding does: an incident tool folds repeats into one incident by `dedupKey`.
        let chat_today = matches!(notify, Notify::Now);
        let chat = async {
            if !chat_today {
                return None;
            }
            let chat = (self.config.chat_topic.is_some())
                .then(|| expiry_chat(&notice, severity, &envelope.id));
            self.publish_chat(notice.subject(), chat).await
        };
        // The chat message after the e-mails, not beside them: a round trip more, only where
        // CHAT_TOPIC_ARN is set, for a smaller component than one more join.
        let publish = async {
            let mut published = self.publish(notice.clone(), notify, &owner).await;
            published.extend(chat.await);
            published
        };
        let (imported, published, put) =
            join3(import, publish, self.put_alert(certificate, alert)).await;
        finish(handled, imported, published, put)
    }

    /// The topic a certificate's `OWNER_TOPIC_TAG` names among its `tags`, if configured and
    /// tagged; or why it is not known (`tags` could not be listed, the tag names no topic).
    /// A tag naming `SNS_TOPIC_ARN` itself adds no one: that topic is told anyway.
    pub(crate) fn owner_of(&self, tags: Result<&[Tag], String>, partition: Partition) -> Owner {
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

    /// The owner's message, unless today is not a day to send it (the finding is updated
    /// anyway).
    async fn publish(
        &self,
        notice: ExpiryNotice<'_>,
        notify: Notify,
        owner: &Owner,
    ) -> Vec<Result<Notification, StepError>> {
        if let Notify::NotToday(reason) = notify {
            let mut skipped = vec![Err(Skip(Skipped {
                step: Step::Notification,
                reason,
            }))];
            skipped.extend(unusable_owner(owner));
            return skipped;
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

    /// Signs and sends `request` as the caller does, and parses the reply: ACM and Security
    /// Hub in the certificates' account, everything else (notifications) from certwatch's own.
    pub(crate) async fn call<T>(
        &self,
        request: AwsRequest,
        parse: impl Fn(&AwsResponse) -> Result<T, CallError>,
    ) -> Result<T, CallError> {
        let caller = match request.operation.service() {
            Service::Acm | Service::SecurityHub => &self.caller,
            _ => self.central.unwrap_or(&self.caller),
        };
        caller.call(request, parse).await
    }
}

/// When the certificate's open finding was first raised, if the lookup found one.
fn first_raised(hub_state: &Result<HubState, CallError>) -> Option<&str> {
    match hub_state {
        Ok(HubState::Subscribed { first_raised }) => first_raised.as_deref(),
        _ => None,
    }
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
    put: Vec<Result<PutEvent, CallError>>,
) -> Result<Handled, Failure> {
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
    for put in put {
        match put {
            Ok(event) => handled.events.push(event),
            Err(error) => failures.push(error),
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
fn partial_failure(handled: &Handled, failures: Vec<CallError>) -> Failure {
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
    for e in &handled.events {
        done.push(format!(
            "event {} ({}) put on {}",
            e.event_id, e.detail_type, e.event_bus
        ));
    }
    let retryable = failures.iter().all(CallError::is_retryable);
    let mut failures = failures.into_iter();
    let first = failures
        .next()
        .map(Failure::from)
        .unwrap_or_else(|| Failure::new(ErrorKind::Aws, "failed"));
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
    Failure {
        message,
        retryable,
        ..first
    }
}
