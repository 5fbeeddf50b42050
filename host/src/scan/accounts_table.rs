//! A scan across accounts, per account and region, under the certificates' table: what was
//! seen, expiring and failed in each, and why an account's part failed, on one line each.

use super::table::WIDTH;
use certwatch_contract::AccountScan;

const HEADERS: [&str; 6] = ["ACCOUNT", "NAME", "REGION", "SEEN", "EXPIRING", "FAILED"];
/// The longest name shown; longer ones are cut with `…`.
const NAME_CHARS: usize = 24;

/// The table, followed by each failed account's reason; nothing for a scan of one account.
pub(super) fn render(accounts: &[AccountScan]) -> String {
    if accounts.is_empty() {
        return String::new();
    }
    let mut rows: Vec<[String; 6]> = Vec::new();
    for account in accounts {
        let name = account.name.as_deref().map(cut).unwrap_or_default();
        // Queued for a scan of its own (SCAN_QUEUE_URL): no region has run yet.
        if account.queued_as.is_some() && account.regions.is_empty() {
            rows.push([
                account.account.clone(),
                name,
                "queued".into(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            continue;
        }
        for (i, region) in account.regions.iter().enumerate() {
            let (id, name) = match i {
                0 => (account.account.clone(), name.clone()),
                _ => (String::new(), String::new()),
            };
            rows.push([
                id,
                name,
                region.region.clone(),
                region.certificates_seen.to_string(),
                region.expiring.to_string(),
                region.failed.to_string(),
            ]);
        }
    }
    let mut widths = HEADERS.map(|h| h.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(HEADERS.map(str::to_owned)).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            // Counts right-aligned, words left.
            .map(|(column, (cell, width))| match column >= 3 {
                true => format!("{cell:>width$}"),
                false => format!("{cell:<width$}"),
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    for account in accounts {
        if let Some(error) = &account.error {
            let line = format!("{} failed: {error}", account.account);
            out.push_str(&cut_to(&line, WIDTH));
            out.push('\n');
        }
    }
    out.push('\n');
    out
}

fn cut(name: &str) -> String {
    cut_to(name, NAME_CHARS)
}

/// `text`, at most `chars` characters, ending `…` when it was longer.
fn cut_to(text: &str, chars: usize) -> String {
    match text.chars().count() > chars {
        true => text.chars().take(chars - 1).chain(['…']).collect(),
        false => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use certwatch_contract::RegionScan;

    fn region(name: &str, seen: u32, expiring: u32, failed: u32) -> RegionScan {
        RegionScan {
            region: name.into(),
            certificates_seen: seen,
            expiring,
            failed,
        }
    }

    #[test]
    fn each_account_and_region_on_a_line_and_why_an_account_failed() {
        let accounts = [
            AccountScan {
                account: "111111111111".into(),
                name: Some("payments".into()),
                regions: vec![region("us-east-1", 12, 1, 0), region("eu-west-1", 3, 0, 0)],
                error: None,
                queued_as: None,
            },
            AccountScan {
                account: "444444444444".into(),
                name: None,
                regions: vec![region("us-east-1", 0, 0, 1), region("eu-west-1", 0, 0, 1)],
                error: Some(format!("could not assume the role: {}", "x".repeat(200))),
                queued_as: None,
            },
        ];
        let text = render(&accounts);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "ACCOUNT       NAME      REGION     SEEN  EXPIRING  FAILED"
        );
        assert_eq!(
            lines[1],
            "111111111111  payments  us-east-1    12         1       0"
        );
        assert_eq!(
            lines[2],
            "                        eu-west-1     3         0       0"
        );
        assert!(lines[3].starts_with("444444444444            us-east-1"));
        assert!(lines[5].starts_with("444444444444 failed: could not assume the role"));
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH), "{text}");
        assert!(render(&[]).is_empty());
    }

    #[test]
    fn an_account_queued_for_its_own_scan_is_a_line_that_says_so() {
        let queued = AccountScan {
            account: "222222222222".into(),
            name: Some("shop".into()),
            regions: Vec::new(),
            error: None,
            queued_as: Some("message-1".into()),
        };
        let text = render(&[queued]);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "222222222222  shop  queued");
    }
}
