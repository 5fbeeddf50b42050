//! AWS partitions: where their endpoints and consoles live.

/// The AWS partitions certwatch knows how to address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Aws,
    AwsCn,
    AwsUsGov,
}

impl Partition {
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "aws" => Some(Self::Aws),
            "aws-cn" => Some(Self::AwsCn),
            "aws-us-gov" => Some(Self::AwsUsGov),
            _ => None,
        }
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

    /// `https://<service>.<region>.<suffix>`, the standard regional endpoint.
    pub fn endpoint(self, service: &str, region: &str) -> String {
        format!("https://{service}.{region}.{}", self.dns_suffix())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_consoles_follow_the_partition() {
        assert_eq!(
            Partition::Aws.endpoint("acm", "us-east-1"),
            "https://acm.us-east-1.amazonaws.com"
        );
        assert_eq!(
            Partition::AwsCn.endpoint("sns", "cn-north-1"),
            "https://sns.cn-north-1.amazonaws.com.cn"
        );
        assert_eq!(
            Partition::AwsUsGov.endpoint("securityhub", "us-gov-west-1"),
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
        for p in [Partition::Aws, Partition::AwsCn, Partition::AwsUsGov] {
            assert_eq!(Partition::from_name(p.name()), Some(p));
        }
        assert_eq!(Partition::from_name("aws-iso"), None);
    }
}
