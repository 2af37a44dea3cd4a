//! 10,000 tcp connections opened and abandoned mid-handshake, and 1,000
//! held open at once: every one is accepted and reported failed, the
//! socket keeps serving a good peer throughout, and afterwards the number
//! of tasks, the open file descriptors and the memory are back where they
//! were.
//!
//! One test in this file on purpose: it counts the process's descriptors
//! and resident memory, which tests running in parallel would disturb.

mod support;

use oxmq_transports::{
    Context, MonitorStream, Peer, SocketEvent, SocketTransport, TransportOptions,
};
use oxmq_zmtp::SocketType;
use support::*;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

/// Connections made at once before waiting for the socket to catch up
/// (below the listen backlog, so that no SYN is ever dropped).
const BATCH: usize = 50;

/// Resident memory of this process, in KiB (Linux).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// Connects to `addr` with `SO_LINGER` 0, so that dropping the stream
/// resets it (and leaves no TIME_WAIT behind to eat the port range).
async fn connect(addr: std::net::SocketAddr) -> TcpStream {
    let sock = TcpSocket::new_v4().expect("socket");
    let s = sock.connect(addr).await.expect("connect");
    s.set_zero_linger().expect("SO_LINGER");
    s
}

/// Tallies of the monitor events of the raw connections.
#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    failed: usize,
    succeeded: usize,
}

impl Tally {
    /// Reads events until `accepted` and `failed` reach the given counts.
    async fn until(&mut self, mon: &mut MonitorStream, accepted: usize, failed: usize) {
        within("the socket to catch up", async {
            while self.accepted < accepted || self.failed < failed {
                match mon.next().await {
                    Some(SocketEvent::Accepted { .. }) => self.accepted += 1,
                    Some(SocketEvent::HandshakeFailedNoDetail { .. }) => self.failed += 1,
                    Some(SocketEvent::HandshakeSucceeded { .. }) => self.succeeded += 1,
                    Some(ev @ SocketEvent::HandshakeFailedProtocol { .. }) => {
                        panic!("an abandoned connection is an I/O failure, got {ev:?}")
                    }
                    Some(_) => {}
                    None => panic!("the monitor ended"),
                }
            }
        })
        .await;
    }
}

/// What an abandoned connection sent before going away.
fn abandon_bytes(i: usize) -> Vec<u8> {
    let greeting = null_greeting();
    match i % 4 {
        0 => Vec::new(),
        1 => greeting[..10].to_vec(),
        2 => greeting,
        _ => {
            let mut v = greeting;
            let ready = ready_frame("PUSH");
            v.extend_from_slice(&ready[..ready.len() / 2]);
            v
        }
    }
}

async fn check(conn: &Peer, bound: &mut Peer, text: &str) {
    send_msg(conn, text.to_string()).await;
    assert_eq!(body(&recv_msg(bound).await), text.as_bytes());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abandoned_connections_leave_nothing_behind() {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket_with(&ctx, TransportOptions::new(SocketType::Pull));
    let mut mon = binder.monitor();
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");
    let addr: std::net::SocketAddr = ep
        .strip_prefix("tcp://")
        .expect("tcp")
        .parse()
        .expect("address");

    // The well-behaved peer, in its own context so that the task count
    // below is the server's alone.
    let good_ctx = Context::new();
    let (good, mut good_peers): (SocketTransport, Peers) = socket(&good_ctx, SocketType::Push);
    good.connect(&ep).expect("connect");
    let (conn, _) = good_peers.next_connected().await;
    let (mut bound, _) = bind_peers.next_connected().await;
    check(&conn, &mut bound, "before").await;

    let mut tally = Tally::default();
    // The good peer's own Accepted/HandshakeSucceeded may still be queued.
    tally.until(&mut mon, 1, 0).await;
    let base_accepted = tally.accepted;
    // The listener and the good peer's connection.
    let base_tasks = ctx.task_count();
    assert_eq!(base_tasks, 2);

    // Warm up (runtime, allocator) with a first round, then take the
    // baseline.
    let mut total = 0;
    for i in 0..200 {
        let mut s = connect(addr).await;
        let _ = s.write_all(&abandon_bytes(i)).await;
        drop(s);
        total += 1;
        if total % BATCH == 0 {
            tally.until(&mut mon, base_accepted + total, total).await;
        }
    }
    wait_until("the server tasks to end", || ctx.task_count() == base_tasks).await;
    let base_fds = open_fds();
    let base_rss = rss_kib();

    // 10,000 connections, each abandoned at once.
    for i in 0..10_000 {
        let mut s = connect(addr).await;
        let _ = s.write_all(&abandon_bytes(i)).await;
        drop(s);
        total += 1;
        if total % BATCH == 0 {
            tally.until(&mut mon, base_accepted + total, total).await;
        }
        if i % 2_500 == 0 {
            check(&conn, &mut bound, "during the flood").await;
        }
    }
    tally.until(&mut mon, base_accepted + total, total).await;
    assert_eq!(
        tally.succeeded, 1,
        "only the good peer completes a handshake"
    );
    check(&conn, &mut bound, "after the flood").await;
    wait_until("the server tasks to end", || ctx.task_count() == base_tasks).await;
    wait_until("the descriptors to close", || open_fds() == base_fds).await;
    let after_flood = rss_kib();

    // 1,000 held open at once, each half way through its greeting: one
    // task each while they last, then gone.
    let mut open = Vec::with_capacity(1_000);
    for i in 0..1_000 {
        let mut s = connect(addr).await;
        s.write_all(&null_greeting()[..20 + i % 40])
            .await
            .expect("write");
        open.push(s);
        if open.len() % BATCH == 0 {
            tally
                .until(&mut mon, base_accepted + total + open.len(), total)
                .await;
        }
    }
    wait_until("a task per open connection", || {
        ctx.task_count() == base_tasks + 1_000
    })
    .await;
    let with_open = rss_kib();
    check(&conn, &mut bound, "with 1,000 connections open").await;
    total += open.len();
    drop(open);
    tally.until(&mut mon, base_accepted + total, total).await;
    wait_until("the server tasks to end", || ctx.task_count() == base_tasks).await;
    wait_until("the descriptors to close", || open_fds() == base_fds).await;
    check(&conn, &mut bound, "at the end").await;

    let per_open = with_open.saturating_sub(after_flood) / 1_000;
    eprintln!(
        "RSS: {base_rss} KiB before, {after_flood} KiB after 10,000 abandoned \
         connections, {with_open} KiB with 1,000 open (~{per_open} KiB each)"
    );
    // Memory stays bounded: the flood leaves at most a few MiB of
    // allocator slack behind, and a pending handshake costs kilobytes.
    assert!(
        after_flood < base_rss + 16 * 1024,
        "RSS grew from {base_rss} to {after_flood} KiB over the flood"
    );
    assert!(per_open < 64, "{per_open} KiB per pending handshake");

    drop((binder, bind_peers, good, good_peers, conn, bound));
    within("term", ctx.term()).await;
    within("term", good_ctx.term()).await;
}
