//! `certwatch scan` end to end against moto: real certificates in ACM, a real hub and topic,
//! every request signature-checked and IAM-authorised, through the real binary and component.
//! A terminal is a pseudo-terminal from `script`.

use crate::moto::{account, findings, notifications, policy, topic_arn};
use crate::support::moto::{Keys, REGION, Session, session};
use crate::support::{Ran, SCHEDULED_SCAN, certwatch, run, run_with_input};
use serde_json::Value;
use std::process::Command;

/// What the progress line starts with, and the sequence that erases it.
const PROGRESS: &str = "scanning: ";
const ERASE: &str = "\r\x1b[2K";

/// `command` with moto's endpoint and `keys`, as a person with that account's setup has it.
fn against_moto<'a>(
    command: &'a mut Command,
    moto: &Session,
    keys: &Keys,
    env: &[(&str, &str)],
) -> &'a mut Command {
    command
        .env("AWS_ACCESS_KEY_ID", &keys.id)
        .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("EXPIRY_DAYS", "45")
        .env("SNS_TOPIC_ARN", topic_arn())
        .envs(env.iter().copied())
}

/// `certwatch scan` with `args`, its output going to pipes.
fn scan(moto: &Session, keys: &Keys, args: &[&str], env: &[(&str, &str)]) -> Ran {
    let mut command = certwatch();
    command.arg("scan").args(args);
    let ran = run(against_moto(&mut command, moto, keys, env));
    assert!(
        !ran.stdout.contains(&keys.secret) && !ran.stderr.contains(&keys.secret),
        "the secret key leaked"
    );
    ran
}

fn json(ran: &Ran) -> Value {
    serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}):\n{}\n{}", ran.stdout, ran.stderr))
}

/// `certwatch scan` with `args` on a pseudo-terminal: what the terminal showed (standard output
/// and standard error together), and the exit status.
fn scan_on_a_terminal(
    moto: &Session,
    keys: &Keys,
    certwatch: &Command,
    args: &str,
    env: &[(&str, &str)],
) -> (Option<i32>, String) {
    let program = certwatch.get_program().to_string_lossy().into_owned();
    let given: Vec<String> = certwatch
        .get_args()
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect();
    let line = format!("'{program}' {} scan {args}", given.join(" "));
    let mut script = Command::new("script");
    script.args(["-qec", &line, "/dev/null"]).env_clear();
    for (name, value) in certwatch.get_envs() {
        if let Some(value) = value {
            script.env(name, value);
        }
    }
    script.env("TERM", "xterm");
    let ran = run_with_input(against_moto(&mut script, moto, keys, env), b"");
    (ran.code, ran.stdout)
}

#[test]
fn json_lists_every_certificate_moto_holds_soonest_first() {
    let moto = session();
    let days = [300, 44, 1, 46, 10];
    let (keys, arns) = account(&moto, &days, true);
    let ran = scan(&moto, &keys, &["--format", "json"], &[]);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    assert!(
        !ran.stderr.contains(PROGRESS),
        "progress off a terminal: {}",
        ran.stderr
    );
    let outcome = json(&ran);
    assert_eq!(outcome["status"], "scanned", "{outcome}");
    assert_eq!(outcome["certificates_seen"], 5, "{outcome}");
    let listed = outcome["certificates"].as_array().expect("a list");
    let mut expected: Vec<(u32, &String)> = days.iter().copied().zip(&arns).collect();
    expected.sort();
    assert_eq!(listed.len(), expected.len(), "{outcome}");
    for (entry, (days, arn)) in listed.iter().zip(expected) {
        assert_eq!(entry["arn"], arn.as_str(), "{entry}");
        assert_eq!(entry["domain"], format!("d{days}.example.com"), "{entry}");
        assert_eq!(entry["region"], REGION, "{entry}");
        assert_eq!(entry["days_left"], days, "{entry}");
        assert_eq!(entry["in_window"], days <= 45, "{entry}");
        assert_eq!(entry["type"], "IMPORTED", "{entry}");
        let action = if days <= 45 {
            "finding-raised"
        } else {
            "nothing"
        };
        assert_eq!(entry["action"], action, "{entry}");
        let not_after = entry["not_after"].as_str().expect("an expiry");
        assert!(
            time::OffsetDateTime::parse(not_after, &time::format_description::well_known::Rfc3339)
                .is_ok(),
            "{entry}"
        );
    }
    // Not a dry run: the scan did what the daily one does.
    moto.relax_auth();
    let written = (findings(&moto, REGION).len(), notifications(&moto).len());
    assert_eq!(written, (3, 1), "findings and messages");
}

#[test]
fn csv_is_a_header_and_a_row_a_certificate_with_whole_arns() {
    let moto = session();
    let (keys, arns) = account(&moto, &[20, 200], true);
    let ran = scan(&moto, &keys, &["--format", "csv", "--dry-run"], &[]);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let lines: Vec<&str> = ran.stdout.split("\r\n").collect();
    assert_eq!(
        lines,
        [
            "arn,domain,region,not_after,days_left,in_window,type,in_use,status,action,reason",
            lines[1],
            lines[2],
            ""
        ]
    );
    for (line, (arn, days)) in lines[1..3].iter().zip([(&arns[0], 20), (&arns[1], 200)]) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields[0], arn.as_str(), "{line}");
        assert_eq!(fields[4], days.to_string(), "{line}");
        assert_eq!(fields[5], (days <= 45).to_string(), "{line}");
    }
}

#[test]
fn a_dry_run_decides_everything_and_writes_nothing() {
    let moto = session();
    let (keys, _) = account(&moto, &[5, 30, 100], true);
    let ran = scan(&moto, &keys, &["--dry-run", "--format", "json"], &[]);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let outcome = json(&ran);
    let mut planned: Vec<&str> = outcome["planned"]
        .as_array()
        .expect("the requests not sent")
        .iter()
        .filter_map(|p| p["operation"].as_str())
        .collect();
    planned.sort();
    assert_eq!(
        planned,
        ["securityhub:BatchImportFindings", "sns:Publish"],
        "{outcome}"
    );
    let raised = outcome["certificates"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|c| c["action"] == "finding-raised")
        .count();
    assert_eq!(raised, 2, "{outcome}");
    moto.relax_auth();
    assert_eq!(findings(&moto, REGION), Vec::<Value>::new());
    assert_eq!(notifications(&moto), Vec::<Value>::new());
}

#[test]
fn fail_on_expiring_exits_3_with_a_certificate_inside_the_window_and_0_without() {
    let moto = session();
    let (keys, _) = account(&moto, &[100, 400], true);
    let ran = scan(&moto, &keys, &["--fail-on-expiring", "--dry-run"], &[]);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    moto.relax_auth();
    moto.aws_one(serde_json::json!({ "command": "import_new_certificate", "domain": "soon.example.com", "days": 12 }));
    moto.enforce_auth();
    let ran = scan(&moto, &keys, &["--fail-on-expiring", "--dry-run"], &[]);
    assert_eq!(ran.code, Some(3), "{}\n{}", ran.stdout, ran.stderr);
    // Without the flag the same scan is a success.
    let ran = scan(&moto, &keys, &["--dry-run"], &[]);
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
}

#[test]
fn a_scan_that_fails_exits_1_and_says_why() {
    let moto = session();
    let (_, _) = account(&moto, &[10], true);
    moto.relax_auth();
    let unlisting = moto.user("cannot-list", &policy(&["acm:ListCertificates"]));
    moto.enforce_auth();
    let ran = scan(&moto, &unlisting, &["--format", "table"], &[]);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(ran.stdout, "");
    assert!(
        ran.stderr.contains("certwatch: the scan failed (aws)")
            && ran.stderr.contains("listing the certificates in us-east-1"),
        "{}",
        ran.stderr
    );
    let ran = scan(&moto, &unlisting, &["--format", "json"], &[]);
    assert_eq!(ran.code, Some(1), "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(json(&ran)["status"], "error");
}

#[test]
fn on_a_terminal_a_progress_line_then_the_table_in_colour() {
    let moto = session();
    let (keys, _) = account(&moto, &[3, 20, 90, 200], true);
    let (code, shown) = scan_on_a_terminal(&moto, &keys, &certwatch(), "--dry-run", &[]);
    assert_eq!(code, Some(0), "{shown}");
    let header = shown
        .find("DAYS  EXPIRES")
        .unwrap_or_else(|| panic!("no table: {shown}"));
    let progress = shown[..header]
        .rfind(PROGRESS)
        .unwrap_or_else(|| panic!("no progress line before the table: {shown:?}"));
    assert!(
        shown[progress..header].contains("1/1 region done, 4 certificates seen"),
        "{shown:?}"
    );
    // The last progress drawn is erased before the table starts.
    assert!(shown[progress..header].contains(ERASE), "{shown:?}");
    assert!(!shown[header..].contains(PROGRESS), "{shown:?}");
    assert!(shown.contains("\x1b[1;31m!"), "no colour: {shown:?}");
    assert!(shown.contains("would raise finding"), "{shown}");
    eprintln!("{shown}");

    let (code, plain) = scan_on_a_terminal(
        &moto,
        &keys,
        &certwatch(),
        "--dry-run",
        &[("NO_COLOR", "1")],
    );
    assert_eq!(code, Some(0), "{plain}");
    assert!(
        !plain.contains("\x1b[1;31m") && !plain.contains("\x1b[33m"),
        "{plain:?}"
    );
    assert!(plain.contains("!     3"), "{plain}");
}

/// The portable component (`certwatch component`) does not import `progress`; the host still
/// runs it, and its scan simply draws no progress.
#[test]
fn the_portable_component_scans_too_without_progress() {
    let moto = session();
    let (keys, _) = account(&moto, &[8], true);
    let wasm = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("certwatch-portable.wasm");
    let written = run(certwatch().arg("component").arg("--output").arg(&wasm));
    assert_eq!(written.code, Some(0), "{}", written.stderr);
    let mut portable = Command::new(env!("CARGO_BIN_EXE_certwatch"));
    portable
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env!("CARGO_TARGET_TMPDIR"))
        .arg("--component")
        .arg(&wasm);
    let (code, shown) = scan_on_a_terminal(&moto, &keys, &portable, "--dry-run", &[]);
    assert_eq!(code, Some(0), "{shown}");
    assert!(shown.contains("would raise finding"), "{shown}");
    assert!(!shown.contains(PROGRESS), "{shown:?}");
}

/// The list is `certwatch scan`'s alone: a schedule's own event, as Lambda gets it, ends in an
/// outcome without it.
#[test]
fn a_scheduled_events_outcome_lists_no_certificates() {
    let moto = session();
    let (keys, _) = account(&moto, &[10, 300], true);
    let mut command = certwatch();
    command.args(["run", "-"]);
    let ran = run_with_input(
        against_moto(
            &mut command,
            &moto,
            &keys,
            &[("CERTWATCH_SCAN_LIST", "true")],
        ),
        SCHEDULED_SCAN.as_bytes(),
    );
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let outcome = json(&ran);
    assert_eq!(outcome["status"], "scanned", "{outcome}");
    assert_eq!(outcome["certificates_seen"], 2, "{outcome}");
    assert!(outcome.get("certificates").is_none(), "{outcome}");
}
