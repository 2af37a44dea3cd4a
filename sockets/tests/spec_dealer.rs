//! RFC 28 DEALER behaviour, after libzmq's `tests/test_spec_dealer.cpp`,
//! over inproc, ipc and tcp.

#[macro_use]
mod spec_support;

use bytes::Bytes;
use oxmq_sockets::{Dealer, Rep, TrySendError};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use spec_support::{stays_pending, within, Transport};

per_transport!(round_robin_out, fair_queue_in, block_on_send_no_peers);

/// SHALL route outgoing messages to available peers using a round-robin
/// strategy: five requests to five REPs, one each. (The DEALER connects
/// to the bound REPs so that every pipe exists before the first send;
/// libzmq's test binds the DEALER and sleeps.)
async fn round_robin_out(t: Transport) {
    let ctx = Context::new();
    let mut dealer = Dealer::new(&ctx);
    let mut reps = Vec::new();
    for _ in 0..5 {
        let rep = Rep::new(&ctx);
        let ep = rep.bind(&t.endpoint()).await.unwrap();
        dealer.connect(&ep).unwrap();
        reps.push(rep);
    }
    for _ in 0..reps.len() {
        within(dealer.send(["", "ABC"])).await;
    }
    for rep in &mut reps {
        assert_eq!(within(rep.recv()).await, Message::from("ABC"));
    }
}

/// SHALL receive incoming messages from its peers using a fair-queuing
/// strategy.
async fn fair_queue_in(t: Transport) {
    let ctx = Context::new();
    let mut receiver = Dealer::new(&ctx);
    let ep = receiver.bind(&t.endpoint()).await.unwrap();
    let mut senders = Vec::new();
    for _ in 0..5 {
        let sender = Dealer::new(&ctx);
        sender.connect(&ep).unwrap();
        senders.push(sender);
    }
    for _ in 0..2 {
        within(senders[0].send("A")).await;
        assert_eq!(within(receiver.recv()).await, Message::from("A"));
    }
    for (peer, sender) in senders.iter_mut().enumerate() {
        let m = Message::from(vec![
            Bytes::from_static(b"B"),
            Bytes::from(vec![b'0' + peer as u8]),
        ]);
        within(sender.send(m)).await;
    }
    let mut from = Vec::new();
    for _ in 0..senders.len() {
        let m = within(receiver.recv()).await;
        assert_eq!(&m[0][..], b"B");
        from.push(m[1][0]);
    }
    from.sort_unstable();
    assert_eq!(from, b"01234");
}

/// SHALL block on sending, or return a suitable error, when it has no
/// connected peers.
async fn block_on_send_no_peers(t: Transport) {
    let ctx = Context::new();
    let mut dealer = Dealer::new(&ctx);
    dealer.bind(&t.endpoint()).await.unwrap();
    assert!(matches!(
        dealer.try_send(""),
        Err(TrySendError::WouldBlock(_))
    ));
    stays_pending(dealer.send(""), "send with no peer").await;
}
