//! A scan's last imports go to every hub at once: each hub's rate limit is its own, and in a
//! scan across accounts that last import is on every account's path.

use certwatch_contract::Outcome;
use certwatch_guest::aws::{AwsRequest, AwsResponse, Operation, SendFailure};
use certwatch_guest::responder::{self, Platform};
use std::cell::Cell;
use std::task::Poll;
use std::time::Duration;
use time::OffsetDateTime;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-29 12:00 UTC);
const REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];

/// AWS answering at once, except that an import's reply takes one more poll: long enough to
/// tell whether another import went out before it was answered.
#[derive(Default)]
struct Hubs {
    importing: Cell<u32>,
    most_importing: Cell<u32>,
    imports: Cell<u32>,
}

impl Platform for Hubs {
    fn now(&self) -> OffsetDateTime {
        NOW
    }

    async fn send(&self, request: &AwsRequest) -> Result<AwsResponse, SendFailure> {
        let body = match request.operation {
            Operation::ListCertificates => {
                // One certificate in each region, expiring in 5 days.
                let region = request.region.as_str();
                serde_json::json!({ "CertificateSummaryList": [{
                    "CertificateArn": format!("arn:aws:acm:{region}:123456789012:certificate/00000000-0000-4000-8000-000000000001"),
                    "DomainName": format!("{region}.example.com"),
                    "Status": "ISSUED",
                    "Type": "IMPORTED",
                    "NotAfter": (NOW + Duration::from_secs(5 * 86_400 + 3_600)).unix_timestamp(),
                }]})
                .to_string()
            }
            Operation::GetFindings => r#"{"Findings":[]}"#.to_owned(),
            Operation::BatchImportFindings => {
                self.imports.set(self.imports.get() + 1);
                self.importing.set(self.importing.get() + 1);
                let most = self.most_importing.get().max(self.importing.get());
                self.most_importing.set(most);
                pending_once().await;
                self.importing.set(self.importing.get() - 1);
                r#"{"FailedCount":0,"SuccessCount":1,"FailedFindings":[]}"#.to_owned()
            }
            other => panic!("the scan asked for {other:?}"),
        };
        Ok(AwsResponse {
            status: 200,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.into_bytes(),
        })
    }

    async fn sleep(&self, _: Duration) {}

    fn jitter(&self) -> f64 {
        0.5
    }
}

/// Pending once, then ready.
async fn pending_once() {
    let mut polled = false;
    std::future::poll_fn(|_| match std::mem::replace(&mut polled, true) {
        true => Poll::Ready(()),
        false => Poll::Pending,
    })
    .await
}

#[test]
fn the_last_imports_go_to_every_hub_at_once() {
    let hubs = Hubs::default();
    let env: Vec<(String, String)> = [
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "secret"),
        ("AWS_REGION", REGIONS[0]),
        ("SCAN_REGIONS", &REGIONS.join(",")),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    let event = serde_json::json!({
        "version": "0", "id": "scan", "detail-type": "Scheduled Event", "source": "aws.events",
        "account": "123456789012", "time": "2026-11-29T12:00:00Z", "region": REGIONS[0],
        "resources": [], "detail": {}
    })
    .to_string();
    let outcome: Outcome = block_on(responder::handle(&hubs, &env, &event)).into();
    let Outcome::Scanned(report) = outcome else {
        panic!("the scan failed: {outcome:?}");
    };
    assert_eq!(report.findings_imported, 2, "{report:?}");
    assert_eq!(hubs.imports.get(), 2);
    assert_eq!(
        hubs.most_importing.get(),
        2,
        "one hub's import waited for the other's"
    );
}

/// Runs `future` to its end, polling again after each return: nothing here waits on I/O.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("the responder is still waiting after ten thousand polls");
}
