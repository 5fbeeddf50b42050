//! Any reply to certwatch's JSON calls (ACM, Security Hub), at any status: a value or a clear
//! error, never a panic. The first byte picks the status, the rest is the body.
#![no_main]

use certwatch_guest::aws::{AwsResponse, acm, securityhub};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, body)) = data.split_first() else {
        return;
    };
    let status = [200, 400, 401, 403, 429, 500, 503][usize::from(first) % 7];
    let headers = if first & 0x80 != 0 {
        vec![(
            "x-amzn-errortype".to_owned(),
            "ThrottlingException:x".to_owned(),
        )]
    } else {
        vec![]
    };
    let response = AwsResponse {
        status,
        headers,
        body: body.to_vec(),
    };
    let _ = acm::parse_describe_certificate(&response);
    let _ = acm::parse_list_certificates(&response);
    let _ = certwatch_guest::aws::open_findings::parse_finding_lookup(&response, "id", "generator");
    let _ = certwatch_guest::aws::open_findings::parse_get_findings(&response, "generator");
    let _ = securityhub::parse_batch_update_findings(&response);
    let _ = securityhub::parse_batch_import_findings(&response);
});
