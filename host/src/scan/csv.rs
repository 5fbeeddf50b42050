//! The scan's certificates as CSV (RFC 4180): a header row, then one row a certificate, in the
//! order given, every ARN whole. The fields are the JSON list's, by the same names.
//!
//! A certificate's domain is whatever its subject says, in any account the scan reaches, and
//! a reason may quote a service's words: a spreadsheet would run such text as a formula if it
//! began with `=`, `+`, `-` or `@` (CSV injection), so free text that does is written after a
//! `'`, as OWASP advises. Numbers (a negative `days_left`) are written as they are.

use crate::outcome::ScannedCertificate;

/// The header row: the JSON entries' field names.
pub const HEADER: [&str; 11] = [
    "arn",
    "domain",
    "region",
    "not_after",
    "days_left",
    "in_window",
    "type",
    "in_use",
    "status",
    "action",
    "reason",
];

/// `certificates` as CSV, lines ending in CRLF as RFC 4180 has them.
pub fn render(certificates: &[ScannedCertificate]) -> String {
    let mut out = row(HEADER.map(str::to_owned));
    for c in certificates {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        out.push_str(&row([
            c.arn.clone(),
            inert(&c.domain),
            c.region.clone(),
            text(&c.not_after),
            c.days_left.map(|d| d.to_string()).unwrap_or_default(),
            c.in_window.to_string(),
            text(&c.kind),
            c.in_use.map(|u| u.to_string()).unwrap_or_default(),
            text(&c.status),
            c.action.name().to_owned(),
            inert(&text(&c.reason)),
        ]));
    }
    out
}

fn row<const N: usize>(fields: [String; N]) -> String {
    let fields: Vec<String> = fields.iter().map(|f| field(f)).collect();
    fields.join(",") + "\r\n"
}

/// Free text that a spreadsheet will not take for a formula.
fn inert(text: &str) -> String {
    match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{text}"),
        false => text.to_owned(),
    }
}

/// A field, quoted (its quotes doubled) when it holds a comma, a quote or a line break.
fn field(value: &str) -> String {
    match value.contains([',', '"', '\r', '\n']) {
        true => format!("\"{}\"", value.replace('"', "\"\"")),
        false => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::ScanAction;

    fn certificate() -> ScannedCertificate {
        ScannedCertificate {
            arn: "arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b".into(),
            domain: "shop.example.com".into(),
            region: "us-east-1".into(),
            not_after: Some("2026-12-04T13:00:00Z".into()),
            days_left: Some(5),
            in_window: true,
            kind: Some("IMPORTED".into()),
            in_use: None,
            status: Some("ISSUED".into()),
            action: ScanAction::FindingRaised,
            reason: None,
        }
    }

    #[test]
    fn a_header_then_one_row_a_certificate_with_the_whole_arn() {
        let csv = render(&[certificate()]);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "arn,domain,region,not_after,days_left,in_window,type,in_use,status,action,reason"
        );
        assert_eq!(
            lines[1],
            "arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b,shop.example.com,us-east-1,2026-12-04T13:00:00Z,5,true,IMPORTED,,ISSUED,finding-raised,"
        );
        assert_eq!(lines[2], "");
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn commas_quotes_and_line_breaks_are_quoted() {
        let failed = ScannedCertificate {
            action: ScanAction::Failed,
            reason: Some(
                "acm:DescribeCertificate failed: \"Throttled\", twice\nthen gave up".into(),
            ),
            ..certificate()
        };
        let csv = render(&[failed]);
        assert!(
            csv.ends_with(",failed,\"acm:DescribeCertificate failed: \"\"Throttled\"\", twice\nthen gave up\"\r\n"),
            "{csv}"
        );
    }

    #[test]
    fn free_text_that_a_spreadsheet_would_run_is_made_inert_and_numbers_are_kept() {
        let planted = ScannedCertificate {
            domain: "=HYPERLINK(\"https://evil.example\",\"renew\")".into(),
            days_left: Some(-3),
            action: ScanAction::Failed,
            reason: Some("@SUM(1+1)".into()),
            ..certificate()
        };
        let csv = render(&[planted]);
        let row = csv.split("\r\n").nth(1).unwrap_or_default();
        assert!(
            row.contains(",\"'=HYPERLINK(\"\"https://evil.example\"\",\"\"renew\"\")\",us-east-1,"),
            "{row}"
        );
        assert!(row.contains(",-3,"), "{row}");
        assert!(row.ends_with(",failed,'@SUM(1+1)"), "{row}");
    }

    #[test]
    fn no_certificates_is_the_header_alone() {
        assert_eq!(render(&[]).lines().count(), 1);
    }
}
