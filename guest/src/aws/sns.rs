//! SNS `Publish` (Query protocol: a form-encoded POST, an XML reply).

use super::query::{form, reply_texts};
use super::{AwsRequest, AwsResponse, CallError, Operation};
use crate::arn::TopicArn;

/// `Publish` of `message` under `subject` to `topic`.
pub fn publish(endpoint: &str, topic: &TopicArn, subject: &str, message: &str) -> AwsRequest {
    let body = form(&[
        ("Action", "Publish"),
        ("Version", "2010-03-31"),
        ("TopicArn", topic.arn().as_str()),
        ("Subject", subject),
        ("Message", message),
    ]);
    AwsRequest::new(
        Operation::Publish,
        &topic.arn().region,
        http::Method::POST,
        format!("{endpoint}/"),
        body.into_bytes(),
    )
    .header(
        "content-type",
        "application/x-www-form-urlencoded; charset=utf-8",
    )
}

/// The published message's id.
pub fn parse_publish(response: &AwsResponse) -> Result<String, CallError> {
    let [id] = reply_texts(
        Operation::Publish,
        response,
        [&["PublishResponse", "PublishResult", "MessageId"]],
    )?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_request() {
        let topic = TopicArn::parse("arn:aws:sns:us-east-1:123456789012:alerts").unwrap();
        let r = publish(
            "https://sns.us-east-1.amazonaws.com",
            &topic,
            "Certificate Expiration Notification",
            "hi there",
        );
        assert_eq!(r.url, "https://sns.us-east-1.amazonaws.com/");
        assert_eq!(
            String::from_utf8(r.body).unwrap(),
            "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A123456789012%3Aalerts&Subject=Certificate+Expiration+Notification&Message=hi+there"
        );
    }

    #[test]
    fn reads_the_message_id() {
        let body = r#"<PublishResponse xmlns="https://sns.amazonaws.com/doc/2010-03-31/">
            <PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>
            <ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata>
        </PublishResponse>"#;
        let r = AwsResponse {
            status: 200,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(
            parse_publish(&r).unwrap(),
            "567910cd-659e-55d4-8ccb-5aaf14679dc0"
        );
    }

    #[test]
    fn errors_and_unreadable_replies() {
        let body = "<ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error></ErrorResponse>";
        let r = AwsResponse {
            status: 404,
            headers: vec![],
            body: body.as_bytes().to_vec(),
        };
        assert_eq!(parse_publish(&r).unwrap_err().code(), Some("NotFound"));
        for body in [
            "",
            "<PublishResponse>",
            "<PublishResponse><PublishResult/></PublishResponse>",
            "{}",
        ] {
            let r = AwsResponse {
                status: 200,
                headers: vec![],
                body: body.as_bytes().to_vec(),
            };
            assert!(
                matches!(parse_publish(&r), Err(CallError::Unreadable { .. })),
                "{body}"
            );
        }
    }
}
