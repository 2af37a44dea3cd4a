//! `ZMQ_CONFLATE`, after libzmq's `tests/test_conflate.cpp`, over inproc,
//! ipc and tcp: a conflating receiver keeps only the newest message and
//! never pushes back on its senders; a conflating sender never waits and
//! keeps only the newest message not sent yet.

#[macro_use]
mod spec_support;

use bytes::Bytes;
use oxmq_sockets::{Dealer, Pull, Push, Sub, Xpub};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use spec_support::{immediately, number_of, numbered, within, Transport};

per_transport!(
    pull_keeps_only_the_newest,
    dealer_keeps_only_the_newest,
    sub_keeps_only_the_newest,
);
per_transport!(
    conflating_receiver_never_blocks_the_sender,
    conflating_sender_never_blocks_and_keeps_the_newest,
    conflating_sender_delivers_the_newest,
);

const COUNT: u32 = 20;

/// Receives until `COUNT - 1` arrives: what arrives before it is newer
/// every time (over tcp/ipc some messages may not have been queued yet at
/// the first `recv`; over inproc all were, and the first is the last
/// sent). Nothing older follows.
async fn newest_only(t: Transport, mut recv: impl AsyncFnMut() -> Message, frame: usize) {
    let mut last = None;
    loop {
        let n = number_of(&recv().await[frame]);
        assert!(last.is_none_or(|l| n > l), "{n} after {last:?}");
        if t == Transport::Inproc {
            assert_eq!(n, COUNT - 1);
        }
        last = Some(n);
        if n == COUNT - 1 {
            break;
        }
    }
}

async fn pull_keeps_only_the_newest(t: Transport) {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.set_conflate(true);
    let ep = pull.bind(&t.endpoint()).await.unwrap();
    let mut push = Push::new(&ctx);
    push.connect(&ep).unwrap();
    for n in 0..COUNT {
        within(push.send(numbered(n))).await;
    }
    newest_only(t, async || within(pull.recv()).await, 0).await;
    assert!(immediately(pull.recv()).is_none());
}

async fn dealer_keeps_only_the_newest(t: Transport) {
    let ctx = Context::new();
    let mut receiver = Dealer::new(&ctx);
    receiver.set_conflate(true);
    let ep = receiver.bind(&t.endpoint()).await.unwrap();
    let mut sender = Dealer::new(&ctx);
    sender.connect(&ep).unwrap();
    for n in 0..COUNT {
        within(sender.send(numbered(n))).await;
    }
    newest_only(t, async || within(receiver.recv()).await, 0).await;
    assert!(immediately(receiver.recv()).is_none());
}

/// "Last value" subscriptions: the newest matching message only.
async fn sub_keeps_only_the_newest(t: Transport) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    sub.set_conflate(true);
    sub.connect(&ep).unwrap();
    within(sub.subscribe("n")).await;
    assert_eq!(within(xpub.recv()).await, Message::from("\u{1}n"));
    for n in 0..COUNT {
        let num = numbered(n)[0].clone();
        within(xpub.send(Message::from(vec![Bytes::from("n"), num]))).await;
    }
    within(xpub.send("x: not subscribed")).await;
    newest_only(t, async || within(sub.recv()).await, 1).await;
    assert!(immediately(sub.recv()).is_none());
}

/// libzmq: "Ignores ZMQ_RCVHWM and ZMQ_SNDHWM": a sender to a conflating
/// receiver that does not read never blocks, and the receiver then gets
/// the last message.
async fn conflating_receiver_never_blocks_the_sender(t: Transport) {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.set_conflate(true);
    pull.set_options(|o| o.rcvhwm = 10);
    let ep = pull.bind(&t.endpoint()).await.unwrap();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 10);
    push.connect(&ep).unwrap();
    // 32 MiB in all: more than the kernel buffers hold over tcp/ipc.
    let payload = Bytes::from(vec![0u8; 32 * 1024]);
    for n in 0..1000 {
        let msg = Message::from(vec![numbered(n)[0].clone(), payload.clone()]);
        within(push.send(msg)).await;
    }
    let mut n = 0;
    while n < 999 {
        n = number_of(&within(pull.recv()).await[0]);
    }
}

/// A conflating PUSH never waits, even with SNDHWM 1 and a peer that takes
/// nothing: its pipe keeps the newest message. Over tcp and ipc the peer
/// is a listener that never completes the handshake; over inproc, a PULL
/// that reads only at the end, and gets just the newest message.
async fn conflating_sender_never_blocks_and_keeps_the_newest(t: Transport) {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 1);
    push.set_conflate(true);
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = 1);
    let _stalled = match t.stalled_listener() {
        Some((listener, ep)) => {
            push.connect(&ep).unwrap();
            Some(listener)
        }
        None => {
            let ep = pull.bind(&t.endpoint()).await.unwrap();
            push.connect(&ep).unwrap();
            None
        }
    };
    for n in 0..COUNT * 50 {
        push.try_send(numbered(n))
            .expect("a conflating PUSH never blocks");
    }
    if t == Transport::Inproc {
        assert_eq!(number_of(&within(pull.recv()).await[0]), COUNT * 50 - 1);
        assert!(immediately(pull.recv()).is_none());
    }
}

/// The same towards a PULL that reads: sends never wait, and what arrives
/// is ever newer, ending with the last message sent.
async fn conflating_sender_delivers_the_newest(t: Transport) {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    let ep = pull.bind(&t.endpoint()).await.unwrap();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 1);
    push.set_conflate(true);
    push.connect(&ep).unwrap();
    for n in 0..COUNT {
        push.try_send(numbered(n))
            .expect("a conflating PUSH never blocks");
    }
    newest_only(t, async || within(pull.recv()).await, 0).await;
}
