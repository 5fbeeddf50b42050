//! Deterministic replay: a fixture's event, run offline against its recorded exchanges with the
//! clock, randomness and credentials pinned, must send the recorded requests to the byte and
//! end in the recorded outcome.

use crate::fixture::{Fixture, diff, render};
use crate::outbound::Cassette;
use crate::outcome::Outcome;
use crate::runtime::Runtime;
use anyhow::{Context as _, bail};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// What replaying one fixture showed.
pub struct CaseReport {
    /// The fixture's name: its folder.
    pub name: String,
    /// The outcome the event ended in this time.
    pub outcome: Outcome,
    /// Everything that differs from the recording; empty when the case passes.
    pub problems: Vec<String>,
    /// The exchanges as they happened, in the recording's order.
    pub exchanges: Vec<crate::fixture::Exchange>,
}

impl CaseReport {
    /// Whether the replay matched the recording: no problems.
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
    let cassette = Arc::new(Mutex::new(Cassette::new(
        fixture.replay.exchanges.clone(),
        bless,
    )));
    let setup = crate::setup::replay(fixture.replay.env.clone(), now, cassette.clone());
    let outcome = runtime.handle(&fixture.event, setup).await;

    let cassette = cassette
        .lock()
        .map_err(|_| anyhow::anyhow!("the cassette lock is poisoned"))?;
    let mut problems = cassette.mismatches.clone();
    for unused in cassette.unused() {
        problems.push(format!(
            "the recorded request was never sent:\n{}",
            render(&unused.request)
        ));
    }
    match &fixture.outcome {
        _ if bless => {}
        Some(expected) if *expected != outcome => problems.push(format!(
            "the outcome differs from {}:\n{}",
            crate::fixture::OUTCOME_FILE,
            diff(
                &crate::outcome::to_json(expected),
                &crate::outcome::to_json(&outcome)
            )
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

/// Replays every fixture in `paths` (folders of fixtures, or fixtures), printing a line for
/// each and a closing count; with `show`, each one's exchanges and outcome; with `bless`, saves
/// what passed as the new expectations. Whether every fixture passed.
pub async fn replay_all(
    runtime: &Runtime,
    paths: &[PathBuf],
    show: bool,
    bless: bool,
) -> anyhow::Result<bool> {
    let mut dirs = Vec::new();
    for path in paths {
        dirs.extend(Fixture::discover(path)?);
    }
    if dirs.is_empty() {
        bail!(
            "no fixtures found in {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let (mut passed, mut failed) = (0, 0);
    for dir in dirs {
        let mut fixture = Fixture::load(&dir)?;
        let report = replay(runtime, &mut fixture, bless).await?;
        // A failed bless would keep half-matched exchanges: the fixture stays as it was.
        if bless && report.passed() {
            fixture.save()?;
        }
        print_report(&report, &fixture, show);
        if bless && !report.passed() {
            println!("     {} not saved: the bless failed", report.name);
        }
        if report.passed() {
            passed += 1
        } else {
            failed += 1
        }
    }
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

fn print_report(report: &CaseReport, fixture: &Fixture, show: bool) {
    let verdict = if report.passed() { "ok  " } else { "FAIL" };
    println!("{verdict} {}  {}", report.name, summary(&report.outcome));
    if show {
        if !fixture.replay.description.is_empty() {
            println!("     {}", fixture.replay.description);
        }
        for exchange in &report.exchanges {
            println!(
                "\n--> {}",
                render(&exchange.request).trim_end().replace('\n', "\n    ")
            );
            match (&exchange.response, &exchange.failure) {
                (Some(response), _) => println!(
                    "<-- HTTP {}\n    {}",
                    response.status,
                    response.body.trim_end().replace('\n', "\n    ")
                ),
                (None, failure) => println!(
                    "<-- no response: {}",
                    failure.as_deref().unwrap_or("nothing recorded")
                ),
            }
        }
        println!("\noutcome:\n{}\n", crate::outcome::to_json(&report.outcome));
    }
    for problem in &report.problems {
        println!("     {}", problem.replace('\n', "\n     "));
    }
}

fn summary(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Handled(h) => {
            let mut parts = vec![format!(
                "{} ({} days left)",
                h.decision, h.certificate.days_left
            )];
            if h.finding.is_some() {
                parts.push("finding imported".into());
            }
            match h.notifications.len() {
                0 => {}
                1 => parts.push("notification sent".into()),
                n => parts.push(format!("{n} notifications sent")),
            }
            parts.extend(h.skipped.iter().map(|s| format!("{} skipped", s.step)));
            parts.join(", ")
        }
        Outcome::Scanned(r) => {
            let mut parts = vec![format!(
                "scanned {}: {} certificates, {} left out, {} expiring, {} findings imported, {} resolved, {} messages",
                r.regions.join(", "),
                r.certificates_seen,
                r.excluded,
                r.expiring.len(),
                r.findings_imported,
                r.findings_resolved,
                r.notifications.len()
            )];
            if !r.failed.is_empty() {
                parts.push(format!("{} could not be checked", r.failed.len()));
            }
            parts.extend(r.skipped.iter().map(|s| format!("{} skipped", s.step)));
            parts.join(", ")
        }
        Outcome::NotHandled(i) => format!("not handled: {}", i.reason),
        Outcome::Error(f) => format!("error ({}): {}", f.kind, f.message),
    }
}
