//! Misbehaving tcp peers, driven by hand with raw bytes: one that never
//! speaks, one that stops answering after the handshake, one that sends
//! garbage. Each is dropped with the right monitor event while a
//! well-behaved peer of the same socket keeps working.

mod support;

use std::time::Duration;

use oxmq_transports::{Context, SocketEvent, TransportOptions};
use oxmq_zmtp::SocketType;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

/// A tcp PUSH peer of `ep` that works: returns its transport (keep it) and
/// the bound side's peer for it, after one message went through.
async fn good_peer(
    ctx: &Context,
    ep: &str,
    bind_peers: &mut Peers,
) -> (
    oxmq_transports::SocketTransport,
    oxmq_transports::Peer,
    oxmq_transports::Peer,
) {
    let (conn, mut conn_peers) = socket(ctx, SocketType::Push);
    conn.connect(ep).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;
    send_msg(&cp, "good").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"good");
    (conn, cp, bp)
}

fn tcp_addr(ep: &str) -> &str {
    ep.strip_prefix("tcp://").expect("a tcp endpoint")
}

/// A peer that connects and never sends a byte is dropped when the
/// handshake interval runs out (HandshakeFailedNoDetail), and the socket
/// keeps serving a good peer, connected before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handshake_timeout_against_silent_peer() {
    let ctx = Context::new();
    let mut opts = TransportOptions::new(SocketType::Pull);
    opts.handshake_ivl = Some(Duration::from_millis(200));
    let (binder, mut bind_peers) = socket_with(&ctx, opts);
    let mut mon = binder.monitor();
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");

    let (_c1, cp1, mut bp1) = good_peer(&ctx, &ep, &mut bind_peers).await;

    let mut silent = TcpStream::connect(tcp_addr(&ep)).await.expect("connect");
    let silent_addr = silent.local_addr().expect("local_addr").to_string();
    let ev = wait_event(
        &mut mon,
        "the silent peer's handshake to fail",
        |e| matches!(e, SocketEvent::HandshakeFailedNoDetail { peer, .. } if *peer == silent_addr),
    )
    .await;
    let SocketEvent::HandshakeFailedNoDetail { error, .. } = ev else {
        unreachable!()
    };
    assert!(error.contains("timed out"), "unexpected reason: {error}");
    // Our greeting may have been sent; then the stream is closed.
    wait_closed(&mut silent).await;

    // The good peer still works, and a new one can join.
    send_msg(&cp1, "still good").await;
    assert_eq!(body(&recv_msg(&mut bp1).await), b"still good");
    let (_c2, _cp2, _bp2) = good_peer(&ctx, &ep, &mut bind_peers).await;
}

/// The next frame from the socket that is not one of its heartbeat PINGs
/// (which are checked: TTL 0, as none is set, and an empty context).
async fn next_frame(raw: &mut TcpStream, got_ping: &mut bool) -> RawFrame {
    loop {
        let f = within("a frame from the socket", read_frame(raw))
            .await
            .expect("read frame");
        if f.command_name() == Some(b"PING") {
            assert_eq!(f.command_data(), &[0, 0], "the socket's PING");
            *got_ping = true;
        } else {
            return f;
        }
    }
}

/// A hand-driven peer completes a NULL handshake. Its PING is answered by
/// a PONG that echoes the context; then it goes silent, and with
/// heartbeats on the socket drops it for a heartbeat timeout: the monitor
/// says so and the peer's pipe ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_timeout_against_silent_peer() {
    let ctx = Context::new();
    let mut opts = TransportOptions::new(SocketType::Push);
    opts.heartbeat_ivl = Some(Duration::from_millis(100));
    opts.heartbeat_timeout = Some(Duration::from_millis(300));
    let (binder, mut bind_peers) = socket_with(&ctx, opts);
    let mut mon = binder.monitor();
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");

    let mut raw = raw_null_client(&ep, "PULL").await;
    let raw_addr = raw.local_addr().expect("local_addr").to_string();
    let (mut bp, info) = bind_peers.next_connected().await;
    assert_eq!(info.peer.socket_type, SocketType::Pull);
    assert_eq!(info.peer_address, raw_addr);

    // A message from the socket arrives as a plain frame (the socket's
    // heartbeat PINGs may come first).
    let mut got_ping = false;
    send_msg(&bp, "to raw").await;
    let f = next_frame(&mut raw, &mut got_ping).await;
    assert_eq!(f.command_name(), None, "unexpected command {f:?}");
    assert_eq!((f.flags, f.body.as_slice()), (0, &b"to raw"[..]));

    // PING with TTL 0 (none) and a context; expect the exact PONG bytes.
    let context = b"ctx-0123456789";
    let mut ping_data = vec![0, 0];
    ping_data.extend_from_slice(context);
    raw.write_all(&command_frame(b"PING", &ping_data))
        .await
        .expect("send PING");
    let pong = next_frame(&mut raw, &mut got_ping).await;
    let mut wire = vec![pong.flags, pong.body.len() as u8];
    wire.extend_from_slice(&pong.body);
    let mut expected = vec![FLAG_COMMAND, 5 + context.len() as u8, 4];
    expected.extend_from_slice(b"PONG");
    expected.extend_from_slice(context);
    assert_eq!(wire, expected, "PONG bytes");

    // Now silence. The socket keeps PINGing, and gives up.
    let ev = wait_event(
        &mut mon,
        "the heartbeat timeout",
        |e| matches!(e, SocketEvent::Disconnected { peer, .. } if *peer == raw_addr),
    )
    .await;
    let SocketEvent::Disconnected { reason, .. } = ev else {
        unreachable!()
    };
    assert!(reason.contains("heartbeat"), "unexpected reason: {reason}");
    assert!(
        within("the pipe to end", bp.rx.recv()).await.is_none(),
        "the dropped peer's pipe should end"
    );
    within("the pipe to close", bp.tx.closed()).await;

    // The raw peer sees the socket's PINGs, then the end of the stream.
    within("the stream to end", async {
        loop {
            match read_frame(&mut raw).await {
                Ok(f) => {
                    assert_eq!(f.command_name(), Some(&b"PING"[..]), "got {f:?}");
                    got_ping = true;
                }
                Err(e) => {
                    assert!(
                        matches!(
                            e.kind(),
                            std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
                        ),
                        "unexpected error {e}"
                    );
                    break;
                }
            }
        }
    })
    .await;
    assert!(got_ping, "the socket should have sent PINGs");
}

/// Garbage instead of a greeting: HandshakeFailedProtocol, the connection
/// is closed, and a good peer of the same socket is not disturbed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_greeting_is_rejected() {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let mut mon = binder.monitor();
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");
    let (_c1, cp1, mut bp1) = good_peer(&ctx, &ep, &mut bind_peers).await;

    let garbage: [&[u8]; 2] = [
        // Not ZeroMQ at all.
        b"GET / HTTP/1.1\r\nHost: example\r\n\r\n",
        // A ZMTP 3.1 greeting, then a message frame where READY belongs.
        &[null_greeting(), frame(0, b"hello")].concat(),
    ];
    for bytes in garbage {
        let mut raw = TcpStream::connect(tcp_addr(&ep)).await.expect("connect");
        let raw_addr = raw.local_addr().expect("local_addr").to_string();
        raw.write_all(bytes).await.expect("write garbage");
        let ev = wait_event(
            &mut mon,
            "the handshake to fail",
            |e| matches!(e, SocketEvent::HandshakeFailedProtocol { peer, .. } if *peer == raw_addr),
        )
        .await;
        let SocketEvent::HandshakeFailedProtocol { error, .. } = ev else {
            unreachable!()
        };
        assert!(!error.is_empty());
        // All the garbage was read before the handshake failed, so the
        // close is orderly (a FIN, not a reset).
        assert_eq!(wait_closed(&mut raw).await, Closed::Eof);

        send_msg(&cp1, "unharmed").await;
        assert_eq!(body(&recv_msg(&mut bp1).await), b"unharmed");
    }
    // No peer was ever handed over for the bad connections.
    assert!(bind_peers.0.try_recv().is_err());
}
