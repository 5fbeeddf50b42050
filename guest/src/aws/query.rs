//! The Query protocol's request body, which SNS and STS take: a form-encoded POST.

use super::{AwsResponse, CallError, Operation, unreadable};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters left as they are in form values: RFC 3986's unreserved set, as Python's
/// `urllib.parse.urlencode` and the AWS SDKs leave them.
const FORM_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `application/x-www-form-urlencoded`, spaces as `+`. Written straight into one string: the
/// message is most of a request, and going through `fmt` and `replace` cost the component
/// about a tenth of an event.
pub(crate) fn form(fields: &[(&str, &str)]) -> String {
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

/// The texts at `paths` (from the root) of a success reply's XML, each present and not empty;
/// an error reply as the operation's error. An unreadable reply's error never quotes the
/// body, which may hold credentials (`AssumeRole`'s).
pub(crate) fn reply_texts<const N: usize>(
    operation: Operation,
    response: &AwsResponse,
    paths: [&[&str]; N],
) -> Result<[String; N], CallError> {
    if !response.is_success() {
        return Err(CallError::from_response(operation, response));
    }
    let unreadable = |message: String| unreadable(operation, response, message);
    let text = std::str::from_utf8(&response.body).map_err(|e| unreadable(e.to_string()))?;
    let mut texts = [const { String::new() }; N];
    for (path, slot) in paths.iter().zip(&mut texts) {
        let found = super::xml::first_text(text, |at| super::xml::is_path(at, path))
            .map_err(|e| unreadable(e.to_string()))?;
        *slot = match found {
            Some(value) if !value.is_empty() => value,
            Some(_) => {
                return Err(unreadable(format!(
                    "the reply's {} is empty",
                    path.join("/")
                )));
            }
            None => {
                return Err(unreadable(format!(
                    "the reply has no {}",
                    path[1..].join("/")
                )));
            }
        };
    }
    Ok(texts)
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
}
