//! A scan's side of Security Hub: each hub's open certwatch findings looked up once, findings
//! imported a full batch at a time as the scan finds them (keeping when each was first
//! raised), and the open findings of certificates renewed or deleted since resolved.

use super::{Expiring, MAX_FINDINGS_PER_BATCH, Resolution, finding_batches};
use super::{Judged, Seen, StepFailure};
use crate::arn::CertificateArn;
use crate::aws::open_findings::{self, OpenFinding};
use crate::aws::securityhub::{self, FindingIdentifier};
use crate::aws::{AwsResponse, CallError};
use crate::config::Service;
use crate::decision::{Severity, renewed_since};
use crate::finding::{ExpiryFinding, GoneFinding, display_domain};
use crate::outcome::*;
use crate::partition::Partition;
use crate::responder::{Platform, Responder};
use futures::StreamExt as _;
use futures::channel::mpsc;
use futures::future::join_all;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use time::OffsetDateTime;

/// What one hub said when asked for its open findings.
pub(crate) enum HubLookup {
    Open {
        endpoint: String,
        findings: Vec<OpenFinding>,
    },
    /// `InvalidAccessException`: Security Hub is not enabled there.
    NotSubscribed(String),
    Failed(CallError),
}

/// Every hub's lookup, by region; shared by the importer and the resolver.
pub(crate) type HubLookups = Rc<BTreeMap<String, HubLookup>>;

#[derive(Default)]
pub(crate) struct Imported {
    pub(crate) count: u32,
    pub(crate) skipped: Vec<Skipped>,
    pub(crate) failures: Vec<StepFailure>,
}

#[derive(Default)]
pub(crate) struct Resolved {
    pub(crate) resolutions: Vec<Resolution>,
    pub(crate) failures: Vec<StepFailure>,
}

impl<P: Platform> Responder<'_, P> {
    /// Each hub's open findings from this generator (and account, when the event names it).
    pub(crate) async fn look_up_hubs(&self, hubs: &[String], account: Option<&str>) -> HubLookups {
        let lookups = join_all(hubs.iter().map(|hub| async move {
            let partition = Partition::for_region(hub);
            let endpoint = self.endpoint_in(Service::SecurityHub, partition, hub);
            let lookup = match self.open_findings(&endpoint, hub, account).await {
                // An aggregating hub also holds its linked regions' findings: each hub
                // resolves only its own.
                Ok(mut findings) => {
                    findings.retain(|f| f.product_arn.split(':').nth(3) == Some(hub.as_str()));
                    HubLookup::Open { endpoint, findings }
                }
                Err(CallError::Service { code, message, .. })
                    if code == "InvalidAccessException" =>
                {
                    HubLookup::NotSubscribed(message)
                }
                Err(error) => HubLookup::Failed(error),
            };
            (hub.clone(), lookup)
        }))
        .await;
        Rc::new(lookups.into_iter().collect())
    }

    async fn open_findings(
        &self,
        endpoint: &str,
        hub: &str,
        account: Option<&str>,
    ) -> Result<Vec<OpenFinding>, CallError> {
        let generator = &self.config.generator_id;
        let mut findings = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request =
                open_findings::get_findings(endpoint, hub, generator, account, token.as_deref());
            let parse = |r: &AwsResponse| open_findings::parse_get_findings(r, generator);
            let reply = self.call(request, parse).await?;
            findings.extend(reply.findings);
            match reply.next_token {
                Some(next) if Some(&next) != token.as_ref() => token = Some(next),
                _ => return Ok(findings),
            }
        }
    }

    /// Imports findings as they are found, each full batch at once, one request at a time;
    /// what is left goes when the judging is done, to each hub at once. A finding keeps the time it was first
    /// raised.
    pub(crate) async fn import_as_found(
        &self,
        mut found: mpsc::UnboundedReceiver<Expiring>,
        hubs: impl Future<Output = HubLookups>,
        now: OffsetDateTime,
    ) -> Imported {
        let mut imported = Imported::default();
        let Some(first) = found.next().await else {
            return imported;
        };
        let hubs = hubs.await;
        let first_raised: HashMap<&str, &str> = hubs
            .values()
            .filter_map(|lookup| match lookup {
                HubLookup::Open { findings, .. } => Some(findings),
                _ => None,
            })
            .flatten()
            .filter_map(|f| Some((f.certificate_arn.as_str(), f.created_at.as_deref()?)))
            .collect();
        let mut noted: Vec<String> = Vec::new();
        let mut pending: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut next = Some(first);
        while let Some(expiring) = next {
            let hub_region = self
                .config
                .security_hub_region
                .clone()
                .unwrap_or_else(|| expiring.certificate.arn().region.clone());
            match hubs.get(&hub_region) {
                Some(HubLookup::Open { endpoint, .. }) => {
                    let finding = ExpiryFinding {
                        certificate: &expiring.certificate,
                        detail: &expiring.detail,
                        not_after: expiring.not_after,
                        days_left: expiring.days_left,
                        hub_region: &hub_region,
                        now,
                        generator_id: &self.config.generator_id,
                        severity: expiring.severity,
                        resolved: false,
                        created_at: first_raised.get(expiring.detail.arn.as_str()).copied(),
                        action: None,
                    };
                    let waiting = pending.entry(hub_region.clone()).or_default();
                    waiting.push(finding.to_asff().to_json());
                    if waiting.len() >= MAX_FINDINGS_PER_BATCH {
                        let batch = std::mem::take(waiting);
                        self.import(endpoint, &hub_region, batch, &mut imported)
                            .await;
                    }
                }
                other if !noted.contains(&hub_region) => {
                    noted.push(hub_region.clone());
                    note_unusable(&hub_region, other, &mut imported);
                }
                _ => {}
            }
            next = found.next().await;
        }
        // What is left goes to every hub at once: Security Hub's rate limit is each hub's
        // own, and in a scan across accounts this last import is on each account's path.
        let flushed = join_all(pending.into_iter().filter_map(|(hub_region, rest)| {
            let Some(HubLookup::Open { endpoint, .. }) = hubs.get(&hub_region) else {
                return None;
            };
            Some(async move {
                let mut into_hub = Imported::default();
                self.import(endpoint, &hub_region, rest, &mut into_hub)
                    .await;
                into_hub
            })
        }))
        .await;
        for into_hub in flushed {
            imported.count += into_hub.count;
            imported.skipped.extend(into_hub.skipped);
            imported.failures.extend(into_hub.failures);
        }
        imported
    }

    /// `findings` into one hub, in as many requests as its limits need.
    async fn import(
        &self,
        endpoint: &str,
        hub_region: &str,
        findings: Vec<String>,
        imported: &mut Imported,
    ) {
        for batch in finding_batches(findings) {
            let request = securityhub::batch_import_findings(endpoint, hub_region, &batch);
            match self
                .call(request, securityhub::parse_batch_import_findings)
                .await
            {
                Ok(result) => imported.count += result.success_count,
                Err(error) => imported.failures.push(StepFailure {
                    what: format!("importing findings into {hub_region}"),
                    error,
                }),
            }
        }
    }

    /// Resolves each open finding whose certificate, in a region the scan listed in full, is
    /// now outside the window (renewed) or gone from ACM (deleted): re-imported passed and
    /// archived, then its workflow set to RESOLVED. A schedule's event names its account, and
    /// only that account's findings were looked up; a scan without one (`certwatch scan`, whose
    /// host does not know the account) takes a certificate for deleted only in an account it
    /// listed, so it never resolves another account's findings in an aggregating hub.
    pub(crate) async fn resolve_gone_and_renewed(
        &self,
        hubs: &HubLookups,
        judged: &Judged,
        regions: &[String],
        account: Option<&str>,
        now: OffsetDateTime,
    ) -> Resolved {
        let mut resolved = Resolved::default();
        let listed_accounts: BTreeSet<String> = match account {
            Some(account) => BTreeSet::from([account.to_owned()]),
            None => judged
                .seen
                .keys()
                .filter_map(|arn| account_of(arn))
                .collect(),
        };
        for (hub_region, lookup) in hubs.iter() {
            let (endpoint, findings) = match lookup {
                HubLookup::Open { endpoint, findings } => (endpoint, findings),
                HubLookup::Failed(error) => {
                    resolved.failures.push(StepFailure {
                        what: format!("looking up the open findings in {hub_region}"),
                        error: error.clone(),
                    });
                    continue;
                }
                HubLookup::NotSubscribed(_) => continue,
            };
            let mut asffs = Vec::new();
            let mut identifiers = Vec::new();
            let mut resolutions = Vec::new();
            for open in findings {
                let region = &open.certificate_region;
                if !regions.contains(region) || judged.unlisted.contains(region) {
                    continue;
                }
                let (asff, resolution) = match judged.seen.get(&open.certificate_arn) {
                    Some(Seen::Expiring | Seen::Unjudged) => continue,
                    // Outside the window is not enough: a finding raised for a renewal that
                    // needs action, or under a wider window, stays open until the certificate
                    // expires later than it did when the finding was raised.
                    Some(Seen::Healthy(healthy))
                        if !renewed_since(raised_for(open), healthy.not_after) =>
                    {
                        continue;
                    }
                    Some(Seen::Healthy(healthy)) => {
                        let finding = ExpiryFinding {
                            certificate: &healthy.certificate,
                            detail: &healthy.detail,
                            not_after: healthy.not_after,
                            days_left: healthy.days_left,
                            hub_region,
                            now,
                            generator_id: &self.config.generator_id,
                            severity: Severity::Informational,
                            resolved: true,
                            created_at: open.created_at.as_deref(),
                            action: None,
                        };
                        let resolution = Resolution {
                            arn: open.certificate_arn.clone(),
                            domain: display_domain(&healthy.detail).to_owned(),
                            renewed_until: Some(healthy.not_after),
                            owner_topic: None,
                        };
                        (finding.to_asff(), resolution)
                    }
                    None if !account_of(&open.certificate_arn)
                        .is_some_and(|a| listed_accounts.contains(&a)) =>
                    {
                        continue;
                    }
                    None => {
                        let finding = GoneFinding {
                            open,
                            now,
                            generator_id: &self.config.generator_id,
                        };
                        let resolution = Resolution {
                            arn: open.certificate_arn.clone(),
                            domain: open
                                .domain
                                .clone()
                                .unwrap_or_else(|| open.certificate_arn.clone()),
                            renewed_until: None,
                            owner_topic: None,
                        };
                        (finding.to_asff(), resolution)
                    }
                };
                asffs.push(asff.to_json());
                identifiers.push(FindingIdentifier {
                    id: open.id.clone(),
                    product_arn: open.product_arn.clone(),
                });
                resolutions.push(resolution);
            }
            if asffs.is_empty() {
                continue;
            }
            match self
                .resolve_in(endpoint, hub_region, asffs, &identifiers)
                .await
            {
                Ok(()) => resolved.resolutions.extend(resolutions),
                Err(failure) => resolved.failures.push(failure),
            }
        }
        resolved.resolutions.sort_by(|a, b| a.arn.cmp(&b.arn));
        resolved
    }

    async fn resolve_in(
        &self,
        endpoint: &str,
        hub_region: &str,
        asffs: Vec<String>,
        identifiers: &[FindingIdentifier],
    ) -> Result<(), StepFailure> {
        let failed = |error| StepFailure {
            what: format!("resolving findings in {hub_region}"),
            error,
        };
        // The workflow first, while the findings are still active: if the archiving import
        // then fails, the next scan still finds them open and finishes the job. The other way
        // round, a failed update left findings archived and unresolved, where no lookup of
        // open findings sees them again.
        // BatchUpdateFindings takes at most 100 findings.
        for chunk in identifiers.chunks(MAX_FINDINGS_PER_BATCH) {
            let note = "The certificate was renewed out of the expiry window, or deleted.";
            let request = securityhub::resolve_findings(endpoint, hub_region, chunk, note);
            self.call(request, securityhub::parse_batch_update_findings)
                .await
                .map_err(failed)?;
        }
        for batch in finding_batches(asffs) {
            let request = securityhub::batch_import_findings(endpoint, hub_region, &batch);
            self.call(request, securityhub::parse_batch_import_findings)
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}

/// The account a certificate ARN names.
fn account_of(arn: &str) -> Option<String> {
    CertificateArn::parse(arn)
        .ok()
        .map(|c| c.arn().account.clone())
}

/// The expiry `open` was raised for, as its finding recorded it.
fn raised_for(open: &OpenFinding) -> Option<OffsetDateTime> {
    let recorded = open.not_after.as_deref()?;
    OffsetDateTime::parse(recorded, &time::format_description::well_known::Rfc3339).ok()
}

/// Why findings for `hub_region` were not imported, noted once.
fn note_unusable(hub_region: &str, lookup: Option<&HubLookup>, imported: &mut Imported) {
    match lookup {
        Some(HubLookup::NotSubscribed(message)) => imported.skipped.push(Skipped {
            step: Step::SecurityHub,
            reason: format!("Security Hub is not enabled in {hub_region}: {message}"),
        }),
        // The resolver reports a failed lookup, whether or not anything expires.
        Some(HubLookup::Failed(_) | HubLookup::Open { .. }) | None => {}
    }
}
