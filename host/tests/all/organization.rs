//! An AWS Organization against moto, which keeps every account apart: credentials from
//! `AssumeRole` into account X act on X's own ACM, Security Hub and SNS. certwatch runs with the
//! central account's credentials; each result is read back with the account's own.

use crate::moto::topic_arn;
use crate::support::loopback::Endpoint;
use crate::support::moto::{ACCOUNT, Keys, REGION, Session, session};
use crate::support::{certwatch, run_with_input};
use serde_json::{Value, json};

/// The central account's keys: moto takes unknown keys as its default account, [`ACCOUNT`].
pub(crate) fn central_keys() -> Keys {
    Keys {
        id: "AKIAIOSFODNN7CENTRAL".into(),
        secret: "central-secret-key".into(),
    }
}

/// Keys that act in `account` (moto hands them out for any role there).
pub(crate) fn keys_in(moto: &Session, account: &str) -> Value {
    let arn = format!("arn:aws:iam::{account}:role/test-setup");
    moto.aws_one(json!({ "command": "assume_role", "arn": arn, "session": "setup" }))
}

pub(crate) fn event_from(account: &str, certificate_arn: &str, id: &str) -> String {
    json!({
        "version": "0",
        "id": id,
        "detail-type": "ACM Certificate Approaching Expiration",
        "source": "aws.acm",
        "account": account,
        "time": "2026-11-29T12:00:00Z",
        "region": REGION,
        "resources": [certificate_arn],
        "detail": { "DaysToExpiry": 10, "CommonName": "example.com" }
    })
    .to_string()
}

/// A member account with its hub on and a certificate expiring in `days`; its ARN.
pub(crate) fn member_with_certificate(moto: &Session, account: &str, days: u32) -> String {
    let keys = keys_in(moto, account);
    let results = moto.aws(json!([
        { "command": "enable_security_hub", "keys": keys },
        { "command": "import_new_certificate", "domain": format!("m{account}.example.com"), "days": days, "keys": keys },
    ]));
    for result in &results {
        assert!(result.get("error").is_none(), "{result}");
    }
    results[1].as_str().expect("an ARN").to_owned()
}

/// The central account's hub and topic.
pub(crate) fn central(moto: &Session) {
    for result in moto.aws(json!([
        { "command": "enable_security_hub" },
        { "command": "create_topic", "name": "certificate-expiry" },
    ])) {
        assert!(result.get("error").is_none(), "{result}");
    }
}

pub(crate) fn findings_in(moto: &Session, keys: Option<&Value>) -> Vec<Value> {
    let mut command = json!({ "command": "get_findings" });
    if let Some(keys) = keys {
        command["keys"] = keys.clone();
    }
    moto.aws_one(command)
        .as_array()
        .cloned()
        .unwrap_or_default()
}

struct Ran {
    code: Option<i32>,
    outcome: Value,
    logs: String,
}

/// `certwatch run` on `event` with the central keys, at trace level.
fn run_event(moto: &Session, event: &str, env: &[(&str, &str)]) -> Ran {
    run_event_as(moto, &central_keys(), event, env)
}

/// The same, signed with `keys`.
fn run_event_as(moto: &Session, keys: &Keys, event: &str, env: &[(&str, &str)]) -> Ran {
    let mut command = certwatch();
    command
        .args(["run", "-"])
        .env("AWS_ACCESS_KEY_ID", &keys.id)
        .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
        .env("AWS_REGION", REGION)
        .env("AWS_ENDPOINT_URL", &moto.endpoint)
        .env("SNS_TOPIC_ARN", topic_arn())
        .env("CERTWATCH_LOG", "trace")
        .envs(env.iter().copied());
    let ran = run_with_input(&mut command, event.as_bytes());
    let outcome = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("no JSON outcome ({e}):\n{}\n{}", ran.stdout, ran.stderr));
    Ran {
        code: ran.code,
        outcome,
        logs: format!("{}\n{}", ran.stdout, ran.stderr),
    }
}

/// No credential moto issued (its temporary keys start `ASIA`), nor the central secret,
/// anywhere in what certwatch printed.
fn assert_no_secrets(ran: &Ran) {
    assert!(
        !ran.logs.contains("ASIA") && !ran.logs.contains(&central_keys().secret),
        "a credential leaked:\n{}",
        ran.logs
    );
}

pub(crate) const MEMBER: &str = "111111111111";
const OUTSIDER: &str = "222222222222";

#[test]
fn a_members_event_raises_its_finding_in_the_members_own_hub_and_tells_from_the_centre() {
    let moto = session();
    central(&moto);
    let arn = member_with_certificate(&moto, MEMBER, 10);

    // certwatch learns its own account from STS (moto's default account).
    let ran = run_event(
        &moto,
        &event_from(MEMBER, &arn, "member-event"),
        &[("MEMBER_ACCOUNTS", MEMBER)],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.logs);
    assert_no_secrets(&ran);
    let outcome = &ran.outcome;
    assert_eq!(outcome["status"], "handled", "{outcome}");
    assert_eq!(outcome["decision"], "expiring", "{outcome}");

    let member_keys = keys_in(&moto, MEMBER);
    let in_member = findings_in(&moto, Some(&member_keys));
    assert_eq!(in_member.len(), 1, "{in_member:#?}");
    assert_eq!(in_member[0]["AwsAccountId"], MEMBER);
    assert_eq!(in_member[0]["Resources"][0]["Id"], arn.as_str());
    assert!(
        findings_in(&moto, None).is_empty(),
        "a finding in the central hub"
    );

    let sent = crate::moto::notifications(&moto);
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0]["topic_arn"], topic_arn());
    assert!(
        sent[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains(MEMBER)
    );
    assert_eq!(outcome["notifications"][0]["topic_arn"], topic_arn());
}

#[test]
fn the_members_renewal_resolves_its_finding_in_its_own_hub() {
    let moto = session();
    central(&moto);
    let arn = member_with_certificate(&moto, MEMBER, 10);
    let env = [
        ("MEMBER_ACCOUNTS", MEMBER),
        ("CERTWATCH_ACCOUNT_ID", ACCOUNT),
    ];
    let ran = run_event(&moto, &event_from(MEMBER, &arn, "expiring"), &env);
    assert_eq!(ran.outcome["decision"], "expiring", "{}", ran.logs);

    let member_keys = keys_in(&moto, MEMBER);
    moto.aws_one(json!({ "command": "reimport_certificate", "arn": arn, "domain": format!("m{MEMBER}.example.com"), "days": 200, "keys": member_keys }));
    let renewed = json!({
        "version": "0", "id": "renewed", "detail-type": "ACM Certificate Available",
        "source": "aws.acm", "account": MEMBER, "time": "2026-11-30T12:00:00Z", "region": REGION,
        "resources": [arn], "detail": { "Action": "REIMPORT", "CertificateType": "IMPORTED", "CommonName": "example.com" }
    });
    let ran = run_event(&moto, &renewed.to_string(), &env);
    assert_eq!(ran.code, Some(0), "{}", ran.logs);
    assert_no_secrets(&ran);
    assert_eq!(ran.outcome["decision"], "resolved", "{}", ran.outcome);

    let in_member = findings_in(&moto, Some(&member_keys));
    assert_eq!(in_member.len(), 1, "{in_member:#?}");
    assert_eq!(
        in_member[0]["Workflow"]["Status"], "RESOLVED",
        "{:#?}",
        in_member[0]
    );
    assert_eq!(in_member[0]["RecordState"], "ARCHIVED");
    assert!(
        findings_in(&moto, None).is_empty(),
        "a finding in the central hub"
    );
}

#[test]
fn an_organization_member_is_handled_and_an_outsider_is_not() {
    let moto = session();
    central(&moto);
    moto.aws_one(json!({ "command": "create_organization" }));
    let member = moto.aws_one(json!({ "command": "create_account", "name": "payments" }));
    let member = member.as_str().expect("an account id");
    let arn = member_with_certificate(&moto, member, 5);
    let outsider_arn = member_with_certificate(&moto, OUTSIDER, 5);
    let env = [("MEMBER_ACCOUNTS", "organization")];

    let ran = run_event(&moto, &event_from(member, &arn, "member"), &env);
    assert_eq!(ran.outcome["decision"], "expiring", "{}", ran.logs);
    assert_eq!(findings_in(&moto, Some(&keys_in(&moto, member))).len(), 1);

    let ran = run_event(
        &moto,
        &event_from(OUTSIDER, &outsider_arn, "outsider"),
        &env,
    );
    assert_eq!(ran.code, Some(0), "{}", ran.logs);
    assert_eq!(ran.outcome["status"], "not-handled", "{}", ran.outcome);
    let reason = ran.outcome["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(OUTSIDER) && reason.contains("not in certwatch's organization"),
        "{reason}"
    );
    assert!(findings_in(&moto, Some(&keys_in(&moto, OUTSIDER))).is_empty());
}

/// STS and Organizations on a loopback endpoint that answers nothing useful and keeps what it
/// was asked: what certwatch sent before deciding.
fn refusing_endpoint() -> Endpoint {
    Endpoint::start(|_| (500, "{}".into()))
}

#[test]
fn an_account_not_allowed_is_not_handled_and_nothing_is_assumed() {
    let moto = session();
    let sts = refusing_endpoint();
    let arn = format!("arn:aws:acm:{REGION}:{OUTSIDER}:certificate/0d3f5b1e");
    let ran = run_event(
        &moto,
        &event_from(OUTSIDER, &arn, "outsider"),
        &[
            ("MEMBER_ACCOUNTS", MEMBER),
            ("CERTWATCH_ACCOUNT_ID", ACCOUNT),
            ("AWS_ENDPOINT_URL_STS", &sts.url),
            ("AWS_ENDPOINT_URL_ORGANIZATIONS", &sts.url),
            ("AWS_ENDPOINT_URL_ACM", &sts.url),
        ],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.logs);
    assert_eq!(ran.outcome["status"], "not-handled", "{}", ran.outcome);
    let reason = ran.outcome["reason"].as_str().unwrap_or_default();
    assert!(
        reason.contains(OUTSIDER) && reason.contains("MEMBER_ACCOUNTS"),
        "{reason}"
    );
    assert!(
        sts.seen().is_empty(),
        "requests were sent: {:?}",
        sts.seen()
    );
}

#[test]
fn a_malformed_account_id_is_refused_before_any_request() {
    let moto = session();
    let aws = refusing_endpoint();
    let arn = format!("arn:aws:acm:{REGION}:{MEMBER}:certificate/0d3f5b1e");
    for account in ["11111111111", "111111111111:role/x", "../../x"] {
        let ran = run_event(
            &moto,
            &event_from(account, &arn, "bad-account"),
            &[
                ("MEMBER_ACCOUNTS", MEMBER),
                ("CERTWATCH_ACCOUNT_ID", ACCOUNT),
                ("AWS_ENDPOINT_URL", &aws.url),
            ],
        );
        assert_eq!(ran.outcome["status"], "error", "{}", ran.outcome);
        assert_eq!(ran.outcome["kind"], "malformed-event", "{}", ran.outcome);
        let message = ran.outcome["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("is not a 12-digit account id"),
            "{message}"
        );
    }
    assert!(
        aws.seen().is_empty(),
        "requests were sent: {:?}",
        aws.seen()
    );
}

#[test]
fn a_role_that_cannot_be_assumed_names_the_account_and_the_role() {
    let moto = session();
    central(&moto);
    let arn = member_with_certificate(&moto, MEMBER, 10);
    // A central user with certwatch's own policy but no sts:AssumeRole: moto's IAM refuses.
    let keys = moto.user("certwatch", &crate::moto::policy(&[]));
    moto.enforce_auth();
    let ran = run_event_as(
        &moto,
        &keys,
        &event_from(MEMBER, &arn, "denied"),
        &[
            ("MEMBER_ACCOUNTS", MEMBER),
            ("CERTWATCH_ACCOUNT_ID", ACCOUNT),
        ],
    );
    moto.relax_auth();
    let outcome = &ran.outcome;
    assert_eq!(outcome["status"], "error", "{outcome}");
    assert_eq!(outcome["operation"], "sts:AssumeRole", "{outcome}");
    assert_eq!(outcome["retryable"], false, "{outcome}");
    let message = outcome["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("arn:aws:iam::{MEMBER}:role/certwatch-member"))
            && message.contains(&format!("in account {MEMBER}"))
            && message.contains("trust policy"),
        "{message}"
    );
    assert!(!ran.logs.contains(&keys.secret), "{}", ran.logs);
    assert!(findings_in(&moto, Some(&keys_in(&moto, MEMBER))).is_empty());
}

/// A policy file of `deploy/`, less the statements whose action is in `without`, as moto can
/// judge it: every resource widened to "*" (moto knows no request's resource) and conditions
/// dropped (moto evaluates none of the organization's keys).
fn deploy_policy(file: &str, without: &[&str]) -> Value {
    let path = crate::support::repo_root().join("deploy").join(file);
    let text = std::fs::read_to_string(&path).expect("reading the policy");
    let mut policy: Value = serde_json::from_str(&text).expect("the policy is JSON");
    let statements = policy["Statement"].as_array_mut().expect("statements");
    statements.retain(|s| !without.contains(&s["Action"].as_str().unwrap_or_default()));
    for statement in statements {
        statement["Resource"] = json!("*");
        if let Some(statement) = statement.as_object_mut() {
            statement.remove("Condition");
        }
    }
    policy
}

/// The central user `certwatch`, holding certwatch's own policy and the organization's; its
/// keys.
fn central_user(moto: &Session) -> Keys {
    let mut policy = crate::moto::policy(&[]);
    let organization = deploy_policy("iam-policy-organization.json", &[]);
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.extend(
            organization["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        );
    }
    moto.user("certwatch", &policy)
}

/// The member role in `account` (`deploy/member-role-policy.json`, less `without`), which only
/// the central user may assume.
fn member_role(moto: &Session, account: &str, without: &[&str]) {
    moto.aws_one(json!({
        "command": "create_role",
        "role": "certwatch-member",
        "principal": format!("arn:aws:iam::{ACCOUNT}:user/certwatch"),
        "policy": deploy_policy("member-role-policy.json", without).to_string(),
        "keys": keys_in(moto, account),
    }));
}

/// The central user (certwatch's own policy and the organization's) and the member role
/// (`deploy/member-role-policy.json`, less `without`, trusting only that user); moto checks
/// every request from then on. The central user's keys.
fn enforced_organization(moto: &Session, without: &[&str]) -> Keys {
    let keys = central_user(moto);
    member_role(moto, MEMBER, without);
    moto.enforce_auth();
    keys
}

#[test]
fn the_member_roles_policy_is_enough_and_moto_enforces_it() {
    let moto = session();
    central(&moto);
    let arn = member_with_certificate(&moto, MEMBER, 10);
    let env = [
        ("MEMBER_ACCOUNTS", MEMBER),
        ("CERTWATCH_ACCOUNT_ID", ACCOUNT),
    ];

    let keys = enforced_organization(&moto, &[]);
    let ran = run_event_as(&moto, &keys, &event_from(MEMBER, &arn, "enforced"), &env);
    moto.relax_auth();
    assert_eq!(ran.code, Some(0), "{}", ran.logs);
    assert_eq!(ran.outcome["decision"], "expiring", "{}", ran.outcome);
    assert_eq!(findings_in(&moto, Some(&keys_in(&moto, MEMBER))).len(), 1);
}

#[test]
fn a_member_role_without_the_import_permission_is_refused_by_moto() {
    let moto = session();
    central(&moto);
    let arn = member_with_certificate(&moto, MEMBER, 10);
    let env = [
        ("MEMBER_ACCOUNTS", MEMBER),
        ("CERTWATCH_ACCOUNT_ID", ACCOUNT),
    ];

    let keys = enforced_organization(&moto, &["securityhub:BatchImportFindings"]);
    let ran = run_event_as(&moto, &keys, &event_from(MEMBER, &arn, "refused"), &env);
    moto.relax_auth();
    assert_eq!(ran.outcome["status"], "error", "{}", ran.outcome);
    assert_eq!(
        ran.outcome["operation"], "securityhub:BatchImportFindings",
        "{}",
        ran.outcome
    );
    assert!(findings_in(&moto, Some(&keys_in(&moto, MEMBER))).is_empty());
}

pub(crate) fn scheduled_scan() -> String {
    json!({
        "version": "0", "id": "org-scan", "detail-type": "Scheduled Event",
        "source": "aws.events", "account": ACCOUNT, "time": "2026-11-29T12:00:00Z",
        "region": REGION, "resources": [format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/certwatch-daily-scan")],
        "detail": {}
    })
    .to_string()
}

pub(crate) const BROKEN_MEMBER: &str = "444444444444";

/// Three accounts, each with its hub and a certificate expiring: certwatch's own, [`MEMBER`]
/// and [`BROKEN_MEMBER`] (see [`organization_with_a_broken_member`]).
pub(crate) struct Organization {
    /// certwatch's own account's certificate.
    pub(crate) own_arn: String,
    /// The member's.
    pub(crate) member_arn: String,
    /// The central user's keys.
    pub(crate) keys: Keys,
}

pub(crate) fn organization_of_three(moto: &Session) -> Organization {
    central(moto);
    let own_arn = moto.aws_one(
        json!({ "command": "import_new_certificate", "domain": "central.example.com", "days": 5 }),
    );
    let member_arn = member_with_certificate(moto, MEMBER, 3);
    member_with_certificate(moto, BROKEN_MEMBER, 4);
    Organization {
        own_arn: own_arn.as_str().expect("an ARN").to_owned(),
        member_arn,
        keys: organization_with_a_broken_member(moto),
    }
}

/// The central user (certwatch's own policy and the organization's) and the member role in
/// [`MEMBER`] (the whole member policy) and in [`BROKEN_MEMBER`] (without
/// `acm:ListCertificates`, which moto's IAM then refuses), each trusting only that user; the
/// user's keys. moto checks nothing until `enforce_auth`.
pub(crate) fn organization_with_a_broken_member(moto: &Session) -> Keys {
    let keys = central_user(moto);
    member_role(moto, MEMBER, &[]);
    member_role(moto, BROKEN_MEMBER, &["acm:ListCertificates"]);
    keys
}

/// A scan over the central account, a member, and a member whose role may not list
/// certificates (moto's IAM refuses it): each account's certificates raised in its own hub, the
/// broken one listed with its reason, one digest from the centre naming them by account.
#[test]
fn a_scan_over_scan_accounts_raises_each_accounts_findings_in_its_own_hub() {
    let moto = session();
    let Organization {
        own_arn,
        member_arn,
        keys,
    } = organization_of_three(&moto);
    moto.enforce_auth();
    let accounts = format!("{ACCOUNT},{MEMBER},{BROKEN_MEMBER}");
    let ran = run_event_as(
        &moto,
        &keys,
        &scheduled_scan(),
        &[("SCAN_ACCOUNTS", &accounts), ("SCAN_REGIONS", REGION)],
    );
    moto.relax_auth();
    assert_eq!(ran.code, Some(0), "{}", ran.logs);
    assert_no_secrets(&ran);
    let outcome = &ran.outcome;
    assert_eq!(outcome["status"], "scanned", "{outcome}");
    assert_eq!(outcome["certificates_seen"], 2, "{outcome}");
    let expiring: Vec<&str> = outcome["expiring"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["arn"].as_str())
        .collect();
    assert_eq!(expiring, [member_arn.as_str(), own_arn.as_str()]);

    let accounts = outcome["accounts"].as_array().cloned().unwrap_or_default();
    let ids: Vec<&str> = accounts
        .iter()
        .filter_map(|a| a["account"].as_str())
        .collect();
    // In the order of their ids.
    assert_eq!(ids, [MEMBER, ACCOUNT, BROKEN_MEMBER], "{outcome}");
    for account in &accounts[..2] {
        assert!(account.get("error").is_none(), "{account}");
        assert_eq!(account["regions"][0]["region"], REGION);
        assert_eq!(account["regions"][0]["certificates_seen"], 1, "{account}");
        assert_eq!(account["regions"][0]["expiring"], 1, "{account}");
    }
    let broken = &accounts[2];
    let error = broken["error"].as_str().unwrap_or_default();
    assert!(error.contains("acm:ListCertificates"), "{broken}");
    assert_eq!(broken["regions"][0]["failed"], 1, "{broken}");

    // Each account's finding in its own hub, none of another's.
    let own_findings = findings_in(&moto, None);
    assert_eq!(own_findings.len(), 1, "{own_findings:#?}");
    assert_eq!(own_findings[0]["AwsAccountId"], ACCOUNT);
    let member_findings = findings_in(&moto, Some(&keys_in(&moto, MEMBER)));
    assert_eq!(member_findings.len(), 1, "{member_findings:#?}");
    assert_eq!(member_findings[0]["AwsAccountId"], MEMBER);
    assert!(findings_in(&moto, Some(&keys_in(&moto, BROKEN_MEMBER))).is_empty());

    let sent = crate::moto::notifications(&moto);
    assert_eq!(sent.len(), 1, "one digest: {sent:#?}");
    let digest = sent[0]["message"].as_str().unwrap_or_default();
    assert!(
        digest.find(&format!("Account {MEMBER}:")) < digest.find(&format!("Account {ACCOUNT}:")),
        "{digest}"
    );
}

/// `SCAN_ACCOUNTS=organization`: the accounts moto's Organizations lists, named in the digest.
#[test]
fn a_scan_over_the_organization_names_its_accounts() {
    let moto = session();
    central(&moto);
    moto.aws_one(json!({ "command": "create_organization" }));
    let member = moto.aws_one(json!({ "command": "create_account", "name": "payments" }));
    let member = member.as_str().expect("an account id").to_owned();
    let arn = member_with_certificate(&moto, &member, 6);
    let ran = run_event(
        &moto,
        &scheduled_scan(),
        &[("SCAN_ACCOUNTS", "organization"), ("SCAN_REGIONS", REGION)],
    );
    assert_eq!(ran.code, Some(0), "{}", ran.logs);
    let outcome = &ran.outcome;
    let named: Vec<(&str, &str)> = outcome["accounts"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["account"].as_str().unwrap_or_default(),
                a["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert!(named.contains(&(member.as_str(), "payments")), "{outcome}");
    assert!(named.iter().any(|(id, _)| *id == ACCOUNT), "{outcome}");
    assert_eq!(outcome["expiring"][0]["arn"], arn.as_str(), "{outcome}");
    assert_eq!(findings_in(&moto, Some(&keys_in(&moto, &member))).len(), 1);
    let sent = crate::moto::notifications(&moto);
    let digest = sent[0]["message"].as_str().unwrap_or_default();
    assert!(
        digest.contains(&format!("Account {member} (payments):")),
        "{digest}"
    );
}

/// A member's event recorded against moto: the fixture holds the account certwatch learned,
/// the replay's fake assumed credentials in place of those STS handed out, and replays offline.
#[test]
fn a_members_event_records_without_its_assumed_credentials_and_replays() {
    use certwatch_contract::fixture::REPLAY_ASSUMED_CREDENTIALS;
    let moto = session();
    central(&moto);
    let arn = member_with_certificate(&moto, MEMBER, 10);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("recorded-member-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let event_file = dir.with_extension("event.json");
    std::fs::write(&event_file, event_from(MEMBER, &arn, "recorded-member"))
        .expect("writing the event");
    let keys = central_keys();
    let ran = crate::support::run(
        certwatch()
            .arg("record")
            .arg(&event_file)
            .arg("--out")
            .arg(&dir)
            .env("AWS_ACCESS_KEY_ID", &keys.id)
            .env("AWS_SECRET_ACCESS_KEY", &keys.secret)
            .env("AWS_REGION", REGION)
            .env("AWS_ENDPOINT_URL", &moto.endpoint)
            .env("SNS_TOPIC_ARN", topic_arn())
            .env("MEMBER_ACCOUNTS", MEMBER),
    );
    assert_eq!(ran.code, Some(0), "{}\n{}", ran.stdout, ran.stderr);
    let replay = std::fs::read_to_string(dir.join("replay.json")).expect("the recording");
    let (fake_id, fake_secret, fake_token) = REPLAY_ASSUMED_CREDENTIALS;
    assert!(
        replay.contains(fake_id) && replay.contains(fake_secret) && replay.contains(fake_token),
        "the assumed credentials were not swapped: {replay}"
    );
    // moto's temporary keys start `ASIA`, as the fake one does: only the fake one is left.
    assert_eq!(
        replay.matches("ASIA").count(),
        replay.matches(fake_id).count(),
        "an assumed key id was recorded"
    );
    assert!(!replay.contains(&keys.secret), "a credential was recorded");
    let fixture: Value = serde_json::from_str(&replay).expect("replay.json is JSON");
    assert_eq!(fixture["env"]["CERTWATCH_ACCOUNT_ID"], ACCOUNT, "{fixture}");
    let actions: Vec<String> = fixture["exchanges"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["request"]["body"].as_str())
        .filter_map(|body| {
            body.strip_prefix("Action=")
                .map(|a| a.split('&').next().unwrap_or("").to_owned())
        })
        .collect();
    assert!(actions.contains(&"AssumeRole".to_owned()), "{actions:?}");
    assert!(
        !actions.contains(&"GetCallerIdentity".to_owned()),
        "the account lookup is the process's, not the event's: {actions:?}"
    );

    drop(moto);
    let replayed = crate::support::run(certwatch().arg("replay").arg(&dir));
    assert_eq!(
        replayed.code,
        Some(0),
        "{}\n{}",
        replayed.stdout,
        replayed.stderr
    );
    assert!(
        replayed.stdout.contains("1 passed, 0 failed"),
        "{}",
        replayed.stdout
    );
}
