//! CURVE throughput: one PUSH streams 100 B, 1 KiB and 64 KiB messages to
//! one PULL over tcp with CURVE on both ends (the PULL is the CURVE server),
//! on oxmq and on libzmq 4.3.5 + libsodium: the equivalent of running
//! libzmq's `perf/local_thr` and `remote_thr` with CURVE keys. zmq.rs has
//! no CURVE.
//!
//! Same shape and settings as `pipeline.rs` (see `common`): one iteration
//! is one message, the PUSH and the PULL each run in a worker of their own,
//! connections and handshakes happen outside the timed loop.

mod common;

use bytes::Bytes;
use common::{
    bench_rig, expect_size, oxmq_options, payload, plan_all, runtime, size_label, spawn_task,
    spawn_thread, BoxError, Place, Rig, Transport, HWM,
};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use oxmq::{CurveKeyPair, MechanismConfig};
use oxmq_interop::{MessageBuf, SocketType};

/// Message sizes: small (per-message box cost) to large (cipher bandwidth).
const CURVE_SIZES: [usize; 3] = [100, 1024, 64 * 1024];

fn oxmq_rig(size: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "curve");
    let ctx = oxmq::Context::new();
    let server = CurveKeyPair::generate();
    let server_public = server.public;
    let (mut pull, mut push) = runtime()
        .block_on(async {
            let pull = oxmq::Pull::new(&ctx);
            pull.set_options(|o| {
                oxmq_options(o);
                o.mechanism = MechanismConfig::CurveServer { keypair: server };
            });
            let endpoint = pull.bind(&place.endpoint).await?;
            let push = oxmq::Push::new(&ctx);
            push.set_options(|o| {
                oxmq_options(o);
                o.mechanism = MechanismConfig::CurveClient {
                    server_key: server_public,
                    keypair: CurveKeyPair::generate(),
                };
            });
            push.connect(&endpoint)?;
            Ok::<_, BoxError>((pull, push))
        })
        .expect("oxmq set-up");
    let receiver = spawn_task("oxmq CURVE PULL", move |mut orders| async move {
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
    let sender = spawn_task("oxmq CURVE PUSH", move |mut orders| async move {
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

fn libzmq_rig(size: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "curve");
    let ctx = oxmq_interop::Context::new();
    ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)
        .expect("ZMQ_IO_THREADS");
    let (server_public, server_secret) = oxmq_interop::curve_keypair();
    let (client_public, client_secret) = oxmq_interop::curve_keypair();
    let pull = ctx.socket(SocketType::Pull).expect("PULL");
    pull.set_linger(0).expect("linger");
    pull.set_rcvhwm(HWM as i32).expect("rcvhwm");
    pull.set_curve_server(true).expect("curve server");
    pull.set_curve_secretkey(&server_secret)
        .expect("secret key");
    pull.bind(&place.endpoint).expect("bind");
    let endpoint = pull.last_endpoint().expect("endpoint");
    let push = ctx.socket(SocketType::Push).expect("PUSH");
    push.set_linger(0).expect("linger");
    push.set_sndhwm(HWM as i32).expect("sndhwm");
    push.set_curve_serverkey(&server_public)
        .expect("server key");
    push.set_curve_publickey(&client_public)
        .expect("public key");
    push.set_curve_secretkey(&client_secret)
        .expect("secret key");
    push.connect(&endpoint).expect("connect");
    let receiver = spawn_thread("libzmq CURVE PULL", move |mut orders| {
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
    let sender = spawn_thread("libzmq CURVE PUSH", move |mut orders| {
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

fn curve(c: &mut Criterion) {
    let mut group = c.benchmark_group("curve/tcp");
    group.sampling_mode(SamplingMode::Flat);
    group.throughput(Throughput::Elements(1));
    for size in CURVE_SIZES {
        bench_rig(
            &mut group,
            BenchmarkId::new("oxmq", size_label(size)),
            || oxmq_rig(size),
        );
        bench_rig(
            &mut group,
            BenchmarkId::new("libzmq", size_label(size)),
            || libzmq_rig(size),
        );
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = common::config();
    targets = curve
}
criterion_main!(benches);
