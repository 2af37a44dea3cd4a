//! Ending endpoints: unbind stops listening (and removes the ipc socket
//! file), disconnect stops (re)connecting; both close their connections.

mod support;

use std::time::Duration;

use oxmq_transports::{Context, SocketEvent, TransportError, TransportOptions};
use oxmq_zmtp::SocketType;
use support::*;

/// After unbind, the listener is closed (the ipc socket file is gone) and
/// new connections are refused; the connection accepted through it is
/// closed too, and the connecting side notices.
async fn unbind_stops_listening(t: Transport) {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let mut mon = binder.monitor();
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");
    if t == Transport::Ipc {
        assert!(ipc_path(&ep).exists(), "the socket file exists while bound");
    }

    let mut copts = TransportOptions::new(SocketType::Push);
    // One connection only: no reconnection after the unbind.
    copts.reconnect_ivl = None;
    let (conn, mut conn_peers) = socket_with(&ctx, copts);
    let mut conn_mon = conn.monitor();
    conn.connect(&ep).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;
    send_msg(&cp, "before unbind").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"before unbind");

    binder.unbind(&ep).expect("unbind");
    wait_event(
        &mut mon,
        "the listener to close",
        |e| matches!(e, SocketEvent::Closed { endpoint } if *endpoint == ep),
    )
    .await;
    // The accepted connection was closed with it.
    assert!(within("the accepted pipe to end", bp.rx.recv())
        .await
        .is_none());
    wait_event(&mut conn_mon, "the connecting side to notice", |e| {
        matches!(e, SocketEvent::Disconnected { .. })
    })
    .await;

    match t {
        Transport::Ipc => {
            let path = ipc_path(&ep);
            assert!(!path.exists(), "{} should be removed", path.display());
            let err = std::os::unix::net::UnixStream::connect(&path)
                .expect_err("connecting after unbind should fail");
            assert_eq!(err.kind(), std::io::ErrorKind::NotFound, "{err}");
        }
        Transport::Tcp => {
            let addr = ep.strip_prefix("tcp://").expect("tcp");
            let err = tokio::net::TcpStream::connect(addr)
                .await
                .expect_err("connecting after unbind should fail");
            assert_eq!(err.kind(), std::io::ErrorKind::ConnectionRefused, "{err}");
        }
        Transport::Inproc => unreachable!(),
    }

    // Unbinding twice is an error; the socket can bind again.
    assert!(matches!(
        binder.unbind(&ep),
        Err(TransportError::NotFound(_))
    ));
    let ep2 = binder.bind(&t.bind_endpoint()).await.expect("bind again");
    let (conn2, mut conn2_peers) = socket(&ctx, SocketType::Push);
    conn2.connect(&ep2).expect("connect");
    let (cp2, _) = conn2_peers.next_connected().await;
    let (mut bp2, _) = bind_peers.next_connected().await;
    send_msg(&cp2, "after rebind").await;
    assert_eq!(body(&recv_msg(&mut bp2).await), b"after rebind");
}
per_transport!(unbind_stops_listening, tcp, ipc);

/// Inproc unbind frees the name at once (another socket may bind it) and
/// refuses nothing: a later connect waits for the next binding, as
/// connect-before-bind does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inproc_unbind_frees_the_name() {
    let ctx = Context::new();
    let ep = unique_inproc();
    let (b1, _p1) = socket(&ctx, SocketType::Pull);
    b1.bind(&ep).await.expect("bind");
    let (b2, mut p2) = socket(&ctx, SocketType::Pull);
    assert!(matches!(
        b2.bind(&ep).await,
        Err(TransportError::InprocInUse(_))
    ));
    b1.unbind(&ep).expect("unbind");
    b2.bind(&ep).await.expect("bind after unbind");
    let (conn, mut conn_peers) = socket(&ctx, SocketType::Push);
    conn.connect(&ep).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = p2.next_connected().await;
    send_msg(&cp, "to the new binder").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"to the new binder");
}

/// Disconnecting a session that is retrying against nothing stops it: its
/// task ends (so `term` returns), and no attempt follows.
async fn disconnect_stops_reconnecting(t: Transport) {
    let ctx = Context::new();
    let ep = t.fixed_endpoint();
    let (conn, mut conn_peers) = socket(&ctx, SocketType::Push);
    let mut mon = conn.monitor();
    conn.connect(&ep).expect("connect");
    let cp = conn_peers.next().await;
    for _ in 0..2 {
        wait_event(&mut mon, "a retried connection attempt", |e| {
            matches!(e, SocketEvent::ConnectRetried { .. })
        })
        .await;
    }

    conn.disconnect(&ep).expect("disconnect");
    // The session's task ends: nothing is left to attempt anything.
    within("ctx.term()", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0);
    // The pipe it owned is gone with it.
    assert!(cp.tx.is_closed());
    // Events already emitted may still be buffered; none follows them.
    while futures::FutureExt::now_or_never(mon.next()).is_some() {}
    let later = tokio::time::timeout(Duration::from_millis(300), mon.next()).await;
    assert!(
        later.is_err(),
        "unexpected event after disconnect: {later:?}"
    );

    // A binder appearing now gets no connection from the disconnected socket.
    let (binder, bind_peers) = socket(&ctx, SocketType::Pull);
    binder.bind(&ep).await.expect("bind");
    drop(binder);
    within("ctx.term()", ctx.term()).await;
    let mut peers = bind_peers.0;
    assert!(peers.try_recv().is_err(), "nobody should have connected");
    assert!(matches!(
        conn.disconnect(&ep),
        Err(TransportError::NotFound(_))
    ));
}
per_transport!(disconnect_stops_reconnecting, tcp, ipc);

/// Disconnecting a connected session closes its connection (after what was
/// queued went out) and does not reconnect.
async fn disconnect_closes_connection(t: Transport) {
    let ctx = Context::new();
    let conn_ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");
    let (conn, mut conn_peers) = socket(&conn_ctx, SocketType::Push);
    conn.connect(&ep).expect("connect");
    let (mut cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;
    for i in 0..100 {
        send_msg(&cp, format!("msg {i}")).await;
    }
    conn.disconnect(&ep).expect("disconnect");
    for i in 0..100 {
        assert_eq!(
            body(&recv_msg(&mut bp).await),
            format!("msg {i}").as_bytes()
        );
    }
    assert!(within("the bound side's pipe to end", bp.rx.recv())
        .await
        .is_none());
    assert!(within("our pipe to end", cp.rx.recv()).await.is_none());
    within("the connecting ctx.term()", conn_ctx.term()).await;
    assert_eq!(conn_ctx.task_count(), 0);
}
per_transport!(disconnect_closes_connection, tcp, ipc);

/// `disconnect` of an inproc endpoint ends the pipe on both sides (after
/// what is queued), as libzmq terminates the pipe.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inproc_disconnect_closes_pipe() {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let ep = binder.bind(&unique_inproc()).await.expect("bind");
    let (conn, mut conn_peers) = socket(&ctx, SocketType::Push);
    conn.connect(&ep).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;
    conn.disconnect(&ep).expect("disconnect");
    assert!(within("the bound side's pipe to end", bp.rx.recv())
        .await
        .is_none());
    assert!(cp.tx.is_closed());
}

/// `Context::shutdown` stops everything at once, without lingering: with
/// messages stuck towards a peer that does not read (and the default,
/// infinite linger), `term` still returns, and the transports report
/// themselves closed.
async fn context_shutdown_does_not_linger(t: Transport) {
    let ctx = Context::new();
    let reader_ctx = if t == Transport::Inproc {
        ctx.clone()
    } else {
        Context::new()
    };
    let mut ropts = TransportOptions::new(SocketType::Pull);
    ropts.rcvhwm = 1;
    let (binder, mut bind_peers) = socket_with(&reader_ctx, ropts);
    let ep = binder.bind(&t.bind_endpoint()).await.expect("bind");
    let mut opts = TransportOptions::new(SocketType::Push);
    opts.sndhwm = 10;
    let (sender, mut sender_peers) = socket_with(&ctx, opts);
    sender.connect(&ep).expect("connect");
    let (sp, _) = sender_peers.next_connected().await;
    let _bp = bind_peers.next().await;
    // Queue more than the peer will take.
    let chunk = vec![1u8; 64 * 1024];
    while let Ok(Ok(permit)) =
        tokio::time::timeout(Duration::from_millis(300), sp.tx.reserve()).await
    {
        permit.send(oxmq_transports::PipeMsg::Message(msg(chunk.clone())));
    }

    ctx.shutdown();
    assert!(sender.is_closed());
    assert!(matches!(sender.connect(&ep), Err(TransportError::Closed)));
    if t == Transport::Inproc {
        // The reader lives in the same context; it is shut down too.
        assert!(binder.is_closed());
    }
    within("ctx.term() after shutdown", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0);
}
per_transport!(context_shutdown_does_not_linger, tcp, ipc, inproc);
