//! What the stub answers: each operation's normal reply, each protocol's error, and the normal
//! reply spoiled by a fault.

use crate::accounts::Members;
use crate::catalogue::Catalogue;
use crate::fault::Fault;
use crate::operation::{Operation, Protocol, form_value};
use serde_json::{Value, json};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    /// Security Hub names its errors in a header as well as in the body.
    pub(crate) error_type: Option<String>,
    pub(crate) body: String,
}

impl Reply {
    pub(crate) fn ok(protocol: Protocol, body: String) -> Self {
        Self {
            status: 200,
            content_type: content_type(protocol),
            error_type: None,
            body,
        }
    }

    /// An error reply as `protocol` writes one.
    pub(crate) fn error(protocol: Protocol, status: u16, code: &str, message: &str) -> Self {
        let body = match protocol {
            Protocol::Json11 | Protocol::Json10 => {
                json!({ "__type": code, "message": message }).to_string()
            }
            Protocol::RestJson => json!({ "Code": code, "Message": message }).to_string(),
            Protocol::Query => format!(
                "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\"><Error>\
                 <Type>{}</Type><Code>{code}</Code><Message>{message}</Message></Error>\
                 <RequestId>certwatch-stub</RequestId></ErrorResponse>",
                if status >= 500 { "Receiver" } else { "Sender" }
            ),
        };
        Self {
            status,
            content_type: content_type(protocol),
            error_type: (protocol == Protocol::RestJson).then(|| code.to_owned()),
            body,
        }
    }

    /// This reply as `fault` spoils it; `None` for [`Fault::Reset`] (no reply at all), and the
    /// reply unchanged for [`Fault::Slow`] (the server waits).
    pub(crate) fn spoiled(self, fault: Fault, protocol: Protocol) -> Option<Self> {
        let spoiled = match fault {
            Fault::Reset => return None,
            Fault::Slow(_) => self,
            Fault::Throttle => match protocol {
                Protocol::Json11 | Protocol::Json10 => {
                    Self::error(protocol, 400, "ThrottlingException", "Rate exceeded")
                }
                Protocol::RestJson => {
                    Self::error(protocol, 429, "TooManyRequestsException", "Rate exceeded")
                }
                Protocol::Query => Self::error(protocol, 400, "Throttling", "Rate exceeded"),
            },
            Fault::Status(status) => {
                let code = match status {
                    500 => "InternalFailure",
                    503 => "ServiceUnavailable",
                    _ => "StubFault",
                };
                Self::error(protocol, status, code, "injected by certwatch-stub")
            }
            Fault::Truncated => {
                let mut cut = self.body.len() / 2;
                while !self.body.is_char_boundary(cut) {
                    cut -= 1;
                }
                Self {
                    body: self.body[..cut].to_owned(),
                    ..self
                }
            }
            Fault::Malformed => Self {
                body: match protocol {
                    Protocol::Query => "<PublishResponse><PublishResult></PublishResponse>".into(),
                    _ => r#"{"Certificate":[}"#.into(),
                },
                ..self
            },
            Fault::WrongContentType => Self {
                content_type: "text/html",
                body: "<html><body><h1>502 Bad Gateway</h1></body></html>".into(),
                ..self
            },
            Fault::Empty => Self {
                body: String::new(),
                ..self
            },
            // Written by the server, which has the request's headers.
            Fault::Echo => self,
        };
        Some(spoiled)
    }
}

fn content_type(protocol: Protocol) -> &'static str {
    match protocol {
        Protocol::Json11 => "application/x-amz-json-1.1",
        Protocol::Json10 => "application/x-amz-json-1.0",
        Protocol::RestJson => "application/json",
        Protocol::Query => "text/xml",
    }
}

/// What the stub keeps of the requests it answered normally.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Effects {
    /// Finding ids imported, in order (a retried import repeats its ids).
    pub imported_findings: Vec<String>,
    /// Each finding as last imported, by id, with the workflow `BatchUpdateFindings` set:
    /// what `GetFindings` answers from.
    #[serde(skip)]
    pub findings: std::collections::BTreeMap<String, Value>,
    /// Finding ids a `BatchUpdateFindings` named.
    pub updated_findings: Vec<String>,
    /// `(topic, subject)` of each message published.
    pub published: Vec<(String, String)>,
    /// What each member account's hub holds, as [`Effects::findings`] does the stub's own.
    #[serde(skip)]
    pub members_findings:
        std::collections::BTreeMap<String, std::collections::BTreeMap<String, Value>>,
    /// Each message a queue took, in order (`GET /stub/messages` answers them).
    #[serde(skip)]
    pub queued: Vec<crate::queue::Queued>,
}

/// Whose request it is: the certificates of the account and region it was signed for, and the
/// member account, if it was signed with a member's assumed credentials.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Asker<'a> {
    pub(crate) catalogue: &'a Catalogue,
    pub(crate) member: Option<&'a str>,
}

/// `operation`'s normal reply to `body` from `asker`, and what it changes.
pub(crate) fn answer(
    operation: Operation,
    body: &[u8],
    asker: Asker<'_>,
    members: &Members,
    effects: &mut Effects,
) -> Reply {
    let catalogue = asker.catalogue;
    // Each account's hub holds its own findings, as Security Hub's do.
    let held = match asker.member {
        Some(account) => effects
            .members_findings
            .entry(account.to_owned())
            .or_default(),
        None => &mut effects.findings,
    };
    let protocol = operation.protocol();
    let request: Value = match protocol {
        Protocol::Query => Value::Null,
        _ if body.is_empty() => Value::Null,
        _ => match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => return Reply::error(protocol, 400, "SerializationException", &e.to_string()),
        },
    };
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let reply = match operation {
        Operation::DescribeCertificate => {
            let arn = text(&request["CertificateArn"]);
            match catalogue.describe(&arn) {
                Some(reply) => reply,
                None => {
                    let message = format!("Could not find certificate {arn}.");
                    return Reply::error(protocol, 400, "ResourceNotFoundException", &message);
                }
            }
        }
        Operation::ListCertificates => catalogue.page(
            request["NextToken"].as_str(),
            request["MaxItems"].as_u64().unwrap_or(1000) as usize,
        ),
        Operation::ListTagsForCertificate => json!({ "Tags": [] }),
        Operation::DescribeHub => json!({
            "HubArn": format!("arn:aws:securityhub:{}:{}:hub/default", catalogue.region, catalogue.account),
            "SubscribedAt": "2026-01-01T00:00:00.000Z",
            "AutoEnableControls": true,
        }),
        Operation::BatchImportFindings => {
            let findings = request["Findings"].as_array().cloned().unwrap_or_default();
            let count = findings.len();
            for mut finding in findings {
                let id = text(&finding["Id"]);
                effects.imported_findings.push(id.clone());
                // As AWS: an import does not undo what BatchUpdateFindings set.
                if let Some(before) = held.get(&id) {
                    for field in ["Workflow", "Note"] {
                        if !before[field].is_null() {
                            finding[field] = before[field].clone();
                        }
                    }
                }
                held.insert(id, finding);
            }
            json!({ "FailedCount": 0, "SuccessCount": count, "FailedFindings": [] })
        }
        Operation::BatchUpdateFindings => {
            // As AWS: a finding it does not hold is reported unprocessed.
            let (mut processed, mut unprocessed) = (Vec::new(), Vec::new());
            for identifier in request["FindingIdentifiers"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let id = text(&identifier["Id"]);
                match held.get_mut(&id) {
                    Some(finding) if finding.is_object() => {
                        finding["Workflow"] = request["Workflow"].clone();
                        effects.updated_findings.push(id);
                        processed.push(identifier.clone());
                    }
                    _ => unprocessed.push(json!({
                        "FindingIdentifier": identifier,
                        "ErrorCode": "FindingNotFound",
                        "ErrorMessage": "Finding not found",
                    })),
                }
            }
            json!({ "ProcessedFindings": processed, "UnprocessedFindings": unprocessed })
        }
        Operation::GetFindings => get_findings(&request, held),
        Operation::Publish => {
            let field = |name| form_value(body, name).unwrap_or_default();
            effects
                .published
                .push((field("TopicArn"), field("Subject")));
            let id = effects.published.len();
            return Reply::ok(
                protocol,
                format!(
                    "<PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
                     <PublishResult><MessageId>stub-message-{id}</MessageId></PublishResult>\
                     <ResponseMetadata><RequestId>stub-{id}</RequestId></ResponseMetadata>\
                     </PublishResponse>"
                ),
            );
        }
        Operation::AssumeRole => return assume_role(body, members),
        Operation::SendMessageBatch => {
            return crate::queue::send_message_batch(&request, &mut effects.queued);
        }
    };
    Reply::ok(protocol, reply.to_string())
}

/// STS's reply to `AssumeRole`: a member role's credentials, else `AccessDenied` (as STS
/// answers for a role that is missing or does not trust the caller).
fn assume_role(body: &[u8], members: &Members) -> Reply {
    let role = form_value(body, "RoleArn").unwrap_or_default();
    let Some(assumed) = members.assume(&role) else {
        let message = format!("certwatch-stub holds no role {role}");
        return Reply::error(Protocol::Query, 403, "AccessDenied", &message);
    };
    let session = form_value(body, "RoleSessionName").unwrap_or_default();
    // The expiry is never read by certwatch, which uses the credentials for one scan.
    Reply::ok(
        Protocol::Query,
        format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
             <AssumeRoleResult><Credentials>\
             <AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
             <SessionToken>{}</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration>\
             </Credentials><AssumedRoleUser><AssumedRoleId>AROASTUB:{session}</AssumedRoleId>\
             <Arn>arn:aws:sts::{}:assumed-role/{}/{session}</Arn></AssumedRoleUser>\
             </AssumeRoleResult><ResponseMetadata><RequestId>certwatch-stub</RequestId>\
             </ResponseMetadata></AssumeRoleResponse>",
            assumed.access_key_id,
            assumed.secret_access_key,
            assumed.session_token,
            assumed.account,
            members.role_name,
        ),
    )
}

/// `GetFindings` over the findings the stub holds, with the `EQUALS` filters on `Id`-less
/// string fields that certwatch uses; paged by `MaxResults` and `NextToken`.
fn get_findings(request: &Value, findings: &std::collections::BTreeMap<String, Value>) -> Value {
    let field = |finding: &Value, name: &str| -> Option<String> {
        match name {
            "ResourceType" => finding["Resources"][0]["Type"].as_str().map(str::to_owned),
            other => finding[other].as_str().map(str::to_owned),
        }
    };
    let matches = |finding: &Value| {
        request["Filters"]
            .as_object()
            .into_iter()
            .flatten()
            .all(|(name, conditions)| {
                conditions.as_array().into_iter().flatten().all(|c| {
                    c["Comparison"] != "EQUALS"
                        || field(finding, name).as_deref() == c["Value"].as_str()
                })
            })
    };
    let start: usize = request["NextToken"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let size = request["MaxResults"].as_u64().unwrap_or(100).clamp(1, 100) as usize;
    // One finding by its id (what an event asks for) is a lookup, not a search.
    let by_id = request["Filters"]["Id"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["Comparison"] == "EQUALS"))
        .and_then(|c| c["Value"].as_str());
    let selected: Vec<&Value> = match by_id {
        Some(id) => findings
            .get(id)
            .into_iter()
            .filter(|f| matches(f))
            .collect(),
        None => findings.values().filter(|f| matches(f)).collect(),
    };
    let page: Vec<Value> = selected
        .iter()
        .skip(start)
        .take(size)
        .map(|f| (*f).clone())
        .collect();
    let mut reply = json!({ "Findings": page });
    if start + size < selected.len() {
        reply["NextToken"] = (start + size).to_string().into();
    }
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own(catalogue: &Catalogue) -> Asker<'_> {
        Asker {
            catalogue,
            member: None,
        }
    }

    #[test]
    fn each_member_account_holds_its_own_findings() {
        let mut effects = Effects::default();
        let members = Members {
            count: 2,
            ..Members::default()
        };
        let catalogue = Catalogue::default();
        let ask = |member| Asker {
            catalogue: &catalogue,
            member,
        };
        let import = br#"{"Findings":[{"Id":"a","GeneratorId":"certwatch"}]}"#;
        let first = Members::id(0);
        answer(
            Operation::BatchImportFindings,
            import,
            ask(Some(&first)),
            &members,
            &mut effects,
        );
        let get = br#"{"Filters":{"GeneratorId":[{"Value":"certwatch","Comparison":"EQUALS"}]}}"#;
        let found = |effects: &mut Effects, member| {
            let reply = answer(Operation::GetFindings, get, ask(member), &members, effects);
            let body: Value = serde_json::from_str(&reply.body).unwrap();
            body["Findings"].as_array().unwrap().len()
        };
        assert_eq!(found(&mut effects, Some(&first)), 1);
        let second = Members::id(1);
        assert_eq!(found(&mut effects, Some(&second)), 0);
        assert_eq!(found(&mut effects, None), 0);
        assert_eq!(effects.imported_findings, ["a"]);
    }

    #[test]
    fn assume_role_answers_a_members_credentials_or_access_denied() {
        let members = Members {
            count: 2,
            ..Members::default()
        };
        let catalogue = Catalogue::default();
        let mut effects = Effects::default();
        let mut assume = |role: &str| {
            let body = format!("Action=AssumeRole&RoleArn={role}&RoleSessionName=certwatch");
            answer(
                Operation::AssumeRole,
                body.as_bytes(),
                own(&catalogue),
                &members,
                &mut effects,
            )
        };
        let assumed = assume("arn%3Aaws%3Aiam%3A%3A200000000001%3Arole%2Fcertwatch-member");
        assert_eq!(assumed.status, 200);
        assert!(
            assumed
                .body
                .contains("<AccessKeyId>ASIA200000000001STUB</AccessKeyId>"),
            "{}",
            assumed.body
        );
        let refused = assume("arn%3Aaws%3Aiam%3A%3A200000000002%3Arole%2Fcertwatch-member");
        assert_eq!(refused.status, 403);
        assert!(
            refused.body.contains("<Code>AccessDenied</Code>"),
            "{}",
            refused.body
        );
    }

    #[test]
    fn imports_and_publishes_are_kept() {
        let mut effects = Effects::default();
        let catalogue = Catalogue::default();
        let reply = answer(
            Operation::BatchImportFindings,
            br#"{"Findings":[{"Id":"a"},{"Id":"b"}]}"#,
            own(&catalogue),
            &Members::default(),
            &mut effects,
        );
        assert_eq!(reply.status, 200);
        assert!(reply.body.contains(r#""SuccessCount":2"#), "{}", reply.body);
        answer(
            Operation::Publish,
            b"Action=Publish&TopicArn=arn%3Atopic&Subject=Hi+there",
            own(&catalogue),
            &Members::default(),
            &mut effects,
        );
        assert_eq!(effects.imported_findings, ["a", "b"]);
        assert_eq!(effects.published, [("arn:topic".into(), "Hi there".into())]);
    }

    #[test]
    fn an_import_keeps_the_workflow_an_update_set() {
        let mut effects = Effects::default();
        let catalogue = Catalogue::default();
        let import =
            br#"{"Findings":[{"Id":"a","RecordState":"ACTIVE","Workflow":{"Status":"NEW"}}]}"#;
        answer(
            Operation::BatchImportFindings,
            import,
            own(&catalogue),
            &Members::default(),
            &mut effects,
        );
        let update = br#"{"FindingIdentifiers":[{"Id":"a","ProductArn":"p"}],"Workflow":{"Status":"RESOLVED"}}"#;
        answer(
            Operation::BatchUpdateFindings,
            update,
            own(&catalogue),
            &Members::default(),
            &mut effects,
        );
        let archive = br#"{"Findings":[{"Id":"a","RecordState":"ARCHIVED"}]}"#;
        answer(
            Operation::BatchImportFindings,
            archive,
            own(&catalogue),
            &Members::default(),
            &mut effects,
        );
        assert_eq!(effects.findings["a"]["RecordState"], "ARCHIVED");
        assert_eq!(effects.findings["a"]["Workflow"]["Status"], "RESOLVED");
    }

    #[test]
    fn faults_are_written_in_each_protocol() {
        let ok = Reply::ok(Protocol::Json11, r#"{"Certificate":{}}"#.into());
        let throttled = ok
            .clone()
            .spoiled(Fault::Throttle, Protocol::Json11)
            .unwrap();
        assert_eq!(throttled.status, 400);
        assert!(throttled.body.contains("ThrottlingException"));
        let hub = ok
            .clone()
            .spoiled(Fault::Throttle, Protocol::RestJson)
            .unwrap();
        assert_eq!(
            (hub.status, hub.error_type.as_deref()),
            (429, Some("TooManyRequestsException"))
        );
        let sns = ok
            .clone()
            .spoiled(Fault::Status(503), Protocol::Query)
            .unwrap();
        assert!(
            sns.body.contains("<Code>ServiceUnavailable</Code>"),
            "{}",
            sns.body
        );
        assert_eq!(
            ok.clone()
                .spoiled(Fault::Truncated, Protocol::Json11)
                .unwrap()
                .body,
            r#"{"Certifi"#
        );
        assert_eq!(ok.spoiled(Fault::Reset, Protocol::Json11), None);
    }
}
