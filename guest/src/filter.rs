//! Which certificates certwatch watches (`ONLY_IMPORTED`, `ONLY_IN_USE`, `INCLUDE_TAGS`,
//! `EXCLUDE_TAGS`), and who else hears about one (`OWNER_TOPIC_TAG`).

use crate::arn::TopicArn;
use crate::certificate::{CertificateDetail, Tag};
use crate::partition::Partition;

/// `key=value` matches that value exactly; a bare `key` matches the key with any value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPattern {
    key: String,
    value: Option<String>,
}

impl TagPattern {
    /// `key=value` or `key`; tag keys cannot be empty. The first `=` splits, as tag values may
    /// hold `=` too.
    pub fn parse(text: &str) -> Result<Self, String> {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key.trim(), Some(value.trim().to_owned())),
            None => (text.trim(), None),
        };
        if key.is_empty() {
            return Err(format!("{text:?} has no tag key; write key=value or key"));
        }
        Ok(Self {
            key: key.to_owned(),
            value,
        })
    }

    fn matches(&self, tag: &Tag) -> bool {
        tag.key == self.key
            && match &self.value {
                None => true,
                Some(value) => tag.value.as_deref().unwrap_or_default() == value,
            }
    }
}

impl std::fmt::Display for TagPattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}={value}", self.key),
            None => f.write_str(&self.key),
        }
    }
}

/// Which certificates certwatch acts on. A certificate left out gets no finding and no message;
/// a finding it already has is left as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// Only certificates imported into ACM, which ACM never renews (`ONLY_IMPORTED`).
    pub only_imported: bool,
    /// Only certificates some AWS resource uses (`ONLY_IN_USE`).
    pub only_in_use: bool,
    /// Only certificates with at least one of these tags (`INCLUDE_TAGS`).
    pub include_tags: Vec<TagPattern>,
    /// None with any of these tags (`EXCLUDE_TAGS`); wins over `include_tags`.
    pub exclude_tags: Vec<TagPattern>,
}

impl Filters {
    /// Whether deciding needs the certificate's tags.
    pub fn need_tags(&self) -> bool {
        !self.include_tags.is_empty() || !self.exclude_tags.is_empty()
    }

    /// Whether `detail` (a list summary) lacks a field these filters read.
    pub fn need_description(&self, detail: &CertificateDetail) -> bool {
        (self.only_imported && detail.kind.is_none())
            || (self.only_in_use && detail.in_use.is_none())
    }

    /// Why the certificate is left out, or `None` when certwatch acts on it. `tags` are the
    /// certificate's, looked up when [`Self::need_tags`] says so.
    pub fn exclusion(&self, detail: &CertificateDetail, tags: &[Tag]) -> Option<String> {
        self.exclusion_by_kind(detail)
            .or_else(|| self.exclusion_by_tags(tags))
    }

    /// What the certificate's description alone leaves out, before any tag is looked up.
    pub fn exclusion_by_kind(&self, detail: &CertificateDetail) -> Option<String> {
        if self.only_imported && detail.kind.as_deref() != Some("IMPORTED") {
            let kind = detail.kind.as_deref().unwrap_or("of unknown type");
            return Some(format!(
                "left out by ONLY_IMPORTED: the certificate is {kind}"
            ));
        }
        if self.only_in_use && detail.in_use != Some(true) {
            return Some("left out by ONLY_IN_USE: no AWS resource uses the certificate".into());
        }
        None
    }

    fn exclusion_by_tags(&self, tags: &[Tag]) -> Option<String> {
        let matching = |patterns: &[TagPattern]| {
            patterns
                .iter()
                .find(|p| tags.iter().any(|t| p.matches(t)))
                .map(ToString::to_string)
        };
        if let Some(pattern) = matching(&self.exclude_tags) {
            return Some(format!("left out by EXCLUDE_TAGS: it is tagged {pattern}"));
        }
        if !self.include_tags.is_empty() && matching(&self.include_tags).is_none() {
            let listed: Vec<String> = self.include_tags.iter().map(ToString::to_string).collect();
            return Some(format!(
                "left out by INCLUDE_TAGS: it has none of {}",
                listed.join(", ")
            ));
        }
        None
    }
}

/// Why a certificate's owner could not be told: its tags could not be listed.
pub fn owner_unknown(error: impl std::fmt::Display) -> String {
    format!("the certificate's owner topic is not known, its tags could not be listed: {error}")
}

/// The topic a certificate's owner tag names, if it has that tag. `Err` says why the tag's
/// value is unusable; the certificate's alerts then go to `SNS_TOPIC_ARN` alone. A topic in
/// another partition than the certificate's could never be reached with the same credentials.
pub fn owner_topic(
    tag_key: &str,
    tags: &[Tag],
    partition: Partition,
) -> Option<Result<TopicArn, String>> {
    let tag = tags.iter().find(|t| t.key == tag_key)?;
    let value = tag.value.as_deref().unwrap_or_default().trim();
    let checked = match TopicArn::parse(value) {
        Ok(topic)
            if topic.arn().partition == partition
                && Partition::for_region(&topic.arn().region) == partition =>
        {
            Ok(topic)
        }
        Ok(topic) => Err(format!(
            "the certificate's {tag_key} tag names {topic}, outside the certificate's partition ({})",
            partition.name()
        )),
        Err(e) => Err(format!("the certificate's {tag_key} tag: {e}")),
    };
    Some(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(key: &str, value: &str) -> Tag {
        Tag {
            key: key.into(),
            value: Some(value.into()),
        }
    }

    fn patterns(list: &[&str]) -> Vec<TagPattern> {
        list.iter().map(|p| TagPattern::parse(p).unwrap()).collect()
    }

    fn certificate(kind: &str, in_use: bool) -> CertificateDetail {
        CertificateDetail {
            kind: Some(kind.into()),
            in_use: Some(in_use),
            ..Default::default()
        }
    }

    #[test]
    fn no_filters_watch_everything_without_tags() {
        let filters = Filters::default();
        assert!(!filters.need_tags());
        assert_eq!(
            filters.exclusion(&certificate("AMAZON_ISSUED", false), &[]),
            None
        );
    }

    #[test]
    fn only_imported_and_in_use() {
        let filters = Filters {
            only_imported: true,
            only_in_use: true,
            ..Default::default()
        };
        assert_eq!(filters.exclusion(&certificate("IMPORTED", true), &[]), None);
        let amazon = filters.exclusion(&certificate("AMAZON_ISSUED", true), &[]);
        assert!(amazon.unwrap().contains("AMAZON_ISSUED"));
        let unused = filters.exclusion(&certificate("IMPORTED", false), &[]);
        assert!(unused.unwrap().contains("ONLY_IN_USE"));
        assert!(filters.need_description(&CertificateDetail::default()));
        assert!(!filters.need_description(&certificate("IMPORTED", false)));
    }

    #[test]
    fn include_needs_one_matching_tag_and_exclude_wins() {
        let filters = Filters {
            include_tags: patterns(&["env=prod", "team"]),
            exclude_tags: patterns(&["certwatch=ignore"]),
            ..Default::default()
        };
        let any = certificate("AMAZON_ISSUED", true);
        assert!(filters.need_tags());
        assert_eq!(filters.exclusion(&any, &[tag("env", "prod")]), None);
        assert_eq!(filters.exclusion(&any, &[tag("team", "payments")]), None);
        let staging = filters.exclusion(&any, &[tag("env", "staging")]).unwrap();
        assert_eq!(
            staging,
            "left out by INCLUDE_TAGS: it has none of env=prod, team"
        );
        let ignored = filters
            .exclusion(&any, &[tag("env", "prod"), tag("certwatch", "ignore")])
            .unwrap();
        assert_eq!(
            ignored,
            "left out by EXCLUDE_TAGS: it is tagged certwatch=ignore"
        );
    }

    #[test]
    fn a_pattern_splits_at_the_first_equals_sign() {
        let filters = Filters {
            include_tags: patterns(&["query=a=b"]),
            ..Default::default()
        };
        let any = certificate("IMPORTED", true);
        assert_eq!(filters.exclusion(&any, &[tag("query", "a=b")]), None);
        assert!(filters.exclusion(&any, &[tag("query", "a")]).is_some());
        assert!(TagPattern::parse("=prod").is_err());
        // A tag without a value matches `key=` and `key`.
        let bare = Tag {
            key: "team".into(),
            value: None,
        };
        assert!(patterns(&["team="])[0].matches(&bare));
        assert!(patterns(&["team"])[0].matches(&bare));
    }

    #[test]
    fn the_owner_tag_names_a_topic_or_says_why_not() {
        let topic = "arn:aws:sns:eu-west-1:123456789012:payments";
        let tags = [tag("env", "prod"), tag("owner-topic", topic)];
        let found = owner_topic("owner-topic", &tags, Partition::Aws);
        assert_eq!(found.unwrap().unwrap().to_string(), topic);
        assert!(owner_topic("other", &tags, Partition::Aws).is_none());
        let bad = owner_topic("env", &tags, Partition::Aws)
            .unwrap()
            .unwrap_err();
        assert!(bad.contains("\"prod\" is not"), "{bad}");
        let elsewhere = owner_topic("owner-topic", &tags, Partition::AwsCn);
        let refused = elsewhere.unwrap().unwrap_err();
        assert!(
            refused.contains("outside the certificate's partition"),
            "{refused}"
        );
        // A China region under the aws partition has no endpoint anywhere.
        let mismatched = [tag("owner-topic", "arn:aws:sns:cn-north-1:123456789012:t")];
        let refused = owner_topic("owner-topic", &mismatched, Partition::Aws);
        assert!(refused.unwrap().is_err());
        let padded = [tag("owner-topic", &format!(" {topic} "))];
        let trimmed = owner_topic("owner-topic", &padded, Partition::Aws);
        assert_eq!(trimmed.unwrap().unwrap().to_string(), topic);
    }
}
