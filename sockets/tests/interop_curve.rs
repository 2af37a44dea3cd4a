//! CURVE against real libzmq 4.3.5 (built with libsodium): oxmq CURVE
//! clients talking to libzmq CURVE servers and the reverse, for REQ/REP,
//! DEALER/ROUTER and PUB/SUB over tcp and ipc, then the refusals: a wrong
//! server key, a client key missing from an allow list (oxmq's `Zauth` on
//! one side, libzmq's ZAP handler on the other), and a NULL client against
//! a CURVE server.
//!
//! In every cell the CURVE server binds and the client connects (the usual
//! deployment; who binds does not matter to the mechanism). Key pairs are
//! fresh per cell: the oxmq side's from [`CurveKeyPair::generate`], the
//! libzmq side's from `zmq_curve_keypair`, each side reading the other's in
//! Z85.
//!
//! Every test records its outcome for `cargo run -p oxmq-sockets --example
//! interop_table` (section "CURVE").

#[macro_use]
mod interop_support;

use std::sync::Arc;

use interop_support::*;
use oxmq_interop as lz;
use oxmq_interop::event;
use oxmq_sockets::{Dealer, Pub, Rep, Req, Router, Sub};
use oxmq_transports::{Context, SocketEvent, Zauth};
use oxmq_zmtp::{AuthReply, CurveKeyPair, CurvePublicKey, MechanismConfig};

/// Which library plays the CURVE server (and binds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Server {
    Oxmq,
    Libzmq,
}

/// Runs one case and records it in the "CURVE" table.
fn curve_cell<Fut: std::future::Future<Output = ()>>(
    cell: String,
    rank: u32,
    case: &str,
    oxmq: &str,
    libzmq: &str,
    transport: Transport,
    body: impl FnOnce() -> Fut,
) {
    let row = Row {
        section: "CURVE",
        section_rank: 27,
        note: "CURVE (RFC 25/26) between oxmq and libzmq 4.3.5 + libsodium; the CURVE server binds. Data cells exchange the whole corpus above (PUB/SUB after a probe), so every frame size crosses the encryption both ways.".to_string(),
        rank,
        cell,
        columns: vec![
            ("case", case.to_string()),
            ("oxmq", oxmq.to_string()),
            ("libzmq", libzmq.to_string()),
            ("transport", transport.name().to_string()),
        ],
        known_bug: None,
    };
    run_cell(row, body);
}

/// A libzmq key pair in Z85 (public, secret).
fn lz_keys() -> (String, String) {
    lz::curve_keypair()
}

fn ox_server_config(keys: &CurveKeyPair) -> MechanismConfig {
    MechanismConfig::CurveServer {
        keypair: keys.clone(),
    }
}

fn ox_client_config(server_public_z85: &str) -> MechanismConfig {
    MechanismConfig::CurveClient {
        server_key: CurvePublicKey::from_z85(server_public_z85).expect("server key in Z85"),
        keypair: CurveKeyPair::generate(),
    }
}

fn lz_curve_server(s: &lz::Socket, secret_z85: &str) {
    s.set_curve_server(true).expect("ZMQ_CURVE_SERVER");
    s.set_curve_secretkey(secret_z85)
        .expect("ZMQ_CURVE_SECRETKEY");
}

fn lz_curve_client(s: &lz::Socket, server_public_z85: &str) {
    let (public, secret) = lz_keys();
    s.set_curve_serverkey(server_public_z85)
        .expect("ZMQ_CURVE_SERVERKEY");
    s.set_curve_publickey(&public).expect("ZMQ_CURVE_PUBLICKEY");
    s.set_curve_secretkey(&secret).expect("ZMQ_CURVE_SECRETKEY");
}

/// Sets up CURVE on both sides: the `server` side gets a fresh permanent
/// key pair, the other side a client configuration that knows its public
/// key.
fn secure<S: OxSocket>(ox: &mut S, lzs: &lz::Socket, server: Server) {
    match server {
        Server::Oxmq => {
            let keys = CurveKeyPair::generate();
            let public = keys.public.to_z85();
            ox.options(|o| o.mechanism = ox_server_config(&keys));
            lz_curve_client(lzs, &public);
        }
        Server::Libzmq => {
            let (public, secret) = lz_keys();
            lz_curve_server(lzs, &secret);
            ox.options(|o| o.mechanism = ox_client_config(&public));
        }
    }
}

// ---------------------------------------------------------------------------
// Data cells
// ---------------------------------------------------------------------------

/// Routing id of the client of a request-reply cell.
const CLIENT_ID: &[u8] = b"curve-client";

fn strip(m: Vec<Vec<u8>>, env: &[Vec<u8>], what: &str) -> Vec<Vec<u8>> {
    assert!(
        m.len() > env.len() && m[..env.len()] == *env,
        "{what}: expected envelope {} before the payload, got {}",
        describe(env),
        describe(&m)
    );
    m[env.len()..].to_vec()
}

/// The envelope a ROUTER server sees in front of a REQ or DEALER client's
/// payload.
fn router_envelope(client_is_req: bool) -> Vec<Vec<u8>> {
    let mut env = vec![CLIENT_ID.to_vec()];
    if client_is_req {
        env.push(Vec::new());
    }
    env
}

/// An oxmq REQ/DEALER client sends the corpus to a libzmq REP/ROUTER CURVE
/// server that echoes it.
async fn ox_client<S: OxSend + OxRecv>(transport: Transport, kind: lz::SocketType) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    ox.options(|o| o.routing_id = Some(bytes::Bytes::from_static(CLIENT_ID)));
    let lzs = lz_socket(&lz_ctx, kind);
    secure(&mut ox, &lzs, Server::Libzmq);
    let mut mon = ox.events();
    let _link = link(&mut ox, &lzs, transport, Binder::Libzmq).await;
    let server_env = if kind == lz::SocketType::Router {
        router_envelope(S::NAME == "REQ")
    } else {
        Vec::new()
    };

    let n = corpus().len();
    let (done, wait_done) = gate();
    let server = spawn_libzmq("curve server", move || {
        let requests: Vec<_> = (0..n)
            .map(|i| {
                let what = format!("request {i}");
                let m = lz_recv(&lzs, &what);
                lz_send(&lzs, &m, &format!("reply {i}"));
                strip(m, &server_env, &what)
            })
            .collect();
        wait_done.wait();
        requests
    });
    let mut replies = Vec::new();
    for item in corpus() {
        ox_send(&mut ox, &item.frames, item.name).await;
        replies.push(ox_recv(&mut ox, item.name).await);
    }
    done.open();
    let requests = server.join().await;
    assert_corpus("requests oxmq → libzmq", &requests);
    assert_corpus("replies libzmq → oxmq", &replies);
    let ev = ox_wait_event(&mut mon, "HandshakeSucceeded", |e| {
        matches!(e, SocketEvent::HandshakeSucceeded { .. })
    })
    .await;
    assert!(matches!(ev, SocketEvent::HandshakeSucceeded { .. }));
}

/// A libzmq REQ/DEALER client sends the corpus to an oxmq REP/ROUTER CURVE
/// server (no authenticator: every client knowing the server key gets in,
/// as with libzmq without a ZAP handler) that echoes it.
async fn lz_client<S: OxSend + OxRecv>(transport: Transport, kind: lz::SocketType) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    let lzs = lz_socket(&lz_ctx, kind);
    lzs.set_routing_id(CLIENT_ID).unwrap();
    secure(&mut ox, &lzs, Server::Oxmq);
    let _link = link(&mut ox, &lzs, transport, Binder::Oxmq).await;
    let server_env = if S::NAME == "ROUTER" {
        router_envelope(kind == lz::SocketType::Req)
    } else {
        Vec::new()
    };

    let (done, wait_done) = gate();
    let client = spawn_libzmq("curve client", move || {
        let replies: Vec<_> = corpus()
            .iter()
            .map(|item| {
                lz_send(&lzs, &item.frames, item.name);
                lz_recv(&lzs, item.name)
            })
            .collect();
        wait_done.wait();
        replies
    });
    let mut requests = Vec::new();
    for item in corpus() {
        let m = ox_recv(&mut ox, item.name).await;
        ox_send(&mut ox, &m, item.name).await;
        requests.push(strip(m, &server_env, item.name));
    }
    done.open();
    let replies = client.join().await;
    assert_corpus("requests libzmq → oxmq", &requests);
    assert_corpus("replies oxmq → libzmq", &replies);
}

/// Sent by publishers until the subscriber confirms one arrived (a PUB
/// drops what it publishes before the subscription has arrived).
const PROBE: &[u8] = b"oxmq-curve-probe";
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

fn is_probe(m: &[Vec<u8>]) -> bool {
    m.len() == 1 && m[0] == PROBE
}

/// An oxmq PUB (CURVE server) publishes the corpus to a libzmq SUB.
async fn ox_publishes(transport: Transport) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = Pub::create(&ctx);
    let lzs = lz_socket(&lz_ctx, lz::SocketType::Sub);
    lz_subscribe_all(&lzs);
    secure(&mut ox, &lzs, Server::Oxmq);
    let _link = link(&mut ox, &lzs, transport, Binder::Oxmq).await;

    let n = corpus().len();
    let (ready_tx, mut ready_rx) = tokio::sync::oneshot::channel::<()>();
    let subscriber = spawn_libzmq("curve subscriber", move || {
        let mut ready_tx = Some(ready_tx);
        let mut got = Vec::new();
        while got.len() < n {
            let m = lz_recv(&lzs, &format!("corpus message {}", got.len()));
            if is_probe(&m) {
                if let Some(tx) = ready_tx.take() {
                    let _ = tx.send(());
                }
            } else {
                got.push(m);
            }
        }
        got
    });
    within("the subscriber to receive a probe", async {
        loop {
            ox_send(&mut ox, &[PROBE.to_vec()], "probe").await;
            tokio::select! {
                _ = &mut ready_rx => break,
                () = tokio::time::sleep(PROBE_EVERY) => {}
            }
        }
    })
    .await;
    for item in corpus() {
        ox_send(&mut ox, &item.frames, item.name).await;
    }
    let got = subscriber.join().await;
    assert_corpus("oxmq → libzmq", &got);
}

/// A libzmq PUB (CURVE server) publishes the corpus to an oxmq SUB.
async fn lz_publishes(transport: Transport) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = Sub::create(&ctx);
    ox.subscribe_all().await;
    let lzs = lz_socket(&lz_ctx, lz::SocketType::Pub);
    secure(&mut ox, &lzs, Server::Libzmq);
    let _link = link(&mut ox, &lzs, transport, Binder::Libzmq).await;

    let (ready, wait_ready) = gate();
    let (received, wait_received) = gate();
    let publisher = spawn_libzmq("curve publisher", move || {
        let start = std::time::Instant::now();
        while !wait_ready.is_open() {
            assert!(start.elapsed() < SAFETY, "no probe reached oxmq");
            lz_send(&lzs, &[PROBE.to_vec()], "probe");
            std::thread::sleep(PROBE_EVERY);
        }
        for item in corpus() {
            lz_send(&lzs, &item.frames, item.name);
        }
        wait_received.wait();
    });
    let mut ready = Some(ready);
    let mut got = Vec::new();
    while got.len() < corpus().len() {
        let m = ox_recv(&mut ox, "corpus message").await;
        if is_probe(&m) {
            if let Some(r) = ready.take() {
                r.open();
            }
        } else {
            got.push(m);
        }
    }
    received.open();
    publisher.join().await;
    assert_corpus("libzmq → oxmq", &got);
}

/// `name: rank, "case", "oxmq role", "libzmq role", body;` expands to a
/// module with a tcp and an ipc `#[test]`.
macro_rules! data_cells {
    ($($name:ident: $rank:literal, $case:literal, $ox:literal, $lz:literal, |$t:ident| $body:expr;)*) => {$(
        mod $name {
            use super::*;
            #[test]
            fn tcp() {
                let $t = Transport::Tcp;
                curve_cell(cell_name!(), $rank * 10, $case, $ox, $lz, $t, || $body);
            }
            #[test]
            fn ipc() {
                let $t = Transport::Ipc;
                curve_cell(cell_name!(), $rank * 10 + 1, $case, $ox, $lz, $t, || $body);
            }
        }
    )*};
}

data_cells! {
    oxmq_req_libzmq_rep: 1, "REQ → REP: oxmq client, libzmq server", "REQ, CURVE client", "REP, CURVE server, binds",
        |t| ox_client::<Req>(t, lz::SocketType::Rep);
    libzmq_req_oxmq_rep: 2, "REQ → REP: libzmq client, oxmq server", "REP, CURVE server, binds", "REQ, CURVE client",
        |t| lz_client::<Rep>(t, lz::SocketType::Req);
    oxmq_dealer_libzmq_router: 3, "DEALER → ROUTER: oxmq client, libzmq server", "DEALER, CURVE client", "ROUTER, CURVE server, binds",
        |t| ox_client::<Dealer>(t, lz::SocketType::Router);
    libzmq_dealer_oxmq_router: 4, "DEALER → ROUTER: libzmq client, oxmq server", "ROUTER, CURVE server, binds", "DEALER, CURVE client",
        |t| lz_client::<Router>(t, lz::SocketType::Dealer);
    oxmq_pub_libzmq_sub: 5, "PUB → SUB: oxmq server publishes", "PUB, CURVE server, binds", "SUB, CURVE client",
        |t| ox_publishes(t);
    libzmq_pub_oxmq_sub: 6, "PUB → SUB: libzmq server publishes", "SUB, CURVE client", "PUB, CURVE server, binds",
        |t| lz_publishes(t);
}

// ---------------------------------------------------------------------------
// Refusals
// ---------------------------------------------------------------------------

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

/// The first handshake outcome on each side when an oxmq DEALER client
/// (configured by `ox_setup`) talks to a libzmq ROUTER server (configured
/// by `lz_setup`, binds). The client queues a message that must never
/// arrive; checks that it did not.
async fn ox_client_outcome(
    ox_setup: impl FnOnce(&mut Dealer),
    lz_setup: impl FnOnce(&lz::Context, &lz::Socket),
) -> (SocketEvent, lz::MonitorEvent) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = Dealer::new(&ctx);
    ox_setup(&mut ox);
    let lzs = lz_socket(&lz_ctx, lz::SocketType::Router);
    lz_setup(&lz_ctx, &lzs);
    let lz_mon = lzs.monitor(event::ALL).unwrap();
    let mut ox_mon = ox.monitor();
    let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Libzmq).await;
    ox_send(&mut ox, &[b"must not arrive".to_vec()], "message").await;
    let peer = spawn_libzmq("refusing server", move || {
        let ev = lz_wait_event(&lz_mon, LZ_OUTCOME);
        let delivered = lzs.recv_multipart_flags(lz::flags::DONTWAIT).ok();
        (ev, delivered)
    });
    let ox_ev = ox_wait_event(&mut ox_mon, "handshake outcome", is_ox_outcome).await;
    let (lz_ev, delivered) = peer.join().await;
    assert_eq!(delivered, None, "libzmq delivered a message");
    (ox_ev, lz_ev)
}

/// The first handshake outcome on each side when a libzmq DEALER client
/// (configured by `lz_setup`) talks to an oxmq ROUTER server (configured by
/// `ox_setup`, binds). The client queues a message that must never arrive;
/// checks that it did not.
async fn lz_client_outcome(
    ox_setup: impl FnOnce(&mut Router),
    lz_setup: impl FnOnce(&lz::Socket),
) -> (SocketEvent, lz::MonitorEvent) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = Router::new(&ctx);
    ox_setup(&mut ox);
    let lzs = lz_socket(&lz_ctx, lz::SocketType::Dealer);
    lz_setup(&lzs);
    let lz_mon = lzs.monitor(event::ALL).unwrap();
    let mut ox_mon = ox.monitor();
    let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;
    let peer = spawn_libzmq("refused client", move || {
        // Queued on the pending connection (unless the refusal came
        // first); must never be delivered.
        lz_send_unless_refused(&lzs, &[b"must not arrive".to_vec()]);
        lz_wait_event(&lz_mon, LZ_OUTCOME)
    });
    let ox_ev = ox_wait_event(&mut ox_mon, "handshake outcome", is_ox_outcome).await;
    let lz_ev = peer.join().await;
    assert_eq!(ox_try_recv(&mut ox), None, "oxmq delivered a message");
    (ox_ev, lz_ev)
}

fn refusal<Fut: std::future::Future<Output = ()>>(
    cell: String,
    rank: u32,
    case: &str,
    oxmq: &str,
    libzmq: &str,
    body: impl FnOnce() -> Fut,
) {
    curve_cell(cell, 100 + rank, case, oxmq, libzmq, Transport::Tcp, body);
}

/// The oxmq client knows the wrong server key: libzmq cannot open its
/// HELLO and drops the connection (HANDSHAKE_FAILED_PROTOCOL); oxmq sees
/// its handshake fail; nothing is delivered.
#[test]
fn oxmq_client_with_wrong_server_key() {
    refusal(
        cell_name!(),
        1,
        "oxmq client with a wrong server key: refused (libzmq HANDSHAKE_FAILED_PROTOCOL), nothing delivered",
        "DEALER, CURVE client",
        "ROUTER, CURVE server, binds",
        || async {
            let wrong = CurveKeyPair::generate().public.to_z85();
            let (ox_ev, lz_ev) = ox_client_outcome(
                |ox| ox.set_options(|o| o.mechanism = ox_client_config(&wrong)),
                |_, lzs| lz_curve_server(lzs, &lz_keys().1),
            )
            .await;
            assert_eq!(lz_ev.name(), "HANDSHAKE_FAILED_PROTOCOL", "libzmq");
            assert!(
                !matches!(ox_ev, SocketEvent::HandshakeSucceeded { .. }),
                "oxmq: {ox_ev:?}"
            );
        },
    );
}

/// The libzmq client knows the wrong server key: oxmq cannot open its
/// HELLO, reports HandshakeFailedProtocol and delivers nothing.
#[test]
fn libzmq_client_with_wrong_server_key() {
    refusal(
        cell_name!(),
        2,
        "libzmq client with a wrong server key: oxmq reports HandshakeFailedProtocol, nothing delivered",
        "ROUTER, CURVE server, binds",
        "DEALER, CURVE client",
        || async {
            let keys = CurveKeyPair::generate();
            let wrong = lz_keys().0;
            let (ox_ev, lz_ev) = lz_client_outcome(
                |ox| ox.set_options(|o| o.mechanism = ox_server_config(&keys)),
                |lzs| lz_curve_client(lzs, &wrong),
            )
            .await;
            assert!(
                matches!(ox_ev, SocketEvent::HandshakeFailedProtocol { .. }),
                "oxmq: {ox_ev:?}"
            );
            assert_ne!(lz_ev.name(), "HANDSHAKE_SUCCEEDED", "libzmq");
        },
    );
}

/// oxmq's Zauth with a CURVE allow list: a libzmq client whose key is on it
/// gets in (User-Id = its key in Z85, as czmq's zauth does), one whose key
/// is not is refused with 400 on both sides.
#[test]
fn zauth_allow_list_lets_in_known_libzmq_key_only() {
    refusal(
        cell_name!(),
        3,
        "libzmq client key not on oxmq Zauth's CURVE allow list: HANDSHAKE_FAILED_AUTH 400 on both sides; a listed key gets in with User-Id = its Z85 key",
        "ROUTER, CURVE server + Zauth allow list, binds",
        "DEALER, CURVE client",
        || async {
            let keys = CurveKeyPair::generate();
            let server_public = keys.public.to_z85();
            let (known_public, known_secret) = lz_keys();
            let zauth = Arc::new(Zauth::new());
            zauth.allow_curve_key_z85(&known_public).unwrap();

            // Unknown key: refused.
            let (ox_ev, lz_ev) = lz_client_outcome(
                |ox| {
                    let zauth = zauth.clone();
                    ox.set_options(|o| {
                        o.mechanism = ox_server_config(&keys);
                        o.authenticator = Some(zauth);
                    })
                },
                |lzs| lz_curve_client(lzs, &server_public),
            )
            .await;
            assert!(
                matches!(ox_ev, SocketEvent::HandshakeFailedAuth { status_code: 400, .. }),
                "oxmq: {ox_ev:?}"
            );
            assert_eq!((lz_ev.name(), lz_ev.value), ("HANDSHAKE_FAILED_AUTH", 400));

            // Known key: let in, tagged with its User-Id.
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Router::new(&ctx);
            ox.set_options(|o| {
                o.mechanism = ox_server_config(&keys);
                o.authenticator = Some(zauth.clone());
            });
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Dealer);
            lzs.set_curve_serverkey(&server_public).unwrap();
            lzs.set_curve_publickey(&known_public).unwrap();
            lzs.set_curve_secretkey(&known_secret).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;
            let (received, wait_received) = gate();
            let peer = spawn_libzmq("known client", move || {
                lz_send(&lzs, &[b"hello".to_vec()], "message");
                wait_received.wait();
            });
            let got = within("oxmq recv", ox.recv()).await.expect("recv");
            received.open();
            peer.join().await;
            assert_eq!(&got[1][..], b"hello");
            assert_eq!(
                got.property("User-Id").map(|v| v.to_vec()),
                Some(known_public.into_bytes()),
                "{got:?}"
            );
        },
    );
}

/// A libzmq CURVE server whose ZAP handler allows one client key: the oxmq
/// client with another key is refused (400 both sides).
#[test]
fn libzmq_zap_refuses_unknown_oxmq_key() {
    refusal(
        cell_name!(),
        4,
        "oxmq client key refused by libzmq's ZAP handler: HandshakeFailedAuth 400 on both sides, nothing delivered",
        "DEALER, CURVE client",
        "ROUTER, CURVE server + ZAP, binds",
        || async {
            let (server_public, server_secret) = lz_keys();
            let allowed = CurveKeyPair::generate().public;
            let zap_seen = Arc::new(std::sync::Mutex::new(Vec::new()));
            let seen = zap_seen.clone();
            let zap_holder = Arc::new(std::sync::Mutex::new(None));
            let holder = zap_holder.clone();
            let (ox_ev, lz_ev) = ox_client_outcome(
                |ox| ox.set_options(|o| o.mechanism = ox_client_config(&server_public)),
                move |lz_ctx, lzs| {
                    let zap = lz::ZapHandler::start(lz_ctx, move |req| {
                        seen.lock().unwrap().push(req.clone());
                        if req.credentials.first().map(|k| &k[..]) == Some(&allowed.0[..]) {
                            lz::ZapReply::allow("allowed")
                        } else {
                            lz::ZapReply::deny("unknown key")
                        }
                    })
                    .expect("libzmq ZAP handler");
                    *holder.lock().unwrap() = Some(zap);
                    lz_curve_server(lzs, &server_secret);
                },
            )
            .await;
            assert!(
                matches!(ox_ev, SocketEvent::HandshakeFailedAuth { status_code: 400, .. }),
                "oxmq: {ox_ev:?}"
            );
            assert_eq!((lz_ev.name(), lz_ev.value), ("HANDSHAKE_FAILED_AUTH", 400));
            let seen = zap_seen.lock().unwrap();
            assert_eq!(seen.len(), 1, "one ZAP request");
            assert_eq!(seen[0].mechanism, "CURVE");
            assert_eq!(seen[0].credentials[0].len(), 32, "the client's public key");
            drop(zap_holder.lock().unwrap().take());
        },
    );
}

/// A NULL client against a CURVE server is refused both ways: the
/// mechanisms do not match.
#[test]
fn null_clients_refused_by_curve_servers() {
    refusal(
        cell_name!(),
        5,
        "NULL client against a CURVE server, both ways: refused (mechanism mismatch), nothing delivered",
        "DEALER NULL → libzmq ROUTER CURVE; ROUTER CURVE ← libzmq DEALER NULL",
        "the other side",
        || async {
            // oxmq NULL client → libzmq CURVE server.
            let (ox_ev, lz_ev) = ox_client_outcome(
                |_| {},
                |_, lzs| lz_curve_server(lzs, &lz_keys().1),
            )
            .await;
            // libzmq queues the rest of its greeting after reading our
            // signature, but when our whole greeting arrives in one read it
            // finds the mismatch and closes before writing that rest: oxmq
            // may see the mechanism (protocol failure) or only the end of
            // the stream mid-greeting (no detail).
            assert!(
                matches!(
                    ox_ev,
                    SocketEvent::HandshakeFailedProtocol { .. }
                        | SocketEvent::HandshakeFailedNoDetail { .. }
                ),
                "oxmq: {ox_ev:?}"
            );
            assert_eq!(lz_ev.name(), "HANDSHAKE_FAILED_PROTOCOL", "libzmq");

            // libzmq NULL client → oxmq CURVE server.
            let keys = CurveKeyPair::generate();
            let (ox_ev, lz_ev) = lz_client_outcome(
                |ox| ox.set_options(|o| o.mechanism = ox_server_config(&keys)),
                |_| {},
            )
            .await;
            // Same race the other way round.
            assert!(
                matches!(
                    ox_ev,
                    SocketEvent::HandshakeFailedProtocol { .. }
                        | SocketEvent::HandshakeFailedNoDetail { .. }
                ),
                "oxmq: {ox_ev:?}"
            );
            assert_eq!(lz_ev.name(), "HANDSHAKE_FAILED_PROTOCOL", "libzmq");
        },
    );
}

/// An explicit oxmq authenticator sees the libzmq client's permanent key.
#[test]
fn oxmq_authenticator_sees_libzmq_client_key() {
    refusal(
        cell_name!(),
        6,
        "oxmq authenticator is asked with the libzmq client's permanent public key (32 bytes) and its reply's user id is attached",
        "PULL-like ROUTER, CURVE server + closure authenticator, binds",
        "DEALER, CURVE client",
        || async {
            let keys = CurveKeyPair::generate();
            let server_public = keys.public.to_z85();
            let (client_public, client_secret) = lz_keys();
            let expected = CurvePublicKey::from_z85(&client_public).unwrap();
            let ctx = Context::new();
            let lz_ctx = lz::Context::new();
            let mut ox = Router::new(&ctx);
            ox.set_options(|o| {
                o.mechanism = ox_server_config(&keys);
                o.authenticator = Some(Arc::new(move |req: &oxmq_transports::ZapRequest| {
                    if req.curve_public_key() == Some(expected.0) {
                        AuthReply::allow("the-client")
                    } else {
                        AuthReply::deny(400, "unexpected key")
                    }
                }));
            });
            let lzs = lz_socket(&lz_ctx, lz::SocketType::Dealer);
            lzs.set_curve_serverkey(&server_public).unwrap();
            lzs.set_curve_publickey(&client_public).unwrap();
            lzs.set_curve_secretkey(&client_secret).unwrap();
            let _link = link(&mut ox, &lzs, Transport::Tcp, Binder::Oxmq).await;
            let (received, wait_received) = gate();
            let peer = spawn_libzmq("client", move || {
                lz_send(&lzs, &[b"hi".to_vec()], "message");
                wait_received.wait();
            });
            let got = within("oxmq recv", ox.recv()).await.expect("recv");
            received.open();
            peer.join().await;
            assert_eq!(&got[1][..], b"hi");
            assert_eq!(
                got.property("User-Id").map(|v| v.to_vec()),
                Some(b"the-client".to_vec())
            );
        },
    );
}
