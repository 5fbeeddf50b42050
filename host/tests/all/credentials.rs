//! Credentials as the AWS SDKs find them, through aws-config's own providers: an ECS/EKS-style
//! container endpoint and EC2 instance metadata (IMDSv2) served on loopback, a
//! `credential_process` profile, an assume-role profile and a web identity token against
//! moto's STS, and an SSO profile whose cached token a loopback SSO portal takes. Each test
//! signs real events with what the source gave, judged by moto; the last proves that nothing
//! any source hands out appears in any output, at the most verbose log level.

use crate::faults::stub;
use crate::moto::{event, notifications, policy, topic_arn};
use crate::secrets::{ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, assert_no_secret};
use crate::serve::start_serve;
use crate::support::loopback::{Endpoint, Seen};
use crate::support::moto::{ACCOUNT, Keys, REGION, Session, session};
use crate::support::{Ran, certwatch, http, run_with_input};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

const CONTAINER_TOKEN: &str = "container-authorization-token";
const IMDS_TOKEN: &str = "imds-session-token";
const IMDS_ROLE: &str = "certwatch-instance";

/// moto with the topic, a hub, and one certificate 10 days from expiry; its ARN.
fn certificate_in_window(moto: &Session) -> String {
    let results = moto.aws(json!([
        { "command": "create_topic", "name": "certificate-expiry" },
        { "command": "enable_security_hub" },
        { "command": "import_new_certificate", "domain": "creds.example.com", "days": 10 },
    ]));
    for result in &results {
        assert!(result.get("error").is_none(), "{result}");
    }
    results[2].as_str().expect("an ARN").to_owned()
}

fn rfc3339(at: SystemTime) -> String {
    let seconds = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs();
    time::OffsetDateTime::from_unix_timestamp(seconds as i64)
        .expect("a timestamp")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339")
}

/// What a container endpoint or instance metadata hands out: `keys`, a session token, and an
/// expiry `lasting` from now.
fn temporary(id: &str, secret: &str, token: &str, lasting: Duration) -> String {
    json!({
        "Code": "Success",
        "Type": "AWS-HMAC",
        "LastUpdated": rfc3339(SystemTime::now()),
        "AccessKeyId": id,
        "SecretAccessKey": secret,
        "Token": token,
        "Expiration": rfc3339(SystemTime::now() + lasting),
    })
    .to_string()
}

/// Temporary credentials from moto's STS for a new role `role` that may do certwatch's work:
/// moto accepts a session token only from credentials it issued itself.
fn role_credentials(moto: &Session, role: &str) -> Issued {
    let arn = moto.aws_one(json!({
        "command": "create_role", "role": role, "policy": policy(&[]).to_string()
    }));
    let issued = moto.aws_one(json!({ "command": "assume_role", "arn": arn }));
    let field = |name: &str| issued[name].as_str().expect("a credential").to_owned();
    Issued {
        id: field("id"),
        secret: field("secret"),
        token: field("token"),
    }
}

#[derive(Clone)]
struct Issued {
    id: String,
    secret: String,
    token: String,
}

/// The environment of an event against moto, with no credentials in it.
fn against_moto(moto: &Session) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_REGION", REGION.into()),
        ("AWS_ENDPOINT_URL", moto.endpoint.clone()),
        ("SNS_TOPIC_ARN", topic_arn()),
        // Instance metadata is the chain's last resort: never the real one in a test.
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
    ]
}

/// The `status` of an outcome's JSON text.
fn status_of(body: &str) -> String {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|outcome| outcome["status"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn run_event(env: &[(&str, String)], event: &str) -> Ran {
    let mut command = certwatch();
    command
        .args(["run", "-"])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    run_with_input(&mut command, event.as_bytes())
}

fn handled(ran: &Ran) -> Value {
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let outcome: Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("no JSON outcome ({e}):\n{}\n{}", ran.stdout, ran.stderr));
    assert_eq!(outcome["status"], "handled", "{outcome}");
    assert_eq!(outcome["finding"]["imported"], 1, "{outcome}");
    outcome
}

/// A container credentials endpoint that wants its authorization token and hands out what
/// `hand_out` gives for the n-th request.
fn container_endpoint(
    hand_out: impl Fn(usize) -> (u16, String) + Send + Sync + 'static,
) -> Endpoint {
    let asked = AtomicUsize::new(0);
    Endpoint::start(move |seen: &Seen| {
        if seen.header("authorization") != Some(CONTAINER_TOKEN) {
            return (401, "{}".into());
        }
        hand_out(asked.fetch_add(1, Ordering::SeqCst))
    })
}

fn container_env(endpoint: &Endpoint) -> [(&'static str, String); 2] {
    [
        (
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            format!("{}/v2/credentials", endpoint.url),
        ),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", CONTAINER_TOKEN.into()),
    ]
}

#[test]
fn serve_keeps_signing_when_the_container_credentials_rotate() {
    let moto = session();
    let arn = certificate_in_window(&moto);
    let first = role_credentials(&moto, "certwatch-first");
    let second = role_credentials(&moto, "certwatch-second");
    moto.enforce_auth();
    // The first keys come due two seconds after they are handed out (certwatch renews five
    // minutes before an expiry); every later request gets the second keys.
    let (one, two) = (first.clone(), second.clone());
    let endpoint = container_endpoint(move |n| {
        let (keys, lasting) = match n {
            0 => (&one, Duration::from_secs(5 * 60 + 2)),
            _ => (&two, Duration::from_secs(3600)),
        };
        (200, temporary(&keys.id, &keys.secret, &keys.token, lasting))
    });
    let mut env = against_moto(&moto);
    env.extend(container_env(&endpoint));
    let (server, address) = start_serve(&[], &env);
    let post = |id: &str| {
        let (status, body) = http(&address, "POST", "/", &[], &event(&arn, id));
        assert_eq!(status, 200, "{id}: {body}");
        assert!(status_of(&body) == "handled", "{id}: {body}");
    };
    post("before-rotation");
    assert_eq!(endpoint.seen().len(), 1, "asked once, at start");

    // Once the first keys are due, they stop working at all: only the second can sign.
    std::thread::sleep(Duration::from_millis(2500));
    moto.relax_auth();
    moto.aws_one(json!({ "command": "detach_role_policies", "role": "certwatch-first" }));
    moto.enforce_auth();
    post("after-rotation");
    post("after-rotation-again");
    drop(server);

    assert_eq!(
        endpoint.seen().len(),
        2,
        "asked again once the first keys came due, and not for every event"
    );
    moto.relax_auth();
    assert_eq!(notifications(&moto).len(), 3, "every event told its owner");
}

#[test]
fn expired_credentials_that_cannot_be_renewed_are_a_retryable_error() {
    let moto = session();
    let arn = certificate_in_window(&moto);
    let keys = role_credentials(&moto, "certwatch");
    moto.enforce_auth();
    // Keys that expire a second after start; then the endpoint fails until it is mended.
    let mended = Arc::new(AtomicBool::new(false));
    let endpoint = container_endpoint({
        let mended = mended.clone();
        move |n| {
            let lasting = match n {
                0 => Duration::from_secs(1),
                _ if !mended.load(Ordering::SeqCst) => return (500, "{}".into()),
                _ => Duration::from_secs(3600),
            };
            (200, temporary(&keys.id, &keys.secret, &keys.token, lasting))
        }
    });
    let mut env = against_moto(&moto);
    env.extend(container_env(&endpoint));
    let (server, address) = start_serve(&[], &env);
    std::thread::sleep(Duration::from_millis(1500));
    let (status, body) = http(&address, "POST", "/", &[], &event(&arn, "expired"));
    assert_eq!(status, 503, "a retry may work: {body}");
    let outcome: Value = serde_json::from_str(&body).expect("an outcome");
    assert_eq!(outcome["kind"], "credentials", "{outcome}");
    assert_eq!(outcome["retryable"], true, "{outcome}");
    assert!(
        outcome["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{outcome}"
    );
    // The source mends: the same event, sent again, is handled.
    mended.store(true, Ordering::SeqCst);
    let (status, body) = http(&address, "POST", "/", &[], &event(&arn, "expired"));
    assert_eq!(status, 200, "{body}");
    assert!(status_of(&body) == "handled", "{body}");
    drop(server);
}

#[test]
fn run_finds_instance_credentials_through_imds_v2() {
    let moto = session();
    let arn = certificate_in_window(&moto);
    let keys = role_credentials(&moto, "certwatch-instance");
    moto.enforce_auth();
    let endpoint = instance_metadata(keys);
    let mut env = against_moto(&moto);
    env.retain(|(k, _)| *k != "AWS_EC2_METADATA_DISABLED");
    env.push(("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint.url.clone()));
    handled(&run_event(&env, &event(&arn, "imds")));

    let seen = endpoint.seen();
    assert_eq!(
        (seen[0].method.as_str(), seen[0].path.as_str()),
        ("PUT", "/latest/api/token"),
        "IMDSv2 starts with a session token: {seen:?}"
    );
    let credentials = format!("/latest/meta-data/iam/security-credentials/{IMDS_ROLE}");
    assert!(
        seen.iter()
            .any(|s| s.path == credentials
                && s.header("x-aws-ec2-metadata-token") == Some(IMDS_TOKEN)),
        "the role's credentials were read with the session token: {seen:?}"
    );
}

/// EC2 instance metadata, IMDSv2 only: a token first, then the role and its credentials.
fn instance_metadata(keys: Issued) -> Endpoint {
    // Every answer says how long the session token lasts, as IMDS does.
    Endpoint::with_headers(
        &[("x-aws-ec2-metadata-token-ttl-seconds", "21600")],
        move |seen: &Seen| {
            let path = seen.path.as_str();
            if seen.method == "PUT" && path == "/latest/api/token" {
                return match seen.header("x-aws-ec2-metadata-token-ttl-seconds") {
                    Some(_) => (200, IMDS_TOKEN.into()),
                    None => (400, String::new()),
                };
            }
            if seen.header("x-aws-ec2-metadata-token") != Some(IMDS_TOKEN) {
                return (401, String::new());
            }
            match path.strip_prefix("/latest/meta-data/iam/security-credentials/") {
                Some("") => (200, IMDS_ROLE.into()),
                Some(role) if role == IMDS_ROLE => (
                    200,
                    temporary(
                        &keys.id,
                        &keys.secret,
                        &keys.token,
                        Duration::from_secs(6 * 3600),
                    ),
                ),
                _ => (404, String::new()),
            }
        },
    )
}

/// A fresh folder for one test's AWS config files and scripts.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("credentials-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

/// `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE` in `dir`, holding `config` and
/// `credentials`, and `AWS_PROFILE`.
fn profile_env(
    dir: &std::path::Path,
    config: &str,
    credentials: &str,
    profile: &str,
) -> [(&'static str, String); 3] {
    let (config_file, credentials_file) = (dir.join("config"), dir.join("credentials"));
    std::fs::write(&config_file, config).expect("writing the config file");
    std::fs::write(&credentials_file, credentials).expect("writing the credentials file");
    [
        ("AWS_CONFIG_FILE", config_file.display().to_string()),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            credentials_file.display().to_string(),
        ),
        ("AWS_PROFILE", profile.into()),
    ]
}

/// An executable script printing `credentials` as `credential_process` output.
fn credential_process(
    dir: &std::path::Path,
    id: &str,
    secret: &str,
    token: Option<&str>,
) -> PathBuf {
    use std::os::unix::fs::PermissionsExt as _;
    let mut output = json!({ "Version": 1, "AccessKeyId": id, "SecretAccessKey": secret });
    if let Some(token) = token {
        output["SessionToken"] = json!(token);
        output["Expiration"] = json!(rfc3339(SystemTime::now() + Duration::from_secs(3600)));
    }
    let script = dir.join("credentials.sh");
    std::fs::write(&script, format!("#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\n"))
        .expect("writing the script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))
        .expect("making it executable");
    script
}

#[test]
fn a_credential_process_profile_signs_and_names_the_region() {
    let moto = session();
    let arn = certificate_in_window(&moto);
    let keys = moto.user("certwatch", &policy(&[]));
    moto.enforce_auth();
    let dir = scratch("process");
    let script = credential_process(&dir, &keys.id, &keys.secret, None);
    let config = format!(
        "[profile ops]\ncredential_process = {}\nregion = {REGION}\n",
        script.display()
    );
    let mut env = against_moto(&moto);
    // The region comes from the profile.
    env.retain(|(k, _)| *k != "AWS_REGION");
    env.extend(profile_env(&dir, &config, "", "ops"));
    let outcome = handled(&run_event(&env, &event(&arn, "process")));
    assert_eq!(outcome["finding"]["region"], REGION, "{outcome}");
}

/// A base user that may only assume the role, and the role that may do certwatch's work.
fn assumable_role(moto: &Session) -> (Keys, String) {
    let base = moto.user(
        "certwatch-base",
        &json!({ "Version": "2012-10-17", "Statement": [
            { "Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*" }
        ]}),
    );
    let role = moto.aws_one(json!({
        "command": "create_role", "role": "certwatch", "policy": policy(&[]).to_string(),
        "principal": format!("arn:aws:iam::{ACCOUNT}:user/certwatch-base"),
    }));
    (base, role.as_str().expect("a role ARN").to_owned())
}

#[test]
fn an_assume_role_profile_signs_with_the_role_moto_handed_out() {
    let moto = session();
    let arn = certificate_in_window(&moto);
    let (base, role_arn) = assumable_role(&moto);
    moto.enforce_auth();
    let dir = scratch("assume-role");
    let config = format!(
        "[profile ops]\nrole_arn = {role_arn}\nsource_profile = base\nrole_session_name = certwatch-test\nregion = {REGION}\n"
    );
    let credentials = format!(
        "[base]\naws_access_key_id = {}\naws_secret_access_key = {}\n",
        base.id, base.secret
    );
    let mut env = against_moto(&moto);
    env.extend(profile_env(&dir, &config, &credentials, "ops"));
    env.push(("CERTWATCH_LOG", "trace".into()));
    // The base user may not describe a certificate: only the role's credentials can.
    let ran = run_event(&env, &event(&arn, "assumed"));
    handled(&ran);
    let output = ran.stdout.clone() + &ran.stderr;
    for secret in [&base.id, &base.secret] {
        assert!(
            !output.contains(secret.as_str()),
            "the base profile's keys leaked:\n{output}"
        );
    }
    // moto's temporary keys are `ASIA…`; none may appear, at any log level.
    assert!(
        !ran.stdout.contains("ASIA") && !ran.stderr.contains("ASIA"),
        "an assumed key id leaked:\n{}",
        ran.stderr
    );

    // Without the role, the base user's own keys are refused: the role did the work.
    let denied = run_event(
        &[
            against_moto(&moto).as_slice(),
            &[
                ("AWS_ACCESS_KEY_ID", base.id.clone()),
                ("AWS_SECRET_ACCESS_KEY", base.secret.clone()),
            ],
        ]
        .concat(),
        &event(&arn, "base"),
    );
    assert_ne!(denied.code, Some(0), "{}", denied.stdout);
}

/// A token as an identity provider (EKS's, for IRSA) writes it: moto's STS reads none of it.
const WEB_IDENTITY_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6Y2VydHdhdGNoIn0.c2lnbmVk";

#[test]
fn a_web_identity_token_signs_with_the_role_sts_hands_out_for_it() {
    let moto = session();
    let arn = certificate_in_window(&moto);
    let role_arn = moto.aws_one(json!({
        "command": "create_role", "role": "certwatch-irsa", "policy": policy(&[]).to_string()
    }));
    let role_arn = role_arn.as_str().expect("a role ARN");
    moto.enforce_auth();
    let dir = scratch("web-identity");
    let token_file = dir.join("token");
    std::fs::write(&token_file, WEB_IDENTITY_TOKEN).expect("writing the token");
    // As EKS sets them for a pod whose service account names a role (IRSA).
    let mut env = against_moto(&moto);
    env.extend([
        (
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            token_file.display().to_string(),
        ),
        ("AWS_ROLE_ARN", role_arn.to_owned()),
        ("AWS_ROLE_SESSION_NAME", "certwatch-irsa".into()),
        ("CERTWATCH_LOG", "trace".into()),
    ]);
    let ran = run_event(&env, &event(&arn, "web-identity"));
    handled(&ran);
    let output = ran.stdout.clone() + &ran.stderr;
    assert!(
        !output.contains(WEB_IDENTITY_TOKEN) && !output.contains("ASIA"),
        "the token or an assumed key id leaked:\n{output}"
    );
    // Without a role to assume, the token alone signs nothing: the role did the work.
    env.retain(|(name, _)| *name != "AWS_ROLE_ARN");
    let unsigned = run_event(&env, &event(&arn, "no-role"));
    assert_ne!(unsigned.code, Some(0), "{}", unsigned.stdout);
}

/// The access token `aws sso login` caches, which the SSO portal takes for the role's keys.
const SSO_ACCESS_TOKEN: &str = "aoaAAAAAGPortalAccessTokenForTheCertwatchTest";

#[test]
fn an_sso_profile_signs_with_the_keys_the_portal_hands_out_for_its_cached_token() {
    let moto = session();
    let arn = certificate_in_window(&moto);
    let keys = role_credentials(&moto, "certwatch-sso");
    moto.enforce_auth();
    // The SSO portal's GetRoleCredentials (moto has no portal): the role's keys, for the
    // cached token only.
    let expires_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
        + 3_600_000;
    let handed_out = keys.clone();
    let portal = Endpoint::start(move |seen: &Seen| {
        let query_matches = seen.path.starts_with("/federation/credentials?")
            && seen.path.contains(&format!("account_id={ACCOUNT}"))
            && seen.path.contains("role_name=CertwatchOperator");
        if seen.header("x-amz-sso_bearer_token") != Some(SSO_ACCESS_TOKEN) || !query_matches {
            return (
                401,
                r#"{"message":"Session token not found or invalid"}"#.into(),
            );
        }
        let credentials = json!({ "roleCredentials": {
            "accessKeyId": handed_out.id, "secretAccessKey": handed_out.secret,
            "sessionToken": handed_out.token, "expiration": expires_ms as u64,
        }});
        (200, credentials.to_string())
    });
    // What `aws configure sso` writes, and the token `aws sso login` caches under the
    // SHA-1 of the session's name.
    let dir = scratch("sso");
    let config = format!(
        "[profile ops]\nsso_session = corp\nsso_account_id = {ACCOUNT}\n\
         sso_role_name = CertwatchOperator\nregion = {REGION}\n\n\
         [sso-session corp]\nsso_start_url = https://d-0123456789.awsapps.com/start\n\
         sso_region = {REGION}\nsso_registration_scopes = sso:account:access\n"
    );
    let cache = dir.join("home/.aws/sso/cache");
    std::fs::create_dir_all(&cache).expect("the SSO cache folder");
    let expires_at = rfc3339(SystemTime::now() + Duration::from_secs(3600));
    std::fs::write(
        cache.join(format!("{}.json", sha1_hex("corp"))),
        json!({
            "accessToken": SSO_ACCESS_TOKEN, "expiresAt": expires_at,
            "region": REGION, "startUrl": "https://d-0123456789.awsapps.com/start",
        })
        .to_string(),
    )
    .expect("writing the cached token");
    let mut env = against_moto(&moto);
    env.extend(profile_env(&dir, &config, "", "ops"));
    env.extend([
        ("HOME", dir.join("home").display().to_string()),
        ("AWS_ENDPOINT_URL_SSO", portal.url.clone()),
        ("CERTWATCH_LOG", "trace".into()),
    ]);
    let ran = run_event(&env, &event(&arn, "sso"));
    handled(&ran);
    assert_eq!(portal.seen().len(), 1, "the portal is asked once");
    let output = ran.stdout.clone() + &ran.stderr;
    for secret in [SSO_ACCESS_TOKEN, &keys.secret, &keys.token, &keys.id] {
        assert!(!output.contains(secret), "an SSO secret leaked:\n{output}");
    }

    // Signed out (no cached token): certwatch stops at start and says why.
    std::fs::remove_dir_all(&cache).expect("the cache removed");
    let signed_out = run_event(&env, &event(&arn, "signed-out"));
    assert_eq!(signed_out.code, Some(2), "{}", signed_out.stdout);
    assert!(
        signed_out.stderr.contains("no AWS credentials")
            && signed_out.stderr.contains(
                "failed to load the cached SSO token; sign in again: aws sso login --profile ops"
            ),
        "{}",
        signed_out.stderr
    );
    assert_eq!(
        portal.seen().len(),
        1,
        "the portal is not asked without a token"
    );
}

/// The SHA-1 of `text` in hex, as the SSO token cache names its files.
fn sha1_hex(text: &str) -> String {
    let output = std::process::Command::new("python3")
        .args([
            "-c",
            "import hashlib, sys; print(hashlib.sha1(sys.argv[1].encode()).hexdigest())",
            text,
        ])
        .output()
        .expect("python3");
    String::from_utf8(output.stdout)
        .expect("hex")
        .trim()
        .to_owned()
}

#[test]
fn no_source_keeps_its_secrets_at_any_log_level() {
    let stub = stub(&[]);
    let base = [
        ("AWS_REGION", "us-east-1".to_owned()),
        ("AWS_ENDPOINT_URL", stub.url()),
        (
            "SNS_TOPIC_ARN",
            "arn:aws:sns:us-east-1:123456789012:certificate-expiry".into(),
        ),
        ("CERTWATCH_LOG", "trace".into()),
    ];
    let event = std::fs::read_to_string(crate::support::events_dir().join("in-window/event.json"))
        .expect("the sample event");

    let container = container_endpoint(|_| {
        (
            200,
            temporary(
                ACCESS_KEY,
                SECRET_KEY,
                SESSION_TOKEN,
                Duration::from_secs(3600),
            ),
        )
    });
    let imds = instance_metadata(Issued {
        id: ACCESS_KEY.into(),
        secret: SECRET_KEY.into(),
        token: SESSION_TOKEN.into(),
    });
    let dir = scratch("secrets");
    let script = credential_process(&dir, ACCESS_KEY, SECRET_KEY, Some(SESSION_TOKEN));
    let process = profile_env(
        &dir,
        &format!("[profile ops]\ncredential_process = {}\n", script.display()),
        "",
        "ops",
    );
    let sources: [(&str, Vec<(&str, String)>); 3] = [
        ("a container endpoint", container_env(&container).to_vec()),
        (
            "instance metadata",
            vec![("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.url.clone())],
        ),
        ("credential_process", process.to_vec()),
    ];
    for (source, env) in sources {
        let env = [&base[..], &env].concat();
        let ran = run_event(&env, &event);
        assert_eq!(
            ran.code,
            Some(0),
            "{source}: {}\n{}",
            ran.stdout,
            ran.stderr
        );
        assert_no_secret(
            &format!("`certwatch run` with {source}"),
            &(ran.stdout.clone() + &ran.stderr),
        );

        let (server, address) = start_serve(&[], &env);
        let (status, body) = http(&address, "POST", "/", &[], &event);
        assert_eq!(status, 200, "{source}: {body}");
        assert_no_secret(&format!("serve's answer with {source}"), &body);
        drop(server);
    }
}

#[test]
fn without_any_source_certwatch_says_where_it_looked() {
    let closed = crate::support::free_port();
    let dir = scratch("nowhere");
    let ran = crate::support::run(
        certwatch()
            .arg("run")
            .arg(crate::support::events_dir().join("in-window/event.json"))
            .env("AWS_REGION", "us-east-1")
            .envs(profile_env(&dir, "", "", "ops"))
            // Instance metadata that does not answer, as off EC2.
            .env(
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                format!("http://127.0.0.1:{closed}"),
            ),
    );
    assert_eq!(ran.code, Some(2), "{}\n{}", ran.stdout, ran.stderr);
    for place in [
        "AWS_ACCESS_KEY_ID",
        "profile \"ops\"",
        "credential_process",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "IMDSv2",
    ] {
        assert!(
            ran.stderr.contains(place),
            "{place} is not named:\n{}",
            ran.stderr
        );
    }
    assert_eq!(
        ran.stderr.trim().lines().count(),
        1,
        "one clear message:\n{}",
        ran.stderr
    );
}
