//! Recording: run an event live, keep what AWS answered, and turn it into a replay fixture that
//! holds no credential of any kind.

mod assumed;

use crate::fixture::{Fixture, Replay};
use crate::outcome::Outcome;
use crate::replay::replay;
use crate::runtime::Runtime;
use crate::setup::Live;
use anyhow::{Context as _, bail};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Runs `event` live as `live` sets it up, and writes the fixture to `dir`.
///
/// The component's clock is frozen at the start (to the second), so replaying with the same
/// "now" reproduces every request; the recorded requests are then re-signed with the replay
/// credentials, and the fixture is checked to replay exactly and to contain no secret.
pub async fn record(
    runtime: &Runtime,
    event: String,
    live: &Live,
    dir: &Path,
    description: String,
) -> anyhow::Result<Outcome> {
    let now_secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .context("the clock is before 1970")?
        .as_secs();
    let now = Duration::from_secs(now_secs);
    let log = Arc::new(Mutex::new(Vec::new()));
    let setup = match live.recording(now, log.clone()).await {
        Ok(setup) => setup,
        Err(outcome) => bail!("{}", crate::outcome::to_json(&outcome)),
    };
    // Whatever the credentials were, nothing of them may reach the fixture.
    let secrets: Vec<String> = setup.secrets().into_iter().map(str::to_owned).collect();
    let outcome = runtime.handle(&event, setup).await;

    let mut exchanges = log
        .lock()
        .map_err(|_| anyhow::anyhow!("the recording lock is poisoned"))?
        .clone();
    let mut secrets = secrets;
    secrets.extend(assumed::replace(&mut exchanges));
    let at = OffsetDateTime::from_unix_timestamp(now_secs as i64)?;
    let mut fixture = Fixture {
        dir: dir.to_owned(),
        event,
        replay: Replay {
            description,
            now: at.format(&Rfc3339)?,
            // With the account the process learned, which the replay cannot ask STS for.
            env: live
                .settings()
                .iter()
                .cloned()
                .chain(live.own_account().map(|account| {
                    (
                        certwatch_contract::settings::ACCOUNT_ID.to_owned(),
                        account.to_owned(),
                    )
                }))
                .collect(),
            exchanges,
        },
        outcome: Some(outcome.clone()),
    };
    // Re-sign with the replay credentials: the live signatures (and any session token) go.
    let blessed = replay(runtime, &mut fixture, true).await?;
    if !blessed.passed() {
        bail!(
            "the recording could not be re-signed: {}",
            blessed.problems.join("\n")
        );
    }
    fixture.outcome = Some(outcome.clone());
    let check = replay(runtime, &mut fixture, false).await?;
    if !check.passed() {
        bail!(
            "the recording does not replay as it ran live:\n{}",
            check.problems.join("\n")
        );
    }
    let written = serde_json::to_string(&fixture.replay)? + &fixture.event;
    if secrets
        .iter()
        .any(|secret| written.contains(secret.as_str()))
    {
        bail!("refusing to write a fixture that contains a credential");
    }
    fixture.save()?;
    Ok(outcome)
}
