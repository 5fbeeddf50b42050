//! What the tests share: the component, precompiled once per test run, and the binary.

use certwatch::runtime::{Limits, Runtime};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("host/ is in the workspace")
        .to_owned()
}

/// An EventBridge schedule's event: a scan of the account's certificates in us-east-1.
pub const SCHEDULED_SCAN: &str = r#"{"version":"0","id":"scan","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-29T12:00:00Z","region":"us-east-1","resources":[],"detail":{}}"#;

pub fn events_dir() -> PathBuf {
    repo_root().join("events")
}

/// `.venv/`, with moto, cargo-lambda, cfn-lint, the wasmtime CLI, wash and nats-server.
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| test_tools().join(".venv"))
}

/// `.node-tools/`, with jco.
pub fn node_tools() -> PathBuf {
    test_tools().join(".node-tools")
}

/// `.debian-tools/`, with Debian's docker-registry unpacked.
pub fn debian_tools() -> PathBuf {
    test_tools().join(".debian-tools")
}

/// The repository root, once `scripts/test-tools` has installed every tool the tests run
/// (once per test run). If they cannot be installed, the tests that need them fail; they never
/// skip.
fn test_tools() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root = repo_root();
        let status = Command::new(root.join("scripts/test-tools"))
            .status()
            .expect("running scripts/test-tools");
        assert!(
            status.success(),
            "scripts/test-tools could not install the test tools (moto, cargo-lambda, cfn-lint, wasmtime, prometheus-client, wash, nats-server, jco, docker-registry, promtool)"
        );
        root
    })
}

/// Debian's `promtool`, once `scripts/test-tools` has installed it; a test that needs it fails
/// when it cannot be had.
pub fn promtool() -> Command {
    test_tools();
    let found = Command::new("promtool")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "promtool (Debian's prometheus package) is missing: scripts/test-tools installs it, as root"
    );
    Command::new("promtool")
}

/// Waits up to a minute for a server just started to accept connections on `port`.
pub fn wait_for_port(port: u16, what: &str, log: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{what} did not start within a minute; see target/tmp/{log}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Starts `command` with its standard output and error in `target/tmp/{log}`, and waits up to a
/// minute for it to listen on `port`. Stopped on drop, so a failing test leaves nothing running.
pub fn start_logged(command: &mut Command, what: &str, port: u16, log: &str) -> Running {
    let file = std::fs::File::create(Path::new(env!("CARGO_TARGET_TMPDIR")).join(log))
        .expect("a log file");
    let child = command
        .stdin(std::process::Stdio::null())
        .stdout(file.try_clone().expect("a log file"))
        .stderr(file)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {what}: {e}"));
    let running = Running(child);
    wait_for_port(port, what, log);
    running
}

/// One HTTP/1.1 exchange over a fresh connection: the status and the body.
pub fn http(
    address: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    http_to_host(address, address, method, path, headers, body)
}

/// [`http`] with `host` in the `host` header, for a server that routes on it.
pub fn http_to_host(
    address: &str,
    host: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, String) {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(address).expect("connecting");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .expect("a timeout");
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.write_all(body.as_bytes()))
        .expect("sending");
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply);
    let reply = String::from_utf8_lossy(&reply).into_owned();
    let status = reply
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let (head, body) = reply.split_once("\r\n\r\n").unwrap_or((&reply, ""));
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_owned()
    };
    (status, body)
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// The port of an AWS on 127.0.0.1 that accepts connections and never answers, for the rest
/// of the test run.
pub fn silent_aws() -> u16 {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = silent.local_addr().expect("its address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    port
}

/// A free port on 127.0.0.1, for a server about to be started.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A child process that is stopped when the test is done with it.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The embedded component, precompiled by `certwatch compile` once for the whole test run.
pub fn precompiled_component() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("certwatch-{}.cwasm", std::process::id()));
        let status = Command::new(env!("CARGO_BIN_EXE_certwatch"))
            .arg("compile")
            .arg("--output")
            .arg(&path)
            .status()
            .expect("running certwatch compile");
        assert!(status.success(), "certwatch compile failed");
        path
    })
}

/// One runtime for the in-process tests, from the precompiled component.
pub fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        Runtime::from_file(precompiled_component(), Limits::default())
            .expect("loading the precompiled component")
    })
}

/// The `certwatch` binary with the precompiled component and a clean environment: nothing of
/// the developer's AWS setup leaks into a test.
pub fn certwatch() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_certwatch"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", env!("CARGO_TARGET_TMPDIR"));
    command.arg("--component").arg(precompiled_component());
    command
}

pub struct Ran {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `command` with `input` on its standard input. The command may stop reading early (a
/// refused event), which is not an error here.
pub fn run_with_input(command: &mut Command, input: &[u8]) -> Ran {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting certwatch");
    let _ = child.stdin.take().expect("stdin").write_all(input);
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("certwatch's output");
    Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    }
}

pub fn run(command: &mut Command) -> Ran {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("running certwatch");
    Ran {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into(),
        stderr: String::from_utf8_lossy(&stderr).into(),
    }
}
pub mod loopback;
pub mod moto;
pub mod nats;
