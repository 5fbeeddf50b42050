//! The custom notification Amazon Q Developer in chat applications (formerly AWS Chatbot)
//! renders in Slack and Microsoft Teams: an SNS message whose text is this JSON. Chatbot
//! drops any other message on its topic without a word, so the shape is typed here and kept
//! within bounds.
//!
//! The documented schema: `version` `1.0`, `source` `custom`, an optional `id`; `content` with
//! `textType` (only `client-markdown`), `title`, `description`, `nextSteps`, `keywords`;
//! `metadata` with `threadId`, `summary`, `eventType`, `relatedResources`,
//! `additionalContext`. The caps below are certwatch's, chosen under what Slack shows in one
//! message (3,000 characters of section text) so nothing is cut by the chat platform instead.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The schema version Chatbot requires.
pub const VERSION: &str = "1.0";
/// The `source` Chatbot requires of a custom notification.
pub const SOURCE: &str = "custom";
/// The only text type Chatbot supports: the chat platform's own markdown.
pub const TEXT_TYPE: &str = "client-markdown";

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 250;
/// Longest description, in characters: one Slack section.
pub const MAX_DESCRIPTION_CHARS: usize = 3000;
/// Longest next step, in characters.
pub const MAX_NEXT_STEP_CHARS: usize = 500;
/// Next steps shown, at most.
pub const MAX_NEXT_STEPS: usize = 5;
/// Keywords, at most.
pub const MAX_KEYWORDS: usize = 10;
/// Longest keyword, in characters.
pub const MAX_KEYWORD_CHARS: usize = 50;
/// Longest summary (the notification's preview text), in characters.
pub const MAX_SUMMARY_CHARS: usize = 250;
/// Related resources, at most.
pub const MAX_RELATED_RESOURCES: usize = 10;

/// A custom notification, as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomNotification {
    /// Always [`VERSION`].
    pub version: String,
    /// Always [`SOURCE`].
    pub source: String,
    /// A unique id: the event's, or the scan's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// What the channel shows.
    pub content: Content,
    /// How Chatbot groups and labels it.
    pub metadata: Metadata,
}

/// What the channel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    /// Always [`TEXT_TYPE`].
    pub text_type: String,
    /// One line, markdown.
    pub title: String,
    /// The body, markdown.
    pub description: String,
    /// What to do, one step an item.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub next_steps: Vec<String>,
    /// Labels to search and filter by.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
}

/// How Chatbot groups and labels a notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Metadata {
    /// Notifications with one thread id are replies in one thread.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thread_id: Option<String>,
    /// The preview text.
    pub summary: String,
    /// What happened, e.g. `Certificate Expiring`.
    pub event_type: String,
    /// ARNs it is about.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related_resources: Vec<String>,
    /// Facts for people and custom actions.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub additional_context: BTreeMap<String, String>,
}

/// What a notification says, before it is fitted to the caps.
#[derive(Debug, Clone, Default)]
pub struct Draft {
    /// A unique id.
    pub id: Option<String>,
    /// One line.
    pub title: String,
    /// The body.
    pub description: String,
    /// What to do.
    pub next_steps: Vec<String>,
    /// Labels.
    pub keywords: Vec<String>,
    /// One thread per subject.
    pub thread_id: Option<String>,
    /// The preview.
    pub summary: String,
    /// What happened.
    pub event_type: String,
    /// ARNs it is about.
    pub related_resources: Vec<String>,
    /// Facts.
    pub additional_context: BTreeMap<String, String>,
}

impl Draft {
    /// The notification, every text within its cap (cut at a character, marked with `…`) and
    /// every list within its count; empty keywords dropped.
    pub fn fit(self) -> CustomNotification {
        let cut_all = |items: Vec<String>, count: usize, chars: usize| -> Vec<String> {
            items
                .into_iter()
                .filter(|item| !item.trim().is_empty())
                .take(count)
                .map(|item| truncate(&item, chars))
                .collect()
        };
        CustomNotification {
            version: VERSION.into(),
            source: SOURCE.into(),
            id: self.id,
            content: Content {
                text_type: TEXT_TYPE.into(),
                title: truncate(&self.title, MAX_TITLE_CHARS),
                description: truncate(&self.description, MAX_DESCRIPTION_CHARS),
                next_steps: cut_all(self.next_steps, MAX_NEXT_STEPS, MAX_NEXT_STEP_CHARS),
                keywords: cut_all(self.keywords, MAX_KEYWORDS, MAX_KEYWORD_CHARS),
            },
            metadata: Metadata {
                thread_id: self.thread_id,
                summary: truncate(&self.summary, MAX_SUMMARY_CHARS),
                event_type: self.event_type,
                related_resources: self
                    .related_resources
                    .into_iter()
                    .take(MAX_RELATED_RESOURCES)
                    .collect(),
                additional_context: self.additional_context,
            },
        }
    }
}

impl CustomNotification {
    /// The SNS message's text: this notification as JSON.
    pub fn to_message(&self) -> String {
        // Plain strings and string maps always serialise.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `additionalContext` from name-value pairs, inserted one by one: collecting into a map sorts
/// its input first, and that sort's code cost the component more than the whole map.
pub fn context(pairs: &[(&str, String)]) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    for (name, value) in pairs {
        map.insert((*name).to_owned(), value.clone());
    }
    map
}

/// `text`, or its first `max - 1` characters and `…` when it is longer than `max` characters:
/// never cut inside a character.
pub fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        None => text.to_owned(),
        Some(_) => {
            let keep = max.saturating_sub(1);
            let end = text.char_indices().nth(keep).map_or(text.len(), |(i, _)| i);
            format!("{}…", &text[..end])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_keeps_whole_characters_and_marks_the_cut() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("exactly10!", 10), "exactly10!");
        assert_eq!(truncate("abcdefghijk", 5), "abcd…");
        // Multi-byte characters: counted as characters, never split.
        let cut = truncate("ééééé✓✓✓", 4);
        assert_eq!(cut, "ééé…");
        assert_eq!(cut.chars().count(), 4);
        assert_eq!(truncate("abc", 0), "…");
    }

    #[test]
    fn a_draft_is_fitted_to_every_cap() {
        let n = Draft {
            title: "t".repeat(400),
            description: "🔒".repeat(5000),
            next_steps: (0..9).map(|i| format!("step {i}")).collect(),
            keywords: vec!["".into(), "k".repeat(80)]
                .into_iter()
                .chain((0..20).map(|i| format!("k{i}")))
                .collect(),
            summary: "s".repeat(300),
            related_resources: (0..20).map(|i| format!("arn:{i}")).collect(),
            ..Draft::default()
        }
        .fit();
        assert_eq!(n.content.title.chars().count(), MAX_TITLE_CHARS);
        assert_eq!(n.content.description.chars().count(), MAX_DESCRIPTION_CHARS);
        assert!(n.content.description.ends_with('…'));
        assert_eq!(n.content.next_steps.len(), MAX_NEXT_STEPS);
        assert_eq!(n.content.keywords.len(), MAX_KEYWORDS);
        assert_eq!(n.content.keywords[0].chars().count(), MAX_KEYWORD_CHARS);
        assert_eq!(n.metadata.summary.chars().count(), MAX_SUMMARY_CHARS);
        assert_eq!(n.metadata.related_resources.len(), MAX_RELATED_RESOURCES);
    }

    #[test]
    fn the_message_is_the_documented_shape_and_reads_back() {
        let n = Draft {
            id: Some("e1".into()),
            title: "Title".into(),
            description: "Body".into(),
            next_steps: vec!["Do it".into()],
            keywords: vec!["certwatch".into()],
            thread_id: Some("thread".into()),
            summary: "Sum".into(),
            event_type: "Certificate Expiring".into(),
            related_resources: vec!["arn:aws:acm:us-east-1:123456789012:certificate/a".into()],
            additional_context: [("daysLeft".to_owned(), "3".to_owned())].into(),
        }
        .fit();
        let text = n.to_message();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["version"], "1.0");
        assert_eq!(json["source"], "custom");
        assert_eq!(json["id"], "e1");
        assert_eq!(json["content"]["textType"], "client-markdown");
        assert_eq!(json["content"]["nextSteps"][0], "Do it");
        assert_eq!(json["metadata"]["threadId"], "thread");
        assert_eq!(json["metadata"]["eventType"], "Certificate Expiring");
        assert_eq!(json["metadata"]["additionalContext"]["daysLeft"], "3");
        assert_eq!(
            serde_json::from_str::<CustomNotification>(&text).unwrap(),
            n
        );
    }
}
