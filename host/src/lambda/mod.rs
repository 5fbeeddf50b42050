//! certwatch as an AWS Lambda custom runtime (`provided.al2023`): the binary, named
//! `bootstrap`, loads the component once at init and handles each invocation in a fresh
//! instance, within what is left of the invocation's time.

mod client;

pub use client::{ErrorReport, Invocation, RuntimeApi};

use crate::credentials::CredentialSource;
use crate::outcome::{ErrorKind, Outcome};
use crate::runtime::Runtime;
use crate::setup::Live;
use certwatch_contract::settings;
use std::time::Duration;

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
        let outcome = handle(runtime, &invocation, &live).await;
        tracing::info!(request_id = %invocation.request_id, status = outcome.status(), "invocation handled");
        match &outcome {
            Outcome::Error(_) => {
                api.fail(&invocation.request_id, &error_report(&outcome))
                    .await?
            }
            _ => {
                api.respond(&invocation.request_id, crate::outcome::to_json(&outcome))
                    .await?
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
    let setup = match live.event().await {
        Ok(setup) => setup,
        Err(outcome) => {
            crate::metrics::emit(&outcome, crate::metrics::Sink::Stdout);
            return outcome;
        }
    };
    let mut setup = setup.within(
        invocation
            .remaining
            .map(|left| left.saturating_sub(REPORTING_MARGIN)),
    );
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
    let outcome = runtime.handle(event, setup).await;
    crate::metrics::emit(&outcome, crate::metrics::Sink::Stdout);
    outcome
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
