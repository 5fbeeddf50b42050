//! certwatch as an AWS Lambda custom runtime (`provided.al2023`): the binary, named
//! `bootstrap`, loads the component once at init and handles each invocation in a fresh
//! instance, within what is left of the invocation's time. An SQS batch (the scan queue's) is
//! handled record by record and answered with the records that failed.

mod client;
mod sqs_batch;

pub use client::{ErrorReport, Invocation, RuntimeApi};

use crate::credentials::CredentialSource;
use crate::outcome::{ErrorKind, Outcome};
use crate::runtime::Runtime;
use crate::setup::Live;
use certwatch_contract::settings;
use sqs_batch::{Payload, Record};
use std::time::{Duration, Instant};

/// Time kept back from an invocation's deadline to report its outcome before Lambda stops it.
const REPORTING_MARGIN: Duration = Duration::from_millis(250);

/// Runs the Runtime API loop until the API fails. Bad configuration is reported as an init
/// error, as Lambda expects, and ends the loop. `vars` is the host's environment.
pub async fn run(
    runtime: &Runtime,
    api: &RuntimeApi,
    vars: &[(String, String)],
) -> anyhow::Result<()> {
    let found = match CredentialSource::discover().await {
        Ok(found) => found,
        Err(e) => {
            let report = ErrorReport {
                error_type: format!("certwatch.{}", ErrorKind::Credentials.pascal_name()),
                error_message: e.to_string(),
            };
            api.init_error(&report).await?;
            return Err(e.into());
        }
    };
    let live = Live::new(vars.iter().cloned(), found.source, found.region);
    let checked = match live.offline().await {
        Ok(setup) => runtime.check_configuration(setup).await,
        Err(outcome) => Err(outcome),
    };
    if let Err(outcome) = checked {
        let report = error_report(&outcome);
        api.init_error(&report).await?;
        anyhow::bail!("{}", report.error_message);
    }
    loop {
        let invocation = api.next().await?;
        let request_id = &invocation.request_id;
        match sqs_batch::payload(&invocation.event) {
            Payload::Event => {
                let outcome = handle(runtime, &invocation, &live).await;
                tracing::info!(%request_id, status = outcome.status(), "invocation handled");
                match &outcome {
                    Outcome::Error(_) => api.fail(request_id, &error_report(&outcome)).await?,
                    _ => {
                        api.respond(request_id, crate::outcome::to_json(&outcome))
                            .await?
                    }
                }
            }
            Payload::Batch(records) => {
                let response = handle_batch(runtime, &invocation, &live, &records).await;
                api.respond(request_id, response).await?
            }
            Payload::Unnamed(reason) => {
                tracing::warn!(%request_id, %reason, "SQS batch failed whole");
                let outcome = Outcome::failure(ErrorKind::MalformedEvent, reason, false);
                api.fail(request_id, &error_report(&outcome)).await?
            }
        }
    }
}

async fn handle(runtime: &Runtime, invocation: &Invocation, live: &Live) -> Outcome {
    let Ok(event) = std::str::from_utf8(&invocation.event) else {
        return Outcome::failure(
            ErrorKind::MalformedEvent,
            "the event is not UTF-8 text",
            false,
        );
    };
    let setup = match invocation_setup(invocation, live).await {
        Ok(setup) => setup,
        Err(outcome) => {
            crate::metrics::emit(&outcome, crate::metrics::Sink::Stdout);
            return outcome;
        }
    };
    let setup = setup.within(time_left(invocation, Instant::now()));
    let outcome = runtime.handle(event, setup).await;
    crate::metrics::emit(&outcome, crate::metrics::Sink::Stdout);
    outcome
}

/// Each record's body handled as one event, in order, each within what is left of the
/// invocation's time; the partial batch response names every record whose outcome is an error
/// (a body that is not an event included), so SQS delivers only those again.
async fn handle_batch(
    runtime: &Runtime,
    invocation: &Invocation,
    live: &Live,
    records: &[Record],
) -> String {
    let started = Instant::now();
    let request_id = &invocation.request_id;
    let setup = invocation_setup(invocation, live).await;
    if let Err(outcome) = &setup {
        crate::metrics::emit(outcome, crate::metrics::Sink::Stdout);
    }
    let mut failed = Vec::new();
    for record in records {
        let outcome = match (&setup, &record.body) {
            (Err(outcome), _) => outcome.clone(),
            (Ok(_), Err(reason)) => {
                Outcome::failure(ErrorKind::MalformedEvent, reason.clone(), false)
            }
            (Ok(setup), Ok(body)) => {
                let setup = setup.clone().within(time_left(invocation, started));
                let outcome = runtime.handle(body, setup).await;
                crate::metrics::emit(&outcome, crate::metrics::Sink::Stdout);
                outcome
            }
        };
        let message_id = &record.message_id;
        match &outcome {
            Outcome::Error(failure) => {
                tracing::warn!(%request_id, %message_id, kind = failure.kind.pascal_name(), error = %failure.message, "record failed: SQS delivers it again");
                failed.push(message_id.as_str());
            }
            _ => {
                tracing::info!(%request_id, %message_id, status = outcome.status(), "record handled")
            }
        }
    }
    tracing::info!(%request_id, records = records.len(), failed = failed.len(), "SQS batch handled");
    sqs_batch::batch_response(failed)
}

/// What is left of the invocation's time since `since`, less the margin kept for reporting.
fn time_left(invocation: &Invocation, since: Instant) -> Option<Duration> {
    invocation.remaining.map(|left| {
        left.saturating_sub(since.elapsed())
            .saturating_sub(REPORTING_MARGIN)
    })
}

/// One event's setup on Lambda: the live settings and credentials, the function's ARN as the
/// findings' generator and its account as certwatch's own, the trace header.
async fn invocation_setup(
    invocation: &Invocation,
    live: &Live,
) -> Result<crate::setup::EventSetup, Outcome> {
    let mut setup = live.event().await?;
    if let Some(arn) = &invocation.function_arn {
        setup = setup.with_env(settings::GENERATOR_ID, arn);
        // The function's own account, without a GetCallerIdentity, unless the settings say.
        if let Some(account) = crate::identity::lambda_function_account(arn)
            && !setup.env.iter().any(|(k, _)| k == settings::ACCOUNT_ID)
        {
            setup = setup.with_env(settings::ACCOUNT_ID, account);
        }
    }
    if let Some(trace) = &invocation.trace_id {
        setup = setup.with_env(settings::TRACE_ID, trace);
    }
    Ok(setup)
}

/// `certwatch.MalformedEvent`, `certwatch.Aws`, `certwatch.Deadline`, …: what Lambda records
/// as the function error's type.
pub fn error_report(outcome: &Outcome) -> ErrorReport {
    match outcome {
        Outcome::Error(failure) => ErrorReport {
            error_type: format!("certwatch.{}", failure.kind.pascal_name()),
            error_message: failure.message.clone(),
        },
        other => ErrorReport {
            error_type: "certwatch.Unexpected".into(),
            error_message: crate::outcome::to_json(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_name_the_kind() {
        let outcome = Outcome::failure(ErrorKind::MalformedEvent, "no certificate", false);
        let report = error_report(&outcome);
        assert_eq!(report.error_type, "certwatch.MalformedEvent");
        assert_eq!(report.error_message, "no certificate");
    }
}
