//! Hello World server (ZeroMQ guide, chapter 1): a REP socket that answers
//! every request with "World".
//!
//! ```text
//! cargo run --example hwserver [-- ENDPOINT [COUNT]]
//! ```
//!
//! Binds `tcp://*:5555` by default and serves forever, or COUNT requests.
//! Pair it with `hwclient`.

use std::time::Duration;

use oxmq::{Context, Rep, SocketError};

/// Serves `count` requests (forever with `None`), pretending to work for
/// `work` on each. Returns how many it served.
pub async fn run(
    ctx: &Context,
    endpoint: &str,
    count: Option<u64>,
    work: Duration,
) -> Result<u64, SocketError> {
    let mut responder = Rep::new(ctx);
    responder.bind(endpoint).await?;
    let mut served = 0;
    while count.is_none_or(|c| served < c) {
        let request = responder.recv().await?;
        println!("Received {}", String::from_utf8_lossy(&request[0]));
        // Do some 'work'.
        tokio::time::sleep(work).await;
        responder.send("World").await?;
        served += 1;
    }
    Ok(served)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = args.first().map_or("tcp://*:5555", String::as_str);
    let count = args.get(1).map(|n| n.parse()).transpose()?;
    let ctx = Context::new();
    run(&ctx, endpoint, count, Duration::from_millis(100)).await?;
    Ok(())
}
