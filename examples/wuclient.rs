//! Weather update client (ZeroMQ guide, chapter 1): a SUB socket that
//! subscribes to one zip code and averages its temperature.
//!
//! ```text
//! cargo run --example wuclient [-- ZIPCODE [ENDPOINT [SAMPLES]]]
//! ```
//!
//! Subscribes to `"10001 "` on `tcp://localhost:5556` by default and
//! collects 100 updates. With 100000 zip codes that is about 10 million
//! updates: give it a moment, or run `wuserver` with fewer zip codes.

use oxmq::{Context, SocketError, Sub};

/// Collects `samples` updates whose text starts with `filter`; returns
/// their average temperature.
pub async fn run(
    ctx: &Context,
    endpoint: &str,
    filter: &str,
    samples: u32,
) -> Result<f64, SocketError> {
    println!("Collecting updates from weather server...");
    let mut subscriber = Sub::new(ctx);
    subscriber.connect(endpoint)?;
    // The publisher only sends what starts with the filter.
    subscriber.subscribe(filter.to_string()).await?;
    let mut total = 0i64;
    for _ in 0..samples {
        let update = subscriber.recv().await?;
        let text = String::from_utf8_lossy(&update[0]);
        let temperature: i64 = text
            .split_whitespace()
            .nth(1)
            .and_then(|t| t.parse().ok())
            .unwrap_or_default();
        total += temperature;
    }
    let average = total as f64 / f64::from(samples.max(1));
    println!(
        "Average temperature for zipcode '{}' was {average:.1}F",
        filter.trim()
    );
    Ok(average)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let filter = args.first().map_or("10001 ", String::as_str);
    let endpoint = args.get(1).map_or("tcp://localhost:5556", String::as_str);
    let samples = args.get(2).map(|n| n.parse()).transpose()?.unwrap_or(100);
    let ctx = Context::new();
    run(&ctx, endpoint, filter, samples).await?;
    Ok(())
}
