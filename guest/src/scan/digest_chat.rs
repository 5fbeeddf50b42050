//! The scan's digest as one chat custom notification: soonest first, as many certificates as
//! the description holds, whole lines only, and how many more there are.

use super::{Expiring, Resolution};
use crate::chat::{CustomNotification, Draft, MAX_DESCRIPTION_CHARS, code};
use crate::finding::display_domain;
use crate::timestamp::human;
use time::OffsetDateTime;

/// The chat digest's `eventType`.
pub const DIGEST_EVENT_TYPE: &str = "Certificate Scan Digest";

/// What a digest is about.
#[derive(Debug, Clone, Copy)]
pub struct DigestScope<'a> {
    /// The scan's event id.
    pub scan_id: &'a str,
    /// `EXPIRY_DAYS`.
    pub window_days: u32,
    /// The regions scanned.
    pub regions: &'a [String],
    /// When it ran.
    pub now: OffsetDateTime,
}

/// The chat digest of `due` (the certificates on a notification day), `not_due` more inside
/// the window, and `resolved`; `None` when there is nothing to say.
pub fn digest_chat(
    due: &[Expiring],
    not_due: usize,
    resolved: &[Resolution],
    scope: DigestScope<'_>,
) -> Option<CustomNotification> {
    if due.is_empty() && resolved.is_empty() {
        return None;
    }
    let mut sorted: Vec<&Expiring> = due.iter().collect();
    sorted.sort_by(|a, b| {
        a.days_left
            .cmp(&b.days_left)
            .then_with(|| a.detail.arn.cmp(&b.detail.arn))
    });
    let title = match sorted.len() {
        0 => format!(
            ":white_check_mark: certwatch: {} renewed since the last scan",
            resolved.len()
        ),
        1 => format!(
            ":hourglass: certwatch: 1 certificate expires within {} days",
            scope.window_days
        ),
        n => format!(
            ":hourglass: certwatch: {n} certificates expire within {} days",
            scope.window_days
        ),
    };
    let header = format!(
        "Scan of {} at {}.",
        scope.regions.join(", "),
        human(scope.now)
    );
    let mut lines: Vec<String> = sorted.iter().map(|e| line(e)).collect();
    if !resolved.is_empty() {
        lines.push("*Resolved since the last scan:*".to_owned());
        lines.extend(resolved.iter().map(|r| match r.renewed_until {
            Some(until) => format!(
                "• {} renewed, now expires {}",
                code(&r.domain),
                human(until)
            ),
            None => format!("• {} no longer exists in ACM", code(&r.domain)),
        }));
    }
    // Whole lines only, leaving room for the header and the line that says what was left out.
    let budget = MAX_DESCRIPTION_CHARS - header.chars().count() - 120;
    let mut used = 0;
    let mut shown = Vec::new();
    for line in &lines {
        let size = line.chars().count() + 1;
        if used + size > budget {
            break;
        }
        used += size;
        shown.push(line.as_str());
    }
    let mut description = format!("{header}\n\n{}", shown.join("\n"));
    let left_out = lines.len() - shown.len() + not_due;
    if left_out > 0 {
        description.push_str(&format!(
            "\n\n…and {left_out} more (not shown here, or not on a notification day): the e-mail digest and Security Hub list them all."
        ));
    }
    Some(
        Draft {
            id: Some(scope.scan_id.to_owned()),
            title,
            description,
            next_steps: vec![
                "IMPORTED: import a renewed certificate into the same ARN (`aws acm import-certificate --certificate-arn ARN …`).".to_owned(),
                "AMAZON_ISSUED: check the renewal status and the validation records (`aws acm describe-certificate --certificate-arn ARN`).".to_owned(),
            ],
            keywords: std::iter::once("certwatch".to_owned())
                .chain(scope.regions.iter().cloned())
                .collect(),
            // Each day's digest is its own message, not a reply to yesterday's.
            thread_id: None,
            summary: format!(
                "{} expiring, {} resolved",
                sorted.len() + not_due,
                resolved.len()
            ),
            event_type: DIGEST_EVENT_TYPE.to_owned(),
            related_resources: sorted.iter().map(|e| e.detail.arn.clone()).collect(),
            additional_context: [
                ("regions".to_owned(), scope.regions.join(",")),
                ("expiring".to_owned(), (sorted.len() + not_due).to_string()),
                ("resolved".to_owned(), resolved.len().to_string()),
            ]
            .into(),
        }
        .fit(),
    )
}

fn line(expiring: &Expiring) -> String {
    let when = match expiring.days_left {
        d if d < 0 => "*has expired*".to_owned(),
        0 => "*expires today*".to_owned(),
        1 => "expires tomorrow".to_owned(),
        d => format!("in {d} days"),
    };
    let arn = expiring.certificate.arn();
    format!(
        "• {} {when} ({}, {}, {} {})",
        code(display_domain(&expiring.detail)),
        human(expiring.not_after),
        expiring.detail.kind.as_deref().unwrap_or("unknown type"),
        arn.account,
        arn.region
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::tests::expiring;
    use time::macros::datetime;

    fn scope(regions: &[String]) -> DigestScope<'_> {
        DigestScope {
            scan_id: "scan-1",
            window_days: 45,
            regions,
            now: datetime!(2026-11-29 12:00 UTC),
        }
    }

    #[test]
    fn the_digest_lists_the_soonest_first() {
        let regions = ["us-east-1".to_owned()];
        let n = digest_chat(
            &[expiring(1, 44), expiring(2, -1), expiring(3, 10)],
            0,
            &[],
            scope(&regions),
        )
        .unwrap();
        assert_eq!(
            n.content.title,
            ":hourglass: certwatch: 3 certificates expire within 45 days"
        );
        let d = &n.content.description;
        assert!(
            d.starts_with("Scan of us-east-1 at 2026-11-29 12:00 UTC."),
            "{d}"
        );
        let at = |name: &str| d.find(name).unwrap();
        assert!(at("d2.example") < at("d3.example") && at("d3.example") < at("d1.example"));
        assert!(d.contains("• `d2.example.com` *has expired* (2026-12-10 12:00 UTC, IMPORTED, 123456789012 us-east-1)"), "{d}");
        assert_eq!(n.metadata.event_type, DIGEST_EVENT_TYPE);
        assert_eq!(n.metadata.thread_id, None);
        assert_eq!(n.id.as_deref(), Some("scan-1"));
    }

    #[test]
    fn a_long_digest_keeps_whole_lines_and_says_how_many_more() {
        let regions = ["us-east-1".to_owned()];
        let many: Vec<Expiring> = (0..500).map(|i| expiring(i, 5)).collect();
        let n = digest_chat(&many, 7, &[], scope(&regions)).unwrap();
        let d = &n.content.description;
        assert!(d.chars().count() <= MAX_DESCRIPTION_CHARS, "{}", d.len());
        assert!(!d.ends_with('…'), "cut inside a line");
        let shown = d.lines().filter(|l| l.starts_with("• ")).count();
        assert!(shown > 10, "{shown}");
        assert!(d.contains(&format!("…and {} more", 500 - shown + 7)), "{d}");
    }

    #[test]
    fn nothing_to_say_sends_nothing() {
        let regions = ["us-east-1".to_owned()];
        assert!(digest_chat(&[], 3, &[], scope(&regions)).is_none());
    }
}
