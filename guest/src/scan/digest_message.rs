//! The digest's text: soonest first, then the findings resolved, in as many messages as SNS
//! takes.

use super::{AccountNames, Expiring, Resolution};
use crate::finding::display_domain;
use crate::timestamp::human;
use std::collections::HashMap;
use time::OffsetDateTime;

/// SNS's limit on a message, in bytes.
pub const SNS_MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// One digest, soonest first, then the findings resolved, split into messages SNS accepts;
/// none when nothing expires and nothing was resolved.
pub fn digest_messages(
    expiring: &[Expiring],
    not_due: usize,
    resolved: &[Resolution],
    window_days: u32,
    regions: &[String],
    now: OffsetDateTime,
    accounts: Option<&AccountNames>,
) -> Vec<String> {
    if expiring.is_empty() && resolved.is_empty() {
        return Vec::new();
    }
    let mut sorted: Vec<&Expiring> = expiring.iter().collect();
    sorted.sort_by(|a, b| {
        a.days_left
            .cmp(&b.days_left)
            .then_with(|| a.detail.arn.cmp(&b.detail.arn))
    });
    let count = sorted.len();
    let noun = if count == 1 {
        "certificate expires"
    } else {
        "certificates expire"
    };
    let scan = format!("scan of {} at {}", regions.join(", "), human(now));
    let header = match (count, not_due) {
        (0, 0) => format!(
            "No ACM certificate expires within {window_days} days ({scan}); {} resolved.",
            plural(resolved.len(), "finding was", "findings were")
        ),
        (0, _) => format!(
            "No ACM certificate is on a notification day ({scan}); {} resolved.",
            plural(resolved.len(), "finding was", "findings were")
        ),
        _ => format!("{count} ACM {noun} within {window_days} days ({scan})."),
    };
    let footer = match count {
        0 => "Nothing to do.".to_owned(),
        _ => "What to do:\n\
        - IMPORTED: ACM cannot renew these. Import a renewed certificate into the same ARN \
        (aws acm import-certificate --certificate-arn ARN ...).\n\
        - AMAZON_ISSUED: ACM renews these unless validation fails. Check the renewal status and \
        the domain's validation records (aws acm describe-certificate --certificate-arn ARN)."
            .to_owned(),
    };
    let mut lines: Vec<String> = match accounts {
        None => sorted.iter().map(|e| line(e)).collect(),
        Some(names) => by_account(&sorted, names),
    };
    if not_due > 0 {
        lines.push(format!(
            "- and {} inside the window but not on a notification day (NOTIFY_AT_DAYS); their findings are current in Security Hub.",
            plural(not_due, "more certificate", "more certificates")
        ));
    }
    if !resolved.is_empty() {
        if count > 0 {
            lines.push(String::new());
        }
        lines.push("Resolved since the last scan:".into());
        lines.extend(resolved.iter().map(|r| match r.renewed_until {
            Some(until) => format!(
                "- {} renewed, now expires {} ({}).",
                r.domain,
                human(until),
                r.arn
            ),
            None => format!("- {} no longer exists in ACM ({}).", r.domain, r.arn),
        }));
    }

    // Fill messages line by line, leaving room for the header, the footer and the part number.
    let budget = SNS_MAX_MESSAGE_BYTES - header.len() - footer.len() - 64;
    let mut parts: Vec<Vec<&str>> = vec![Vec::new()];
    let mut used = 0;
    for line in &lines {
        let size = line.len() + 1;
        if used + size > budget && !parts.last().is_some_and(Vec::is_empty) {
            parts.push(Vec::new());
            used = 0;
        }
        used += size;
        if let Some(part) = parts.last_mut() {
            part.push(line);
        }
    }
    let total = parts.len();
    parts
        .iter()
        .enumerate()
        .map(|(i, part)| {
            let title = if total > 1 {
                format!("{header} Part {} of {total}.", i + 1)
            } else {
                header.clone()
            };
            format!("{title}\n\n{}\n\n{footer}", part.join("\n"))
        })
        .collect()
}

/// The lines of a scan across accounts: under each account's heading (its id, and its name where
/// Organizations gave one), the accounts in the order of their soonest certificate.
fn by_account(sorted: &[&Expiring], names: &AccountNames) -> Vec<String> {
    // Grouped in one pass: a scan across a thousand accounts has tens of thousands of lines.
    let mut order: Vec<&str> = Vec::new();
    let mut groups: HashMap<&str, Vec<&Expiring>> = HashMap::new();
    for expiring in sorted {
        let account = expiring.certificate.arn().account.as_str();
        groups
            .entry(account)
            .or_insert_with(|| {
                order.push(account);
                Vec::new()
            })
            .push(expiring);
    }
    let mut lines = Vec::new();
    for account in order {
        if !lines.is_empty() {
            lines.push(String::new());
        }
        lines.push(match names.get(account) {
            Some(name) => format!("Account {account} ({name}):"),
            None => format!("Account {account}:"),
        });
        lines.extend(groups[account].iter().map(|e| line(e)));
    }
    lines
}

fn plural(n: usize, one: &str, many: &str) -> String {
    match n {
        1 => format!("1 {one}"),
        n => format!("{n} {many}"),
    }
}

fn line(expiring: &Expiring) -> String {
    let when = match expiring.days_left {
        d if d < 0 => "has expired".to_owned(),
        0 => "expires today".to_owned(),
        1 => "expires tomorrow".to_owned(),
        d => format!("in {d} days"),
    };
    format!(
        "- {} {} ({}, {}): {}",
        display_domain(&expiring.detail),
        when,
        human(expiring.not_after),
        expiring.detail.kind.as_deref().unwrap_or("unknown type"),
        expiring.certificate
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::tests::expiring;
    use time::macros::datetime;

    #[test]
    fn the_digest_lists_the_soonest_first() {
        let messages = digest_messages(
            &[expiring(1, 44), expiring(2, 1), expiring(3, 10)],
            0,
            &[],
            45,
            &["us-east-1".into()],
            datetime!(2026-11-29 12:00 UTC),
            None,
        );
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert!(m.starts_with("3 ACM certificates expire within 45 days (scan of us-east-1 at 2026-11-29 12:00 UTC)."), "{m}");
        let (a, b, c) = (
            m.find("d2.example.com").unwrap(),
            m.find("d3.example.com").unwrap(),
            m.find("d1.example.com").unwrap(),
        );
        assert!(a < b && b < c, "{m}");
        assert!(m.contains("- d2.example.com expires tomorrow (2026-12-10 12:00 UTC, IMPORTED): arn:aws:acm:us-east-1:123456789012:certificate/00000002"), "{m}");
        assert!(m.contains("What to do:"));
    }

    #[test]
    fn nothing_expiring_sends_nothing() {
        assert!(
            digest_messages(
                &[],
                0,
                &[],
                45,
                &["us-east-1".into()],
                datetime!(2026-11-29 12:00 UTC),
                None
            )
            .is_empty()
        );
    }

    #[test]
    fn resolved_findings_are_listed_even_when_nothing_expires() {
        let resolved = [
            Resolution {
                arn: "arn:aws:acm:us-east-1:1:certificate/a".into(),
                domain: "a.example.com".into(),
                renewed_until: Some(datetime!(2027-12-10 12:00 UTC)),
                owner_topic: None,
            },
            Resolution {
                arn: "arn:aws:acm:us-east-1:1:certificate/b".into(),
                domain: "b.example.com".into(),
                renewed_until: None,
                owner_topic: None,
            },
        ];
        let now = datetime!(2026-11-29 12:00 UTC);
        let messages = digest_messages(&[], 0, &resolved, 45, &["us-east-1".into()], now, None);
        assert_eq!(messages.len(), 1);
        let m = &messages[0];
        assert!(m.starts_with("No ACM certificate expires within 45 days (scan of us-east-1 at 2026-11-29 12:00 UTC); 2 findings were resolved."), "{m}");
        assert!(
            m.contains("- a.example.com renewed, now expires 2027-12-10 12:00 UTC"),
            "{m}"
        );
        assert!(m.contains("- b.example.com no longer exists in ACM"), "{m}");
        let off_day = digest_messages(&[], 3, &resolved, 45, &[], now, None);
        assert!(
            off_day[0].starts_with("No ACM certificate is on a notification day"),
            "{}",
            off_day[0]
        );
        let both = digest_messages(&[expiring(1, 3)], 2, &resolved[..1], 45, &[], now, None);
        assert!(
            both[0].contains(
                "- and 2 more certificates inside the window but not on a notification day"
            ),
            "{}",
            both[0]
        );
        assert!(
            both[0].contains("expires in 3 days") || both[0].contains("in 3 days"),
            "{}",
            both[0]
        );
        assert!(both[0].contains("Resolved since the last scan:"));
    }

    #[test]
    fn a_long_digest_is_split_under_the_sns_limit() {
        let many: Vec<_> = (0..3000).map(|i| expiring(i, (i % 40) as i64)).collect();
        let messages = digest_messages(
            &many,
            0,
            &[],
            45,
            &["us-east-1".into()],
            datetime!(2026-11-29 12:00 UTC),
            None,
        );
        assert!(messages.len() > 1);
        for (i, m) in messages.iter().enumerate() {
            assert!(
                m.len() <= SNS_MAX_MESSAGE_BYTES,
                "part {i} is {} bytes",
                m.len()
            );
            assert!(m.contains(&format!("Part {} of {}.", i + 1, messages.len())));
        }
        let listed: usize = messages.iter().map(|m| m.matches("\n- d").count()).sum();
        assert_eq!(listed, 3000);
    }

    #[test]
    fn a_scan_across_accounts_groups_them_under_each_account() {
        let in_account = |id, days, account: &str| {
            let mut e = expiring(id, days);
            let arn = e.detail.arn.replace("123456789012", account);
            e.certificate = crate::arn::CertificateArn::parse(&arn).unwrap();
            e.detail.arn = arn;
            e
        };
        let names = AccountNames::from([("111111111111".to_owned(), "payments".to_owned())]);
        let messages = digest_messages(
            &[
                in_account(1, 30, "111111111111"),
                in_account(2, 2, "222222222222"),
                in_account(3, 5, "111111111111"),
            ],
            0,
            &[],
            45,
            &["us-east-1".into()],
            datetime!(2026-11-29 12:00 UTC),
            Some(&names),
        );
        let text = &messages[0];
        let at = |needle: &str| {
            text.find(needle)
                .unwrap_or_else(|| panic!("{needle}: {text}"))
        };
        // The account with the soonest certificate first; each account's soonest first.
        assert!(at("Account 222222222222:") < at("d2.example.com"));
        assert!(at("d2.example.com") < at("Account 111111111111 (payments):"));
        assert!(at("Account 111111111111 (payments):") < at("d3.example.com"));
        assert!(at("d3.example.com") < at("d1.example.com"));
        assert!(
            text.starts_with("3 ACM certificates expire within 45 days"),
            "{text}"
        );
    }
}
