//! Who hears of what a scan found: `SNS_TOPIC_ARN` of everything, each owner's topic of its own
//! certificates and renewals; and the digests published.

use super::digest_chat::{DigestScope, digest_chat};
use super::{AccountNames, Expiring, Resolution};
use super::{StepFailure, digest_messages};
use crate::arn::{CertificateArn, TopicArn};
use crate::notification::SUBJECT;
use crate::outcome::*;
use crate::responder::{Platform, Responder};
use futures::FutureExt as _;
use futures::future::join_all;
use time::OffsetDateTime;

impl<P: Platform> Responder<'_, P> {
    /// With owner routing, the owner of each renewed certificate whose finding was resolved, so
    /// that its owner hears of the renewal too; tags are listed only now.
    /// A deleted certificate has no tags left to read. Returns why an owner is not known.
    pub(super) async fn find_owners(&self, resolutions: &mut [Resolution]) -> Vec<Skipped> {
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
    pub(super) async fn publish_digest(
        &self,
        expiring: &[Expiring],
        resolved: &[Resolution],
        regions: &[String],
        now: OffsetDateTime,
        accounts: Option<&AccountNames>,
    ) -> Digest {
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
                match certificate.due {
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
                accounts,
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

    /// The digest as one chat custom notification to `CHAT_TOPIC_ARN`, when it is set and
    /// there is something to say: the operator's topic, so a failure is the scan's.
    pub(super) async fn publish_digest_chat(
        &self,
        expiring: &[Expiring],
        resolved: &[Resolution],
        scope: DigestScope<'_>,
    ) -> Digest {
        let mut digest = Digest::default();
        let Some(topic) = &self.config.chat_topic else {
            return digest;
        };
        let Some(chat) = digest_chat(expiring, resolved, scope) else {
            return digest;
        };
        match self.publish_to(topic, SUBJECT, &chat.to_message()).await {
            Ok(sent) => digest.sent.push(sent),
            Err(error) => digest.failures.push(StepFailure {
                what: format!("publishing the chat digest to {topic}"),
                error,
            }),
        }
        digest
    }

    /// Publishes `messages` to `topic` one after the other, stopping at the first failure.
    async fn publish_messages(
        &self,
        topic: &TopicArn,
        messages: Vec<String>,
    ) -> (Vec<Notification>, Option<StepFailure>) {
        let mut sent = Vec::new();
        for message in messages {
            match self.publish_to(topic, SUBJECT, &message).await {
                Ok(notification) => sent.push(notification),
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
pub(super) struct Digest {
    pub(super) sent: Vec<Notification>,
    pub(super) failures: Vec<StepFailure>,
    pub(super) skipped: Vec<Skipped>,
}

impl Digest {
    /// `other`'s messages, failures and skips added to these.
    pub(super) fn absorb(&mut self, other: Digest) {
        self.sent.extend(other.sent);
        self.failures.extend(other.failures);
        self.skipped.extend(other.skipped);
    }
}
