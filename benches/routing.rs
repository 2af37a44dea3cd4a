//! ROUTER/DEALER: 1 and 50 DEALERs each keep [`WINDOW`] requests of 100 B
//! in flight to one ROUTER over tcp, which echoes every request to the
//! DEALER it came from (by routing id); on oxmq, libzmq and zmq.rs.
//!
//! One iteration is one round trip; criterion's `thrpt` is round trips per
//! second, all DEALERs together. oxmq and zmq.rs run the ROUTER and each
//! DEALER in tasks of their own; libzmq runs the ROUTER on one thread and
//! all DEALERs on another with `zmq_poll`.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{
    bench_rig, expect_size, oxmq_options, payload, runtime, spawn_task, spawn_thread, BoxError,
    Imp, Place, Plan, Remote, Rig, Transport, HWM,
};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use oxmq_interop::{flags, poll, MessageBuf, PollItem, SocketType};
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

/// Message size.
const SIZE: usize = 100;
/// DEALER counts.
const PEERS: [usize; 2] = [1, 50];
/// Requests each DEALER keeps in flight.
const WINDOW: u64 = 100;

/// `n` round trips split evenly over `peers` DEALERs (rounded up): the
/// ROUTER's order first, then each DEALER's.
fn plan(peers: usize) -> Plan {
    Box::new(move |n| {
        let per = n.div_ceil(peers as u64).max(1);
        let total = per * peers as u64;
        let mut orders = vec![total];
        orders.extend(std::iter::repeat_n(per, peers));
        (orders, total)
    })
}

fn oxmq_rig(peers: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "routing");
    let ctx = oxmq::Context::new();
    let (mut router, endpoint) = runtime()
        .block_on(async {
            let router = oxmq::Router::new(&ctx);
            router.set_options(oxmq_options);
            let endpoint = router.bind(&place.endpoint).await?;
            Ok::<_, BoxError>((router, endpoint))
        })
        .expect("oxmq set-up");
    let mut workers: Vec<Remote> = vec![spawn_task("oxmq ROUTER", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                let msg = router.recv().await?;
                router.send(msg).await?;
            }
            orders.done();
        }
        Ok(())
    })];
    let body = Bytes::from_static(payload(SIZE));
    for i in 0..peers {
        let (ctx, endpoint, body) = (ctx.clone(), endpoint.clone(), body.clone());
        workers.push(spawn_task(
            &format!("oxmq DEALER {i}"),
            move |mut orders| async move {
                let mut dealer = oxmq::Dealer::new(&ctx);
                dealer.set_options(oxmq_options);
                dealer.connect(&endpoint)?;
                orders.done();
                while let Some(n) = orders.next().await {
                    let mut sent = 0;
                    while sent < WINDOW.min(n) {
                        dealer.send(body.clone()).await?;
                        sent += 1;
                    }
                    for _ in 0..n {
                        let reply = dealer.recv().await?;
                        expect_size(reply[0].len(), SIZE)?;
                        if sent < n {
                            dealer.send(body.clone()).await?;
                            sent += 1;
                        }
                    }
                    orders.done();
                }
                Ok(())
            },
        ));
    }
    let term = ctx.clone();
    Rig::new(workers, plan(peers))
        .on_teardown(move || runtime().block_on(term.term()))
        .keep(place)
}

fn libzmq_rig(peers: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "routing");
    let ctx = oxmq_interop::Context::new();
    ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)
        .expect("ZMQ_IO_THREADS");
    let router = ctx.socket(SocketType::Router).expect("ROUTER");
    router.set_linger(0).expect("linger");
    router.set_sndhwm(HWM as i32).expect("sndhwm");
    router.set_rcvhwm(HWM as i32).expect("rcvhwm");
    router.bind(&place.endpoint).expect("bind");
    let endpoint = router.last_endpoint().expect("endpoint");
    let mut dealers = Vec::with_capacity(peers);
    for _ in 0..peers {
        let dealer = ctx.socket(SocketType::Dealer).expect("DEALER");
        dealer.set_linger(0).expect("linger");
        dealer.set_sndhwm(HWM as i32).expect("sndhwm");
        dealer.set_rcvhwm(HWM as i32).expect("rcvhwm");
        dealer.connect(&endpoint).expect("connect");
        dealers.push(dealer);
    }
    let server = spawn_thread("libzmq ROUTER", move |mut orders| {
        let (mut id, mut body) = (MessageBuf::new(), MessageBuf::new());
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for _ in 0..n {
                router.recv_into(&mut id, 0)?;
                if !id.more() {
                    return Err("ROUTER: a message without a body".into());
                }
                router.recv_into(&mut body, 0)?;
                router.send_buf(&mut id, flags::SNDMORE)?;
                router.send_buf(&mut body, 0)?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = payload(SIZE);
    let clients = spawn_thread("libzmq DEALERs", move |mut orders| {
        let mut items: Vec<PollItem<'_>> = dealers
            .iter()
            .map(|s| PollItem::new(s, oxmq_interop::poll::POLLIN))
            .collect();
        let mut buf = MessageBuf::new();
        orders.done();
        while let Some(n) = orders.next_blocking() {
            let mut sent = vec![0u64; dealers.len()];
            let mut received = vec![0u64; dealers.len()];
            for (i, dealer) in dealers.iter().enumerate() {
                while sent[i] < WINDOW.min(n) {
                    dealer.send_static(body, 0)?;
                    sent[i] += 1;
                }
            }
            let mut unfinished = dealers.len();
            while unfinished > 0 {
                poll(&mut items, Duration::from_secs(60))?;
                for (i, dealer) in dealers.iter().enumerate() {
                    while received[i] < n {
                        let len = match dealer.recv_into(&mut buf, flags::DONTWAIT) {
                            Ok(len) => len,
                            Err(e) if e.is_again() => break,
                            Err(e) => return Err(e.into()),
                        };
                        expect_size(len, SIZE)?;
                        received[i] += 1;
                        if sent[i] < n {
                            dealer.send_static(body, 0)?;
                            sent[i] += 1;
                        }
                        if received[i] == n {
                            unfinished -= 1;
                        }
                    }
                }
            }
            orders.done();
        }
        drop(items);
        Ok(())
    });
    Rig::new(vec![server, clients], plan_threads(peers))
        .keep(ctx)
        .keep(place)
}

/// libzmq's plan: the ROUTER's order, then one order for the thread that
/// runs every DEALER (each DEALER does `per` round trips).
fn plan_threads(peers: usize) -> Plan {
    Box::new(move |n| {
        let per = n.div_ceil(peers as u64).max(1);
        let total = per * peers as u64;
        (vec![total, per], total)
    })
}

fn zmqrs_rig(peers: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "routing");
    let (mut router, endpoint) = runtime()
        .block_on(async {
            let mut router = zeromq::RouterSocket::new();
            let endpoint = router.bind(&place.endpoint).await?;
            Ok::<_, BoxError>((router, endpoint.to_string()))
        })
        .expect("zmq.rs set-up");
    let mut workers: Vec<Remote> =
        vec![spawn_task("zmq.rs ROUTER", move |mut orders| async move {
            orders.done();
            while let Some(n) = orders.next().await {
                for _ in 0..n {
                    let msg = router.recv().await?;
                    router.send(msg).await?;
                }
                orders.done();
            }
            Ok(())
        })];
    let body = Bytes::from_static(payload(SIZE));
    for i in 0..peers {
        let (endpoint, body) = (endpoint.clone(), body.clone());
        workers.push(spawn_task(
            &format!("zmq.rs DEALER {i}"),
            move |mut orders| async move {
                let mut dealer = zeromq::DealerSocket::new();
                dealer.connect(&endpoint).await?;
                orders.done();
                while let Some(n) = orders.next().await {
                    let mut sent = 0;
                    while sent < WINDOW.min(n) {
                        dealer.send(body.clone().into()).await?;
                        sent += 1;
                    }
                    for _ in 0..n {
                        let reply = dealer.recv().await?;
                        expect_size(reply.get(0).map_or(0, |f| f.len()), SIZE)?;
                        if sent < n {
                            dealer.send(body.clone().into()).await?;
                            sent += 1;
                        }
                    }
                    orders.done();
                }
                Ok(())
            },
        ));
    }
    Rig::new(workers, plan(peers)).keep(place)
}

fn routing(c: &mut Criterion) {
    let mut group = c.benchmark_group("routerdealer/tcp");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1));
    for peers in PEERS {
        for imp in Imp::ALL {
            let id = BenchmarkId::new(imp.id(), format!("{peers}peers"));
            bench_rig(&mut group, id, || match imp {
                Imp::Oxmq => oxmq_rig(peers),
                Imp::Libzmq => libzmq_rig(peers),
                Imp::ZmqRs => zmqrs_rig(peers),
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = routing
}
criterion_main!(benches);
