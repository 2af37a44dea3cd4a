//! A libzmq PUB that closes and binds again on the same endpoint: the oxmq
//! SUB reconnects by itself and sends its subscriptions again, with no call
//! from the application (issue: "libzmq closing and re-binding").

use std::time::{Duration, Instant};

use oxmq_interop as lz;
use oxmq_sockets::Sub;
use oxmq_transports::Context;
use tokio::time::timeout;

/// Publishes `msg` from a libzmq PUB bound at `endpoint` until the oxmq SUB
/// gets it (the subscription has to travel first), then closes the PUB.
async fn publish_until_received(lz_ctx: &lz::Context, endpoint: &str, msg: &str, sub: &mut Sub) {
    let publisher = lz_ctx.socket(lz::SocketType::Pub).unwrap();
    publisher.set_linger(0).unwrap();
    // The previous PUB's port is released asynchronously: retry briefly.
    let deadline = Instant::now() + Duration::from_secs(20);
    while let Err(e) = publisher.bind(endpoint) {
        assert!(Instant::now() < deadline, "rebind {endpoint}: {e:?}");
        tokio::task::yield_now().await;
        std::thread::sleep(Duration::from_millis(10));
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        publisher.send_multipart([msg.as_bytes()]).unwrap();
        // Extra copies of the previous phase's message may still be queued.
        if let Ok(Ok(m)) = timeout(Duration::from_millis(20), sub.recv()).await {
            if &m[0][..] == msg.as_bytes() {
                break;
            }
        }
        assert!(Instant::now() < deadline, "no delivery of {msg:?}");
    }
    drop(publisher);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oxmq_sub_resubscribes_when_libzmq_pub_rebinds() {
    for transport in ["tcp", "ipc"] {
        let lz_ctx = lz::Context::new();
        let endpoint = match transport {
            "tcp" => {
                let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
                let port = probe.local_addr().unwrap().port();
                drop(probe);
                format!("tcp://127.0.0.1:{port}")
            }
            _ => lz::unique_ipc_endpoint(),
        };
        let ctx = Context::new();
        let mut sub = Sub::new(&ctx);
        sub.set_options(|o| o.reconnect_ivl = Some(Duration::from_millis(20)));
        sub.connect(&endpoint).unwrap();
        sub.subscribe("news").await.unwrap();
        publish_until_received(&lz_ctx, &endpoint, "news 1", &mut sub).await;
        // A second, brand-new libzmq PUB: only a resubscription can make
        // it deliver (publishers filter).
        publish_until_received(&lz_ctx, &endpoint, "news 2", &mut sub).await;
        if let Some(path) = endpoint.strip_prefix("ipc://") {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// libzmq's `ZMQ_METADATA` and routing id reach an oxmq ROUTER's received
/// messages as properties (oxmq's `Message::property`, libzmq's
/// `zmq_msg_gets`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_metadata_is_visible_on_oxmq_messages() {
    let ctx = Context::new();
    let mut router = oxmq_sockets::Router::new(&ctx);
    let endpoint = router.bind("tcp://127.0.0.1:0").await.unwrap();
    let lz_ctx = lz::Context::new();
    let dealer = lz_ctx.socket(lz::SocketType::Dealer).unwrap();
    dealer.set_linger(0).unwrap();
    dealer.set_routing_id(b"lz-1").unwrap();
    dealer.set_metadata("X-Color", "blue").unwrap();
    dealer.connect(&endpoint).unwrap();
    dealer.send_multipart([&b"hello"[..]]).unwrap();
    let m = timeout(Duration::from_secs(20), router.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&m[0][..], b"lz-1");
    assert_eq!(&m[1][..], b"hello");
    assert_eq!(m.property("X-Color").map(|v| &v[..]), Some(&b"blue"[..]));
    assert_eq!(
        m.property("Socket-Type").map(|v| &v[..]),
        Some(&b"DEALER"[..])
    );
    assert_eq!(m.property("Identity").map(|v| &v[..]), Some(&b"lz-1"[..]));
    assert_eq!(
        m.property("Peer-Address").map(|v| &v[..]),
        Some(&b"127.0.0.1"[..])
    );
}
