//! Which AWS operation a request is, read the way each service's protocol names it.

use std::fmt;
use std::str::FromStr;

/// An operation the stub answers; its name is the API's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Operation {
    /// ACM: one certificate, in full.
    DescribeCertificate,
    /// ACM: a page of the catalogue's certificates.
    ListCertificates,
    /// ACM: one certificate's tags.
    ListTagsForCertificate,
    /// Security Hub: whether the account is subscribed (`GET /accounts`).
    DescribeHub,
    /// Security Hub: findings raised or updated.
    BatchImportFindings,
    /// Security Hub: findings' workflow set.
    BatchUpdateFindings,
    /// Security Hub: the findings held, filtered.
    GetFindings,
    /// SNS: a message published.
    Publish,
    /// STS: a member account's role assumed.
    AssumeRole,
    /// SQS: up to ten messages sent to a queue (a scan spread over SQS).
    SendMessageBatch,
}

/// The protocol a service speaks, which decides how its errors are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// ACM: `x-amz-target`, errors as `{"__type": ...}`.
    Json11,
    /// SQS: as ACM's, in version 1.0 of the protocol.
    Json10,
    /// Security Hub: paths, errors as `{"Code": ...}` with `x-amzn-errortype`.
    RestJson,
    /// SNS and STS: form bodies, XML replies.
    Query,
}

impl Operation {
    /// Every operation the stub answers.
    pub const ALL: [Operation; 10] = [
        Operation::DescribeCertificate,
        Operation::ListCertificates,
        Operation::ListTagsForCertificate,
        Operation::DescribeHub,
        Operation::BatchImportFindings,
        Operation::BatchUpdateFindings,
        Operation::GetFindings,
        Operation::Publish,
        Operation::AssumeRole,
        Operation::SendMessageBatch,
    ];

    /// The operation a request asks for, if the stub knows it.
    pub fn of(
        method: &http::Method,
        path: &str,
        target: Option<&str>,
        body: &[u8],
    ) -> Option<Self> {
        if let Some(target) = target {
            return match target.split_once('.')? {
                ("CertificateManager", "DescribeCertificate") => Some(Self::DescribeCertificate),
                ("CertificateManager", "ListCertificates") => Some(Self::ListCertificates),
                ("CertificateManager", "ListTagsForCertificate") => {
                    Some(Self::ListTagsForCertificate)
                }
                ("AmazonSQS", "SendMessageBatch") => Some(Self::SendMessageBatch),
                _ => None,
            };
        }
        match (method.as_str(), path) {
            ("GET", "/accounts") => Some(Self::DescribeHub),
            ("POST", "/findings/import") => Some(Self::BatchImportFindings),
            ("PATCH", "/findings/batchupdate") => Some(Self::BatchUpdateFindings),
            ("POST", "/findings") => Some(Self::GetFindings),
            ("POST", "/") => match form_value(body, "Action").as_deref() {
                Some("Publish") => Some(Self::Publish),
                Some("AssumeRole") => Some(Self::AssumeRole),
                _ => None,
            },
            _ => None,
        }
    }

    /// The protocol its service speaks.
    pub fn protocol(self) -> Protocol {
        match self {
            Self::DescribeCertificate | Self::ListCertificates | Self::ListTagsForCertificate => {
                Protocol::Json11
            }
            Self::DescribeHub
            | Self::BatchImportFindings
            | Self::BatchUpdateFindings
            | Self::GetFindings => Protocol::RestJson,
            Self::Publish | Self::AssumeRole => Protocol::Query,
            Self::SendMessageBatch => Protocol::Json10,
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// A name that is none of [`Operation::ALL`]'s.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("unknown operation {0:?}")]
pub struct UnknownOperation(String);

impl FromStr for Operation {
    type Err = UnknownOperation;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|o| o.to_string() == name)
            .ok_or_else(|| UnknownOperation(name.to_owned()))
    }
}

/// A field of an `application/x-www-form-urlencoded` body.
pub fn form_value(body: &[u8], name: &str) -> Option<String> {
    std::str::from_utf8(body).ok()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(&value.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_each_services_operations() {
        let post = http::Method::POST;
        assert_eq!(
            Operation::of(
                &post,
                "/",
                Some("CertificateManager.ListCertificates"),
                b"{}"
            ),
            Some(Operation::ListCertificates)
        );
        assert_eq!(
            Operation::of(&http::Method::GET, "/accounts", None, b""),
            Some(Operation::DescribeHub)
        );
        assert_eq!(
            Operation::of(&post, "/", None, b"Action=Publish&TopicArn=x"),
            Some(Operation::Publish)
        );
        assert_eq!(
            Operation::of(&post, "/", None, b"Action=AssumeRole&Version=2011-06-15"),
            Some(Operation::AssumeRole)
        );
        assert_eq!(
            Operation::of(&post, "/", Some("AmazonSQS.SendMessageBatch"), b"{}"),
            Some(Operation::SendMessageBatch)
        );
        assert_eq!(
            Operation::of(&post, "/", Some("AmazonSQS.DescribeCertificate"), b"{}"),
            None
        );
        assert_eq!(Operation::of(&post, "/", None, b"Action=Subscribe"), None);
        assert_eq!(
            "BatchUpdateFindings".parse(),
            Ok(Operation::BatchUpdateFindings)
        );
    }

    #[test]
    fn reads_form_fields() {
        assert_eq!(
            form_value(
                b"Subject=Certificate+Expiration%20Notification&a=b",
                "Subject"
            )
            .as_deref(),
            Some("Certificate Expiration Notification")
        );
    }
}
