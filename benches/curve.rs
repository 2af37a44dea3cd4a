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

use common::{
    bench_rig, libzmq_pushpull_rig, oxmq_pushpull_rig, size_label, Place, Rig, Transport,
};
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use oxmq::{CurveKeyPair, MechanismConfig};

/// Message sizes: small (per-message box cost) to large (cipher bandwidth).
const CURVE_SIZES: [usize; 3] = [100, 1024, 64 * 1024];

fn oxmq_rig(size: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "curve");
    let server = CurveKeyPair::generate();
    let server_key = server.public;
    oxmq_pushpull_rig(
        place,
        size,
        "oxmq CURVE",
        |o| o.mechanism = MechanismConfig::CurveServer { keypair: server },
        |o| {
            o.mechanism = MechanismConfig::CurveClient {
                server_key,
                keypair: CurveKeyPair::generate(),
            }
        },
    )
}

fn libzmq_rig(size: usize) -> Rig {
    let place = Place::new(Transport::Tcp, "curve");
    let (server_public, server_secret) = oxmq_interop::curve_keypair();
    let (client_public, client_secret) = oxmq_interop::curve_keypair();
    libzmq_pushpull_rig(
        place,
        size,
        "libzmq CURVE",
        |pull| {
            pull.set_curve_server(true).expect("curve server");
            pull.set_curve_secretkey(&server_secret)
                .expect("secret key");
        },
        |push| {
            push.set_curve_serverkey(&server_public)
                .expect("server key");
            push.set_curve_publickey(&client_public)
                .expect("public key");
            push.set_curve_secretkey(&client_secret)
                .expect("secret key");
        },
    )
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
