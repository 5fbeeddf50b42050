//! The certificates the stub's ACM holds: numbered, each expiring a known number of days from
//! now, so a benchmark or a test knows what certwatch should find.

use serde_json::{Value, json};
use std::time::{SystemTime, UNIX_EPOCH};

/// How an ARN outside the catalogue (any other certificate an event names) expires.
pub const DAYS_LEFT_OTHERWISE: u64 = 11;

const KEY_ALGORITHMS: [&str; 4] = ["RSA_2048", "EC_prime256v1", "RSA_4096", "EC_secp384r1"];
const ID_PREFIX: &str = "00000000-0000-4000-8000-";

/// The certificates the stub's ACM lists and describes: how many, and when each expires.
#[derive(Debug, Clone)]
pub struct Catalogue {
    /// The account every certificate's ARN is in.
    pub account: String,
    /// The region every certificate is in.
    pub region: String,
    /// How many certificates `ListCertificates` lists.
    pub certificates: usize,
    /// Certificate `i` expires in `i % days_spread` days (and an hour).
    pub days_spread: u64,
    /// Leave `NotAfter` out of the listed summaries, so every certificate must be described.
    pub summaries_lack_expiry: bool,
    /// Certificates listed but deleted before they are described.
    pub vanished: Vec<usize>,
}

impl Default for Catalogue {
    fn default() -> Self {
        Self {
            account: "123456789012".into(),
            region: "us-east-1".into(),
            certificates: 0,
            days_spread: 90,
            summaries_lack_expiry: false,
            vanished: Vec::new(),
        }
    }
}

impl Catalogue {
    /// Certificate `index`'s ARN.
    pub fn arn(&self, index: usize) -> String {
        format!(
            "arn:aws:acm:{}:{}:certificate/{ID_PREFIX}{index:012}",
            self.region, self.account
        )
    }

    /// How many whole days certificate `index` has left.
    pub fn days_left(&self, index: usize) -> u64 {
        index as u64 % self.days_spread.max(1)
    }

    /// One page of `ListCertificates`, starting after `next_token`.
    pub fn page(&self, next_token: Option<&str>, max_items: usize) -> Value {
        let start = next_token.and_then(|t| t.parse().ok()).unwrap_or(0usize);
        let end = (start + max_items.clamp(1, 1000)).min(self.certificates);
        let summaries: Vec<Value> = (start..end)
            .map(|i| {
                let mut summary = json!({
                    "CertificateArn": self.arn(i),
                    "DomainName": domain(i),
                    "Status": "ISSUED",
                    "Type": "IMPORTED",
                    "KeyAlgorithm": KEY_ALGORITHMS[i % KEY_ALGORITHMS.len()],
                    "InUse": i % 2 == 0,
                });
                if !self.summaries_lack_expiry {
                    summary["NotAfter"] = not_after(self.days_left(i)).into();
                }
                summary
            })
            .collect();
        let mut page = json!({ "CertificateSummaryList": summaries });
        if end < self.certificates {
            page["NextToken"] = end.to_string().into();
        }
        page
    }

    /// The EventBridge event ACM sends for certificate `index`.
    pub fn expiry_event(&self, index: usize) -> String {
        json!({
            "version": "0",
            "id": format!("00000000-0000-4000-9000-{index:012}"),
            "detail-type": "ACM Certificate Approaching Expiration",
            "source": "aws.acm",
            "account": self.account,
            "time": "2026-11-29T00:00:00Z",
            "region": self.region,
            "resources": [self.arn(index)],
            "detail": { "DaysToExpiry": self.days_left(index), "CommonName": domain(index) },
        })
        .to_string()
    }

    /// `DescribeCertificate`'s reply for `arn`: a catalogue certificate as listed, any other
    /// one expiring in [`DAYS_LEFT_OTHERWISE`] days; `None` for one that vanished.
    pub fn describe(&self, arn: &str) -> Option<Value> {
        let index = arn
            .rsplit_once(ID_PREFIX)
            .and_then(|(_, n)| n.parse::<usize>().ok());
        if index.is_some_and(|i| self.vanished.contains(&i)) {
            return None;
        }
        let (domain, days_left) = match index {
            Some(i) => (domain(i), self.days_left(i)),
            None => ("www.example.com".to_owned(), DAYS_LEFT_OTHERWISE),
        };
        Some(json!({ "Certificate": {
            "CertificateArn": arn,
            "DomainName": domain,
            "SubjectAlternativeNames": [domain],
            "Status": "ISSUED",
            "Type": "IMPORTED",
            "KeyAlgorithm": "RSA_2048",
            "NotAfter": not_after(days_left),
            "InUseBy": [],
        }}))
    }
}

fn domain(index: usize) -> String {
    format!("host-{index}.example.com")
}

/// Now plus `days` and an hour, as the epoch seconds ACM's JSON uses.
fn not_after(days: u64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    now + days * 86_400 + 3_600
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_through_every_certificate_once() {
        let catalogue = Catalogue {
            certificates: 2_500,
            ..Catalogue::default()
        };
        let mut token: Option<String> = None;
        let mut seen = Vec::new();
        loop {
            let page = catalogue.page(token.as_deref(), 1000);
            for s in page["CertificateSummaryList"].as_array().unwrap() {
                seen.push(s["CertificateArn"].as_str().unwrap().to_owned());
            }
            match page["NextToken"].as_str() {
                Some(next) => token = Some(next.to_owned()),
                None => break,
            }
        }
        assert_eq!(seen.len(), 2_500);
        assert_eq!(seen[1234], catalogue.arn(1234));
    }

    #[test]
    fn describes_catalogue_certificates_as_listed() {
        let catalogue = Catalogue {
            certificates: 100,
            summaries_lack_expiry: true,
            ..Catalogue::default()
        };
        let listed = &catalogue.page(None, 1000)["CertificateSummaryList"][37];
        assert!(listed.get("NotAfter").is_none());
        let described = catalogue.describe(&catalogue.arn(37)).unwrap();
        let expected = not_after(37);
        let got = described["Certificate"]["NotAfter"].as_u64().unwrap();
        assert!(got.abs_diff(expected) <= 1, "{got} vs {expected}");
        let other = catalogue
            .describe("arn:aws:acm:eu-west-1:1:certificate/x")
            .unwrap();
        assert_eq!(other["Certificate"]["DomainName"], "www.example.com");
    }
}
