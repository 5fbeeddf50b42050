//! The outbound policy: the only places the component may send requests to. One rule, from the
//! contract's endpoint table: the standard endpoints of the AWS services certwatch calls, in
//! the partition certwatch runs in, over HTTPS; and the configured endpoint overrides, exactly.
//! Anything else is refused before a connection is made.

use certwatch_contract::endpoints::service_endpoint;
use certwatch_contract::{Partition, Service, settings};
use std::collections::BTreeSet;

/// Where the component may send requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Partitions whose service endpoints are allowed.
    partitions: BTreeSet<&'static str>,
    /// `scheme://host[:port]` origins of the endpoint overrides.
    overrides: BTreeSet<String>,
}

impl OutboundPolicy {
    /// certwatch's services in `partitions`, and the endpoint override URLs `overrides`.
    pub fn new<'a>(
        partitions: impl IntoIterator<Item = Partition>,
        overrides: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        Self {
            partitions: partitions.into_iter().map(Partition::name).collect(),
            overrides: overrides.into_iter().filter_map(origin_of).collect(),
        }
    }

    /// The policy `settings` call for: the partition of the region certwatch runs in
    /// (`AWS_REGION`, else `AWS_DEFAULT_REGION`), or every partition certwatch knows when no
    /// region is set; and the `AWS_ENDPOINT_URL*` overrides. Credentials belong to one
    /// partition, so no request into another could succeed anyway.
    pub fn from_settings(settings: &[(String, String)]) -> Self {
        let get = |name: &str| {
            settings
                .iter()
                .find(|(n, v)| n == name && !v.trim().is_empty())
                .map(|(_, v)| v.trim())
        };
        let partitions =
            match get(settings::AWS_REGION).or_else(|| get(settings::AWS_DEFAULT_REGION)) {
                Some(region) => vec![Partition::for_region(region)],
                None => Partition::ALL.to_vec(),
            };
        let override_names = std::iter::once(settings::AWS_ENDPOINT_URL)
            .chain(Service::ALL.map(Service::endpoint_variable));
        let overrides: Vec<&str> = override_names.filter_map(get).collect();
        Self::new(partitions, overrides)
    }

    /// Whether `uri` may be requested; `Err` says why not.
    pub fn check(&self, uri: &http::Uri) -> Result<(), String> {
        let origin =
            origin_of(&uri.to_string()).ok_or_else(|| format!("{uri} has no scheme and host"))?;
        let aws_endpoint = service_endpoint(&origin).is_some_and(|(_, region)| {
            self.partitions
                .contains(Partition::for_region(region).name())
        });
        if aws_endpoint || self.overrides.contains(&origin) {
            Ok(())
        } else {
            Err(format!(
                "the host policy refuses {origin}: it is neither the endpoint of an AWS service certwatch calls ({}) in {} nor a configured endpoint override",
                Service::ALL.map(Service::endpoint_prefix).join(", "),
                self.partitions
                    .iter()
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(policy: &OutboundPolicy, url: &str) -> bool {
        policy.check(&url.parse().unwrap()).is_ok()
    }

    fn settings(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn allows_certwatchs_services_in_the_partition_in_use() {
        let policy = OutboundPolicy::from_settings(&settings(&[("AWS_REGION", "us-east-1")]));
        for ok in [
            "https://acm.us-east-1.amazonaws.com/",
            "https://securityhub.eu-west-1.amazonaws.com/findings/import",
            "https://sns.ap-south-1.amazonaws.com/",
            "https://ACM.us-east-1.amazonaws.com:443/",
        ] {
            assert!(allows(&policy, ok), "{ok}");
        }
        for refused in [
            "http://acm.us-east-1.amazonaws.com/",
            "https://s3.us-east-1.amazonaws.com/",
            "https://acm.us-east-1.amazonaws.com.evil.example/",
            "https://sns.evil.example.amazonaws.com/",
            "https://example.com/",
            "https://acm.us-east-1.amazonaws.com:8443/",
            "https://sns.cn-north-1.amazonaws.com.cn/",
            "https://sns.cn-north-1.amazonaws.com/",
            "http://127.0.0.1:5000/",
        ] {
            let err = policy.check(&refused.parse().unwrap()).unwrap_err();
            assert!(err.contains("refuses"), "{refused}: {err}");
        }
    }

    #[test]
    fn without_a_region_every_partition_is_in_use() {
        let policy = OutboundPolicy::from_settings(&[]);
        for ok in [
            "https://acm.us-east-1.amazonaws.com/",
            "https://sns.cn-north-1.amazonaws.com.cn/",
            "https://securityhub.us-gov-west-1.amazonaws.com/",
        ] {
            assert!(allows(&policy, ok), "{ok}");
        }
        let china =
            OutboundPolicy::from_settings(&settings(&[("AWS_DEFAULT_REGION", "cn-north-1")]));
        assert!(allows(
            &china,
            "https://acm.cn-northwest-1.amazonaws.com.cn/"
        ));
        assert!(!allows(&china, "https://acm.us-east-1.amazonaws.com/"));
    }

    #[test]
    fn endpoint_overrides_are_allowed_exactly() {
        let policy = OutboundPolicy::from_settings(&settings(&[
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:5000/"),
            ("AWS_ENDPOINT_URL_SNS", "http://localhost:6000"),
            ("SNS_TOPIC_ARN", "http://127.0.0.1:7000"),
        ]));
        assert!(allows(&policy, "http://127.0.0.1:5000/accounts"));
        assert!(allows(&policy, "http://localhost:6000/"));
        assert!(!allows(&policy, "http://127.0.0.1:5001/"));
        assert!(!allows(&policy, "https://127.0.0.1:5000/"));
        assert!(!allows(&policy, "http://127.0.0.1:7000/"));
    }
}
