//! Subscriptions between a SUB-typed and a PUB-typed transport: the SUB
//! socket's `\x01topic` / `\x00topic` messages travel as SUBSCRIBE/CANCEL
//! commands over ZMTP 3.1, arrive at the PUB socket as messages again, and
//! are sent again by the transport itself after a reconnection.

mod support;

use std::collections::BTreeMap;

use oxmq_transports::{Context, SocketEvent};
use oxmq_zmtp::SocketType;
use support::*;

/// Subscriptions reach the PUB side as `\x01topic` / `\x00topic`
/// messages; published messages reach the SUB side.
async fn subscription_reaches_pub(t: Transport) {
    let ctx = Context::new();
    let (publisher, mut pub_peers) = socket(&ctx, SocketType::Pub);
    let ep = publisher.bind(&t.bind_endpoint()).await.expect("bind");
    let (subscriber, mut sub_peers) = socket(&ctx, SocketType::Sub);
    subscriber.connect(&ep).expect("connect");
    let (mut sp, info) = sub_peers.next_connected().await;
    assert_eq!(info.peer.socket_type, SocketType::Pub);
    let (mut pp, info) = pub_peers.next_connected().await;
    assert_eq!(info.peer.socket_type, SocketType::Sub);

    send_msg(&sp, &b"\x01topic"[..]).await;
    assert_eq!(body(&recv_msg(&mut pp).await), b"\x01topic");
    send_msg(&sp, &b"\x00topic"[..]).await;
    assert_eq!(body(&recv_msg(&mut pp).await), b"\x00topic");
    // The empty topic (subscribe to everything) too.
    send_msg(&sp, &b"\x01"[..]).await;
    assert_eq!(body(&recv_msg(&mut pp).await), b"\x01");

    send_msg(&pp, "topic news").await;
    assert_eq!(body(&recv_msg(&mut sp).await), b"topic news");
}
per_transport!(subscription_reaches_pub, tcp, ipc, inproc);

/// On the wire (tcp, towards a hand-driven PUB), the SUB transport sends a
/// SUBSCRIBE command, not a message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_is_a_command_on_the_wire() {
    let ctx = Context::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (subscriber, mut sub_peers) = socket(&ctx, SocketType::Sub);
    subscriber
        .connect(&format!("tcp://{addr}"))
        .expect("connect");
    let sp = sub_peers.next().await;
    send_msg(&sp, &b"\x01weather"[..]).await;
    send_msg(&sp, &b"\x00weather"[..]).await;

    let (mut raw, _) = within("the connection", listener.accept())
        .await
        .expect("accept");
    raw_null_handshake(&mut raw, "PUB").await;
    let f = within("SUBSCRIBE", read_frame(&mut raw))
        .await
        .expect("read");
    assert_eq!(f.command_name(), Some(&b"SUBSCRIBE"[..]), "got {f:?}");
    assert_eq!(f.command_data(), b"weather");
    let f = within("CANCEL", read_frame(&mut raw)).await.expect("read");
    assert_eq!(f.command_name(), Some(&b"CANCEL"[..]), "got {f:?}");
    assert_eq!(f.command_data(), b"weather");
}

/// The PUB side goes away and comes back on the same endpoint: the SUB
/// transport replays its subscriptions (counted: subscribing twice needs
/// two cancels) to the new PUB peer, without the SUB socket sending them
/// again. Only over tcp and ipc: an inproc reconnection is a new pipe, and
/// re-subscribing on it is the socket layer's job.
async fn subscriptions_replayed_after_reconnect(t: Transport) {
    let ctx = Context::new();
    let (publisher, mut pub_peers) = socket(&ctx, SocketType::Pub);
    let mut pub_mon = publisher.monitor();
    let ep = publisher.bind(&t.bind_endpoint()).await.expect("bind");
    let (subscriber, mut sub_peers) = socket(&ctx, SocketType::Sub);
    let mut sub_mon = subscriber.monitor();
    subscriber.connect(&ep).expect("connect");
    let (mut sp, _) = sub_peers.next_connected().await;
    let (mut pp, _) = pub_peers.next_connected().await;

    let subs: [&[u8]; 5] = [b"\x01topic", b"\x01a", b"\x01a", b"\x01b", b"\x00b"];
    for s in subs {
        send_msg(&sp, s).await;
        assert_eq!(body(&recv_msg(&mut pp).await), s);
    }

    drop((pp, pub_peers, publisher));
    wait_event(&mut pub_mon, "the listener to close", |e| {
        matches!(e, SocketEvent::Closed { .. })
    })
    .await;
    wait_event(&mut sub_mon, "the SUB side to notice", |e| {
        matches!(e, SocketEvent::Disconnected { .. })
    })
    .await;

    let (publisher2, mut pub_peers2) = socket(&ctx, SocketType::Pub);
    publisher2.bind(&ep).await.expect("rebind");
    let (mut pp2, _) = pub_peers2.next_connected().await;
    expect_connected(&mut sp).await;

    // Each subscribed topic once ("a" too: publishers keep a set per peer,
    // as libzmq's do), "b" not at all (cancelled); order is free.
    let mut replayed = BTreeMap::new();
    for _ in 0..2 {
        let m = recv_msg(&mut pp2).await;
        *replayed.entry(body(&m).to_vec()).or_insert(0) += 1;
    }
    let expected = BTreeMap::from([(b"\x01topic".to_vec(), 1), (b"\x01a".to_vec(), 1)]);
    assert_eq!(replayed, expected);

    // Nothing else was replayed; new traffic flows both ways.
    send_msg(&sp, &b"\x01c"[..]).await;
    assert_eq!(body(&recv_msg(&mut pp2).await), b"\x01c");
    send_msg(&pp2, "topic again").await;
    assert_eq!(body(&recv_msg(&mut sp).await), b"topic again");
}
per_transport!(subscriptions_replayed_after_reconnect, tcp, ipc);
