//! ACM `DescribeCertificate`, `ListCertificates` and `ListTagsForCertificate` (JSON 1.1
//! protocol).

use super::{AwsRequest, AwsResponse, CallError, Operation, json_reply, json_text, unreadable};
use crate::arn::CertificateArn;
use crate::certificate::{CertificateDetail, Tag};
use serde::Deserialize;
use time::OffsetDateTime;

/// `DescribeCertificate` of `certificate`: its expiry, names, type, status and users.
pub fn describe_certificate(endpoint: &str, certificate: &CertificateArn) -> AwsRequest {
    about_certificate(
        Operation::DescribeCertificate,
        "CertificateManager.DescribeCertificate",
        endpoint,
        certificate,
    )
}

/// A request whose body names only the certificate.
fn about_certificate(
    operation: Operation,
    target: &str,
    endpoint: &str,
    certificate: &CertificateArn,
) -> AwsRequest {
    let body = json_text(&serde_json::json!({ "CertificateArn": certificate.as_str() }));
    AwsRequest::new(
        operation,
        &certificate.arn().region,
        http::Method::POST,
        format!("{endpoint}/"),
        body.into_bytes(),
    )
    .header("content-type", "application/x-amz-json-1.1")
    .header("x-amz-target", target)
}

/// The certificate's tags, which filters and owner routing read.
pub fn list_tags_for_certificate(endpoint: &str, certificate: &CertificateArn) -> AwsRequest {
    about_certificate(
        Operation::ListTagsForCertificate,
        "CertificateManager.ListTagsForCertificate",
        endpoint,
        certificate,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListTagsReply {
    #[serde(default)]
    tags: Option<Vec<WireTag>>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireTag {
    key: String,
    #[serde(default)]
    value: Option<String>,
}

/// The tags a `ListTagsForCertificate` reply lists.
pub fn parse_list_tags(response: &AwsResponse) -> Result<Vec<Tag>, CallError> {
    let reply: ListTagsReply = json_reply(Operation::ListTagsForCertificate, response)?;
    let tags = reply.tags.unwrap_or_default().into_iter();
    Ok(tags
        .map(|t| Tag {
            key: t.key,
            value: t.value,
        })
        .collect())
}

/// Every key type ACM has. `ListCertificates` without `Includes.keyTypes` silently leaves out
/// ECDSA and RSA keys of 3072 bits and more.
pub const KEY_TYPES: [&str; 7] = [
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
];

/// One page of `ListCertificates` in `region`, every key type included.
pub fn list_certificates(endpoint: &str, region: &str, next_token: Option<&str>) -> AwsRequest {
    let mut body = serde_json::json!({ "Includes": { "keyTypes": KEY_TYPES }, "MaxItems": 1000 });
    if let Some(token) = next_token {
        body["NextToken"] = token.into();
    }
    AwsRequest::new(
        Operation::ListCertificates,
        region,
        http::Method::POST,
        format!("{endpoint}/"),
        json_text(&body).into_bytes(),
    )
    .header("content-type", "application/x-amz-json-1.1")
    .header("x-amz-target", "CertificateManager.ListCertificates")
}

/// A page of certificates and the token for the next, if there is one.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificatePage {
    /// The page's certificates, as far as their summaries describe them.
    pub certificates: Vec<CertificateDetail>,
    /// `NextToken`: what asks for the next page; `None` on the last.
    pub next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListCertificatesReply {
    #[serde(default)]
    certificate_summary_list: Option<Vec<WireCertificate>>,
    #[serde(default)]
    next_token: Option<String>,
}

/// One page of a `ListCertificates` reply.
pub fn parse_list_certificates(response: &AwsResponse) -> Result<CertificatePage, CallError> {
    let operation = Operation::ListCertificates;
    let reply: ListCertificatesReply = json_reply(operation, response)?;
    let mut certificates = Vec::new();
    for summary in reply.certificate_summary_list.unwrap_or_default() {
        certificates.push(
            summary
                .into_detail()
                .map_err(|e| unreadable(operation, response, e))?,
        );
    }
    // An empty token ends the list as surely as a missing or null one.
    let next_token = reply.next_token.filter(|t| !t.is_empty());
    Ok(CertificatePage {
        certificates,
        next_token,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct DescribeCertificateReply {
    certificate: WireCertificate,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct WireCertificate {
    certificate_arn: String,
    #[serde(default)]
    domain_name: Option<String>,
    #[serde(default)]
    subject_alternative_names: Option<Vec<String>>,
    /// `ListCertificates` names them so.
    #[serde(default)]
    subject_alternative_name_summaries: Option<Vec<String>>,
    #[serde(default)]
    not_after: Option<Timestamp>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default, rename = "Type")]
    kind: Option<String>,
    #[serde(default)]
    in_use_by: Option<Vec<String>>,
    /// `ListCertificates` gives a flag instead of the list.
    #[serde(default)]
    in_use: Option<bool>,
    #[serde(default)]
    renewal_eligibility: Option<String>,
}

impl WireCertificate {
    /// A description or a list summary, as certwatch keeps it.
    fn into_detail(self) -> Result<CertificateDetail, String> {
        let not_after = self
            .not_after
            .as_ref()
            .map(Timestamp::to_datetime)
            .transpose()?;
        Ok(CertificateDetail {
            arn: self.certificate_arn,
            domain_name: self.domain_name.unwrap_or_default(),
            subject_alternative_names: self
                .subject_alternative_names
                .or(self.subject_alternative_name_summaries)
                .unwrap_or_default(),
            not_after,
            status: self.status,
            kind: self.kind,
            in_use: self
                .in_use
                .or_else(|| self.in_use_by.as_ref().map(|by| !by.is_empty())),
            in_use_by: self.in_use_by.unwrap_or_default(),
            renewal_eligibility: self.renewal_eligibility,
        })
    }
}

/// JSON-protocol timestamps are epoch seconds: `1767225600`, `1767225600.5` or `1.7672256E9`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Timestamp {
    Seconds(serde_json::Number),
    Text(String),
}

impl Timestamp {
    fn to_datetime(&self) -> Result<OffsetDateTime, String> {
        match self {
            // Quoted as JSON (serde_json's writer), not through `Display`, which would bring
            // the float formatter into the component for an error message.
            Self::Seconds(n) => {
                let quoted = || serde_json::to_string(n).unwrap_or_default();
                let seconds = n
                    .as_f64()
                    .filter(|s| s.is_finite())
                    .ok_or_else(|| format!("{} is not a timestamp", quoted()))?;
                let nanos = (seconds * 1e9).round() as i128;
                OffsetDateTime::from_unix_timestamp_nanos(nanos)
                    .map_err(|e| format!("{} is not a timestamp: {e}", quoted()))
            }
            Self::Text(t) => {
                OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|e| format!("{t:?} is not a timestamp: {e}"))
            }
        }
    }
}

/// The certificate a `DescribeCertificate` reply describes.
pub fn parse_describe_certificate(response: &AwsResponse) -> Result<CertificateDetail, CallError> {
    let operation = Operation::DescribeCertificate;
    let reply: DescribeCertificateReply = json_reply(operation, response)?;
    reply
        .certificate
        .into_detail()
        .map_err(|e| unreadable(operation, response, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const ARN: &str = "arn:aws:acm:us-east-1:123456789012:certificate/abc";

    fn ok(body: &str) -> AwsResponse {
        AwsResponse {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn request_follows_the_json_1_1_protocol() {
        let r = describe_certificate(
            "https://acm.us-east-1.amazonaws.com",
            &CertificateArn::parse(ARN).unwrap(),
        );
        assert_eq!(r.method, http::Method::POST);
        assert_eq!(r.url, "https://acm.us-east-1.amazonaws.com/");
        assert_eq!(r.region, "us-east-1");
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            format!(r#"{{"CertificateArn":"{ARN}"}}"#)
        );
        assert!(r.headers.contains(&(
            "x-amz-target".into(),
            "CertificateManager.DescribeCertificate".into()
        )));
        assert!(
            r.headers
                .contains(&("content-type".into(), "application/x-amz-json-1.1".into()))
        );
    }

    #[test]
    fn not_after_as_integer_decimal_or_exponent() {
        for text in [
            "1796904000",
            "1796904000.0",
            "1.796904E9",
            "\"2026-12-10T12:00:00Z\"",
        ] {
            let body = format!(
                r#"{{"Certificate":{{"CertificateArn":"{ARN}","DomainName":"example.com","NotAfter":{text}}}}}"#
            );
            let c = parse_describe_certificate(&ok(&body)).unwrap();
            assert_eq!(c.not_after, Some(datetime!(2026-12-10 12:00 UTC)), "{text}");
        }
    }

    #[test]
    fn reads_the_fields_certwatch_uses() {
        let body = format!(
            r#"{{"Certificate":{{"CertificateArn":"{ARN}","DomainName":"example.com","SubjectAlternativeNames":["example.com","www.example.com"],
            "NotAfter":1796904000,"Status":"ISSUED","Type":"IMPORTED","InUseBy":["arn:aws:elasticloadbalancing:x"],"RenewalEligibility":"INELIGIBLE","KeyAlgorithm":"RSA-2048"}}}}"#
        );
        let c = parse_describe_certificate(&ok(&body)).unwrap();
        assert_eq!(c.domain_name, "example.com");
        assert_eq!(c.subject_alternative_names.len(), 2);
        assert_eq!(c.kind.as_deref(), Some("IMPORTED"));
        assert_eq!(c.status.as_deref(), Some("ISSUED"));
        assert_eq!(c.in_use_by.len(), 1);
        assert_eq!(c.in_use, Some(true));
    }

    #[test]
    fn tags_with_and_without_values() {
        let request = list_tags_for_certificate(
            "https://acm.us-east-1.amazonaws.com",
            &CertificateArn::parse(ARN).unwrap(),
        );
        assert!(request.headers.contains(&(
            "x-amz-target".into(),
            "CertificateManager.ListTagsForCertificate".into()
        )));
        let tags = parse_list_tags(&ok(
            r#"{"Tags":[{"Key":"env","Value":"prod"},{"Key":"team"}]}"#,
        ))
        .unwrap();
        assert_eq!(tags[0].value.as_deref(), Some("prod"));
        assert_eq!(
            (tags[1].key.as_str(), tags[1].value.as_deref()),
            ("team", None)
        );
        assert_eq!(parse_list_tags(&ok("{}")).unwrap(), []);
        assert!(parse_list_tags(&ok(r#"{"Tags":[{"Value":"x"}]}"#)).is_err());
    }

    #[test]
    fn list_requests_every_key_type_and_pages_on() {
        let first = list_certificates("https://acm.eu-west-1.amazonaws.com", "eu-west-1", None);
        let body: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
        assert_eq!(body["Includes"]["keyTypes"].as_array().unwrap().len(), 7);
        assert!(
            body["Includes"]["keyTypes"]
                .as_array()
                .unwrap()
                .contains(&"EC_prime256v1".into())
        );
        assert!(body.get("NextToken").is_none());
        assert!(first.headers.contains(&(
            "x-amz-target".into(),
            "CertificateManager.ListCertificates".into()
        )));
        let next = list_certificates(
            "https://acm.eu-west-1.amazonaws.com",
            "eu-west-1",
            Some("page-2"),
        );
        let body: serde_json::Value = serde_json::from_slice(&next.body).unwrap();
        assert_eq!(body["NextToken"], "page-2");
    }

    #[test]
    fn list_pages_and_their_ends() {
        let page = parse_list_certificates(&ok(&format!(
            r#"{{"CertificateSummaryList":[{{"CertificateArn":"{ARN}","DomainName":"example.com","SubjectAlternativeNameSummaries":["example.com"],"Status":"ISSUED","Type":"IMPORTED","KeyAlgorithm":"EC-prime256v1","NotAfter":1796904000,"InUse":true}},{{"CertificateArn":"{ARN}2"}}],"NextToken":"t2"}}"#
        )))
        .unwrap();
        assert_eq!(page.certificates.len(), 2);
        assert_eq!(
            page.certificates[0].not_after,
            Some(datetime!(2026-12-10 12:00 UTC))
        );
        assert_eq!(page.certificates[1].not_after, None);
        assert_eq!(page.certificates[0].in_use, Some(true));
        assert_eq!(page.certificates[1].in_use, None);
        assert_eq!(page.next_token.as_deref(), Some("t2"));
        for end in [
            r#"{"CertificateSummaryList":[]}"#,
            r#"{"CertificateSummaryList":[],"NextToken":null}"#,
            r#"{"NextToken":""}"#,
        ] {
            assert_eq!(
                parse_list_certificates(&ok(end)).unwrap().next_token,
                None,
                "{end}"
            );
        }
    }

    #[test]
    fn pending_certificates_have_no_not_after() {
        let body = format!(
            r#"{{"Certificate":{{"CertificateArn":"{ARN}","Status":"PENDING_VALIDATION","NextToken":null}}}}"#
        );
        assert_eq!(
            parse_describe_certificate(&ok(&body)).unwrap().not_after,
            None
        );
    }

    #[test]
    fn errors_and_unreadable_replies() {
        let missing = AwsResponse {
            status: 400,
            headers: vec![],
            body:
                br#"{"__type":"ResourceNotFoundException","message":"Could not find certificate"}"#
                    .to_vec(),
        };
        assert_eq!(
            parse_describe_certificate(&missing).unwrap_err().code(),
            Some("ResourceNotFoundException")
        );
        for body in [
            "",
            "{",
            "{}",
            r#"{"Certificate":{"NotAfter":1}}"#,
            &format!(r#"{{"Certificate":{{"CertificateArn":"{ARN}","NotAfter":"soon"}}}}"#),
        ] {
            let e = parse_describe_certificate(&ok(body)).unwrap_err();
            assert!(matches!(e, CallError::Unreadable { .. }), "{body}: {e:?}");
        }
    }
}
