//! Every replay fixture (`events/<case>/`), run natively: the responder over a [`Platform`]
//! that answers from the fixture's `replay.json` as the host's replay does. Each case must send
//! exactly its recorded requests, to the byte (signature included), and end in the outcome of
//! its `outcome.json`.
//!
//! The requests are compared as the host sees them through `wasi:http`: the `host` header (the
//! URL's authority) first, then the headers the responder sends, then `content-length` when
//! there is a body (the component adds it), all in one header map.

use certwatch_contract::fixture::{
    EVENT_FILE, Exchange, OUTCOME_FILE, REPLAY_CREDENTIALS, REPLAY_FILE, RecordedFailure,
    RecordedRequest, RecordedResponse, Replay,
};
use certwatch_contract::{Outcome, ScanAction, ScanProgress, ScanReport, settings};
use certwatch_guest::aws::transport::TransportFailure;
use certwatch_guest::aws::{AwsRequest, AwsResponse, SendFailure};
use certwatch_guest::responder::{self, Platform};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// One test per fixture folder, named for it (`in_window` is `events/in-window`);
/// [`every_fixture_has_its_test`] keeps the list and the folders the same.
macro_rules! fixtures {
    ($($case:ident),* $(,)?) => {
        const CASES: &[&str] = &[$(stringify!($case)),*];
        $(
            #[test]
            fn $case() {
                replay_case(&stringify!($case).replace('_', "-"));
            }
        )*
    };
}

fixtures! {
    chat_expiring,
    chat_renewed,
    connection_reset_then_ok,
    dry_run,
    events_failed_entry,
    events_failed_entry_then_ok,
    events_put,
    excluded_by_tag,
    expired,
    fault_5xx_then_ok,
    fault_empty_body,
    fault_html_content_type,
    fault_malformed_xml,
    fault_throttled_to_the_end,
    fault_timeouts,
    fault_truncated_json,
    health_event,
    hub_access_denied,
    hub_not_subscribed,
    import_rejected,
    in_window,
    malformed_event,
    member_account,
    no_topic,
    not_handled,
    notify_day_skipped,
    only_imported,
    outside_window,
    owner_tags_denied,
    owner_topic,
    owner_topic_unreachable,
    partition_aws_cn,
    partition_aws_us_gov,
    pending_validation,
    reimported_still_expiring,
    renewal_action_required,
    renewed,
    renewed_concurrent_update,
    renewed_never_flagged,
    scan,
    scan_accounts,
    scan_chat_digest,
    scan_events,
    scan_filters,
    scan_nothing_expiring,
    scan_notify_days,
    security_hub_region,
    severity_days,
    throttled_then_ok,
    topic_not_found,
    unknown_certificate,
}

/// How many fixtures `events/` holds: a folder lost or added unnoticed fails here.
const FIXTURE_COUNT: usize = 51;

fn events_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../events")
}

/// The fixture folders under `events/`, by name, sorted.
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(events_dir())
        .expect("reading events/")
        .map(|entry| entry.expect("reading events/").path())
        .filter(|path| path.join(REPLAY_FILE).is_file())
        .map(|path| path.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_fixture_has_its_test() {
    let folders = fixture_names();
    let listed: Vec<String> = CASES.iter().map(|c| c.replace('_', "-")).collect();
    let untested: Vec<_> = folders.iter().filter(|f| !listed.contains(f)).collect();
    let missing: Vec<_> = listed.iter().filter(|c| !folders.contains(c)).collect();
    assert!(
        untested.is_empty() && missing.is_empty(),
        "fixtures without a test here: {untested:?}; tests without a fixture: {missing:?}"
    );
    assert_eq!(
        folders.len(),
        FIXTURE_COUNT,
        "fixtures in events/: {folders:?}"
    );
}

/// Replays `events/<name>` and fails with everything that differs from the recording.
fn replay_case(name: &str) {
    let replayed = replay(name, &[]);
    if let Outcome::Scanned(report) = &replayed.outcome {
        assert_progress_ends_with(report, &replayed.progress);
    }
}

/// What a replay came to: the outcome, and the progress the scan (if it was one) told.
struct Replayed {
    outcome: Outcome,
    progress: Vec<ScanProgress>,
}

/// Replays `events/<name>`, with `extra` settings, and fails with everything that differs from
/// the recording; the outcome only where `extra` is empty.
fn replay(name: &str, extra: &[(&str, &str)]) -> Replayed {
    let dir = events_dir().join(name);
    let read = |file: &str| {
        let path = dir.join(file);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let event = read(EVENT_FILE);
    let replay: Replay = serde_json::from_str(&read(REPLAY_FILE))
        .unwrap_or_else(|e| panic!("{name}/{REPLAY_FILE}: {e}"));
    let expected: Outcome = serde_json::from_str(&read(OUTCOME_FILE))
        .unwrap_or_else(|e| panic!("{name}/{OUTCOME_FILE}: {e}"));

    let platform = Replayer::new(&replay);
    let mut env = environment(&replay);
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    let outcome: Outcome = block_on(responder::handle(&platform, &env, &event)).into();

    let mut problems = platform.mismatches.take();
    let used = platform.used.take();
    for (exchange, _) in replay.exchanges.iter().zip(&used).filter(|(_, u)| !**u) {
        problems.push(format!(
            "the recorded request was never sent:\n{}",
            render(&exchange.request)
        ));
    }
    if extra.is_empty() && outcome != expected {
        problems.push(format!(
            "the outcome differs from {OUTCOME_FILE}:\n{}",
            diff(&pretty(&expected), &pretty(&outcome))
        ));
    }
    assert!(
        problems.is_empty(),
        "events/{name} does not replay natively:\n\n{}",
        problems.join("\n\n")
    );
    Replayed {
        outcome,
        progress: platform.progress.take(),
    }
}

/// A scan tells its progress as it goes, never backwards, and ends having done every region
/// and seen every certificate its outcome counts.
fn assert_progress_ends_with(report: &ScanReport, progress: &[ScanProgress]) {
    // Across accounts, each (account, region) is one region scanned.
    let accounts = report.accounts.len().max(1);
    let regions = u32::try_from(report.regions.len() * accounts).unwrap();
    let last = progress.last().expect("a scan tells its progress");
    assert_eq!(
        *last,
        ScanProgress {
            regions_done: regions,
            regions_total: regions,
            certificates_seen: report.certificates_seen,
        }
    );
    assert_eq!(progress[0].certificates_seen, 0, "{progress:?}");
    for pair in progress.windows(2) {
        assert!(
            pair[1].regions_done >= pair[0].regions_done
                && pair[1].certificates_seen >= pair[0].certificates_seen,
            "{progress:?}"
        );
    }
}

/// `certwatch scan`'s list changes no request the scan sends: the very same exchanges replay,
/// the outcome is the recorded one with every certificate listed, soonest first.
#[test]
fn a_scan_asked_for_its_list_sends_the_same_requests_and_lists_every_certificate() {
    let replayed = replay("scan", &[(settings::SCAN_LIST, "true")]);
    let Outcome::Scanned(mut report) = replayed.outcome else {
        panic!("not a scan: {:?}", replayed.outcome);
    };
    let list = std::mem::take(&mut report.certificates);
    let recorded = std::fs::read_to_string(events_dir().join("scan").join(OUTCOME_FILE)).unwrap();
    assert_eq!(
        Outcome::Scanned(report.clone()),
        serde_json::from_str(&recorded).unwrap()
    );
    assert_eq!(list.len(), report.certificates_seen as usize, "{list:#?}");
    let mut sorted = list.clone();
    sorted.sort_by(certwatch_contract::ScannedCertificate::soonest_first);
    assert_eq!(list, sorted);
    let with_action = |action| -> Vec<&str> {
        list.iter()
            .filter(|c| c.action == action)
            .map(|c| c.arn.as_str())
            .collect()
    };
    let raised = with_action(ScanAction::FindingRaised);
    let expiring: Vec<&str> = report.expiring.iter().map(|c| c.arn.as_str()).collect();
    assert_eq!(raised, expiring);
    for certificate in &list {
        assert_eq!(certificate.region, "us-east-1");
        assert_eq!(
            certificate.in_window,
            certificate.days_left.is_some_and(|d| d <= 45),
            "{certificate:?}"
        );
    }
    let failed = with_action(ScanAction::Failed);
    let recorded_failed: Vec<&str> = report.failed.iter().map(|f| f.arn.as_str()).collect();
    assert_eq!(failed, recorded_failed);
    let resolved = with_action(ScanAction::FindingResolved).len();
    assert!(resolved <= report.findings_resolved as usize, "{list:#?}");
    assert!(resolved > 0, "{list:#?}");
    assert_progress_ends_with(&report, &replayed.progress);
}

/// A scheduled scan's outcome, as Lambda returns it, has no list: it does not grow with the
/// account's certificates.
#[test]
fn a_scheduled_scan_lists_no_certificates() {
    let replayed = replay("scan", &[]);
    let Outcome::Scanned(report) = &replayed.outcome else {
        panic!("not a scan: {:?}", replayed.outcome);
    };
    assert!(report.certificates.is_empty());
    let json = serde_json::to_value(&replayed.outcome).unwrap();
    assert!(json.get("certificates").is_none(), "{json}");
}

/// The component's environment in a replay: the fixture's settings, as the host passes them
/// through, and the fixed replay credentials.
fn environment(replay: &Replay) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = replay
        .env
        .iter()
        .filter(|(name, _)| settings::PASSED_THROUGH.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    env.sort();
    let (id, secret) = REPLAY_CREDENTIALS;
    env.push((settings::AWS_ACCESS_KEY_ID.into(), id.into()));
    env.push((settings::AWS_SECRET_ACCESS_KEY.into(), secret.into()));
    env
}

/// A platform answering from a fixture's recorded exchanges, its clock pinned at the fixture's
/// "now", its sleeps over at once.
struct Replayer<'a> {
    now: OffsetDateTime,
    exchanges: &'a [Exchange],
    used: RefCell<Vec<bool>>,
    /// Requests that matched no recording, with readable diffs.
    mismatches: RefCell<Vec<String>>,
    /// What a scan told of its progress, in order.
    progress: RefCell<Vec<ScanProgress>>,
}

impl<'a> Replayer<'a> {
    fn new(replay: &'a Replay) -> Self {
        let now = OffsetDateTime::parse(&replay.now, &Rfc3339)
            .unwrap_or_else(|e| panic!("\"now\" is not RFC 3339: {:?}: {e}", replay.now))
            // The component reads the wall clock as UTC.
            .to_offset(time::UtcOffset::UTC);
        Self {
            now,
            exchanges: &replay.exchanges,
            used: RefCell::new(vec![false; replay.exchanges.len()]),
            mismatches: RefCell::default(),
            progress: RefCell::default(),
        }
    }

    /// The recorded exchange `actual` is: the first unused one for the same call (concurrent
    /// calls of one operation arrive in any order) equal to it to the byte. `None`, with the
    /// diff kept, when there is none.
    fn exchange(&self, actual: &RecordedRequest) -> Option<&'a Exchange> {
        let mut used = self.used.borrow_mut();
        let key = actual.key();
        let same_call: Vec<usize> = (0..self.exchanges.len())
            .filter(|&i| !used[i] && self.exchanges[i].request.key() == key)
            .collect();
        if let Some(&index) = same_call
            .iter()
            .find(|&&i| self.exchanges[i].request == *actual)
        {
            used[index] = true;
            return Some(&self.exchanges[index]);
        }
        let closest = same_call
            .first()
            .copied()
            .or_else(|| (0..self.exchanges.len()).find(|&i| !used[i]));
        let message = match closest {
            Some(i) => format!(
                "unexpected request; the closest unused recorded one differs:\n{}",
                diff(&render(&self.exchanges[i].request), &render(actual))
            ),
            None => format!(
                "unexpected request; every recorded exchange is used:\n{}",
                render(actual)
            ),
        };
        self.mismatches.borrow_mut().push(message);
        None
    }
}

impl Platform for Replayer<'_> {
    fn now(&self) -> OffsetDateTime {
        self.now
    }

    async fn send(&self, request: &AwsRequest) -> Result<AwsResponse, SendFailure> {
        let actual = as_sent(request);
        let Some(exchange) = self.exchange(&actual) else {
            return Ok(mismatch_reply(&actual));
        };
        match (&exchange.response, &exchange.failure) {
            (Some(response), _) => Ok(as_received(response)),
            (None, Some(name)) => Err(transport_failure(name).into()),
            (None, None) => panic!(
                "a recorded exchange has neither a response nor a failure:\n{}",
                render(&exchange.request)
            ),
        }
    }

    async fn sleep(&self, _: Duration) {}

    fn jitter(&self) -> f64 {
        0.5
    }

    fn progress(&self, progress: &ScanProgress) {
        self.progress.borrow_mut().push(*progress);
    }
}

/// `request` as the host records it from `wasi:http`: the URL rebuilt from its scheme,
/// authority and path; `host`, the headers and `content-length` in one header map.
fn as_sent(request: &AwsRequest) -> RecordedRequest {
    let uri: http::Uri = request.url.parse().expect("the responder's URL");
    let authority = uri.authority().map_or("", |a| a.as_str());
    let scheme = match uri.scheme_str() {
        Some("http") => http::uri::Scheme::HTTP,
        _ => http::uri::Scheme::HTTPS,
    };
    let mut url = http::Uri::builder().scheme(scheme).authority(authority);
    if let Some(path) = uri.path_and_query() {
        url = url.path_and_query(path.as_str());
    }
    let mut headers = http::HeaderMap::new();
    let mut add = |name: &str, value: &str| {
        headers.append(
            http::HeaderName::try_from(name).expect("a header name"),
            http::HeaderValue::try_from(value).expect("a header value"),
        );
    };
    add("host", authority);
    for (name, value) in &request.headers {
        add(name, value);
    }
    if !request.body.is_empty() {
        add("content-length", &request.body.len().to_string());
    }
    RecordedRequest {
        method: request.method.to_string(),
        url: url.build().expect("a URL").to_string(),
        headers: header_pairs(&headers),
        body: String::from_utf8_lossy(&request.body).into_owned(),
    }
}

/// `response` as the component reads it: the recorded headers through one header map, names
/// lowercase.
fn as_received(response: &RecordedResponse) -> AwsResponse {
    let mut headers = http::HeaderMap::new();
    for (name, value) in &response.headers {
        headers.append(
            http::HeaderName::try_from(name.as_str()).expect("a recorded header name"),
            http::HeaderValue::try_from(value.as_str()).expect("a recorded header value"),
        );
    }
    AwsResponse {
        status: response.status,
        headers: header_pairs(&headers),
        body: response.body.clone().into_bytes(),
    }
}

fn header_pairs(headers: &http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// The failure the component sees for a recorded one: the host answers the name with
/// wasmtime-wasi-http's error, which reaches the component as that `wasi:http` error code;
/// any other text is the host's own reason (an internal error), passed on as it is.
fn transport_failure(name: &str) -> TransportFailure {
    match RecordedFailure::from_name(name) {
        Some(RecordedFailure::ConnectionRefused) => TransportFailure::ConnectionRefused,
        Some(RecordedFailure::ConnectionTimeout) => TransportFailure::ConnectionTimeout,
        Some(RecordedFailure::ConnectionReadTimeout | RecordedFailure::ResponseTimeout) => {
            TransportFailure::ResponseTimeout
        }
        Some(RecordedFailure::ConnectionTerminated) => TransportFailure::ConnectionTerminated,
        Some(RecordedFailure::ProtocolError) => TransportFailure::ProtocolError,
        None => TransportFailure::Host(name.to_owned()),
    }
}

#[test]
fn recorded_failures_are_worded_as_in_the_component() {
    let words: Vec<String> = RecordedFailure::ALL
        .iter()
        .map(|failure| transport_failure(failure.name()).to_string())
        .collect();
    assert_eq!(
        words,
        [
            "the connection was refused",
            "the connection timed out",
            "no response came in time",
            "the connection closed before the response",
            "no response came in time",
            "ErrorCode::HttpProtocolError",
        ]
    );
    assert_eq!(
        transport_failure("tls handshake failed").to_string(),
        "tls handshake failed"
    );
}

/// What the host answers a request that matches no recording: a client error in the request's
/// own protocol, which the responder reports and does not send again.
fn mismatch_reply(request: &RecordedRequest) -> AwsResponse {
    const CODE: &str = "CertwatchReplayMismatch";
    let form = request
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    let (content_type, body) = match form {
        true => (
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{CODE}</Code><Message>no recorded exchange matches</Message></Error></ErrorResponse>"
            ),
        ),
        false => (
            "application/json",
            format!(r#"{{"__type":"{CODE}","message":"no recorded exchange matches"}}"#),
        ),
    };
    AwsResponse {
        status: 400,
        headers: vec![
            ("content-type".into(), content_type.into()),
            ("x-amzn-errortype".into(), CODE.into()),
        ],
        body: body.into_bytes(),
    }
}

/// A readable rendering of `request` for diffs: JSON bodies pretty-printed, form bodies one
/// field a line, decoded.
fn render(request: &RecordedRequest) -> String {
    let mut out = format!("{} {}\n", request.method, request.url);
    for (name, value) in &request.headers {
        out.push_str(&format!("{name}: {value}\n"));
    }
    out.push('\n');
    let body = &request.body;
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(body) {
        out.push_str(&serde_json::to_string_pretty(&value).expect("JSON"));
        out.push('\n');
    } else if !body.is_empty() && body.contains('=') && !body.contains(char::is_whitespace) {
        for pair in body.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            let value = value.replace('+', " ");
            let value = percent_encoding::percent_decode_str(&value).decode_utf8_lossy();
            out.push_str(&format!("{name}={}\n", value.replace('\n', "\n    ")));
        }
    } else {
        out.push_str(body);
        out.push('\n');
    }
    out
}

fn pretty(outcome: &Outcome) -> String {
    serde_json::to_string_pretty(outcome).expect("an outcome as JSON") + "\n"
}

/// A unified diff of two texts, for people.
fn diff(expected: &str, actual: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string()
}

/// Runs `future` to its end. Nothing here waits on I/O, so polling again after each return is
/// enough; a future still pending after many polls waits on something no platform here wakes.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    for _ in 0..1_000_000 {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
    panic!("the responder is still waiting after a million polls");
}

/// The chat message of a fixture's recorded requests: the custom notification published to
/// its `CHAT_TOPIC_ARN`, decoded from the form.
fn chat_message(name: &str) -> certwatch_guest::chat::CustomNotification {
    let replay: Replay = serde_json::from_str(
        &std::fs::read_to_string(events_dir().join(name).join(REPLAY_FILE)).unwrap(),
    )
    .unwrap();
    let chat_topic = &replay.env[settings::CHAT_TOPIC_ARN];
    let field = |body: &str, name: &str| -> Option<String> {
        body.split('&').find_map(|pair| {
            let value = pair.strip_prefix(name)?.strip_prefix('=')?;
            let value = value.replace('+', " ");
            Some(
                percent_encoding::percent_decode_str(&value)
                    .decode_utf8()
                    .unwrap()
                    .into_owned(),
            )
        })
    };
    let message = replay
        .exchanges
        .iter()
        .map(|e| &e.request.body)
        .filter(|body| field(body, "TopicArn").as_ref() == Some(chat_topic))
        .find_map(|body| field(body, "Message"))
        .unwrap_or_else(|| panic!("{name} publishes nothing to {chat_topic}"));
    serde_json::from_str(&message).unwrap_or_else(|e| panic!("{name}: {e}: {message}"))
}

/// A certificate's alert and its renewal, published as chat custom notifications, land in
/// one thread: the same `threadId`, derived from the certificate's ARN.
#[test]
fn a_certificates_chat_alert_and_its_renewal_share_a_thread() {
    let alert = chat_message("chat-expiring");
    let renewed = chat_message("chat-renewed");
    assert_eq!(alert.metadata.event_type, "Certificate Expiring");
    assert_eq!(renewed.metadata.event_type, "Certificate Renewed");
    assert_eq!(
        alert.metadata.related_resources[0],
        renewed.metadata.related_resources[0]
    );
    let thread = alert.metadata.thread_id.clone().expect("a thread id");
    assert!(
        thread.contains(&alert.metadata.related_resources[0]),
        "{thread}"
    );
    assert_eq!(renewed.metadata.thread_id, Some(thread));
    let digest = chat_message("scan-chat-digest");
    assert_eq!(
        digest.metadata.event_type,
        certwatch_guest::scan::DIGEST_EVENT_TYPE
    );
}

/// A dry run plans the chat message and the event as it plans every write, and sends neither:
/// the very requests of `events/dry-run` replay with both settings added.
#[test]
fn a_dry_run_plans_the_chat_message_and_the_event() {
    let chat = "arn:aws:sns:us-east-1:123456789012:certwatch-chat";
    let replayed = replay(
        "dry-run",
        &[
            (settings::CHAT_TOPIC_ARN, chat),
            (settings::EVENT_BUS_NAME, "certwatch"),
        ],
    );
    let Outcome::Handled(handled) = replayed.outcome else {
        panic!("not handled: {:?}", replayed.outcome);
    };
    let planned: Vec<&str> = handled
        .planned
        .iter()
        .map(|p| p.operation.as_str())
        .collect();
    assert!(planned.contains(&"events:PutEvents"), "{planned:?}");
    let chat_publish = handled
        .planned
        .iter()
        .find(|p| p.operation == "sns:Publish" && p.body.contains("certwatch-chat"))
        .expect("the chat message planned");
    assert!(
        chat_publish.body.contains("client-markdown"),
        "{}",
        chat_publish.body
    );
    assert!(handled.notifications.iter().any(|n| n.topic_arn == chat));
    assert_eq!(handled.events.len(), 1);
    assert_eq!(handled.events[0].event_id, "dry-run");
}
