//! Hello World client (ZeroMQ guide, chapter 1): a REQ socket that sends
//! "Hello" and waits for each "World".
//!
//! ```text
//! cargo run --example hwclient [-- ENDPOINT [COUNT]]
//! ```
//!
//! Connects to `tcp://localhost:5555` by default and makes 10 requests.
//! Start `hwserver` before or after: the connection is made, and remade,
//! in the background.

use oxmq::{Context, Req, SocketError};

/// Makes `count` requests; returns the replies.
pub async fn run(ctx: &Context, endpoint: &str, count: u64) -> Result<Vec<String>, SocketError> {
    println!("Connecting to hello world server...");
    let mut requester = Req::new(ctx);
    requester.connect(endpoint)?;
    let mut replies = Vec::new();
    for n in 0..count {
        println!("Sending Hello {n}...");
        requester.send("Hello").await?;
        let reply = requester.recv().await?;
        let text = String::from_utf8_lossy(&reply[0]).into_owned();
        println!("Received {text} {n}");
        replies.push(text);
    }
    Ok(replies)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = args.first().map_or("tcp://localhost:5555", String::as_str);
    let count = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(10);
    let ctx = Context::new();
    run(&ctx, endpoint, count).await?;
    Ok(())
}
