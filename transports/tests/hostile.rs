//! Hostile tcp peers, scripted byte by byte: a greeting that stops halfway
//! or trickles in (slowloris) against the handshake timeout, the wrong
//! mechanism, the wrong socket type, frames larger than MAXMSGSIZE, frame
//! sizes of 2^63 and 2^64 − 1, commands with truncated bodies — during the
//! handshake and after it. In each test the offending connection is
//! closed, a monitor event says why, and a well-behaved peer of the same
//! socket keeps being served. (`robustness.rs` has the silent peer, the
//! heartbeat timeout and garbage greetings; `hostile_flood.rs` has 10,000
//! abandoned connections.)

mod support;

use std::time::Duration;

use oxmq_transports::{Context, Peer, SocketEvent, SocketTransport, TransportOptions};
use oxmq_zmtp::SocketType;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A well-behaved PUSH peer of `ep`, connected and proven with a message.
struct GoodPeer {
    _transport: SocketTransport,
    conn: Peer,
    bound: Peer,
}

impl GoodPeer {
    async fn join(ctx: &Context, ep: &str, bind_peers: &mut Peers) -> GoodPeer {
        let (transport, mut conn_peers) = socket(ctx, SocketType::Push);
        transport.connect(ep).expect("connect");
        let (conn, _) = conn_peers.next_connected().await;
        let (bound, _) = bind_peers.next_connected().await;
        let mut good = GoodPeer {
            _transport: transport,
            conn,
            bound,
        };
        good.check("hello").await;
        good
    }

    /// One message goes through.
    async fn check(&mut self, text: &str) {
        send_msg(&self.conn, text.to_string()).await;
        assert_eq!(body(&recv_msg(&mut self.bound).await), text.as_bytes());
    }
}

/// A PULL socket bound to tcp with `opts` tweaked, its monitor, its
/// endpoint and a good peer already connected.
async fn pull_server(
    ctx: &Context,
    tweak: impl FnOnce(&mut TransportOptions),
) -> (
    SocketTransport,
    Peers,
    oxmq_transports::MonitorStream,
    String,
    GoodPeer,
) {
    let mut opts = TransportOptions::new(SocketType::Pull);
    tweak(&mut opts);
    let (binder, mut bind_peers) = socket_with(ctx, opts);
    let mon = binder.monitor();
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");
    let good = GoodPeer::join(ctx, &ep, &mut bind_peers).await;
    (binder, bind_peers, mon, ep, good)
}

fn addr(ep: &str) -> &str {
    ep.strip_prefix("tcp://").expect("a tcp endpoint")
}

async fn raw_connect(ep: &str) -> (TcpStream, String) {
    let s = TcpStream::connect(addr(ep)).await.expect("raw connect");
    let local = s.local_addr().expect("local_addr").to_string();
    (s, local)
}

/// Waits for the handshake failure of the connection from `peer`; returns
/// the event.
async fn handshake_failure(mon: &mut oxmq_transports::MonitorStream, peer: &str) -> SocketEvent {
    wait_event(mon, "the handshake to fail", |e| match e {
        SocketEvent::HandshakeFailedProtocol { peer: p, .. }
        | SocketEvent::HandshakeFailedNoDetail { peer: p, .. }
        | SocketEvent::HandshakeFailedAuth { peer: p, .. } => p == peer,
        _ => false,
    })
    .await
}

/// Waits for the end of the established connection from `peer`; returns
/// the reason.
async fn disconnect_reason(mon: &mut oxmq_transports::MonitorStream, peer: &str) -> String {
    let ev = wait_event(
        mon,
        "the connection to end",
        |e| matches!(e, SocketEvent::Disconnected { peer: p, .. } if p == peer),
    )
    .await;
    let SocketEvent::Disconnected { reason, .. } = ev else {
        unreachable!()
    };
    reason
}

fn protocol_error(ev: &SocketEvent) -> &str {
    match ev {
        SocketEvent::HandshakeFailedProtocol { error, .. } => error,
        other => panic!("expected HandshakeFailedProtocol, got {other:?}"),
    }
}

/// A greeting that stops after 20 of its 64 octets: the handshake timeout
/// ends it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_greeting_times_out() {
    let ctx = Context::new();
    let (_binder, bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |o| {
        o.handshake_ivl = Some(Duration::from_millis(300));
    })
    .await;
    let (mut raw, raw_addr) = raw_connect(&ep).await;
    raw.write_all(&null_greeting()[..20]).await.expect("write");

    let ev = handshake_failure(&mut mon, &raw_addr).await;
    let SocketEvent::HandshakeFailedNoDetail { error, .. } = &ev else {
        panic!("expected HandshakeFailedNoDetail, got {ev:?}")
    };
    assert!(error.contains("timed out"), "reason: {error}");
    // Our full greeting may have arrived before the close.
    wait_closed(&mut raw).await;
    good.check("after the half greeting").await;
    assert!(bind_peers.0.is_empty(), "no peer for the half greeting");
}

/// Slowloris: a valid greeting trickled in one octet at a time, too slowly
/// to finish within the handshake interval. The deadline does not move
/// with each octet: the connection is dropped at the interval, long before
/// the greeting would be complete, while the trickle goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickled_greeting_times_out() {
    let ctx = Context::new();
    let (_binder, _bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |o| {
        o.handshake_ivl = Some(Duration::from_millis(300));
    })
    .await;
    let (raw, raw_addr) = raw_connect(&ep).await;
    let (mut rd, mut wr) = raw.into_split();
    // One octet every 40 ms: the greeting would take 2.5 s.
    let trickle = tokio::spawn(async move {
        let mut sent = 0;
        for b in null_greeting() {
            if wr.write_all(&[b]).await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(40)).await;
        }
        sent
    });
    let ev = handshake_failure(&mut mon, &raw_addr).await;
    assert!(
        matches!(&ev, SocketEvent::HandshakeFailedNoDetail { error, .. } if error.contains("timed out")),
        "{ev:?}"
    );
    // The server closed its end: the reader sees our greeting, then EOF.
    let mut seen = Vec::new();
    within("the close", rd.read_to_end(&mut seen))
        .await
        .expect("read to the end");
    assert_eq!(seen.len(), 64, "only our greeting comes back");
    trickle.abort();
    let _ = trickle.await;
    good.check("after the slowloris").await;
}

/// A peer greeting with PLAIN where the socket uses NULL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_mechanism_is_refused() {
    let ctx = Context::new();
    let (_binder, bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |_| {}).await;
    let (mut raw, raw_addr) = raw_connect(&ep).await;
    let mut greeting = null_greeting();
    greeting[12..32].copy_from_slice(&{
        let mut m = [0u8; 20];
        m[..5].copy_from_slice(b"PLAIN");
        m
    });
    raw.write_all(&greeting).await.expect("write");
    let ev = handshake_failure(&mut mon, &raw_addr).await;
    let error = protocol_error(&ev);
    assert!(error.contains("mechanism mismatch"), "reason: {error}");
    assert!(error.contains("PLAIN"), "reason: {error}");
    wait_closed(&mut raw).await;
    good.check("after the wrong mechanism").await;
    assert!(bind_peers.0.is_empty());
}

/// A PUB peer connecting to a PULL socket: the socket sends its greeting,
/// its READY, then an ERROR command saying why, and closes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_socket_type_gets_an_error_command() {
    let ctx = Context::new();
    let (_binder, bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |_| {}).await;
    let (mut raw, raw_addr) = raw_connect(&ep).await;
    let mut hello = null_greeting();
    hello.extend_from_slice(&ready_frame("PUB"));
    raw.write_all(&hello).await.expect("write");

    let mut greeting = [0u8; 64];
    within("the greeting", raw.read_exact(&mut greeting))
        .await
        .expect("greeting");
    assert_eq!(&greeting[12..16], b"NULL");
    let ready = within("READY", read_frame(&mut raw)).await.expect("READY");
    assert_eq!(ready.command_name(), Some(&b"READY"[..]));
    let error = within("ERROR", read_frame(&mut raw)).await.expect("ERROR");
    assert_eq!(error.command_name(), Some(&b"ERROR"[..]), "{error:?}");
    let reason = error.command_data();
    assert_eq!(usize::from(reason[0]), reason.len() - 1, "reason length");
    assert_eq!(&reason[1..], b"Invalid socket type");
    wait_closed(&mut raw).await;

    let ev = handshake_failure(&mut mon, &raw_addr).await;
    let error = protocol_error(&ev);
    assert!(error.contains("PUB") && error.contains("PULL"), "{error}");
    good.check("after the wrong socket type").await;
    assert!(bind_peers.0.is_empty());
}

/// READY whose property value announces more bytes than the command has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_ready_is_refused() {
    let ctx = Context::new();
    let (_binder, bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |_| {}).await;
    let (mut raw, raw_addr) = raw_connect(&ep).await;
    let mut props = vec![11];
    props.extend_from_slice(b"Socket-Type");
    props.extend_from_slice(&1000u32.to_be_bytes()); // past the end
    props.extend_from_slice(b"PUSH");
    let mut hello = null_greeting();
    hello.extend_from_slice(&command_frame(b"READY", &props));
    raw.write_all(&hello).await.expect("write");

    let ev = handshake_failure(&mut mon, &raw_addr).await;
    let error = protocol_error(&ev);
    assert!(error.contains("malformed READY"), "reason: {error}");
    wait_closed(&mut raw).await;
    good.check("after the truncated READY").await;
    assert!(bind_peers.0.is_empty());
}

/// A handshake command frame announcing 2^63 octets (beyond what a long
/// frame may carry), and one announcing 2^64 − 1: refused from the header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_command_size_in_handshake_is_refused() {
    let ctx = Context::new();
    let (_binder, bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |_| {}).await;
    for size in [1u64 << 63, u64::MAX] {
        let (mut raw, raw_addr) = raw_connect(&ep).await;
        let mut hello = null_greeting();
        hello.push(0x06); // COMMAND | LONG
        hello.extend_from_slice(&size.to_be_bytes());
        raw.write_all(&hello).await.expect("write");
        let ev = handshake_failure(&mut mon, &raw_addr).await;
        let error = protocol_error(&ev);
        assert!(
            error.contains(&format!("frame size {size} is out of range")),
            "reason: {error}"
        );
        wait_closed(&mut raw).await;
        good.check("after a huge command").await;
    }
    assert!(bind_peers.0.is_empty());
}

/// A raw PUSH peer past its handshake, and the socket's side of it.
async fn raw_push(ep: &str, bind_peers: &mut Peers) -> (TcpStream, String, Peer) {
    let mut raw = raw_null_client(ep, "PUSH").await;
    let local = raw.local_addr().expect("local_addr").to_string();
    let (mut bound, info) = bind_peers.next_connected().await;
    assert_eq!(info.peer_address, local);
    // It works until it misbehaves.
    raw.write_all(&frame(0, b"fine")).await.expect("write");
    assert_eq!(body(&recv_msg(&mut bound).await), b"fine");
    (raw, local, bound)
}

/// With MAXMSGSIZE 1000, a frame of exactly 1000 octets passes; a LONG
/// frame of 1001 is refused from its header (its body is never sent), the
/// connection is dropped and its pipe ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_beyond_maxmsgsize_drops_the_connection() {
    let ctx = Context::new();
    let (_binder, mut bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |o| {
        o.max_msg_size = Some(1000);
    })
    .await;
    let (mut raw, raw_addr, mut bound) = raw_push(&ep, &mut bind_peers).await;
    raw.write_all(&frame(0, &[7u8; 1000])).await.expect("write");
    assert_eq!(body(&recv_msg(&mut bound).await), &[7u8; 1000][..]);

    let mut header = vec![0x02];
    header.extend_from_slice(&1001u64.to_be_bytes());
    raw.write_all(&header).await.expect("write");
    let reason = disconnect_reason(&mut mon, &raw_addr).await;
    assert!(
        reason.contains("frame of 1001 bytes exceeds the maximum of 1000"),
        "reason: {reason}"
    );
    assert!(within("the pipe to end", bound.rx.recv()).await.is_none());
    wait_closed(&mut raw).await;
    good.check("after the oversized frame").await;
}

/// Message frames announcing 2^63 and 2^64 − 1 octets after the
/// handshake, with no MAXMSGSIZE: refused as out of range, nothing
/// reserved for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn frame_size_out_of_range_drops_the_connection() {
    let ctx = Context::new();
    let (_binder, mut bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |_| {}).await;
    for size in [1u64 << 63, u64::MAX] {
        let (mut raw, raw_addr, mut bound) = raw_push(&ep, &mut bind_peers).await;
        let mut header = vec![0x02];
        header.extend_from_slice(&size.to_be_bytes());
        raw.write_all(&header).await.expect("write");
        let reason = disconnect_reason(&mut mon, &raw_addr).await;
        assert!(
            reason.contains(&format!("frame size {size} is out of range")),
            "reason: {reason}"
        );
        assert!(within("the pipe to end", bound.rx.recv()).await.is_none());
        wait_closed(&mut raw).await;
        good.check("after an out-of-range frame").await;
    }
}

/// Commands with truncated bodies after the handshake: a PING without its
/// TTL, and a command whose name length runs past the frame.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncated_command_after_handshake_drops_the_connection() {
    let ctx = Context::new();
    let (_binder, mut bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |_| {}).await;
    let bad: [(&[u8], &str); 2] = [
        // PING needs a 2-octet TTL.
        (
            &[0x04, 0x06, 4, b'P', b'I', b'N', b'G', 0],
            "malformed PING",
        ),
        // A name of 9 octets in a 4-octet body.
        (&[0x04, 0x04, 9, b'S', b'U', b'B'], "malformed"),
    ];
    for (bytes, expected) in bad {
        let (mut raw, raw_addr, mut bound) = raw_push(&ep, &mut bind_peers).await;
        raw.write_all(bytes).await.expect("write");
        let reason = disconnect_reason(&mut mon, &raw_addr).await;
        assert!(reason.contains(expected), "reason: {reason}");
        assert!(within("the pipe to end", bound.rx.recv()).await.is_none());
        wait_closed(&mut raw).await;
        good.check("after a truncated command").await;
    }
}

/// Reserved flag bits and a command frame with MORE set, after the
/// handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_frame_flags_drop_the_connection() {
    let ctx = Context::new();
    let (_binder, mut bind_peers, mut mon, ep, mut good) = pull_server(&ctx, |_| {}).await;
    let bad: [(&[u8], &str); 2] = [
        (&[0x80, 0x01, b'x'], "reserved bits"),
        (&[0x05, 0x01, 0], "command frame with MORE"),
    ];
    for (bytes, expected) in bad {
        let (mut raw, raw_addr, mut bound) = raw_push(&ep, &mut bind_peers).await;
        raw.write_all(bytes).await.expect("write");
        let reason = disconnect_reason(&mut mon, &raw_addr).await;
        assert!(reason.contains(expected), "reason: {reason}");
        assert!(within("the pipe to end", bound.rx.recv()).await.is_none());
        wait_closed(&mut raw).await;
        good.check("after bad flags").await;
    }
}
