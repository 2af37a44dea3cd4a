//! The proxy forwards both ways, captures, and obeys its control socket.

use std::time::Duration;

use oxmq_sockets::{proxy, proxy_steerable, AnySocket};
use oxmq_transports::Context;
use oxmq_zmtp::{Message, SocketType};
use tokio::time::timeout;

const SAFETY: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_dealer_proxy_carries_requests_and_replies() {
    let ctx = Context::new();
    let mut front = AnySocket::new(&ctx, SocketType::Router).unwrap();
    front.bind("inproc://px-front").await.unwrap();
    let mut back = AnySocket::new(&ctx, SocketType::Dealer).unwrap();
    back.bind("inproc://px-back").await.unwrap();
    let mut capture = AnySocket::new(&ctx, SocketType::Push).unwrap();
    capture.bind("inproc://px-capture").await.unwrap();
    let mut tap = AnySocket::new(&ctx, SocketType::Pull).unwrap();
    tap.connect("inproc://px-capture").unwrap();
    let proxy_task = tokio::spawn(async move {
        let _ = proxy(&mut front, &mut back, Some(&mut capture)).await;
    });
    let mut rep = AnySocket::new(&ctx, SocketType::Rep).unwrap();
    rep.connect("inproc://px-back").unwrap();
    let mut req = AnySocket::new(&ctx, SocketType::Req).unwrap();
    req.connect("inproc://px-front").unwrap();
    for i in 0..10 {
        req.send(format!("q{i}")).await.unwrap();
        let q = timeout(SAFETY, rep.recv()).await.unwrap().unwrap();
        assert_eq!(q, Message::from(format!("q{i}")));
        rep.send(format!("a{i}")).await.unwrap();
        let a = timeout(SAFETY, req.recv()).await.unwrap().unwrap();
        assert_eq!(a, Message::from(format!("a{i}")));
    }
    // The capture saw each request (with its envelope) and each reply.
    let first = timeout(SAFETY, tap.recv()).await.unwrap().unwrap();
    assert_eq!(&first.last().unwrap()[..], b"q0");
    let second = timeout(SAFETY, tap.recv()).await.unwrap().unwrap();
    assert_eq!(&second.last().unwrap()[..], b"a0");
    proxy_task.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steerable_proxy_reports_statistics_and_terminates() {
    let ctx = Context::new();
    let mut front = AnySocket::new(&ctx, SocketType::Pull).unwrap();
    front.bind("inproc://sp-front").await.unwrap();
    let mut back = AnySocket::new(&ctx, SocketType::Push).unwrap();
    back.bind("inproc://sp-back").await.unwrap();
    let mut control = AnySocket::new(&ctx, SocketType::Pair).unwrap();
    control.bind("inproc://sp-control").await.unwrap();
    let proxy_task =
        tokio::spawn(
            async move { proxy_steerable(&mut front, &mut back, None, &mut control).await },
        );
    let mut source = AnySocket::new(&ctx, SocketType::Push).unwrap();
    source.connect("inproc://sp-front").unwrap();
    let mut sink = AnySocket::new(&ctx, SocketType::Pull).unwrap();
    sink.connect("inproc://sp-back").unwrap();
    let mut steer = AnySocket::new(&ctx, SocketType::Pair).unwrap();
    steer.connect("inproc://sp-control").unwrap();
    source.send("one").await.unwrap();
    assert_eq!(
        timeout(SAFETY, sink.recv()).await.unwrap().unwrap(),
        Message::from("one")
    );
    steer.send("STATISTICS").await.unwrap();
    let stats = timeout(SAFETY, steer.recv()).await.unwrap().unwrap();
    assert_eq!(stats.len(), 8);
    assert_eq!(&stats[0][..], &1u64.to_ne_bytes()); // frontend messages in
    assert_eq!(&stats[1][..], &3u64.to_ne_bytes()); // frontend bytes in
    assert_eq!(&stats[6][..], &1u64.to_ne_bytes()); // backend messages out
    steer.send("TERMINATE").await.unwrap();
    let result = timeout(SAFETY, proxy_task).await.unwrap().unwrap().unwrap();
    assert_eq!(result.backend_out_bytes, 3);
}
