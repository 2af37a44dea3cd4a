//! A one-second run of the soak program (`examples/soak.rs`, run for real
//! with `cargo run --release --example soak -- --secs 600`): the whole
//! mixed workload starts, reports, stops, and counts no error, over tcp and
//! over ipc.

use std::sync::atomic::Ordering;
use std::time::Duration;

// `dead_code`: the example's `main` and argument parsing, unused here.
#[allow(dead_code)]
#[path = "../examples/soak.rs"]
pub mod soak;

async fn smoke(transport: &str) {
    let cfg = soak::Config {
        duration: Duration::from_secs(1),
        report_every: Duration::from_millis(250),
        transport: transport.into(),
    };
    let report = tokio::time::timeout(Duration::from_secs(60), soak::run(cfg))
        .await
        .expect("the soak did not stop");
    soak::print_summary(&report);
    let c = &report.counters;
    assert_eq!(
        c.errors.load(Ordering::Relaxed),
        0,
        "errors: {:?}",
        c.first_errors()
    );
    assert!(report.samples.len() >= 2, "{:?}", report.samples);
    for (name, counter) in [
        ("round trips", &c.round_trips),
        ("pub/sub deliveries", &c.delivered),
        ("pipeline tasks", &c.tasks_done),
        ("short-lived producers", &c.producers_done),
    ] {
        assert!(counter.load(Ordering::Relaxed) > 0, "no {name}");
    }
    assert_eq!(
        c.tasks_done.load(Ordering::Relaxed),
        c.tasks_sent.load(Ordering::Relaxed)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_one_second_tcp() {
    smoke("tcp").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_one_second_ipc() {
    smoke("ipc").await;
}
