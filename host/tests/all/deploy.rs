//! The deployment files: the SAM template and the member template pass cfn-lint (from PyPI,
//! nobody here wrote it), grant exactly the actions of the least-privilege policy files, route
//! every event the component acts on, and create the organization's resources only when asked.
//! The templates are read with cfn-lint's own decoder, which knows CloudFormation's YAML tags.

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
        .map(|s| {
            let action = s["Action"].as_str().expect("one action a statement");
            (
                s["Sid"].as_str().unwrap_or_default().to_owned(),
                action.to_owned(),
            )
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
fn function_grants(resources: &BTreeMap<&str, &Value>) -> Vec<(String, String)> {
    let function = &resources["Function"]["Properties"];
    let own = function["Policies"]
        .as_array()
        .expect("the function's policies")
        .iter()
        .flat_map(statements);
    let attached = resources
        .values()
        .filter(|r| attached_to_function_role(r))
        .flat_map(|r| statements(&r["Properties"]["PolicyDocument"]));
    grants(own.chain(attached))
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
    let everything = Deployment::new(&template, ORGANIZATION);
    let single = policy_file("deploy/iam-policy.json");
    let organization = policy_file("deploy/iam-policy-organization.json");
    assert_eq!(
        function_grants(&everything.resources()),
        grants(statements(&single).iter().chain(statements(&organization)))
    );
    // Without the organization's parameters, the single account's policy alone.
    let alone = Deployment::new(&template, &[]);
    assert_eq!(
        function_grants(&alone.resources()),
        grants(statements(&single))
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
                    | "AWS::SQS::Queue"
                    | "AWS::IAM::Policy"
            ),
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
    let granted = function_grants(&listed_resources);
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
