//! The event a scan spread over SQS (`SCAN_QUEUE_URL`) sends for each account, one message
//! each: certwatch's own, in EventBridge's envelope, so the function the queue triggers handles
//! it as any other event and scans that one account.

use crate::account::AccountId;
use crate::event::{Envelope, EventError};
use serde::Deserialize;

/// The `source` of certwatch's own events.
pub const CERTWATCH_SOURCE: &str = "certwatch";
/// The `detail-type` of one account's part of a scan.
pub const ACCOUNT_SCAN: &str = "Account Scan";

/// The account a scan message names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountToScan {
    /// Whose certificates are scanned, with its member role unless it is certwatch's own.
    pub account: AccountId,
    /// Its name, where Organizations gave one: the digest shows it.
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct Detail {
    account: String,
    #[serde(default)]
    name: Option<String>,
}

/// The message for `target`'s part of the scan `schedule` started: its id is the schedule's
/// and the account's, its time and region the schedule's.
pub fn message(schedule: &Envelope, target: &AccountToScan) -> String {
    let mut detail = serde_json::json!({ "account": target.account.as_str() });
    if let Some(name) = &target.name {
        detail["name"] = name.as_str().into();
    }
    crate::aws::json_text(&serde_json::json!({
        "version": "0",
        "id": format!("{}/{}", schedule.id, target.account),
        "detail-type": ACCOUNT_SCAN,
        "source": CERTWATCH_SOURCE,
        "account": target.account.as_str(),
        "time": schedule.time,
        "region": schedule.region,
        "resources": [],
        "detail": detail,
    }))
}

/// The account an "Account Scan" event names, checked before it goes into any request: 12
/// digits, and the envelope's own account where it gives one.
pub(crate) fn account_to_scan(envelope: &Envelope) -> Result<AccountToScan, EventError> {
    let bad = |message: String| EventError::BadDetail {
        detail_type: ACCOUNT_SCAN.to_owned(),
        message,
    };
    let detail = Detail::deserialize(&envelope.detail).map_err(|e| bad(e.to_string()))?;
    let account = AccountId::parse(&detail.account).map_err(bad)?;
    if let Some(other) = envelope
        .account
        .as_deref()
        .filter(|a| *a != account.as_str())
    {
        let shown: String = other.chars().take(40).collect();
        return Err(bad(format!(
            "it names account {account}, but comes from {shown:?}"
        )));
    }
    Ok(AccountToScan {
        account,
        name: detail.name.filter(|n| !n.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    const SCHEDULE: &str = r#"{"version":"0","id":"89d1a02d","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-29T12:00:00Z","region":"us-east-1","resources":[],"detail":{}}"#;

    fn schedule() -> Envelope {
        Event::parse(SCHEDULE).unwrap().envelope().clone()
    }

    #[test]
    fn a_message_is_an_event_that_scans_its_account() {
        let target = AccountToScan {
            account: AccountId::parse("111111111111").unwrap(),
            name: Some("payments".into()),
        };
        let text = message(&schedule(), &target);
        let sent: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(sent["id"], "89d1a02d/111111111111");
        assert_eq!(sent["time"], "2026-11-29T12:00:00Z");
        assert_eq!(sent["region"], "us-east-1");
        assert_eq!(sent["account"], "111111111111");
        let Event::AccountScan {
            envelope,
            target: read,
        } = Event::parse(&text).unwrap()
        else {
            panic!("not an account scan: {text}");
        };
        assert_eq!(read, target);
        assert_eq!(envelope.id, "89d1a02d/111111111111");

        let unnamed = AccountToScan {
            name: None,
            ..target
        };
        let text = message(&schedule(), &unnamed);
        assert!(!text.contains("\"name\""), "{text}");
        let Event::AccountScan { target: read, .. } = Event::parse(&text).unwrap() else {
            panic!("not an account scan: {text}");
        };
        assert_eq!(read.name, None);
    }

    #[test]
    fn its_account_is_checked() {
        let event = |account: &str, detail: &str| {
            format!(
                r#"{{"id":"x","detail-type":"Account Scan","source":"certwatch","account":"{account}","detail":{detail}}}"#
            )
        };
        for (text, expected) in [
            (event("111111111111", "{}"), "missing field `account`"),
            (
                event("111111111111", r#"{"account":"1111:role/x"}"#),
                "is not a 12-digit account id",
            ),
            (
                event("222222222222", r#"{"account":"111111111111"}"#),
                "comes from \"222222222222\"",
            ),
        ] {
            let error = Event::parse(&text).unwrap_err().to_string();
            assert!(
                error.contains("Account Scan event's detail is malformed")
                    && error.contains(expected),
                "{error}"
            );
        }
    }
}
