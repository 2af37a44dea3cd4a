//! Cancel safety of `recv`: a `select!` that drops a pending `recv` loses
//! no message. A sender streams numbered messages (pausing now and then,
//! so that the receiver often finds nothing queued); the receiver races
//! every `recv` against a yield or a short timer, which cancel it at many
//! different points. Every number must arrive exactly once, in order.
//! Over inproc, ipc and tcp, for every socket type that receives.

#[macro_use]
mod spec_support;

use std::time::Duration;

use bytes::Bytes;
use oxmq_sockets::{Dealer, Pair, Pull, Push, Rep, Req, Router, Sub, Xpub};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use spec_support::{number_of, numbered, within, Transport, SAFETY};
use tokio::time::Instant;

per_transport!(
    pull_recv_is_cancel_safe,
    sub_recv_is_cancel_safe,
    dealer_recv_is_cancel_safe,
    router_recv_is_cancel_safe,
    pair_recv_is_cancel_safe,
    rep_and_req_recv_are_cancel_safe,
);

const N: u32 = 2000;

/// Paces a sender: a yield after every message, a 1 ms pause every 64.
async fn pace(n: u32) {
    if n % 64 == 63 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    } else {
        tokio::task::yield_now().await;
    }
}

/// Receives the numbers `0..$count` from `$sock`, racing each `recv`
/// against a competitor that wins whenever nothing is ready at once (a
/// yield, polled after or in random order with `recv`, or a timer).
/// `$num` gets the number out of a message. Evaluates to the number of
/// cancelled receives.
macro_rules! receive_racing {
    ($sock:expr, $count:expr, $num:expr) => {{
        let mut next = 0u32;
        let mut cancelled = 0u32;
        let mut round = 0u32;
        let deadline = Instant::now() + SAFETY;
        while next < $count {
            round += 1;
            assert!(Instant::now() < deadline, "stalled at {next}");
            let got = match round % 3 {
                0 => tokio::select! {
                    biased;
                    m = $sock.recv() => Some(m),
                    () = tokio::task::yield_now() => None,
                },
                1 => tokio::select! {
                    m = $sock.recv() => Some(m),
                    () = tokio::task::yield_now() => None,
                },
                _ => tokio::select! {
                    m = $sock.recv() => Some(m),
                    () = tokio::time::sleep(Duration::from_micros(100)) => None,
                },
            };
            match got {
                Some(m) => {
                    let m: Message = m.unwrap();
                    let n: u32 = ($num)(&m);
                    assert_eq!(n, next, "lost or duplicated around {next}");
                    next += 1;
                }
                None => cancelled += 1,
            }
        }
        cancelled
    }};
}

fn first(m: &Message) -> u32 {
    number_of(&m[0])
}

fn second(m: &Message) -> u32 {
    number_of(&m[1])
}

async fn pull_recv_is_cancel_safe(t: Transport) {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    let ep = pull.bind(&t.endpoint()).await.unwrap();
    let mut push = Push::new(&ctx);
    push.connect(&ep).unwrap();
    let sender = tokio::spawn(async move {
        for n in 0..N {
            within(push.send(numbered(n))).await;
            pace(n).await;
        }
        push
    });
    let cancelled = receive_racing!(pull, N, first);
    assert!(cancelled > 0, "no receive was ever cancelled");
    drop(sender.await.unwrap());
}

/// SUB drops non-matching messages inside `recv`: a cancellation in the
/// middle of that loop must not lose the matching one behind.
async fn sub_recv_is_cancel_safe(t: Transport) {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_nodrop(true);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    sub.connect(&ep).unwrap();
    within(sub.subscribe("n")).await;
    assert_eq!(within(xpub.recv()).await, Message::from("\u{1}n"));
    // Each numbered message ("n") follows one the SUB drops ("x").
    let sender = tokio::spawn(async move {
        for n in 0..N {
            within(xpub.send(Message::from(vec![
                Bytes::from("x"),
                numbered(n)[0].clone(),
            ])))
            .await;
            within(xpub.send(Message::from(vec![
                Bytes::from("n"),
                numbered(n)[0].clone(),
            ])))
            .await;
            pace(n).await;
        }
        xpub
    });
    let cancelled = receive_racing!(sub, N, second);
    assert!(cancelled > 0, "no receive was ever cancelled");
    drop(sender.await.unwrap());
}

async fn dealer_recv_is_cancel_safe(t: Transport) {
    let ctx = Context::new();
    let mut receiver = Dealer::new(&ctx);
    let ep = receiver.bind(&t.endpoint()).await.unwrap();
    let mut sender = Dealer::new(&ctx);
    sender.connect(&ep).unwrap();
    let task = tokio::spawn(async move {
        for n in 0..N {
            within(sender.send(numbered(n))).await;
            pace(n).await;
        }
        sender
    });
    let cancelled = receive_racing!(receiver, N, first);
    assert!(cancelled > 0, "no receive was ever cancelled");
    drop(task.await.unwrap());
}

/// ROUTER learns routing ids and takes in peers inside `recv`.
async fn router_recv_is_cancel_safe(t: Transport) {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    let ep = router.bind(&t.endpoint()).await.unwrap();
    let mut dealer = Dealer::new(&ctx);
    dealer.set_options(|o| o.routing_id = Some(Bytes::from_static(b"D")));
    dealer.connect(&ep).unwrap();
    let task = tokio::spawn(async move {
        for n in 0..N {
            within(dealer.send(numbered(n))).await;
            pace(n).await;
        }
        dealer
    });
    let cancelled = receive_racing!(router, N, |m: &Message| {
        assert_eq!(&m[0][..], b"D");
        second(m)
    });
    assert!(cancelled > 0, "no receive was ever cancelled");
    drop(task.await.unwrap());
}

async fn pair_recv_is_cancel_safe(t: Transport) {
    let ctx = Context::new();
    let mut a = Pair::new(&ctx);
    let ep = a.bind(&t.endpoint()).await.unwrap();
    let mut b = Pair::new(&ctx);
    b.connect(&ep).unwrap();
    let task = tokio::spawn(async move {
        for n in 0..N {
            within(b.send(numbered(n))).await;
            pace(n).await;
        }
        b
    });
    let cancelled = receive_racing!(a, N, first);
    assert!(cancelled > 0, "no receive was ever cancelled");
    drop(task.await.unwrap());
}

/// REP strips the envelope inside `recv`, REQ matches the reply to its
/// request: both raced, on every round trip.
async fn rep_and_req_recv_are_cancel_safe(t: Transport) {
    const TRIPS: u32 = 300;
    let ctx = Context::new();
    let mut rep = Rep::new(&ctx);
    let ep = rep.bind(&t.endpoint()).await.unwrap();
    let mut req = Req::new(&ctx);
    req.connect(&ep).unwrap();
    let client = tokio::spawn(async move {
        let mut cancelled = 0;
        for n in 0..TRIPS {
            within(req.send(numbered(n))).await;
            pace(n).await;
            cancelled += receive_racing!(req, 1, |m: &Message| first(m) - n);
        }
        cancelled
    });
    let mut cancelled = 0;
    for n in 0..TRIPS {
        cancelled += receive_racing!(rep, 1, |m: &Message| first(m) - n);
        within(rep.send(numbered(n))).await;
    }
    cancelled += client.await.unwrap();
    assert!(cancelled > 0, "no receive was ever cancelled");
}
