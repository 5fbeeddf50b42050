//! On Lambda, certwatch knows its own account from the function's ARN
//! (`Lambda-Runtime-Invoked-Function-Arn`), with no `GetCallerIdentity`. cargo-lambda's
//! emulator names every function `function-arn`, which names no account, so this test's
//! Runtime API is a loopback stand-in that hands out one invocation with a real function ARN;
//! the Runtime API itself is judged against cargo-lambda in `lambda.rs`.

use crate::moto::topic_arn;
use crate::organization::{MEMBER, central, central_keys, event_from, findings_in};
use crate::support::loopback::Endpoint;
use crate::support::moto::{ACCOUNT, REGION, session};
use crate::support::{Running, certwatch};
use serde_json::Value;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

const REQUEST_ID: &str = "invocation-1";

/// A Runtime API that hands out `event` once, as an invocation of `function_arn`, and then
/// holds every later `next` open, as Lambda does while no event is waiting.
fn runtime_api(event: String, function_arn: &str) -> Endpoint {
    let deadline = SystemTime::now()
        .checked_add(Duration::from_secs(300))
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|t| t.as_millis().to_string())
        .expect("a deadline");
    let handed_out = AtomicBool::new(false);
    Endpoint::with_headers(
        &[
            ("lambda-runtime-aws-request-id", REQUEST_ID),
            ("lambda-runtime-deadline-ms", &deadline),
            ("lambda-runtime-invoked-function-arn", function_arn),
        ],
        move |seen| match seen.path.ends_with("/invocation/next") {
            true if !handed_out.swap(true, Ordering::SeqCst) => (200, event.clone()),
            true => loop {
                std::thread::park();
            },
            false => (202, String::new()),
        },
    )
}

/// What the function posted as the invocation's response, within a minute.
fn response(api: &Endpoint) -> Value {
    let path = format!("/2018-06-01/runtime/invocation/{REQUEST_ID}/");
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(answer) = api.seen().into_iter().find(|s| s.path.starts_with(&path)) {
            assert!(answer.path.ends_with("/response"), "{answer:?}");
            return serde_json::from_str(&answer.body)
                .unwrap_or_else(|e| panic!("{e}: {}", answer.body));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("no response in a minute: {:?}", api.seen());
}

#[test]
fn on_lambda_the_functions_arn_names_its_own_account_so_sts_is_not_asked() {
    let moto = session();
    central(&moto);
    let certificate = moto.aws_one(serde_json::json!({
        "command": "import_new_certificate", "domain": "own.example.com", "days": 10
    }));
    let certificate = certificate.as_str().expect("an ARN");
    let function_arn = format!("arn:aws:lambda:{REGION}:{ACCOUNT}:function:certwatch");
    let api = runtime_api(event_from(ACCOUNT, certificate, "own-event"), &function_arn);
    // STS answers nothing useful here: any request to it is a failure of the test.
    let sts = Endpoint::start(|_| (500, String::new()));
    let keys = central_keys();
    let _function = Running(
        certwatch()
            .arg("lambda")
            .env(
                "AWS_LAMBDA_RUNTIME_API",
                api.url.trim_start_matches("http://"),
            )
            .env("AWS_ACCESS_KEY_ID", &keys.id)
            .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("AWS_ENDPOINT_URL_STS", &sts.url)
            .env("SNS_TOPIC_ARN", topic_arn())
            // Other accounts are named, so certwatch must know which account is its own.
            .env("MEMBER_ACCOUNTS", MEMBER)
            .env_remove("CERTWATCH_ACCOUNT_ID")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting certwatch lambda"),
    );

    let outcome = response(&api);
    assert_eq!(outcome["status"], "handled", "{outcome}");
    assert!(sts.seen().is_empty(), "STS was asked: {:?}", sts.seen());
    // Handled in place, in the central hub, with the function as the finding's generator.
    let findings = findings_in(&moto, None);
    assert_eq!(findings.len(), 1, "{findings:#?}");
    assert_eq!(findings[0]["AwsAccountId"], ACCOUNT);
    assert_eq!(findings[0]["GeneratorId"], function_arn.as_str());
}
