//! A scan across accounts (`SCAN_ACCOUNTS`): every (account, region), each account with its
//! member role's credentials (one `AssumeRole` per account per scan), a few accounts at a time.
//! Each account's findings are imported and resolved in its own hub; one digest, grouped by
//! account, goes from certwatch's own account. An account whose part fails is listed with its
//! reason and never stops the others; only the digest's failure fails the scan.

use super::{AccountNames, AccountPart, Found, Judged, scan_failure};
use crate::account::Accounts;
use crate::account_scan_event::AccountToScan;
use crate::aws::call::{Caller, Platform};
use crate::aws::organizations;
use crate::config::{Config, Service};
use crate::event::Envelope;
use crate::organization::{self, own_account};
use crate::outcome::*;
use crate::partition::Partition;
use crate::responder::Responder;
use certwatch_contract::ScanProgress;
use certwatch_contract::settings;
use certwatch_contract::{AccountScan, RegionScan};
use futures::StreamExt as _;
use std::cell::RefCell;
use time::OffsetDateTime;

/// Accounts scanned at once. Each account's own scan already runs its regions and describes
/// concurrently (`SCAN_CONCURRENCY`), and Security Hub's import limit is per account.
pub const ACCOUNTS_AT_ONCE: usize = 8;

/// What came of one account.
struct Scanned {
    target: AccountToScan,
    part: Result<AccountPart, Failure>,
    planned: Vec<PlannedRequest>,
}

/// Scans `accounts` × the scan's regions; see the module's documentation.
pub(crate) async fn scan_accounts<P: Platform>(
    platform: &P,
    config: &Config,
    envelope: &Envelope,
    accounts: &Accounts,
) -> Result<ScanReport, Failure> {
    let own = Responder::own(platform, config);
    let regions = own.scan_regions(envelope)?;
    let targets = accounts_to_scan(&own, accounts, Partition::for_region(&regions[0])).await?;
    scan_targets(platform, config, envelope, &regions, targets)
        .await
        .map(|(report, _)| report)
}

/// The accounts `accounts` names, in the order of their ids: as listed, or the organization's
/// ACTIVE ones with their names.
pub(crate) async fn accounts_to_scan<P: Platform>(
    own: &Responder<'_, P>,
    accounts: &Accounts,
    partition: Partition,
) -> Result<Vec<AccountToScan>, Failure> {
    match accounts {
        Accounts::Listed(listed) => Ok(listed
            .iter()
            .map(|id| AccountToScan {
                account: id.clone(),
                name: None,
            })
            .collect()),
        Accounts::Organization => organization_accounts(own, partition).await,
    }
}

/// Scans `targets` × `regions`, then sends the one digest; the report, and why each account
/// whose part failed failed (the report lists them too).
pub(crate) async fn scan_targets<P: Platform>(
    platform: &P,
    config: &Config,
    envelope: &Envelope,
    regions: &[String],
    targets: Vec<AccountToScan>,
) -> Result<(ScanReport, Vec<Failure>), Failure> {
    let own = Responder::own(platform, config);
    let own_id = own_account(config, settings::SCAN_ACCOUNTS)?;
    let partition = Partition::for_region(&regions[0]);
    let central = Caller::new(platform, &config.credentials, config.call_options());
    let board = ProgressBoard::new(targets.len(), regions.len());
    let now = platform.now();
    let scanned: Vec<Scanned> = futures::stream::iter(targets.into_iter().enumerate())
        .map(|(index, target)| {
            let (central, board) = (&central, &board);
            async move {
                let assumed = match target.account == *own_id {
                    true => None,
                    false => {
                        let region = &regions[0];
                        match organization::assume(
                            central,
                            config,
                            partition,
                            &target.account,
                            region,
                        )
                        .await
                        {
                            Ok(credentials) => Some(credentials),
                            Err(failure) => {
                                board.finish(index, platform);
                                return Scanned {
                                    target,
                                    part: Err(failure),
                                    planned: Vec::new(),
                                };
                            }
                        }
                    }
                };
                let credentials = assumed.as_ref().unwrap_or(&config.credentials);
                let responder = Responder {
                    config,
                    caller: Caller::new(platform, credentials, config.call_options()),
                    central: Some(central),
                    progress: Some(AccountProgress { board, index }),
                };
                let part = responder
                    .scan_account(regions, Some(target.account.as_str()), now)
                    .await;
                Scanned {
                    target,
                    part: Ok(part),
                    planned: responder.caller.take_planned(),
                }
            }
        })
        .buffered(ACCOUNTS_AT_ONCE)
        .collect()
        .await;
    finish(&own, &central, envelope, regions, scanned, now).await
}

/// Each account's progress, told to the platform as one scan's: (account, region) pairs done
/// of all, and certificates seen in every account.
pub(crate) struct ProgressBoard {
    accounts: RefCell<Vec<ScanProgress>>,
}

impl ProgressBoard {
    fn new(accounts: usize, regions: usize) -> Self {
        let regions = u32::try_from(regions).unwrap_or(u32::MAX);
        let start = ScanProgress {
            regions_done: 0,
            regions_total: regions,
            certificates_seen: 0,
        };
        Self {
            accounts: RefCell::new(vec![start; accounts]),
        }
    }

    /// Account `index` has come to `progress`: the platform hears the scan's.
    fn tell<P: Platform>(&self, index: usize, progress: ScanProgress, platform: &P) {
        let total = {
            let mut accounts = self.accounts.borrow_mut();
            if let Some(slot) = accounts.get_mut(index) {
                *slot = progress;
            }
            let sum = |f: fn(&ScanProgress) -> u32| {
                accounts.iter().map(f).fold(0u32, u32::saturating_add)
            };
            ScanProgress {
                regions_done: sum(|p| p.regions_done),
                regions_total: sum(|p| p.regions_total),
                certificates_seen: sum(|p| p.certificates_seen),
            }
        };
        platform.progress(&total);
    }

    /// Account `index` will not be scanned (its role could not be assumed): its regions count
    /// as done.
    fn finish<P: Platform>(&self, index: usize, platform: &P) {
        let slot = self.accounts.borrow().get(index).copied();
        if let Some(slot) = slot {
            let done = ScanProgress {
                regions_done: slot.regions_total,
                ..slot
            };
            self.tell(index, done, platform);
        }
    }
}

/// Where one account's progress goes in a scan across accounts.
#[derive(Clone, Copy)]
pub(crate) struct AccountProgress<'a> {
    board: &'a ProgressBoard,
    index: usize,
}

impl AccountProgress<'_> {
    /// This account has come to `progress`.
    pub(crate) fn tell<P: Platform>(&self, progress: ScanProgress, platform: &P) {
        self.board.tell(self.index, progress, platform);
    }
}

/// The organization's ACTIVE accounts, from Organizations (certwatch's account must be the
/// management account or a delegated administrator).
async fn organization_accounts<P: Platform>(
    own: &Responder<'_, P>,
    partition: Partition,
) -> Result<Vec<AccountToScan>, Failure> {
    let region = partition.organizations_region();
    let endpoint = own.endpoint_in(Service::Organizations, partition, region);
    let mut targets = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let request = organizations::list_accounts(&endpoint, region, token.as_deref());
        let page = own
            .call(request, organizations::parse_list_accounts)
            .await
            .map_err(|error| {
                let failure = Failure::from(error);
                Failure {
                    message: format!(
                        "SCAN_ACCOUNTS=organization: {}; Organizations lists accounts only to the management account or a delegated administrator",
                        failure.message
                    ),
                    ..failure
                }
            })?;
        targets.extend(
            page.accounts
                .into_iter()
                .filter(|a| a.active)
                .map(|a| AccountToScan {
                    account: a.id,
                    name: a.name,
                }),
        );
        match page.next_token {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    targets.sort_by(|a, b| a.account.cmp(&b.account));
    Ok(targets)
}

/// The accounts' parts together, and the one digest.
async fn finish<P: Platform>(
    own: &Responder<'_, P>,
    central: &Caller<'_, P>,
    envelope: &Envelope,
    regions: &[String],
    scanned: Vec<Scanned>,
    now: OffsetDateTime,
) -> Result<(ScanReport, Vec<Failure>), Failure> {
    let mut report = ScanReport::new(&envelope.id, regions);
    let mut names = AccountNames::new();
    let mut account_failures = Vec::new();
    let mut expiring = Vec::new();
    let mut resolutions = Vec::new();
    for Scanned {
        target,
        part,
        planned,
    } in scanned
    {
        if let Some(name) = &target.name {
            names.insert(target.account.to_string(), name.clone());
        }
        let (per_region, failure) = match part {
            Err(failure) => (
                regions.iter().map(|r| region_scan(r, None)).collect(),
                Some(failure),
            ),
            Ok(part) => {
                let per_region = regions
                    .iter()
                    .map(|r| region_scan(r, Some(&part.judged)))
                    .collect();
                expiring.extend(part.judged.expiring.iter().cloned());
                resolutions.extend(part.resolved.resolutions.iter().cloned());
                let (part_report, failures) = part.into_report(&envelope.id, regions);
                let failure = (!failures.is_empty()).then(|| scan_failure(&part_report, failures));
                add(&mut report, part_report);
                (per_region, failure)
            }
        };
        let error = failure.as_ref().map(|f| f.message.clone());
        account_failures.extend(failure.map(|f| Failure {
            message: format!("account {}: {}", target.account, f.message),
            ..f
        }));
        report.planned.extend(planned);
        report.accounts.push(AccountScan {
            account: target.account.to_string(),
            name: target.name,
            regions: per_region,
            error,
            queued_as: None,
        });
    }
    report.expiring.sort_by(|a, b| {
        a.days_left
            .cmp(&b.days_left)
            .then_with(|| a.arn.cmp(&b.arn))
    });
    report.failed.sort_by(|a, b| a.arn.cmp(&b.arn));
    report
        .certificates
        .sort_by(ScannedCertificate::soonest_first);
    let found = Found {
        scan_id: &envelope.id,
        expiring: &expiring,
        resolutions: &resolutions,
        regions,
        now,
        accounts: Some(&names),
    };
    let mut failures = Vec::new();
    own.tell_of(found, &mut report, &mut failures).await;
    report.planned.extend(own.take_planned());
    report.planned.extend(central.take_planned());
    match failures.is_empty() {
        true => Ok((report, account_failures)),
        false => Err(scan_failure(&report, failures)),
    }
}

/// One account's report added to the scan's.
fn add(report: &mut ScanReport, part: ScanReport) {
    report.certificates_seen = report
        .certificates_seen
        .saturating_add(part.certificates_seen);
    report.excluded = report.excluded.saturating_add(part.excluded);
    report.findings_imported = report
        .findings_imported
        .saturating_add(part.findings_imported);
    report.findings_resolved = report
        .findings_resolved
        .saturating_add(part.findings_resolved);
    report.expiring.extend(part.expiring);
    report.failed.extend(part.failed);
    report.skipped.extend(part.skipped);
    report.certificates.extend(part.certificates);
}

/// What one account's part saw in `region`; all zero where the account was not scanned.
fn region_scan(region: &str, judged: Option<&Judged>) -> RegionScan {
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let in_region = |arn: &str| arn.split(':').nth(3) == Some(region);
    let Some(judged) = judged else {
        return RegionScan {
            region: region.to_owned(),
            certificates_seen: 0,
            expiring: 0,
            failed: 0,
        };
    };
    let unlisted = usize::from(judged.unlisted.contains(region));
    RegionScan {
        region: region.to_owned(),
        certificates_seen: count(judged.seen.keys().filter(|arn| in_region(arn)).count()),
        expiring: count(
            judged
                .expiring
                .iter()
                .filter(|e| e.certificate.arn().region == region)
                .count(),
        ),
        failed: count(judged.failed.iter().filter(|f| in_region(&f.arn)).count() + unlisted),
    }
}
