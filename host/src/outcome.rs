//! The one outcome every event ends in (the contract's), from the component's WIT result, and
//! as the JSON that `run` prints, `serve` answers and the fixtures keep.

use crate::bindings::{progress, wit};
pub use certwatch_contract::outcome::*;
pub use certwatch_contract::{ErrorKind, Failure, ScanProgress};

/// `outcome` as pretty JSON, the shape every command prints.
pub fn to_json(outcome: &Outcome) -> String {
    // The outcome's types serialise without fail: their maps' keys are strings.
    serde_json::to_string_pretty(outcome).unwrap_or_default()
}

/// What the component's `handle` returned, as the contract's outcome: the only place the host
/// converts the WIT's records.
pub fn from_wit(result: Result<wit::Outcome, wit::Error>) -> Outcome {
    match result {
        Ok(wit::Outcome::Handled(h)) => Outcome::Handled(Handled {
            event_id: h.event_id,
            certificate: certificate(h.certificate),
            decision: match h.decision {
                wit::Decision::Expiring => Decision::Expiring,
                wit::Decision::NotExpiring => Decision::NotExpiring,
                wit::Decision::Resolved => Decision::Resolved,
                wit::Decision::ActionRequired => Decision::ActionRequired,
                wit::Decision::Excluded => Decision::Excluded,
            },
            finding: h.finding.map(|f| FindingImport {
                id: f.id,
                region: f.region,
                imported: f.imported,
            }),
            notifications: h.notifications.into_iter().map(notification).collect(),
            skipped: h.skipped.into_iter().map(skipped).collect(),
            planned: h.planned.into_iter().map(planned).collect(),
            events: h.events.into_iter().map(put_event).collect(),
        }),
        Ok(wit::Outcome::Scanned(r)) => Outcome::Scanned(ScanReport {
            event_id: r.event_id,
            regions: r.regions,
            certificates_seen: r.certificates_seen,
            excluded: r.excluded,
            expiring: r.expiring.into_iter().map(certificate).collect(),
            findings_imported: r.findings_imported,
            findings_resolved: r.findings_resolved,
            notifications: r.notifications.into_iter().map(notification).collect(),
            failed: r
                .failed
                .into_iter()
                .map(|f| FailedCertificate {
                    arn: f.arn,
                    message: f.message,
                })
                .collect(),
            skipped: r.skipped.into_iter().map(skipped).collect(),
            planned: r.planned.into_iter().map(planned).collect(),
            certificates: r.certificates.into_iter().map(scanned).collect(),
            accounts: r.accounts.into_iter().map(account_scan).collect(),
            events: r.events.into_iter().map(put_event).collect(),
        }),
        Ok(wit::Outcome::NotHandled(i)) => Outcome::NotHandled(Ignored {
            event_id: i.event_id,
            source: i.source,
            detail_type: i.detail_type,
            reason: i.reason,
        }),
        Err(e) => Outcome::Error(failure(e)),
    }
}

/// The component's error as the contract's failure.
pub fn failure(e: wit::Error) -> Failure {
    Failure {
        kind: match e.kind {
            wit::ErrorKind::MalformedEvent => ErrorKind::MalformedEvent,
            wit::ErrorKind::Configuration => ErrorKind::Configuration,
            wit::ErrorKind::Aws => ErrorKind::Aws,
            wit::ErrorKind::Transport => ErrorKind::Transport,
            wit::ErrorKind::Refused => ErrorKind::Refused,
        },
        message: e.message,
        operation: e.operation,
        code: e.code,
        http_status: e.status,
        retryable: e.retryable,
    }
}

/// What the component's `progress` import was told, as the contract's progress.
pub fn progress(p: progress::ScanProgress) -> ScanProgress {
    ScanProgress {
        regions_done: p.regions_done,
        regions_total: p.regions_total,
        certificates_seen: p.certificates_seen,
    }
}

fn account_scan(a: wit::AccountScan) -> certwatch_contract::AccountScan {
    certwatch_contract::AccountScan {
        account: a.account,
        name: a.name,
        regions: a
            .regions
            .into_iter()
            .map(|r| certwatch_contract::RegionScan {
                region: r.region,
                certificates_seen: r.certificates_seen,
                expiring: r.expiring,
                failed: r.failed,
            })
            .collect(),
        error: a.error,
        queued_as: a.queued_as,
    }
}

fn scanned(c: wit::ScannedCertificate) -> ScannedCertificate {
    ScannedCertificate {
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
            wit::ScanAction::FindingRaised => ScanAction::FindingRaised,
            wit::ScanAction::FindingResolved => ScanAction::FindingResolved,
            wit::ScanAction::Excluded => ScanAction::Excluded,
            wit::ScanAction::Failed => ScanAction::Failed,
            wit::ScanAction::NoExpiry => ScanAction::NoExpiry,
            wit::ScanAction::Nothing => ScanAction::Nothing,
        },
        reason: c.reason,
    }
}

fn certificate(c: wit::Certificate) -> Certificate {
    Certificate {
        arn: c.arn,
        domain: c.domain,
        not_after: c.not_after,
        days_left: c.days_left,
    }
}

fn notification(n: wit::Notification) -> Notification {
    Notification {
        topic_arn: n.topic_arn,
        message_id: n.message_id,
    }
}

fn skipped(s: wit::Skipped) -> Skipped {
    Skipped {
        step: match s.step {
            wit::Step::SecurityHub => Step::SecurityHub,
            wit::Step::Notification => Step::Notification,
        },
        reason: s.reason,
    }
}

fn planned(p: wit::PlannedRequest) -> PlannedRequest {
    PlannedRequest {
        operation: p.operation,
        url: p.url,
        body: p.body,
    }
}

fn put_event(e: wit::PutEvent) -> PutEvent {
    PutEvent {
        event_bus: e.event_bus,
        detail_type: e.detail_type,
        event_id: e.event_id,
    }
}
