//! PUB/SUB, REQ/REP and DEALER/ROUTER over inproc, ipc and tcp.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxmq_sockets::{Dealer, Pub, Rep, Req, Router, SocketError, Sub, Xpub};
use oxmq_transports::Context;
use oxmq_zmtp::Message;
use tokio::time::timeout;

const SAFETY: Duration = Duration::from_secs(20);

fn endpoints(tag: &str) -> Vec<String> {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let pid = std::process::id();
    vec![
        format!("inproc://{tag}-{n}"),
        format!("ipc:///tmp/oxmq-pat-{tag}-{pid}-{n}.sock"),
        "tcp://127.0.0.1:0".to_string(),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn req_rep_round_trips_and_enforces_alternation() {
    for ep in endpoints("reqrep") {
        let ctx = Context::new();
        let mut rep = Rep::new(&ctx);
        let bound = rep.bind(&ep).await.unwrap();
        let mut req = Req::new(&ctx);
        req.connect(&bound).unwrap();
        assert!(matches!(req.recv().await, Err(SocketError::State(_))));
        for i in 0..3 {
            timeout(SAFETY, req.send(format!("req{i}")))
                .await
                .unwrap()
                .unwrap();
            assert!(matches!(
                req.send("again").await,
                Err(SocketError::State(_))
            ));
            let got = timeout(SAFETY, rep.recv()).await.unwrap().unwrap();
            assert_eq!(got, Message::from(format!("req{i}")), "{ep}");
            assert!(matches!(rep.recv().await, Err(SocketError::State(_))));
            rep.send(["rep", "ly"]).await.unwrap();
            let reply = timeout(SAFETY, req.recv()).await.unwrap().unwrap();
            assert_eq!(reply, Message::from(["rep", "ly"]), "{ep}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dealer_router_envelopes_and_routing_ids() {
    for ep in endpoints("router") {
        let ctx = Context::new();
        let mut router = Router::new(&ctx);
        let bound = router.bind(&ep).await.unwrap();
        let mut named = Dealer::new(&ctx);
        named.set_options(|o| o.routing_id = Some("alice".into()));
        named.connect(&bound).unwrap();
        let mut anon = Dealer::new(&ctx);
        anon.connect(&bound).unwrap();
        timeout(SAFETY, named.send(["", "from alice"]))
            .await
            .unwrap()
            .unwrap();
        let m = timeout(SAFETY, router.recv()).await.unwrap().unwrap();
        assert_eq!(m, Message::from(["alice", "", "from alice"]), "{ep}");
        timeout(SAFETY, anon.send("from anon"))
            .await
            .unwrap()
            .unwrap();
        let m = timeout(SAFETY, router.recv()).await.unwrap().unwrap();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].len(), 5, "libzmq-format auto id: {:?}", m[0]);
        assert_eq!(m[0][0], 0);
        let anon_id = m[0].clone();
        router.send(["alice", "", "hi alice"]).await.unwrap();
        router
            .send(Message::from(vec![anon_id, "hi anon".into()]))
            .await
            .unwrap();
        let m = timeout(SAFETY, named.recv()).await.unwrap().unwrap();
        assert_eq!(m, Message::from(["", "hi alice"]));
        let m = timeout(SAFETY, anon.recv()).await.unwrap().unwrap();
        assert_eq!(m, Message::from("hi anon"));
        // Unknown ids: dropped silently, or an error with mandatory.
        router.send(["nobody", "x"]).await.unwrap();
        router.set_mandatory(true);
        assert!(matches!(
            router.send(["nobody", "x"]).await,
            Err(SocketError::HostUnreachable(_))
        ));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_works_behind_a_router_dealer_hop() {
    // REQ -> ROUTER | DEALER -> REP: the REP sees a multi-frame envelope.
    let ctx = Context::new();
    let mut front = Router::new(&ctx);
    front.bind("inproc://front").await.unwrap();
    let mut back = Dealer::new(&ctx);
    back.bind("inproc://back").await.unwrap();
    let mut rep = Rep::new(&ctx);
    rep.connect("inproc://back").unwrap();
    let mut req = Req::new(&ctx);
    req.connect("inproc://front").unwrap();
    req.send("question").await.unwrap();
    let m = timeout(SAFETY, front.recv()).await.unwrap().unwrap();
    assert_eq!(m.len(), 3);
    back.send(m).await.unwrap();
    let q = timeout(SAFETY, rep.recv()).await.unwrap().unwrap();
    assert_eq!(q, Message::from("question"));
    rep.send("answer").await.unwrap();
    let m = timeout(SAFETY, back.recv()).await.unwrap().unwrap();
    assert_eq!(m.len(), 3);
    front.send(m).await.unwrap();
    let a = timeout(SAFETY, req.recv()).await.unwrap().unwrap();
    assert_eq!(a, Message::from("answer"));
}

/// Publishes until `sub` receives something (the slow-joiner window), then
/// returns what it got.
async fn first_delivery(publisher: &mut Pub, sub: &mut Sub, msg: &'static str) -> Message {
    timeout(SAFETY, async {
        loop {
            publisher.send(msg).await.unwrap();
            if let Ok(Ok(m)) = timeout(Duration::from_millis(20), sub.recv()).await {
                return m;
            }
        }
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pub_sub_filters_by_prefix_on_every_transport() {
    for ep in endpoints("pubsub") {
        let ctx = Context::new();
        let mut publisher = Pub::new(&ctx);
        let bound = publisher.bind(&ep).await.unwrap();
        let mut sub = Sub::new(&ctx);
        sub.connect(&bound).unwrap();
        sub.subscribe("weather").await.unwrap();
        let m = first_delivery(&mut publisher, &mut sub, "weather now").await;
        assert_eq!(m, Message::from("weather now"), "{ep}");
        publisher.send("sports").await.unwrap();
        publisher.send(["weather", "multi"]).await.unwrap();
        // Only the matching message arrives (skip repeats of the probe).
        let next = loop {
            let m = timeout(SAFETY, sub.recv()).await.unwrap().unwrap();
            if m != Message::from("weather now") {
                break m;
            }
        };
        assert_eq!(next, Message::from(["weather", "multi"]), "{ep}");
        sub.unsubscribe("weather").await.unwrap();
    }
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xpub_sees_unique_subscriptions_and_xsub_forwards() {
    let ctx = Context::new();
    let mut xpub = Xpub::new(&ctx);
    xpub.bind("inproc://xpub").await.unwrap();
    let mut s1 = Sub::new(&ctx);
    s1.connect("inproc://xpub").unwrap();
    let mut s2 = Sub::new(&ctx);
    s2.connect("inproc://xpub").unwrap();
    s1.subscribe("A").await.unwrap();
    s2.subscribe("A").await.unwrap();
    s2.subscribe("B").await.unwrap();
    let m = timeout(SAFETY, xpub.recv()).await.unwrap().unwrap();
    assert_eq!(&m[0][..], b"\x01A");
    let m = timeout(SAFETY, xpub.recv()).await.unwrap().unwrap();
    assert_eq!(&m[0][..], b"\x01B", "the second \\x01A is not unique");
    xpub.send("A data").await.unwrap();
    let m = timeout(SAFETY, s1.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::from("A data"));
    // XSUB sends raw subscriptions upstream, right after connect.
    let mut xsub = oxmq_sockets::Xsub::new(&ctx);
    xsub.connect("inproc://xpub").unwrap();
    xsub.send(&b"\x01C"[..]).await.unwrap();
    let m = timeout(SAFETY, xpub.recv()).await.unwrap().unwrap();
    assert_eq!(&m[0][..], b"\x01C");
    xpub.send("C data").await.unwrap();
    let m = timeout(SAFETY, xsub.recv()).await.unwrap().unwrap();
    assert_eq!(m, Message::from("C data"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn received_messages_carry_connection_properties() {
    for ep in endpoints("props") {
        let ctx = Context::new();
        let mut router = Router::new(&ctx);
        let bound = router.bind(&ep).await.unwrap();
        let mut dealer = Dealer::new(&ctx);
        dealer.set_options(|o| {
            o.routing_id = Some("d1".into());
            o.metadata.insert("X-Color", "blue");
        });
        dealer.connect(&bound).unwrap();
        dealer.send("hi").await.unwrap();
        let m = timeout(SAFETY, router.recv()).await.unwrap().unwrap();
        assert_eq!(
            m.property("socket-type").map(|v| &v[..]),
            Some(&b"DEALER"[..]),
            "{ep}"
        );
        assert_eq!(
            m.property("Identity").map(|v| &v[..]),
            Some(&b"d1"[..]),
            "{ep}"
        );
        assert_eq!(
            m.property("X-Color").map(|v| &v[..]),
            Some(&b"blue"[..]),
            "{ep}"
        );
        let addr = m.property("Peer-Address").expect("Peer-Address");
        if ep.starts_with("tcp") {
            assert_eq!(&addr[..], b"127.0.0.1");
        }
    }
}
