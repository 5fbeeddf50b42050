//! SNS `Publish` (Query protocol: a form-encoded POST, an XML reply).

use super::{AwsRequest, AwsResponse, CallError, Operation, unreadable};
use crate::arn::TopicArn;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters left as they are in form values: RFC 3986's unreserved set, as Python's
/// `urllib.parse.urlencode` and the AWS SDKs leave them.
const FORM_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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

/// `application/x-www-form-urlencoded`, spaces as `+`. Written straight into one string: the
/// message is most of a request, and going through `fmt` and `replace` cost the component
/// about a tenth of an event.
fn form(fields: &[(&str, &str)]) -> String {
    let mut body = String::with_capacity(fields.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
    let encode = |text: &str, body: &mut String| {
        // Each escaped byte comes as its own `%XX` piece.
        for piece in utf8_percent_encode(text, FORM_VALUE) {
            match piece {
                "%20" => body.push('+'),
                piece => body.push_str(piece),
            }
        }
    };
    for (i, (key, value)) in fields.iter().enumerate() {
        if i > 0 {
            body.push('&');
        }
        encode(key, &mut body);
        body.push('=');
        encode(value, &mut body);
    }
    body
}

/// The published message's id.
pub fn parse_publish(response: &AwsResponse) -> Result<String, CallError> {
    let operation = Operation::Publish;
    if !response.is_success() {
        return Err(CallError::from_response(operation, response));
    }
    let unreadable = |message: String| unreadable(operation, response, message);
    let text = std::str::from_utf8(&response.body).map_err(|e| unreadable(e.to_string()))?;
    let path = ["PublishResponse", "PublishResult", "MessageId"];
    let id = super::xml::first_text(text, |at| super::xml::is_path(at, &path))
        .map_err(|e| unreadable(e.to_string()))?
        .ok_or_else(|| unreadable("the reply has no PublishResult/MessageId".into()))?;
    if id.is_empty() {
        return Err(unreadable("the reply has an empty MessageId".into()));
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_matches_python_urlencode() {
        // urllib.parse.urlencode({"Message": "Renew *now* ~ a+b=c & 100% ✓\nok"})
        assert_eq!(
            form(&[("Message", "Renew *now* ~ a+b=c & 100% ✓\nok")]),
            "Message=Renew+%2Anow%2A+~+a%2Bb%3Dc+%26+100%25+%E2%9C%93%0Aok"
        );
    }

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
