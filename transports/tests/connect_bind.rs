//! Establishing connections: connect before bind, reconnection after the
//! bound side goes away, ephemeral tcp ports, many peers on one bind.

mod support;

use oxmq_transports::{Context, SocketEvent};
use oxmq_zmtp::SocketType;
use support::*;

/// Connect first, bind later: the connecting side keeps trying, and once
/// the endpoint is bound messages flow both ways, including one queued
/// before the bind (tcp and ipc, where the pipe exists from the start).
async fn connect_before_bind(t: Transport) {
    let ctx = Context::new();
    let ep = t.fixed_endpoint();

    let (conn, mut conn_peers) = socket(&ctx, SocketType::Pair);
    let mut conn_mon = conn.monitor();
    conn.connect(&ep).expect("connect");

    let early = if t == Transport::Inproc {
        None
    } else {
        // Not `immediate`: the pipe is ours before any connection exists.
        let cp = conn_peers.next().await;
        send_msg(&cp, "queued before bind").await;
        // At least one attempt failed because nothing is bound yet.
        wait_event(&mut conn_mon, "a retried connection attempt", |e| {
            matches!(e, SocketEvent::ConnectRetried { .. })
        })
        .await;
        Some(cp)
    };

    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pair);
    let resolved = binder.bind(&ep).await.expect("bind");
    assert_eq!(resolved, ep);

    let (mut bp, info) = bind_peers.next_connected().await;
    assert_eq!(info.peer.socket_type, SocketType::Pair);
    let mut cp = match early {
        Some(mut cp) => {
            expect_connected(&mut cp).await;
            assert_eq!(body(&recv_msg(&mut bp).await), b"queued before bind");
            cp
        }
        None => conn_peers.next_connected().await.0,
    };

    for i in 0..10 {
        send_msg(&cp, format!("ping {i}")).await;
        assert_eq!(
            body(&recv_msg(&mut bp).await),
            format!("ping {i}").as_bytes()
        );
        send_msg(&bp, format!("pong {i}")).await;
        assert_eq!(
            body(&recv_msg(&mut cp).await),
            format!("pong {i}").as_bytes()
        );
    }
}
per_transport!(connect_before_bind, tcp, ipc, inproc);

/// The bound side is dropped and bound again on the same endpoint: the
/// connecting side reconnects by itself and traffic resumes. Over tcp and
/// ipc the connecting pipe survives: what was queued while the peer was
/// away is delivered after reconnection, in order. Over inproc the pipe
/// ends with the binding and a new one is handed over.
async fn reconnect_after_rebind(t: Transport) {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let mut bind_mon = binder.monitor();
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");

    let (conn, mut conn_peers) = socket(&ctx, SocketType::Push);
    let mut conn_mon = conn.monitor();
    conn.connect(&ep).expect("connect");
    let (mut cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;
    send_msg(&cp, "first life").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"first life");

    // The bound side goes away. Its listener closes asynchronously (as in
    // libzmq): wait for that before binding the same address again.
    drop((bp, bind_peers));
    drop(binder);
    if t != Transport::Inproc {
        wait_event(&mut bind_mon, "the listener to close", |e| {
            matches!(e, SocketEvent::Closed { .. })
        })
        .await;
    }
    wait_event(&mut conn_mon, "the connecting side to notice", |e| {
        matches!(e, SocketEvent::Disconnected { .. })
    })
    .await;

    const QUEUED: usize = 50;
    if t != Transport::Inproc {
        for i in 0..QUEUED {
            send_msg(&cp, format!("queued {i}")).await;
        }
    }

    let (binder2, mut bind_peers2) = socket(&ctx, SocketType::Pull);
    assert_eq!(binder2.bind(&ep).await.expect("rebind"), ep);
    let (mut bp2, _) = bind_peers2.next_connected().await;

    if t == Transport::Inproc {
        // The old pipe is gone; the new connection comes with a new one.
        assert!(cp.tx.is_closed(), "the old inproc pipe should be closed");
        cp = conn_peers.next_connected().await.0;
    } else {
        // The same pipe, marked with a new `Connected`.
        expect_connected(&mut cp).await;
        for i in 0..QUEUED {
            assert_eq!(
                body(&recv_msg(&mut bp2).await),
                format!("queued {i}").as_bytes()
            );
        }
    }
    send_msg(&cp, "second life").await;
    assert_eq!(body(&recv_msg(&mut bp2).await), b"second life");
}
per_transport!(reconnect_after_rebind, tcp, ipc, inproc);

/// Binding port 0 picks a real port; the returned endpoint, which is also
/// `last_endpoint`, can be connected to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ephemeral_port() {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    assert_eq!(binder.last_endpoint(), None);
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");
    let port: u16 = ep
        .strip_prefix("tcp://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected resolved endpoint {ep}"))
        .parse()
        .expect("a numeric port");
    assert_ne!(port, 0);
    assert_eq!(binder.last_endpoint().as_deref(), Some(ep.as_str()));

    // A second wildcard bind gets another port and becomes the last endpoint.
    let ep2 = binder.bind("tcp://127.0.0.1:0").await.expect("bind again");
    assert_ne!(ep2, ep);
    assert_eq!(binder.last_endpoint().as_deref(), Some(ep2.as_str()));

    let (conn, mut conn_peers) = socket(&ctx, SocketType::Push);
    conn.connect(&ep).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, info) = bind_peers.next_connected().await;
    assert_eq!(info.endpoint, ep);
    send_msg(&cp, "hello").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"hello");
}

/// Twenty connecting sockets, one bound socket: twenty peers, and every
/// message arrives through the right one.
async fn many_connections(t: Transport) {
    const N: usize = 20;
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");

    let mut senders = Vec::new();
    for i in 0..N {
        let (conn, peers) = socket(&ctx, SocketType::Push);
        conn.connect(&ep).expect("connect");
        senders.push((i, conn, peers));
    }
    // Pipes stay open until the end of the test.
    let mut pipes = Vec::new();
    for (i, _, peers) in &mut senders {
        let (cp, _) = peers.next_connected().await;
        send_msg(&cp, format!("from {i}")).await;
        pipes.push(cp);
    }

    let mut seen = std::collections::BTreeSet::new();
    let mut ids = std::collections::BTreeSet::new();
    for _ in 0..N {
        let (mut bp, _) = bind_peers.next_connected().await;
        assert!(ids.insert(bp.id), "peer ids are unique");
        let m = recv_msg(&mut bp).await;
        let text = String::from_utf8(body(&m).to_vec()).expect("utf-8");
        assert!(seen.insert(text.clone()), "duplicate message {text}");
    }
    let expected: std::collections::BTreeSet<_> = (0..N).map(|i| format!("from {i}")).collect();
    assert_eq!(seen, expected);
}
per_transport!(many_connections, tcp, ipc, inproc);
