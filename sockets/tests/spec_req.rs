//! RFC 28 REQ behaviour, after libzmq's `tests/test_spec_req.cpp`,
//! `tests/test_req_correlate.cpp` and `tests/test_req_relaxed.cpp`, over
//! inproc, ipc and tcp.

#[macro_use]
mod spec_support;

use bytes::Bytes;
use oxmq_sockets::{Rep, Req, Router, SocketError};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use spec_support::{immediately, stays_pending, within, Transport};

per_transport!(
    round_robin_out,
    req_message_format,
    block_on_send_no_peers,
    strict_alternation,
    only_listens_to_current_peer,
    correlate_drops_replies_with_another_request_id,
    relaxed_discards_replies_to_older_requests,
    relaxed_correlate_answers_only_the_last_of_queued_requests,
);

/// `n` REPs bound on fresh endpoints, and a REQ connected to them in that
/// order. (libzmq's tests bind the REQ and sleep until the peers are
/// connected; connecting the REQ instead makes all pipes exist before the
/// first request, so the round-robin order is known.)
async fn req_to_reps(t: Transport, n: usize) -> (Context, Req, Vec<Rep>) {
    let ctx = Context::new();
    let req = Req::new(&ctx);
    let mut reps = Vec::new();
    for _ in 0..n {
        let rep = Rep::new(&ctx);
        let ep = rep.bind(&t.endpoint()).await.unwrap();
        req.connect(&ep).unwrap();
        reps.push(rep);
    }
    (ctx, req, reps)
}

/// SHALL route outgoing messages to connected peers using a round-robin
/// strategy: every REP is used once, in order.
async fn round_robin_out(t: Transport) {
    let (_ctx, mut req, mut reps) = req_to_reps(t, 5).await;
    for rep in &mut reps {
        within(req.send("ABC")).await;
        assert_eq!(within(rep.recv()).await, Message::from("ABC"));
        within(rep.send("DEF")).await;
        assert_eq!(within(req.recv()).await, Message::from("DEF"));
    }
}

/// The request and reply messages SHALL have this format on the wire: a
/// delimiter (an empty frame) added by the REQ socket, then the data
/// frames.
async fn req_message_format(t: Transport) {
    let ctx = Context::new();
    let mut req = Req::new(&ctx);
    let ep = req.bind(&t.endpoint()).await.unwrap();
    let mut router = Router::new(&ctx);
    router.connect(&ep).unwrap();
    within(req.send(["ABC", "DEF"])).await;
    let m = within(router.recv()).await;
    assert_eq!(m.len(), 4, "{m:?}");
    let id = m[0].clone();
    assert!(!id.is_empty());
    assert_eq!(&m.frames()[1..], Message::from(["", "ABC", "DEF"]).frames());
    // A single-part reply.
    within(router.send(Message::from(vec![id, Bytes::new(), "GHI".into()]))).await;
    assert_eq!(within(req.recv()).await, Message::from("GHI"));
}

/// SHALL block on sending, or return a suitable error, when it has no
/// connected peers.
async fn block_on_send_no_peers(t: Transport) {
    let ctx = Context::new();
    let mut req = Req::new(&ctx);
    req.bind(&t.endpoint()).await.unwrap();
    assert!(immediately(req.send("")).is_none(), "ZMQ_DONTWAIT: EAGAIN");
    stays_pending(req.send(""), "send with no peer").await;
    // The abandoned sends left the socket ready to send, not to receive.
    assert!(matches!(req.recv().await, Err(SocketError::State(_))));
}

/// Send and receive SHALL alternate (libzmq's EFSM otherwise).
async fn strict_alternation(t: Transport) {
    let (_ctx, mut req, mut reps) = req_to_reps(t, 1).await;
    assert!(matches!(req.recv().await, Err(SocketError::State(_))));
    within(req.send("one")).await;
    assert!(matches!(req.send("two").await, Err(SocketError::State(_))));
    assert_eq!(within(reps[0].recv()).await, Message::from("one"));
    within(reps[0].send("reply")).await;
    assert_eq!(within(req.recv()).await, Message::from("reply"));
    assert!(matches!(req.recv().await, Err(SocketError::State(_))));
}

/// SHALL accept an incoming message only from the last peer that it sent
/// a request to, and SHALL discard silently any messages received from
/// other peers. (Disabled upstream because of a race: a stale reply from a
/// peer can arrive just after the next request went to that same peer.
/// Here only peers already served send stale replies, and the REQ has
/// served them for good, which keeps the scenario free of that race.)
async fn only_listens_to_current_peer(t: Transport) {
    let ctx = Context::new();
    let mut req = Req::new(&ctx);
    req.set_options(|o| o.routing_id = Some(Bytes::from_static(b"A")));
    let mut routers = Vec::new();
    for _ in 0..4 {
        let mut router = Router::new(&ctx);
        router.set_mandatory(true);
        let ep = router.bind(&t.endpoint()).await.unwrap();
        req.connect(&ep).unwrap();
        routers.push(router);
    }
    for i in 0..routers.len() {
        within(req.send("ABC")).await;
        let m = within(routers[i].recv()).await;
        assert_eq!(m, Message::from(["A", "", "ABC"]));
        // Replies from every router that knows the REQ: only one is good.
        for (j, router) in routers.iter_mut().enumerate().take(i + 1) {
            let reply = if i == j { "GOOD" } else { "WRONG" };
            within(router.send(["A", "", reply])).await;
        }
        assert_eq!(within(req.recv()).await, Message::from("GOOD"));
    }
}

/// `ZMQ_REQ_CORRELATE`: a request id frame goes before the delimiter; a
/// reply with another id is dropped.
async fn correlate_drops_replies_with_another_request_id(t: Transport) {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    let ep = router.bind(&t.endpoint()).await.unwrap();
    let mut req = Req::new(&ctx);
    req.set_correlate(true);
    req.connect(&ep).unwrap();
    within(req.send(["ABC", "DEF"])).await;
    let m = within(router.recv()).await;
    assert_eq!(m.len(), 5, "{m:?}");
    let (peer, req_id) = (m[0].clone(), m[1].clone());
    assert!(!peer.is_empty());
    assert_eq!(req_id.len(), 4, "the request id is 32 bits");
    assert_eq!(&m.frames()[2..], Message::from(["", "ABC", "DEF"]).frames());
    let mut bad_id = req_id.to_vec();
    bad_id[3] = bad_id[3].wrapping_add(1);
    within(router.send(Message::from(vec![
        peer.clone(),
        Bytes::from(bad_id),
        Bytes::new(),
        "DATA".into(),
    ])))
    .await;
    within(router.send(Message::from(vec![
        peer,
        req_id,
        Bytes::new(),
        "GHI".into(),
    ])))
    .await;
    // Had the bad reply got through, this would be DATA.
    assert_eq!(within(req.recv()).await, Message::from("GHI"));
}

/// Echoes one request back, envelope and all (libzmq's `bounce`).
async fn bounce(router: &mut Router) {
    let m = within(router.recv()).await;
    within(router.send(m)).await;
}

/// `ZMQ_REQ_RELAXED` (with `ZMQ_REQ_CORRELATE`), libzmq's cases 1–3: a
/// second request may go before the reply to the first came; late replies
/// to older requests (from the old peer, or already queued) are
/// discarded; and the pipe to a peer that was not answered stays in the
/// round robin.
async fn relaxed_discards_replies_to_older_requests(t: Transport) {
    let (_ctx, mut req, mut rep) = req_to_reps(t, 5).await;
    req.set_relaxed(true);
    req.set_correlate(true);

    // Case 1: a second send before the reply to the first arrived.
    within(req.send(["A", "B"])).await;
    assert_eq!(within(rep[0].recv()).await, Message::from(["A", "B"]));
    within(req.send(["C", "D"])).await;
    assert_eq!(within(rep[1].recv()).await, Message::from(["C", "D"]));
    // The reply to the first request is discarded.
    within(rep[0].send("WRONG")).await;
    within(rep[1].send("OK")).await;
    assert_eq!(within(req.recv()).await, Message::from("OK"));
    // A standard cycle.
    within(req.send("E")).await;
    assert_eq!(within(rep[2].recv()).await, Message::from("E"));
    within(rep[2].send(["F", "G"])).await;
    assert_eq!(within(req.recv()).await, Message::from(["F", "G"]));

    // Case 2: a second send while the reply to the first may already be
    // queued at the REQ.
    within(req.send("H")).await;
    assert_eq!(within(rep[3].recv()).await, Message::from("H"));
    within(rep[3].send("BAD")).await;
    within(req.send("I")).await;
    assert_eq!(within(rep[4].recv()).await, Message::from("I"));
    within(rep[4].send("GOOD")).await;
    assert_eq!(within(req.recv()).await, Message::from("GOOD"));

    // Case 3 (libzmq issue #1690): two sends in a row did not close the
    // pipe to rep[0]; it is next in the round robin.
    within(req.send("J")).await;
    assert_eq!(within(rep[0].recv()).await, Message::from("J"));
}

/// `ZMQ_REQ_RELAXED` + `ZMQ_REQ_CORRELATE`, libzmq's case 4 (issue
/// #1695): two requests pile up before the server exists; it answers both;
/// only the reply to the last one is delivered.
async fn relaxed_correlate_answers_only_the_last_of_queued_requests(t: Transport) {
    let ctx = Context::new();
    let ep = t.fixed_endpoint();
    let mut req = Req::new(&ctx);
    req.set_relaxed(true);
    req.set_correlate(true);
    req.connect(&ep).unwrap();
    within(req.send("TO_BE_DISCARDED")).await;
    within(req.send("TO_BE_ANSWERED")).await;
    let mut router = Router::new(&ctx);
    router.bind(&ep).await.unwrap();
    bounce(&mut router).await;
    bounce(&mut router).await;
    assert_eq!(within(req.recv()).await, Message::from("TO_BE_ANSWERED"));
}
