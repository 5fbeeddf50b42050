//! certwatch as an AWS Lambda custom runtime (`provided.al2023`): the binary, named
//! `bootstrap`, loads the component once at init and handles each invocation in a fresh
//! instance, within what is left of the invocation's time.

mod client;

pub use client::{ErrorReport, Invocation, RuntimeApi};

use crate::environment::Credentials;
use crate::outbound::Route;
use crate::outcome::Outcome;
use crate::policy::OutboundPolicy;
use crate::runtime::{EventSetup, Runtime};
use crate::sandbox::Determinism;
use std::sync::Arc;
use std::time::Duration;

/// Time kept back from an invocation's deadline to report its outcome before Lambda stops it.
const REPORTING_MARGIN: Duration = Duration::from_millis(250);

/// Runs the Runtime API loop until the API fails. Bad configuration is reported as an init
/// error, as Lambda expects, and ends the loop.
pub async fn run(
    runtime: &Runtime,
    api: &RuntimeApi,
    settings: Vec<(String, String)>,
) -> anyhow::Result<()> {
    let credentials = match Credentials::resolve(|k| std::env::var(k).ok()) {
        Ok(credentials) => credentials,
        Err(e) => {
            let report = ErrorReport {
                error_type: "certwatch.Configuration".into(),
                error_message: format!("{e:#}"),
            };
            api.init_error(&report).await?;
            return Err(e);
        }
    };
    let mut base_env = settings.clone();
    base_env.extend(credentials.to_env());
    if let Err(outcome) = runtime.check_configuration(base_env.clone()).await {
        let report = error_report(&outcome);
        api.init_error(&report).await?;
        anyhow::bail!("{}", report.error_message);
    }
    loop {
        let invocation = api.next().await?;
        let outcome = handle(runtime, &invocation, &settings, &base_env).await;
        tracing::info!(request_id = %invocation.request_id, status = status_of(&outcome), "invocation handled");
        match &outcome {
            Outcome::Error(_) => {
                api.fail(&invocation.request_id, &error_report(&outcome))
                    .await?
            }
            _ => {
                api.respond(&invocation.request_id, outcome.to_pretty_json())
                    .await?
            }
        }
    }
}

async fn handle(
    runtime: &Runtime,
    invocation: &Invocation,
    settings: &[(String, String)],
    base_env: &[(String, String)],
) -> Outcome {
    let mut env = base_env.to_vec();
    if let Some(arn) = &invocation.function_arn {
        env.push(("CERTWATCH_GENERATOR_ID".into(), arn.clone()));
    }
    if let Some(trace) = &invocation.trace_id {
        env.push(("_X_AMZN_TRACE_ID".into(), trace.clone()));
    }
    let Ok(event) = std::str::from_utf8(&invocation.event) else {
        return Outcome::failure("malformed-event", "the event is not UTF-8 text", false);
    };
    let policy = OutboundPolicy::for_event(event, settings);
    let deadline = invocation
        .remaining
        .map(|left| left.saturating_sub(REPORTING_MARGIN));
    let setup = EventSetup {
        env,
        determinism: Determinism::Real,
        route: Route::Live(Arc::new(policy)),
        deadline,
    };
    let outcome = runtime.handle(event, setup).await;
    crate::metrics::emit(&outcome, crate::metrics::Sink::Stdout);
    outcome
}

/// `certwatch.MalformedEvent`, `certwatch.Aws`, `certwatch.Deadline`, …: what Lambda records
/// as the function error's type.
pub fn error_report(outcome: &Outcome) -> ErrorReport {
    match outcome {
        Outcome::Error(failure) => ErrorReport {
            error_type: format!("certwatch.{}", pascal_case(&failure.kind)),
            error_message: failure.message.clone(),
        },
        other => ErrorReport {
            error_type: "certwatch.Unexpected".into(),
            error_message: other.to_pretty_json(),
        },
    }
}

fn status_of(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Handled(_) => "handled",
        Outcome::Scanned(_) => "scanned",
        Outcome::NotHandled(_) => "not-handled",
        Outcome::Error(_) => "error",
    }
}

fn pascal_case(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|word| {
            let mut chars = word.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_types_name_the_kind() {
        let outcome = Outcome::failure("malformed-event", "no certificate", false);
        let report = error_report(&outcome);
        assert_eq!(report.error_type, "certwatch.MalformedEvent");
        assert_eq!(report.error_message, "no certificate");
        assert_eq!(pascal_case("aws"), "Aws");
    }
}
