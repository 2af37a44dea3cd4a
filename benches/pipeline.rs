//! PUSH/PULL throughput: one PUSH streams messages of 8 B … 1 MiB to one
//! PULL over inproc, ipc and tcp, on oxmq, libzmq and zmq.rs.
//!
//! One iteration is one message; criterion reports messages per second
//! (`thrpt`). The PUSH and the PULL each run in a worker of their own (a
//! tokio task, or a thread for libzmq) as `perf/remote_thr` and
//! `perf/local_thr` do; a sample is timed from the order to send `n`
//! messages until the PULL has received all `n`. See `common` for the
//! matched settings.

mod common;

use bytes::Bytes;
use common::{
    bench_rig, expect_size, oxmq_options, payload, plan_all, runtime, size_label, spawn_task,
    spawn_thread, BoxError, Imp, Place, Rig, Transport, HWM, SIZES,
};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use oxmq_interop::{MessageBuf, SocketType};
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

fn oxmq_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "pipeline");
    let ctx = oxmq::Context::new();
    let (mut pull, mut push) = runtime()
        .block_on(async {
            let pull = oxmq::Pull::new(&ctx);
            pull.set_options(oxmq_options);
            let endpoint = pull.bind(&place.endpoint).await?;
            let push = oxmq::Push::new(&ctx);
            push.set_options(oxmq_options);
            push.connect(&endpoint)?;
            Ok::<_, BoxError>((pull, push))
        })
        .expect("oxmq set-up");
    let receiver = spawn_task("oxmq PULL", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                let msg = pull.recv().await?;
                expect_size(msg[0].len(), size)?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = Bytes::from_static(payload(size));
    let sender = spawn_task("oxmq PUSH", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                push.send(body.clone()).await?;
            }
            orders.done();
        }
        Ok(())
    });
    let term = ctx.clone();
    Rig::new(vec![receiver, sender], plan_all(2))
        .on_teardown(move || runtime().block_on(term.term()))
        .keep(place)
}

fn libzmq_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "pipeline");
    let ctx = oxmq_interop::Context::new();
    ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)
        .expect("ZMQ_IO_THREADS");
    let pull = ctx.socket(SocketType::Pull).expect("PULL");
    pull.set_linger(0).expect("linger");
    pull.set_rcvhwm(HWM as i32).expect("rcvhwm");
    pull.bind(&place.endpoint).expect("bind");
    let endpoint = pull.last_endpoint().expect("endpoint");
    let push = ctx.socket(SocketType::Push).expect("PUSH");
    push.set_linger(0).expect("linger");
    push.set_sndhwm(HWM as i32).expect("sndhwm");
    push.connect(&endpoint).expect("connect");
    let receiver = spawn_thread("libzmq PULL", move |mut orders| {
        let mut buf = MessageBuf::new();
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for _ in 0..n {
                let len = pull.recv_into(&mut buf, 0)?;
                expect_size(len, size)?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = payload(size);
    let sender = spawn_thread("libzmq PUSH", move |mut orders| {
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for _ in 0..n {
                push.send_static(body, 0)?;
            }
            orders.done();
        }
        Ok(())
    });
    Rig::new(vec![receiver, sender], plan_all(2))
        .keep(ctx)
        .keep(place)
}

fn zmqrs_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "pipeline");
    let (mut pull, mut push) = runtime()
        .block_on(async {
            let mut pull = zeromq::PullSocket::new();
            let endpoint = pull.bind(&place.endpoint).await?;
            let mut push = zeromq::PushSocket::new();
            push.connect(&endpoint.to_string()).await?;
            Ok::<_, BoxError>((pull, push))
        })
        .expect("zmq.rs set-up");
    let receiver = spawn_task("zmq.rs PULL", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                let msg = pull.recv().await?;
                expect_size(msg.get(0).map_or(0, |f| f.len()), size)?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = Bytes::from_static(payload(size));
    let sender = spawn_task("zmq.rs PUSH", move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                push.send(body.clone().into()).await?;
            }
            orders.done();
        }
        Ok(())
    });
    Rig::new(vec![receiver, sender], plan_all(2)).keep(place)
}

fn pipeline(c: &mut Criterion) {
    for transport in Transport::ALL {
        let mut group = c.benchmark_group(format!("pushpull/{}", transport.name()));
        group.sampling_mode(SamplingMode::Flat);
        group.throughput(Throughput::Elements(1));
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
    targets = pipeline
}
criterion_main!(benches);
