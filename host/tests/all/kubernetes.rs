//! `deploy/kubernetes/`: the alert rules pass `promtool check rules` and their unit tests
//! (`promtool test rules`); the dashboard's and the alerts' queries are PromQL promtool accepts
//! and name only metrics certwatch exports; the manifests run certwatch as a pod should.

use crate::support::{promtool, repo_root, venv};
use certwatch::prometheus::state::ExporterState;
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

fn kubernetes(file: &str) -> PathBuf {
    repo_root().join("deploy/kubernetes").join(file)
}

/// A manifest as JSON, read by PyYAML.
fn manifest(file: &str) -> Value {
    yaml_as_json(&kubernetes(file))
}

/// A YAML file as JSON, read by PyYAML, as Kubernetes reads its manifests.
pub fn yaml_as_json(path: &Path) -> Value {
    let output = Command::new(venv().join("bin/python"))
        .arg(repo_root().join("host/tests/kubernetes/yaml_to_json.py"))
        .arg(path)
        .output()
        .expect("running yaml_to_json.py");
    assert!(
        output.status.success(),
        "{} is not YAML: {}",
        path.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("yaml_to_json.py prints JSON")
}

/// A folder of its own under the tests' temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

fn promtool_succeeds(args: &[&str], dir: &Path) {
    let output = promtool()
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running promtool");
    assert!(
        output.status.success(),
        "promtool {args:?}:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The PrometheusRule's group, as a plain rules file.
fn rules() -> Value {
    manifest("prometheusrule.yaml")["spec"].clone()
}

/// The names of every family certwatch's `/metrics` has (those of a serve that scans).
fn exported() -> BTreeSet<String> {
    ExporterState::new(SystemTime::now(), Some(Duration::from_secs(3600)))
        .families()
        .iter()
        .map(|f| f.name().to_owned())
        .collect()
}

/// The metric names a PromQL query reads: identifiers outside label matchers, ranges and
/// strings, that are not functions, keywords or the label lists of `by`, `on` and the like.
fn metric_names(query: &str) -> BTreeSet<String> {
    // Keywords, and the aggregations, whose label list may come before their parentheses.
    const KEYWORDS: [&str; 19] = [
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "group_left",
        "group_right",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    const LABEL_LISTS: [&str; 6] = [
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let chars: Vec<char> = query.chars().collect();
    let mut names = BTreeSet::new();
    let mut i = 0;
    let skip_to = |from: usize, close: char| {
        let mut j = from;
        while j < chars.len() && chars[j] != close {
            j += 1;
        }
        j + 1
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '{' {
            i = skip_to(i, '}');
        } else if c == '[' {
            i = skip_to(i, ']');
        } else if c == '"' {
            i = skip_to(i + 1, '"');
        } else if c == '$' || c.is_ascii_digit() {
            // A Grafana variable, a number or a duration.
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || "_:".contains(chars[i])) {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let mut next = i;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let called = chars.get(next) == Some(&'(');
            if called && LABEL_LISTS.contains(&word.as_str()) {
                i = skip_to(next, ')');
            } else if !called && !KEYWORDS.contains(&word.as_str()) {
                names.insert(word);
            }
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn metric_names_are_found_outside_labels_functions_and_keywords() {
    let found = metric_names(
        r#"sum by (kind, le) (increase(a_total{kind=~"x|y"}[$__rate_interval])) / on(job) group_left b_seconds > 2 * c or vector(0) unless d offset 5m"#,
    );
    let expected: BTreeSet<String> = ["a_total", "b_seconds", "c", "d"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests_cover_every_alert() {
    let dir = scratch("kubernetes-rules");
    let rules = rules();
    std::fs::write(dir.join("certwatch-rules.yaml"), rules.to_string()).expect("writing rules");
    std::fs::copy(kubernetes("rules.test.yaml"), dir.join("rules.test.yaml")).expect("copying");
    promtool_succeeds(&["check", "rules", "certwatch-rules.yaml"], &dir);
    promtool_succeeds(&["test", "rules", "rules.test.yaml"], &dir);

    let alerts: BTreeSet<&str> = rules["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|g| g["rules"].as_array().into_iter().flatten())
        .filter_map(|r| r["alert"].as_str())
        .collect();
    let wanted = [
        "CertificateExpiresInUnder14Days",
        "CertificateExpiresInUnder3Days",
        "CertwatchScansStale",
        "CertwatchErrorsRising",
    ];
    assert_eq!(alerts, wanted.into_iter().collect(), "the alerts");
    let tests = manifest("rules.test.yaml");
    for alert in alerts {
        let firing = tests["tests"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|t| t["alert_rule_test"].as_array().into_iter().flatten())
            .filter(|t| t["alertname"] == alert)
            .map(|t| t["exp_alerts"].as_array().map_or(0, Vec::len))
            .collect::<Vec<_>>();
        assert!(
            firing.contains(&0) && firing.iter().any(|&n| n > 0),
            "{alert} must be tested both quiet and firing: {firing:?}"
        );
    }
}

#[test]
fn the_dashboard_and_the_alerts_query_only_metrics_certwatch_exports() {
    let text = std::fs::read_to_string(kubernetes("grafana-dashboard.json")).expect("dashboard");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let panels: Vec<&Value> = dashboard["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .flat_map(|p| std::iter::once(p).chain(p["panels"].as_array().into_iter().flatten()))
        .filter(|p| p["type"] != "row")
        .collect();
    let mut queries: Vec<(String, String)> = Vec::new();
    for panel in &panels {
        let title = panel["title"].as_str().unwrap_or_default().to_owned();
        let exprs: Vec<&str> = panel["targets"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["expr"].as_str())
            .collect();
        assert!(!exprs.is_empty(), "the panel {title:?} has no query");
        queries.extend(exprs.into_iter().map(|e| (title.clone(), e.to_owned())));
    }
    for title in ["Certificates by days left", "The next 10 to expire"] {
        assert!(
            panels.iter().any(|p| p["title"] == title),
            "no panel {title:?}"
        );
    }
    for rule in rules()["groups"][0]["rules"].as_array().expect("rules") {
        let name = rule["alert"].as_str().unwrap_or_default();
        queries.push((
            format!("alert {name}"),
            rule["expr"].as_str().expect("expr").to_owned(),
        ));
    }
    let tests = std::fs::read_to_string(kubernetes("rules.test.yaml")).expect("rule tests");
    for series in tests
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- series: '"))
    {
        queries.push((
            "the rules' tests".into(),
            series.trim_end_matches('\'').to_owned(),
        ));
    }

    let exported = exported();
    for (place, query) in &queries {
        let names = metric_names(query);
        assert!(!names.is_empty(), "{place}: {query} reads no metric");
        let unknown: Vec<&String> = names.difference(&exported).collect();
        assert!(
            unknown.is_empty(),
            "{place}: {query} reads {unknown:?}, which certwatch does not export ({exported:?})"
        );
    }

    // Every dashboard query is PromQL promtool accepts: each becomes a recording rule, with
    // Grafana's variables given values.
    let recorded: Vec<Value> = queries
        .iter()
        .enumerate()
        .filter(|(_, (place, _))| !place.starts_with("alert ") && place != "the rules' tests")
        .map(|(i, (_, query))| {
            let query = query
                .replace("$__rate_interval", "5m")
                .replace("$account", ".*")
                .replace("$region", ".*");
            json!({ "record": format!("dashboard:query_{i}"), "expr": query })
        })
        .collect();
    let dir = scratch("kubernetes-dashboard");
    let file = json!({ "groups": [{ "name": "dashboard", "rules": recorded }] });
    std::fs::write(dir.join("dashboard.yaml"), file.to_string()).expect("writing rules");
    promtool_succeeds(&["check", "rules", "dashboard.yaml"], &dir);
}

#[test]
fn the_deployment_runs_certwatch_unprivileged_probed_and_scraped() {
    let deployment = manifest("deployment.yaml");
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(
        container["securityContext"]["allowPrivilegeEscalation"],
        false
    );
    for (kind, resource) in [
        ("requests", "cpu"),
        ("requests", "memory"),
        ("limits", "memory"),
    ] {
        assert!(
            container["resources"][kind][resource].is_string(),
            "no {kind}.{resource}: {container}"
        );
    }
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/health");
    assert!(container["readinessProbe"]["httpGet"]["path"].is_string());
    let args: Vec<&str> = container["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(args.first(), Some(&"serve"), "{args:?}");
    let every = args
        .iter()
        .find_map(|a| a.strip_prefix("--scan-every="))
        .expect("--scan-every");
    assert!(certwatch::serve::interval::parse(every).is_ok(), "{every}");
    assert!(args.contains(&"--listen=0.0.0.0:8080"), "{args:?}");
    // The cache is the one writable place, and certwatch is told where it is.
    let cache = container["volumeMounts"][0]["mountPath"]
        .as_str()
        .expect("a mount");
    assert!(
        container["env"]
            .as_array()
            .expect("env")
            .iter()
            .any(|e| e["name"] == "CERTWATCH_CACHE_DIR" && e["value"] == cache),
        "{container}"
    );

    let account = manifest("serviceaccount.yaml");
    assert_eq!(pod["serviceAccountName"], account["metadata"]["name"]);
    let role = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        .as_str()
        .expect("the IRSA annotation");
    assert!(
        role.starts_with("arn:aws:iam::") && role.contains(":role/"),
        "{role}"
    );

    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    let service = manifest("service.yaml");
    for (key, value) in service["spec"]["selector"].as_object().expect("a selector") {
        assert_eq!(&labels[key], value, "the service selects {key}={value}");
    }
    let port = &service["spec"]["ports"][0];
    assert_eq!(port["targetPort"], container["ports"][0]["name"]);
    let monitor = manifest("servicemonitor.yaml");
    for (key, value) in monitor["spec"]["selector"]["matchLabels"]
        .as_object()
        .expect("matchLabels")
    {
        assert_eq!(&service["metadata"]["labels"][key], value);
    }
    assert_eq!(monitor["spec"]["endpoints"][0]["port"], port["name"]);
    assert_eq!(monitor["spec"]["endpoints"][0]["path"], "/metrics");

    let kustomization = manifest("kustomization.yaml");
    let listed: BTreeSet<&str> = kustomization["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for file in [
        "deployment.yaml",
        "service.yaml",
        "serviceaccount.yaml",
        "servicemonitor.yaml",
        "prometheusrule.yaml",
    ] {
        assert!(
            listed.contains(file),
            "kustomization.yaml leaves out {file}"
        );
    }
}
