//! The `certwatch` binary as a user runs it.

use crate::support::{certwatch, events_dir, run};
use std::io::Read as _;
use std::net::TcpListener;

use crate::secrets::with_credentials;

fn assert_no_secret(text: &str) {
    crate::secrets::assert_no_secret("the output", text);
}

#[test]
fn replay_command_passes_every_fixture_and_says_so() {
    let ran = run(certwatch().arg("replay").arg(events_dir()));
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let last = ran.stdout.lines().last().unwrap_or_default();
    assert!(last.ends_with("passed, 0 failed"), "{last}");
}

#[test]
fn replay_show_prints_requests_and_outcome() {
    let ran = run(certwatch()
        .args(["replay", "--show"])
        .arg(events_dir().join("in-window")));
    assert_eq!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stdout
            .contains("--> POST https://sns.us-east-1.amazonaws.com/"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("Subject=Certificate Expiration Notification"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("\"status\": \"handled\""),
        "{}",
        ran.stdout
    );
}

#[test]
fn a_malformed_event_is_a_clear_error_outcome() {
    let ran =
        run(with_credentials(certwatch().args(["run", "-"])).stdin(std::process::Stdio::null()));
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    let outcome: serde_json::Value =
        serde_json::from_str(&ran.stdout).expect("the outcome is JSON");
    assert_eq!(outcome["status"], "error");
    assert_eq!(outcome["kind"], "malformed-event");
    assert!(
        outcome["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not an EventBridge event")
    );
}

#[test]
fn missing_credentials_are_reported_before_anything_runs() {
    let ran = run(certwatch()
        .arg("run")
        .arg(events_dir().join("in-window/event.json")));
    assert_eq!(ran.code, Some(2), "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stderr.contains("no AWS credentials"), "{}", ran.stderr);
}

#[test]
fn an_unreachable_endpoint_is_a_retryable_transport_error_without_secrets() {
    // A port nothing listens on: connections are refused at once.
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let ran = run(with_credentials(
        certwatch()
            .arg("run")
            .arg(events_dir().join("in-window/event.json")),
    )
    .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}"))
    .env(
        "SNS_TOPIC_ARN",
        "arn:aws:sns:us-east-1:123456789012:certificate-expiry",
    )
    .env("CERTWATCH_LOG", "certwatch=debug"));
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    let outcome: serde_json::Value =
        serde_json::from_str(&ran.stdout).expect("the outcome is JSON");
    assert_eq!(outcome["kind"], "transport", "{outcome}");
    assert_eq!(outcome["retryable"], true, "{outcome}");
    assert_no_secret(&ran.stdout);
    assert_no_secret(&ran.stderr);
}

#[test]
fn a_request_outside_the_outbound_policy_is_refused_once_and_not_retried() {
    // certwatch runs in the aws partition; the certificate is in China's: the host refuses
    // the component's requests there before any connection, and the outcome says so.
    let ran = run(with_credentials(
        certwatch()
            .arg("run")
            .arg(events_dir().join("partition-aws-cn/event.json")),
    )
    .env("AWS_REGION", "us-east-1")
    .env("CERTWATCH_LOG", "certwatch=warn"));
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    let outcome: serde_json::Value =
        serde_json::from_str(&ran.stdout).expect("the outcome is JSON");
    assert_eq!(outcome["kind"], "refused", "{outcome}");
    assert_eq!(outcome["retryable"], false, "{outcome}");
    let message = outcome["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("the host refused the request to https://acm.cn-north-1.amazonaws.com.cn"),
        "{message}"
    );
    // Once per request, never retried: DescribeCertificate and the finding lookup.
    let refusals = ran
        .stderr
        .matches("outgoing request refused by the host policy")
        .count();
    assert_eq!(refusals, 2, "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("the host policy refuses https://acm.cn-north-1.amazonaws.com.cn"),
        "{}",
        ran.stderr
    );
    assert_no_secret(&ran.stdout);
    assert_no_secret(&ran.stderr);
}

#[test]
fn a_silent_endpoint_hits_the_deadline_and_the_event_is_not_lost() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    // Accept connections and never answer.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in listener.incoming().flatten() {
            let mut buf = [0u8; 1024];
            let _ = stream.read(&mut buf);
            held.push(stream);
        }
    });
    let started = std::time::Instant::now();
    let ran = run(with_credentials(
        certwatch()
            .args(["--deadline", "2", "run"])
            .arg(events_dir().join("in-window/event.json")),
    )
    .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")));
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    let outcome: serde_json::Value =
        serde_json::from_str(&ran.stdout).expect("the outcome is JSON");
    assert_eq!(outcome["kind"], "deadline", "{outcome}");
    assert_eq!(outcome["retryable"], true);
    assert!(
        started.elapsed().as_secs() < 20,
        "the deadline did not stop the event"
    );
    assert_no_secret(&ran.stdout);
    assert_no_secret(&ran.stderr);
}

/// `certwatch run -` with `input` on standard input; its exit code and outcome.
fn run_stdin(input: &[u8]) -> (Option<i32>, serde_json::Value) {
    let ran =
        crate::support::run_with_input(with_credentials(certwatch().args(["run", "-"])), input);
    let outcome =
        serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {}", ran.stdout));
    (ran.code, outcome)
}

#[test]
fn hostile_input_is_refused_with_a_clear_error() {
    let too_large = format!("{{\"id\":\"{}\"}}", "x".repeat(300 * 1024));
    let too_deep = format!(
        "{{\"id\":\"x\",\"detail\":{}{}}}",
        "[".repeat(5_000),
        "]".repeat(5_000)
    );
    let cases: [(&[u8], &str); 4] = [
        (b"{\"id\":\"\xff\xfe\"}", "not UTF-8"),
        (too_large.as_bytes(), "over the 262144-byte limit"),
        (too_deep.as_bytes(), "recursion limit"),
        (b"", "not an EventBridge event"),
    ];
    for (input, expected) in cases {
        let (code, outcome) = run_stdin(input);
        assert_eq!(code, Some(1), "{outcome}");
        assert_eq!(outcome["kind"], "malformed-event", "{outcome}");
        assert!(
            outcome["message"]
                .as_str()
                .unwrap_or_default()
                .contains(expected),
            "{expected}: {outcome}"
        );
    }
}

#[test]
fn a_precompiled_component_certwatch_did_not_write_for_this_build_is_refused() {
    let written = std::fs::read(crate::support::precompiled_component()).expect("the file");
    // Another build's file: the fingerprint in its last line differs.
    let line = written.len() - certwatch::precompiled::TRAILER_LEN;
    let digit = line + b"certwatch-precompiled ".len();
    let mut other_build = written.clone();
    other_build[digit] = if other_build[digit] == b'0' {
        b'1'
    } else {
        b'0'
    };
    // wasmtime's artifact without the line certwatch puts after it.
    let bare = written[..line].to_vec();
    for (name, bytes, says) in [
        ("other-build", other_build, "run `certwatch compile` again"),
        (
            "bare",
            bare,
            "a precompiled artifact certwatch did not write",
        ),
    ] {
        let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("certwatch-{}-{name}.cwasm", std::process::id()));
        std::fs::write(&path, bytes).expect("writing the file");
        let ran = run(std::process::Command::new(env!("CARGO_BIN_EXE_certwatch"))
            .arg("--component")
            .arg(&path)
            .arg("replay")
            .arg(events_dir().join("in-window")));
        let _ = std::fs::remove_file(&path);
        assert_eq!(ran.code, Some(2), "{name}: {}\n{}", ran.stdout, ran.stderr);
        assert!(ran.stderr.contains(says), "{name}: {}", ran.stderr);
    }
}

/// The component's size budget. It was 1 MB until the component learned STS, Organizations,
/// EventBridge and SQS for organizations, chat and incident tools (session 8: 1.05 MB at
/// opt-level "s" with the organization alone); opt-level "z" is the next dial (0.98 MB then),
/// untried until its cost per event is measured.
const COMPONENT_BUDGET_BYTES: usize = 1_200_000;

#[test]
fn the_component_stays_within_its_budget() {
    let size = certwatch::runtime::EMBEDDED_COMPONENT.len();
    assert!(
        size <= COMPONENT_BUDGET_BYTES,
        "the component is {size} bytes, over its {COMPONENT_BUDGET_BYTES}-byte budget"
    );
}

#[test]
fn a_bless_that_fails_leaves_the_fixture_as_it_was() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("bless-fails");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("creating the fixture folder");
    let source = events_dir().join("in-window");
    for file in ["event.json", "outcome.json"] {
        std::fs::copy(source.join(file), dir.join(file)).expect("copying the fixture");
    }
    // Without the publish exchange, the component sends a request nothing answers.
    let replay = std::fs::read_to_string(source.join("replay.json")).expect("reading replay.json");
    let mut replay: serde_json::Value = serde_json::from_str(&replay).expect("replay.json is JSON");
    let exchanges = replay["exchanges"].as_array_mut().expect("exchanges");
    exchanges.pop();
    let before = serde_json::to_string_pretty(&replay).expect("serialising");
    std::fs::write(dir.join("replay.json"), &before).expect("writing replay.json");

    let ran = run(certwatch().args(["replay", "--bless"]).arg(&dir));
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    assert!(ran.stdout.contains("not saved"), "{}", ran.stdout);
    let after = std::fs::read_to_string(dir.join("replay.json")).expect("reading replay.json");
    assert_eq!(after, before, "a failed bless rewrote the fixture");
}

#[test]
fn a_component_precompiled_for_any_machine_of_this_architecture_runs_here() {
    let architecture = certwatch::code_target::Architecture::this_machine()
        .expect("the tests run on x86_64 or aarch64 Linux");
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("certwatch-{}-any.cwasm", std::process::id()));
    let compiled = run(std::process::Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("compile")
        .arg("--target")
        .arg(architecture.triple())
        .arg("--output")
        .arg(&path));
    assert_eq!(compiled.code, Some(0), "{}", compiled.stderr);
    // Not this machine's code: another fingerprint than `certwatch compile` without a target.
    let this_machine = std::fs::read(crate::support::precompiled_component()).expect("a file");
    let any_machine = std::fs::read(&path).expect("the file");
    let named = certwatch::precompiled::named_fingerprint;
    assert!(named(&any_machine).is_some());
    assert_ne!(named(&any_machine), named(&this_machine));
    let ran = run(std::process::Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .arg("--component")
        .arg(&path)
        .arg("replay")
        .arg(events_dir()));
    let _ = std::fs::remove_file(&path);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);

    let unknown = run(std::process::Command::new(env!("CARGO_BIN_EXE_certwatch"))
        .args(["compile", "--target", "arm64", "--output"])
        .arg(&path));
    assert_eq!(unknown.code, Some(2), "{}", unknown.stderr);
    assert!(
        unknown.stderr.contains("aarch64-unknown-linux-gnu"),
        "{}",
        unknown.stderr
    );
    assert!(!path.exists());
}
