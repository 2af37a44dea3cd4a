//! `ZMQ_IMMEDIATE`, after libzmq's `tests/test_immediate.cpp`, over ipc and
//! tcp: without it a connect makes a pipe at once and messages queue for a
//! peer that is not there yet; with it the pipe exists only while the
//! connection is up.
//!
//! The endpoint that never connects is a listener that accepts at the OS
//! level but never answers the ZMTP greeting, so no handshake ever
//! completes there (libzmq's test uses a port nobody listens on).

#[macro_use]
mod spec_support;

use oxmq_sockets::{Dealer, Pull, Push, TrySendError};
use oxmq_transports::{Context, SocketEvent};
use oxmq_zmtp::Message;
use spec_support::{stays_pending, wait_event, within, Transport, SAFETY};

per_transport!(
    messages_queue_for_a_peer_not_connected_yet,
    ipc_and_tcp_only
);
per_transport!(immediate_routes_only_to_connected_peers, ipc_and_tcp_only);
per_transport!(immediate_blocks_while_disconnected, ipc_and_tcp_only);

/// Test 1: PUSH to two endpoints, one that never connects: the PUSH load
/// balances over both pipes, so half of ten messages wait in the pipe of
/// the missing peer and five arrive.
async fn messages_queue_for_a_peer_not_connected_yet(t: Transport) {
    let ctx = Context::new();
    let mut to = Pull::new(&ctx);
    to.set_options(|o| o.linger = Some(std::time::Duration::ZERO));
    let ep = to.bind(&t.endpoint()).await.unwrap();
    let (_stalled, dead) = t.stalled_listener().unwrap();
    let mut from = Push::new(&ctx);
    from.set_options(|o| o.linger = Some(std::time::Duration::ZERO));
    from.connect(&dead).unwrap();
    from.connect(&ep).unwrap();
    for _ in 0..10 {
        within(from.send("Hello")).await;
    }
    for _ in 0..5 {
        assert_eq!(within(to.recv()).await, Message::from("Hello"));
    }
    stays_pending(to.recv(), "a sixth message").await;
}

/// Test 2: the same with `immediate`: the pipe to the missing peer is not
/// made until its connection is up, so all ten messages arrive.
async fn immediate_routes_only_to_connected_peers(t: Transport) {
    let ctx = Context::new();
    let mut to = Pull::new(&ctx);
    let ep = to.bind(&t.endpoint()).await.unwrap();
    let (_stalled, dead) = t.stalled_listener().unwrap();
    let mut from = Push::new(&ctx);
    from.set_options(|o| {
        o.linger = Some(std::time::Duration::ZERO);
        o.immediate = true;
    });
    from.connect(&dead).unwrap();
    from.connect(&ep).unwrap();
    for _ in 0..10 {
        within(from.send("Hello")).await;
    }
    for _ in 0..10 {
        assert_eq!(within(to.recv()).await, Message::from("Hello"));
    }
}

/// Test 3: with `immediate`, a connection that breaks takes its pipe away:
/// sending would block until the peer is back, then works again.
async fn immediate_blocks_while_disconnected(t: Transport) {
    let ctx = Context::new();
    let mut backend = Dealer::new(&ctx);
    backend.set_options(|o| o.linger = Some(std::time::Duration::ZERO));
    let ep = backend.bind(&t.endpoint()).await.unwrap();
    let mut frontend = Dealer::new(&ctx);
    frontend.set_options(|o| {
        o.linger = Some(std::time::Duration::ZERO);
        o.immediate = true;
    });
    let mut mon = frontend.monitor();
    frontend.connect(&ep).unwrap();
    // Ping backend to frontend so we know when the connection is up.
    within(backend.send("Hello")).await;
    assert_eq!(within(frontend.recv()).await, Message::from("Hello"));
    frontend.try_send("Hello").unwrap();
    drop(backend);
    wait_event(&mut mon, |e| matches!(e, SocketEvent::Disconnected { .. })).await;
    // The session drops the pipe right after reporting the disconnection.
    let deadline = tokio::time::Instant::now() + SAFETY;
    loop {
        match frontend.try_send("Hello") {
            Err(TrySendError::WouldBlock(_)) => break,
            Ok(()) => {
                assert!(tokio::time::Instant::now() < deadline, "never blocked");
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            Err(e) => panic!("{e}"),
        }
    }
    // Recreate the backend on the same endpoint.
    let mut backend = Dealer::new(&ctx);
    backend.set_options(|o| o.linger = Some(std::time::Duration::ZERO));
    backend.bind(&ep).await.unwrap();
    within(backend.send("Hello")).await;
    assert_eq!(within(frontend.recv()).await, Message::from("Hello"));
    frontend.try_send("Hello again").unwrap();
    assert_eq!(within(backend.recv()).await, Message::from("Hello again"));
}
