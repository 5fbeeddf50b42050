//! No credential in any output: every command runs with recognisable fake credentials and the
//! most verbose log, through successes and failures, and everything it writes is searched:
//! standard output and error, HTTP answers, Lambda's responses, and recordings on disk.

use crate::faults::stub;
use crate::lambda::Emulator;
use crate::serve::start_serve;
use crate::support::{Running, SCHEDULED_SCAN, certwatch, events_dir, http, run, run_with_input};
use certwatch_stub::Stub;
use std::process::{Command, Stdio};

pub const ACCESS_KEY: &str = "AKIACERTWATCHLEAKTEST";
pub const SECRET_KEY: &str = "certwatch-leak-test-secret-0123456789abcd";
pub const SESSION_TOKEN: &str = "certwatch-leak-test-session-token";

pub fn with_credentials(command: &mut Command) -> &mut Command {
    command
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_SESSION_TOKEN", SESSION_TOKEN)
}

pub fn assert_no_secret(what: &str, text: &str) {
    // The access key id travels in every request's Authorization header, as SigV4 wants; it
    // is not a secret there, but no output of certwatch's has any reason to show it.
    for secret in [ACCESS_KEY, SECRET_KEY, SESSION_TOKEN] {
        assert!(
            !text.contains(secret),
            "a credential leaked into {what}:\n{text}"
        );
    }
}

/// certwatch against `stub`, with the fake credentials and every log line on.
fn against(stub: &Stub) -> Command {
    let mut command = certwatch();
    with_credentials(&mut command)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL", stub.url())
        .env(
            "SNS_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:certificate-expiry",
        )
        .env("REQUEST_TIMEOUT_MS", "300")
        .env("CERTWATCH_LOG", "trace");
    command
}

fn event() -> String {
    std::fs::read_to_string(events_dir().join("in-window/event.json")).expect("the sample event")
}

#[test]
fn run_record_and_replay_never_show_a_credential() {
    for faults in [
        &[][..],
        &["Publish=500*3"],
        &["DescribeCertificate=reset*3"],
        &["GetFindings=malformed"],
        &["*=throttle*2", "BatchImportFindings=html"],
        // AWS errors that quote the request back, signature and session token included.
        &["DescribeCertificate=echo"],
        &["Publish=echo"],
    ] {
        let stub = stub(faults);
        for input in [event(), SCHEDULED_SCAN.to_owned(), "{not json".to_owned()] {
            let ran = run_with_input(against(&stub).args(["run", "-"]), input.as_bytes());
            let what = format!("`certwatch run` with {faults:?}");
            assert_no_secret(&what, &ran.stdout);
            assert_no_secret(&what, &ran.stderr);
        }
    }

    // A recording keeps every request, re-signed with the replay credentials.
    let stub = stub(&["Publish=503*1"]);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("secrets-recording-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let ran = run_with_input(
        against(&stub).args(["record", "-", "--out"]).arg(&dir),
        event().as_bytes(),
    );
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert_no_secret("`certwatch record`'s output", &(ran.stdout + &ran.stderr));
    for file in std::fs::read_dir(&dir).expect("the recording").flatten() {
        let text = std::fs::read_to_string(file.path()).expect("a recorded file");
        assert_no_secret(&file.path().display().to_string(), &text);
    }

    // Replays sign with their own credentials, whatever the environment holds.
    let mut replay = certwatch();
    with_credentials(&mut replay)
        .env("CERTWATCH_LOG", "trace")
        .args(["replay", "--show"])
        .arg(events_dir());
    let ran = run(&mut replay);
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert_no_secret("`certwatch replay --show`", &(ran.stdout + &ran.stderr));

    // A configuration error names the setting, not the credentials beside it.
    let ran = run_with_input(
        against(&stub)
            .env("EXPIRY_DAYS", "forty")
            .args(["run", "-"]),
        event().as_bytes(),
    );
    assert_ne!(ran.code, Some(0));
    assert_no_secret("a configuration error", &(ran.stdout + &ran.stderr));
}

#[test]
fn serve_and_lambda_never_show_a_credential() {
    let stub = stub(&["Publish=503*3", "DescribeCertificate=reset*1"]);
    let mut env: Vec<(&'static str, String)> = vec![
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.into()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.into()),
        ("AWS_SESSION_TOKEN", SESSION_TOKEN.into()),
        ("AWS_REGION", "us-east-1".into()),
        ("AWS_ENDPOINT_URL", stub.url()),
        (
            "SNS_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:certificate-expiry".into(),
        ),
    ];
    let (server, address) = start_serve(&[], &env);
    for body in [event(), event(), SCHEDULED_SCAN.to_owned(), "[]".to_owned()] {
        let (_, answer) = http(&address, "POST", "/", &[], &body);
        assert_no_secret("serve's answer", &answer);
    }
    assert_no_secret(
        "serve's health",
        &http(&address, "GET", "/health", &[], "").1,
    );
    drop(server);

    // The function's own output, every log line on, and what Lambda hands back.
    env.push(("CERTWATCH_LOG", "trace".into()));
    let emulator = Emulator::start();
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("secrets-lambda-{}.log", std::process::id()));
    let file = std::fs::File::create(&log).expect("a log");
    let function = Running(
        certwatch()
            .arg("lambda")
            .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("a log"))
            .stderr(file)
            .spawn()
            .expect("starting certwatch lambda"),
    );
    for body in [
        event(),
        SCHEDULED_SCAN.to_owned(),
        r#"{"id":"x"}"#.to_owned(),
    ] {
        let (_, printed) = emulator.invoke(&body);
        assert_no_secret("Lambda's response", &printed);
    }
    drop(function);
    let logged = std::fs::read_to_string(&log).expect("the function's log");
    assert!(
        !logged.is_empty(),
        "the trace log is empty: the test would prove nothing"
    );
    assert_no_secret("the Lambda function's log", &logged);
}
