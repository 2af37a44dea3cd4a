//! Shutdown leaves nothing behind: once every transport and pipe is
//! dropped, `Context::term` returns, no task is left, and every file
//! descriptor opened along the way is closed.
//!
//! This file holds a single test on purpose: it counts the process's open
//! file descriptors, which tests running in parallel would disturb.

mod support;

use oxmq_transports::{Context, SocketEvent};
use oxmq_zmtp::SocketType;
use support::*;
use tokio::io::AsyncWriteExt;

/// Binds, connects and exchanges messages over `t` with a few sockets
/// (plus, over tcp/ipc, a session retrying against nothing and, over tcp,
/// a raw connection that never completes its handshake), then drops it
/// all and waits for `term`.
async fn round(t: Transport) {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pair);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");

    let mut keep = Vec::new();
    for i in 0..3 {
        let (conn, mut conn_peers) = socket(&ctx, SocketType::Pair);
        conn.connect(&ep).expect("connect");
        let (mut cp, _) = conn_peers.next_connected().await;
        let (mut bp, _) = bind_peers.next_connected().await;
        send_msg(&cp, format!("up {i}")).await;
        assert_eq!(body(&recv_msg(&mut bp).await), format!("up {i}").as_bytes());
        send_msg(&bp, format!("down {i}")).await;
        assert_eq!(
            body(&recv_msg(&mut cp).await),
            format!("down {i}").as_bytes()
        );
        // Something left queued in each direction at close.
        send_msg(&cp, "left over").await;
        send_msg(&bp, "left over").await;
        keep.push((conn, conn_peers, cp, bp));
    }

    let mut retrying = None;
    if t != Transport::Inproc {
        let (conn, conn_peers) = socket(&ctx, SocketType::Pair);
        let mut mon = conn.monitor();
        conn.connect(&t.fixed_endpoint()).expect("connect");
        wait_event(&mut mon, "a retried connection attempt", |e| {
            matches!(e, SocketEvent::ConnectRetried { .. })
        })
        .await;
        retrying = Some((conn, conn_peers));
    }

    let mut raw = None;
    if t == Transport::Tcp {
        let mut mon = binder.monitor();
        let addr = ep.strip_prefix("tcp://").expect("tcp");
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        s.write_all(&null_greeting()).await.expect("write");
        wait_event(&mut mon, "the raw connection", |e| {
            matches!(e, SocketEvent::Accepted { .. })
        })
        .await;
        raw = Some(s);
    }

    drop((keep, retrying, binder, bind_peers));
    within("ctx.term()", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0, "{t:?}: tasks left after term");
    drop(raw);
    if t == Transport::Ipc {
        assert!(
            !ipc_path(&ep).exists(),
            "the ipc socket file is left behind"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_leaves_nothing_behind() {
    // Warm-up: whatever the runtime or the standard library opens once
    // and keeps (nothing expected, but it must not count against us).
    for t in ALL {
        round(t).await;
    }
    let before = open_fds();
    for t in ALL {
        round(t).await;
        assert_eq!(open_fds(), before, "{t:?}: file descriptors left open");
    }
}
