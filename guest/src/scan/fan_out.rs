//! A scan spread over SQS (`SCAN_QUEUE_URL`), for an organization whose scan would not fit one
//! invocation: the schedule's scan only lists the accounts and sends one message per account
//! (an "Account Scan" event, ten a `SendMessageBatch`); the function the queue triggers scans
//! the one account each message names and publishes that account's part of the digest.

use super::accounts::{accounts_to_scan, scan_targets};
use crate::account::Accounts;
use crate::account_scan_event::{self, AccountToScan};
use crate::aws::call::{Caller, Platform};
use crate::aws::retry::RetryPolicy;
use crate::aws::{CallError, Operation, sqs};
use crate::config::{Config, Service};
use crate::event::Envelope;
use crate::organization::{self, ScanQueue, own_account};
use crate::outcome::*;
use crate::partition::Partition;
use crate::responder::Responder;
use certwatch_contract::AccountScan;
use certwatch_contract::settings;
use std::collections::BTreeMap;

/// Sends one message per account `SCAN_ACCOUNTS` names (certwatch's own when unset) to
/// `queue`. The outcome lists each account with its message's id, or why it was not queued
/// (a message SQS refused, for its own fault even after the retries); a call that fails as a
/// whole (the queue missing, access denied) fails the scan.
pub(crate) async fn queue_accounts<P: Platform>(
    platform: &P,
    config: &Config,
    envelope: &Envelope,
    queue: &ScanQueue,
) -> Result<ScanReport, Failure> {
    let own = Responder::own(platform, config);
    let regions = own.scan_regions(envelope)?;
    let targets = match &config.organization.scan_accounts {
        Some(accounts) => {
            accounts_to_scan(&own, accounts, Partition::for_region(&regions[0])).await?
        }
        None => vec![AccountToScan {
            account: own_account(config, settings::SCAN_QUEUE_URL)?.clone(),
            name: None,
        }],
    };
    let region = queue
        .region
        .as_deref()
        .or(config.region.as_deref())
        .unwrap_or(&regions[0]);
    let endpoint = own.endpoint_in(Service::Sqs, Partition::for_region(region), region);
    let mut accounts = Vec::with_capacity(targets.len());
    for batch in targets.chunks(sqs::MAX_BATCH_ENTRIES) {
        let fates = send(&own.caller, &endpoint, region, queue, envelope, batch)
            .await
            .map_err(|failure| Failure {
                message: format!(
                    "{}; {} of {} accounts were queued before",
                    failure.message,
                    accounts
                        .iter()
                        .filter(|a: &&AccountScan| a.queued_as.is_some())
                        .count(),
                    targets.len()
                ),
                ..failure
            })?;
        accounts.extend(batch.iter().zip(fates).map(|(target, fate)| {
            let (queued_as, error) = match fate {
                Ok(message_id) => (Some(message_id), None),
                Err(error) => (None, Some(format!("not queued: {error}"))),
            };
            AccountScan {
                account: target.account.to_string(),
                name: target.name.clone(),
                regions: Vec::new(),
                error,
                queued_as,
            }
        }));
    }
    Ok(ScanReport {
        planned: own.take_planned(),
        accounts,
        ..ScanReport::new(&envelope.id, &regions)
    })
}

/// One batch's messages sent: each account's message id, or why SQS would not take it. The
/// messages SQS refused for its own fault are sent again, alone, as the retry policy allows:
/// sending the whole batch again would queue the others twice.
async fn send<P: Platform>(
    caller: &Caller<'_, P>,
    endpoint: &str,
    region: &str,
    queue: &ScanQueue,
    schedule: &Envelope,
    batch: &[AccountToScan],
) -> Result<Vec<Result<String, CallError>>, Failure> {
    let mut pending: BTreeMap<String, sqs::Entry> = batch
        .iter()
        .map(|target| {
            let id = target.account.to_string();
            let message_body = account_scan_event::message(schedule, target);
            (id.clone(), sqs::Entry { id, message_body })
        })
        .collect();
    let mut fates: BTreeMap<String, Result<String, CallError>> = BTreeMap::new();
    let policy = RetryPolicy::default();
    let mut attempt = 1;
    while !pending.is_empty() {
        let entries: Vec<sqs::Entry> = pending.values().cloned().collect();
        let request = sqs::send_message_batch(endpoint, region, &queue.url, &entries);
        let sent = caller
            .call(request, sqs::parse_send_message_batch)
            .await
            .map_err(Failure::from)?;
        let mut refused_again = BTreeMap::new();
        for taken in sent.successful {
            if pending.remove(&taken.id).is_some() {
                fates.insert(taken.id, Ok(taken.message_id));
            }
        }
        for refused in sent.failed {
            if pending.remove(&refused.id).is_none() {
                continue;
            }
            match refused.is_retryable() {
                true => {
                    refused_again.insert(refused.id.clone(), refused.error());
                }
                false => {
                    fates.insert(refused.id.clone(), Err(refused.error()));
                }
            }
        }
        // What the reply named neither way is not known to be queued: not sent again.
        for id in std::mem::take(&mut pending).into_keys() {
            let error = unanswered(&id);
            fates.insert(id, Err(error));
        }
        if refused_again.is_empty() {
            break;
        }
        match policy.delay_for_refused_part(attempt, caller.platform().jitter()) {
            Some(delay) => caller.platform().sleep(delay).await,
            None => {
                fates.extend(refused_again.into_iter().map(|(id, e)| (id, Err(e))));
                break;
            }
        }
        pending = entries
            .into_iter()
            .filter(|e| refused_again.contains_key(&e.id))
            .map(|e| (e.id.clone(), e))
            .collect();
        attempt += 1;
    }
    Ok(batch
        .iter()
        .map(|target| {
            let id = target.account.as_str();
            fates.remove(id).unwrap_or_else(|| Err(unanswered(id)))
        })
        .collect())
}

/// A message the reply of its batch did not mention.
fn unanswered(id: &str) -> CallError {
    CallError::Unreadable {
        operation: Operation::SendMessageBatch,
        status: 200,
        message: format!("the reply said nothing of the message for account {id}"),
    }
}

/// One account's part of a scan, from its "Account Scan" message: scanned as a scan across
/// accounts scans it, and that account's part of the digest published. Only an account the
/// scan could have named is scanned: `SCAN_ACCOUNTS`' (the organization's ACTIVE ones, for
/// `organization`), or certwatch's own. An account whose part failed is the outcome's error.
pub(crate) async fn scan_queued_account<P: Platform>(
    platform: &P,
    config: &Config,
    envelope: &Envelope,
    target: &AccountToScan,
) -> Result<Outcome, Failure> {
    let own = Responder::own(platform, config);
    let regions = own.scan_regions(envelope)?;
    if let Some(reason) = not_scanned(&own, config, target, &regions[0]).await? {
        return Ok(Outcome::NotHandled(Ignored {
            event_id: envelope.id.clone(),
            source: envelope.source.clone(),
            detail_type: envelope.detail_type.clone(),
            reason,
        }));
    }
    let (report, failures) =
        scan_targets(platform, config, envelope, &regions, vec![target.clone()]).await?;
    // An error, so SQS delivers the message again; the digest already told of what was found.
    match failures.into_iter().next() {
        Some(failure) => Err(failure),
        None => Ok(Outcome::Scanned(report)),
    }
}

/// Why `target` is not an account this deployment scans, if it is not.
async fn not_scanned<P: Platform>(
    own: &Responder<'_, P>,
    config: &Config,
    target: &AccountToScan,
    region: &str,
) -> Result<Option<String>, Failure> {
    let account = &target.account;
    let own_id = own_account(config, settings::SCAN_ACCOUNTS)?;
    if account == own_id {
        return Ok(None);
    }
    match &config.organization.scan_accounts {
        None => Ok(Some(format!(
            "account {account} is not certwatch's own ({own_id}), and SCAN_ACCOUNTS is unset"
        ))),
        Some(Accounts::Listed(listed)) => Ok((!listed.contains(account)).then(|| {
            format!(
                "account {account} is neither certwatch's own ({own_id}) nor one of SCAN_ACCOUNTS"
            )
        })),
        Some(Accounts::Organization) => {
            let partition = Partition::for_region(region);
            organization::not_an_active_member(
                &own.caller,
                config,
                partition,
                account,
                settings::SCAN_ACCOUNTS,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::{AwsRequest, AwsResponse, SendFailure};
    use crate::event::Event;
    use std::cell::RefCell;
    use std::time::Duration;
    use time::OffsetDateTime;

    const FLAKY: &str = "100000000005";
    const REFUSED: &str = "100000000012";

    /// SQS that takes every message but two: [`FLAKY`]'s the first time (its own fault), and
    /// [`REFUSED`]'s always (the message's fault). Keeps the ids of each call's messages.
    #[derive(Default)]
    struct Sqs {
        calls: RefCell<Vec<Vec<String>>>,
        bodies: RefCell<Vec<String>>,
    }

    impl Platform for Sqs {
        fn now(&self) -> OffsetDateTime {
            OffsetDateTime::UNIX_EPOCH + time::Duration::days(20_000)
        }
        async fn send(&self, request: &AwsRequest) -> Result<AwsResponse, SendFailure> {
            let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
            let entries = body["Entries"].as_array().unwrap();
            let ids: Vec<String> = entries
                .iter()
                .map(|e| e["Id"].as_str().unwrap().to_owned())
                .collect();
            let first_time = !self.calls.borrow().iter().flatten().any(|i| i == FLAKY);
            let (mut successful, mut failed) = (Vec::new(), Vec::new());
            for (id, entry) in ids.iter().zip(entries) {
                match id.as_str() {
                    FLAKY if first_time => failed.push(serde_json::json!({"Id": id, "SenderFault": false, "Code": "InternalError"})),
                    REFUSED => failed.push(serde_json::json!({"Id": id, "SenderFault": true, "Code": "InvalidMessageContents", "Message": "no"})),
                    _ => {
                        successful.push(serde_json::json!({"Id": id, "MessageId": format!("m-{id}")}));
                        self.bodies.borrow_mut().push(entry["MessageBody"].as_str().unwrap().to_owned());
                    }
                }
            }
            self.calls.borrow_mut().push(ids);
            let reply = serde_json::json!({ "Successful": successful, "Failed": failed });
            Ok(AwsResponse {
                status: 200,
                headers: Vec::new(),
                body: reply.to_string().into_bytes(),
            })
        }
        async fn sleep(&self, _: Duration) {}
        fn jitter(&self) -> f64 {
            0.5
        }
    }

    #[test]
    fn one_message_per_account_ten_a_call_and_only_the_refused_sent_again() {
        let accounts: Vec<String> = (1..=12).map(|n| format!("1000000000{n:02}")).collect();
        let env: Vec<(String, String)> = [
            ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "s3cr3t"),
            ("AWS_REGION", "eu-west-1"),
            ("CERTWATCH_ACCOUNT_ID", "123456789012"),
            ("SCAN_ACCOUNTS", &accounts.join(",")),
            (
                "SCAN_QUEUE_URL",
                "https://sqs.eu-west-1.amazonaws.com/123456789012/certwatch-scan",
            ),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let schedule = r#"{"version":"0","id":"daily","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-29T12:00:00Z","region":"eu-west-1","resources":[],"detail":{}}"#;
        let platform = Sqs::default();
        let run = std::pin::pin!(crate::responder::handle(&platform, &env, schedule));
        let mut context = std::task::Context::from_waker(std::task::Waker::noop());
        let std::task::Poll::Ready(outcome) = run.poll(&mut context) else {
            panic!("the scan waited on nothing");
        };
        let Ok(Outcome::Scanned(report)) = outcome else {
            panic!("{outcome:?}");
        };

        let calls = platform.calls.borrow();
        assert_eq!(calls.len(), 3, "{calls:?}");
        assert_eq!(calls[0], accounts[..10]);
        assert_eq!(
            calls[1],
            [FLAKY],
            "only the message SQS dropped is sent again"
        );
        assert_eq!(calls[2], accounts[10..]);

        assert_eq!(report.event_id, "daily");
        assert_eq!(report.regions, ["eu-west-1"]);
        let listed: Vec<&str> = report.accounts.iter().map(|a| a.account.as_str()).collect();
        assert_eq!(listed, accounts);
        for account in &report.accounts {
            assert!(account.regions.is_empty(), "{account:?}");
            match account.account.as_str() {
                REFUSED => {
                    assert_eq!(account.queued_as, None);
                    let error = account.error.as_deref().unwrap_or_default();
                    assert!(
                        error.contains("not queued") && error.contains("InvalidMessageContents"),
                        "{error}"
                    );
                }
                id => {
                    assert_eq!(account.queued_as, Some(format!("m-{id}")));
                    assert_eq!(account.error, None);
                }
            }
        }
        // Each message is an event that scans its account.
        for body in platform.bodies.borrow().iter() {
            let Ok(Event::AccountScan { envelope, target }) = Event::parse(body) else {
                panic!("{body}");
            };
            assert_eq!(envelope.id, format!("daily/{}", target.account));
            assert_eq!(envelope.region.as_deref(), Some("eu-west-1"));
        }
    }
}
