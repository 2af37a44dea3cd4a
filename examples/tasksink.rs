//! Task sink with a kill signal (ZeroMQ guide, chapter 2): collects the
//! workers' results, reports how long the batch took, then publishes KILL
//! to stop the workers.
//!
//! ```text
//! cargo run --example tasksink [-- RESULTS_ENDPOINT CONTROL_ENDPOINT [TASKS]]
//! ```
//!
//! Binds `tcp://*:5558` for results and `tcp://*:5559` for the kill
//! signal, and expects 100 results.

use std::io::Write;
use std::time::{Duration, Instant};

use oxmq::{Context, Pub, Pull, SocketError};

/// Waits for the start of a batch and `tasks` results, then sends KILL.
/// Returns how long the batch took.
pub async fn run(
    ctx: &Context,
    results_endpoint: &str,
    control_endpoint: &str,
    tasks: u32,
) -> Result<Duration, SocketError> {
    let mut receiver = Pull::new(ctx);
    receiver.bind(results_endpoint).await?;
    let mut controller = Pub::new(ctx);
    controller.bind(control_endpoint).await?;

    // Wait for the start of the batch, then start the clock.
    receiver.recv().await?;
    let start = Instant::now();
    for n in 0..tasks {
        receiver.recv().await?;
        print!("{}", if n % 10 == 0 { ":" } else { "." });
        let _ = std::io::stdout().flush();
    }
    let elapsed = start.elapsed();
    println!("\nTotal elapsed time: {} msec", elapsed.as_millis());

    // Stop the workers.
    controller.send("KILL").await?;
    Ok(elapsed)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let results_endpoint = args.first().map_or("tcp://*:5558", String::as_str);
    let control_endpoint = args.get(1).map_or("tcp://*:5559", String::as_str);
    let tasks = args.get(2).map(|n| n.parse()).transpose()?.unwrap_or(100);
    let ctx = Context::new();
    run(&ctx, results_endpoint, control_endpoint, tasks).await?;
    // Lets the KILL leave before the process ends.
    ctx.term().await;
    Ok(())
}
