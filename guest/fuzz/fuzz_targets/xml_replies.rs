//! Any reply to SNS `Publish`, and any XML error document: a value or a clear error, never a
//! panic.
#![no_main]

use certwatch_guest::aws::{AwsResponse, CallError, Operation, sns};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for status in [200, 400, 404, 500] {
        let response = AwsResponse {
            status,
            headers: vec![],
            body: data.to_vec(),
        };
        let _ = sns::parse_publish(&response);
        let _ = CallError::from_response(Operation::DescribeCertificate, &response);
    }
});
