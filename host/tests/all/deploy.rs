//! The deployment files: the SAM template and the member template pass cfn-lint (from PyPI,
//! nobody here wrote it), grant exactly the actions of the least-privilege policy files, route
//! every event the component acts on, and create the organization's resources only when asked.
//! Every queue, the function's errors, the scan's heartbeat and the soonest expiry are alarmed,
//! to the topic. The templates are read with cfn-lint's own decoder, which knows
//! CloudFormation's YAML tags.

use crate::support::{repo_root, venv};
use certwatch_contract::settings;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::Command;

const TEMPLATE: &str = "deploy/template.yaml";
const MEMBER: &str = "deploy/member.yaml";

fn cfn_lint(template: &str) {
    let output = Command::new(venv().join("bin/cfn-lint"))
        .arg(repo_root().join(template))
        .output()
        .expect("running cfn-lint");
    assert!(
        output.status.success(),
        "cfn-lint {template}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The template as JSON, intrinsic functions in their long form (`{"Ref": …}`, `{"Fn::If": …}`).
fn decode(template: &str) -> Value {
    let output = Command::new(venv().join("bin/python"))
        .args([
            "-c",
            "import json, sys\n\
             from cfnlint.decode import decode\n\
             template, problems = decode(sys.argv[1])\n\
             assert not problems, problems\n\
             print(json.dumps(template))",
        ])
        .arg(repo_root().join(template))
        .output()
        .expect("running cfn-lint's decoder");
    assert!(
        output.status.success(),
        "decoding {template}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the decoded template is JSON")
}

fn policy_file(path: &str) -> Value {
    let text = std::fs::read_to_string(repo_root().join(path)).expect("the policy file");
    serde_json::from_str(&text).expect("the policy file is JSON")
}

/// Each statement's (Sid, Action), sorted.
fn grants<'a>(statements: impl IntoIterator<Item = &'a Value>) -> Vec<(String, String)> {
    let mut grants: Vec<(String, String)> = statements
        .into_iter()
        .flat_map(|s| {
            let sid = s["Sid"].as_str().unwrap_or_default().to_owned();
            // One action, or a list of them.
            let actions: Vec<String> = match &s["Action"] {
                Value::Array(actions) => actions
                    .iter()
                    .map(|a| {
                        a.as_str()
                            .unwrap_or_else(|| panic!("an action: {s}"))
                            .to_owned()
                    })
                    .collect(),
                action => vec![
                    action
                        .as_str()
                        .unwrap_or_else(|| panic!("an action: {s}"))
                        .to_owned(),
                ],
            };
            actions.into_iter().map(move |a| (sid.clone(), a))
        })
        .collect();
    grants.sort();
    grants
}

fn statements(document: &Value) -> &Vec<Value> {
    document["Statement"].as_array().expect("statements")
}

/// A deployment's parameters and pseudo parameters: the template's defaults, then `given`.
fn parameters(template: &Value, given: &[(&str, &str)]) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, String> = template["Parameters"]
        .as_object()
        .expect("parameters")
        .iter()
        .filter_map(|(name, p)| {
            let default = match &p["Default"] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return None,
            };
            Some((name.clone(), default))
        })
        .collect();
    values.insert("AWS::Region".into(), "us-east-1".into());
    values.insert("AWS::AccountId".into(), "111111111111".into());
    for (name, value) in given {
        values.insert((*name).into(), (*value).into());
    }
    values
}

/// CloudFormation's condition functions, over the parameters' values: what a deployment with
/// those values would decide. Anything else is refused, so a new construct fails here loudly.
struct Deployment<'a> {
    template: &'a Value,
    values: BTreeMap<String, String>,
}

impl<'a> Deployment<'a> {
    fn new(template: &'a Value, given: &[(&str, &str)]) -> Self {
        Deployment {
            template,
            values: parameters(template, given),
        }
    }

    fn string(&self, value: &Value) -> String {
        match value {
            Value::String(s) => s.clone(),
            Value::Object(o) if o.contains_key("Ref") => {
                let name = o["Ref"].as_str().expect("a name");
                self.values
                    .get(name)
                    .unwrap_or_else(|| panic!("no value for {name}"))
                    .clone()
            }
            // Only a CommaDelimitedList is joined here, and its value is already its text.
            Value::Object(o) if o.contains_key("Fn::Join") => self.string(&o["Fn::Join"][1]),
            Value::Object(o) if o.contains_key("Fn::Select") => {
                let index = o["Fn::Select"][0].as_u64().expect("an index") as usize;
                let list = &o["Fn::Select"][1]["Fn::Split"];
                let separator = list[0].as_str().expect("a separator");
                self.string(&list[1])
                    .split(separator)
                    .nth(index)
                    .unwrap_or_default()
                    .to_owned()
            }
            other => panic!("a condition's value the test cannot evaluate: {other}"),
        }
    }

    fn holds(&self, condition: &Value) -> bool {
        let o = condition.as_object().expect("a condition function");
        let (function, arguments) = o.iter().next().expect("one function");
        let each = || arguments.as_array().expect("arguments").iter();
        match function.as_str() {
            "Fn::Equals" => self.string(&arguments[0]) == self.string(&arguments[1]),
            "Fn::Not" => !self.holds(&arguments[0]),
            "Fn::And" => each().all(|c| self.holds(c)),
            "Fn::Or" => each().any(|c| self.holds(c)),
            "Condition" => self.condition(arguments.as_str().expect("a name")),
            other => panic!("a condition function the test cannot evaluate: {other}"),
        }
    }

    fn condition(&self, name: &str) -> bool {
        self.holds(&self.template["Conditions"][name])
    }

    /// The resources this deployment creates.
    fn resources(&self) -> BTreeMap<&'a str, &'a Value> {
        self.template["Resources"]
            .as_object()
            .expect("resources")
            .iter()
            .filter(|(_, r)| r["Condition"].as_str().is_none_or(|c| self.condition(c)))
            .map(|(name, r)| (name.as_str(), r))
            .collect()
    }

    /// The parameter a `Ref` names, if it names one (not a resource or pseudo parameter).
    fn parameter<'v>(&self, reference: Option<&'v Value>) -> Option<&'v str> {
        let name = reference?.as_str()?;
        self.template["Parameters"].get(name).map(|_| name)
    }

    /// `value` as deployed: each `Fn::If` decided, a property that resolves to `AWS::NoValue`
    /// left out, a parameter's `Ref` kept as the placeholder `${Name}`.
    fn resolve(&self, value: &Value) -> Option<Value> {
        match value {
            Value::Object(o) if o.contains_key("Fn::If") => {
                let branches = &o["Fn::If"];
                let name = branches[0].as_str().expect("a condition's name");
                self.resolve(&branches[if self.condition(name) { 1 } else { 2 }])
            }
            Value::Object(o) if o.get("Ref") == Some(&json!("AWS::NoValue")) => None,
            Value::Object(o) if self.parameter(o.get("Ref")).is_some() => {
                Some(json!(format!("${{{}}}", self.parameter(o.get("Ref"))?)))
            }
            Value::Object(o) => Some(Value::Object(
                o.iter()
                    .filter_map(|(k, v)| Some((k.clone(), self.resolve(v)?)))
                    .collect(),
            )),
            Value::Array(a) => Some(Value::Array(
                a.iter().filter_map(|v| self.resolve(v)).collect(),
            )),
            other => Some(other.clone()),
        }
    }
}

/// The SAM-generated role of the function, which the template's own policies attach to.
fn attached_to_function_role(resource: &Value) -> bool {
    resource["Type"] == "AWS::IAM::Policy"
        && resource["Properties"]["Roles"]
            .as_array()
            .is_some_and(|roles| roles.contains(&json!({"Ref": "FunctionRole"})))
}

/// The function's own statements, and those of the policies attached to its role.
fn function_grants(deployment: &Deployment) -> Vec<(String, String)> {
    let resources = deployment.resources();
    let function = &resources["Function"]["Properties"];
    // A statement only some deployments have is `!If [condition, statement, NoValue]`.
    let own: Vec<Value> = function["Policies"]
        .as_array()
        .expect("the function's policies")
        .iter()
        .flat_map(statements)
        .filter_map(|statement| deployment.resolve(statement))
        .collect();
    let attached = resources
        .values()
        .filter(|r| attached_to_function_role(r))
        .flat_map(|r| statements(&r["Properties"]["PolicyDocument"]));
    grants(own.iter().chain(attached))
}

const ORGANIZATION: &[(&str, &str)] = &[
    ("OrganizationId", "o-a1b2c3d4e5"),
    ("MemberAccounts", "organization"),
    ("ScanAccounts", "organization"),
    ("MemberRoleExternalId", "certwatch-example"),
    ("ScanFanOut", "true"),
];

/// The function's settings for the organization, as the component reads them.
const ORGANIZATION_SETTINGS: [&str; 5] = [
    settings::MEMBER_ROLE_NAME,
    settings::MEMBER_ROLE_EXTERNAL_ID,
    settings::MEMBER_ACCOUNTS,
    settings::SCAN_ACCOUNTS,
    // The fan-out's queue, which the component reads once the fan-out lands.
    "SCAN_QUEUE_URL",
];

#[test]
fn the_sam_template_is_cfn_lint_clean() {
    cfn_lint(TEMPLATE);
}

#[test]
fn the_member_template_is_cfn_lint_clean_and_plain_cloudformation() {
    cfn_lint(MEMBER);
    let member = decode(MEMBER);
    assert_eq!(
        member.get("Transform"),
        None,
        "service-managed StackSets refuse a template with a transform"
    );
}

#[test]
fn the_template_grants_the_policy_files_actions_and_no_others() {
    let template = decode(TEMPLATE);
    let mut with_events = ORGANIZATION.to_vec();
    with_events.push(("EventBusName", "certwatch-alerts"));
    let everything = Deployment::new(&template, &with_events);
    let single = policy_file("deploy/iam-policy.json");
    let organization = policy_file("deploy/iam-policy-organization.json");
    assert_eq!(
        function_grants(&everything),
        grants(statements(&single).iter().chain(statements(&organization)))
    );
    // Without the organization's parameters nor a bus, the single account's policy, less the
    // events it puts only on a bus it is given.
    let alone = Deployment::new(&template, &[]);
    assert_eq!(
        function_grants(&alone),
        grants(
            statements(&single)
                .iter()
                .filter(|s| s["Sid"] != "PutAlertEvents")
        )
    );
}

#[test]
fn without_organization_parameters_the_deployment_is_the_single_account_one() {
    let template = decode(TEMPLATE);
    let alone = Deployment::new(&template, &[]);
    let resources = alone.resources();
    let environment = alone
        .resolve(&resources["Function"]["Properties"]["Environment"]["Variables"])
        .expect("the function's environment");
    for setting in ORGANIZATION_SETTINGS {
        assert_eq!(
            environment.get(setting),
            None,
            "{setting} is set: {environment}"
        );
    }
    for (name, resource) in &resources {
        let kind = resource["Type"].as_str().expect("a type");
        assert!(
            !matches!(
                kind,
                "AWS::Events::EventBus"
                    | "AWS::Events::EventBusPolicy"
                    | "AWS::Lambda::EventSourceMapping"
                    | "AWS::IAM::Policy"
            ) && !(kind == "AWS::SQS::Queue"
                && (name.starts_with("Organization") || name.starts_with("Scan"))),
            "{name} ({kind}) is created without any organization parameter"
        );
    }
}

#[test]
fn an_organization_deployment_gives_the_function_its_settings() {
    let template = decode(TEMPLATE);
    let everything = Deployment::new(&template, ORGANIZATION);
    let resources = everything.resources();
    let environment = everything
        .resolve(&resources["Function"]["Properties"]["Environment"]["Variables"])
        .expect("the function's environment");
    assert_eq!(environment[settings::MEMBER_ROLE_NAME], "${MemberRoleName}");
    assert_eq!(
        environment[settings::MEMBER_ROLE_EXTERNAL_ID],
        "${MemberRoleExternalId}"
    );
    assert_eq!(environment[settings::MEMBER_ACCOUNTS], "${MemberAccounts}");
    assert_eq!(environment[settings::SCAN_ACCOUNTS], "${ScanAccounts}");
    assert_eq!(environment["SCAN_QUEUE_URL"], json!({"Ref": "ScanQueue"}));
    assert!(resources.contains_key("ScanQueue"));

    // Scanning a list of accounts needs no ListAccounts, and no bus without member events.
    let listed = Deployment::new(
        &template,
        &[
            ("OrganizationId", "o-a1b2c3d4e5"),
            ("ScanAccounts", "222222222222,333333333333"),
        ],
    );
    let listed_resources = listed.resources();
    let granted = function_grants(&listed);
    assert!(
        granted.iter().any(|(_, a)| a == "sts:AssumeRole"),
        "{granted:?}"
    );
    assert!(
        !granted
            .iter()
            .any(|(_, a)| a == "organizations:ListAccounts"),
        "{granted:?}"
    );
    assert!(
        !listed_resources
            .values()
            .any(|r| r["Type"] == "AWS::Events::EventBus"),
        "a bus without MemberAccounts"
    );
}

#[test]
fn member_roles_are_assumed_only_inside_the_organization() {
    let template = decode(TEMPLATE);
    let everything = Deployment::new(&template, ORGANIZATION);
    let resources = everything.resources();
    let assume: Vec<&Value> = resources
        .values()
        .filter(|r| attached_to_function_role(r))
        .flat_map(|r| statements(&r["Properties"]["PolicyDocument"]))
        .filter(|s| s["Action"] == "sts:AssumeRole")
        .collect();
    assert_eq!(assume.len(), 1, "{assume:?}");
    assert_eq!(
        assume[0]["Condition"]["StringEquals"]["aws:ResourceOrgID"],
        json!({"Ref": "OrganizationId"})
    );
    assert_eq!(
        assume[0]["Resource"],
        json!({"Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}"})
    );
    // The organization's id is required whenever member roles are assumed.
    let rule = &template["Rules"]["OrganizationNeedsItsId"];
    assert_eq!(
        rule["Assertions"][0]["Assert"],
        json!({"Fn::Not": [{"Fn::Equals": [{"Ref": "OrganizationId"}, ""]}]})
    );
}

#[test]
fn the_central_bus_admits_only_the_organizations_aws_events() {
    let template = decode(TEMPLATE);
    let everything = Deployment::new(&template, ORGANIZATION);
    let resources = everything.resources();
    let policies: Vec<&&Value> = resources
        .values()
        .filter(|r| r["Type"] == "AWS::Events::EventBusPolicy")
        .collect();
    assert_eq!(policies.len(), 1);
    let statement = &policies[0]["Properties"]["Statement"];
    assert_eq!(statement["Effect"], "Allow");
    assert_eq!(statement["Action"], "events:PutEvents");
    assert_eq!(
        statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"],
        json!({"Ref": "OrganizationId"})
    );
    let sources = &statement["Condition"]["ForAllValues:StringEquals"]["events:source"];
    let sources: Vec<&str> = sources
        .as_array()
        .expect("sources")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(sources.iter().all(|s| s.starts_with("aws.")), "{sources:?}");
}

#[test]
fn the_scan_queue_follows_lambdas_guidance() {
    let template = decode(TEMPLATE);
    let everything = Deployment::new(&template, ORGANIZATION);
    let resources = everything.resources();
    let queue = &resources["ScanQueue"]["Properties"];
    // At least six times every timeout the function may have.
    assert_eq!(
        queue["VisibilityTimeout"],
        json!({"Fn::FindInMap": ["VisibilityTimeout", {"Ref": "FunctionTimeout"}, "Seconds"]})
    );
    let timeouts = template["Parameters"]["FunctionTimeout"]["AllowedValues"]
        .as_array()
        .expect("the allowed timeouts");
    for timeout in timeouts {
        let timeout = timeout.as_u64().expect("seconds");
        let visibility = template["Mappings"]["VisibilityTimeout"][timeout.to_string()]["Seconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("no visibility timeout for {timeout}"));
        assert!(
            visibility >= 6 * timeout,
            "{visibility} s for a {timeout} s function"
        );
    }
    let redrive = &queue["RedrivePolicy"];
    assert_eq!(
        redrive["deadLetterTargetArn"],
        json!({"Fn::GetAtt": ["ScanDeadLetterQueue", "Arn"]})
    );
    assert_eq!(
        redrive["maxReceiveCount"],
        json!({"Ref": "ScanMaxReceiveCount"})
    );
    let mapping = resources
        .values()
        .find(|r| r["Type"] == "AWS::Lambda::EventSourceMapping")
        .expect("the queue's event source mapping");
    let mapping = &mapping["Properties"];
    assert_eq!(
        mapping["EventSourceArn"],
        json!({"Fn::GetAtt": ["ScanQueue", "Arn"]})
    );
    assert_eq!(
        mapping["FunctionResponseTypes"],
        json!(["ReportBatchItemFailures"])
    );
    assert_eq!(
        mapping["ScalingConfig"]["MaximumConcurrency"],
        json!({"Ref": "ScanMaximumConcurrency"})
    );
}

/// Every ACM detail-type the component acts on, and AWS Health's ACM events, are among
/// `patterns`.
fn assert_patterns_cover_the_components_events(what: &str, patterns: &[&Value]) {
    use certwatch_guest::event::{
        APPROACHING_EXPIRATION, CERTIFICATE_AVAILABLE, EXPIRED, HEALTH_EVENT, HEALTH_SOURCE,
        RENEWAL_ACTION_REQUIRED,
    };
    let matches = |source: &str, detail_type: &str| {
        patterns.iter().any(|p| {
            p["source"]
                .as_array()
                .is_some_and(|s| s.contains(&json!(source)))
                && p["detail-type"]
                    .as_array()
                    .is_some_and(|d| d.contains(&json!(detail_type)))
        })
    };
    for detail_type in [
        APPROACHING_EXPIRATION,
        EXPIRED,
        CERTIFICATE_AVAILABLE,
        RENEWAL_ACTION_REQUIRED,
    ] {
        assert!(
            matches("aws.acm", detail_type),
            "{what} does not send {detail_type:?} events"
        );
    }
    assert!(
        patterns.iter().any(|p| {
            p["source"] == json!([HEALTH_SOURCE])
                && p["detail-type"] == json!([HEALTH_EVENT])
                && p["detail"]["service"] == json!(["ACM"])
        }),
        "{what} does not send AWS Health's ACM events"
    );
}

fn rule_patterns<'a>(resources: &BTreeMap<&str, &'a Value>) -> Vec<&'a Value> {
    resources
        .values()
        .filter(|r| r["Type"] == "AWS::Events::Rule")
        .map(|r| &r["Properties"]["EventPattern"])
        .collect()
}

#[test]
fn the_rules_send_every_acm_event_the_component_acts_on() {
    let template = decode(TEMPLATE);
    let everything = Deployment::new(&template, ORGANIZATION);
    let resources = everything.resources();
    // The default bus's rules, SAM's EventBridgeRule events of the function.
    let events = resources["Function"]["Properties"]["Events"]
        .as_object()
        .expect("the function's events");
    let default_bus: Vec<&Value> = events
        .values()
        .filter(|e| e["Type"] == "EventBridgeRule")
        .map(|e| &e["Properties"]["Pattern"])
        .collect();
    assert_patterns_cover_the_components_events("the default bus", &default_bus);
    // The organization's bus: its rules invoke the function.
    for rule in resources
        .values()
        .filter(|r| r["Type"] == "AWS::Events::Rule")
    {
        assert_eq!(
            rule["Properties"]["EventBusName"],
            json!({"Ref": "OrganizationEventBus"})
        );
        assert_eq!(
            rule["Properties"]["Targets"][0]["Arn"],
            json!({"Fn::GetAtt": ["Function", "Arn"]})
        );
    }
    assert_patterns_cover_the_components_events(
        "the organization's bus",
        &rule_patterns(&resources),
    );
}

fn member_deployment<'a>(member: &'a Value, account: &str, region: &str) -> Deployment<'a> {
    Deployment::new(
        member,
        &[
            ("AWS::AccountId", account),
            ("AWS::Region", region),
            ("RoleRegion", "us-east-1"),
            (
                "CentralFunctionRoleArn",
                "arn:aws:iam::999999999999:role/certwatch-FunctionRole-ABC",
            ),
            (
                "CentralEventBusArn",
                "arn:aws:events:eu-west-1:999999999999:event-bus/certwatch-organization",
            ),
        ],
    )
}

#[test]
fn the_member_role_grants_the_member_policy_files_actions_and_no_others() {
    let member = decode(MEMBER);
    let deployment = member_deployment(&member, "222222222222", "us-east-1");
    let resources = deployment.resources();
    let role = &resources["MemberRole"]["Properties"];
    let granted = grants(
        role["Policies"]
            .as_array()
            .expect("the role's policies")
            .iter()
            .flat_map(|p| statements(&p["PolicyDocument"])),
    );
    assert_eq!(
        granted,
        grants(statements(&policy_file("deploy/member-role-policy.json")))
    );
    assert_eq!(role["RoleName"], json!({"Ref": "MemberRoleName"}));
}

#[test]
fn the_member_role_trusts_only_the_central_function_with_its_external_id() {
    let member = decode(MEMBER);
    let trust = policy_file("deploy/member-trust-policy.json");
    let mut given = vec![("AWS::Region", "us-east-1"), ("RoleRegion", "us-east-1")];
    given.push((
        "CentralEventBusArn",
        "arn:aws:events:eu-west-1:999999999999:event-bus/b",
    ));
    let with_id: Vec<_> = given
        .iter()
        .copied()
        .chain([("MemberRoleExternalId", "certwatch-example")])
        .collect();
    let deployed = |given: &[(&str, &str)]| {
        let deployment = Deployment::new(&member, given);
        let role = deployment.resources()["MemberRole"];
        deployment
            .resolve(&role["Properties"]["AssumeRolePolicyDocument"])
            .expect("a trust policy")
    };
    assert_eq!(deployed(&with_id), trust);
    // Without an external id, the same statement without its condition.
    let mut without = trust.clone();
    without["Statement"][0]
        .as_object_mut()
        .expect("a statement")
        .remove("Condition");
    assert_eq!(deployed(&given), without);
}

#[test]
fn member_roles_are_created_once_and_the_forwarding_rules_in_every_region() {
    let member = decode(MEMBER);
    let created = |account: &str, region: &str| -> Vec<String> {
        let deployment = member_deployment(&member, account, region);
        deployment
            .resources()
            .values()
            .map(|r| r["Type"].as_str().expect("a type").to_owned())
            .collect()
    };
    // (account, region, roles, forwarding rules). A member account: both roles in RoleRegion
    // only, both rules everywhere. The central account (999999999999): no member role, and no
    // forwarding in the bus's own region, whose default bus the function's rules already read.
    let cases = [
        ("222222222222", "us-east-1", 2, 2),
        ("222222222222", "ap-southeast-2", 0, 2),
        ("999999999999", "us-east-1", 1, 2),
        ("999999999999", "eu-west-1", 0, 0),
    ];
    for (account, region, roles, rules) in cases {
        let types = created(account, region);
        let count = |kind: &str| types.iter().filter(|t| *t == kind).count();
        assert_eq!(
            (count("AWS::IAM::Role"), count("AWS::Events::Rule")),
            (roles, rules),
            "{account} in {region}: {types:?}"
        );
    }
}

#[test]
fn the_member_rules_forward_every_acm_event_to_the_central_bus() {
    let member = decode(MEMBER);
    let deployment = member_deployment(&member, "222222222222", "ap-southeast-2");
    let resources = deployment.resources();
    assert_patterns_cover_the_components_events("the member's rules", &rule_patterns(&resources));
    let forwarder = &member["Resources"]["ForwarderRole"]["Properties"];
    assert_eq!(forwarder["RoleName"], json!({"Ref": "ForwarderRoleName"}));
    let put = &forwarder["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(put["Action"], "events:PutEvents");
    assert_eq!(put["Resource"], json!({"Ref": "CentralEventBusArn"}));
    for rule in resources
        .values()
        .filter(|r| r["Type"] == "AWS::Events::Rule")
    {
        let target = &rule["Properties"]["Targets"][0];
        assert_eq!(target["Arn"], json!({"Ref": "CentralEventBusArn"}));
        // The role by its name: in this region, another stack's.
        assert_eq!(
            target["RoleArn"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${ForwarderRoleName}"})
        );
    }
}

#[test]
fn the_function_is_deployed_for_the_architecture_its_package_was_built_for() {
    let template = template();
    let architectures = &template["Parameters"]["Architecture"]["AllowedValues"];
    assert_eq!(architectures, &json!(["x86_64", "arm64"]));
    let function = &template["Resources"]["Function"]["Properties"];
    assert_eq!(function["Architectures"], json!([{"Ref": "Architecture"}]));
    assert_eq!(function["CodeUri"], "../target/lambda/certwatch.zip");
    // scripts/package-lambda takes the same names and writes that file.
    let script = std::fs::read_to_string(repo_root().join("scripts/package-lambda"))
        .expect("scripts/package-lambda");
    assert!(script.contains("[x86_64|arm64]"), "its usage");
    assert!(
        script.contains(r#"cp "$zip" "$target_dir/lambda/certwatch.zip""#),
        "it writes the file the template deploys"
    );
}

fn template() -> Value {
    let output = Command::new(venv().join("bin/python"))
        .args([
            "-c",
            "import json, sys; from cfnlint.decode.cfn_yaml import load; print(json.dumps(load(sys.argv[1])))",
        ])
        .arg(repo_root().join("deploy/template.yaml"))
        .output()
        .expect("running cfn-lint's loader");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the template as JSON")
}

/// The template's resources of `kind`, by logical id.
fn resources<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

/// Every alarm goes to the notification topic: an alarm nobody hears of is no alarm.
fn assert_routed_to_the_topic(id: &str, alarm: &Value) {
    let actions = alarm["Properties"]["AlarmActions"]
        .as_array()
        .unwrap_or_else(|| panic!("{id} has no AlarmActions"));
    assert!(
        actions.contains(&json!({"Ref": "Topic"})),
        "{id} does not notify the topic: {actions:?}"
    );
}

#[test]
fn every_queue_has_an_alarm_on_its_visible_messages() {
    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    // A queue the function consumes (the scan's fan-out) holds messages as a matter of course:
    // only the queues where something lands when it failed are alarmed on any message.
    let consumed: Vec<Value> = resources(&template, "AWS::Lambda::EventSourceMapping")
        .iter()
        .map(|(_, mapping)| mapping["Properties"]["EventSourceArn"]["Fn::GetAtt"][0].clone())
        .collect();
    let queues: Vec<_> = resources(&template, "AWS::SQS::Queue")
        .into_iter()
        .filter(|(queue, _)| !consumed.contains(&json!(queue)))
        .collect();
    assert!(queues.len() >= 6, "{queues:?}");
    for (queue, definition) in queues {
        let watching = alarms.iter().find(|(_, alarm)| {
            let p = &alarm["Properties"];
            p["MetricName"] == "ApproximateNumberOfMessagesVisible"
                && p["Namespace"] == "AWS/SQS"
                && p["Dimensions"]
                    == json!([{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue, "QueueName"]}}])
        });
        let Some((id, alarm)) = watching else {
            panic!("no alarm watches the queue {queue}");
        };
        let p = &alarm["Properties"];
        assert_eq!(
            (&p["ComparisonOperator"], &p["Threshold"]),
            (&json!("GreaterThanThreshold"), &json!(0)),
            "{id}: one message on {queue} is one too many"
        );
        // A queue only some deployments have, its alarm only with it.
        assert_eq!(alarm.get("Condition"), definition.get("Condition"), "{id}");
        assert_routed_to_the_topic(id, alarm);
    }
}

#[test]
fn the_scan_heartbeat_treats_missing_data_as_breaching() {
    use certwatch::metrics::{NAMESPACE, emf_lines};
    // What the host writes for a scan: the metric's name and dimensions as they really are.
    let scan: certwatch::outcome::Outcome = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("events/scan/outcome.json")).unwrap(),
    )
    .unwrap();
    let health: Value = emf_lines(&scan, 0)
        .iter()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .find(|line| line.get("ScanCertificatesSeen").is_some())
        .expect("a scan writes ScanCertificatesSeen");
    let directive = &health["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(
        directive["Dimensions"],
        json!([[]]),
        "the heartbeat has no dimensions"
    );

    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let (id, heartbeat) = alarms
        .iter()
        .find(|(_, a)| a["Properties"]["MetricName"] == "ScanCertificatesSeen")
        .expect("an alarm on ScanCertificatesSeen");
    let p = &heartbeat["Properties"];
    assert_eq!(p["Namespace"], NAMESPACE);
    assert_eq!(directive["Namespace"], NAMESPACE);
    assert!(p.get("Dimensions").is_none(), "{id}: EMF wrote none");
    assert_eq!(p["TreatMissingData"], "breaching", "{id}");
    // Missing for a day and a bit: longer than the schedule's day, shorter than two.
    let window = p["Period"].as_u64().unwrap() * p["EvaluationPeriods"].as_u64().unwrap();
    assert!(
        (86_400 + 1..2 * 86_400).contains(&window),
        "{id}: {window} s"
    );
    assert_eq!(
        p["DatapointsToAlarm"], p["EvaluationPeriods"],
        "{id}: every hour empty"
    );
    assert_routed_to_the_topic(id, heartbeat);
}

#[test]
fn the_function_errors_and_the_soonest_expiry_are_alarmed() {
    let template = template();
    let alarms = resources(&template, "AWS::CloudWatch::Alarm");
    let (id, errors) = alarms
        .iter()
        .find(|(_, a)| {
            a["Properties"]["Namespace"] == "AWS/Lambda"
                && a["Properties"]["MetricName"] == "Errors"
        })
        .expect("an alarm on the function's Errors");
    assert_eq!(
        errors["Properties"]["Dimensions"],
        json!([{"Name": "FunctionName", "Value": {"Ref": "Function"}}])
    );
    assert_routed_to_the_topic(id, errors);
    let (id, soonest) = alarms
        .iter()
        .find(|(_, a)| a["Properties"]["Metrics"].is_array())
        .expect("an alarm on the soonest DaysToExpiry");
    let p = &soonest["Properties"];
    let query = p["Metrics"][0]["Expression"].as_str().unwrap();
    assert_eq!(
        query,
        format!(
            "SELECT MIN(DaysToExpiry) FROM SCHEMA({}, Certificate)",
            certwatch::metrics::NAMESPACE
        )
    );
    assert_eq!(p["Threshold"], json!({"Ref": "ExpiryAlarmDays"}));
    assert_eq!(p["ComparisonOperator"], "LessThanThreshold");
    assert_routed_to_the_topic(id, soonest);
}

/// The PagerDuty rule's input transformer reads fields the component's events have, and
/// writes an Events API v2 body: `dedup_key`, `event_action`, `payload.severity`, `summary`
/// and `source`, with the routing key left to the connection's secret.
#[test]
fn the_pagerduty_transformer_maps_the_events_detail() {
    use certwatch_guest::alert_event::{AlertEvent, AlertKind, Alerted};
    use certwatch_guest::arn::CertificateArn;
    let certificate =
        CertificateArn::parse("arn:aws:acm:us-east-1:123456789012:certificate/abc").unwrap();
    let event = AlertEvent::new(
        AlertKind::Expiring,
        Alerted {
            certificate: &certificate,
            domain: "www.example.com",
            not_after: "2026-12-10T12:00:00Z",
            days_left: 11,
            severity: certwatch_guest::decision::Severity::High,
            reason: None,
        },
    );
    let envelope = json!({
        "detail-type": event.kind.detail_type(),
        "detail": serde_json::to_value(&event.detail).unwrap(),
    });
    let template = template();
    let rule = &template["Resources"]["PagerDutyRule"]["Properties"];
    let transformer = &rule["Targets"][0]["InputTransformer"];
    let mut body = transformer["InputTemplate"].as_str().unwrap().to_owned();
    for (name, path) in transformer["InputPathsMap"].as_object().unwrap() {
        let pointer = format!(
            "/{}",
            path.as_str()
                .unwrap()
                .trim_start_matches("$.")
                .replace('.', "/")
        );
        let value = envelope
            .pointer(&pointer)
            .unwrap_or_else(|| panic!("{name}: the event has no {path}"));
        body = body.replace(&format!("<{name}>"), &value.to_string());
    }
    let body: Value = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body["dedup_key"], format!("certwatch:{certificate}"));
    assert_eq!(body["event_action"], "trigger");
    assert_eq!(body["payload"]["severity"], "error");
    assert_eq!(body["payload"]["source"], certificate.to_string());
    assert!(
        body["payload"]["summary"]
            .as_str()
            .unwrap()
            .contains("www.example.com")
    );
    assert!(
        body.get("routing_key").is_none(),
        "the key is the connection's secret"
    );
    let connection = &template["Resources"]["PagerDutyConnection"]["Properties"];
    let parameter = &connection["AuthParameters"]["InvocationHttpParameters"]["BodyParameters"][0];
    assert_eq!(parameter["Key"], "routing_key");
    assert_eq!(parameter["IsValueSecret"], true);
    let detail_types: Vec<&str> = rule["EventPattern"]["detail-type"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(detail_types, AlertKind::ALL.map(AlertKind::detail_type));
}
