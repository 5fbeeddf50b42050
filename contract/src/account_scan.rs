//! What a scan across accounts (`SCAN_ACCOUNTS`) did in each account and region. A scan of
//! certwatch's own account alone leaves the list out, so its outcome is what it always was.

use serde::{Deserialize, Serialize};

/// One account's part of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountScan {
    /// The 12-digit account id.
    pub account: String,
    /// Its name, where Organizations gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Each region scanned there, in the scan's order.
    pub regions: Vec<RegionScan>,
    /// Why the account's part failed (its role could not be assumed, a listing or an import
    /// failed); its findings were left as they were. `None` when it went through.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Where the scan was spread over SQS (`SCAN_QUEUE_URL`): the id of the message that
    /// carries this account's scan, which has not run yet (`regions` is empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queued_as: Option<String>,
}

/// One (account, region) of a scan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionScan {
    /// The region.
    pub region: String,
    /// Certificates listed there.
    pub certificates_seen: u32,
    /// Of those, inside the window (filters aside).
    pub expiring: u32,
    /// Of those, not judged; plus one if the region's listing itself failed.
    pub failed: u32,
}
