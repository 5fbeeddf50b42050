//! moto's server, the AWS implementation nobody here wrote, as the judge of certwatch's wire
//! protocols, signatures and IAM policy.
//!
//! One server serves the whole test run; tests take turns (`session`) and each starts from a
//! reset state. The server runs from the venv `scripts/test-tools` makes, through
//! `host/tests/moto/server.py`, which works around moto's defects that certwatch meets (see
//! there). If moto cannot be installed or started, the tests fail: they never skip.

use super::repo_root;
use serde_json::{Value, json};
use std::io::Write as _;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard, OnceLock};

pub const ACCOUNT: &str = "123456789012";
pub const REGION: &str = "us-east-1";

struct Server {
    endpoint: String,
    _child: Child,
}

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let python = venv_python();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let log =
            std::fs::File::create(PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("moto.log"))
                .expect("moto's log file");
        let child = Command::new(python)
            .arg(repo_root().join("host/tests/moto/server.py"))
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("moto's log file"))
            .stderr(log)
            .spawn()
            .expect("starting moto's server");
        super::wait_for_port(port, "moto's server", "moto.log");
        Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            _child: child,
        }
    })
}

/// Exclusive use of moto for one test, from a reset state with signature checks off.
pub struct Session {
    _turn: MutexGuard<'static, ()>,
    pub endpoint: String,
}

pub fn session() -> Session {
    static TURN: Mutex<()> = Mutex::new(());
    let turn = TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let session = Session {
        _turn: turn,
        endpoint: server().endpoint.clone(),
    };
    session.aws(json!([{ "command": "auth", "after": "inf" }, { "command": "reset" }]));
    session
}

/// AWS access keys.
#[derive(Debug, Clone)]
pub struct Keys {
    pub id: String,
    pub secret: String,
}

impl Session {
    /// Runs `host/tests/moto/aws.py` commands (boto3) and returns their results; a command
    /// that failed returns `{"error": …}`.
    pub fn aws(&self, commands: Value) -> Vec<Value> {
        let mut child = Command::new(venv_python())
            .arg(repo_root().join("host/tests/moto/aws.py"))
            .args(["--endpoint", &self.endpoint])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("running aws.py");
        child
            .stdin
            .take()
            .expect("aws.py's stdin")
            .write_all(commands.to_string().as_bytes())
            .expect("writing to aws.py");
        let output = child.wait_with_output().expect("aws.py's output");
        assert!(output.status.success(), "aws.py failed on {commands}");
        serde_json::from_slice(&output.stdout).expect("aws.py prints JSON")
    }

    /// One command that must succeed.
    pub fn aws_one(&self, command: Value) -> Value {
        let result = self.aws(json!([command.clone()])).remove(0);
        assert!(result.get("error").is_none(), "{command} failed: {result}");
        result
    }

    /// An IAM user holding `policy`, and its keys.
    pub fn user(&self, name: &str, policy: &Value) -> Keys {
        let keys = self.aws_one(
            json!({ "command": "create_user", "user": name, "policy": policy.to_string() }),
        );
        Keys {
            id: keys["id"].as_str().unwrap_or_default().into(),
            secret: keys["secret"].as_str().unwrap_or_default().into(),
        }
    }

    /// From now on moto checks every request's signature and IAM permissions.
    pub fn enforce_auth(&self) {
        self.aws_one(json!({ "command": "auth", "after": 0 }));
    }

    /// Signature and IAM checks off again, to look at the results.
    pub fn relax_auth(&self) {
        self.aws_one(json!({ "command": "auth", "after": "inf" }));
    }
}

fn venv_python() -> PathBuf {
    super::venv().join("bin/python")
}
