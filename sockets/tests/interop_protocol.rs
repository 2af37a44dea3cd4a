//! Protocol corners against real libzmq 4.3.5: heartbeats, MAXMSGSIZE,
//! handshake metadata and PLAIN authentication, in both directions.
//!
//! Like `interop_matrix.rs`, every test records its outcome for
//! `cargo run -p oxmq-sockets --example interop_table` (section "Protocol
//! corners").

#[macro_use]
mod interop_support;

use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use interop_support::*;
use oxmq_interop as lz;
use oxmq_interop::event;
use oxmq_sockets::{Dealer, Pair, Pub, Pull, Push, Router, Sub, Xpub};
use oxmq_transports::{Context, SocketEvent};
use oxmq_zmtp::{AuthReply, MechanismConfig};

/// Heartbeat interval used on the heartbeating side.
const HB_IVL: Duration = Duration::from_millis(100);
/// Heartbeat timeout / TTL: long enough for a loaded 2-core machine, yet
/// well inside the traffic period, so missing PONGs would be noticed.
const HB_TIMEOUT: Duration = Duration::from_secs(1);
/// Messages sent during a heartbeat test, one per [`HB_IVL`]: 2 s of traffic.
const HB_TICKS: usize = 20;

/// Runs one corner case and records it in the "Protocol corners" table.
fn corner<Fut: std::future::Future<Output = ()>>(
    cell: String,
    rank: u32,
    case: &str,
    oxmq: &str,
    libzmq: &str,
    body: impl FnOnce() -> Fut,
) {
    corner_with_bug(cell, rank, case, oxmq, libzmq, None, body);
}

/// [`corner`] for a test kept `#[ignore]`d because of a known bug.
fn corner_with_bug<Fut: std::future::Future<Output = ()>>(
    cell: String,
    rank: u32,
    case: &str,
    oxmq: &str,
    libzmq: &str,
    known_bug: Option<&'static str>,
    body: impl FnOnce() -> Fut,
) {
    let row = Row {
        section: "Protocol corners",
        section_rank: 20,
        note: "Each case checks both sides: what is delivered and what each library's socket monitor reports.".to_string(),
        rank,
        cell,
        columns: vec![
            ("case", case.to_string()),
            ("oxmq", oxmq.to_string()),
            ("libzmq", libzmq.to_string()),
            ("transport", "tcp".to_string()),
        ],
        known_bug,
    };
    run_cell(row, body);
}

fn tick(i: usize) -> Vec<Vec<u8>> {
    vec![format!("tick {i}").into_bytes()]
}

fn is_ox_disconnect(ev: &SocketEvent) -> bool {
    matches!(
        ev,
        SocketEvent::Disconnected { .. }
            | SocketEvent::HandshakeFailedProtocol { .. }
            | SocketEvent::HandshakeFailedAuth { .. }
            | SocketEvent::HandshakeFailedNoDetail { .. }
    )
}

const LZ_TROUBLE: u16 = event::DISCONNECTED
    | event::CLOSED
    | event::CONNECT_RETRIED
    | event::HANDSHAKE_FAILED_NO_DETAIL
    | event::HANDSHAKE_FAILED_PROTOCOL
    | event::HANDSHAKE_FAILED_AUTH;

fn lz_names(events: &[lz::MonitorEvent]) -> Vec<String> {
    events
        .iter()
        .map(|e| format!("{}({})", e.name(), e.value))
        .collect()
}

// ---------------------------------------------------------------------------
// Heartbeats
// ---------------------------------------------------------------------------

/// libzmq sends PINGs (IVL 100 ms, TIMEOUT and TTL 1 s) and data to an oxmq
/// PAIR that sends nothing back for 2 s: only oxmq's PONGs keep libzmq's
/// heartbeat timeout from firing.
#[test]
fn heartbeat_libzmq_pings_oxmq() {
    corner(
        cell_name!(),
        10,
        "heartbeats: libzmq PINGs every 100 ms (TIMEOUT/TTL 1 s), 2 s of one-way traffic; oxmq only answers PONG",
        "PAIR, binds",
        "PAIR, HEARTBEAT_IVL/TTL/TIMEOUT",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Pair::new(&ctx);
            let mut ox_mon = ox.monitor();
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Pair);
            lzs.set_heartbeat_ivl(HB_IVL.as_millis() as i32).unwrap();
            lzs.set_heartbeat_timeout(HB_TIMEOUT.as_millis() as i32)
                .unwrap();
            lzs.set_heartbeat_ttl(HB_TIMEOUT.as_millis() as i32).unwrap();
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;

            let (checked, wait_checked) = gate();
            let peer = spawn_libzmq("heartbeating pair", move || {
                lz_wait_event(&lz_mon, event::HANDSHAKE_SUCCEEDED);
                for i in 0..HB_TICKS {
                    lz_send(&lzs, &tick(i), "tick");
                    // Pacing of the traffic, not synchronisation.
                    std::thread::sleep(HB_IVL);
                }
                let back = lz_recv(&lzs, "reply after the traffic");
                let events = lz_drain(&lz_mon);
                // Stay connected until oxmq has checked its own events.
                wait_checked.wait();
                (back, events)
            });
            for i in 0..HB_TICKS {
                assert_eq!(ox_recv(&mut ox, "tick").await, tick(i));
            }
            ox_send(&mut ox, &[b"still connected".to_vec()], "reply").await;
            let ox_events = ox_drain(&mut ox_mon);
            checked.open();
            let (back, lz_events) = peer.join().await;
            assert_eq!(back, vec![b"still connected".to_vec()]);
            assert!(
                lz_events.iter().all(|e| e.event & LZ_TROUBLE == 0),
                "libzmq saw the connection suffer: {:?}",
                lz_names(&lz_events)
            );
            assert!(
                !ox_events.iter().any(is_ox_disconnect),
                "oxmq saw the connection suffer: {ox_events:#?}"
            );
        },
    );
}

/// oxmq sends PINGs (IVL 100 ms, TIMEOUT and TTL 1 s) and data to a libzmq
/// PAIR without heartbeat options that sends nothing back for 2 s: only
/// libzmq's PONGs keep oxmq's heartbeat timeout from firing.
#[test]
fn heartbeat_oxmq_pings_libzmq() {
    corner(
        cell_name!(),
        11,
        "heartbeats: oxmq PINGs every 100 ms (timeout/TTL 1 s), 2 s of one-way traffic; libzmq only answers PONG",
        "PAIR, heartbeat_ivl/ttl/timeout",
        "PAIR, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Pair::new(&ctx);
            ox.set_options(|o| {
                o.heartbeat_ivl = Some(HB_IVL);
                o.heartbeat_timeout = Some(HB_TIMEOUT);
                o.heartbeat_ttl = Some(HB_TIMEOUT);
            });
            let mut ox_mon = ox.monitor();
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Pair);
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let (got_reply, wait_got_reply) = gate();
            let peer = spawn_libzmq("silent pair", move || {
                let got: Vec<_> = (0..HB_TICKS).map(|_| lz_recv(&lzs, "tick")).collect();
                lz_send(&lzs, &[b"still connected".to_vec()], "reply");
                let events = lz_drain(&lz_mon);
                // Stay connected until oxmq has checked its own events.
                wait_got_reply.wait();
                (got, events)
            });
            ox_wait_event(&mut ox_mon, "HandshakeSucceeded", |e| {
                matches!(e, SocketEvent::HandshakeSucceeded { .. })
            })
            .await;
            for i in 0..HB_TICKS {
                ox_send(&mut ox, &tick(i), "tick").await;
                // Pacing of the traffic, not synchronisation.
                tokio::time::sleep(HB_IVL).await;
            }
            let back = ox_recv(&mut ox, "reply after the traffic").await;
            let ox_events = ox_drain(&mut ox_mon);
            got_reply.open();
            let (got, lz_events) = peer.join().await;
            assert_eq!(back, vec![b"still connected".to_vec()]);
            assert_eq!(got, (0..HB_TICKS).map(tick).collect::<Vec<_>>());
            assert!(
                lz_events.iter().all(|e| e.event & LZ_TROUBLE == 0),
                "libzmq saw the connection suffer: {:?}",
                lz_names(&lz_events)
            );
            assert!(
                !ox_events.iter().any(is_ox_disconnect),
                "oxmq saw the connection suffer: {ox_events:#?}"
            );
        },
    );
}

// ---------------------------------------------------------------------------
// MAXMSGSIZE
// ---------------------------------------------------------------------------

/// libzmq PULL with `ZMQ_MAXMSGSIZE` 1000 drops oxmq PUSH's connection when
/// it sends 2000 bytes; oxmq reconnects and the next message arrives.
#[test]
fn maxmsgsize_libzmq_pull_drops_oversized_from_oxmq() {
    corner(
        cell_name!(),
        20,
        "MAXMSGSIZE 1000 on libzmq: a 2000-byte frame from oxmq gets the connection dropped; after reconnecting, the next message arrives",
        "PUSH, connects",
        "PULL, MAXMSGSIZE=1000, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Push::new(&ctx);
            let mut ox_mon = ox.monitor();
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Pull);
            lzs.set_maxmsgsize(1000).unwrap();
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let peer = spawn_libzmq("pull with maxmsgsize", move || {
                let dropped = lz_wait_event(&lz_mon, event::DISCONNECTED);
                let first = lz_recv(&lzs, "message after reconnection");
                let extra = lzs.recv_multipart_flags(lz::flags::DONTWAIT).ok();
                (dropped, first, extra)
            });
            ox_send(&mut ox, &[pattern_bytes(2000, 9)], "oversized").await;
            let ev = ox_wait_event(&mut ox_mon, "Disconnected", |e| {
                matches!(e, SocketEvent::Disconnected { .. })
            })
            .await;
            ox_send(&mut ox, &[b"fits".to_vec()], "after reconnection").await;
            let (dropped, first, extra) = peer.join().await;
            assert_eq!(dropped.event, event::DISCONNECTED, "{ev:?}");
            assert_eq!(first, vec![b"fits".to_vec()]);
            assert_eq!(extra, None, "libzmq received more than expected");
        },
    );
}

/// oxmq PULL with `max_msg_size` 1000 drops libzmq PUSH's connection when it
/// sends 2000 bytes; libzmq reconnects and the next message arrives.
#[test]
fn maxmsgsize_oxmq_pull_drops_oversized_from_libzmq() {
    corner(
        cell_name!(),
        21,
        "max_msg_size 1000 on oxmq: a 2000-byte frame from libzmq gets the connection dropped; after reconnecting, the next message arrives",
        "PULL, max_msg_size=1000, binds",
        "PUSH, connects",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Pull::new(&ctx);
            ox.set_options(|o| o.max_msg_size = Some(1000));
            let mut ox_mon = ox.monitor();
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Push);
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;

            let (received, wait_received) = gate();
            let peer = spawn_libzmq("push", move || {
                lz_send(&lzs, &[pattern_bytes(2000, 9)], "oversized");
                let dropped = lz_wait_event(&lz_mon, event::DISCONNECTED);
                lz_send(&lzs, &[b"fits".to_vec()], "after reconnection");
                wait_received.wait();
                dropped
            });
            let ev = ox_wait_event(&mut ox_mon, "Disconnected", |e| {
                matches!(e, SocketEvent::Disconnected { .. })
            })
            .await;
            let first = ox_recv(&mut ox, "message after reconnection").await;
            received.open();
            let dropped = peer.join().await;
            assert_eq!(dropped.event, event::DISCONNECTED);
            assert_eq!(first, vec![b"fits".to_vec()], "after {ev:?}");
            assert_eq!(ox_try_recv(&mut ox), None, "oxmq received more");
        },
    );
}

// ---------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------

/// oxmq's `metadata` option (`X-Color`) and its socket type reach libzmq as
/// message properties.
#[test]
fn metadata_from_oxmq_is_visible_to_libzmq() {
    corner(
        cell_name!(),
        30,
        "handshake metadata: oxmq X-Color=red and Socket-Type=PUSH readable with zmq_msg_gets on libzmq",
        "PUSH, metadata X-Color",
        "PULL, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Push::new(&ctx);
            ox.set_options(|o| {
                o.metadata.insert("X-Color", "red");
            });
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Pull);
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let peer = spawn_libzmq("pull", move || {
                lzs.recv_multipart_with_props(&["X-Color", "Socket-Type", "Peer-Address"])
                    .expect("libzmq recv with properties")
            });
            ox_send(&mut ox, &[b"colourful".to_vec()], "message").await;
            let got = peer.join().await;
            assert_eq!(got.frames, vec![b"colourful".to_vec()]);
            assert_eq!(got.property("X-Color"), Some("red"), "{got:?}");
            assert_eq!(got.property("Socket-Type"), Some("PUSH"), "{got:?}");
            assert_eq!(got.property("Peer-Address"), Some("127.0.0.1"), "{got:?}");
        },
    );
}

// ---------------------------------------------------------------------------
// PLAIN
// ---------------------------------------------------------------------------

/// A libzmq ZAP handler accepting admin/secret; it reports every request.
fn admin_secret_zap(lz_ctx: &lz::Context) -> (lz::ZapHandler, mpsc::Receiver<lz::ZapRequest>) {
    let (tx, rx) = mpsc::channel();
    let zap = lz::ZapHandler::start(lz_ctx, move |req| {
        let _ = tx.send(req.clone());
        match req.plain_credentials() {
            Some((b"admin", b"secret")) => lz::ZapReply::allow("admin"),
            _ => lz::ZapReply::deny("bad credentials"),
        }
    })
    .expect("ZAP handler");
    (zap, rx)
}

/// An oxmq authenticator accepting admin/secret; it records every request.
fn admin_secret_authenticator(
    seen: Arc<Mutex<Vec<oxmq_transports::ZapRequest>>>,
) -> Arc<dyn oxmq_transports::Authenticator> {
    Arc::new(move |req: &oxmq_transports::ZapRequest| {
        seen.lock().unwrap().push(req.clone());
        match req.credentials.as_slice() {
            [user, pass] if &user[..] == b"admin" && &pass[..] == b"secret" => {
                AuthReply::allow("admin")
            }
            _ => AuthReply::deny(400, "bad credentials"),
        }
    })
}

fn plain_client(user: &'static str, password: &'static str) -> MechanismConfig {
    MechanismConfig::PlainClient {
        username: user.into(),
        password: password.into(),
    }
}

/// oxmq PLAIN client → libzmq PLAIN server whose ZAP handler accepts it.
#[test]
fn plain_oxmq_client_accepted_by_libzmq_server() {
    corner(
        cell_name!(),
        40,
        "PLAIN: oxmq client admin/secret accepted by libzmq's ZAP handler; message arrives with User-Id=admin",
        "PUSH, PLAIN client",
        "PULL, PLAIN server + ZAP, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let (_zap, zap_requests) = admin_secret_zap(&lz_ctx);
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Pull);
            lzs.set_plain_server(true).unwrap();
            let mut ox = Push::new(&ctx);
            ox.set_options(|o| o.mechanism = plain_client("admin", "secret"));
            let mut ox_mon = ox.monitor();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let peer = spawn_libzmq("plain server", move || {
                lzs.recv_multipart_with_props(&["User-Id", "Socket-Type"])
                    .expect("libzmq recv with properties")
            });
            ox_send(&mut ox, &[b"hello".to_vec()], "message").await;
            ox_wait_event(&mut ox_mon, "HandshakeSucceeded", |e| {
                matches!(e, SocketEvent::HandshakeSucceeded { .. })
            })
            .await;
            let got = peer.join().await;
            assert_eq!(got.frames, vec![b"hello".to_vec()]);
            assert_eq!(got.property("User-Id"), Some("admin"), "{got:?}");
            assert_eq!(got.property("Socket-Type"), Some("PUSH"), "{got:?}");
            let req = zap_requests.try_recv().expect("a ZAP request");
            assert_eq!(req.mechanism, "PLAIN");
            assert_eq!(req.credentials, vec![b"admin".to_vec(), b"secret".to_vec()]);
            assert_eq!(req.address, "127.0.0.1");
        },
    );
}

/// oxmq PLAIN client with a wrong password → libzmq refuses it (400) and
/// nothing is delivered.
#[test]
fn plain_oxmq_client_wrong_password_refused_by_libzmq_server() {
    corner(
        cell_name!(),
        41,
        "PLAIN: oxmq client with a wrong password refused by libzmq (ZAP 400): oxmq reports HandshakeFailedAuth 400, nothing delivered",
        "PUSH, PLAIN client",
        "PULL, PLAIN server + ZAP, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let (_zap, _zap_requests) = admin_secret_zap(&lz_ctx);
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Pull);
            lzs.set_plain_server(true).unwrap();
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let mut ox = Push::new(&ctx);
            ox.set_options(|o| o.mechanism = plain_client("admin", "wrong"));
            let mut ox_mon = ox.monitor();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let peer = spawn_libzmq("plain server", move || {
                let failed = lz_wait_event(
                    &lz_mon,
                    event::HANDSHAKE_FAILED_AUTH | event::HANDSHAKE_SUCCEEDED,
                );
                let delivered = lzs.recv_multipart_flags(lz::flags::DONTWAIT).ok();
                (failed, delivered)
            });
            // Queued on the pending connection; must never be delivered.
            ox_send(&mut ox, &[b"must not arrive".to_vec()], "message").await;
            let ev = ox_wait_event(&mut ox_mon, "handshake outcome", |e| {
                matches!(
                    e,
                    SocketEvent::HandshakeFailedAuth { .. } | SocketEvent::HandshakeSucceeded { .. }
                )
            })
            .await;
            let (failed, delivered) = peer.join().await;
            assert!(
                matches!(ev, SocketEvent::HandshakeFailedAuth { status_code: 400, .. }),
                "oxmq: {ev:?}"
            );
            assert_eq!(
                (failed.name(), failed.value),
                ("HANDSHAKE_FAILED_AUTH", 400),
                "libzmq"
            );
            assert_eq!(delivered, None, "libzmq delivered a message");
        },
    );
}

/// libzmq PLAIN client → oxmq PLAIN server whose authenticator accepts it.
#[test]
fn plain_libzmq_client_accepted_by_oxmq_server() {
    corner(
        cell_name!(),
        42,
        "PLAIN: libzmq client admin/secret accepted by oxmq's authenticator; message arrives",
        "PULL, PLAIN server + authenticator, binds",
        "PUSH, PLAIN client",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let seen = Arc::new(Mutex::new(Vec::new()));
            let mut ox = Pull::new(&ctx);
            let auth = admin_secret_authenticator(seen.clone());
            ox.set_options(|o| {
                o.mechanism = MechanismConfig::PlainServer;
                o.authenticator = Some(auth);
            });
            let mut ox_mon = ox.monitor();
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Push);
            lzs.set_plain_username("admin").unwrap();
            lzs.set_plain_password("secret").unwrap();
            let lz_mon = lzs.monitor(event::ALL).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;

            let (received, wait_received) = gate();
            let peer = spawn_libzmq("plain client", move || {
                lz_send(&lzs, &[b"hello".to_vec()], "message");
                let ev = lz_wait_event(
                    &lz_mon,
                    event::HANDSHAKE_SUCCEEDED | event::HANDSHAKE_FAILED_AUTH,
                );
                wait_received.wait();
                ev
            });
            let got = ox_recv(&mut ox, "message").await;
            received.open();
            let lz_ev = peer.join().await;
            assert_eq!(got, vec![b"hello".to_vec()]);
            assert_eq!(lz_ev.name(), "HANDSHAKE_SUCCEEDED");
            ox_wait_event(&mut ox_mon, "HandshakeSucceeded", |e| {
                matches!(e, SocketEvent::HandshakeSucceeded { .. })
            })
            .await;
            let seen = seen.lock().unwrap();
            assert_eq!(seen.len(), 1, "{seen:?}");
            assert_eq!(seen[0].mechanism.to_string(), "PLAIN");
            assert_eq!(seen[0].address, "127.0.0.1");
        },
    );
}

/// libzmq PLAIN client with a wrong password → oxmq PLAIN server refuses
/// it (ZAP 400). Returns libzmq's handshake event after checking the oxmq
/// side: HandshakeFailedAuth 400 reported, authenticator consulted, nothing
/// delivered.
async fn libzmq_client_with_wrong_password_vs_oxmq_server() -> lz::MonitorEvent {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut ox = Pull::new(&ctx);
    let auth = admin_secret_authenticator(seen.clone());
    ox.set_options(|o| {
        o.mechanism = MechanismConfig::PlainServer;
        o.authenticator = Some(auth);
    });
    let mut ox_mon = ox.monitor();
    let lzs = lz_socket(&lz_ctx, lz::SocketType::Push);
    lzs.set_plain_username("admin").unwrap();
    lzs.set_plain_password("wrong").unwrap();
    let lz_mon = lzs.monitor(event::ALL).unwrap();
    let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;

    let peer = spawn_libzmq("plain client", move || {
        // Queued on the pending connection (unless the refusal came
        // first); must never be delivered.
        lz_send_unless_refused(&lzs, &[b"must not arrive".to_vec()]);
        lz_wait_event(
            &lz_mon,
            event::HANDSHAKE_SUCCEEDED
                | event::HANDSHAKE_FAILED_AUTH
                | event::HANDSHAKE_FAILED_PROTOCOL
                | event::HANDSHAKE_FAILED_NO_DETAIL,
        )
    });
    let ev = ox_wait_event(&mut ox_mon, "handshake outcome", |e| {
        matches!(
            e,
            SocketEvent::HandshakeFailedAuth { .. } | SocketEvent::HandshakeSucceeded { .. }
        )
    })
    .await;
    let lz_ev = peer.join().await;
    assert!(
        matches!(
            ev,
            SocketEvent::HandshakeFailedAuth {
                status_code: 400,
                ..
            }
        ),
        "oxmq: {ev:?}"
    );
    assert_eq!(ox_try_recv(&mut ox), None, "oxmq delivered a message");
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty());
    assert_eq!(&seen[0].credentials[1][..], b"wrong");
    lz_ev
}

/// The refusal itself: libzmq's handshake fails (whatever event it
/// reports), oxmq reports HandshakeFailedAuth 400, nothing is delivered.
#[test]
fn plain_libzmq_client_wrong_password_refused_by_oxmq_server() {
    corner(
        cell_name!(),
        43,
        "PLAIN: libzmq client with a wrong password refused by oxmq (400): handshake fails on both sides, nothing delivered",
        "PULL, PLAIN server + authenticator, binds",
        "PUSH, PLAIN client",
        || async {
            let lz_ev = libzmq_client_with_wrong_password_vs_oxmq_server().await;
            assert_ne!(lz_ev.name(), "HANDSHAKE_SUCCEEDED", "libzmq");
        },
    );
}

/// libzmq's PLAIN client only recognises the ERROR command in the form
/// libzmq's own PLAIN server sends: its `plain_common.hpp` spells the prefix
/// `"\x05ERROR"`, which C reads as 0x5E "RROR" (the `\x05E` hex escape
/// swallows the `E`). So for a refused login libzmq 4.3.5 sends
/// `04 09 5e 52 52 4f 52 03 34 30 30` and its client `memcmp`s incoming
/// ERRORs against `5e 52 52 4f 52`; the RFC-correct
/// `04 0a 05 45 52 52 4f 52 03 34 30 30` would be an unknown command to it
/// (HANDSHAKE_FAILED_PROTOCOL 0x10000001 instead of HANDSHAKE_FAILED_AUTH
/// 400). oxmq's PLAIN server therefore sends libzmq's spelling.
#[test]
fn plain_libzmq_client_reports_auth_failure_400_from_oxmq_server() {
    corner_with_bug(
        cell_name!(),
        44,
        "PLAIN: libzmq client refused by oxmq reports HANDSHAKE_FAILED_AUTH 400 (as against a libzmq server)",
        "PULL, PLAIN server + authenticator, binds",
        "PUSH, PLAIN client",
        None,
        || async {
            let lz_ev = libzmq_client_with_wrong_password_vs_oxmq_server().await;
            assert_eq!(
                (lz_ev.name(), lz_ev.value),
                ("HANDSHAKE_FAILED_AUTH", 400),
                "libzmq's event (0x10000001 = ZMTP_UNEXPECTED_COMMAND)"
            );
        },
    );
}

// ---------------------------------------------------------------------------
// PUB/SUB wire details
// ---------------------------------------------------------------------------

/// libzmq SUB's (un)subscriptions reach an oxmq XPUB as the exact RFC 29
/// messages `\x01topic` / `\x00topic`.
#[test]
fn subscriptions_from_libzmq_sub_reach_oxmq_xpub() {
    corner(
        cell_name!(),
        50,
        "subscriptions: libzmq SUB subscribe/unsubscribe \"topic-a\" arrive at oxmq XPUB as [01 \"topic-a\"] / [00 \"topic-a\"]",
        "XPUB, binds",
        "SUB",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Xpub::new(&ctx);
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Sub);
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;

            let (subscribed, wait_subscribed) = gate();
            let (unsubscribed, wait_unsubscribed) = gate();
            let peer = spawn_libzmq("sub", move || {
                lzs.subscribe(b"topic-a").unwrap();
                wait_subscribed.wait();
                lzs.unsubscribe(b"topic-a").unwrap();
                wait_unsubscribed.wait();
            });
            let sub = ox_recv(&mut ox, "subscription").await;
            subscribed.open();
            let unsub = ox_recv(&mut ox, "unsubscription").await;
            unsubscribed.open();
            peer.join().await;
            assert_eq!(sub, vec![b"\x01topic-a".to_vec()]);
            assert_eq!(unsub, vec![b"\x00topic-a".to_vec()]);
        },
    );
}

/// oxmq SUB's (un)subscriptions reach a libzmq XPUB as the exact RFC 29
/// messages.
#[test]
fn subscriptions_from_oxmq_sub_reach_libzmq_xpub() {
    corner(
        cell_name!(),
        51,
        "subscriptions: oxmq SUB subscribe/unsubscribe \"topic-a\" arrive at libzmq XPUB as [01 \"topic-a\"] / [00 \"topic-a\"]",
        "SUB",
        "XPUB, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Sub::new(&ctx);
            let lzs = lz_socket(&lz_ctx, lz::SocketType::XPub);
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let (got_sub_tx, got_sub_rx) = tokio::sync::oneshot::channel::<Vec<Vec<u8>>>();
            let peer = spawn_libzmq("xpub", move || {
                let _ = got_sub_tx.send(lz_recv(&lzs, "subscription"));
                lz_recv(&lzs, "unsubscription")
            });
            within("subscribe", ox.subscribe("topic-a")).await.unwrap();
            // Unsubscribe only once the subscription is known to have left:
            // before the connection exists it would simply be forgotten.
            let sub = within("libzmq to see the subscription", got_sub_rx)
                .await
                .expect("libzmq thread");
            within("unsubscribe", ox.unsubscribe("topic-a"))
                .await
                .unwrap();
            let unsub = peer.join().await;
            assert_eq!(sub, vec![b"\x01topic-a".to_vec()]);
            assert_eq!(unsub, vec![b"\x00topic-a".to_vec()]);
        },
    );
}

/// Sent until the subscriber has seen one; matches the "a" subscription.
const A_PROBE: &[u8] = b"a-probe";

/// A libzmq PUB filters by oxmq SUB's subscription "a": "b-dropped" never
/// arrives, "a-1" sent after it does.
#[test]
fn topic_filter_libzmq_pub_to_oxmq_sub() {
    corner(
        cell_name!(),
        52,
        "topic filter: oxmq SUB subscribed to \"a\"; libzmq PUB sends \"b-dropped\" then \"a-1\"; only \"a-1\" arrives",
        "SUB \"a\"",
        "PUB, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Sub::new(&ctx);
            within("subscribe", ox.subscribe("a")).await.unwrap();
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Pub);
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let (ready, wait_ready) = gate();
            let (received, wait_received) = gate();
            let peer = spawn_libzmq("pub", move || {
                let start = std::time::Instant::now();
                while !wait_ready.is_open() {
                    assert!(start.elapsed() < SAFETY, "no probe reached oxmq");
                    lz_send(&lzs, &[A_PROBE.to_vec()], "probe");
                    std::thread::sleep(Duration::from_millis(10));
                }
                lz_send(&lzs, &[b"b-dropped".to_vec()], "b");
                lz_send(&lzs, &[b"a-1".to_vec()], "a");
                wait_received.wait();
            });
            let mut ready = Some(ready);
            let first = loop {
                let m = ox_recv(&mut ox, "message").await;
                if m == [A_PROBE.to_vec()] {
                    if let Some(r) = ready.take() {
                        r.open();
                    }
                } else {
                    break m;
                }
            };
            received.open();
            peer.join().await;
            assert_eq!(first, vec![b"a-1".to_vec()]);
        },
    );
}

/// An oxmq PUB filters by libzmq SUB's subscription "a".
#[test]
fn topic_filter_oxmq_pub_to_libzmq_sub() {
    corner(
        cell_name!(),
        53,
        "topic filter: libzmq SUB subscribed to \"a\"; oxmq PUB sends \"b-dropped\" then \"a-1\"; only \"a-1\" arrives",
        "PUB, binds",
        "SUB \"a\"",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Pub::new(&ctx);
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Sub);
            lzs.subscribe(b"a").unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;

            let (ready_tx, mut ready_rx) = tokio::sync::oneshot::channel::<()>();
            let peer = spawn_libzmq("sub", move || {
                let mut ready_tx = Some(ready_tx);
                loop {
                    let m = lz_recv(&lzs, "message");
                    if m == [A_PROBE.to_vec()] {
                        if let Some(tx) = ready_tx.take() {
                            let _ = tx.send(());
                        }
                    } else {
                        return m;
                    }
                }
            });
            within("the subscriber to receive a probe", async {
                loop {
                    ox_send(&mut ox, &[A_PROBE.to_vec()], "probe").await;
                    tokio::select! {
                        _ = &mut ready_rx => break,
                        () = tokio::time::sleep(Duration::from_millis(10)) => {}
                    }
                }
            })
            .await;
            ox_send(&mut ox, &[b"b-dropped".to_vec()], "b").await;
            ox_send(&mut ox, &[b"a-1".to_vec()], "a").await;
            let first = peer.join().await;
            assert_eq!(first, vec![b"a-1".to_vec()]);
        },
    );
}

// ---------------------------------------------------------------------------
// ROUTER details
// ---------------------------------------------------------------------------

/// oxmq DEALER without a routing id and with probe_router → libzmq ROUTER:
/// the ROUTER first gets [generated id, ""], then routes a reply back.
#[test]
fn probe_router_oxmq_dealer_to_libzmq_router() {
    corner(
        cell_name!(),
        60,
        "probe_router: oxmq DEALER (no routing id) announces itself with an empty message; libzmq ROUTER replies via its generated id",
        "DEALER, probe_router",
        "ROUTER, binds",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Dealer::new(&ctx);
            ox.set_probe_router(true);
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Router);
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;

            let (done, wait_done) = gate();
            let peer = spawn_libzmq("router", move || {
                let probe = lz_recv(&lzs, "probe");
                assert_eq!(probe.len(), 2, "probe: {}", describe(&probe));
                let id = probe[0].clone();
                lz_send(&lzs, &[id.clone(), b"welcome".to_vec()], "reply");
                let hello = lz_recv(&lzs, "hello");
                wait_done.wait();
                (probe, hello)
            });
            let welcome = ox_recv(&mut ox, "reply to the probe").await;
            ox_send(&mut ox, &[b"hello".to_vec()], "hello").await;
            // The thread receives "hello" before it waits for the gate, so
            // the gate only keeps its socket from closing early.
            done.open();
            let (probe, hello) = peer.join().await;
            assert_eq!(welcome, vec![b"welcome".to_vec()]);
            assert_eq!(probe[1], Vec::<u8>::new(), "probe is [id, \"\"]");
            assert!(!probe[0].is_empty());
            assert_eq!(hello, vec![probe[0].clone(), b"hello".to_vec()]);
        },
    );
}

/// libzmq DEALER without a routing id and with PROBE_ROUTER → oxmq ROUTER:
/// oxmq gets [generated id, ""] and routes a reply back.
#[test]
fn probe_router_libzmq_dealer_to_oxmq_router() {
    corner(
        cell_name!(),
        61,
        "probe_router: libzmq DEALER (no routing id) announces itself with an empty message; oxmq ROUTER replies via its generated id",
        "ROUTER, binds",
        "DEALER, PROBE_ROUTER",
        || async {
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Router::new(&ctx);
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Dealer);
            lzs.set_probe_router(true).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;

            let (done, wait_done) = gate();
            let peer = spawn_libzmq("dealer", move || {
                let welcome = lz_recv(&lzs, "reply to the probe");
                lz_send(&lzs, &[b"hello".to_vec()], "hello");
                wait_done.wait();
                welcome
            });
            let probe = ox_recv(&mut ox, "probe").await;
            assert_eq!(probe.len(), 2, "probe: {}", describe(&probe));
            assert_eq!(probe[1], Vec::<u8>::new(), "probe is [id, \"\"]");
            let id = probe[0].clone();
            assert!(!id.is_empty());
            ox_send(&mut ox, &[id.clone(), b"welcome".to_vec()], "reply").await;
            let hello = ox_recv(&mut ox, "hello").await;
            done.open();
            let welcome = peer.join().await;
            assert_eq!(welcome, vec![b"welcome".to_vec()]);
            assert_eq!(hello, vec![id, b"hello".to_vec()]);
        },
    );
}
