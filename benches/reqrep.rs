//! REQ/REP round-trip latency: one REQ and one REP (each in a worker of its
//! own, as `perf/remote_lat` and `perf/local_lat`) bounce messages of 8 B …
//! 1 MiB over inproc, ipc and tcp, on oxmq, libzmq and zmq.rs.
//!
//! One iteration is one full round trip (request and reply), so criterion's
//! `time` is the round-trip latency; libzmq's `remote_lat` prints half of
//! it. The REP echoes the very message it received (libzmq: the same
//! `zmq_msg_t`, as `local_lat` does).

mod common;

use bytes::Bytes;
use common::{
    bench_rig, expect_size, oxmq_options, payload, plan_all, runtime, size_label, spawn_task,
    spawn_thread, BoxError, Imp, Place, Rig, Transport, HWM, SIZES,
};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode};
use oxmq_interop::{MessageBuf, SocketType};
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

fn oxmq_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "reqrep");
    let ctx = oxmq::Context::new();
    let (mut rep, mut req) = runtime()
        .block_on(async {
            let rep = oxmq::Rep::new(&ctx);
            rep.set_options(oxmq_options);
            let endpoint = rep.bind(&place.endpoint).await?;
            let req = oxmq::Req::new(&ctx);
            req.set_options(oxmq_options);
            req.connect(&endpoint)?;
            Ok::<_, BoxError>((rep, req))
        })
        .expect("oxmq set-up");
    let server = spawn_task("oxmq REP", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                let msg = rep.recv().await?;
                rep.send(msg).await?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = Bytes::from_static(payload(size));
    let client = spawn_task("oxmq REQ", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                req.send(body.clone()).await?;
                let reply = req.recv().await?;
                expect_size(reply[0].len(), size)?;
            }
            orders.done();
        }
        Ok(())
    });
    let term = ctx.clone();
    Rig::new(vec![server, client], plan_all(2))
        .on_teardown(move || runtime().block_on(term.term()))
        .keep(place)
}

fn libzmq_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "reqrep");
    let ctx = oxmq_interop::Context::new();
    ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)
        .expect("ZMQ_IO_THREADS");
    let rep = ctx.socket(SocketType::Rep).expect("REP");
    let req = ctx.socket(SocketType::Req).expect("REQ");
    for s in [&rep, &req] {
        s.set_linger(0).expect("linger");
        s.set_sndhwm(HWM as i32).expect("sndhwm");
        s.set_rcvhwm(HWM as i32).expect("rcvhwm");
    }
    rep.bind(&place.endpoint).expect("bind");
    req.connect(&rep.last_endpoint().expect("endpoint"))
        .expect("connect");
    let server = spawn_thread("libzmq REP", move |mut orders| {
        let mut buf = MessageBuf::new();
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for _ in 0..n {
                rep.recv_into(&mut buf, 0)?;
                rep.send_buf(&mut buf, 0)?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = payload(size);
    let client = spawn_thread("libzmq REQ", move |mut orders| {
        let mut buf = MessageBuf::new();
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for _ in 0..n {
                req.send_static(body, 0)?;
                let len = req.recv_into(&mut buf, 0)?;
                expect_size(len, size)?;
            }
            orders.done();
        }
        Ok(())
    });
    Rig::new(vec![server, client], plan_all(2))
        .keep(ctx)
        .keep(place)
}

fn zmqrs_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "reqrep");
    let (mut rep, mut req) = runtime()
        .block_on(async {
            let mut rep = zeromq::RepSocket::new();
            let endpoint = rep.bind(&place.endpoint).await?;
            let mut req = zeromq::ReqSocket::new();
            req.connect(&endpoint.to_string()).await?;
            Ok::<_, BoxError>((rep, req))
        })
        .expect("zmq.rs set-up");
    let server = spawn_task("zmq.rs REP", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                let msg = rep.recv().await?;
                rep.send(msg).await?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = Bytes::from_static(payload(size));
    let client = spawn_task("zmq.rs REQ", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                req.send(body.clone().into()).await?;
                let reply = req.recv().await?;
                expect_size(reply.get(0).map_or(0, |f| f.len()), size)?;
            }
            orders.done();
        }
        Ok(())
    });
    Rig::new(vec![server, client], plan_all(2)).keep(place)
}

fn reqrep(c: &mut Criterion) {
    for transport in Transport::ALL {
        let mut group = c.benchmark_group(format!("reqrep/{}", transport.name()));
        group.sampling_mode(SamplingMode::Flat);
        for size in SIZES {
            for imp in Imp::ALL {
                if !imp.supports(transport) {
                    continue;
                }
                let id = BenchmarkId::new(imp.id(), size_label(size));
                bench_rig(&mut group, id, || match imp {
                    Imp::Oxmq => oxmq_rig(transport, size),
                    Imp::Libzmq => libzmq_rig(transport, size),
                    Imp::ZmqRs => zmqrs_rig(transport, size),
                });
            }
        }
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = reqrep
}
criterion_main!(benches);
