//! What `certwatch scan` hands the component: the scheduled event the daily schedule would send,
//! built here, and the settings its flags stand for on top of the environment's.

use crate::setup::EventSetup;
use certwatch_contract::settings;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An EventBridge schedule's event at `now`. It names neither account nor region: the
/// component scans `SCAN_REGIONS`, else the configured region, as for any schedule whose
/// event names none, and looks up the open findings of every account (resolving only those of
/// accounts whose certificates it listed).
pub fn scheduled_event(now: OffsetDateTime) -> String {
    serde_json::json!({
        "version": "0",
        "id": format!("certwatch-scan-{}", now.unix_timestamp()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "time": now.format(&Rfc3339).unwrap_or_default(),
        "resources": [],
        "detail": {},
    })
    .to_string()
}

/// `setup` with what the flags say: the list of certificates always (only `scan` asks for it),
/// `DRY_RUN` with `--dry-run`, `SCAN_REGIONS` with `--regions`.
pub fn with_flags(mut setup: EventSetup, regions: &[String], dry_run: bool) -> EventSetup {
    set(&mut setup.env, settings::SCAN_LIST, "true");
    if dry_run {
        set(&mut setup.env, settings::DRY_RUN, "true");
    }
    if !regions.is_empty() {
        set(&mut setup.env, settings::SCAN_REGIONS, &regions.join(","));
    }
    setup
}

/// Whether the component will run dry: `DRY_RUN` set true, by the environment or the flag.
pub fn is_dry_run(setup: &EventSetup) -> bool {
    setup.env.iter().any(|(name, value)| {
        name == settings::DRY_RUN
            && matches!(
                value.trim().to_ascii_lowercase().as_str(),
                "true" | "1" | "yes"
            )
    })
}

/// `name` set to `value`, in place of any value the environment gave it.
fn set(env: &mut Vec<(String, String)>, name: &str, value: &str) {
    env.retain(|(k, _)| k != name);
    env.push((name.to_owned(), value.to_owned()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::Route;
    use crate::sandbox::Determinism;

    fn setup(env: &[(&str, &str)]) -> EventSetup {
        EventSetup {
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            determinism: Determinism::Real,
            route: Route::Refuse,
            deadline: None,
            own_account: None,
        }
    }

    fn value<'a>(setup: &'a EventSetup, name: &str) -> Vec<&'a str> {
        setup
            .env
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    #[test]
    fn the_flags_win_over_the_environment_and_the_list_is_always_asked_for() {
        let given = setup(&[("SCAN_REGIONS", "eu-west-1"), ("DRY_RUN", "false")]);
        assert!(!is_dry_run(&given));
        let regions = ["us-east-1".to_owned(), "us-west-2".to_owned()];
        let flagged = with_flags(given, &regions, true);
        assert_eq!(value(&flagged, "SCAN_REGIONS"), ["us-east-1,us-west-2"]);
        assert_eq!(value(&flagged, "DRY_RUN"), ["true"]);
        assert_eq!(value(&flagged, settings::SCAN_LIST), ["true"]);
        assert!(is_dry_run(&flagged));
    }

    #[test]
    fn without_flags_the_environment_stands() {
        let flagged = with_flags(
            setup(&[("SCAN_REGIONS", "eu-west-1"), ("DRY_RUN", "YES")]),
            &[],
            false,
        );
        assert_eq!(value(&flagged, "SCAN_REGIONS"), ["eu-west-1"]);
        assert!(is_dry_run(&flagged));
    }

    #[test]
    fn the_event_is_a_schedules() {
        let now = OffsetDateTime::from_unix_timestamp(1_796_000_000).unwrap();
        let event: serde_json::Value = serde_json::from_str(&scheduled_event(now)).unwrap();
        assert_eq!(event["source"], "aws.events");
        assert_eq!(event["detail-type"], "Scheduled Event");
        assert_eq!(event["id"], "certwatch-scan-1796000000");
        assert!(event.get("account").is_none() && event.get("region").is_none());
    }
}
