//! ZAP against real libzmq 4.3.5: libzmq clients (PLAIN, NULL) let in or
//! kept out by oxmq servers that authenticate with [`Zauth`] or with a ZAP
//! handler socket bound to `inproc://zeromq.zap.01`.
//!
//! (The other direction, an oxmq PLAIN client refused by a libzmq server
//! whose ZAP handler says 400, is `plain_oxmq_client_wrong_password_refused_by_libzmq_server`
//! in `interop_protocol.rs`.)
//!
//! Every test records its outcome for `cargo run -p oxmq-sockets --example
//! interop_table` (section "ZAP authentication").

#[macro_use]
mod interop_support;

use std::net::Ipv4Addr;
use std::sync::Arc;

use bytes::Bytes;
use interop_support::*;
use oxmq_interop as lz;
use oxmq_interop::event;
use oxmq_sockets::{Pull, Rep};
use oxmq_transports::zap::ZAP_ENDPOINT;
use oxmq_transports::{Context, SocketEvent, Zauth};
use oxmq_zmtp::{AuthReply, MechanismConfig};

/// Runs one case and records it in the "ZAP authentication" table.
fn zap_case<Fut: std::future::Future<Output = ()>>(
    cell: String,
    rank: u32,
    case: &str,
    oxmq: &str,
    libzmq: &str,
    body: impl FnOnce() -> Fut,
) {
    let row = Row {
        section: "ZAP authentication",
        section_rank: 25,
        note: "libzmq clients against oxmq servers that authenticate with oxmq's Zauth or with a ZAP handler socket; each case checks what is delivered and both monitors.".to_string(),
        rank,
        cell,
        columns: vec![
            ("case", case.to_string()),
            ("oxmq", oxmq.to_string()),
            ("libzmq", libzmq.to_string()),
            ("transport", "tcp".to_string()),
        ],
        known_bug: None,
    };
    run_cell(row, body);
}

const LZ_OUTCOME: u16 = event::HANDSHAKE_SUCCEEDED
    | event::HANDSHAKE_FAILED_AUTH
    | event::HANDSHAKE_FAILED_PROTOCOL
    | event::HANDSHAKE_FAILED_NO_DETAIL;

fn is_ox_outcome(ev: &SocketEvent) -> bool {
    matches!(
        ev,
        SocketEvent::HandshakeSucceeded { .. }
            | SocketEvent::HandshakeFailedAuth { .. }
            | SocketEvent::HandshakeFailedProtocol { .. }
            | SocketEvent::HandshakeFailedNoDetail { .. }
    )
}

/// A Zauth knowing admin/secret.
fn admin_zauth() -> Arc<Zauth> {
    let zauth = Arc::new(Zauth::new());
    zauth.add_plain_user("admin", "secret");
    zauth
}

/// An oxmq PLAIN server (PULL) authenticated by `zauth`.
fn zauth_plain_server(ctx: &Context, zauth: Arc<Zauth>) -> Pull {
    let server = Pull::new(ctx);
    server.set_options(|o| {
        o.mechanism = MechanismConfig::PlainServer;
        o.authenticator = Some(zauth);
    });
    server
}

/// A libzmq PLAIN client (PUSH) with these credentials.
fn lz_plain_client(lz_ctx: &lz::Context, user: &str, password: &str) -> lz::Socket {
    let s = lz_socket(lz_ctx, lz::SocketType::Push);
    s.set_plain_username(user).unwrap();
    s.set_plain_password(password).unwrap();
    s
}

/// The libzmq client sends a message that must not arrive; returns the
/// handshake outcome on both sides after checking nothing was delivered.
async fn refused_libzmq_client(ox: &mut Pull, lzs: lz::Socket) -> (SocketEvent, lz::MonitorEvent) {
    let mut ox_mon = ox.monitor();
    let lz_mon = lzs.monitor(event::ALL).unwrap();
    let _link = link(ox, &lzs, Transport::Tcp, Binder::Oxmq).await;
    let peer = spawn_libzmq("refused client", move || {
        // Queued on the pending connection (unless the refusal came
        // first); must never be delivered.
        lz_send_unless_refused(&lzs, &[b"must not arrive".to_vec()]);
        lz_wait_event(&lz_mon, LZ_OUTCOME)
    });
    let ox_ev = ox_wait_event(&mut ox_mon, "handshake outcome", is_ox_outcome).await;
    let lz_ev = peer.join().await;
    assert_eq!(ox_try_recv(ox), None, "oxmq delivered a message");
    (ox_ev, lz_ev)
}

/// libzmq PLAIN client with the right password → oxmq PLAIN server with
/// Zauth: the message arrives with User-Id = the user name.
#[test]
fn zauth_lets_in_libzmq_plain_client() {
    zap_case(
        cell_name!(),
        10,
        "PLAIN: libzmq client admin/secret let in by oxmq's Zauth; message arrives with User-Id=admin",
        "PULL, PLAIN server + Zauth, binds",
        "PUSH, PLAIN client",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = zauth_plain_server(&ctx, admin_zauth());
            let lzs = lz_plain_client(&lz_ctx, "admin", "secret");
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;
            let (received, wait_received) = gate();
            let peer = spawn_libzmq("plain client", move || {
                lz_send(&lzs, &[b"hello".to_vec()], "message");
                let ev = lz_wait_event(&lz_mon, LZ_OUTCOME);
                wait_received.wait();
                ev
            });
            let got = within("oxmq recv", ox.recv()).await.expect("recv");
            received.open();
            let lz_ev = peer.join().await;
            assert_eq!(&got[0][..], b"hello");
            assert_eq!(
                got.property("User-Id").map(|v| v.to_vec()),
                Some(b"admin".to_vec()),
                "{got:?}"
            );
            assert_eq!(
                got.property("Socket-Type").map(|v| v.to_vec()),
                Some(b"PUSH".to_vec())
            );
            assert_eq!(lz_ev.name(), "HANDSHAKE_SUCCEEDED");
        },
    );
}

/// libzmq PLAIN client with a wrong password → refused by Zauth: libzmq
/// reports HANDSHAKE_FAILED_AUTH 400, oxmq HandshakeFailedAuth 400.
#[test]
fn zauth_refuses_libzmq_plain_client_with_wrong_password() {
    zap_case(
        cell_name!(),
        11,
        "PLAIN: libzmq client with a wrong password refused by Zauth: HANDSHAKE_FAILED_AUTH 400 on both sides, nothing delivered",
        "PULL, PLAIN server + Zauth, binds",
        "PUSH, PLAIN client",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = zauth_plain_server(&ctx, admin_zauth());
            let lzs = lz_plain_client(&lz_ctx, "admin", "wrong");
            let (ox_ev, lz_ev) = refused_libzmq_client(&mut ox, lzs).await;
            assert!(
                matches!(ox_ev, SocketEvent::HandshakeFailedAuth { status_code: 400, .. }),
                "oxmq: {ox_ev:?}"
            );
            assert_eq!((lz_ev.name(), lz_ev.value), ("HANDSHAKE_FAILED_AUTH", 400));
        },
    );
}

/// The right password from a denied address (127.0.0.1 on Zauth's deny
/// list) is refused.
#[test]
fn zauth_deny_list_refuses_libzmq_plain_client() {
    zap_case(
        cell_name!(),
        12,
        "PLAIN: libzmq client admin/secret from 127.0.0.1, which Zauth denies: HANDSHAKE_FAILED_AUTH 400 on both sides",
        "PULL, PLAIN server + Zauth deny 127.0.0.1, binds",
        "PUSH, PLAIN client",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let zauth = admin_zauth();
            zauth.deny(Ipv4Addr::LOCALHOST);
            let mut ox = zauth_plain_server(&ctx, zauth);
            let lzs = lz_plain_client(&lz_ctx, "admin", "secret");
            let (ox_ev, lz_ev) = refused_libzmq_client(&mut ox, lzs).await;
            assert!(
                matches!(ox_ev, SocketEvent::HandshakeFailedAuth { status_code: 400, .. }),
                "oxmq: {ox_ev:?}"
            );
            assert_eq!((lz_ev.name(), lz_ev.value), ("HANDSHAKE_FAILED_AUTH", 400));
        },
    );
}

/// NULL with a ZAP domain: the address check alone decides. Zauth denies
/// 127.0.0.1, so the libzmq NULL client gets ERROR 400.
#[test]
fn zauth_deny_list_refuses_libzmq_null_client() {
    zap_case(
        cell_name!(),
        13,
        "NULL + ZAP domain: libzmq client from 127.0.0.1, which Zauth denies: HANDSHAKE_FAILED_AUTH 400 on both sides",
        "PULL, NULL + zap_domain + Zauth deny 127.0.0.1, binds",
        "PUSH, NULL",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let zauth = Arc::new(Zauth::new());
            zauth.deny(Ipv4Addr::LOCALHOST);
            let mut ox = Pull::new(&ctx);
            ox.set_options(|o| {
                o.zap_domain = "guarded".into();
                o.authenticator = Some(zauth);
            });
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Push);
            let (ox_ev, lz_ev) = refused_libzmq_client(&mut ox, lzs).await;
            assert!(
                matches!(ox_ev, SocketEvent::HandshakeFailedAuth { status_code: 400, .. }),
                "oxmq: {ox_ev:?}"
            );
            assert_eq!((lz_ev.name(), lz_ev.value), ("HANDSHAKE_FAILED_AUTH", 400));
        },
    );
}

/// An oxmq REP handler on inproc://zeromq.zap.01 (libzmq's way) decides
/// for a libzmq PLAIN client; its user id and metadata show on the oxmq
/// side.
#[test]
fn rep_zap_handler_lets_in_libzmq_plain_client() {
    zap_case(
        cell_name!(),
        14,
        "PLAIN: libzmq client admin/secret let in by an oxmq REP bound to inproc://zeromq.zap.01; User-Id and ZAP metadata on the message",
        "PULL, PLAIN server + REP ZAP handler, binds",
        "PUSH, PLAIN client",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut handler = Rep::new(&ctx);
            handler.bind(ZAP_ENDPOINT).await.expect("bind ZAP endpoint");
            let zauth = admin_zauth();
            let answering = tokio::spawn(async move {
                let req = handler.recv().await.expect("ZAP request");
                let mut reply = oxmq_transports::zap::answer(&req, &*zauth).await;
                // Add metadata to Zauth's answer: frame 5 of the reply.
                let mut with_md = AuthReply::allow(reply[4].clone());
                with_md.metadata.insert("X-Checked-By", "rep-handler");
                reply = oxmq_transports::zap::reply_frames(reply[1].clone(), &with_md);
                handler.send(reply).await.expect("ZAP reply");
                (req, handler)
            });
            let mut ox = Pull::new(&ctx);
            ox.set_options(|o| o.mechanism = MechanismConfig::PlainServer);
            let lzs = lz_plain_client(&lz_ctx, "admin", "secret");
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;
            let (received, wait_received) = gate();
            let peer = spawn_libzmq("plain client", move || {
                lz_send(&lzs, &[b"hello".to_vec()], "message");
                let ev = lz_wait_event(&lz_mon, LZ_OUTCOME);
                wait_received.wait();
                ev
            });
            let got = within("oxmq recv", ox.recv()).await.expect("recv");
            received.open();
            let lz_ev = peer.join().await;
            assert_eq!(lz_ev.name(), "HANDSHAKE_SUCCEEDED");
            assert_eq!(
                got.property("User-Id").map(|v| v.to_vec()),
                Some(b"admin".to_vec())
            );
            assert_eq!(
                got.property("X-Checked-By").map(|v| v.to_vec()),
                Some(b"rep-handler".to_vec())
            );
            let (req, _handler) = within("handler", answering).await.expect("task");
            let frames: Vec<Bytes> = req.into_vec();
            assert_eq!(&frames[5][..], b"PLAIN");
            assert_eq!(&frames[3][..], b"127.0.0.1");
        },
    );
}
