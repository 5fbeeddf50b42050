//! `SCAN_QUEUE_URL`: the SQS queue a scheduled scan spreads its accounts over, one message each.

use certwatch_contract::Service;
use certwatch_contract::endpoints::service_endpoint;

/// The queue a scan's accounts are sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanQueue {
    /// The queue's URL, as SQS gave it: `https://sqs.<region>.amazonaws.com/<account>/<name>`.
    pub url: String,
    /// The region its URL names, where it is SQS's own endpoint; else certwatch's own region
    /// is where the queue is (an endpoint override, as in tests).
    pub region: Option<String>,
}

impl ScanQueue {
    /// `text` if it is a queue URL: http(s), a host, and the path `/<account id>/<queue name>`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let shown: String = text.chars().take(200).collect();
        let not_a_queue = || {
            format!(
                "{shown:?} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account>/<queue>)"
            )
        };
        let uri: http::Uri = text.parse().map_err(|_| not_a_queue())?;
        let (Some(scheme @ ("http" | "https")), Some(authority)) =
            (uri.scheme_str(), uri.authority())
        else {
            return Err(not_a_queue());
        };
        let mut path = uri.path().trim_start_matches('/').split('/');
        let (Some(account), Some(name), None) = (path.next(), path.next(), path.next()) else {
            return Err(not_a_queue());
        };
        let account_ok = account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit());
        let name_ok = (1..=80).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !account_ok || !name_ok || uri.query().is_some() {
            return Err(not_a_queue());
        }
        let origin = format!("{scheme}://{}", authority.as_str().to_ascii_lowercase());
        let region = match service_endpoint(&origin) {
            Some((Service::Sqs, region)) => Some(region.to_owned()),
            _ => None,
        };
        Ok(Self {
            url: text.to_owned(),
            region,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_url_names_its_region_where_it_is_sqss_own() {
        let queue =
            ScanQueue::parse("https://sqs.eu-west-1.amazonaws.com/111111111111/certwatch-scan")
                .unwrap();
        assert_eq!(queue.region.as_deref(), Some("eu-west-1"));
        let local = ScanQueue::parse("http://127.0.0.1:5000/123456789012/scan.fifo").unwrap();
        assert_eq!(local.region, None);
        assert_eq!(local.url, "http://127.0.0.1:5000/123456789012/scan.fifo");
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "sqs.us-east-1.amazonaws.com/111111111111/q",
            "ftp://sqs.us-east-1.amazonaws.com/111111111111/q",
            "https://sqs.us-east-1.amazonaws.com/",
            "https://sqs.us-east-1.amazonaws.com/111111111111",
            "https://sqs.us-east-1.amazonaws.com/1111/q",
            "https://sqs.us-east-1.amazonaws.com/111111111111/q/x",
            "https://sqs.us-east-1.amazonaws.com/111111111111/q?x=1",
            "https://sqs.us-east-1.amazonaws.com/111111111111/q%20x",
        ] {
            let error = ScanQueue::parse(bad).unwrap_err();
            assert!(error.contains("is not an SQS queue URL"), "{bad}: {error}");
        }
    }
}
