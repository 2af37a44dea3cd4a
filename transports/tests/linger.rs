//! Closing with messages still queued: with the default (infinite) linger
//! they are all delivered after the sending socket is gone; with a linger
//! of zero they are dropped.

mod support;

use std::time::{Duration, Instant};

use oxmq_transports::{Context, PipeMsg, TransportOptions};
use oxmq_zmtp::SocketType;
use support::*;

/// The sender queues messages and drops everything (transport and pipe)
/// right away. Over tcp and ipc this happens before anything is bound at
/// the endpoint, so the connection is made after the socket is gone, as
/// libzmq does with an infinite linger. The receiver still gets them all,
/// in order, then the end of the pipe; the sender's tasks then end.
async fn linger_flushes_on_close(t: Transport) {
    const N: usize = 500;
    let ctx = Context::new();
    // Inproc names live in one context.
    let sender_ctx = if t == Transport::Inproc {
        ctx.clone()
    } else {
        Context::new()
    };
    let ep = t.fixed_endpoint();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    if t == Transport::Inproc {
        // Bind first, so that the inproc pipe joins both sockets at connect.
        binder.bind(&ep).await.expect("bind");
    }

    let (sender, mut sender_peers) = socket(&sender_ctx, SocketType::Push);
    sender.connect(&ep).expect("connect");
    let sp = sender_peers.next().await;
    for i in 0..N {
        send_msg(&sp, format!("msg {i}")).await;
    }
    drop((sp, sender_peers, sender));

    if t != Transport::Inproc {
        binder.bind(&ep).await.expect("bind");
    }
    let (mut bp, _) = bind_peers.next_connected().await;
    for i in 0..N {
        assert_eq!(
            body(&recv_msg(&mut bp).await),
            format!("msg {i}").as_bytes()
        );
    }
    assert!(
        within("the pipe to end", bp.rx.recv()).await.is_none(),
        "nothing after the last message"
    );
    drop((bp, bind_peers, binder));
    within("the sender's ctx.term()", sender_ctx.term()).await;
    assert_eq!(sender_ctx.task_count(), 0);
}
per_transport!(linger_flushes_on_close, tcp, ipc, inproc);

/// Same, over a connection that is already up.
async fn linger_flushes_on_close_connected(t: Transport) {
    const N: usize = 500;
    let ctx = Context::new();
    let sender_ctx = if t == Transport::Inproc {
        ctx.clone()
    } else {
        Context::new()
    };
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");

    let (sender, mut sender_peers) = socket(&sender_ctx, SocketType::Push);
    sender.connect(&ep).expect("connect");
    let (sp, _) = sender_peers.next_connected().await;
    for i in 0..N {
        send_msg(&sp, format!("msg {i}")).await;
    }
    drop((sp, sender_peers, sender));

    let (mut bp, _) = bind_peers.next_connected().await;
    for i in 0..N {
        assert_eq!(
            body(&recv_msg(&mut bp).await),
            format!("msg {i}").as_bytes()
        );
    }
    assert!(within("the pipe to end", bp.rx.recv()).await.is_none());
    drop((bp, bind_peers, binder));
    within("the sender's ctx.term()", sender_ctx.term()).await;
    assert_eq!(sender_ctx.task_count(), 0);
}
per_transport!(linger_flushes_on_close_connected, tcp, ipc, inproc);

/// Linger 0, never connected: the queued messages are dropped with the
/// socket. Its background task ends at once (`term` returns), so a
/// receiver bound later never hears from it.
async fn linger_zero_discards_unconnected(t: Transport) {
    let ctx = Context::new();
    let ep = t.fixed_endpoint();
    let mut opts = TransportOptions::new(SocketType::Push);
    opts.linger = Some(Duration::ZERO);
    let (sender, mut sender_peers) = socket_with(&ctx, opts);
    sender.connect(&ep).expect("connect");
    let sp = sender_peers.next().await;
    for i in 0..10 {
        send_msg(&sp, format!("msg {i}")).await;
    }
    drop((sp, sender_peers, sender));
    within("ctx.term()", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0);

    let (binder, bind_peers) = socket(&ctx, SocketType::Pull);
    binder.bind(&ep).await.expect("bind");
    drop(binder);
    within("ctx.term()", ctx.term()).await;
    let mut peers = bind_peers.0;
    assert!(peers.try_recv().is_err(), "nobody should have connected");
}
per_transport!(linger_zero_discards_unconnected, tcp, ipc);

/// A finite linger bounds how long a closed, never-connected session keeps
/// trying: its task ends once the linger time has passed, and a receiver
/// bound afterwards never hears from it.
async fn linger_expires_unconnected(t: Transport) {
    let linger = Duration::from_millis(300);
    let ctx = Context::new();
    let ep = t.fixed_endpoint();
    let mut opts = TransportOptions::new(SocketType::Push);
    opts.linger = Some(linger);
    let (sender, mut sender_peers) = socket_with(&ctx, opts);
    sender.connect(&ep).expect("connect");
    let sp = sender_peers.next().await;
    send_msg(&sp, "never delivered").await;
    let closed_at = Instant::now();
    drop((sp, sender_peers, sender));
    within("ctx.term()", ctx.term()).await;
    assert!(
        closed_at.elapsed() >= linger,
        "the session should have lingered, ended after {:?}",
        closed_at.elapsed()
    );

    let (binder, bind_peers) = socket(&ctx, SocketType::Pull);
    binder.bind(&ep).await.expect("bind");
    drop(binder);
    within("ctx.term()", ctx.term()).await;
    let mut peers = bind_peers.0;
    assert!(peers.try_recv().is_err(), "nobody should have connected");
}
per_transport!(linger_expires_unconnected, tcp, ipc);

/// Linger 0 over a live connection whose receiver does not read: the
/// sender fills every buffer on the way, then closes. Closing does not
/// wait for the receiver (`term` returns although it never read), and what
/// was still queued on the sender's side is lost.
async fn linger_zero_discards_connected(t: Transport) {
    let ctx = Context::new();
    let mut ropts = TransportOptions::new(SocketType::Pull);
    ropts.rcvhwm = 1;
    let (binder, mut bind_peers) = socket_with(&ctx, ropts);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");

    let sender_ctx = Context::new();
    let mut opts = TransportOptions::new(SocketType::Push);
    opts.linger = Some(Duration::ZERO);
    opts.sndhwm = 10;
    let (sender, mut sender_peers) = socket_with(&sender_ctx, opts);
    sender.connect(&ep).expect("connect");
    let (sp, _) = sender_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;

    // Fill: 64 KiB messages until the pipe stays full for a while (the
    // engine and the kernel buffers have absorbed all they will).
    let chunk = vec![7u8; 64 * 1024];
    let mut sent = 0usize;
    loop {
        match tokio::time::timeout(Duration::from_millis(500), sp.tx.reserve()).await {
            Ok(Ok(permit)) => {
                permit.send(PipeMsg::Message(msg(chunk.clone())));
                sent += 1;
                assert!(sent < 100_000, "the pipe never filled up");
            }
            Ok(Err(_)) => panic!("pipe closed"),
            Err(_) => break,
        }
    }
    let start = Instant::now();
    drop((sp, sender_peers, sender));
    within("the sender's ctx.term()", sender_ctx.term()).await;
    assert!(start.elapsed() < Duration::from_secs(5));

    // The receiver now reads what made it across, then the pipe ends.
    let mut received = 0usize;
    while let Some(item) = within("the rest of the messages", bp.rx.recv()).await {
        assert!(matches!(item, PipeMsg::Message(_)));
        received += 1;
    }
    assert!(
        received < sent,
        "received {received} of {sent}: linger 0 should drop some"
    );
}
per_transport!(linger_zero_discards_connected, tcp, ipc);

/// 1,000,000 small messages over ipc; the sender drops everything right
/// after its last send, with the default linger. The receiver gets all of
/// them, in order. (libzmq loses the tail in this situation.)
async fn ipc_flood_then_close(n: u32) {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let ep = binder.bind(&unique_ipc()).await.expect("bind");

    let sender_ctx = Context::new();
    let (sender, mut sender_peers) = socket(&sender_ctx, SocketType::Push);
    sender.connect(&ep).expect("connect");
    let sp = sender_peers.next().await;

    let start = Instant::now();
    let producer = tokio::spawn(async move {
        for i in 0..n {
            sp.tx
                .send(PipeMsg::Message(msg(i.to_le_bytes().to_vec())))
                .await
                .expect("send");
        }
        drop((sp, sender_peers, sender));
        sender_ctx.term().await;
    });

    let (mut bp, _) = bind_peers.next_connected().await;
    let deadline = Duration::from_secs(120);
    tokio::time::timeout(deadline, async {
        for i in 0..n {
            match bp.rx.recv().await {
                Some(PipeMsg::Message(m)) => {
                    assert_eq!(body(&m), i.to_le_bytes(), "message {i} out of order");
                }
                other => panic!("message {i}: expected a message, got {other:?}"),
            }
        }
        assert!(
            bp.rx.recv().await.is_none(),
            "nothing after the last message"
        );
    })
    .await
    .expect("the flood took too long");
    producer.await.expect("producer");
    println!("{n} messages over ipc in {:?}", start.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_flood_then_close_1m() {
    ipc_flood_then_close(1_000_000).await;
}
