//! RFC 31 PAIR behaviour (libzmq's `tests/test_pair_*.cpp` bounce, and the
//! RFC's rules), over inproc, ipc and tcp.

#[macro_use]
mod spec_support;

use oxmq_sockets::{Pair, TrySendError};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use spec_support::{number_of, numbered, stays_pending, within, Transport};

per_transport!(
    bounce_unmodified,
    block_on_send_no_peer,
    at_most_one_peer,
    never_discards_what_it_cannot_queue,
);

/// SHALL not filter or modify outgoing or incoming messages in any way.
async fn bounce_unmodified(t: Transport) {
    let ctx = Context::new();
    let mut a = Pair::new(&ctx);
    let ep = a.bind(&t.endpoint()).await.unwrap();
    let mut b = Pair::new(&ctx);
    b.connect(&ep).unwrap();
    let msg = Message::from(["", "ABC", "", "\u{0}\u{1}", ""]);
    within(b.send(msg.clone())).await;
    let got = within(a.recv()).await;
    assert_eq!(got, msg);
    within(a.send(got)).await;
    assert_eq!(within(b.recv()).await, msg);
}

/// SHALL block on sending, or return a suitable error, when it has no
/// available peer.
async fn block_on_send_no_peer(t: Transport) {
    let ctx = Context::new();
    let mut a = Pair::new(&ctx);
    a.bind(&t.endpoint()).await.unwrap();
    assert!(matches!(a.try_send("x"), Err(TrySendError::WouldBlock(_))));
    stays_pending(a.send("x"), "send with no peer").await;
}

/// MAY be connected to at most one PAIR peer: a second one is not served.
async fn at_most_one_peer(t: Transport) {
    let ctx = Context::new();
    let mut a = Pair::new(&ctx);
    let ep = a.bind(&t.endpoint()).await.unwrap();
    let mut b = Pair::new(&ctx);
    b.connect(&ep).unwrap();
    within(b.send("from b")).await;
    assert_eq!(within(a.recv()).await, Message::from("from b"));
    let mut c = Pair::new(&ctx);
    c.connect(&ep).unwrap();
    let _ = c.try_send("from c");
    within(a.send("to the peer")).await;
    assert_eq!(within(b.recv()).await, Message::from("to the peer"));
    stays_pending(a.recv(), "a message from the second peer").await;
    stays_pending(c.recv(), "a message to the second peer").await;
}

/// SHALL NOT discard messages that it cannot queue: sending waits at the
/// HWM, and everything sent arrives, in order.
async fn never_discards_what_it_cannot_queue(t: Transport) {
    let ctx = Context::new();
    let mut a = Pair::new(&ctx);
    a.set_options(|o| o.rcvhwm = 5);
    let ep = a.bind(&t.endpoint()).await.unwrap();
    let mut b = Pair::new(&ctx);
    b.set_options(|o| o.sndhwm = 5);
    b.connect(&ep).unwrap();
    let sender = tokio::spawn(async move {
        for n in 0..500 {
            within(b.send(numbered(n))).await;
        }
        b
    });
    for n in 0..500 {
        assert_eq!(number_of(&within(a.recv()).await[0]), n);
    }
    drop(sender.await.unwrap());
}
