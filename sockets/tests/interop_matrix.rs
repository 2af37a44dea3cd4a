//! Interoperability matrix: every oxmq socket pattern against a real libzmq
//! 4.3.5 peer (the test-only `oxmq-interop` crate), in both role
//! assignments, with either side binding, over tcp and ipc.
//!
//! Every cell is its own `#[test]`, named
//! `<oxmq role>_<libzmq role>::<who binds>::<transport>` (e.g.
//! `oxmq_req_libzmq_router::libzmq_binds::ipc`), and exchanges the whole
//! [`corpus`], checking every frame of every message in order. Each cell
//! records its outcome under `target/tmp/interop-matrix/`; run
//! `cargo run -p oxmq-sockets --example interop_table` afterwards to turn
//! the records into `INTEROP.md`.
//!
//! Flows (how a cell uses the corpus):
//!
//! * [`ox_to_lz`] / [`lz_to_ox`]: one side sends, the other receives
//!   (PUSH → PULL);
//! * [`both_ways`]: oxmq sends it all, then libzmq sends it all back
//!   (PAIR, DEALER ↔ DEALER);
//! * [`ox_publishes`] / [`ox_subscribes`]: the subscriber subscribes to
//!   everything, the publisher sends probes until one arrives (slow joiner,
//!   bounded retry), then the corpus (PUB/XPUB → SUB/XSUB);
//! * [`ox_client_echo`] / [`lz_client_echo`]: the client sends each message,
//!   the server echoes it; envelopes are checked exactly (a ROUTER sees the
//!   client's routing id, plus the empty delimiter when the client is a
//!   REQ; a DEALER talking to a REP adds and strips the delimiter itself).
//!
//! # Adding a row
//!
//! 1. If the oxmq type is new, give it the harness traits in
//!    `interop_support/mod.rs`: `ox_socket!(Type, "NAME", send, recv);`.
//! 2. Add a line to the `matrix!` invocation at the end (name, rank, pattern
//!    label, oxmq type, libzmq `SocketType` variant, flow); it expands to
//!    four `#[test]`s. Write a new `async fn flow<S>(Transport, Binder,
//!    lz::SocketType)` (and a `flow_label` entry) when none of the above
//!    fits.

#[macro_use]
mod interop_support;

use interop_support::*;
use oxmq_interop as lz;
use oxmq_sockets::{Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Sub, Xpub, Xsub};
use oxmq_transports::Context;

/// oxmq sends the corpus, libzmq receives it.
async fn ox_to_lz<S: OxSend>(transport: Transport, binder: Binder, kind: lz::SocketType) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    let lzs = lz_socket(&lz_ctx, kind);
    let _link = link(&mut ox, &lzs, transport, binder).await;

    let n = corpus().len();
    let receiver = spawn_libzmq("receiver", move || {
        (0..n)
            .map(|i| lz_recv(&lzs, &format!("corpus message {i}")))
            .collect::<Vec<_>>()
    });
    for item in corpus() {
        ox_send(&mut ox, &item.frames, item.name).await;
    }
    let got = receiver.join().await;
    assert_corpus("oxmq → libzmq", &got);
}

/// libzmq sends the corpus, oxmq receives it.
async fn lz_to_ox<S: OxRecv>(transport: Transport, binder: Binder, kind: lz::SocketType) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    let lzs = lz_socket(&lz_ctx, kind);
    let _link = link(&mut ox, &lzs, transport, binder).await;

    let (received, wait_received) = gate();
    let sender = spawn_libzmq("sender", move || {
        for item in corpus() {
            lz_send(&lzs, &item.frames, item.name);
        }
        // Keep the socket (and its queued frames) until oxmq has them all.
        wait_received.wait();
    });
    let mut got = Vec::new();
    for item in corpus() {
        got.push(ox_recv(&mut ox, item.name).await);
    }
    received.open();
    sender.join().await;
    assert_corpus("libzmq → oxmq", &got);
}

/// oxmq sends the corpus to libzmq, then libzmq sends it back to oxmq
/// (symmetric patterns: PAIR, later DEALER–DEALER).
async fn both_ways<S: OxSend + OxRecv>(transport: Transport, binder: Binder, kind: lz::SocketType) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    let lzs = lz_socket(&lz_ctx, kind);
    let _link = link(&mut ox, &lzs, transport, binder).await;

    let n = corpus().len();
    let (received, wait_received) = gate();
    let peer = spawn_libzmq("pair", move || {
        let got: Vec<_> = (0..n)
            .map(|i| lz_recv(&lzs, &format!("corpus message {i}")))
            .collect();
        for item in corpus() {
            lz_send(&lzs, &item.frames, item.name);
        }
        wait_received.wait();
        got
    });
    for item in corpus() {
        ox_send(&mut ox, &item.frames, item.name).await;
    }
    let mut got_ox = Vec::new();
    for item in corpus() {
        got_ox.push(ox_recv(&mut ox, item.name).await);
    }
    received.open();
    let got_lz = peer.join().await;
    assert_corpus("oxmq → libzmq", &got_lz);
    assert_corpus("libzmq → oxmq", &got_ox);
}

// ---------------------------------------------------------------------------
// PUB/SUB: the publisher sends probes until the subscriber has seen one
// (slow joiner: a PUB drops messages for which no subscription has arrived
// yet), then the corpus. The subscriber skips probes.
// ---------------------------------------------------------------------------

/// Sent by publishers until the subscriber confirms one arrived.
const PROBE: &[u8] = b"oxmq-interop-probe";
/// Pacing of the probes (a bounded retry loop, not synchronisation).
const PROBE_EVERY: std::time::Duration = std::time::Duration::from_millis(10);

fn is_probe(m: &[Vec<u8>]) -> bool {
    m.len() == 1 && m[0] == PROBE
}

/// oxmq PUB/XPUB publishes the corpus to a libzmq SUB/XSUB subscribed to
/// everything.
async fn ox_publishes<S: OxSend>(transport: Transport, binder: Binder, kind: lz::SocketType) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    let lzs = lz_socket(&lz_ctx, kind);
    lz_subscribe_all(&lzs);
    let _link = link(&mut ox, &lzs, transport, binder).await;

    let n = corpus().len();
    let (ready_tx, mut ready_rx) = tokio::sync::oneshot::channel::<()>();
    let subscriber = spawn_libzmq("subscriber", move || {
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

/// A libzmq PUB/XPUB publishes the corpus to an oxmq SUB/XSUB subscribed to
/// everything.
async fn ox_subscribes<S: OxSubscribe>(transport: Transport, binder: Binder, kind: lz::SocketType) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    ox.subscribe_all().await;
    let lzs = lz_socket(&lz_ctx, kind);
    let _link = link(&mut ox, &lzs, transport, binder).await;

    let (ready, wait_ready) = gate();
    let (received, wait_received) = gate();
    let publisher = spawn_libzmq("publisher", move || {
        let start = std::time::Instant::now();
        while !wait_ready.is_open() {
            assert!(
                start.elapsed() < SAFETY,
                "no probe reached oxmq within {SAFETY:?}"
            );
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

// ---------------------------------------------------------------------------
// Request-reply: the client sends each corpus message, the server echoes it.
// Envelopes are checked exactly: a ROUTER sees [routing id] (+ [""] when the
// client is a REQ) in front of the payload; a DEALER talking to a REP must
// add and strip the empty delimiter itself.
// ---------------------------------------------------------------------------

/// Routing id given to the client of a request-reply cell.
const CLIENT_ID: &[u8] = b"interop-client";

fn is_req(name: &str) -> bool {
    name == "REQ"
}

/// The envelope a client application adds: `[""]` for DEALER → REP.
fn client_envelope(client: &str, server: &str) -> Vec<Vec<u8>> {
    if client == "DEALER" && server == "REP" {
        vec![Vec::new()]
    } else {
        Vec::new()
    }
}

/// What a ROUTER server application sees before the payload.
fn router_envelope(client: &str) -> Vec<Vec<u8>> {
    let mut env = vec![CLIENT_ID.to_vec()];
    if is_req(client) {
        env.push(Vec::new());
    }
    env
}

fn strip_envelope(m: Vec<Vec<u8>>, env: &[Vec<u8>], what: &str) -> Vec<Vec<u8>> {
    assert!(
        m.len() > env.len() && m[..env.len()] == *env,
        "{what}: expected envelope {} before the payload, got {}",
        describe(env),
        describe(&m)
    );
    m[env.len()..].to_vec()
}

fn with_envelope(env: &[Vec<u8>], payload: &[Vec<u8>]) -> Vec<Vec<u8>> {
    env.iter().chain(payload).cloned().collect()
}

fn lz_name(kind: lz::SocketType) -> &'static str {
    match kind {
        lz::SocketType::Req => "REQ",
        lz::SocketType::Rep => "REP",
        lz::SocketType::Dealer => "DEALER",
        lz::SocketType::Router => "ROUTER",
        _ => "OTHER",
    }
}

/// oxmq REQ/DEALER (routing id [`CLIENT_ID`]) sends requests to a libzmq
/// REP/ROUTER that echoes them.
async fn ox_client_echo<S: OxSend + OxRecv>(
    transport: Transport,
    binder: Binder,
    kind: lz::SocketType,
) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    ox.options(|o| o.routing_id = Some(bytes::Bytes::from_static(CLIENT_ID)));
    let lzs = lz_socket(&lz_ctx, kind);
    let _link = link(&mut ox, &lzs, transport, binder).await;
    let ox_env = client_envelope(S::NAME, lz_name(kind));
    let server_env = if kind == lz::SocketType::Router {
        router_envelope(S::NAME)
    } else {
        Vec::new()
    };

    let n = corpus().len();
    let (done, wait_done) = gate();
    let server = spawn_libzmq("server", move || {
        let requests: Vec<_> = (0..n)
            .map(|i| {
                let what = format!("request {i}");
                let m = lz_recv(&lzs, &what);
                lz_send(&lzs, &m, &format!("reply {i}"));
                strip_envelope(m, &server_env, &what)
            })
            .collect();
        // Keep the socket (LINGER 0) until the last reply has arrived.
        wait_done.wait();
        requests
    });
    let mut replies = Vec::new();
    for item in corpus() {
        ox_send(&mut ox, &with_envelope(&ox_env, &item.frames), item.name).await;
        let reply = ox_recv(&mut ox, item.name).await;
        replies.push(strip_envelope(reply, &ox_env, item.name));
    }
    done.open();
    let requests = server.join().await;
    assert_corpus("requests oxmq → libzmq", &requests);
    assert_corpus("replies libzmq → oxmq", &replies);
}

/// A libzmq REQ/DEALER (routing id [`CLIENT_ID`]) sends requests to an oxmq
/// REP/ROUTER that echoes them.
async fn lz_client_echo<S: OxSend + OxRecv>(
    transport: Transport,
    binder: Binder,
    kind: lz::SocketType,
) {
    let ctx = Context::new();
    let lz_ctx = lz::Context::new();
    let mut ox = S::create(&ctx);
    let lzs = lz_socket(&lz_ctx, kind);
    lzs.set_routing_id(CLIENT_ID).unwrap();
    let _link = link(&mut ox, &lzs, transport, binder).await;
    let lz_env = client_envelope(lz_name(kind), S::NAME);
    let server_env = if S::NAME == "ROUTER" {
        router_envelope(lz_name(kind))
    } else {
        Vec::new()
    };

    let (done, wait_done) = gate();
    let client = spawn_libzmq("client", move || {
        let replies: Vec<_> = corpus()
            .iter()
            .map(|item| {
                lz_send(&lzs, &with_envelope(&lz_env, &item.frames), item.name);
                strip_envelope(lz_recv(&lzs, item.name), &lz_env, item.name)
            })
            .collect();
        wait_done.wait();
        replies
    });
    let mut requests = Vec::new();
    for item in corpus() {
        let m = ox_recv(&mut ox, item.name).await;
        ox_send(&mut ox, &m, item.name).await;
        requests.push(strip_envelope(m, &server_env, item.name));
    }
    done.open();
    let replies = client.join().await;
    assert_corpus("requests libzmq → oxmq", &requests);
    assert_corpus("replies oxmq → libzmq", &replies);
}

fn flow_label(flow: &str) -> &'static str {
    match flow {
        "ox_to_lz" => "oxmq → libzmq",
        "lz_to_ox" => "libzmq → oxmq",
        "both_ways" => "both ways",
        "ox_publishes" => "oxmq → libzmq (subscribed to all)",
        "ox_subscribes" => "libzmq → oxmq (subscribed to all)",
        "ox_client_echo" => "requests oxmq → libzmq, echoed back",
        "lz_client_echo" => "requests libzmq → oxmq, echoed back",
        _ => "custom",
    }
}

/// Runs one cell and records it in the "Socket patterns" table.
#[allow(clippy::too_many_arguments)]
fn cell<Fut: std::future::Future<Output = ()>>(
    cell: String,
    pattern_rank: u32,
    pattern: &'static str,
    ox_name: &'static str,
    lz_name: &str,
    flow: &str,
    binder: Binder,
    transport: Transport,
    run: impl FnOnce(Transport, Binder) -> Fut,
) {
    let rank = pattern_rank * 100
        + if binder == Binder::Oxmq { 0 } else { 10 }
        + if transport == Transport::Tcp { 0 } else { 1 };
    let row = Row {
        section: "Socket patterns",
        section_rank: 10,
        note: corpus_summary(),
        rank,
        cell,
        columns: vec![
            ("pattern", pattern.to_string()),
            ("oxmq", ox_name.to_string()),
            ("libzmq", lz_name.to_string()),
            ("messages", flow_label(flow).to_string()),
            ("binds", binder.name().to_string()),
            ("transport", transport.name().to_string()),
        ],
        known_bug: None,
    };
    run_cell(row, || run(transport, binder));
}

/// `name: rank, "PATTERN", OxType, LibzmqType, flow;` expands to
/// `mod name { mod oxmq_binds { fn tcp, fn ipc } mod libzmq_binds { … } }`:
/// four `#[test]`s.
macro_rules! matrix {
    ($($name:ident: $rank:literal, $pattern:literal, $ox:ident, $lz:ident, $flow:ident;)*) => {$(
        mod $name {
            use super::*;
            matrix!(@binder $rank, $pattern, $ox, $lz, $flow, oxmq_binds, Binder::Oxmq);
            matrix!(@binder $rank, $pattern, $ox, $lz, $flow, libzmq_binds, Binder::Libzmq);
        }
    )*};
    (@binder $rank:literal, $pattern:literal, $ox:ident, $lz:ident, $flow:ident, $bmod:ident, $binder:expr) => {
        mod $bmod {
            use super::*;
            matrix!(@test $rank, $pattern, $ox, $lz, $flow, $binder, tcp, Transport::Tcp);
            matrix!(@test $rank, $pattern, $ox, $lz, $flow, $binder, ipc, Transport::Ipc);
        }
    };
    (@test $rank:literal, $pattern:literal, $ox:ident, $lz:ident, $flow:ident, $binder:expr, $tname:ident, $transport:expr) => {
        #[test]
        fn $tname() {
            cell(
                cell_name!(),
                $rank,
                $pattern,
                <$ox as OxSocket>::NAME,
                &stringify!($lz).to_uppercase(),
                stringify!($flow),
                $binder,
                $transport,
                |t, b| $flow::<$ox>(t, b, lz::SocketType::$lz),
            );
        }
    };
}

matrix! {
    oxmq_push_libzmq_pull: 10, "PUSH → PULL", Push, Pull, ox_to_lz;
    libzmq_push_oxmq_pull: 11, "PUSH → PULL", Pull, Push, lz_to_ox;
    oxmq_pair_libzmq_pair: 20, "PAIR ↔ PAIR", Pair, Pair, both_ways;
    oxmq_pub_libzmq_sub: 30, "PUB → SUB", Pub, Sub, ox_publishes;
    libzmq_pub_oxmq_sub: 31, "PUB → SUB", Sub, Pub, ox_subscribes;
    oxmq_xpub_libzmq_xsub: 32, "XPUB → XSUB", Xpub, XSub, ox_publishes;
    libzmq_xpub_oxmq_xsub: 33, "XPUB → XSUB", Xsub, XPub, ox_subscribes;
    oxmq_req_libzmq_rep: 40, "REQ → REP", Req, Rep, ox_client_echo;
    libzmq_req_oxmq_rep: 41, "REQ → REP", Rep, Req, lz_client_echo;
    oxmq_req_libzmq_router: 42, "REQ → ROUTER", Req, Router, ox_client_echo;
    libzmq_req_oxmq_router: 43, "REQ → ROUTER", Router, Req, lz_client_echo;
    oxmq_dealer_libzmq_rep: 44, "DEALER → REP", Dealer, Rep, ox_client_echo;
    libzmq_dealer_oxmq_rep: 45, "DEALER → REP", Rep, Dealer, lz_client_echo;
    oxmq_dealer_libzmq_router: 50, "DEALER → ROUTER", Dealer, Router, ox_client_echo;
    libzmq_dealer_oxmq_router: 51, "DEALER → ROUTER", Router, Dealer, lz_client_echo;
    oxmq_dealer_libzmq_dealer: 52, "DEALER ↔ DEALER", Dealer, Dealer, both_ways;
}
