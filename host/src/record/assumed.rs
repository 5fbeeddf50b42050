//! Credentials STS handed out during a recording (`AssumeRole` into member accounts), swapped
//! for fixed fake ones before anything is written: the fixture replays with those, and the real
//! ones are added to what the written fixture is checked not to contain.

use crate::fixture::Exchange;
use certwatch_contract::fixture::REPLAY_ASSUMED_CREDENTIALS;

/// The elements of an `AssumeRole` reply that hold credentials, and the fake value of each.
fn replacements() -> [(&'static str, &'static str); 3] {
    let (id, secret, token) = REPLAY_ASSUMED_CREDENTIALS;
    [
        ("AccessKeyId", id),
        ("SecretAccessKey", secret),
        ("SessionToken", token),
    ]
}

/// Replaces the credentials in every recorded `AssumeRole` reply with the replay's fake ones;
/// returns the real ones found.
pub(super) fn replace(exchanges: &mut [Exchange]) -> Vec<String> {
    let mut found = Vec::new();
    for exchange in exchanges {
        if exchange.request.key().3 != "AssumeRole" {
            continue;
        }
        let Some(response) = exchange.response.as_mut() else {
            continue;
        };
        for (element, fake) in replacements() {
            if let Some(real) = swap_text(&mut response.body, element, fake) {
                found.push(real);
            }
        }
    }
    found
}

/// Replaces the text of the first `<element>` in `xml` with `value`; returns what it was.
fn swap_text(xml: &mut String, element: &str, value: &str) -> Option<String> {
    let open = format!("<{element}>");
    let close = format!("</{element}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    let real = xml[start..end].trim().to_owned();
    xml.replace_range(start..end, value);
    (!real.is_empty()).then_some(real)
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_contract::fixture::{RecordedRequest, RecordedResponse};

    fn exchange(action: &str, body: &str) -> Exchange {
        Exchange {
            request: RecordedRequest {
                method: "POST".into(),
                url: "https://sts.us-east-1.amazonaws.com/".into(),
                headers: vec![],
                body: format!("Action={action}&Version=2011-06-15"),
            },
            response: Some(RecordedResponse {
                status: 200,
                headers: vec![],
                body: body.into(),
            }),
            failure: None,
        }
    }

    #[test]
    fn assumed_credentials_are_swapped_and_reported() {
        let reply = "<AssumeRoleResponse><AssumeRoleResult><Credentials>\
            <AccessKeyId>ASIAREAL</AccessKeyId><SecretAccessKey>real/secret</SecretAccessKey>\
            <SessionToken>realtoken</SessionToken><Expiration>2026-12-02T05:00:00Z</Expiration>\
            </Credentials></AssumeRoleResult></AssumeRoleResponse>";
        let mut exchanges = vec![
            exchange("AssumeRole", reply),
            exchange("GetCallerIdentity", "<AccessKeyId>kept</AccessKeyId>"),
        ];
        let found = replace(&mut exchanges);
        assert_eq!(found, ["ASIAREAL", "real/secret", "realtoken"]);
        let body = &exchanges[0].response.as_ref().unwrap().body;
        for real in &found {
            assert!(!body.contains(real.as_str()), "{body}");
        }
        let (id, secret, token) = REPLAY_ASSUMED_CREDENTIALS;
        assert!(body.contains(id) && body.contains(secret) && body.contains(token));
        assert!(body.contains("<Expiration>2026-12-02T05:00:00Z</Expiration>"));
        assert_eq!(
            exchanges[1].response.as_ref().unwrap().body,
            "<AccessKeyId>kept</AccessKeyId>"
        );
    }
}
