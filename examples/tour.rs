//! The oxmq tour: moves messages one way between two sockets' transports over
//! inproc, ipc and tcp, and prints throughput and round-trip latency.
//!
//! `cargo run --release --example tour [-- COUNT SIZE]`
//!
//! This drives the transport layer directly (pipes between a sender and a
//! receiver); the pattern-level tour (`oxmq bench`) replaces it once the
//! socket types land.

use std::time::{Duration, Instant};

use bytes::Bytes;
use oxmq::transports::{PipeMsg, SocketTransport, TransportOptions};
use oxmq::{Context, Message, SocketType};

type Error = Box<dyn std::error::Error>;

async fn pair(
    ctx: &Context,
    endpoint: &str,
) -> Result<
    (
        SocketTransport,
        oxmq::transports::Peer,
        SocketTransport,
        oxmq::transports::Peer,
    ),
    Error,
> {
    let (pull, mut pull_peers) = SocketTransport::new(ctx, TransportOptions::new(SocketType::Pull));
    let bound = pull.bind(endpoint).await?;
    let (push, mut push_peers) = SocketTransport::new(ctx, TransportOptions::new(SocketType::Push));
    push.connect(&bound)?;
    let push_peer = push_peers.recv().await.ok_or("no peer")?;
    let mut pull_peer = pull_peers.recv().await.ok_or("no peer")?;
    match pull_peer.rx.recv().await {
        Some(PipeMsg::Connected(_)) => {}
        other => return Err(format!("expected a connection marker, got {other:?}").into()),
    }
    Ok((push, push_peer, pull, pull_peer))
}

async fn throughput(
    ctx: &Context,
    endpoint: &str,
    count: usize,
    size: usize,
) -> Result<f64, Error> {
    let (_push, push_peer, _pull, mut pull_peer) = pair(ctx, endpoint).await?;
    let body = Bytes::from(vec![b'x'; size]);
    let sender = tokio::spawn(async move {
        for _ in 0..count {
            if push_peer
                .tx
                .send(PipeMsg::Message(Message::from(body.clone())))
                .await
                .is_err()
            {
                break;
            }
        }
        push_peer
    });
    let start = Instant::now();
    let mut got = 0;
    while got < count {
        match pull_peer.rx.recv().await {
            Some(PipeMsg::Message(_)) => got += 1,
            Some(PipeMsg::Connected(_)) => {}
            None => return Err("connection lost".into()),
        }
    }
    let elapsed = start.elapsed();
    sender.await?;
    Ok(count as f64 / elapsed.as_secs_f64())
}

async fn latency(
    ctx: &Context,
    endpoint: &str,
    rounds: usize,
    size: usize,
) -> Result<Duration, Error> {
    // Two one-way pairs make a round trip: a → b over one, b → a over the other.
    let (_a1, ab_tx, _b1, mut ab_rx) = pair(ctx, endpoint).await?;
    let back = endpoint.replace("-ab", "-ba");
    let (_b2, ba_tx, _a2, mut ba_rx) = pair(ctx, &back).await?;
    let echo = tokio::spawn(async move {
        while let Some(item) = ab_rx.rx.recv().await {
            if let PipeMsg::Message(m) = item {
                if ba_tx.tx.send(PipeMsg::Message(m)).await.is_err() {
                    break;
                }
            }
        }
    });
    let body = Bytes::from(vec![b'x'; size]);
    let start = Instant::now();
    for _ in 0..rounds {
        ab_tx
            .tx
            .send(PipeMsg::Message(Message::from(body.clone())))
            .await?;
        loop {
            match ba_rx.rx.recv().await {
                Some(PipeMsg::Message(_)) => break,
                Some(PipeMsg::Connected(_)) => {}
                None => return Err("connection lost".into()),
            }
        }
    }
    let per_round = start.elapsed() / rounds as u32;
    drop(ab_tx);
    echo.abort();
    Ok(per_round)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let mut args = std::env::args().skip(1);
    let count: usize = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(1_000_000);
    let size: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(100);
    let ctx = Context::new();
    let pid = std::process::id();
    println!("oxmq tour: {count} messages of {size} bytes, one way; then round trips");
    println!(
        "{:<8} {:>16} {:>14} {:>16}",
        "transport", "msg/s", "MB/s", "round trip"
    );
    let transports = [
        ("inproc", "inproc://tour-ab".to_string()),
        ("ipc", format!("ipc:///tmp/oxmq-tour-{pid}-ab.sock")),
        ("tcp", "tcp://127.0.0.1:0".to_string()),
    ];
    for (name, endpoint) in transports {
        let thr_ep = endpoint.replace("-ab", "-thr");
        let rate = throughput(&ctx, &thr_ep, count, size).await?;
        let rtt = latency(&ctx, &endpoint, 10_000, size).await?;
        println!(
            "{:<8} {:>16.0} {:>14.1} {:>13.1} us",
            name,
            rate,
            rate * size as f64 / 1e6,
            rtt.as_secs_f64() * 1e6
        );
    }
    Ok(())
}
