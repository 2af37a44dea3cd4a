//! PUB fan-out to 10,000 subscribers over inproc: every subscriber gets
//! every message, and memory stays modest (the figure is printed).

use std::time::Duration;

use oxmq_sockets::{Pub, Sub};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use tokio::time::timeout;

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pub_fans_out_to_ten_thousand_subscribers() {
    const SUBSCRIBERS: usize = 10_000;
    const MESSAGES: usize = 5;
    let before = rss_kib();
    let ctx = Context::new();
    let mut publisher = Pub::new(&ctx);
    publisher.bind("inproc://fanout").await.unwrap();
    let mut subs = Vec::with_capacity(SUBSCRIBERS);
    for i in 0..SUBSCRIBERS {
        let mut sub = Sub::new(&ctx);
        sub.connect("inproc://fanout").unwrap();
        // Half subscribe to everything, half to the topic: both match.
        let topic = if i % 2 == 0 { "" } else { "news" };
        sub.subscribe(topic).await.unwrap();
        subs.push(sub);
    }
    let with_sockets = rss_kib();
    for k in 0..MESSAGES {
        publisher.send(format!("news {k}")).await.unwrap();
    }
    publisher.send("weather").await.unwrap();
    let mut received = 0;
    for sub in &mut subs {
        for k in 0..MESSAGES {
            let m = timeout(Duration::from_secs(20), sub.recv())
                .await
                .unwrap()
                .unwrap();
            assert_eq!(m, Message::from(format!("news {k}")));
            received += 1;
        }
    }
    // Only the catch-all half gets the weather.
    let weather = subs
        .iter_mut()
        .filter_map(|s| s.try_recv().ok())
        .filter(|m| m == &Message::from("weather"))
        .count();
    assert_eq!(received, SUBSCRIBERS * MESSAGES);
    assert_eq!(weather, SUBSCRIBERS / 2);
    if let (Some(a), Some(b)) = (before, with_sockets) {
        let per_sub = (b.saturating_sub(a)) as f64 / SUBSCRIBERS as f64;
        println!(
            "fan-out: {SUBSCRIBERS} inproc subscribers cost {} KiB ({per_sub:.1} KiB each)",
            b.saturating_sub(a)
        );
        // A generous bound (libzmq allocates 2 pipes of ~16 KiB per peer).
        assert!(per_sub < 64.0, "{per_sub} KiB per subscriber");
    }
}
