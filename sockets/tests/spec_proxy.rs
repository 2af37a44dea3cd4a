//! `proxy`, after libzmq's `tests/test_proxy.cpp`: DEALER clients talk to a
//! ROUTER frontend, a proxy forwards to a DEALER backend (inproc) and a
//! pool of DEALER workers that send back any number of replies per
//! request; every reply reaches the client that asked, unchanged.
//! (libzmq's workers send 0–4 replies at random and the test runs for a
//! fixed time; here the number of replies is a function of the request
//! and each client waits until it has all of its replies.)

#[macro_use]
mod spec_support;

use bytes::Bytes;
use oxmq_sockets::{proxy, AnySocket, Dealer};
use oxmq_transports::Context;
use oxmq_zmtp::SocketType;
use spec_support::{stays_pending, within, Transport};

per_transport!(router_dealer_proxy_routes_every_reply_to_its_client);

const CLIENTS: usize = 3;
const WORKERS: usize = 5;
const REQUESTS: usize = 20;

fn replies_for(request: usize) -> usize {
    request % 5
}

async fn router_dealer_proxy_routes_every_reply_to_its_client(t: Transport) {
    let ctx = Context::new();
    let mut frontend = AnySocket::new(&ctx, SocketType::Router).unwrap();
    let front = frontend.bind(&t.endpoint()).await.unwrap();
    let mut backend = AnySocket::new(&ctx, SocketType::Dealer).unwrap();
    let back = backend.bind(&Transport::Inproc.endpoint()).await.unwrap();
    let proxy_task = tokio::spawn(async move {
        let _ = proxy(&mut frontend, &mut backend, None).await;
    });

    let mut workers = Vec::new();
    for _ in 0..WORKERS {
        let mut worker = Dealer::new(&ctx);
        worker.connect(&back).unwrap();
        workers.push(tokio::spawn(async move {
            loop {
                // [client routing id, content]
                let m = worker.recv().await.unwrap();
                assert_eq!(m.len(), 2, "{m:?}");
                let n: usize = std::str::from_utf8(&m[1][m[1].len() - 3..])
                    .unwrap()
                    .parse()
                    .unwrap();
                for _ in 0..replies_for(n) {
                    worker.send(m.clone()).await.unwrap();
                }
            }
        }));
    }

    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let client = Dealer::new(&ctx);
        client.set_options(|o| o.routing_id = Some(Bytes::from(format!("client-{c}"))));
        client.connect(&front).unwrap();
        clients.push(client);
    }
    for n in 0..REQUESTS {
        for (c, client) in clients.iter_mut().enumerate() {
            within(client.send(format!("client {c} request #{n:03}"))).await;
        }
    }
    let expected: usize = (0..REQUESTS).map(replies_for).sum();
    for (c, client) in clients.iter_mut().enumerate() {
        let mut counts = vec![0; REQUESTS];
        for _ in 0..expected {
            let m = within(client.recv()).await;
            assert_eq!(m.len(), 1, "a single frame: {m:?}");
            let text = std::str::from_utf8(&m[0]).unwrap();
            let prefix = format!("client {c} request #");
            assert!(text.starts_with(&prefix), "{text:?} reached client {c}");
            counts[text[prefix.len()..].parse::<usize>().unwrap()] += 1;
        }
        let wanted: Vec<usize> = (0..REQUESTS).map(replies_for).collect();
        assert_eq!(counts, wanted);
    }
    stays_pending(clients[0].recv(), "an extra reply").await;
    for w in workers {
        w.abort();
    }
    proxy_task.abort();
}
