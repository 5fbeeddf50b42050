//! The outbound policy: the only places the component may send requests to.

use std::collections::BTreeSet;

/// The services certwatch's component calls.
const SERVICES: [&str; 3] = ["acm", "securityhub", "sns"];

/// `scheme://host[:port]` origins the component may reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    origins: BTreeSet<String>,
    /// SNS in every region: a certificate's owner tag (`OWNER_TOPIC_TAG`) may name a topic
    /// anywhere, and only the component reads the tags.
    sns_anywhere: bool,
}

impl OutboundPolicy {
    /// AWS endpoints of certwatch's services in `regions`, over HTTPS, and the endpoint
    /// overrides, exactly.
    pub fn new<'a>(
        regions: impl IntoIterator<Item = &'a str>,
        overrides: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut origins = BTreeSet::new();
        for region in regions {
            for service in SERVICES {
                origins.insert(endpoint_origin(service, region));
            }
        }
        for url in overrides {
            if let Some(origin) = origin_of(url) {
                origins.insert(origin);
            }
        }
        Self {
            origins,
            sns_anywhere: false,
        }
    }

    /// The same, with SNS allowed in every region of AWS.
    pub fn with_sns_anywhere(self) -> Self {
        Self {
            sns_anywhere: true,
            ..self
        }
    }

    /// What one event may reach under `settings`: AWS endpoints in the regions it brings into
    /// play, and the endpoint overrides.
    pub fn for_event(event: &str, settings: &[(String, String)]) -> Self {
        let regions = regions_in_use(event, settings);
        let policy = Self::new(
            regions.iter().map(String::as_str),
            crate::environment::endpoint_overrides(settings),
        );
        let owner_topics = settings
            .iter()
            .any(|(name, value)| name == "OWNER_TOPIC_TAG" && !value.trim().is_empty());
        match owner_topics {
            true => policy.with_sns_anywhere(),
            false => policy,
        }
    }

    /// Whether `uri` may be requested; `Err` says why not.
    pub fn check(&self, uri: &http::Uri) -> Result<(), String> {
        let origin =
            origin_of(&uri.to_string()).ok_or_else(|| format!("{uri} has no scheme and host"))?;
        if self.origins.contains(&origin) || (self.sns_anywhere && is_sns_endpoint(&origin)) {
            Ok(())
        } else {
            Err(format!(
                "the host policy refuses {origin}: it is neither an AWS endpoint of a service and region in use nor a configured endpoint override"
            ))
        }
    }

    pub fn origins(&self) -> impl Iterator<Item = &str> {
        self.origins.iter().map(String::as_str)
    }
}

/// The HTTPS origin of `service` in `region`: China's regions have their own domain.
fn endpoint_origin(service: &str, region: &str) -> String {
    let suffix = match region.starts_with("cn-") {
        true => "amazonaws.com.cn",
        false => "amazonaws.com",
    };
    format!("https://{service}.{region}.{suffix}")
}

/// Whether `origin` is SNS's HTTPS endpoint in some region of AWS: the region it names, in
/// the domain that region's endpoints have.
fn is_sns_endpoint(origin: &str) -> bool {
    let region = origin
        .strip_prefix("https://sns.")
        .and_then(|host| host.split('.').next())
        .unwrap_or_default();
    let region_like = region.split('-').count() >= 3
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    region_like && origin == endpoint_origin("sns", region)
}

/// `scheme://host[:port]`, lowercase, without a default port.
fn origin_of(url: &str) -> Option<String> {
    let uri: http::Uri = url.parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let host = uri.host()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "https" => 443,
        "http" => 80,
        _ => return None,
    };
    Some(match uri.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
}

/// The regions an event and its configuration bring into play: the certificate's (from
/// `resources`), the event's own (a schedule's), the hub's, the topic's, the scanned ones and
/// the function's own.
pub fn regions_in_use(event: &str, env: &[(String, String)]) -> BTreeSet<String> {
    let region_of = |arn: &str| {
        arn.split(':')
            .nth(3)
            .filter(|r| !r.is_empty())
            .map(str::to_owned)
    };
    let mut regions = BTreeSet::new();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(event) {
        let resources = value
            .get("resources")
            .and_then(|r| r.as_array())
            .into_iter()
            .flatten();
        regions.extend(resources.filter_map(|r| r.as_str()).filter_map(region_of));
        regions.extend(
            value
                .get("region")
                .and_then(|r| r.as_str())
                .filter(|r| !r.is_empty())
                .map(str::to_owned),
        );
    }
    for (name, value) in env {
        match name.as_str() {
            "SNS_TOPIC_ARN" => regions.extend(region_of(value)),
            "SCAN_REGIONS" => regions.extend(
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_owned),
            ),
            "SECURITY_HUB_REGION" | "AWS_REGION" | "AWS_DEFAULT_REGION" if !value.is_empty() => {
                regions.insert(value.clone());
            }
            _ => {}
        }
    }
    regions
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allows_only_the_services_and_regions_in_use() {
        let policy = OutboundPolicy::new(["us-east-1", "cn-north-1"], []);
        for ok in [
            "https://acm.us-east-1.amazonaws.com/",
            "https://securityhub.us-east-1.amazonaws.com/findings/import",
            "https://sns.cn-north-1.amazonaws.com.cn/",
            "https://ACM.us-east-1.amazonaws.com:443/",
        ] {
            assert_eq!(policy.check(&ok.parse().unwrap()), Ok(()), "{ok}");
        }
        for refused in [
            "http://acm.us-east-1.amazonaws.com/",
            "https://acm.eu-west-1.amazonaws.com/",
            "https://s3.us-east-1.amazonaws.com/",
            "https://acm.us-east-1.amazonaws.com.evil.example/",
            "https://example.com/",
            "https://acm.us-east-1.amazonaws.com:8443/",
        ] {
            let err = policy.check(&refused.parse().unwrap()).unwrap_err();
            assert!(err.contains("refuses"), "{refused}: {err}");
        }
    }

    #[test]
    fn owner_topics_open_sns_in_every_region_and_nothing_else() {
        let event = r#"{"resources":["arn:aws:acm:us-east-1:123456789012:certificate/x"]}"#;
        let settings = vec![("OWNER_TOPIC_TAG".to_owned(), "owner-topic".to_owned())];
        let policy = OutboundPolicy::for_event(event, &settings);
        for ok in [
            "https://sns.eu-west-1.amazonaws.com/",
            "https://sns.cn-north-1.amazonaws.com.cn/",
            "https://acm.us-east-1.amazonaws.com/",
        ] {
            assert_eq!(policy.check(&ok.parse().unwrap()), Ok(()), "{ok}");
        }
        for refused in [
            "https://acm.eu-west-1.amazonaws.com/",
            "http://sns.eu-west-1.amazonaws.com/",
            "https://sns.eu-west-1.amazonaws.com.evil.example/",
            "https://sns.evil.example.amazonaws.com/",
            "https://sns.eu-west-1.amazonaws.com:8443/",
            "https://sns.cn-north-1.amazonaws.com/",
            "https://sns.eu-west-1.amazonaws.com.cn/",
        ] {
            assert!(
                policy.check(&refused.parse().unwrap()).is_err(),
                "{refused}"
            );
        }
        let without = OutboundPolicy::for_event(event, &[]);
        assert!(
            without
                .check(&"https://sns.eu-west-1.amazonaws.com/".parse().unwrap())
                .is_err()
        );
    }

    #[test]
    fn endpoint_overrides_are_allowed_exactly() {
        let policy = OutboundPolicy::new([], ["http://127.0.0.1:5000/"]);
        assert!(
            policy
                .check(&"http://127.0.0.1:5000/accounts".parse().unwrap())
                .is_ok()
        );
        assert!(
            policy
                .check(&"http://127.0.0.1:5001/".parse().unwrap())
                .is_err()
        );
        assert!(
            policy
                .check(&"https://127.0.0.1:5000/".parse().unwrap())
                .is_err()
        );
    }

    #[test]
    fn regions_come_from_the_event_and_the_configuration() {
        let event = r#"{"resources":["arn:aws:acm:eu-west-1:123456789012:certificate/x"]}"#;
        let env = vec![
            (
                "SNS_TOPIC_ARN".to_owned(),
                "arn:aws:sns:us-west-2:123456789012:t".to_owned(),
            ),
            ("SECURITY_HUB_REGION".to_owned(), "us-east-1".to_owned()),
        ];
        let regions: Vec<_> = regions_in_use(event, &env).into_iter().collect();
        assert_eq!(regions, ["eu-west-1", "us-east-1", "us-west-2"]);
    }

    #[test]
    fn a_scan_reaches_the_scan_regions_and_the_schedules_own() {
        let scheduled = r#"{"source":"aws.events","region":"ap-south-1","resources":[]}"#;
        let env = vec![(
            "SCAN_REGIONS".to_owned(),
            "eu-west-1, eu-central-1,".to_owned(),
        )];
        let regions: Vec<_> = regions_in_use(scheduled, &env).into_iter().collect();
        assert_eq!(regions, ["ap-south-1", "eu-central-1", "eu-west-1"]);
    }
}
