//! High-water marks: a sender facing a peer that never reads is eventually
//! stopped by its pipe, and nothing is lost when the peer starts reading.

mod support;

use std::time::Duration;

use oxmq_transports::{Context, PipeMsg, TransportOptions};
use oxmq_zmtp::SocketType;
use support::*;
use tokio::sync::mpsc::error::TrySendError;

fn numbered(i: usize, size: usize) -> PipeMsg {
    let mut b = i.to_le_bytes().to_vec();
    b.resize(size, 0xAB);
    PipeMsg::Message(msg(b))
}

fn number_of(m: &oxmq_zmtp::Message) -> usize {
    let b = body(m);
    usize::from_le_bytes(b[..8].try_into().expect("8 bytes"))
}

/// Inproc: the pipe holds exactly the sender's SNDHWM plus the receiver's
/// RCVHWM (5 + 5) while the receiver has not read anything; each message
/// read makes room for one more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inproc_hwm_is_sndhwm_plus_rcvhwm() {
    let ctx = Context::new();
    let mut bopts = TransportOptions::new(SocketType::Pull);
    bopts.rcvhwm = 5;
    let (binder, mut bind_peers) = socket_with(&ctx, bopts);
    let ep = binder.bind(&unique_inproc()).await.expect("bind");
    let mut copts = TransportOptions::new(SocketType::Push);
    copts.sndhwm = 5;
    let (conn, mut conn_peers) = socket_with(&ctx, copts);
    conn.connect(&ep).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;

    let mut sent = 0;
    loop {
        match cp.tx.try_send(numbered(sent, 8)) {
            Ok(()) => sent += 1,
            Err(TrySendError::Full(_)) => break,
            Err(TrySendError::Closed(_)) => panic!("pipe closed"),
        }
        assert!(sent <= 1000, "the pipe never filled up");
    }
    assert_eq!(sent, 10, "SNDHWM 5 + RCVHWM 5");

    // Reading a message makes room for exactly one more.
    let mut bp = bind_peers.next().await;
    // Taking the `Connected` marker frees no room: markers do not count.
    match bp.rx.recv().await {
        Some(PipeMsg::Connected(_)) => {}
        other => panic!("expected Connected, got {other:?}"),
    }
    assert!(matches!(
        cp.tx.try_send(numbered(sent, 8)),
        Err(TrySendError::Full(_))
    ));
    assert_eq!(number_of(&recv_msg(&mut bp).await), 0);
    cp.tx
        .try_send(numbered(sent, 8))
        .expect("room for one more");
    sent += 1;
    assert!(matches!(
        cp.tx.try_send(numbered(sent, 8)),
        Err(TrySendError::Full(_))
    ));
    for i in 1..sent {
        assert_eq!(number_of(&recv_msg(&mut bp).await), i);
    }
}

/// Tcp and ipc: with SNDHWM 5 towards a peer with RCVHWM 5 that does not
/// read, sending eventually blocks (after the engines and the kernel have
/// buffered what they can). Then the peer reads everything, in order.
async fn stream_hwm_eventually_blocks(t: Transport) {
    const SIZE: usize = 16 * 1024;
    let ctx = Context::new();
    let mut bopts = TransportOptions::new(SocketType::Pull);
    bopts.rcvhwm = 5;
    let (binder, mut bind_peers) = socket_with(&ctx, bopts);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");
    let mut copts = TransportOptions::new(SocketType::Push);
    copts.sndhwm = 5;
    let (conn, mut conn_peers) = socket_with(&ctx, copts);
    conn.connect(&ep).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;

    // Blocked = no room in the pipe for a while. (There is no event for
    // "nothing will ever move again"; half a second of no progress, with
    // the safety cap on the total, is the evidence.)
    let mut sent = 0usize;
    loop {
        match tokio::time::timeout(Duration::from_millis(500), cp.tx.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(numbered(sent, SIZE));
                sent += 1;
                assert!(
                    sent * SIZE < 1 << 30,
                    "1 GiB went into a pipe whose peer does not read"
                );
            }
            Ok(Err(_)) => panic!("pipe closed"),
            Err(_) => break,
        }
    }
    assert!(
        sent > 5,
        "more than the SNDHWM fits (engine and kernel buffers)"
    );
    assert!(matches!(
        cp.tx.try_send(numbered(sent, SIZE)),
        Err(TrySendError::Full(_))
    ));
    println!("{t:?}: blocked after {sent} messages of {SIZE} bytes");

    for i in 0..sent {
        assert_eq!(number_of(&recv_msg(&mut bp).await), i);
    }
}
per_transport!(stream_hwm_eventually_blocks, tcp, ipc);
