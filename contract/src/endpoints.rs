//! The AWS services certwatch calls and where they live: one table from which the component
//! builds its request URLs and the host its outbound policy.

/// The AWS services certwatch calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Service {
    /// AWS Certificate Manager.
    Acm,
    /// AWS Security Hub.
    SecurityHub,
    /// Amazon SNS.
    Sns,
    /// AWS STS: the member accounts' roles, and certwatch's own account.
    Sts,
    /// AWS Organizations: which accounts a scan covers, and which events are its members'.
    Organizations,
    /// Amazon SQS: a scan spread over the queue, one message per account (`SCAN_QUEUE_URL`).
    Sqs,
    /// Amazon EventBridge: `PutEvents` to `EVENT_BUS_NAME`.
    Events,
}

impl Service {
    /// Every service certwatch calls.
    pub const ALL: [Self; 7] = [
        Self::Acm,
        Self::SecurityHub,
        Self::Sns,
        Self::Sts,
        Self::Organizations,
        Self::Sqs,
        Self::Events,
    ];

    /// The endpoint prefix, which is also the SigV4 signing name for these services.
    pub fn endpoint_prefix(self) -> &'static str {
        match self {
            Self::Acm => "acm",
            Self::SecurityHub => "securityhub",
            Self::Sns => "sns",
            Self::Sts => "sts",
            Self::Organizations => "organizations",
            Self::Sqs => "sqs",
            Self::Events => "events",
        }
    }

    /// The SDKs' `AWS_ENDPOINT_URL_<SERVICE>` variable, which wins over `AWS_ENDPOINT_URL`.
    pub fn endpoint_variable(self) -> &'static str {
        match self {
            Self::Acm => "AWS_ENDPOINT_URL_ACM",
            Self::SecurityHub => "AWS_ENDPOINT_URL_SECURITYHUB",
            Self::Sns => "AWS_ENDPOINT_URL_SNS",
            Self::Sts => "AWS_ENDPOINT_URL_STS",
            Self::Organizations => "AWS_ENDPOINT_URL_ORGANIZATIONS",
            Self::Sqs => "AWS_ENDPOINT_URL_SQS",
            Self::Events => "AWS_ENDPOINT_URL_EVENTS",
        }
    }
}

/// The AWS partitions certwatch knows how to address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Partition {
    /// The commercial regions.
    Aws,
    /// China.
    AwsCn,
    /// GovCloud (US).
    AwsUsGov,
}

impl Partition {
    /// Every partition certwatch knows.
    pub const ALL: [Self; 3] = [Self::Aws, Self::AwsCn, Self::AwsUsGov];

    /// The partition an ARN names (`aws`, `aws-cn`, `aws-us-gov`).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The partition a region belongs to: `cn-*` is China, `us-gov-*` GovCloud.
    pub fn for_region(region: &str) -> Self {
        if region.starts_with("cn-") {
            Self::AwsCn
        } else if region.starts_with("us-gov-") {
            Self::AwsUsGov
        } else {
            Self::Aws
        }
    }

    /// The name ARNs use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Aws => "aws",
            Self::AwsCn => "aws-cn",
            Self::AwsUsGov => "aws-us-gov",
        }
    }

    /// The DNS suffix of the partition's regional service endpoints.
    pub fn dns_suffix(self) -> &'static str {
        match self {
            Self::Aws | Self::AwsUsGov => "amazonaws.com",
            Self::AwsCn => "amazonaws.com.cn",
        }
    }

    /// `https://<service>.<region>.<suffix>`, the service's standard regional endpoint.
    pub fn endpoint(self, service: Service, region: &str) -> String {
        format!(
            "https://{}.{region}.{}",
            service.endpoint_prefix(),
            self.dns_suffix()
        )
    }

    /// The one region whose endpoint answers for Organizations in this partition: it is a
    /// global service, signed for that region.
    pub fn organizations_region(self) -> &'static str {
        match self {
            Self::Aws => "us-east-1",
            Self::AwsCn => "cn-northwest-1",
            Self::AwsUsGov => "us-gov-west-1",
        }
    }

    /// The ACM console page for one certificate.
    pub fn acm_console_url(self, region: &str, certificate_id: &str) -> String {
        let host = match self {
            Self::Aws => "console.aws.amazon.com",
            Self::AwsCn => "console.amazonaws.cn",
            Self::AwsUsGov => "console.amazonaws-us-gov.com",
        };
        format!("https://{host}/acm/home?region={region}#/certificates/{certificate_id}")
    }
}

/// The service and region whose standard endpoint `origin` (`https://host`, lowercase, no
/// port) is, if it is one: a service certwatch calls, a well-formed region, in the domain of
/// that region's own partition.
pub fn service_endpoint(origin: &str) -> Option<(Service, &str)> {
    let host = origin.strip_prefix("https://")?;
    let (prefix, rest) = host.split_once('.')?;
    let service = Service::ALL
        .into_iter()
        .find(|s| s.endpoint_prefix() == prefix)?;
    let (region, suffix) = rest.split_once('.')?;
    let fits = is_region(region) && suffix == Partition::for_region(region).dns_suffix();
    fits.then_some((service, region))
}

/// Whether `text` looks like an AWS region name: lowercase words and a number, such as
/// `us-east-1` or `us-gov-west-1`.
pub fn is_region(text: &str) -> bool {
    let mut words = text.split('-').peekable();
    let mut count = 0;
    while let Some(word) = words.next() {
        count += 1;
        let last = words.peek().is_none();
        let ok = if last {
            !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit())
        } else {
            !word.is_empty() && word.bytes().all(|b| b.is_ascii_lowercase())
        };
        if !ok {
            return false;
        }
    }
    count >= 3 && text.len() <= 32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_consoles_follow_the_partition() {
        assert_eq!(
            Partition::Aws.endpoint(Service::Acm, "us-east-1"),
            "https://acm.us-east-1.amazonaws.com"
        );
        assert_eq!(
            Partition::AwsCn.endpoint(Service::Sns, "cn-north-1"),
            "https://sns.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            Partition::AwsUsGov.endpoint(Service::SecurityHub, "us-gov-west-1"),
            "https://securityhub.us-gov-west-1.amazonaws.com"
        );
        assert_eq!(
            Partition::AwsCn.acm_console_url("cn-north-1", "abc"),
            "https://console.amazonaws.cn/acm/home?region=cn-north-1#/certificates/abc"
        );
        assert_eq!(
            Partition::AwsUsGov.acm_console_url("us-gov-east-1", "abc"),
            "https://console.amazonaws-us-gov.com/acm/home?region=us-gov-east-1#/certificates/abc"
        );
    }

    #[test]
    fn regions_name_their_partition() {
        assert_eq!(Partition::for_region("eu-west-1"), Partition::Aws);
        assert_eq!(Partition::for_region("cn-northwest-1"), Partition::AwsCn);
        assert_eq!(Partition::for_region("us-gov-east-1"), Partition::AwsUsGov);
    }

    #[test]
    fn names_round_trip() {
        for p in Partition::ALL {
            assert_eq!(Partition::from_name(p.name()), Some(p));
        }
        assert_eq!(Partition::from_name("aws-iso"), None);
    }

    #[test]
    fn service_endpoints_are_recognised_exactly() {
        for service in Service::ALL {
            for region in ["us-east-1", "cn-north-1", "us-gov-west-1"] {
                let url = Partition::for_region(region).endpoint(service, region);
                assert_eq!(service_endpoint(&url), Some((service, region)), "{url}");
            }
        }
        for other in [
            "http://acm.us-east-1.amazonaws.com",
            "https://s3.us-east-1.amazonaws.com",
            "https://acm.us-east-1.amazonaws.com.evil.example",
            "https://acm.evil.example.amazonaws.com",
            "https://acm.cn-north-1.amazonaws.com",
            "https://sns.eu-west-1.amazonaws.com.cn",
            "https://acm.us-east-1.amazonaws.com:8443",
            "https://example.com",
        ] {
            assert_eq!(service_endpoint(other), None, "{other}");
        }
    }

    #[test]
    fn region_names() {
        for ok in [
            "us-east-1",
            "us-gov-west-1",
            "cn-northwest-1",
            "ap-southeast-3",
        ] {
            assert!(is_region(ok), "{ok}");
        }
        for bad in [
            "",
            "us",
            "us-east",
            "US-east-1",
            "us-east-1a",
            "us--1",
            "us_east_1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }
}
