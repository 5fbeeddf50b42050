//! The HTTP status of an outcome: one mapping, for `certwatch serve` and the component's own
//! `wasi:http/incoming-handler` alike.

use crate::failure::ErrorKind;
use crate::outcome::Outcome;

/// 200 when handled (or deliberately not), 400 for an event that will never work, 401 without
/// the API key, 500 when certwatch itself cannot work (its configuration, its policy, the
/// component), 503 for a failure a retry may mend, 502 for one it will not. Senders such as
/// EventBridge API destinations retry every 5xx.
pub fn http_status(outcome: &Outcome) -> u16 {
    let Outcome::Error(failure) = outcome else {
        return 200;
    };
    match failure.kind {
        ErrorKind::MalformedEvent | ErrorKind::Input => 400,
        ErrorKind::Unauthorized => 401,
        ErrorKind::Configuration | ErrorKind::Refused | ErrorKind::Trap => 500,
        ErrorKind::Aws | ErrorKind::Transport | ErrorKind::Deadline | ErrorKind::Credentials
            if failure.retryable =>
        {
            503
        }
        ErrorKind::Aws | ErrorKind::Transport | ErrorKind::Deadline | ErrorKind::Credentials => 502,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::failure::Failure;

    fn status(kind: ErrorKind, retryable: bool) -> u16 {
        http_status(&Outcome::failure(kind, "x", retryable))
    }

    #[test]
    fn every_kind_has_its_status() {
        assert_eq!(status(ErrorKind::MalformedEvent, false), 400);
        assert_eq!(status(ErrorKind::Input, false), 400);
        assert_eq!(status(ErrorKind::Unauthorized, false), 401);
        assert_eq!(status(ErrorKind::Configuration, false), 500);
        assert_eq!(status(ErrorKind::Refused, false), 500);
        assert_eq!(status(ErrorKind::Trap, true), 500);
        assert_eq!(status(ErrorKind::Aws, true), 503);
        assert_eq!(status(ErrorKind::Transport, true), 503);
        assert_eq!(status(ErrorKind::Deadline, true), 503);
        assert_eq!(status(ErrorKind::Credentials, true), 503);
        assert_eq!(status(ErrorKind::Aws, false), 502);
    }

    /// The names written by hand (`name`, `status`, `Display`) are the ones serde writes.
    #[test]
    fn hand_written_names_are_the_json_names() {
        for kind in [
            ErrorKind::MalformedEvent,
            ErrorKind::Configuration,
            ErrorKind::Aws,
            ErrorKind::Transport,
            ErrorKind::Refused,
            ErrorKind::Input,
            ErrorKind::Unauthorized,
            ErrorKind::Credentials,
            ErrorKind::Deadline,
            ErrorKind::Trap,
        ] {
            assert_eq!(json(&kind), kind.name());
            assert_eq!(
                kind.pascal_name().to_ascii_lowercase(),
                kind.name().replace('-', "")
            );
        }
        use crate::{Decision, Step};
        for decision in [
            Decision::Expiring,
            Decision::NotExpiring,
            Decision::Resolved,
            Decision::ActionRequired,
            Decision::Excluded,
        ] {
            assert_eq!(json(&decision), decision.name());
        }
        for step in [Step::SecurityHub, Step::Notification] {
            assert_eq!(json(&step), step.to_string());
        }
        let error = Outcome::failure(ErrorKind::Aws, "x", false);
        let written = serde_json::to_value(&error).unwrap();
        assert_eq!(written["status"], error.status());
    }

    /// The JSON string serde writes for `value`.
    fn json<T: serde::Serialize>(value: &T) -> String {
        serde_json::to_value(value)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    #[test]
    fn outcomes_other_than_errors_are_200() {
        let ignored = Outcome::NotHandled(crate::Ignored {
            event_id: "e".into(),
            source: "aws.ec2".into(),
            detail_type: "x".into(),
            reason: "not ACM".into(),
        });
        assert_eq!(http_status(&ignored), 200);
        let _ = Failure::new(ErrorKind::Aws, "unused");
    }
}
