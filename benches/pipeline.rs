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
    bench_rig, expect_size, libzmq_pushpull_rig, oxmq_pushpull_rig, payload, plan_all, runtime,
    size_label, spawn_task, BoxError, Imp, Place, Rig, Transport, SIZES,
};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

fn oxmq_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "pipeline");
    oxmq_pushpull_rig(place, size, "oxmq", |_| {}, |_| {})
}

fn libzmq_rig(transport: Transport, size: usize) -> Rig {
    let place = Place::new(transport, "pipeline");
    libzmq_pushpull_rig(place, size, "libzmq", |_| {}, |_| {})
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
