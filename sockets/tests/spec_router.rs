//! RFC 28 ROUTER behaviour, after libzmq's `tests/test_spec_router.cpp`,
//! `test_router_mandatory.cpp`, `test_router_mandatory_hwm.cpp`,
//! `test_router_handover.cpp`, `test_probe_router.cpp` and
//! `test_connect_rid.cpp`, over inproc, ipc and tcp.

#[macro_use]
mod spec_support;

use bytes::Bytes;
use oxmq_sockets::{Dealer, Router, SocketError};
use oxmq_transports::{Context, SocketEvent};
use oxmq_zmtp::Message;
use spec_support::{immediately, stays_pending, wait_event, within, Transport};

per_transport!(
    fair_queue_in,
    mandatory_fails_once_the_peer_disconnected,
    mandatory_basic,
    mandatory_hwm,
    with_handover,
    without_handover,
    probe_router_router,
    connect_routing_id_router_to_router_unnamed,
    connect_routing_id_router_to_router_named,
    connect_routing_id_while_receiving,
    probe_router_dealer,
    probe_router_from_a_bound_dealer,
);

/// SHALL receive incoming messages from its peers using a fair-queuing
/// strategy, each prefixed with the routing id of its peer.
async fn fair_queue_in(t: Transport) {
    let ctx = Context::new();
    let mut receiver = Router::new(&ctx);
    let ep = receiver.bind(&t.endpoint()).await.unwrap();
    let mut senders = Vec::new();
    for peer in 0..5u8 {
        let sender = Dealer::new(&ctx);
        sender.set_options(|o| o.routing_id = Some(Bytes::from(vec![b'A' + peer])));
        sender.connect(&ep).unwrap();
        senders.push(sender);
    }
    for _ in 0..2 {
        within(senders[0].send("M")).await;
        assert_eq!(within(receiver.recv()).await, Message::from(["A", "M"]));
    }
    for sender in &mut senders {
        within(sender.send("M")).await;
    }
    let mut ids = Vec::new();
    for _ in 0..senders.len() {
        let m = within(receiver.recv()).await;
        assert_eq!(m.len(), 2);
        assert_eq!(&m[1][..], b"M");
        ids.push(m[0].to_vec());
    }
    ids.sort();
    let expected: Vec<Vec<u8>> = (0..5u8).map(|p| vec![b'A' + p]).collect();
    assert_eq!(ids, expected);
}

/// From libzmq's `test_destroy_queue_on_disconnect` (disabled upstream
/// for its other half, see `spec_pushpull`): once the peer "B" has
/// disconnected, a mandatory ROUTER cannot route to it.
async fn mandatory_fails_once_the_peer_disconnected(t: Transport) {
    let ctx = Context::new();
    let mut a = Router::new(&ctx);
    a.set_mandatory(true);
    let mut a_mon = a.monitor();
    let ep = a.bind(&t.endpoint()).await.unwrap();
    let mut b = Dealer::new(&ctx);
    b.set_options(|o| o.routing_id = Some(Bytes::from_static(b"B")));
    let mut b_mon = b.monitor();
    b.connect(&ep).unwrap();
    within(b.send("hello")).await;
    assert_eq!(within(a.recv()).await, Message::from(["B", "hello"]));
    within(a.send(["B", "ABC"])).await;
    assert_eq!(within(b.recv()).await, Message::from("ABC"));
    b.disconnect(&ep).unwrap();
    // The ROUTER hears of it with the end of the pipe: over tcp/ipc when
    // its connection ends, over inproc when the connecting side closed
    // the pipes.
    let disconnected = |e: &SocketEvent| matches!(e, SocketEvent::Disconnected { .. });
    match t {
        Transport::Inproc => wait_event(&mut b_mon, disconnected).await,
        _ => wait_event(&mut a_mon, disconnected).await,
    }
    assert!(matches!(
        a.send(["B", "DEF"]).await,
        Err(SocketError::HostUnreachable(id)) if &id[..] == b"B"
    ));
}

/// libzmq's `test_router_mandatory` `test_basic`: unknown routing ids are
/// dropped silently by default and fail with EHOSTUNREACH when mandatory.
async fn mandatory_basic(t: Transport) {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    let ep = router.bind(&t.endpoint()).await.unwrap();
    within(router.send(["UNKNOWN", "DATA"])).await;
    router.set_mandatory(true);
    assert!(matches!(
        router.send(["UNKNOWN", "DATA"]).await,
        Err(SocketError::HostUnreachable(id)) if &id[..] == b"UNKNOWN"
    ));
    let mut dealer = Dealer::new(&ctx);
    dealer.set_options(|o| o.routing_id = Some(Bytes::from_static(b"X")));
    dealer.connect(&ep).unwrap();
    within(dealer.send("Hello")).await;
    assert_eq!(within(router.recv()).await, Message::from(["X", "Hello"]));
    within(router.send(["X", "Hello"])).await;
    assert_eq!(within(dealer.recv()).await, Message::from("Hello"));
}

/// libzmq's `test_router_mandatory_hwm`: a mandatory ROUTER with SNDHWM 1
/// sending 64 KiB messages to a DEALER (RCVHWM 1) that does not read
/// blocks (EAGAIN with `ZMQ_DONTWAIT`) after a few messages — one, give
/// or take what the kernel buffers — and again after a few more once the
/// buffers drained.
async fn mandatory_hwm(t: Transport) {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    router.set_mandatory(true);
    router.set_options(|o| {
        o.sndhwm = 1;
        o.linger = Some(std::time::Duration::from_millis(1));
    });
    let ep = router.bind(&t.endpoint()).await.unwrap();
    let mut dealer = Dealer::new(&ctx);
    dealer.set_options(|o| {
        o.routing_id = Some(Bytes::from_static(b"X"));
        o.rcvhwm = 1;
    });
    dealer.connect(&ep).unwrap();
    within(dealer.send("Hello")).await;
    assert_eq!(within(router.recv()).await, Message::from(["X", "Hello"]));
    let buf = Bytes::from(vec![0u8; 65536]);
    let msg = Message::from(vec![Bytes::from_static(b"X"), buf]);
    let mut i = 0;
    while i < 100_000 && immediately(router.send(msg.clone())).is_some_and(|r| r.is_ok()) {
        i += 1;
    }
    assert!(i < 10, "sent {i} before blocking");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    while i < 100_000 && immediately(router.send(msg.clone())).is_some_and(|r| r.is_ok()) {
        i += 1;
    }
    assert!(i < 20, "sent {i} before blocking");
    if t == Transport::Inproc {
        // Exactly SNDHWM + RCVHWM.
        assert_eq!(i, 2);
    }
}

/// Two DEALERs that both announce the routing id "X"; returns them once
/// the first one's "Hello" came through (the second's is returned by
/// `recv` only with handover).
async fn two_dealers_named_x(ctx: &Context, router: &mut Router, ep: &str) -> (Dealer, Dealer) {
    let mut one = Dealer::new(ctx);
    one.set_options(|o| o.routing_id = Some(Bytes::from_static(b"X")));
    one.connect(ep).unwrap();
    within(one.send("Hello")).await;
    assert_eq!(within(router.recv()).await, Message::from(["X", "Hello"]));
    let mut two = Dealer::new(ctx);
    two.set_options(|o| o.routing_id = Some(Bytes::from_static(b"X")));
    two.connect(ep).unwrap();
    within(two.send("Hello")).await;
    (one, two)
}

/// `ZMQ_ROUTER_HANDOVER`: a new peer with a routing id in use takes it
/// over; messages to that id go to the new peer only.
async fn with_handover(t: Transport) {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    router.set_handover(true);
    let ep = router.bind(&t.endpoint()).await.unwrap();
    let (mut one, mut two) = two_dealers_named_x(&ctx, &mut router, &ep).await;
    assert_eq!(within(router.recv()).await, Message::from(["X", "Hello"]));
    within(router.send(["X", "Hello"])).await;
    assert_eq!(within(two.recv()).await, Message::from("Hello"));
    stays_pending(one.recv(), "the first dealer").await;
}

/// Without handover, the newcomer with a duplicate routing id is ignored:
/// its messages are dropped and the id keeps routing to the first peer.
async fn without_handover(t: Transport) {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    let ep = router.bind(&t.endpoint()).await.unwrap();
    let (mut one, mut two) = two_dealers_named_x(&ctx, &mut router, &ep).await;
    stays_pending(router.recv(), "the duplicate's message").await;
    within(router.send(["X", "Hello"])).await;
    assert_eq!(within(one.recv()).await, Message::from("Hello"));
    stays_pending(two.recv(), "the second dealer").await;
}

/// `ZMQ_PROBE_ROUTER` on a connecting ROUTER: the server gets an empty
/// message from "X" at once, and can answer; the client sees the server's
/// generated 5-octet routing id.
async fn probe_router_router(t: Transport) {
    let ctx = Context::new();
    let mut server = Router::new(&ctx);
    let ep = server.bind(&t.endpoint()).await.unwrap();
    let mut client = Router::new(&ctx);
    client.set_options(|o| o.routing_id = Some(Bytes::from_static(b"X")));
    client.set_probe_router(true);
    client.connect(&ep).unwrap();
    assert_eq!(within(server.recv()).await, Message::from(["X", ""]));
    within(server.send(["X", "Hello"])).await;
    let m = within(client.recv()).await;
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].len(), 5, "auto-generated routing id: {:?}", m[0]);
    assert_eq!(&m[1][..], b"Hello");
}

/// `ZMQ_PROBE_ROUTER` on a connecting DEALER.
async fn probe_router_dealer(t: Transport) {
    let ctx = Context::new();
    let mut server = Router::new(&ctx);
    let ep = server.bind(&t.endpoint()).await.unwrap();
    let mut client = Dealer::new(&ctx);
    client.set_options(|o| o.routing_id = Some(Bytes::from_static(b"X")));
    client.set_probe_router(true);
    client.connect(&ep).unwrap();
    assert_eq!(within(server.recv()).await, Message::from(["X", ""]));
    within(server.send(["X", "Hello"])).await;
    assert_eq!(within(client.recv()).await, Message::from("Hello"));
}

/// libzmq's `test_router_2_router`: a ROUTER names the peer of its next
/// connect (`ZMQ_CONNECT_ROUTING_ID`) and can send to it right away.
async fn router_to_router(t: Transport, named: bool) {
    let ctx = Context::new();
    let mut rbind = Router::new(&ctx);
    let mut rconn = Router::new(&ctx);
    if named {
        rbind.set_options(|o| o.routing_id = Some(Bytes::from_static(b"X")));
        rconn.set_options(|o| o.routing_id = Some(Bytes::from_static(b"Y")));
    }
    let ep = rbind.bind(&t.endpoint()).await.unwrap();
    rconn.set_connect_routing_id("conn1");
    rconn.connect(&ep).unwrap();
    within(rconn.send(["conn1", "hi 1"])).await;
    let m = within(rbind.recv()).await;
    let id = m[0].clone();
    if named {
        assert_eq!(&id[..], b"Y");
    } else {
        assert!(!id.is_empty() && id[0] == 0, "auto id: {id:?}");
    }
    assert_eq!(&m[1][..], b"hi 1");
    within(rbind.send(Message::from(vec![id, "ok".into()]))).await;
    assert_eq!(within(rconn.recv()).await, Message::from(["conn1", "ok"]));
}

async fn connect_routing_id_router_to_router_unnamed(t: Transport) {
    router_to_router(t, false).await;
}

async fn connect_routing_id_router_to_router_named(t: Transport) {
    router_to_router(t, true).await;
}

/// libzmq's `test_router_2_router_while_receiving`: X is bound and has a
/// peer that connected to it; X's own connect with a connect routing id
/// routes to the new peer, not to the one it is receiving from.
async fn connect_routing_id_while_receiving(t: Transport) {
    let ctx = Context::new();
    let mut xbind = Router::new(&ctx);
    xbind.set_options(|o| o.routing_id = Some(Bytes::from_static(b"X")));
    let x_ep = xbind.bind(&t.endpoint()).await.unwrap();
    let mut zbind = Router::new(&ctx);
    zbind.set_options(|o| o.routing_id = Some(Bytes::from_static(b"Z")));
    let z_ep = zbind.bind(&t.endpoint()).await.unwrap();
    let mut yconn = Router::new(&ctx);
    yconn.set_options(|o| o.routing_id = Some(Bytes::from_static(b"Y")));
    // Y connects to X, naming it "X".
    yconn.set_connect_routing_id("X");
    yconn.connect(&x_ep).unwrap();
    within(yconn.send(["X", "hi 1"])).await;
    assert_eq!(within(xbind.recv()).await, Message::from(["Y", "hi 1"]));
    // Now X connects to Z, naming it "Z", and sends to it.
    xbind.set_connect_routing_id("Z");
    xbind.connect(&z_ep).unwrap();
    within(xbind.send(["Z", "hi 1"])).await;
    assert_eq!(within(zbind.recv()).await, Message::from(["X", "hi 1"]));
    stays_pending(yconn.recv(), "Y").await;
}

/// `PROBE_ROUTER` on a DEALER that binds: each ROUTER that connects is
/// probed as soon as it is connected, without the DEALER being used.
async fn probe_router_from_a_bound_dealer(t: Transport) {
    let ctx = Context::new();
    let mut dealer = Dealer::new(&ctx);
    dealer.set_options(|o| o.routing_id = Some(Bytes::from_static(b"D")));
    dealer.set_probe_router(true);
    let ep = dealer.bind(&t.endpoint()).await.unwrap();
    let mut routers = Vec::new();
    for _ in 0..2 {
        let mut router = Router::new(&ctx);
        router.connect(&ep).unwrap();
        routers.push(router);
    }
    for router in &mut routers {
        assert_eq!(within(router.recv()).await, Message::from(["D", ""]));
        within(router.send(["D", "Hello"])).await;
    }
    for _ in 0..2 {
        assert_eq!(within(dealer.recv()).await, Message::from("Hello"));
    }
}
