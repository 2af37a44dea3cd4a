//! Clean shutdown under load: dropping the sending or the receiving socket
//! in the middle of heavy PUSH→PULL traffic, shutting the context down
//! during it, or dropping every handle at once, over tcp, ipc and inproc;
//! and shutting down (or dropping the sockets) while handshakes are half
//! done. Nothing hangs: `term` returns (within the sender's linger, set to
//! 100 ms: with an infinite linger, `term` waits for queued messages
//! forever, as `zmq_ctx_term` does), no task is left, and the process has
//! exactly the file descriptors it had before.
//!
//! One test in this file on purpose: it counts the process's open file
//! descriptors, which tests running in parallel would disturb.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxmq_sockets::{Pull, Push};
use oxmq_transports::{Context, SocketEvent};
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const SAFETY: Duration = Duration::from_secs(30);

async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(SAFETY, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

/// Polls `cond` until it holds (for what has no event: descriptors).
async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    within(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

fn endpoint(transport: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    match transport {
        "tcp" => "tcp://127.0.0.1:0".into(),
        "ipc" => format!(
            "ipc://{}",
            std::env::temp_dir()
                .join(format!("oxmq-shutdown-{}-{n}.sock", std::process::id()))
                .display()
        ),
        "inproc" => format!("inproc://shutdown-{n}"),
        other => panic!("unknown transport {other}"),
    }
}

/// A PUSH sending 1 KiB messages as fast as it can to a PULL that takes
/// them as fast as it can, each in its own task.
struct Traffic {
    producer: JoinHandle<()>,
    consumer: JoinHandle<()>,
    received: watch::Receiver<u64>,
}

impl Traffic {
    async fn start(ctx: &Context, transport: &str) -> Traffic {
        let mut pull = Pull::new(ctx);
        let ep = pull.bind(&endpoint(transport)).await.expect("bind");
        let mut push = Push::new(ctx);
        // With the default, infinite linger a sender whose receiver is
        // gone keeps its queued messages, and `term` waits for them
        // forever (as `zmq_ctx_term` does); a finite linger bounds that.
        push.set_options(|o| o.linger = Some(Duration::from_millis(100)));
        push.connect(&ep).expect("connect");
        let producer = tokio::spawn(async move {
            let payload = bytes::Bytes::from(vec![0xA5u8; 1024]);
            // Runs until aborted or the context is shut down.
            while push.send(payload.clone()).await.is_ok() {}
        });
        let (tx, received) = watch::channel(0u64);
        let consumer = tokio::spawn(async move {
            let mut n = 0u64;
            while pull.recv().await.is_ok() {
                n += 1;
                if n % 1000 == 0 {
                    tx.send_replace(n);
                }
            }
        });
        let mut traffic = Traffic {
            producer,
            consumer,
            received,
        };
        // Heavy traffic is flowing.
        within(
            "20,000 messages",
            traffic.received.wait_for(|&n| n >= 20_000),
        )
        .await
        .expect("consumer alive");
        traffic
    }
}

/// Aborts `task` (dropping what it owns, mid-operation) and waits for it.
async fn abort(task: JoinHandle<()>) {
    task.abort();
    let _ = within("an aborted task to end", task).await;
}

async fn drop_sender_mid_traffic(transport: &str) {
    let ctx = Context::new();
    let t = Traffic::start(&ctx, transport).await;
    abort(t.producer).await;
    abort(t.consumer).await;
    within("term after dropping the sender first", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0, "{transport}: tasks left");
}

async fn drop_receiver_mid_traffic(transport: &str) {
    let ctx = Context::new();
    let t = Traffic::start(&ctx, transport).await;
    abort(t.consumer).await;
    abort(t.producer).await;
    within("term after dropping the receiver first", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0, "{transport}: tasks left");
}

async fn shutdown_mid_traffic(transport: &str) {
    let ctx = Context::new();
    let t = Traffic::start(&ctx, transport).await;
    ctx.shutdown();
    // Every background task ends although both sockets are still alive.
    within("term after shutdown", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0, "{transport}: tasks left");
    // Their pending send and recv fail with `Closed`, which ends both
    // loops (see `faults.rs` for every socket type).
    within("the producer to stop", t.producer)
        .await
        .expect("producer");
    within("the consumer to stop", t.consumer)
        .await
        .expect("consumer");
}

/// No handle is kept to wait on: the descriptors are the only witness.
async fn drop_everything_mid_traffic(transport: &str, fds_before: usize) {
    let ctx = Context::new();
    let t = Traffic::start(&ctx, transport).await;
    drop(ctx);
    abort(t.producer).await;
    abort(t.consumer).await;
    wait_until("every descriptor to close", || open_fds() == fds_before).await;
}

/// Handshakes in progress on both sides: raw connections that stopped
/// halfway through their greeting on a bound socket, and connecting
/// sockets whose peer accepted but never speaks. Then `shutdown` (or, with
/// `shutdown` false, dropping the sockets) ends them all at once, without
/// waiting for the handshake timeout.
async fn handshakes_in_progress(shutdown: bool) {
    let ctx = Context::new();
    let pull = Pull::new(&ctx);
    let mut mon = pull.monitor();
    let ep = pull.bind("tcp://127.0.0.1:0").await.expect("bind");
    let addr = ep.strip_prefix("tcp://").expect("tcp").to_string();
    let mut raw = Vec::new();
    for _ in 0..50 {
        let mut s = tokio::net::TcpStream::connect(&addr)
            .await
            .expect("connect");
        s.write_all(&[0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F])
            .await
            .expect("write");
        raw.push(s);
    }
    within("50 accepted connections", async {
        let mut n = 0;
        while n < 50 {
            if let Some(SocketEvent::Accepted { .. }) = mon.next().await {
                n += 1;
            }
        }
    })
    .await;

    // A listener that accepts and never says a word.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let silent_ep = format!("tcp://{}", silent.local_addr().expect("addr"));
    let mut pushes = Vec::new();
    let mut accepted = Vec::new();
    for _ in 0..10 {
        let push = Push::new(&ctx);
        let mut m = push.monitor();
        push.connect(&silent_ep).expect("connect");
        let (s, _) = within("a connection", silent.accept())
            .await
            .expect("accept");
        accepted.push(s);
        within("the handshake to start", async {
            while !matches!(m.next().await, Some(SocketEvent::Connected { .. })) {}
        })
        .await;
        pushes.push(push);
    }
    // 50 accepted handshakes, 10 connecting ones, one listener.
    assert_eq!(ctx.task_count(), 61);

    if shutdown {
        ctx.shutdown();
    } else {
        drop((pull, pushes));
    }
    within("term with handshakes in progress", ctx.term()).await;
    assert_eq!(ctx.task_count(), 0);
    drop((raw, accepted, silent));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_under_load_leaves_nothing_behind() {
    // Warm-up: whatever the runtime opens once and keeps.
    for t in ["tcp", "ipc", "inproc"] {
        drop_sender_mid_traffic(t).await;
    }
    handshakes_in_progress(true).await;
    let before = open_fds();
    for t in ["tcp", "ipc", "inproc"] {
        drop_sender_mid_traffic(t).await;
        wait_until("descriptors after dropping the sender", || {
            open_fds() == before
        })
        .await;
        drop_receiver_mid_traffic(t).await;
        wait_until("descriptors after dropping the receiver", || {
            open_fds() == before
        })
        .await;
        shutdown_mid_traffic(t).await;
        wait_until("descriptors after shutdown", || open_fds() == before).await;
        drop_everything_mid_traffic(t, before).await;
    }
    for shutdown in [true, false] {
        handshakes_in_progress(shutdown).await;
        wait_until("descriptors after the handshakes", || open_fds() == before).await;
    }
    assert_eq!(open_fds(), before);
}
