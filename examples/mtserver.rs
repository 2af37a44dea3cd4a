//! Multithreaded Hello World server (ZeroMQ guide, chapter 2): a ROUTER for
//! the clients, a DEALER over `inproc://` to a pool of worker tasks, each
//! with a REP socket, and [`oxmq::proxy`] between the two. Inproc endpoints
//! live in the [`Context`], so the workers share the server's.
//!
//! ```text
//! cargo run --example mtserver [-- ENDPOINT [WORKERS]]
//! ```
//!
//! Binds `tcp://*:5555` (so `hwclient` can use it) and starts 5 workers.

use std::time::Duration;

use oxmq::{AnySocket, Context, Dealer, Rep, Router, SocketError};
use tokio::task::JoinSet;

const WORKERS_ENDPOINT: &str = "inproc://workers";

async fn worker(ctx: Context, id: usize, work: Duration) -> Result<(), SocketError> {
    let mut receiver = Rep::new(&ctx);
    receiver.connect(WORKERS_ENDPOINT)?;
    loop {
        let request = receiver.recv().await?;
        println!(
            "Worker {id} received request: [{}]",
            String::from_utf8_lossy(&request[0])
        );
        tokio::time::sleep(work).await;
        receiver.send("World").await?;
    }
}

/// Serves until a socket fails, with `workers` worker tasks each working
/// `work` per request. The workers stop when this future is dropped.
pub async fn run(
    ctx: &Context,
    endpoint: &str,
    workers: usize,
    work: Duration,
) -> Result<(), SocketError> {
    let mut clients = AnySocket::Router(Router::new(ctx));
    clients.bind(endpoint).await?;
    let mut workers_socket = AnySocket::Dealer(Dealer::new(ctx));
    workers_socket.bind(WORKERS_ENDPOINT).await?;

    let mut pool = JoinSet::new();
    for id in 0..workers {
        pool.spawn(worker(ctx.clone(), id, work));
    }
    tokio::select! {
        r = oxmq::proxy(&mut clients, &mut workers_socket, None) => r,
        Some(Ok(Err(e))) = pool.join_next() => Err(e),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = args.first().map_or("tcp://*:5555", String::as_str);
    let workers = args.get(1).map(|n| n.parse()).transpose()?.unwrap_or(5);
    let ctx = Context::new();
    run(&ctx, endpoint, workers, Duration::from_millis(100)).await?;
    Ok(())
}
