//! The component's shell: the WIT export (`handle`, `check-configuration`), the
//! `wasi:http/incoming-handler` export for WASI HTTP platforms, and the [`Platform`] over WASI.

mod bindings;
mod incoming;
mod outgoing;

use crate::outcome;
use crate::responder;
use bindings::wit;
use outgoing::Wasi;

/// The component's `handler` export.
struct Component;

impl wit::Guest for Component {
    fn handle(event: String) -> Result<wit::Outcome, wit::Error> {
        to_wit(handle_event(&event))
    }

    fn identify() -> Result<String, wit::Error> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        wstd::runtime::block_on(responder::identify(&Wasi, &env)).map_err(Into::into)
    }

    fn check_configuration() -> Result<(), wit::Error> {
        // The same reading of the environment as an event's, so the component carries one copy
        // of the configuration code.
        let env: Vec<(String, String)> = std::env::vars().collect();
        crate::config::Config::from_pairs(&env)
            .map(drop)
            .map_err(|e| outcome::Failure::from(e).into())
    }
}

/// One event, with the configuration the environment gives.
fn handle_event(event: &str) -> outcome::Outcome {
    wstd::runtime::block_on(handle_event_async(event))
}

async fn handle_event_async(event: &str) -> outcome::Outcome {
    let env: Vec<(String, String)> = std::env::vars().collect();
    responder::handle(&Wasi, &env, event).await.into()
}

// The contract's types as the WIT records: the only place the component converts them.

impl From<outcome::PlannedRequest> for wit::PlannedRequest {
    fn from(p: outcome::PlannedRequest) -> Self {
        Self {
            operation: p.operation,
            url: p.url,
            body: p.body,
        }
    }
}

/// The outcome as the WIT's `result<outcome, error>`.
fn to_wit(o: outcome::Outcome) -> Result<wit::Outcome, wit::Error> {
    Ok(match o {
        outcome::Outcome::Handled(h) => wit::Outcome::Handled(wit::Handled {
            event_id: h.event_id,
            certificate: h.certificate.into(),
            decision: match h.decision {
                outcome::Decision::Expiring => wit::Decision::Expiring,
                outcome::Decision::NotExpiring => wit::Decision::NotExpiring,
                outcome::Decision::Resolved => wit::Decision::Resolved,
                outcome::Decision::ActionRequired => wit::Decision::ActionRequired,
                outcome::Decision::Excluded => wit::Decision::Excluded,
            },
            finding: h.finding.map(|f| wit::FindingImport {
                id: f.id,
                region: f.region,
                imported: f.imported,
            }),
            notifications: h.notifications.into_iter().map(Into::into).collect(),
            skipped: h.skipped.into_iter().map(Into::into).collect(),
            planned: h.planned.into_iter().map(Into::into).collect(),
            events: h.events.into_iter().map(Into::into).collect(),
        }),
        outcome::Outcome::Scanned(r) => wit::Outcome::Scanned(wit::ScanReport {
            event_id: r.event_id,
            regions: r.regions,
            certificates_seen: r.certificates_seen,
            excluded: r.excluded,
            expiring: r.expiring.into_iter().map(Into::into).collect(),
            findings_imported: r.findings_imported,
            findings_resolved: r.findings_resolved,
            notifications: r.notifications.into_iter().map(Into::into).collect(),
            failed: r
                .failed
                .into_iter()
                .map(|f| wit::FailedCertificate {
                    arn: f.arn,
                    message: f.message,
                })
                .collect(),
            skipped: r.skipped.into_iter().map(Into::into).collect(),
            planned: r.planned.into_iter().map(Into::into).collect(),
            certificates: r.certificates.into_iter().map(Into::into).collect(),
            accounts: r
                .accounts
                .into_iter()
                .map(|a| wit::AccountScan {
                    account: a.account,
                    name: a.name,
                    regions: a
                        .regions
                        .into_iter()
                        .map(|r| wit::RegionScan {
                            region: r.region,
                            certificates_seen: r.certificates_seen,
                            expiring: r.expiring,
                            failed: r.failed,
                        })
                        .collect(),
                    error: a.error,
                    queued_as: a.queued_as,
                })
                .collect(),
            events: r.events.into_iter().map(Into::into).collect(),
        }),
        outcome::Outcome::NotHandled(i) => wit::Outcome::NotHandled(wit::Ignored {
            event_id: i.event_id,
            source: i.source,
            detail_type: i.detail_type,
            reason: i.reason,
        }),
        outcome::Outcome::Error(failure) => return Err(failure.into()),
    })
}

impl From<outcome::Certificate> for wit::Certificate {
    fn from(c: outcome::Certificate) -> Self {
        wit::Certificate {
            arn: c.arn,
            domain: c.domain,
            not_after: c.not_after,
            days_left: c.days_left,
        }
    }
}

impl From<outcome::ScannedCertificate> for wit::ScannedCertificate {
    fn from(c: outcome::ScannedCertificate) -> Self {
        use outcome::ScanAction as Action;
        wit::ScannedCertificate {
            arn: c.arn,
            domain: c.domain,
            region: c.region,
            not_after: c.not_after,
            days_left: c.days_left,
            in_window: c.in_window,
            kind: c.kind,
            in_use: c.in_use,
            status: c.status,
            action: match c.action {
                Action::FindingRaised => wit::ScanAction::FindingRaised,
                Action::FindingResolved => wit::ScanAction::FindingResolved,
                Action::Excluded => wit::ScanAction::Excluded,
                Action::Failed => wit::ScanAction::Failed,
                Action::NoExpiry => wit::ScanAction::NoExpiry,
                Action::Nothing => wit::ScanAction::Nothing,
            },
            reason: c.reason,
        }
    }
}

impl From<outcome::Notification> for wit::Notification {
    fn from(n: outcome::Notification) -> Self {
        wit::Notification {
            topic_arn: n.topic_arn,
            message_id: n.message_id,
        }
    }
}

impl From<outcome::PutEvent> for wit::PutEvent {
    fn from(e: outcome::PutEvent) -> Self {
        wit::PutEvent {
            event_bus: e.event_bus,
            detail_type: e.detail_type,
            event_id: e.event_id,
        }
    }
}

impl From<outcome::Skipped> for wit::Skipped {
    fn from(s: outcome::Skipped) -> Self {
        let step = match s.step {
            outcome::Step::SecurityHub => wit::Step::SecurityHub,
            outcome::Step::Notification => wit::Step::Notification,
        };
        wit::Skipped {
            step,
            reason: s.reason,
        }
    }
}

impl From<outcome::Failure> for wit::Error {
    fn from(e: outcome::Failure) -> Self {
        use outcome::ErrorKind as Kind;
        wit::Error {
            kind: match e.kind {
                Kind::MalformedEvent => wit::ErrorKind::MalformedEvent,
                Kind::Configuration => wit::ErrorKind::Configuration,
                Kind::Aws => wit::ErrorKind::Aws,
                Kind::Refused => wit::ErrorKind::Refused,
                // The host's own kinds never come from the component; if one did, it would
                // be a failure to reach AWS.
                Kind::Transport
                | Kind::Input
                | Kind::Unauthorized
                | Kind::Credentials
                | Kind::Deadline
                | Kind::Trap => wit::ErrorKind::Transport,
            },
            message: e.message,
            operation: e.operation,
            code: e.code,
            status: e.http_status,
            retryable: e.retryable,
        }
    }
}
