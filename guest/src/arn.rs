//! Amazon Resource Names: the pieces certwatch reads out of certificate and topic ARNs.

use crate::partition::Partition;
use std::fmt;

/// A parsed `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    text: String,
    /// The partition the resource lives in: `aws`, `aws-cn`, `aws-us-gov`, ...
    pub partition: Partition,
    /// The service's namespace: `acm`, `sns`.
    pub service: String,
    /// The region name, e.g. `us-east-1`.
    pub region: String,
    /// The 12-digit id of the account that owns the resource.
    pub account: String,
    /// Everything after the account: `certificate/<id>`, a topic's name.
    pub resource: String,
}

/// Why a string is not the ARN that was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not {expected}: {reason}")]
pub struct ArnError {
    text: String,
    expected: &'static str,
    reason: &'static str,
}

impl Arn {
    fn parse(text: &str, expected: &'static str) -> Result<Self, ArnError> {
        let fail = |reason| ArnError {
            text: text.chars().take(200).collect(),
            expected,
            reason,
        };
        let mut parts = text.splitn(6, ':');
        if parts.next() != Some("arn") {
            return Err(fail("it does not start with \"arn:\""));
        }
        let (Some(partition), Some(service), Some(region), Some(account), Some(resource)) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(fail("it has fewer than six ':'-separated parts"));
        };
        let partition = Partition::from_name(partition)
            .ok_or_else(|| fail("its partition is not an AWS partition"))?;
        if !is_region(region) {
            return Err(fail("its region is not a region name"));
        }
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return Err(fail("its account is not a 12-digit account id"));
        }
        if resource.is_empty() {
            return Err(fail("its resource part is empty"));
        }
        Ok(Self {
            text: text.to_owned(),
            partition,
            service: service.to_owned(),
            region: region.to_owned(),
            account: account.to_owned(),
            resource: resource.to_owned(),
        })
    }

    /// The ARN as it was written.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Arn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// `arn:<partition>:acm:<region>:<account>:certificate/<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateArn(Arn);

impl CertificateArn {
    /// `text`, if it names an ACM certificate.
    pub fn parse(text: &str) -> Result<Self, ArnError> {
        const EXPECTED: &str = "an ACM certificate ARN";
        let arn = Arn::parse(text, EXPECTED)?;
        let id_ok = arn.resource.strip_prefix("certificate/").is_some_and(|id| {
            !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if arn.service != "acm" || !id_ok {
            return Err(ArnError {
                text: text.chars().take(200).collect(),
                expected: EXPECTED,
                reason: "it does not name an acm certificate/<id>",
            });
        }
        Ok(Self(arn))
    }

    /// Its parts: the partition, region and account it lives in.
    pub fn arn(&self) -> &Arn {
        &self.0
    }

    /// The ARN as it was written.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }

    /// The id after `certificate/`, as the ACM console addresses it.
    pub fn id(&self) -> &str {
        self.0.resource.trim_start_matches("certificate/")
    }
}

impl fmt::Display for CertificateArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `arn:<partition>:sns:<region>:<account>:<topic-name>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicArn(Arn);

impl TopicArn {
    /// `text`, if it names an SNS topic by a name SNS allows.
    pub fn parse(text: &str) -> Result<Self, ArnError> {
        const EXPECTED: &str = "an SNS topic ARN";
        let arn = Arn::parse(text, EXPECTED)?;
        let name_ok = arn.resource.len() <= 256
            && arn
                .resource
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if arn.service != "sns" || !name_ok {
            return Err(ArnError {
                text: text.chars().take(200).collect(),
                expected: EXPECTED,
                reason: "it does not name an sns topic",
            });
        }
        Ok(Self(arn))
    }

    /// Its parts: the partition, region and account it lives in.
    pub fn arn(&self) -> &Arn {
        &self.0
    }
}

impl fmt::Display for TopicArn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

pub use certwatch_contract::is_region;

/// An EventBridge bus as `EVENT_BUS_NAME` names it: a name in certwatch's own account and
/// region, or `arn:<partition>:events:<region>:<account>:event-bus/<name>` anywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBus {
    /// A bus name (`default`, `certwatch`).
    Named(String),
    /// A bus ARN: its region says where `PutEvents` goes.
    Arn(Arn),
}

impl EventBus {
    /// `text`, if it is a bus name or a bus ARN EventBridge allows.
    pub fn parse(text: &str) -> Result<Self, ArnError> {
        const EXPECTED: &str = "an EventBridge bus name or ARN";
        // EventBridge's bus names: 1 to 256 of `[/.\-_A-Za-z0-9]`.
        let name_ok = |name: &str| {
            (1..=256).contains(&name.len())
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b))
        };
        if !text.starts_with("arn:") {
            return match name_ok(text) {
                true => Ok(Self::Named(text.to_owned())),
                false => Err(ArnError {
                    text: text.chars().take(200).collect(),
                    expected: EXPECTED,
                    reason: "a bus name is 1 to 256 letters, digits and /._-",
                }),
            };
        }
        let arn = Arn::parse(text, EXPECTED)?;
        let named = arn.resource.strip_prefix("event-bus/").is_some_and(name_ok);
        if arn.service != "events" || !named {
            return Err(ArnError {
                text: text.chars().take(200).collect(),
                expected: EXPECTED,
                reason: "it does not name an events event-bus",
            });
        }
        Ok(Self::Arn(arn))
    }

    /// As written: what `PutEvents`' `EventBusName` takes.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Named(name) => name,
            Self::Arn(arn) => arn.as_str(),
        }
    }

    /// The bus's own region, when its ARN names one.
    pub fn region(&self) -> Option<&str> {
        match self {
            Self::Named(_) => None,
            Self::Arn(arn) => Some(&arn.region),
        }
    }
}

impl fmt::Display for EventBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_arns_in_every_partition() {
        for (text, partition, region) in [
            (
                "arn:aws:acm:us-east-1:123456789012:certificate/0a1b-2c3d",
                Partition::Aws,
                "us-east-1",
            ),
            (
                "arn:aws-cn:acm:cn-north-1:123456789012:certificate/abc",
                Partition::AwsCn,
                "cn-north-1",
            ),
            (
                "arn:aws-us-gov:acm:us-gov-west-1:123456789012:certificate/abc",
                Partition::AwsUsGov,
                "us-gov-west-1",
            ),
        ] {
            let arn = CertificateArn::parse(text).unwrap();
            assert_eq!(arn.arn().partition, partition);
            assert_eq!(arn.arn().region, region);
            assert_eq!(arn.arn().account, "123456789012");
            assert_eq!(arn.to_string(), text);
        }
    }

    #[test]
    fn certificate_id_is_the_part_after_the_slash() {
        let arn = CertificateArn::parse("arn:aws:acm:eu-west-1:123456789012:certificate/f00-ba7")
            .unwrap();
        assert_eq!(arn.id(), "f00-ba7");
    }

    #[test]
    fn rejects_what_is_not_a_certificate_arn() {
        for text in [
            "",
            "certificate/abc",
            "arn:aws:acm:us-east-1:123456789012",
            "arn:aws:s3:us-east-1:123456789012:certificate/abc",
            "arn:aws:acm:us-east-1:123456789012:certificate/",
            "arn:aws:acm:us-east-1:12345:certificate/abc",
            "arn:aws:acm:US-EAST-1:123456789012:certificate/abc",
            "arn:nope:acm:us-east-1:123456789012:certificate/abc",
            "arn:aws:acm:us-east-1:123456789012:certificate/a/../b",
        ] {
            let err = CertificateArn::parse(text).unwrap_err();
            assert!(err.to_string().contains("ACM certificate ARN"), "{err}");
        }
    }

    #[test]
    fn topic_arns() {
        let arn = TopicArn::parse("arn:aws:sns:us-west-2:123456789012:cert-alerts").unwrap();
        assert_eq!(arn.arn().region, "us-west-2");
        assert!(TopicArn::parse("arn:aws:sqs:us-west-2:123456789012:q").is_err());
        assert!(TopicArn::parse("arn:aws:sns:us-west-2:123456789012:a b").is_err());
    }

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "cn-northwest-1",
            "us-gov-west-1",
            "eu-isoe-west-1",
            "ap-southeast-5",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "us-east-1a",
            "US-EAST-1",
            "us--1",
            "us-east-1-",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn event_buses_by_name_or_arn() {
        let named = EventBus::parse("certwatch-alerts").unwrap();
        assert_eq!((named.as_str(), named.region()), ("certwatch-alerts", None));
        let arn = "arn:aws-us-gov:events:us-gov-west-1:123456789012:event-bus/ops";
        let bus = EventBus::parse(arn).unwrap();
        assert_eq!((bus.as_str(), bus.region()), (arn, Some("us-gov-west-1")));
        for bad in [
            "",
            "has space",
            "arn:aws:sns:us-east-1:123456789012:event-bus/ops",
            "arn:aws:events:us-east-1:123456789012:rule/ops",
            "arn:aws:events:us-east-1:123456789012:event-bus/",
            "arn:aws:events:us-east-1:12345:event-bus/ops",
        ] {
            assert!(EventBus::parse(bad).is_err(), "{bad}");
        }
        assert!(EventBus::parse(&"b".repeat(257)).is_err());
    }
}
