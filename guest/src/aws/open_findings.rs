//! Security Hub `GetFindings`, asked for the findings certwatch raised that are still open: one
//! certificate's (which also tells whether the hub takes findings at all, and when the finding
//! was first raised), or all of them, so a scan can resolve those whose certificate was
//! renewed or deleted since.

use super::{AwsRequest, AwsResponse, CallError, Operation, json_reply};
use serde::Deserialize;

/// The most `GetFindings` returns at once.
const PAGE_SIZE: u32 = 100;

/// One open certwatch finding, with what resolving it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenFinding {
    /// The finding's `Id`.
    pub id: String,
    /// The hub product it belongs to (`ProductArn`); with `id`, what names it to
    /// `BatchUpdateFindings`.
    pub product_arn: String,
    /// The account it is in (`AwsAccountId`).
    pub account: String,
    /// The certificate it is about: its resource's `Id`.
    pub certificate_arn: String,
    /// The certificate's region: its resource's `Region`, else the ARN's.
    pub certificate_region: String,
    /// The certificate's domain name, if the finding recorded one.
    pub domain: Option<String>,
    /// When the finding was first raised, as Security Hub has it.
    pub created_at: Option<String>,
    /// The certificate's expiry when the finding was last raised (`certwatch/NotAfter`).
    pub not_after: Option<String>,
}

/// One page of `GetFindings`: certwatch's open findings on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FindingsPage {
    /// The page's open findings from certwatch's generator; others are left out.
    pub findings: Vec<OpenFinding>,
    /// `NextToken`: what asks for the next page; `None` on the last.
    pub next_token: Option<String>,
}

/// Active findings of certwatch's generator on ACM certificates, in `account` if given. The
/// filters are AWS's; [`parse_get_findings`] checks them again, for hosts that ignore some.
pub fn get_findings(
    endpoint: &str,
    region: &str,
    generator_id: &str,
    account: Option<&str>,
    next_token: Option<&str>,
) -> AwsRequest {
    let mut filters = serde_json::json!({
        "GeneratorId": equals(generator_id),
        "RecordState": equals("ACTIVE"),
        "ResourceType": equals(RESOURCE_TYPE),
    });
    if let Some(account) = account {
        filters["AwsAccountId"] = equals(account);
    }
    let mut body = serde_json::json!({ "Filters": filters, "MaxResults": PAGE_SIZE });
    if let Some(token) = next_token {
        body["NextToken"] = token.into();
    }
    findings_request(endpoint, region, &body)
}

const RESOURCE_TYPE: &str = "AwsCertificateManagerCertificate";

/// A `StringFilter` that matches `value` exactly.
fn equals(value: &str) -> serde_json::Value {
    serde_json::json!([{ "Value": value, "Comparison": "EQUALS" }])
}

fn findings_request(endpoint: &str, region: &str, body: &serde_json::Value) -> AwsRequest {
    AwsRequest::new(
        Operation::GetFindings,
        region,
        http::Method::POST,
        format!("{endpoint}/findings"),
        super::json_text(body).into_bytes(),
    )
    .header("content-type", "application/json")
}

/// The one finding with `finding_id` (any state; [`parse_finding_lookup`] keeps it only if it is
/// open).
pub fn get_finding(endpoint: &str, region: &str, finding_id: &str) -> AwsRequest {
    let body = serde_json::json!({ "Filters": { "Id": equals(finding_id) }, "MaxResults": 1 });
    findings_request(endpoint, region, &body)
}

/// Whether the account has Security Hub enabled in the region, and when certwatch's finding
/// for the certificate was first raised, if it is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubState {
    /// The hub takes findings.
    Subscribed {
        /// The open finding's `CreatedAt`; `None` when the certificate has none open.
        first_raised: Option<String>,
    },
    /// `InvalidAccessException`: the account is not subscribed; AWS's message says so.
    NotSubscribed {
        /// AWS's message.
        message: String,
    },
}

/// Only "not subscribed" means disabled; any other error stays an error.
pub fn parse_finding_lookup(
    response: &AwsResponse,
    finding_id: &str,
    generator_id: &str,
) -> Result<HubState, CallError> {
    match parse_get_findings(response, generator_id) {
        Ok(page) => Ok(HubState::Subscribed {
            first_raised: page
                .findings
                .into_iter()
                .find(|f| f.id == finding_id)
                .and_then(|f| f.created_at),
        }),
        Err(CallError::Service { code, message, .. }) if code == "InvalidAccessException" => {
            Ok(HubState::NotSubscribed { message })
        }
        Err(other) => Err(other),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Reply {
    #[serde(default)]
    findings: Vec<Finding>,
    #[serde(default)]
    next_token: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Finding {
    id: String,
    product_arn: String,
    #[serde(default)]
    generator_id: String,
    #[serde(default)]
    aws_account_id: String,
    #[serde(default)]
    record_state: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
    #[serde(default)]
    product_fields: Option<std::collections::BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    resources: Vec<Resource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Resource {
    #[serde(rename = "Type")]
    kind: String,
    id: String,
    #[serde(default)]
    region: Option<String>,
    #[serde(default)]
    details: Option<Details>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Details {
    #[serde(default)]
    aws_certificate_manager_certificate: Option<CertificateDetails>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CertificateDetails {
    #[serde(default)]
    domain_name: Option<String>,
}

/// One page of open findings from `generator_id`; anything else the reply holds is left out.
pub fn parse_get_findings(
    response: &AwsResponse,
    generator_id: &str,
) -> Result<FindingsPage, CallError> {
    let reply: Reply = json_reply(Operation::GetFindings, response)?;
    let findings = reply
        .findings
        .into_iter()
        .filter(|f| f.generator_id == generator_id)
        .filter(|f| f.record_state.as_deref().is_none_or(|s| s == "ACTIVE"))
        .filter_map(|f| {
            let resource = f.resources.into_iter().find(|r| r.kind == RESOURCE_TYPE)?;
            let region = resource
                .region
                .or_else(|| resource.id.split(':').nth(3).map(str::to_owned))?;
            Some(OpenFinding {
                id: f.id,
                product_arn: f.product_arn,
                account: f.aws_account_id,
                domain: resource
                    .details
                    .and_then(|d| d.aws_certificate_manager_certificate)
                    .and_then(|c| c.domain_name),
                certificate_arn: resource.id,
                certificate_region: region,
                created_at: f.created_at,
                not_after: f.product_fields.and_then(|fields| {
                    fields
                        .get("certwatch/NotAfter")?
                        .as_str()
                        .map(str::to_owned)
                }),
            })
        })
        .collect();
    Ok(FindingsPage {
        findings,
        next_token: reply.next_token.filter(|t| !t.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(body: &str) -> AwsResponse {
        AwsResponse {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn asks_for_certwatchs_active_certificate_findings() {
        let r = get_findings(
            "https://securityhub.us-east-1.amazonaws.com",
            "us-east-1",
            "certwatch/acm-certificate-expiry",
            Some("123456789012"),
            Some("page-2"),
        );
        assert_eq!(
            r.url,
            "https://securityhub.us-east-1.amazonaws.com/findings"
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["Filters"]["RecordState"][0]["Value"], "ACTIVE");
        assert_eq!(body["Filters"]["AwsAccountId"][0]["Value"], "123456789012");
        assert_eq!(body["Filters"]["GeneratorId"][0]["Comparison"], "EQUALS");
        assert_eq!(body["NextToken"], "page-2");
        assert_eq!(body["MaxResults"], 100);
    }

    #[test]
    fn one_lookup_tells_the_hub_state_and_when_the_finding_was_raised() {
        let r = get_finding(
            "https://securityhub.us-east-1.amazonaws.com",
            "us-east-1",
            "a/x",
        );
        let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(body["Filters"]["Id"][0]["Value"], "a/x");
        let open = r#"{"Findings":[{"Id":"a/x","ProductArn":"p","GeneratorId":"g","AwsAccountId":"1","RecordState":"ACTIVE","CreatedAt":"2026-11-01T00:00:00.000Z",
            "Resources":[{"Type":"AwsCertificateManagerCertificate","Id":"arn:aws:acm:us-east-1:1:certificate/a","Region":"us-east-1"}]}]}"#;
        assert_eq!(
            parse_finding_lookup(&reply(open), "a/x", "g"),
            Ok(HubState::Subscribed {
                first_raised: Some("2026-11-01T00:00:00.000Z".into())
            })
        );
        // Another finding (a host that ignores the filter), or none: raised now.
        assert_eq!(
            parse_finding_lookup(&reply(open), "b/x", "g"),
            Ok(HubState::Subscribed { first_raised: None })
        );
        let off = AwsResponse {
            status: 401,
            headers: vec![],
            body: br#"{"Code":"InvalidAccessException","Message":"Account 1 is not subscribed to AWS Security Hub"}"#.to_vec(),
        };
        assert!(matches!(
            parse_finding_lookup(&off, "a/x", "g"),
            Ok(HubState::NotSubscribed { message }) if message.contains("not subscribed")
        ));
        let denied = AwsResponse {
            status: 403,
            headers: vec![],
            body: br#"{"__type":"AccessDeniedException","Message":"not authorized"}"#.to_vec(),
        };
        assert_eq!(
            parse_finding_lookup(&denied, "a/x", "g")
                .unwrap_err()
                .code(),
            Some("AccessDeniedException")
        );
    }

    #[test]
    fn keeps_only_what_the_filters_asked_for() {
        let page = parse_get_findings(
            &reply(
                r#"{"Findings":[
                {"Id":"a/certwatch/expiry","ProductArn":"p","GeneratorId":"g","AwsAccountId":"1","RecordState":"ACTIVE","CreatedAt":"2026-11-01T00:00:00.000Z",
                 "Resources":[{"Type":"AwsCertificateManagerCertificate","Id":"arn:aws:acm:eu-west-1:1:certificate/a","Region":"eu-west-1",
                   "Details":{"AwsCertificateManagerCertificate":{"DomainName":"a.example.com"}}}]},
                {"Id":"b","ProductArn":"p","GeneratorId":"g","AwsAccountId":"1","RecordState":"ARCHIVED",
                 "Resources":[{"Type":"AwsCertificateManagerCertificate","Id":"arn:aws:acm:eu-west-1:1:certificate/b"}]},
                {"Id":"c","ProductArn":"p","GeneratorId":"someone-else","AwsAccountId":"1",
                 "Resources":[{"Type":"AwsCertificateManagerCertificate","Id":"arn:aws:acm:eu-west-1:1:certificate/c"}]},
                {"Id":"d","ProductArn":"p","GeneratorId":"g","AwsAccountId":"1",
                 "Resources":[{"Type":"AwsEc2Instance","Id":"i-1"}]}
            ],"NextToken":""}"#,
            ),
            "g",
        )
        .unwrap();
        assert_eq!(page.next_token, None);
        assert_eq!(
            page.findings,
            [OpenFinding {
                id: "a/certwatch/expiry".into(),
                product_arn: "p".into(),
                account: "1".into(),
                certificate_arn: "arn:aws:acm:eu-west-1:1:certificate/a".into(),
                certificate_region: "eu-west-1".into(),
                domain: Some("a.example.com".into()),
                created_at: Some("2026-11-01T00:00:00.000Z".into()),
                not_after: None,
            }]
        );
    }
}
