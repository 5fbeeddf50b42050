//! The alerts beyond the e-mail: the chat custom notification to `CHAT_TOPIC_ARN`, and the
//! event to `EVENT_BUS_NAME`. Either setting unset sends nothing and says nothing: they are
//! additions to the e-mail, not replacements.

use super::{Fail, Platform, Responder, StepError};
use crate::alert_event::AlertEvent;
use crate::arn::{CertificateArn, TopicArn};
use crate::aws::{CallError, events, sns};
use crate::chat::CustomNotification;
use crate::config::Service;
use crate::outcome::{Notification, PutEvent};
use crate::partition::Partition;

impl<P: Platform> Responder<'_, P> {
    /// Publishes `chat` (written only where `CHAT_TOPIC_ARN` is set) to that topic. The topic
    /// is the operator's, as `SNS_TOPIC_ARN` is: a failure to reach it is the event's failure,
    /// retried.
    pub(super) async fn publish_chat(
        &self,
        subject: &str,
        chat: Option<CustomNotification>,
    ) -> Option<Result<Notification, StepError>> {
        let (topic, chat) = self.config.chat_topic.as_ref().zip(chat)?;
        Some(
            self.publish_to(topic, subject, &chat.to_message())
                .await
                .map_err(Fail),
        )
    }

    /// Publishes `message` to `topic`: one SNS message, its id.
    pub(crate) async fn publish_to(
        &self,
        topic: &TopicArn,
        subject: &str,
        message: &str,
    ) -> Result<Notification, CallError> {
        let arn = topic.arn();
        let endpoint = self.endpoint_in(Service::Sns, arn.partition, &arn.region);
        let request = sns::publish(&endpoint, topic, subject, message);
        let message_id = self.call(request, sns::parse_publish).await?;
        Ok(Notification {
            topic_arn: topic.to_string(),
            message_id,
        })
    }

    /// Puts `events` on `EVENT_BUS_NAME`, when it is set, 10 to a call (EventBridge's limit),
    /// one call after the other; stops at the first failure, with what was put before it.
    pub(crate) async fn put_alerts(
        &self,
        partition: Partition,
        fallback_region: &str,
        alerts: &[AlertEvent],
    ) -> (Vec<PutEvent>, Option<CallError>) {
        let Some(bus) = &self.config.event_bus else {
            return (Vec::new(), None);
        };
        // A bus named without an ARN is in certwatch's own region.
        let own_region = self.config.region.as_deref().unwrap_or(fallback_region);
        let region = events::bus_region(bus, own_region);
        let endpoint = self.endpoint_in(Service::Events, partition, region);
        let mut put = Vec::new();
        for batch in alerts.chunks(10) {
            let entries: Vec<events::Entry> = batch.iter().map(|a| a.entry(bus)).collect();
            let request = events::put_events(&endpoint, region, &entries);
            let sent = entries.len();
            match self
                .call(request, |r| events::parse_put_events(r, sent))
                .await
            {
                Ok(ids) => put.extend(batch.iter().zip(ids).map(|(alert, event_id)| PutEvent {
                    event_bus: bus.to_string(),
                    detail_type: alert.kind.detail_type().to_owned(),
                    event_id,
                })),
                Err(error) => return (put, Some(error)),
            }
        }
        (put, None)
    }

    /// Puts the one event of a certificate's decision.
    pub(crate) async fn put_alert(
        &self,
        certificate: &CertificateArn,
        alert: AlertEvent,
    ) -> Vec<Result<PutEvent, CallError>> {
        let arn = certificate.arn();
        let (put, failed) = self
            .put_alerts(arn.partition, &arn.region, std::slice::from_ref(&alert))
            .await;
        let mut results: Vec<_> = put.into_iter().map(Ok).collect();
        results.extend(failed.map(Err));
        results
    }
}
