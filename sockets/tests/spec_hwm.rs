//! High-water marks, after libzmq's `tests/test_hwm.cpp` and
//! `tests/test_hwm_pubsub.cpp`: PUSH blocks after exactly SNDHWM (+ RCVHWM
//! over inproc) messages queued to a stalled peer; PUB/XPUB drop for a
//! stalled subscriber and keep serving fast ones; HWMs count messages that
//! are queued, not messages ever sent.

#[macro_use]
mod spec_support;

use bytes::Bytes;
use oxmq_sockets::{Pull, Push, Sub, TrySendError, Xpub};
use oxmq_transports::{Context, SocketEvent};
use oxmq_zmtp::Message;
use spec_support::{immediately, number_of, numbered, wait_event, within, Transport, QUIET};

const MAX_SENDS: u32 = 10_000;

/// Sends with `try_send` (libzmq's `ZMQ_DONTWAIT`) until it would block,
/// at most `MAX_SENDS` times; returns how many were queued.
fn send_until_blocked(push: &mut Push) -> u32 {
    let mut n = 0;
    while n < MAX_SENDS {
        match push.try_send(numbered(n)) {
            Ok(()) => n += 1,
            Err(TrySendError::WouldBlock(_)) => break,
            Err(e) => panic!("try_send: {e}"),
        }
    }
    n
}

/// Receives with `try_recv` until nothing is queued; checks the order.
fn recv_all_queued(pull: &mut Pull) -> u32 {
    let mut n = 0;
    while let Ok(m) = pull.try_recv() {
        assert_eq!(number_of(&m[0]), n, "out of order");
        n += 1;
    }
    n
}

/// libzmq's `count_msg`: PUSH (SNDHWM `snd`) to PULL (RCVHWM `rcv`) over
/// inproc, the PULL bound first or connected to last; returns how many
/// messages could be queued. All of them arrive, and once they are taken
/// one more fits.
async fn count_msg(snd: usize, rcv: usize, bind_first: bool) -> u32 {
    let ctx = Context::new();
    let ep = Transport::Inproc.endpoint();
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = rcv);
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = snd);
    let mut mon = push.monitor();
    if bind_first {
        pull.bind(&ep).await.unwrap();
        // The pipes are made during `connect` when the name is bound.
        push.connect(&ep).unwrap();
    } else {
        push.connect(&ep).unwrap();
        pull.bind(&ep).await.unwrap();
        // oxmq joins a pending inproc connect in the background (libzmq
        // does it inside `bind`): wait for it.
        wait_event(&mut mon, |e| matches!(e, SocketEvent::Connected { .. })).await;
    }
    let sent = send_until_blocked(&mut push);
    let received = recv_all_queued(&mut pull);
    assert_eq!(sent, received);
    // Now it should be possible to send one more.
    push.try_send("one more").unwrap();
    assert_eq!(within(pull.recv()).await, Message::from("one more"));
    sent
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn defaults_queue_two_thousand_over_inproc() {
    // SNDHWM 1000 + RCVHWM 1000.
    assert_eq!(count_msg(1000, 1000, true).await, 2000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_both_bind_first() {
    assert_eq!(count_msg(0, 0, true).await, MAX_SENDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_both_connect_first() {
    assert_eq!(count_msg(0, 0, false).await, MAX_SENDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_receive_bind_first() {
    assert_eq!(count_msg(1, 0, true).await, MAX_SENDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_receive_connect_first() {
    assert_eq!(count_msg(1, 0, false).await, MAX_SENDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_send_bind_first() {
    assert_eq!(count_msg(0, 1, true).await, MAX_SENDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_send_connect_first() {
    assert_eq!(count_msg(0, 1, false).await, MAX_SENDS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finite_both_bind_first() {
    // Send and receive HWM 1: two messages fit in total.
    assert_eq!(count_msg(1, 1, true).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finite_both_connect_first() {
    assert_eq!(count_msg(1, 1, false).await, 2);
}

/// libzmq's `test_infinite_recv_connect_and_close_first`: a PUSH that
/// connects over inproc before anything is bound queues SNDHWM messages,
/// delivered to whoever binds later, even after the PUSH closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_recv_connect_and_close_first() {
    let ctx = Context::new();
    let ep = Transport::Inproc.endpoint();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 1);
    push.connect(&ep).unwrap();
    let sent = send_until_blocked(&mut push);
    assert_eq!(sent, 1);
    drop(push);
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = 0);
    pull.bind(&ep).await.unwrap();
    assert_eq!(number_of(&within(pull.recv()).await[0]), 0);
}

/// An inproc connect before the bind queues the PUSH's SNDHWM (5) at once;
/// when the PULL binds, the pipe grows by its RCVHWM (3), as libzmq fixes
/// the HWMs of a pending connection at the bind. Everything arrives, in
/// order, and once taken makes room again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inproc_connect_before_bind_queues_then_grows_at_the_bind() {
    let ctx = Context::new();
    let ep = Transport::Inproc.endpoint();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 5);
    let mut mon = push.monitor();
    push.connect(&ep).unwrap();
    let mut sent = 0;
    let mut fill = |push: &mut Push| {
        while let Ok(()) = push.try_send(numbered(sent)) {
            sent += 1;
            assert!(sent < MAX_SENDS, "the pipe never filled up");
        }
        sent
    };
    assert_eq!(fill(&mut push), 5, "SNDHWM before the bind");
    // A blocking send waits for room.
    assert!(immediately(push.send(numbered(99))).is_none());
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = 3);
    pull.bind(&ep).await.unwrap();
    wait_event(&mut mon, |e| matches!(e, SocketEvent::Connected { .. })).await;
    assert_eq!(fill(&mut push), 8, "SNDHWM + RCVHWM after it");
    assert_eq!(recv_all_queued(&mut pull), 8);
    push.try_send("one more").unwrap();
    assert_eq!(within(pull.recv()).await, Message::from("one more"));
}

per_transport!(
    push_blocks_at_exactly_the_hwm_of_a_stalled_peer,
    push_blocks_at_the_default_hwm_of_a_stalled_peer,
    push_to_a_pull_that_does_not_read_blocks_then_delivers_all,
    pub_drops_for_a_stalled_subscriber_and_serves_a_fast_one,
    xpub_sends_exactly_sndhwm_to_a_subscriber,
    hwm_counts_queued_messages_only,
);
per_transport!(
    rcvhwm_of_a_connecting_socket_counts_messages_only,
    inproc: [],
    ipc: [],
    tcp: []
);

/// A PUSH with SNDHWM 5 whose only peer never takes anything: exactly 5
/// messages fit (5 + RCVHWM 3 over inproc, where the pipe is shared), the
/// next send blocks. Over tcp and ipc the peer is a listener that accepts
/// the connection but never completes the ZMTP handshake, so nothing
/// leaves the pipe.
async fn push_blocks_at_exactly_the_hwm_of_a_stalled_peer(t: Transport) {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = 5);
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = 3);
    let (_stalled, expected) = match t.stalled_listener() {
        Some((listener, ep)) => {
            push.connect(&ep).unwrap();
            (Some(listener), 5)
        }
        None => {
            let ep = pull.bind(&t.endpoint()).await.unwrap();
            push.connect(&ep).unwrap();
            (None, 5 + 3)
        }
    };
    assert_eq!(send_until_blocked(&mut push), expected);
    // A blocking send waits.
    assert!(immediately(push.send(numbered(99))).is_none());
    if t == Transport::Inproc {
        assert_eq!(recv_all_queued(&mut pull), expected);
        push.try_send(numbered(0)).unwrap();
    }
}

/// Same with the default HWMs: 1000 to a stalled tcp/ipc peer, 2000 over
/// inproc (libzmq's `test_defaults`).
async fn push_blocks_at_the_default_hwm_of_a_stalled_peer(t: Transport) {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    let pull = Pull::new(&ctx);
    let (_stalled, expected) = match t.stalled_listener() {
        Some((listener, ep)) => {
            push.connect(&ep).unwrap();
            (Some(listener), 1000)
        }
        None => {
            let ep = pull.bind(&t.endpoint()).await.unwrap();
            push.connect(&ep).unwrap();
            (None, 2000)
        }
    };
    assert_eq!(send_until_blocked(&mut push), expected);
}

/// A PUSH to a connected PULL that does not read: over inproc exactly
/// SNDHWM + RCVHWM fit; over tcp/ipc at least that many (the kernel
/// buffers hold more), and sending blocks in the end. Once the PULL reads,
/// every message arrives, in order, and sending works again.
async fn push_to_a_pull_that_does_not_read_blocks_then_delivers_all(t: Transport) {
    const HWM: usize = 10;
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = HWM);
    let ep = pull.bind(&t.endpoint()).await.unwrap();
    let mut push = Push::new(&ctx);
    push.set_options(|o| o.sndhwm = HWM);
    push.connect(&ep).unwrap();
    let payload = Bytes::from(vec![7u8; 32 * 1024]);
    let mut sent = 0u32;
    loop {
        let msg = Message::from(vec![numbered(sent)[0].clone(), payload.clone()]);
        if t == Transport::Inproc {
            if push.try_send(msg).is_err() {
                break;
            }
        } else if tokio::time::timeout(QUIET, push.send(msg)).await.is_err() {
            break;
        }
        sent += 1;
        assert!(sent < 5000, "PUSH never blocked");
    }
    if t == Transport::Inproc {
        assert_eq!(sent as usize, 2 * HWM);
    } else {
        assert!(sent as usize >= 2 * HWM, "only {sent} queued");
    }
    for n in 0..sent {
        let m = within(pull.recv()).await;
        assert_eq!(number_of(&m[0]), n);
        assert_eq!(m[1], payload);
    }
    within(push.send("after")).await;
    assert_eq!(within(pull.recv()).await, Message::from("after"));
}

/// A publisher never blocks: a subscriber that does not read misses what
/// does not fit in its pipe, while a subscriber that keeps up gets
/// everything. Over inproc the stalled subscriber gets exactly the first
/// SNDHWM + RCVHWM messages; over tcp/ipc at least the first SNDHWM, then
/// an increasing subsequence, with losses.
async fn pub_drops_for_a_stalled_subscriber_and_serves_a_fast_one(t: Transport) {
    const SNDHWM: usize = 10;
    const RCVHWM: usize = 5;
    const N: u32 = 1000;
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_options(|o| o.sndhwm = SNDHWM);
    xpub.set_verbose(true);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut fast = Sub::new(&ctx);
    let mut slow = Sub::new(&ctx);
    for sub in [&mut fast, &mut slow] {
        sub.set_options(|o| o.rcvhwm = RCVHWM);
        sub.connect(&ep).unwrap();
        within(sub.subscribe("")).await;
    }
    // Both subscriptions are in (verbose: the duplicate is reported too).
    for _ in 0..2 {
        assert_eq!(within(xpub.recv()).await, Message::from(&b"\x01"[..]));
    }
    let payload = Bytes::from(vec![1u8; 32 * 1024]);
    for n in 0..N {
        let msg = Message::from(vec![numbered(n)[0].clone(), payload.clone()]);
        // Never waits, whatever the stalled subscriber does.
        immediately(xpub.send(msg))
            .expect("a publisher must not block")
            .unwrap();
        let m = within(fast.recv()).await;
        assert_eq!(number_of(&m[0]), n, "the fast subscriber lost a message");
    }
    let mut got = Vec::new();
    while let Ok(Ok(m)) = tokio::time::timeout(QUIET, slow.recv()).await {
        got.push(number_of(&m[0]));
    }
    if t == Transport::Inproc {
        let expected: Vec<u32> = (0..(SNDHWM + RCVHWM) as u32).collect();
        assert_eq!(got, expected);
    } else {
        assert!(got.len() < N as usize, "nothing was dropped");
        let first: Vec<u32> = (0..SNDHWM as u32).collect();
        assert_eq!(got[..SNDHWM], first[..], "the first SNDHWM messages fit");
        assert!(got.windows(2).all(|w| w[0] < w[1]), "out of order: {got:?}");
    }
}

/// libzmq's `test_hwm_pubsub` `test_defaults`: an XPUB with SNDHWM `h`,
/// once the subscription is in, accepts `h` messages and the subscriber
/// receives all `h` of them (100 and 1000).
async fn xpub_sends_exactly_sndhwm_to_a_subscriber(t: Transport) {
    for hwm in [100u32, 1000] {
        let ctx = Context::new();
        let mut xpub = Xpub::new(&ctx);
        xpub.set_options(|o| o.sndhwm = hwm as usize);
        let ep = xpub.bind(&t.endpoint()).await.unwrap();
        let mut sub = Sub::new(&ctx);
        sub.connect(&ep).unwrap();
        within(sub.subscribe("")).await;
        assert_eq!(within(xpub.recv()).await, Message::from(&b"\x01"[..]));
        for n in 0..hwm {
            immediately(xpub.send(numbered(n))).unwrap().unwrap();
        }
        for n in 0..hwm {
            assert_eq!(number_of(&within(sub.recv()).await[0]), n);
        }
        assert!(sub.try_recv().is_err());
    }
}

/// libzmq's `test_reset_hwm`: the HWM applies to what is queued, so after
/// the subscriber took everything, as many fit again (99 then 100 with
/// HWM 100).
async fn hwm_counts_queued_messages_only(t: Transport) {
    const HWM: usize = 100;
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.set_options(|o| o.sndhwm = HWM);
    let ep = xpub.bind(&t.endpoint()).await.unwrap();
    let mut sub = Sub::new(&ctx);
    sub.set_options(|o| o.rcvhwm = HWM);
    sub.connect(&ep).unwrap();
    within(sub.subscribe("")).await;
    assert_eq!(within(xpub.recv()).await, Message::from(&b"\x01"[..]));
    let mut next = 0;
    for count in [HWM as u32 - 1, HWM as u32] {
        for n in next..next + count {
            immediately(xpub.send(numbered(n))).unwrap().unwrap();
        }
        for n in next..next + count {
            assert_eq!(number_of(&within(sub.recv()).await[0]), n);
        }
        next += count;
    }
}

/// A socket that connects with RCVHWM 1 can receive (its HWM counts
/// messages, not the connection markers on its pipe).
async fn rcvhwm_of_a_connecting_socket_counts_messages_only(t: Transport) {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    let ep = push.bind(&t.endpoint()).await.unwrap();
    let mut pull = Pull::new(&ctx);
    pull.set_options(|o| o.rcvhwm = 1);
    pull.connect(&ep).unwrap();
    for n in 0..3 {
        within(push.send(numbered(n))).await;
        assert_eq!(number_of(&within(pull.recv()).await[0]), n);
    }
}
