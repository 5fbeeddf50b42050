//! The deployment files: the SAM template passes cfn-lint (from PyPI, nobody here wrote it)
//! and grants exactly the actions of the least-privilege policy file.

use crate::support::{repo_root, venv};
use std::process::Command;

#[test]
fn the_sam_template_is_cfn_lint_clean() {
    let output = Command::new(venv().join("bin/cfn-lint"))
        .arg(repo_root().join("deploy/template.yaml"))
        .output()
        .expect("running cfn-lint");
    assert!(
        output.status.success(),
        "cfn-lint:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_template_grants_the_policy_files_actions_and_no_others() {
    let policy: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("deploy/iam-policy.json")).expect("the policy"),
    )
    .expect("the policy is JSON");
    let mut actions: Vec<String> = policy["Statement"]
        .as_array()
        .expect("statements")
        .iter()
        .map(|s| {
            s["Action"]
                .as_str()
                .expect("one action a statement")
                .to_owned()
        })
        .collect();
    actions.sort();
    let template =
        std::fs::read_to_string(repo_root().join("deploy/template.yaml")).expect("the template");
    let mut granted: Vec<String> = template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Action: "))
        .map(str::to_owned)
        .collect();
    granted.sort();
    assert_eq!(granted, actions);
}

#[test]
fn the_rule_sends_every_acm_event_the_component_acts_on() {
    use certwatch_guest::event::{
        APPROACHING_EXPIRATION, CERTIFICATE_AVAILABLE, EXPIRED, HEALTH_EVENT, HEALTH_SOURCE,
        RENEWAL_ACTION_REQUIRED,
    };
    let template =
        std::fs::read_to_string(repo_root().join("deploy/template.yaml")).expect("the template");
    let listed: Vec<&str> = template
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- ACM Certificate "))
        .collect();
    for detail_type in [
        APPROACHING_EXPIRATION,
        EXPIRED,
        CERTIFICATE_AVAILABLE,
        RENEWAL_ACTION_REQUIRED,
    ] {
        let name = detail_type.trim_start_matches("ACM Certificate ");
        assert!(
            listed.contains(&name),
            "the rule does not send {detail_type:?} events: {listed:?}"
        );
    }
    assert!(
        template.contains(&format!("source: [{HEALTH_SOURCE}]"))
            && template.contains(&format!("detail-type: [{HEALTH_EVENT}]"))
            && template.contains("service: [ACM]"),
        "no rule sends AWS Health's ACM events"
    );
}
