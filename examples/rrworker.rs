//! Request-reply worker (ZeroMQ guide, chapter 2): a REP socket that
//! connects to the broker's backend and answers "World".
//!
//! ```text
//! cargo run --example rrworker [-- ENDPOINT [COUNT]]
//! ```
//!
//! Connects to `tcp://localhost:5560` by default and serves forever, or
//! COUNT requests. Start several: the broker spreads the requests.

use std::time::Duration;

use oxmq::{Context, Rep, SocketError};

/// Serves `count` requests (forever with `None`), working `work` on each.
/// Returns how many it served.
pub async fn run(
    ctx: &Context,
    endpoint: &str,
    count: Option<u64>,
    work: Duration,
) -> Result<u64, SocketError> {
    let mut responder = Rep::new(ctx);
    responder.connect(endpoint)?;
    let mut served = 0;
    while count.is_none_or(|c| served < c) {
        let request = responder.recv().await?;
        println!(
            "Received request: [{}]",
            String::from_utf8_lossy(&request[0])
        );
        tokio::time::sleep(work).await;
        responder.send("World").await?;
        served += 1;
    }
    Ok(served)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = args.first().map_or("tcp://localhost:5560", String::as_str);
    let count = args.get(1).map(|n| n.parse()).transpose()?;
    let ctx = Context::new();
    run(&ctx, endpoint, count, Duration::from_millis(100)).await?;
    Ok(())
}
