//! How far a scan has come: what the component tells the host through the WIT's `progress`
//! import as it goes, and `certwatch scan` shows on a terminal.

/// A scan's progress so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanProgress {
    /// Regions whose every certificate has been judged (or whose listing failed).
    pub regions_done: u32,
    /// Regions the scan covers.
    pub regions_total: u32,
    /// Certificates judged so far, in every region.
    pub certificates_seen: u32,
}
