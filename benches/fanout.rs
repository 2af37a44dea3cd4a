//! PUB fan-out: one PUB sends 100 B messages over tcp to 1, 100 and 1,000
//! SUBs (subscribed to everything), on oxmq, libzmq and zmq.rs.
//!
//! One iteration is one published message, delivered to every subscriber;
//! criterion's `thrpt` is messages published per second (multiply by the
//! subscriber count for deliveries). A PUB drops messages for subscribers
//! that reach their HWM, and zmq.rs's has no HWM to raise, so the publisher
//! keeps at most two batches of [`common::BATCH`] messages in flight: before
//! sending batch `k + 2` it waits until every subscriber has received batch
//! `k` (see `common::Credit`). Nothing is ever dropped, and the sample ends
//! when every subscriber has every message.
//!
//! oxmq and zmq.rs run each SUB in a task of its own; libzmq runs them all
//! on one application thread with `zmq_poll`, the way a C program would
//! (a thread per subscriber would be 1,000 threads).

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{
    batches, bench_rig, completed_batch, expect_size, is_probe, oxmq_options, payload, plan_all,
    runtime, spawn_task, spawn_thread, BoxError, Credit, Imp, Place, Remote, Rig, Transport, HWM,
    PROBE,
};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use oxmq_interop::{flags, poll, MessageBuf, PollItem, SocketType};
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

/// zmq.rs 0.7.0 at 1,000 subscribers hangs in about two runs out of
/// three: both tokio workers block for good in a synchronous `scc` hash-map
/// lock inside `PubSocketBackend::message_received` (subscriptions arriving
/// while the map rehashes), so nothing else runs. It is left out there.
const ZMQRS_MAX_SUBSCRIBERS: usize = 100;
/// Message size.
const SIZE: usize = 100;
/// Subscriber counts.
const FANOUT: [usize; 3] = [1, 100, 1000];
/// How often the publisher probes while subscribers join.
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// Listen backlog of the PUB (1,000 subscribers connect at once).
const BACKLOG: u32 = 1024;

/// Keeps an eye on the subscribers joining: notes slow progress on
/// stderr, gives up after [`JOIN_LIMIT`].
struct Joining {
    started: Instant,
    next_note: Duration,
}

/// How long subscribers may take to join.
const JOIN_LIMIT: Duration = Duration::from_secs(120);

impl Joining {
    fn new() -> Joining {
        Joining {
            started: Instant::now(),
            next_note: Duration::from_secs(10),
        }
    }

    fn check(&mut self, who: &str, joined: usize, of: usize) -> Result<(), BoxError> {
        let waited = self.started.elapsed();
        if waited > JOIN_LIMIT {
            return Err(format!("{who}: only {joined} of {of} subscribers joined").into());
        }
        if waited > self.next_note {
            eprintln!("{who}: {joined} of {of} subscribers joined after {waited:.0?}");
            self.next_note += Duration::from_secs(10);
        }
        Ok(())
    }
}

fn oxmq_rig(subscribers: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "fanout");
    let ctx = oxmq::Context::new();
    let (mut publisher, endpoint) = runtime()
        .block_on(async {
            let publisher = oxmq::Pub::new(&ctx);
            publisher.set_options(|o| {
                oxmq_options(o);
                o.backlog = BACKLOG;
            });
            let endpoint = publisher.bind(&place.endpoint).await?;
            Ok::<_, BoxError>((publisher, endpoint))
        })
        .expect("oxmq set-up");
    let credit = Credit::new(subscribers);
    let ready = Arc::new(AtomicUsize::new(0));
    let mut workers: Vec<Remote> = Vec::with_capacity(subscribers + 1);
    for i in 0..subscribers {
        let (ctx, endpoint, credit, ready) =
            (ctx.clone(), endpoint.clone(), credit.clone(), ready.clone());
        workers.push(spawn_task(
            &format!("oxmq SUB {i}"),
            move |mut orders| async move {
                let mut sub = oxmq::Sub::new(&ctx);
                sub.set_options(oxmq_options);
                sub.subscribe(Bytes::new()).await?;
                sub.connect(&endpoint)?;
                while !is_probe(&sub.recv().await?[0]) {}
                ready.fetch_add(1, Ordering::AcqRel);
                orders.done();
                while let Some(n) = orders.next().await {
                    let mut received = 0;
                    while received < n {
                        let msg = sub.recv().await?;
                        if is_probe(&msg[0]) {
                            continue;
                        }
                        expect_size(msg[0].len(), SIZE)?;
                        received += 1;
                        if let Some(k) = completed_batch(received, n) {
                            credit.complete(k);
                        }
                    }
                    orders.done();
                }
                Ok(())
            },
        ));
    }
    let body = Bytes::from_static(payload(SIZE));
    workers.push(spawn_task("oxmq PUB", move |mut orders| async move {
        let mut joining = Joining::new();
        while ready.load(Ordering::Acquire) < subscribers {
            joining.check("oxmq PUB", ready.load(Ordering::Acquire), subscribers)?;
            publisher.send(Bytes::from_static(PROBE)).await?;
            tokio::time::sleep(PROBE_EVERY).await;
        }
        orders.done();
        while let Some(n) = orders.next().await {
            for (k, len) in batches(n) {
                credit.before_batch(k).await;
                for _ in 0..len {
                    publisher.send(body.clone()).await?;
                }
            }
            credit.finish(n).await;
            orders.done();
        }
        Ok(())
    }));
    let count = workers.len();
    let term = ctx.clone();
    Rig::new(workers, plan_all(count))
        .on_teardown(move || runtime().block_on(term.term()))
        .keep(place)
}

fn libzmq_rig(subscribers: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "fanout");
    let ctx = oxmq_interop::Context::new();
    ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)
        .expect("ZMQ_IO_THREADS");
    // libzmq's default limit is 1,023 sockets per context.
    ctx.set(oxmq_interop::ctx_opt::MAX_SOCKETS, 4096)
        .expect("ZMQ_MAX_SOCKETS");
    let publisher = ctx.socket(SocketType::Pub).expect("PUB");
    publisher.set_linger(0).expect("linger");
    publisher.set_sndhwm(HWM as i32).expect("sndhwm");
    publisher
        .set_sockopt_int(oxmq_interop::opt::BACKLOG, BACKLOG as i32)
        .expect("backlog");
    publisher.bind(&place.endpoint).expect("bind");
    let endpoint = publisher.last_endpoint().expect("endpoint");
    let mut subs = Vec::with_capacity(subscribers);
    for _ in 0..subscribers {
        let sub = ctx.socket(SocketType::Sub).expect("SUB");
        sub.set_linger(0).expect("linger");
        sub.set_rcvhwm(HWM as i32).expect("rcvhwm");
        sub.subscribe(b"").expect("subscribe");
        sub.connect(&endpoint).expect("connect");
        subs.push(sub);
    }
    let credit = Credit::new(subscribers);
    let ready = Arc::new(AtomicUsize::new(0));
    let joined = ready.clone();
    let receivers = {
        let credit = credit.clone();
        spawn_thread("libzmq SUBs", move |mut orders| {
            let mut items: Vec<PollItem<'_>> = subs
                .iter()
                .map(|s| PollItem::new(s, oxmq_interop::poll::POLLIN))
                .collect();
            let mut buf = MessageBuf::new();
            // Set-up: every subscriber hears a probe.
            let mut heard = vec![false; subs.len()];
            while joined.load(Ordering::Acquire) < subs.len() {
                poll(&mut items, Duration::from_millis(100))?;
                for (i, sub) in subs.iter().enumerate() {
                    // Drain everything (probes keep coming until all joined).
                    loop {
                        match sub.recv_into(&mut buf, flags::DONTWAIT) {
                            Ok(_) if !heard[i] && is_probe(buf.data()) => {
                                heard[i] = true;
                                joined.fetch_add(1, Ordering::AcqRel);
                            }
                            Ok(_) => {}
                            Err(e) if e.is_again() => break,
                            Err(e) => return Err(e.into()),
                        }
                    }
                }
            }
            orders.done();
            while let Some(n) = orders.next_blocking() {
                let mut received = vec![0u64; subs.len()];
                let mut unfinished = subs.len();
                while unfinished > 0 {
                    poll(&mut items, Duration::from_secs(60))?;
                    for (i, sub) in subs.iter().enumerate() {
                        while received[i] < n {
                            let len = match sub.recv_into(&mut buf, flags::DONTWAIT) {
                                Ok(len) => len,
                                Err(e) if e.is_again() => break,
                                Err(e) => return Err(e.into()),
                            };
                            if is_probe(buf.data()) {
                                continue;
                            }
                            expect_size(len, SIZE)?;
                            received[i] += 1;
                            if let Some(k) = completed_batch(received[i], n) {
                                credit.complete(k);
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
        })
    };
    let body = payload(SIZE);
    let sender = spawn_thread("libzmq PUB", move |mut orders| {
        let mut joining = Joining::new();
        while ready.load(Ordering::Acquire) < subscribers {
            joining.check("libzmq PUB", ready.load(Ordering::Acquire), subscribers)?;
            publisher.send_static(PROBE, 0)?;
            std::thread::sleep(PROBE_EVERY);
        }
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for (k, len) in batches(n) {
                futures::executor::block_on(credit.before_batch(k));
                // libzmq's send processes the socket's pending commands at
                // most once a millisecond; ZMQ_EVENTS does it now, so the
                // PUB learns how far its subscribers have read (else its
                // pipes look fuller than they are and it drops).
                publisher.get_sockopt_int(oxmq_interop::opt::EVENTS)?;
                for _ in 0..len {
                    publisher.send_static(body, 0)?;
                }
            }
            futures::executor::block_on(credit.finish(n));
            orders.done();
        }
        Ok(())
    });
    Rig::new(vec![receivers, sender], plan_all(2))
        .keep(ctx)
        .keep(place)
}

fn zmqrs_rig(subscribers: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "fanout");
    let (mut publisher, endpoint) = runtime()
        .block_on(async {
            let mut publisher = zeromq::PubSocket::new();
            let endpoint = publisher.bind(&place.endpoint).await?;
            Ok::<_, BoxError>((publisher, endpoint.to_string()))
        })
        .expect("zmq.rs set-up");
    let credit = Credit::new(subscribers);
    let ready = Arc::new(AtomicUsize::new(0));
    let mut workers: Vec<Remote> = Vec::with_capacity(subscribers + 1);
    for i in 0..subscribers {
        let (endpoint, credit, ready) = (endpoint.clone(), credit.clone(), ready.clone());
        workers.push(spawn_task(
            &format!("zmq.rs SUB {i}"),
            move |mut orders| async move {
                let mut sub = zeromq::SubSocket::new();
                sub.subscribe("").await?;
                sub.connect(&endpoint).await?;
                loop {
                    let msg = sub.recv().await?;
                    if msg.get(0).is_some_and(|f| is_probe(f)) {
                        break;
                    }
                }
                ready.fetch_add(1, Ordering::AcqRel);
                orders.done();
                while let Some(n) = orders.next().await {
                    let mut received = 0;
                    while received < n {
                        let msg = sub.recv().await?;
                        let frame = msg.get(0).map_or(&[][..], |f| &f[..]);
                        if is_probe(frame) {
                            continue;
                        }
                        expect_size(frame.len(), SIZE)?;
                        received += 1;
                        if let Some(k) = completed_batch(received, n) {
                            credit.complete(k);
                        }
                    }
                    orders.done();
                }
                Ok(())
            },
        ));
    }
    let body = Bytes::from_static(payload(SIZE));
    workers.push(spawn_task("zmq.rs PUB", move |mut orders| async move {
        let mut joining = Joining::new();
        while ready.load(Ordering::Acquire) < subscribers {
            joining.check("zmq.rs PUB", ready.load(Ordering::Acquire), subscribers)?;
            publisher.send(Bytes::from_static(PROBE).into()).await?;
            tokio::time::sleep(PROBE_EVERY).await;
        }
        orders.done();
        while let Some(n) = orders.next().await {
            for (k, len) in batches(n) {
                credit.before_batch(k).await;
                for _ in 0..len {
                    publisher.send(body.clone().into()).await?;
                }
            }
            credit.finish(n).await;
            orders.done();
        }
        Ok(())
    }));
    let count = workers.len();
    Rig::new(workers, plan_all(count)).keep(place)
}

fn fanout(c: &mut Criterion) {
    let mut group = c.benchmark_group("fanout/tcp");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1));
    for subscribers in FANOUT {
        for imp in Imp::ALL {
            if imp == Imp::ZmqRs && subscribers > ZMQRS_MAX_SUBSCRIBERS {
                eprintln!(
                    "fanout/tcp/zmqrs/{subscribers}subs: skipped (zmq.rs 0.7.0 intermittently \
                     deadlocks its tokio workers while this many subscribers join)"
                );
                continue;
            }
            let id = BenchmarkId::new(imp.id(), format!("{subscribers}subs"));
            bench_rig(&mut group, id, || match imp {
                Imp::Oxmq => oxmq_rig(subscribers),
                Imp::Libzmq => libzmq_rig(subscribers),
                Imp::ZmqRs => zmqrs_rig(subscribers),
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = fanout
}
criterion_main!(benches);
