//! The scan as a table for a person at a terminal: one row a certificate, in the order given
//! (soonest expiry first), aligned, never wider than 100 columns. Rows inside the expiry window
//! are marked `!` (and coloured, when the caller says colour is wanted).

use crate::outcome::{ScanAction, ScanReport, ScannedCertificate};

/// The widest a line may be: a 100-column terminal.
pub const WIDTH: usize = 100;
const GAP: &str = "  ";
const HEADERS: [&str; COLUMNS] = [
    "",
    "DAYS",
    "EXPIRES",
    "DOMAIN",
    "REGION",
    "TYPE",
    "USED",
    "ACTION",
    "CERTIFICATE",
];
const COLUMNS: usize = 9;
const DAYS: usize = 1;
const DOMAIN: usize = 3;
const ACTION: usize = 7;
/// The columns that give way when the table is too wide, in turn, and the least each keeps:
/// the domain first, but not below what tells most names apart, then the action, then the
/// domain again.
const SHRINKABLE: [(usize, usize); 3] = [(DOMAIN, 20), (ACTION, 18), (DOMAIN, 12)];
/// A shortened certificate keeps this much of its id: enough to tell it apart in one account.
const SHORT_ID: usize = 8;

/// How the table is drawn.
#[derive(Debug, Clone, Copy, Default)]
pub struct Style {
    /// Colour the rows inside the window (only on a terminal, never with `NO_COLOR`).
    pub colour: bool,
    /// The scan was a dry run: say what certwatch would do, not what it did.
    pub dry_run: bool,
}

/// How a row stands out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tone {
    /// Inside the window and a week or less left (or expired).
    Critical,
    /// Inside the window.
    Warning,
    /// Not judged.
    Failed,
    Plain,
}

impl Tone {
    fn of(certificate: &ScannedCertificate) -> Self {
        match certificate.days_left {
            _ if certificate.action == ScanAction::Failed => Self::Failed,
            Some(days) if certificate.in_window && days <= 7 => Self::Critical,
            _ if certificate.in_window => Self::Warning,
            _ => Self::Plain,
        }
    }

    /// The ANSI colour that starts the row.
    fn colour(self) -> Option<&'static str> {
        match self {
            Self::Critical => Some("\x1b[1;31m"),
            Self::Warning => Some("\x1b[33m"),
            Self::Failed => Some("\x1b[35m"),
            Self::Plain => None,
        }
    }
}

/// `report` as a table of its certificates, then a line of totals.
pub fn render(report: &ScanReport, style: Style) -> String {
    let rows: Vec<([String; COLUMNS], Tone)> = report
        .certificates
        .iter()
        .map(|c| (cells(c, style), Tone::of(c)))
        .collect();
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str(&format!("No certificates in {}.\n", regions(report)));
    } else {
        let widths = widths(rows.iter().map(|(cells, _)| cells));
        out.push_str(&line(&HEADERS.map(str::to_owned), &widths));
        out.push('\n');
        for (cells, tone) in &rows {
            let text = line(cells, &widths);
            match tone.colour().filter(|_| style.colour) {
                Some(colour) => out.push_str(&format!("{colour}{text}\x1b[0m\n")),
                None => out.push_str(&format!("{text}\n")),
            }
        }
        out.push('\n');
        if report.certificates.iter().any(|c| c.in_window) {
            out.push_str("! inside the expiry window\n");
        }
    }
    out.push_str(&super::accounts_table::render(&report.accounts));
    out.push_str(&totals(report, style));
    out
}

fn cells(certificate: &ScannedCertificate, style: Style) -> [String; COLUMNS] {
    let or_dash = |value: Option<String>| value.unwrap_or_else(|| "-".into());
    [
        if certificate.in_window { "!" } else { "" }.into(),
        or_dash(certificate.days_left.map(|d| d.to_string())),
        or_dash(
            certificate
                .not_after
                .as_deref()
                .map(|at| at.chars().take(10).collect()),
        ),
        certificate.domain.clone(),
        certificate.region.clone(),
        or_dash(certificate.kind.as_deref().map(kind)),
        or_dash(
            certificate
                .in_use
                .map(|used| if used { "yes" } else { "no" }.into()),
        ),
        action(certificate, style.dry_run),
        short_arn(&certificate.arn),
    ]
}

/// ACM's `Type`, as a person says it.
fn kind(kind: &str) -> String {
    match kind {
        "AMAZON_ISSUED" => "amazon".into(),
        other => other.to_ascii_lowercase(),
    }
}

/// What certwatch did, or in a dry run would do, in a few words; json and csv have the rest.
fn action(certificate: &ScannedCertificate, dry_run: bool) -> String {
    let reason = certificate.reason.as_deref().unwrap_or_default();
    match certificate.action {
        ScanAction::FindingRaised if dry_run => "would raise finding".into(),
        ScanAction::FindingRaised => "finding raised".into(),
        ScanAction::FindingResolved if dry_run => "would resolve finding".into(),
        ScanAction::FindingResolved => "finding resolved".into(),
        ScanAction::Excluded => match filter_named(reason) {
            Some(filter) => format!("left out: {filter}"),
            None => "left out by a filter".into(),
        },
        ScanAction::Failed if reason.contains("ListTagsForCertificate") => {
            "failed to list tags".into()
        }
        ScanAction::Failed => "failed to describe".into(),
        ScanAction::NoExpiry if reason.is_empty() => "no expiry".into(),
        ScanAction::NoExpiry => {
            format!(
                "no expiry: {}",
                reason.to_ascii_lowercase().replace('_', " ")
            )
        }
        ScanAction::Nothing => "-".into(),
    }
}

/// The setting a filter's reason names (`ONLY_IMPORTED`, `EXCLUDE_TAGS`, ...).
fn filter_named(reason: &str) -> Option<&str> {
    reason
        .split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
        .find(|word| word.len() > 3 && word.contains('_'))
}

/// A certificate ARN shortened to the start of its id, which tells it apart in the table; the
/// whole ARN is in json and csv.
pub fn short_arn(arn: &str) -> String {
    let id = arn.rsplit('/').next().unwrap_or(arn);
    match id.chars().count() > SHORT_ID + 1 {
        true => id.chars().take(SHORT_ID).chain(['…']).collect(),
        false => id.to_owned(),
    }
}

/// Each column as wide as its widest cell, then the shrinkable ones narrowed, in turn, until
/// the table fits.
fn widths<'a>(rows: impl Iterator<Item = &'a [String; COLUMNS]>) -> [usize; COLUMNS] {
    let mut widths = HEADERS.map(|h| h.chars().count());
    for cells in rows {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(cell.chars().count());
        }
    }
    for (column, least) in SHRINKABLE {
        let total: usize = widths.iter().sum::<usize>() + GAP.len() * (COLUMNS - 1);
        let over = total.saturating_sub(WIDTH);
        // Never wider than its cells need: the least is a floor for shrinking only.
        widths[column] = widths[column]
            .saturating_sub(over)
            .max(least.min(widths[column]));
    }
    widths
}

fn line(cells: &[String; COLUMNS], widths: &[usize; COLUMNS]) -> String {
    let padded: Vec<String> = cells
        .iter()
        .zip(widths)
        .enumerate()
        .map(|(column, (cell, &width))| {
            let cell = truncated(cell, width);
            match column {
                DAYS => format!("{cell:>width$}"),
                _ => format!("{cell:<width$}"),
            }
        })
        .collect();
    padded.join(GAP).trim_end().to_owned()
}

/// `text` cut to `width` characters, the last of them `…` when anything was cut.
fn truncated(text: &str, width: usize) -> String {
    match text.chars().count() > width {
        true => text
            .chars()
            .take(width.saturating_sub(1))
            .chain(['…'])
            .collect(),
        false => text.to_owned(),
    }
}

fn regions(report: &ScanReport) -> String {
    let joined = report.regions.join(", ");
    match joined.len() > WIDTH / 2 {
        true => format!("{} regions", report.regions.len()),
        false => joined,
    }
}

/// One line of what the scan came to, then, for a dry run, what it did not send.
fn totals(report: &ScanReport, style: Style) -> String {
    let mut parts = vec![format!("{} expiring", report.expiring.len())];
    let mut add = |n: usize, one: &str, many: &str| {
        if n > 0 {
            parts.push(format!("{n} {}", if n == 1 { one } else { many }));
        }
    };
    add(report.excluded as usize, "left out", "left out");
    let imported = report.findings_imported as usize;
    add(imported, "finding imported", "findings imported");
    add(report.findings_resolved as usize, "resolved", "resolved");
    add(report.notifications.len(), "message sent", "messages sent");
    add(report.failed.len(), "failed", "failed");
    let seen = report.certificates_seen;
    let mut out = format!(
        "{seen} certificate{} in {}: {}\n",
        if seen == 1 { "" } else { "s" },
        regions(report),
        parts.join(", ")
    );
    if style.dry_run {
        out.push_str(&format!(
            "Dry run: nothing was changed; {} requests not sent (--format json lists them).\n",
            report.planned.len()
        ));
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::outcome::PlannedRequest;

    pub(crate) fn certificate(
        id: &str,
        days: Option<i64>,
        action: ScanAction,
    ) -> ScannedCertificate {
        ScannedCertificate {
            arn: format!("arn:aws:acm:us-east-1:123456789012:certificate/{id}"),
            domain: format!("{id}.example.com"),
            region: "us-east-1".into(),
            not_after: days.map(|_| "2026-12-04T13:00:00Z".into()),
            days_left: days,
            in_window: days.is_some_and(|d| d <= 45),
            kind: Some("AMAZON_ISSUED".into()),
            in_use: Some(true),
            status: Some("ISSUED".into()),
            action,
            reason: None,
        }
    }

    pub(crate) fn report(certificates: Vec<ScannedCertificate>) -> ScanReport {
        ScanReport {
            event_id: "scan".into(),
            regions: vec!["us-east-1".into()],
            certificates_seen: certificates.len() as u32,
            excluded: 0,
            expiring: vec![],
            findings_imported: 1,
            findings_resolved: 0,
            notifications: vec![],
            failed: vec![],
            skipped: vec![],
            planned: vec![],
            certificates,
            accounts: vec![],
            events: vec![],
        }
    }

    fn plain(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                chars.by_ref().find(|&c| c == 'm');
            } else {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn columns_line_up_and_inside_the_window_is_marked() {
        let table = render(
            &report(vec![
                certificate("a", Some(5), ScanAction::FindingRaised),
                certificate("b", Some(300), ScanAction::Nothing),
            ]),
            Style::default(),
        );
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("   DAYS  EXPIRES"), "{table}");
        let column = |line: &str, word: &str| line.find(word).unwrap();
        assert_eq!(
            column(lines[0], "DOMAIN"),
            column(lines[1], "a.example.com")
        );
        assert!(
            lines[2][column(lines[0], "ACTION")..].starts_with("-  "),
            "{table}"
        );
        assert!(lines[1].starts_with("!     5  2026-12-04"), "{table}");
        assert!(lines[2].starts_with("    300"), "{table}");
        assert!(
            lines[1].contains("amazon  yes   finding raised  a"),
            "{table}"
        );
        assert!(table.contains("! inside the expiry window"), "{table}");
        assert!(table.contains("2 certificates in us-east-1: 0 expiring, 1 finding imported"));
    }

    #[test]
    fn every_line_fits_100_columns_however_long_the_names() {
        let mut long = certificate(
            "61f50cd4-45b9-4259-b049-d0a53682fa4b",
            Some(-3),
            ScanAction::Excluded,
        );
        long.domain = format!("{}.example.com", "very-long-subdomain".repeat(6));
        long.region = "ap-southeast-4".into();
        long.reason = Some("left out by EXCLUDE_TAGS: it is tagged certwatch=ignore".into());
        let mut failed = certificate("x", None, ScanAction::Failed);
        failed.reason = Some("acm:DescribeCertificate failed: ".repeat(5));
        let table = render(&report(vec![long, failed]), Style::default());
        for line in table.lines() {
            assert!(
                line.chars().count() <= WIDTH,
                "{} columns: {line}",
                line.len()
            );
        }
        assert!(table.contains("very-long-subdo…"), "{table}");
        assert!(table.contains("left out: EXCLUDE…"), "{table}");
        assert!(table.contains("failed to describe"), "{table}");
    }

    #[test]
    fn long_arns_are_shortened_to_the_start_of_their_id() {
        let arn =
            "arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b";
        assert_eq!(short_arn(arn), "61f50cd4…");
        assert_eq!(short_arn("arn:aws:acm:us-east-1:1:certificate/abc"), "abc");
        let table = render(
            &report(vec![ScannedCertificate {
                arn: arn.into(),
                ..certificate("a", Some(5), ScanAction::FindingRaised)
            }]),
            Style::default(),
        );
        assert!(
            !table.contains(arn) && table.contains("61f50cd4…"),
            "{table}"
        );
    }

    #[test]
    fn colour_only_when_asked_and_the_mark_either_way() {
        let list = vec![
            certificate("a", Some(3), ScanAction::FindingRaised),
            certificate("b", Some(20), ScanAction::FindingRaised),
            certificate("c", Some(200), ScanAction::Nothing),
        ];
        let bare = render(&report(list.clone()), Style::default());
        assert!(!bare.contains('\x1b'), "{bare}");
        let coloured = render(
            &report(list),
            Style {
                colour: true,
                dry_run: false,
            },
        );
        let lines: Vec<&str> = coloured.lines().collect();
        assert!(lines[1].starts_with("\x1b[1;31m!") && lines[1].ends_with("\x1b[0m"));
        assert!(lines[2].starts_with("\x1b[33m!"));
        assert!(!lines[3].contains('\x1b'));
        assert_eq!(plain(&coloured), bare);
    }

    #[test]
    fn a_dry_run_says_what_certwatch_would_do() {
        let mut scan = report(vec![
            certificate("a", Some(3), ScanAction::FindingRaised),
            certificate("b", Some(90), ScanAction::FindingResolved),
        ]);
        scan.planned = vec![PlannedRequest {
            operation: "securityhub:BatchImportFindings".into(),
            url: "https://securityhub.us-east-1.amazonaws.com/findings/import".into(),
            body: "{}".into(),
        }];
        let table = render(
            &scan,
            Style {
                colour: false,
                dry_run: true,
            },
        );
        assert!(table.contains("would raise finding"), "{table}");
        assert!(table.contains("would resolve finding"), "{table}");
        assert!(table.contains("Dry run: nothing was changed; 1 requests not sent"));
    }

    #[test]
    fn certificates_without_an_expiry_say_why() {
        let mut pending = certificate("p", None, ScanAction::NoExpiry);
        pending.reason = Some("PENDING_VALIDATION".into());
        let table = render(&report(vec![pending]), Style::default());
        assert!(table.contains("no expiry: pending validation"), "{table}");
        assert!(!table.contains("! inside"), "{table}");
    }

    #[test]
    fn an_empty_scan_says_so() {
        let table = render(&report(vec![]), Style::default());
        assert!(
            table.starts_with("No certificates in us-east-1.\n"),
            "{table}"
        );
    }
}
