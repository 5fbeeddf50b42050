//! Every fixture under `events/`, through the real component and host.

use crate::support::{events_dir, runtime};
use certwatch::fixture::Fixture;
use certwatch::replay::replay;

fn fixtures() -> Vec<Fixture> {
    let dirs = Fixture::discover(&events_dir()).expect("listing events/");
    dirs.iter()
        .map(|d| Fixture::load(d).expect("loading a fixture"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_fixture_replays_exactly() {
    let mut fixtures = fixtures();
    assert!(
        fixtures.len() >= 15,
        "only {} fixtures found",
        fixtures.len()
    );
    let mut failures = Vec::new();
    for fixture in &mut fixtures {
        let report = replay(runtime(), fixture, false).await.expect("replaying");
        if !report.passed() {
            failures.push(format!("{}:\n{}", report.name, report.problems.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replays_are_identical_to_the_byte() {
    for mut fixture in fixtures() {
        let first = replay(runtime(), &mut fixture, false)
            .await
            .expect("replaying");
        let second = replay(runtime(), &mut fixture, false)
            .await
            .expect("replaying");
        assert_eq!(first.exchanges, second.exchanges, "{}", first.name);
        assert_eq!(first.outcome, second.outcome, "{}", first.name);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_differs_from_the_recording_fails_with_a_diff() {
    let mut fixture = Fixture::load(&events_dir().join("in-window")).expect("loading in-window");
    // As if the component had been built to send another expiry window's certificate.
    let describe = &mut fixture.replay.exchanges[0].request;
    describe.body = describe.body.replace("61f50cd4", "61f50cd5");
    let report = replay(runtime(), &mut fixture, false)
        .await
        .expect("replaying");
    assert!(!report.passed());
    let problems = report.problems.join("\n");
    assert!(
        problems.contains("request differs from the recording"),
        "{problems}"
    );
    assert!(
        problems.contains(
            "-  \"CertificateArn\": \"arn:aws:acm:us-east-1:123456789012:certificate/61f50cd5"
        ),
        "{problems}"
    );
    assert!(
        problems.contains(
            "+  \"CertificateArn\": \"arn:aws:acm:us-east-1:123456789012:certificate/61f50cd4"
        ),
        "{problems}"
    );
    assert!(problems.contains("the outcome differs"), "{problems}");
    // A request that differs is not sent again and again: the diff is shown once.
    assert_eq!(
        problems
            .matches("request differs from the recording")
            .count(),
        1,
        "{problems}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_different_clock_changes_the_signature_and_fails() {
    let mut fixture =
        Fixture::load(&events_dir().join("outside-window")).expect("loading outside-window");
    fixture.replay.now = "2026-11-29T12:00:01Z".into();
    let report = replay(runtime(), &mut fixture, false)
        .await
        .expect("replaying");
    let problems = report.problems.join("\n");
    assert!(
        problems.contains("-x-amz-date: 20261129T120000Z")
            && problems.contains("+x-amz-date: 20261129T120001Z"),
        "{problems}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recorded_request_never_sent_is_reported() {
    let mut fixture =
        Fixture::load(&events_dir().join("outside-window")).expect("loading outside-window");
    let mut extra = fixture.replay.exchanges[0].clone();
    extra.request.url = "https://acm.us-east-1.amazonaws.com/extra".into();
    fixture.replay.exchanges.push(extra);
    let report = replay(runtime(), &mut fixture, false)
        .await
        .expect("replaying");
    assert!(
        report.problems.iter().any(|p| p.contains("never sent")),
        "{:?}",
        report.problems
    );
}
