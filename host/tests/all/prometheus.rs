//! `certwatch serve --scan-every` as a Prometheus exporter, against moto: its `/metrics` read
//! by prometheus-client's reference parser and checked by `promtool check metrics`, through
//! the real binary and component.

use crate::moto::{account, topic_arn};
use crate::serve::start_serve;
use crate::support::moto::{ACCOUNT, Keys, REGION, Session, session};
use crate::support::{Running, http, promtool, repo_root, silent_aws, venv};
use serde_json::{Value, json};
use std::io::Write as _;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const NOT_AFTER: &str = "certwatch_certificate_not_after_timestamp_seconds";
const DAYS_LEFT: &str = "certwatch_certificate_days_left";
const LAST_SUCCESS: &str = "certwatch_scan_last_success_timestamp_seconds";

/// `serve` scanning moto every second as `keys`, with `args` besides.
fn serve_scanning(moto: &Session, keys: &Keys, args: &[&str]) -> (Running, String) {
    let env = [
        ("AWS_ACCESS_KEY_ID", keys.id.clone()),
        ("AWS_SECRET_ACCESS_KEY", keys.secret.clone()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("EXPIRY_DAYS", "45".to_owned()),
        ("SNS_TOPIC_ARN", topic_arn()),
    ];
    let mut all = vec!["--scan-every", "1s"];
    all.extend_from_slice(args);
    start_serve(&all, &env)
}

/// One scrape: the page as served, and as prometheus-client's parser read it.
struct Scrape {
    text: String,
    families: Vec<Value>,
}

impl Scrape {
    /// The samples named `name` (a counter's samples carry `_total`).
    fn samples(&self, name: &str) -> Vec<&Value> {
        self.families
            .iter()
            .flat_map(|f| f["samples"].as_array().into_iter().flatten())
            .filter(|s| s["name"] == name)
            .collect()
    }

    /// The value of the one sample named `name` whose labels include `labels`.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let matching: Vec<f64> = self
            .samples(name)
            .into_iter()
            .filter(|s| labels.iter().all(|(k, v)| s["labels"][k] == *v))
            .filter_map(|s| s["value"].as_f64())
            .collect();
        assert!(
            matching.len() <= 1,
            "{name} {labels:?} twice:\n{}",
            self.text
        );
        matching.first().copied()
    }

    fn scans(&self) -> f64 {
        self.value("certwatch_events_total", &[("outcome", "scanned")])
            .unwrap_or_else(|| panic!("no count of scans:\n{}", self.text))
    }
}

fn scrape(address: &str) -> Scrape {
    let (status, text) = http(address, "GET", "/metrics", &[], "");
    assert_eq!(status, 200, "{text}");
    let families = serde_json::from_str(&reference_parse(&text)).expect("parse.py prints JSON");
    Scrape { text, families }
}

/// `text` through prometheus-client's text-format parser, as JSON.
fn reference_parse(text: &str) -> String {
    let mut parse = Command::new(venv().join("bin/python"));
    parse.arg(repo_root().join("host/tests/prometheus/parse.py"));
    let output = fed(&mut parse, text);
    assert!(
        output.status.success(),
        "prometheus-client refused the page: {}\n{text}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// promtool's one complaint certwatch answers for: the issue asks for days left beside the
/// expiry in seconds (the base unit, which the alerts use), as people read a certificate's
/// life in days.
const DAYS_ARE_NOT_A_BASE_UNIT: &str =
    "certwatch_certificate_days_left use base unit \"seconds\" instead of \"days\"";

/// `promtool check metrics` on `text`: it must parse, and its linter find nothing but the one
/// complaint above.
fn assert_promtool_accepts(text: &str) {
    let output = fed(promtool().args(["check", "metrics"]), text);
    let said = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    let complaints: Vec<&str> = said
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && *l != DAYS_ARE_NOT_A_BASE_UNIT)
        .collect();
    assert!(
        complaints.is_empty(),
        "promtool check metrics (exit {:?}): {said}\n{text}",
        output.status.code()
    );
    // Its exit status says it linted the page: 0, or 3 for lint problems (the one above).
    assert!(
        matches!(output.status.code(), Some(0 | 3)),
        "promtool check metrics did not read the page: {said}"
    );
}

/// What `command` printed with `page` on its standard input.
fn fed(command: &mut Command, page: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("running {:?}: {e}", command.get_program()));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(page.as_bytes())
        .expect("writing the page");
    child.wait_with_output().expect("its output")
}

/// Scrapes until `done` holds, for up to a minute.
fn scrape_until(address: &str, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let scraped = scrape(address);
        if done(&scraped) {
            return scraped;
        }
        assert!(
            Instant::now() < deadline,
            "no {what} within a minute:\n{}",
            scraped.text
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Scrapes until two more scans than now have completed: the second started after this call.
fn after_a_whole_scan(address: &str) -> Scrape {
    let now = scrape(address).scans();
    scrape_until(address, "scan started after the change", |s| {
        s.scans() >= now + 2.0
    })
}

/// ACM's NotAfter of `arn`, as moto holds it.
fn not_after_in_moto(moto: &Session, arn: &str) -> f64 {
    moto.relax_auth();
    let seconds = moto.aws_one(json!({ "command": "not_after", "arn": arn }));
    moto.enforce_auth();
    seconds.as_f64().expect("seconds")
}

#[test]
fn metrics_list_every_certificate_and_a_deleted_one_goes_with_the_next_scan() {
    let moto = session();
    let days = [2, 13, 200];
    let (keys, arns) = account(&moto, &days, true);
    let (_server, address) = serve_scanning(&moto, &keys, &[]);
    let first = scrape_until(&address, "completed scan", |s| {
        s.value(LAST_SUCCESS, &[]).is_some()
    });

    assert_promtool_accepts(&first.text);
    for family in &first.families {
        assert!(
            family["help"].as_str().is_some_and(|h| !h.is_empty()),
            "no help: {family}"
        );
    }
    assert_eq!(first.samples(NOT_AFTER).len(), arns.len(), "{}", first.text);
    assert_eq!(first.samples(DAYS_LEFT).len(), arns.len(), "{}", first.text);
    for (arn, days) in arns.iter().zip(days) {
        let labels = [
            ("arn", arn.as_str()),
            ("domain", &format!("d{days}.example.com")),
            ("account", ACCOUNT),
            ("region", REGION),
            ("type", "IMPORTED"),
            ("in_use", "false"),
        ];
        assert_eq!(
            first.value(NOT_AFTER, &labels),
            Some(not_after_in_moto(&moto, arn)),
            "{arn}:\n{}",
            first.text
        );
        assert_eq!(
            first.value(DAYS_LEFT, &labels),
            Some(f64::from(days)),
            "{}",
            first.text
        );
    }
    let state = |state: &str| first.value("certwatch_scan_certificates", &[("state", state)]);
    assert_eq!(state("seen"), Some(3.0), "{}", first.text);
    assert_eq!(state("expiring"), Some(2.0), "{}", first.text);
    assert_eq!(
        first.value("certwatch_scan_interval_seconds", &[]),
        Some(1.0)
    );
    assert_eq!(first.value("certwatch_scan_failures_total", &[]), Some(0.0));
    assert!(!first.text.contains(&keys.secret), "the secret key leaked");

    moto.relax_auth();
    moto.aws_one(json!({ "command": "delete_certificate", "arn": arns[1] }));
    moto.enforce_auth();
    let after = after_a_whole_scan(&address);
    let listed: Vec<&str> = after
        .samples(NOT_AFTER)
        .iter()
        .filter_map(|s| s["labels"]["arn"].as_str())
        .collect();
    assert_eq!(listed.len(), 2, "{}", after.text);
    assert!(
        !after.text.contains(&arns[1]),
        "the deleted certificate stayed:\n{}",
        after.text
    );
    assert!(listed.contains(&arns[0].as_str()) && listed.contains(&arns[2].as_str()));
    assert_eq!(
        after.value("certwatch_scan_certificates", &[("state", "seen")]),
        Some(2.0)
    );
}

#[test]
fn a_failing_scan_is_counted_and_the_previous_series_stay() {
    let moto = session();
    let (keys, arns) = account(&moto, &[20, 90], true);
    let (_server, address) = serve_scanning(&moto, &keys, &[]);
    let good = scrape_until(&address, "completed scan", |s| {
        s.value(LAST_SUCCESS, &[]).is_some()
    });
    assert_eq!(good.samples(NOT_AFTER).len(), 2, "{}", good.text);

    // The user loses its permissions: AWS refuses the next scan's ListCertificates.
    moto.relax_auth();
    moto.aws_one(json!({ "command": "detach_user_policies", "user": "certwatch" }));
    moto.enforce_auth();
    let failing = |s: &Scrape| s.value("certwatch_scan_failures_total", &[]).unwrap_or(0.0);
    let first_failure = scrape_until(&address, "failed scan", |s| failing(s) >= 1.0);
    let later = scrape_until(&address, "second failed scan", |s| {
        failing(s) >= failing(&first_failure) + 1.0
    });
    assert_promtool_accepts(&later.text);
    assert!(
        later.value("certwatch_errors_total", &[("kind", "aws")]) >= Some(2.0),
        "{}",
        later.text
    );
    assert_eq!(
        later.value(LAST_SUCCESS, &[]),
        first_failure.value(LAST_SUCCESS, &[]),
        "a failed scan moved the last success:\n{}",
        later.text
    );
    for arn in &arns {
        assert_eq!(
            later.value(NOT_AFTER, &[("arn", arn)]),
            good.value(NOT_AFTER, &[("arn", arn)]),
            "{arn}:\n{}",
            later.text
        );
    }
}

#[test]
fn metrics_are_open_unless_asked_to_require_the_key() {
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "metrics-test-secret".to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("CERTWATCH_API_KEY", "metrics-test-key".to_owned()),
    ];
    let key = [("x-certwatch-key", "metrics-test-key")];
    let (_open, address) = start_serve(&["--api-key-header", "x-certwatch-key"], &env);
    let (status, page) = http(&address, "GET", "/metrics", &[], "");
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("# TYPE certwatch_events_total counter"),
        "{page}"
    );
    assert_eq!(http(&address, "POST", "/", &[], "{}").0, 401);

    let (_closed, address) = start_serve(
        &["--api-key-header", "x-certwatch-key", "--metrics-api-key"],
        &env,
    );
    let (status, body) = http(&address, "GET", "/metrics", &[], "");
    assert_eq!(status, 401, "{body}");
    assert!(!body.contains("metrics-test-key"), "{body}");
    assert_eq!(http(&address, "GET", "/metrics", &key, "").0, 200);
}

#[test]
fn shutdown_waits_for_the_scan_in_flight_within_the_deadline() {
    // An AWS that never answers keeps the first scan in flight.
    let port = silent_aws();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "shutdown-test-secret".to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
    ];
    let (mut server, _) = start_serve(&["--scan-every", "1h", "--deadline", "3"], &env);
    std::thread::sleep(Duration::from_millis(500));
    let asked = Instant::now();
    let pid = server.0.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let exit = server.0.wait().expect("waiting for the server");
    let took = asked.elapsed();
    assert!(
        exit.success(),
        "the server did not shut down cleanly: {exit}"
    );
    assert!(
        took >= Duration::from_secs(2) && took < Duration::from_secs(15),
        "shutdown took {took:?}: it should wait for the scan, up to its 3 s deadline"
    );
}

#[test]
fn a_scan_in_flight_leaves_every_event_its_instance() {
    // The scan holds an instance until its deadline; the one event serve may handle at once
    // must still get one of its own (and end in the same deadline, not a refusal).
    let port = silent_aws();
    let env = [
        ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "pool-test-secret".to_owned()),
        ("AWS_REGION", REGION.to_owned()),
        ("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{port}")),
        ("SNS_TOPIC_ARN", topic_arn()),
    ];
    let args = [
        "--scan-every",
        "1h",
        "--deadline",
        "2",
        "--max-concurrency",
        "1",
    ];
    let (_server, address) = start_serve(&args, &env);
    std::thread::sleep(Duration::from_millis(300));
    let event = std::fs::read_to_string(crate::support::events_dir().join("in-window/event.json"))
        .expect("the sample event");
    let (status, body) = http(&address, "POST", "/", &[], &event);
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("\"kind\": \"deadline\""), "{body}");
}
