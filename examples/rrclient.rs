//! Request-reply client (ZeroMQ guide, chapter 2): a REQ socket talking to
//! the workers through a broker (`rrbroker` or `msgqueue`).
//!
//! ```text
//! cargo run --example rrclient [-- ENDPOINT [COUNT]]
//! ```
//!
//! Connects to the broker's frontend, `tcp://localhost:5559` by default,
//! and makes 10 requests.

use oxmq::{Context, Req, SocketError};

/// Makes `count` requests; returns the replies.
pub async fn run(ctx: &Context, endpoint: &str, count: u64) -> Result<Vec<String>, SocketError> {
    let mut requester = Req::new(ctx);
    requester.connect(endpoint)?;
    let mut replies = Vec::new();
    for n in 0..count {
        requester.send("Hello").await?;
        let reply = requester.recv().await?;
        let text = String::from_utf8_lossy(&reply[0]).into_owned();
        println!("Received reply {n} [{text}]");
        replies.push(text);
    }
    Ok(replies)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = args.first().map_or("tcp://localhost:5559", String::as_str);
    let count = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(10);
    let ctx = Context::new();
    run(&ctx, endpoint, count).await?;
    Ok(())
}
