//! Load with faults, and a shutdown in the middle: `certwatch serve` takes events from many
//! clients while the stub fails a share of its requests; half way through it is told to stop,
//! finishes what it accepted, and a new server takes the rest. No event is lost: each ends
//! with one finding, and every event the server handled was answered. (The full-size run,
//! 10,000 events from 32 clients with memory figures, is `cargo bench --bench load`.)

use crate::faults::settings;
use crate::serve::start_serve;
use certwatch_stub::catalogue::Catalogue;
use certwatch_stub::load::{self, Delivery, LoadPlan};
use certwatch_stub::{Stub, StubConfig};
use std::process::Command;
use std::sync::Once;

const EVENTS: usize = 600;
const CLIENTS: usize = 16;

#[test]
fn load_with_faults_and_a_shutdown_midway_loses_nothing() {
    let catalogue = Catalogue {
        // Every certificate inside the 45-day window, so every event imports a finding.
        days_spread: 45,
        ..Catalogue::default()
    };
    let stub = Stub::start(StubConfig {
        catalogue: catalogue.clone(),
        random_fault_rate: 0.05,
        seed: 7,
        ..StubConfig::default()
    })
    .expect("starting the stub");
    let events: Vec<String> = (0..EVENTS).map(|i| catalogue.expiry_event(i)).collect();

    let (mut server, address) = start_serve(&[], &settings(&stub));
    let pid = server.0.id().to_string();
    let stop = Once::new();
    let stop_half_way = |answered: usize| {
        if answered >= EVENTS / 2 {
            stop.call_once(|| {
                let _ = Command::new("kill").args(["-TERM", &pid]).status();
            });
        }
    };
    let first = load::run(&LoadPlan {
        address,
        events: &events,
        clients: CLIENTS,
        max_attempts: 10,
        keep_alive: false,
        on_answered: &stop_half_way,
    });
    let exit = server.0.wait().expect("waiting for the server");
    assert!(exit.success(), "the server did not stop cleanly: {exit}");

    let imported = stub.stats().effects.imported_findings;
    let finding_of = |i: usize| format!("{}/certwatch/expiry", catalogue.arn(i));
    let lost = load::handled_but_unanswered(&first, &imported, finding_of);
    assert!(
        lost.is_empty(),
        "events handled whose answer was lost: {lost:?}"
    );
    let mut resend = Vec::new();
    for (i, delivery) in first.deliveries.iter().enumerate() {
        match delivery {
            Delivery::Answered { status: 200, .. } => {
                assert!(
                    imported.contains(&finding_of(i)),
                    "event {i} answered 200 without a finding"
                );
            }
            Delivery::Answered { status, .. } => {
                panic!("event {i} still failed ({status}) after 10 attempts")
            }
            // Sent to a server that had stopped taking connections: the sender keeps it.
            Delivery::NoAnswer { .. } | Delivery::NotAccepted { .. } => {
                resend.push(events[i].clone())
            }
        }
    }
    assert!(
        first.answered(200) >= EVENTS / 2 && !resend.is_empty(),
        "the shutdown did not come half way: {} answered, {} to resend",
        first.answered(200),
        resend.len()
    );

    let (server, address) = start_serve(&[], &settings(&stub));
    let second = load::run(&LoadPlan {
        address,
        events: &resend,
        clients: CLIENTS,
        max_attempts: 10,
        keep_alive: false,
        on_answered: &|_| {},
    });
    drop(server);
    assert_eq!(
        second.answered(200),
        resend.len(),
        "{:?}",
        second.deliveries
    );

    let stats = stub.stats();
    assert_eq!(
        stats.distinct_findings(),
        EVENTS,
        "every event ends with its one finding"
    );
    assert!(
        stats.faults.values().sum::<u64>() > 0 && first.resent() + second.resent() > 0,
        "no fault was injected: {stats:?}"
    );
}
