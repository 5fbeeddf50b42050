//! Deterministic replay: a fixture's event, run offline against its recorded exchanges with the
//! clock, randomness and credentials pinned, must send the recorded requests to the byte and
//! end in the recorded outcome.

use crate::environment::{self, replay_credentials};
use crate::fixture::{Fixture, diff};
use crate::outbound::{Cassette, Route};
use crate::outcome::Outcome;
use crate::runtime::{EventSetup, Runtime};
use crate::sandbox::Determinism;
use anyhow::Context as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What replaying one fixture showed.
pub struct CaseReport {
    pub name: String,
    pub outcome: Outcome,
    /// Everything that differs from the recording; empty when the case passes.
    pub problems: Vec<String>,
    /// The exchanges as they happened, in the recording's order.
    pub exchanges: Vec<crate::fixture::Exchange>,
}

impl CaseReport {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The pinned "now" of a fixture, as a duration since the epoch.
pub fn parse_now(text: &str) -> anyhow::Result<Duration> {
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .with_context(|| format!("\"now\" is not RFC 3339: {text:?}"))?;
    let nanos = u64::try_from(at.unix_timestamp_nanos()).context("\"now\" is before 1970")?;
    Ok(Duration::from_nanos(nanos))
}

/// Replays `fixture`. With `bless`, the component's requests and outcome become the fixture's
/// new expectations instead of being checked (the caller saves them).
pub async fn replay(
    runtime: &Runtime,
    fixture: &mut Fixture,
    bless: bool,
) -> anyhow::Result<CaseReport> {
    let now = parse_now(&fixture.replay.now)?;
    let mut env = environment::settings(fixture.replay.env.clone());
    env.extend(replay_credentials().to_env());
    let cassette = Arc::new(Mutex::new(Cassette::new(
        fixture.replay.exchanges.clone(),
        bless,
    )));
    let setup = EventSetup {
        env,
        determinism: Determinism::Pinned { now },
        route: Route::Replay(cassette.clone()),
        deadline: None,
    };
    let outcome = runtime.handle(&fixture.event, setup).await;

    let cassette = cassette
        .lock()
        .map_err(|_| anyhow::anyhow!("the cassette lock is poisoned"))?;
    let mut problems = cassette.mismatches.clone();
    for unused in cassette.unused() {
        problems.push(format!(
            "the recorded request was never sent:\n{}",
            unused.request.render()
        ));
    }
    match &fixture.outcome {
        _ if bless => {}
        Some(expected) if *expected != outcome => problems.push(format!(
            "the outcome differs from {}:\n{}",
            crate::fixture::OUTCOME_FILE,
            diff(&expected.to_pretty_json(), &outcome.to_pretty_json())
        )),
        Some(_) => {}
        None => problems.push(format!(
            "there is no {} to compare the outcome with",
            crate::fixture::OUTCOME_FILE
        )),
    }
    let exchanges = cassette.exchanges.clone();
    drop(cassette);
    if bless {
        fixture.replay.exchanges = exchanges.clone();
        fixture.outcome = Some(outcome.clone());
    }
    Ok(CaseReport {
        name: fixture.name(),
        outcome,
        problems,
        exchanges,
    })
}
