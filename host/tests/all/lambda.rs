//! certwatch as a Lambda custom runtime, driven by cargo-lambda's Runtime API emulator (a Lambda
//! nobody here wrote), against moto.

use crate::support::moto::{ACCOUNT, REGION, Session, session};
use crate::support::{Running, certwatch, events_dir, repo_root, start_logged, venv};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

/// cargo-lambda's emulator with only the Runtime API (`cargo lambda watch --only-lambda-apis`).
pub struct Emulator {
    _process: Running,
    port: u16,
}

impl Emulator {
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut command = Command::new(venv().join("bin/cargo-lambda"));
        command
            .args([
                "lambda",
                "watch",
                "--only-lambda-apis",
                "-A",
                "127.0.0.1",
                "-P",
                &port.to_string(),
            ])
            // It reads the workspace's metadata, though it builds nothing.
            .current_dir(repo_root());
        let process = start_logged(
            &mut command,
            "cargo-lambda's emulator",
            port,
            "cargo-lambda.log",
        );
        Self {
            _process: process,
            port,
        }
    }

    pub fn runtime_api(&self) -> String {
        format!("http://127.0.0.1:{}/.rt", self.port)
    }

    /// `cargo lambda invoke` with `event`; its exit code and what it printed.
    pub fn invoke(&self, event: &str) -> (Option<i32>, String) {
        let output = self
            .invoke_command(event)
            .output()
            .expect("running cargo lambda invoke");
        Self::printed(output)
    }

    fn invoke_command(&self, event: &str) -> Command {
        let mut command = Command::new(venv().join("bin/cargo-lambda"));
        command
            .args([
                "lambda",
                "invoke",
                "-A",
                "127.0.0.1",
                "-P",
                &self.port.to_string(),
                "--data-ascii",
                event,
                "_",
            ])
            .current_dir(repo_root())
            .stdin(Stdio::null());
        command
    }

    fn printed(output: Output) -> (Option<i32>, String) {
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), text)
    }
}

/// A certificate in moto that expires in 9 days, with the topic and hub certwatch needs: its
/// ARN.
pub fn certificate_expiring_in_9_days(moto: &Session, domain: &str) -> String {
    moto.aws_one(json!({ "command": "create_topic", "name": "certificate-expiry" }));
    moto.aws_one(json!({ "command": "enable_security_hub" }));
    let arn =
        moto.aws_one(json!({ "command": "import_new_certificate", "domain": domain, "days": 9 }));
    arn.as_str().expect("an ARN").to_owned()
}

/// `function` (certwatch's Lambda runtime) with the emulator's Runtime API and moto's
/// settings and credentials.
pub fn against_moto<'c>(
    function: &'c mut Command,
    emulator: &Emulator,
    moto: &Session,
) -> &'c mut Command {
    function
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "lambda-test-secret")
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env(
            "SNS_TOPIC_ARN",
            format!("arn:aws:sns:{REGION}:{ACCOUNT}:certificate-expiry"),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
}

/// The sample event, for the certificate `arn`.
pub fn in_window_event(arn: &str) -> String {
    std::fs::read_to_string(events_dir().join("in-window/event.json"))
        .expect("the sample event")
        .replace(
            "arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b",
            arn,
        )
}

/// The outcome of invoking `event`, once it says the certificate 9 days from expiry was
/// handled.
pub fn handled_9_days_left(emulator: &Emulator, event: &str) -> Value {
    let (code, printed) = emulator.invoke(event);
    assert_eq!(code, Some(0), "{printed}");
    let outcome: Value =
        serde_json::from_str(printed.trim()).unwrap_or_else(|e| panic!("{e}: {printed}"));
    assert_eq!(outcome["status"], "handled", "{outcome}");
    assert_eq!(outcome["certificate"]["days_left"], 9, "{outcome}");
    outcome
}

#[test]
fn invocations_are_answered_with_outcomes_and_errors() {
    let moto = session();
    let arn = certificate_expiring_in_9_days(&moto, "lambda.example.com");
    let emulator = Emulator::start();
    let _function = Running(
        against_moto(certwatch().arg("lambda"), &emulator, &moto)
            .spawn()
            .expect("starting certwatch lambda"),
    );
    let event = in_window_event(&arn);
    let outcome = handled_9_days_left(&emulator, &event);
    assert!(
        outcome["finding"].is_object() && outcome["notifications"][0].is_object(),
        "{outcome}"
    );

    // The invoked function's ARN is the finding's generator.
    let findings = moto.aws_one(json!({ "command": "get_findings" }));
    assert_eq!(
        findings[0]["GeneratorId"], "function-arn",
        "cargo-lambda names the function `function-arn`: {findings}"
    );

    // A bad event is a function error of its own type, and the runtime goes on.
    let (code, printed) = emulator.invoke(r#"{"id":"x","source":"aws.acm"}"#);
    assert_ne!(code, Some(0), "{printed}");
    assert!(printed.contains("certwatch.MalformedEvent"), "{printed}");
    let (code, printed) = emulator.invoke(&event.replace("9c95e8e4", "0c95e8e4"));
    assert_eq!(
        code,
        Some(0),
        "the runtime stopped after an error: {printed}"
    );
}

#[test]
fn bad_configuration_is_an_init_error() {
    let emulator = Emulator::start();
    // The invocation waits for the function, which fails its init.
    let invoke = emulator
        .invoke_command(r#"{"id":"x"}"#)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("invoking");
    std::thread::sleep(Duration::from_millis(500));
    let function = certwatch()
        .arg("lambda")
        .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
        .env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
        .env("AWS_SECRET_ACCESS_KEY", "lambda-test-secret")
        .env("EXPIRY_DAYS", "forty-five")
        .output()
        .expect("running certwatch lambda");
    assert_ne!(
        function.status.code(),
        Some(0),
        "certwatch started with a bad configuration"
    );
    let (_, printed) =
        Emulator::printed(invoke.wait_with_output().expect("the invocation's output"));
    assert!(
        printed.contains("certwatch.Configuration") && printed.contains("EXPIRY_DAYS"),
        "{printed}"
    );
}

#[test]
fn a_failed_event_is_a_function_error_so_lambda_sends_it_again() {
    let stub = crate::faults::stub(&["DescribeCertificate=throttle*3"]);
    let emulator = Emulator::start();
    let log = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lambda-emf-{}.log", std::process::id()));
    let function = Running(
        certwatch()
            .arg("lambda")
            .env("AWS_LAMBDA_RUNTIME_API", emulator.runtime_api())
            .envs(crate::faults::settings(&stub))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&log).expect("a log"))
            .spawn()
            .expect("starting certwatch lambda"),
    );
    let event = std::fs::read_to_string(events_dir().join("in-window/event.json"))
        .expect("the sample event");
    let (code, printed) = emulator.invoke(&event);
    assert_ne!(code, Some(0), "{printed}");
    assert!(
        printed.contains("certwatch.") && printed.contains("ThrottlingException"),
        "{printed}"
    );
    let (code, printed) = emulator.invoke(&event);
    assert_eq!(code, Some(0), "{printed}");
    assert_eq!(stub.stats().distinct_findings(), 1);

    // Each invocation's CloudWatch metrics went to standard output, one EMF record a line.
    drop(function);
    let records: Vec<Value> = std::fs::read_to_string(&log)
        .expect("the function's output")
        .lines()
        .map(|line| serde_json::from_str(line).expect("an EMF record"))
        .collect();
    let error = records
        .iter()
        .find(|r| r["Errors"] == 1)
        .expect("the error's record");
    assert_eq!(error["ErrorKind"], "aws", "{error}");
    let days = records
        .iter()
        .find(|r| r.get("DaysToExpiry").is_some())
        .expect("the certificate's record");
    assert_eq!(days["DaysToExpiry"], 11, "{days}");
    assert_eq!(
        days["_aws"]["CloudWatchMetrics"][0]["Namespace"],
        "certwatch"
    );
}
