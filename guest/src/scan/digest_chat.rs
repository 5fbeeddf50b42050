//! The scan's digest as one chat custom notification: the e-mail digest's own lines (a
//! markdown list already), as many as the description holds, whole lines only, and how many
//! more the e-mail has. One text for both keeps them saying the same, and the component
//! small.

use super::{AccountNames, Expiring, Resolution, digest_messages};
use crate::chat::{CustomNotification, Draft, MAX_DESCRIPTION_CHARS, context};
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
    /// Account names, in a scan across accounts: the lines grouped by account, as the
    /// e-mail's.
    pub accounts: Option<&'a AccountNames>,
}

/// The chat digest of `expiring` (soonest first, as the scan judged them): those on a
/// notification day (`due`) by name, how many more are inside the window; and `resolved`.
/// `None` when there is nothing to say.
pub fn digest_chat(
    expiring: &[Expiring],
    resolved: &[Resolution],
    scope: DigestScope<'_>,
) -> Option<CustomNotification> {
    let due: Vec<Expiring> = expiring.iter().filter(|e| e.due).cloned().collect();
    let not_due = expiring.len() - due.len();
    let messages = digest_messages(
        &due,
        not_due,
        resolved,
        scope.window_days,
        scope.regions,
        scope.now,
        scope.accounts,
    );
    // The e-mail's first part; a digest in parts has every line in them together.
    let text = messages.first()?;
    let mut lines = text.lines();
    let title = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.collect();
    // Whole lines only, leaving room for the line that says what was left out.
    let budget = MAX_DESCRIPTION_CHARS - 100;
    let mut used = 0;
    let mut shown = 0;
    for line in &rest {
        let size = line.chars().count() + 1;
        if used + size > budget {
            break;
        }
        used += size;
        shown += 1;
    }
    let mut description = rest[..shown].join("\n").trim().to_owned();
    // Certificates and renewals not shown, of every part: the e-mail's item lines start with
    // "- ", as do its footer's advice and the line that counts those not due today.
    let is_item = |l: &&&str| l.starts_with("- ") && !l.starts_with("- and ");
    let advice_at = rest
        .iter()
        .position(|l| *l == "What to do:")
        .unwrap_or(rest.len());
    let items_shown = rest[..shown.min(advice_at)].iter().filter(is_item).count();
    let left_out = (due.len() + resolved.len()).saturating_sub(items_shown);
    if left_out > 0 {
        description.push_str(&format!(
            "\n\n…and {left_out} more: the e-mail digest and Security Hub list every one."
        ));
    }
    let expiring_count = (due.len() + not_due).to_string();
    let resolved_count = resolved.len().to_string();
    Some(
        Draft {
            id: Some(scope.scan_id.to_owned()),
            title: format!(":hourglass: certwatch: {title}"),
            description,
            next_steps: Vec::new(),
            keywords: std::iter::once("certwatch".to_owned())
                .chain(scope.regions.iter().cloned())
                .collect(),
            // Each day's digest is its own message, not a reply to yesterday's.
            thread_id: None,
            summary: format!("{expiring_count} expiring, {resolved_count} resolved"),
            event_type: DIGEST_EVENT_TYPE.to_owned(),
            related_resources: due.iter().map(|e| e.detail.arn.clone()).collect(),
            additional_context: context(&[
                ("regions", scope.regions.join(",")),
                ("expiring", expiring_count),
                ("resolved", resolved_count),
            ]),
        }
        .fit(),
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
            accounts: None,
        }
    }

    #[test]
    fn the_digest_says_what_the_email_says_soonest_first() {
        let regions = ["us-east-1".to_owned()];
        let certificates = [expiring(2, -1), expiring(3, 10), expiring(1, 44)];
        let n = digest_chat(&certificates, &[], scope(&regions)).unwrap();
        let email = &digest_messages(
            &certificates,
            0,
            &[],
            45,
            &regions,
            datetime!(2026-11-29 12:00 UTC),
            None,
        )[0];
        assert_eq!(
            n.content.title,
            ":hourglass: certwatch: 3 ACM certificates expire within 45 days (scan of us-east-1 at 2026-11-29 12:00 UTC)."
        );
        let d = &n.content.description;
        assert!(email.ends_with(d.as_str()), "{d}\n---\n{email}");
        let at = |name: &str| d.find(name).unwrap();
        assert!(at("d2.example") < at("d3.example") && at("d3.example") < at("d1.example"));
        assert_eq!(n.metadata.event_type, DIGEST_EVENT_TYPE);
        assert_eq!(n.metadata.thread_id, None);
        assert_eq!(n.id.as_deref(), Some("scan-1"));
        assert_eq!(n.metadata.related_resources.len(), 3);
        assert_eq!(n.metadata.additional_context["expiring"], "3");
    }

    #[test]
    fn a_long_digest_keeps_whole_lines_and_says_how_many_more() {
        let regions = ["us-east-1".to_owned()];
        let mut many: Vec<Expiring> = (0..507).map(|i| expiring(i, 5)).collect();
        for not_due in &mut many[500..] {
            not_due.due = false;
        }
        let n = digest_chat(&many, &[], scope(&regions)).unwrap();
        let d = &n.content.description;
        assert!(d.chars().count() <= MAX_DESCRIPTION_CHARS, "{}", d.len());
        assert!(!d.ends_with('…'), "cut inside a line");
        let shown = d.lines().filter(|l| l.starts_with("- d")).count();
        assert!(shown > 10, "{shown}");
        assert!(
            d.contains(&format!("…and {} more", 500 - shown)),
            "{shown}: {d}"
        );
        assert_eq!(n.metadata.summary, "507 expiring, 0 resolved");
    }

    #[test]
    fn nothing_to_say_sends_nothing() {
        let regions = ["us-east-1".to_owned()];
        let mut not_due = expiring(1, 20);
        not_due.due = false;
        assert!(digest_chat(&[not_due], &[], scope(&regions)).is_none());
    }
}
