//! Request envelopes through a proxy of the other library: oxmq REQ → libzmq
//! ROUTER/DEALER `zmq_proxy` → oxmq REP, and libzmq REQ → oxmq ROUTER/DEALER
//! `proxy` → libzmq REP. The REP side must strip and restore the
//! multi-frame envelope the proxy adds.

use std::time::Duration;

use oxmq_interop as lz;
use oxmq_sockets::{proxy, AnySocket, Rep, Req};
use oxmq_transports::Context;
use oxmq_zmtp::{Message, SocketType};
use tokio::time::timeout;

const SAFETY: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oxmq_req_rep_through_a_libzmq_proxy() {
    let lz_ctx = lz::Context::new();
    let front = lz_ctx.socket(lz::SocketType::Router).unwrap();
    let back = lz_ctx.socket(lz::SocketType::Dealer).unwrap();
    front.set_linger(0).unwrap();
    back.set_linger(0).unwrap();
    let front_ep = front.bind_tcp_ephemeral().unwrap();
    let back_ep = back.bind_tcp_ephemeral().unwrap();
    // zmq_proxy runs until the context is shut down.
    let proxy_thread = std::thread::spawn(move || {
        let _ = lz::proxy(&front, &back, None);
    });
    let ctx = Context::new();
    let mut rep = Rep::new(&ctx);
    rep.connect(&back_ep).unwrap();
    let mut req = Req::new(&ctx);
    req.connect(&front_ep).unwrap();
    for i in 0..5 {
        let question: Message = ["question".to_string(), i.to_string()]
            .into_iter()
            .map(bytes::Bytes::from)
            .collect();
        req.send(question.clone()).await.unwrap();
        let q = timeout(SAFETY, rep.recv()).await.unwrap().unwrap();
        assert_eq!(q, question, "the REP strips the proxy's envelope");
        rep.send(format!("answer {i}")).await.unwrap();
        let a = timeout(SAFETY, req.recv()).await.unwrap().unwrap();
        assert_eq!(a, Message::from(format!("answer {i}")));
    }
    drop((req, rep));
    lz_ctx.shutdown().unwrap();
    proxy_thread.join().unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn libzmq_req_rep_through_an_oxmq_proxy() {
    let ctx = Context::new();
    let mut front = AnySocket::new(&ctx, SocketType::Router).unwrap();
    let mut back = AnySocket::new(&ctx, SocketType::Dealer).unwrap();
    let front_ep = front.bind("tcp://127.0.0.1:0").await.unwrap();
    let back_ep = back.bind("tcp://127.0.0.1:0").await.unwrap();
    let proxy_task = tokio::spawn(async move {
        let _ = proxy(&mut front, &mut back, None).await;
    });
    let lz_ctx = lz::Context::new();
    let replier = std::thread::spawn({
        let lz_ctx = lz_ctx.clone();
        move || {
            let rep = lz_ctx.socket(lz::SocketType::Rep).unwrap();
            rep.set_linger(0).unwrap();
            rep.connect(&back_ep).unwrap();
            for _ in 0..5 {
                let q = rep.recv_multipart_timeout(SAFETY).unwrap();
                let mut a = b"re: ".to_vec();
                a.extend_from_slice(&q[0]);
                rep.send_multipart([a]).unwrap();
            }
        }
    });
    let requester = tokio::task::spawn_blocking({
        let lz_ctx = lz_ctx.clone();
        move || {
            let req = lz_ctx.socket(lz::SocketType::Req).unwrap();
            req.set_linger(0).unwrap();
            req.connect(&front_ep).unwrap();
            let mut answers = Vec::new();
            for i in 0..5 {
                req.send_multipart([format!("q{i}").into_bytes()]).unwrap();
                answers.push(req.recv_multipart_timeout(SAFETY).unwrap());
            }
            answers
        }
    });
    let answers = timeout(SAFETY * 2, requester).await.unwrap().unwrap();
    for (i, a) in answers.iter().enumerate() {
        assert_eq!(a, &vec![format!("re: q{i}").into_bytes()]);
    }
    replier.join().unwrap();
    proxy_task.abort();
}
