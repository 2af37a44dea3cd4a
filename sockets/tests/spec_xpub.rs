//! XPUB behaviour, after libzmq's `tests/test_xpub_manual.cpp`,
//! `test_xpub_nodrop.cpp`, `test_xpub_welcome_msg.cpp`,
//! `test_xpub_verbose.cpp`, `test_xpub_topic.cpp` and
//! `test_pub_invert_matching.cpp` (and the blocking case of
//! `test_hwm_pubsub.cpp`), over inproc, ipc and tcp.
//!
//! "Nothing was reported" checks use a marker instead of a timeout: the
//! same subscriber then subscribes to and cancels a topic nobody else
//! uses, which XPUB always reports; as a peer's messages arrive in order,
//! the marker must come next.

#[macro_use]
mod spec_support;

use bytes::Bytes;
use oxmq_sockets::{Sub, Xpub, Xsub};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use spec_support::{immediately, number_of, numbered, stays_pending, within, Transport};

per_transport!(
    manual_basic,
    manual_unsubscribe,
    manual_missing_subscriptions,
    manual_unsubscribe_cleanup,
    user_message,
    nodrop_blocks_at_the_hwm_and_loses_nothing,
    nodrop_streams_without_loss,
    welcome_msg_reaches_each_new_subscriber,
    verbose_one_sub,
    verbose_two_subs,
    verboser_one_sub,
    verboser_two_subs,
    subscribe_and_cancel_long_topics,
    invert_matching,
    a_subscription_goes_out_once,
);
per_transport!(
    manual_proxy_unsubscribes_on_disconnect,
    inproc: [],
    ipc: [],
    tcp: []
);
per_transport!(
    welcome_msg_to_a_subscriber_that_subscribed_before_connecting,
    inproc: [],
    ipc: [],
    tcp: []
);
per_transport!(
    subscriptions_made_around_connect_go_out_once,
    a_bound_sub_subscribes_a_publisher_that_connects,
    a_conflating_sub_loses_no_subscription,
);
per_transport!(
    sub_cancels_only_its_last_subscription_to_a_topic,
    inproc: [],
    ipc: [],
    tcp: []
);
per_transport!(
    xpub_one_cancel_removes_a_peer_subscription,
    inproc: [],
    ipc: [],
    tcp: []
);

fn sub_msg(subscribe: bool, topic: &[u8]) -> Message {
    let mut v = vec![u8::from(subscribe)];
    v.extend_from_slice(topic);
    Message::from(v)
}

/// Asserts that `sub` had nothing else reported before: subscribes to and
/// cancels a marker topic, and expects exactly those two reports next.
async fn nothing_reported_from(xpub: &mut Xpub, sub: &mut Sub) {
    within(sub.subscribe("~marker")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"~marker"));
    within(sub.unsubscribe("~marker")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"~marker"));
}

/// The same for a raw XSUB.
async fn nothing_reported_from_xsub(xpub: &mut Xpub, xsub: &mut Xsub) {
    within(xsub.send(sub_msg(true, b"~marker"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"~marker"));
    within(xsub.send(sub_msg(false, b"~marker"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"~marker"));
}

async fn xpub_and_xsub(t: Transport, manual: bool) -> (Context, Xpub, Xsub) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_manual(manual);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let xsub = Xsub::new(&ctx);
    xsub.connect(&ep).unwrap();
    (ctx, xpub, xsub)
}

/// XPUB_MANUAL: subscriptions are reported, not applied; the application
/// subscribes the peer of the last one to what it wants instead.
async fn manual_basic(t: Transport) {
    let (_ctx, mut xpub, mut xsub) = xpub_and_xsub(t, true).await;
    within(xsub.send(sub_msg(true, b"A"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    xpub.subscribe("B");
    within(xpub.send("A")).await;
    within(xpub.send("B")).await;
    // "A" would have come first.
    assert_eq!(within(xsub.recv()).await, Message::from("B"));
}

/// XPUB_MANUAL, libzmq's `test_unsubscribe_manual`: cancellations are
/// reported and applied by hand too, and when the subscriber goes away
/// its remaining subscriptions are reported as cancelled.
async fn manual_unsubscribe(t: Transport) {
    let (_ctx, mut xpub, mut xsub) = xpub_and_xsub(t, true).await;
    within(xsub.send(sub_msg(true, b"A"))).await;
    within(xsub.send(sub_msg(true, b"B"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    xpub.subscribe("XA");
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"B"));
    xpub.subscribe("XB");
    within(xsub.send(sub_msg(false, b"A"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
    xpub.unsubscribe("XA");
    within(xpub.send("XA")).await;
    within(xpub.send("XB")).await;
    assert_eq!(within(xsub.recv()).await, Message::from("XB"));
    drop(xsub);
    // "B" was still subscribed.
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"B"));
    xpub.unsubscribe("XB");
}

/// XPUB_MANUAL in a proxy, libzmq's
/// `test_xpub_proxy_unsubscribe_on_disconnect`: XSUB frontend, manual XPUB
/// backend, the proxy confirming each (un)subscription by hand. (The
/// publisher is an XPUB, so that the test can wait for subscriptions to
/// reach it where libzmq sleeps, and it binds, so that the frontend has
/// its pipe from `connect` on.)
async fn manual_proxy_unsubscribes_on_disconnect(t: Transport) {
    let ctx = Context::new();
    let mut xpub_proxy = Xpub::new(&ctx);
    xpub_proxy.set_manual(true);
    let back = xpub_proxy.bind(&t.endpoint()).await.unwrap();
    let mut publisher = Xpub::new(&ctx);
    let front = publisher.bind(&t.endpoint()).await.unwrap();
    let mut xsub_proxy = Xsub::new(&ctx);
    xsub_proxy.connect(&front).unwrap();

    let mut sub1 = Sub::new(&ctx);
    sub1.connect(&back).unwrap();
    within(sub1.subscribe("1")).await;
    assert_eq!(within(xpub_proxy.recv()).await, sub_msg(true, b"1"));
    xpub_proxy.subscribe("1");
    within(xsub_proxy.send(sub_msg(true, b"1"))).await;
    assert_eq!(within(publisher.recv()).await, sub_msg(true, b"1"));

    let mut sub2 = Sub::new(&ctx);
    sub2.connect(&back).unwrap();
    within(sub2.subscribe("1")).await;
    assert_eq!(within(xpub_proxy.recv()).await, sub_msg(true, b"1"));
    xpub_proxy.subscribe("1");
    within(xsub_proxy.send(sub_msg(true, b"1"))).await;

    within(publisher.send(["1", "X"])).await;
    let m = within(xsub_proxy.recv()).await;
    assert_eq!(m, Message::from(["1", "X"]));
    within(xpub_proxy.send(m)).await;
    assert_eq!(within(sub2.recv()).await, Message::from(["1", "X"]));
    assert_eq!(within(sub1.recv()).await, Message::from(["1", "X"]));

    drop(sub1);
    drop(sub2);
    for _ in 0..2 {
        assert_eq!(within(xpub_proxy.recv()).await, sub_msg(false, b"1"));
        xpub_proxy.unsubscribe("1");
        within(xsub_proxy.send(sub_msg(false, b"1"))).await;
    }
    // The cancellation reached the publisher: nothing comes to the proxy.
    assert_eq!(within(publisher.recv()).await, sub_msg(false, b"1"));
    within(publisher.send(["1", "X"])).await;
    stays_pending(xsub_proxy.recv(), "the proxy frontend").await;
}

/// XPUB_MANUAL, libzmq's `test_missing_subscriptions`: each manual
/// subscription applies to the subscriber whose (un)subscription the
/// application received last — here both subscriptions are already queued
/// when the proxy reads the first one.
async fn manual_missing_subscriptions(t: Transport) {
    let ctx = Context::new();
    let mut xpub_proxy = Xpub::new(&ctx);
    xpub_proxy.set_manual(true);
    let back = xpub_proxy.bind(&t.endpoint()).await.unwrap();
    let mut publisher = Xpub::new(&ctx);
    let front = publisher.bind(&t.endpoint()).await.unwrap();
    let mut xsub_proxy = Xsub::new(&ctx);
    publisher.set_verbose(true);
    xsub_proxy.connect(&front).unwrap();

    let mut sub1 = Sub::new(&ctx);
    sub1.connect(&back).unwrap();
    within(sub1.subscribe("1")).await;
    let mut sub2 = Sub::new(&ctx);
    sub2.connect(&back).unwrap();
    within(sub2.subscribe("2")).await;

    for _ in 0..2 {
        let m = within(xpub_proxy.recv()).await;
        assert_eq!(m.len(), 1);
        xpub_proxy.subscribe(m[0].slice(1..));
        within(xsub_proxy.send(m.clone())).await;
        assert_eq!(within(publisher.recv()).await, m);
    }
    within(publisher.send(["1", "X"])).await;
    within(publisher.send(["2", "X"])).await;
    for _ in 0..2 {
        let m = within(xsub_proxy.recv()).await;
        within(xpub_proxy.send(m)).await;
    }
    assert_eq!(within(sub1.recv()).await, Message::from(["1", "X"]));
    assert_eq!(within(sub2.recv()).await, Message::from(["2", "X"]));
}

/// XPUB_MANUAL, libzmq's `test_unsubscribe_cleanup`: a subscriber that
/// goes away is reported as unsubscribed; a new one starts afresh.
async fn manual_unsubscribe_cleanup(t: Transport) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_manual(true);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut xsub = Xsub::new(&ctx);
    xsub.connect(&ep).unwrap();
    within(xsub.send(sub_msg(true, b"A"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    xpub.subscribe("XA");
    within(xpub.send("XA")).await;
    within(xpub.send("XB")).await;
    assert_eq!(within(xsub.recv()).await, Message::from("XA"));
    drop(xsub);
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
    // No subscriber to apply it to: does nothing.
    xpub.unsubscribe("XA");

    let mut xsub = Xsub::new(&ctx);
    xsub.connect(&ep).unwrap();
    within(xsub.send(sub_msg(true, b"B"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"B"));
    xpub.subscribe("XB");
    within(xpub.send("XA")).await;
    within(xpub.send("XB")).await;
    assert_eq!(within(xsub.recv()).await, Message::from("XB"));
    stays_pending(xsub.recv(), "after XB").await;
}

/// libzmq's `test_user_message`: what an XSUB sends that is neither a
/// subscription nor a cancellation reaches the XPUB application as is.
async fn user_message(t: Transport) {
    let (_ctx, mut xpub, mut xsub) = xpub_and_xsub(t, false).await;
    within(xsub.send(&b"\x02A"[..])).await;
    assert_eq!(within(xpub.recv()).await, Message::from(&b"\x02A"[..]));
}

/// XPUB_NODROP, libzmq's `test_xpub_nodrop`: below the HWM nothing is
/// lost; then sending blocks (EAGAIN with a zero send timeout) once the
/// subscriber's pipe is full — at exactly SNDHWM + RCVHWM over inproc —
/// and everything sent arrives.
async fn nodrop_blocks_at_the_hwm_and_loses_nothing(t: Transport) {
    const SNDHWM: u32 = 200;
    const RCVHWM: u32 = 50;
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_options(|o| o.sndhwm = SNDHWM as usize);
    xpub.set_nodrop(true);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    sub.set_options(|o| o.rcvhwm = RCVHWM as usize);
    sub.connect(&ep).unwrap();
    within(sub.subscribe("")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b""));

    for n in 0..SNDHWM - 1 {
        within(xpub.send(numbered(n))).await;
    }
    for n in 0..SNDHWM - 1 {
        assert_eq!(number_of(&within(sub.recv()).await[0]), n);
    }

    let mut sent = 0;
    while let Some(r) = immediately(xpub.send(numbered(sent))) {
        r.unwrap();
        sent += 1;
        assert!(sent < 100_000, "XPUB_NODROP never blocked");
    }
    if t == Transport::Inproc {
        assert_eq!(sent, SNDHWM + RCVHWM);
    } else {
        assert!(sent >= SNDHWM, "only {sent} sent before blocking");
    }
    for n in 0..sent {
        assert_eq!(number_of(&within(sub.recv()).await[0]), n);
    }
    assert!(immediately(sub.recv()).is_none());
}

/// libzmq's `test_hwm_pubsub` `test_blocking`: with XPUB_NODROP a
/// publisher sending three times its HWM to a subscriber that reads
/// concurrently loses nothing.
async fn nodrop_streams_without_loss(t: Transport) {
    const HWM: u32 = 100;
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_options(|o| o.sndhwm = HWM as usize);
    xpub.set_nodrop(true);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    sub.set_options(|o| o.rcvhwm = HWM as usize);
    sub.connect(&ep).unwrap();
    within(sub.subscribe("")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b""));
    let sender = tokio::spawn(async move {
        for n in 0..3 * HWM {
            within(xpub.send(numbered(n))).await;
        }
        within(xpub.send("end")).await;
        xpub
    });
    for n in 0..3 * HWM {
        assert_eq!(number_of(&within(sub.recv()).await[0]), n);
    }
    assert_eq!(within(sub.recv()).await, Message::from("end"));
    drop(sender.await.unwrap());
}

/// libzmq's `test_xpub_welcome_msg`, as written there: the SUB subscribes
/// before it connects; the XPUB gets the subscription, then the SUB gets
/// the welcome message.
async fn welcome_msg_to_a_subscriber_that_subscribed_before_connecting(t: Transport) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_welcome_msg(Some(Message::from("W")));
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    within(sub.subscribe("W")).await;
    sub.connect(&ep).unwrap();
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"W"));
    assert_eq!(within(sub.recv()).await, Message::from("W"));
}

/// XPUB_WELCOME_MSG: every new subscriber gets the welcome message first
/// (here the SUBs subscribe after connecting).
async fn welcome_msg_reaches_each_new_subscriber(t: Transport) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_welcome_msg(Some(Message::from("W")));
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    for _ in 0..2 {
        let mut sub = Sub::new(&ctx);
        sub.connect(&ep).unwrap();
        within(sub.subscribe("W")).await;
        assert_eq!(within(xpub.recv()).await, sub_msg(true, b"W"));
        assert_eq!(within(sub.recv()).await, Message::from("W"));
        drop(sub);
        // The cancellation of the departed subscriber.
        assert_eq!(within(xpub.recv()).await, sub_msg(false, b"W"));
    }
}

async fn xpub_with_subs(t: Transport, n: usize) -> (Context, Xpub, Vec<Sub>) {
    let ctx = Context::new();
    let xpub = Xpub::new(&ctx);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut subs = Vec::new();
    for _ in 0..n {
        let sub = Sub::new(&ctx);
        sub.connect(&ep).unwrap();
        subs.push(sub);
    }
    (ctx, xpub, subs)
}

/// libzmq's `test_xpub_verbose_one_sub`: duplicate subscriptions are
/// filtered, unless XPUB_VERBOSE is set.
async fn verbose_one_sub(t: Transport) {
    let (_ctx, mut xpub, mut subs) = xpub_with_subs(t, 1).await;
    let sub = &mut subs[0];
    within(sub.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(sub.subscribe("B")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"B"));
    // A duplicate: filtered out.
    within(sub.subscribe("A")).await;
    nothing_reported_from(&mut xpub, sub).await;
    xpub.set_verbose(true);
    within(sub.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(xpub.send("A")).await;
    within(xpub.send("B")).await;
    assert_eq!(within(sub.recv()).await, Message::from("A"));
    assert_eq!(within(sub.recv()).await, Message::from("B"));
}

/// libzmq's `test_xpub_verbose_two_subs`.
async fn verbose_two_subs(t: Transport) {
    let (_ctx, mut xpub, mut subs) = xpub_with_subs(t, 2).await;
    let (sub0, sub1) = subs.split_at_mut(1);
    let (sub0, sub1) = (&mut sub0[0], &mut sub1[0]);
    within(sub0.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(sub1.subscribe("A")).await;
    nothing_reported_from(&mut xpub, sub1).await;
    within(sub0.subscribe("B")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"B"));
    xpub.set_verbose(true);
    within(sub1.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(xpub.send("A")).await;
    within(xpub.send("B")).await;
    assert_eq!(within(sub0.recv()).await, Message::from("A"));
    assert_eq!(within(sub1.recv()).await, Message::from("A"));
    assert_eq!(within(sub0.recv()).await, Message::from("B"));
}

/// libzmq's `test_xpub_verboser_one_sub`: SUB only sends the last
/// cancellation of a topic, and none for a topic it does not hold;
/// XPUB_VERBOSER reports every (un)subscription.
async fn verboser_one_sub(t: Transport) {
    let (_ctx, mut xpub, mut subs) = xpub_with_subs(t, 1).await;
    let sub = &mut subs[0];
    // Not subscribed: filtered by the SUB.
    within(sub.unsubscribe("A")).await;
    nothing_reported_from(&mut xpub, sub).await;
    within(sub.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    // Duplicate: filtered by the XPUB.
    within(sub.subscribe("A")).await;
    nothing_reported_from(&mut xpub, sub).await;
    within(sub.unsubscribe("A")).await;
    within(sub.unsubscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
    nothing_reported_from(&mut xpub, sub).await;
    // No longer subscribed: filtered by the SUB.
    within(sub.unsubscribe("A")).await;
    nothing_reported_from(&mut xpub, sub).await;

    xpub.set_verboser(true);
    within(sub.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(xpub.send("A")).await;
    assert_eq!(within(sub.recv()).await, Message::from("A"));
    within(sub.unsubscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
    // Even with VERBOSER, the SUB sends no cancellation it has no
    // subscription for.
    within(sub.unsubscribe("A")).await;
    nothing_reported_from(&mut xpub, sub).await;
}

/// libzmq's `test_xpub_verboser_two_subs`.
async fn verboser_two_subs(t: Transport) {
    let (_ctx, mut xpub, mut subs) = xpub_with_subs(t, 2).await;
    let (sub0, sub1) = subs.split_at_mut(1);
    let (sub0, sub1) = (&mut sub0[0], &mut sub1[0]);
    within(sub0.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(sub1.subscribe("A")).await;
    nothing_reported_from(&mut xpub, sub1).await;
    // sub1 still holds "A": no notification.
    within(sub0.unsubscribe("A")).await;
    nothing_reported_from(&mut xpub, sub0).await;
    within(sub1.unsubscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
    nothing_reported_from(&mut xpub, sub1).await;

    xpub.set_verboser(true);
    within(sub0.subscribe("A")).await;
    within(sub1.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(xpub.send("A")).await;
    assert_eq!(within(sub0.recv()).await, Message::from("A"));
    assert_eq!(within(sub1.recv()).await, Message::from("A"));
    within(sub1.unsubscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
    within(sub0.unsubscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
    // Unmatched: the SUB filters it even with VERBOSER.
    within(sub1.unsubscribe("A")).await;
    nothing_reported_from(&mut xpub, sub1).await;
}

/// libzmq's `test_xpub_topic`: subscriptions of 245 and 246 octets (the
/// SUBSCRIBE command body crossing 255 octets, a long command frame) are
/// reported intact, as are their cancellations.
async fn subscribe_and_cancel_long_topics(t: Transport) {
    let (_ctx, mut xpub, mut subs) = xpub_with_subs(t, 1).await;
    let sub = &mut subs[0];
    for len in [245, 246, 1000] {
        let topic: Bytes = (0..len).map(|i| b'A' + (i % 16) as u8).collect();
        within(sub.subscribe(topic.clone())).await;
        assert_eq!(within(xpub.recv()).await, sub_msg(true, &topic));
        within(sub.unsubscribe(topic.clone())).await;
        assert_eq!(within(xpub.recv()).await, sub_msg(false, &topic));
    }
}

/// With XPUB_VERBOSER, a SUB that subscribed twice to a topic and cancels
/// once is still subscribed, and libzmq's SUB sends nothing: only the last
/// cancellation of a topic goes on the wire.
async fn sub_cancels_only_its_last_subscription_to_a_topic(t: Transport) {
    let (_ctx, mut xpub, mut subs) = xpub_with_subs(t, 1).await;
    xpub.set_verboser(true);
    let sub = &mut subs[0];
    within(sub.subscribe("A")).await;
    within(sub.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(sub.unsubscribe("A")).await;
    nothing_reported_from(&mut xpub, sub).await;
    within(sub.unsubscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
}

/// A peer's subscriptions are a set at a libzmq XPUB: a peer that sent
/// SUBSCRIBE "A" twice (as libzmq's SUB does for two subscribe calls) is
/// unsubscribed by the one CANCEL such a SUB sends.
async fn xpub_one_cancel_removes_a_peer_subscription(t: Transport) {
    let (_ctx, mut xpub, mut xsub) = xpub_and_xsub(t, false).await;
    within(xsub.send(sub_msg(true, b"A"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    // What a libzmq SUB sends for a second subscribe("A") and then two
    // unsubscribe("A"): a second SUBSCRIBE, then one CANCEL (the XSUB
    // counts like libzmq's and forwards only the last cancellation).
    within(xsub.send(sub_msg(true, b"A"))).await;
    nothing_reported_from_xsub(&mut xpub, &mut xsub).await;
    within(xsub.send(sub_msg(false, b"A"))).await;
    within(xsub.send(sub_msg(false, b"A"))).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"A"));
}

/// `ZMQ_INVERT_MATCHING`, libzmq's `test_pub_invert_matching`: messages go
/// to the subscribers whose subscriptions do *not* match. (The subscribers
/// are XSUBs, which do not filter: oxmq's SUB has no inverted matching of
/// its own. The publisher is an XPUB so that the test can wait for the
/// subscriptions; PUB shares its matching code.) Each subscriber's next
/// message proves what it did not get before.
async fn invert_matching(t: Transport) {
    let ctx = Context::new();
    let mut publisher = Xpub::new(&ctx);
    let ep = publisher.bind(&t.endpoint()).await.unwrap();
    let mut sub1 = Xsub::new(&ctx);
    sub1.connect(&ep).unwrap();
    let mut sub2 = Xsub::new(&ctx);
    sub2.connect(&ep).unwrap();
    within(sub1.send(sub_msg(true, b"prefix1"))).await;
    within(sub2.send(sub_msg(true, b"p2"))).await;
    for _ in 0..2 {
        within(publisher.recv()).await;
    }
    within(publisher.send("prefix1")).await;
    within(publisher.send("p2")).await;
    assert_eq!(within(sub1.recv()).await, Message::from("prefix1"));
    assert_eq!(within(sub2.recv()).await, Message::from("p2"));

    publisher.set_invert_matching(true);
    within(publisher.send("prefix1")).await;
    within(publisher.send("p2")).await;
    // Matches nobody: with inverted matching, goes to everybody.
    within(publisher.send("zzz")).await;
    assert_eq!(within(sub2.recv()).await, Message::from("prefix1"));
    assert_eq!(within(sub2.recv()).await, Message::from("zzz"));
    assert_eq!(within(sub1.recv()).await, Message::from("p2"));
    assert_eq!(within(sub1.recv()).await, Message::from("zzz"));
}

/// A SUB's first subscribe after `connect` (which also greets the new
/// peer with the subscription list) sends the subscription once: a
/// verbose XPUB reports it once.
async fn a_subscription_goes_out_once(t: Transport) {
    let (_ctx, mut xpub, mut subs) = xpub_with_subs(t, 1).await;
    xpub.set_verbose(true);
    let sub = &mut subs[0];
    within(sub.subscribe("A")).await;
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    nothing_reported_from(&mut xpub, sub).await;
}

/// The subscriptions a SUB holds when it connects go out once each (the
/// transport queues them in the new pipe), and the ones it makes or
/// cancels before it next looks at its peers are sent once too: a verbose
/// XPUB sees each exactly once.
async fn subscriptions_made_around_connect_go_out_once(t: Transport) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_verbose(true);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    within(sub.subscribe("A")).await;
    within(sub.subscribe("B")).await;
    sub.connect(&ep).unwrap();
    within(sub.unsubscribe("B")).await;
    within(sub.subscribe("C")).await;
    let mut first = vec![within(xpub.recv()).await, within(xpub.recv()).await];
    first.sort_by(|a, b| a[0].cmp(&b[0]));
    assert_eq!(first, vec![sub_msg(true, b"A"), sub_msg(true, b"B")]);
    assert_eq!(within(xpub.recv()).await, sub_msg(false, b"B"));
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"C"));
    nothing_reported_from(&mut xpub, &mut sub).await;
}

/// A SUB that binds sends its subscriptions to each publisher as it
/// connects, without being used again (libzmq writes them when it
/// attaches the pipe). The publisher connects before the bind here, so
/// over inproc its pipe waits for the bind.
async fn a_bound_sub_subscribes_a_publisher_that_connects(t: Transport) {
    let ctx = Context::new();
    let ep = t.fixed_endpoint();
    let mut sub = Sub::new(&ctx);
    within(sub.subscribe("A")).await;
    let mut xpub = Xpub::new(&ctx);
    xpub.connect(&ep).unwrap();
    sub.bind(&ep).await.unwrap();
    assert_eq!(within(xpub.recv()).await, sub_msg(true, b"A"));
    within(xpub.send("B: not subscribed")).await;
    within(xpub.send("A: subscribed")).await;
    assert_eq!(within(sub.recv()).await, Message::from("A: subscribed"));
}

/// CONFLATE applies to the data a SUB receives, never to the
/// subscriptions it sends: quick successive subscriptions all arrive.
async fn a_conflating_sub_loses_no_subscription(t: Transport) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    sub.set_conflate(true);
    sub.connect(&ep).unwrap();
    for topic in ["A", "B", "C", "D"] {
        within(sub.subscribe(topic)).await;
    }
    for topic in ["A", "B", "C", "D"] {
        assert_eq!(within(xpub.recv()).await, sub_msg(true, topic.as_bytes()));
    }
}
