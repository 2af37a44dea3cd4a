//! Network faults at the transport level: a peer that vanishes without a
//! FIN (a proxy that blackholes the traffic and keeps both sockets open) is
//! found out by heartbeats on both sides, and the connection comes back
//! through the healed path; a `Disconnected` event is only reported once
//! the dead connection's pipe is closed, so that a socket acting on the
//! event never routes to it.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use oxmq_transports::{Context, SocketEvent, TransportOptions};
use oxmq_zmtp::SocketType;
use support::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// A tcp proxy that forwards both ways until told to blackhole: then it
/// stops forwarding (and reading) on every connection it carries, but keeps
/// the sockets open, as a dead host or a cut cable would. Connections made
/// after [`heal`](Blackhole::heal) forward again. Everything ends when it
/// is dropped.
struct Blackhole {
    endpoint: String,
    hole: watch::Sender<bool>,
    _tasks: JoinSet<()>,
}

impl Blackhole {
    async fn start(target: SocketAddr) -> Blackhole {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("tcp://{}", listener.local_addr().expect("addr"));
        let (hole, hole_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(async move {
            let mut conns = JoinSet::new();
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let Ok(server) = TcpStream::connect(target).await else {
                    continue;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                conns.spawn(pump(cr, sw, hole_rx.clone()));
                conns.spawn(pump(sr, cw, hole_rx.clone()));
            }
        });
        Blackhole {
            endpoint,
            hole,
            _tasks: tasks,
        }
    }

    /// Stops all traffic through the proxy.
    fn cut(&self) {
        self.hole.send_replace(true);
    }

    /// New connections forward again (cut ones stay dead).
    fn heal(&self) {
        self.hole.send_replace(false);
    }
}

/// Copies `rd` to `wr` until the hole opens; then holds both forever.
async fn pump(
    mut rd: tokio::net::tcp::OwnedReadHalf,
    mut wr: tokio::net::tcp::OwnedWriteHalf,
    mut hole: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        tokio::select! {
            biased;
            // (`wait_for`'s guard is not `Send`: keep it inside.)
            _ = async { hole.wait_for(|cut| *cut).await.is_ok() } => break,
            r = rd.read(&mut buf) => match r {
                Ok(0) | Err(_) => {
                    let _ = wr.shutdown().await;
                    return;
                }
                Ok(n) => {
                    if wr.write_all(&buf[..n]).await.is_err() {
                        return;
                    }
                }
            },
        }
    }
    // Blackholed: neither read nor write, nor close.
    std::future::pending::<()>().await;
    drop((rd, wr));
}

fn heartbeats(o: &mut TransportOptions) {
    o.heartbeat_ivl = Some(Duration::from_millis(100));
    o.heartbeat_timeout = Some(Duration::from_millis(500));
}

/// Waits for a heartbeat timeout on `mon`; returns how long it took.
async fn heartbeat_timeout(mon: &mut oxmq_transports::MonitorStream, since: Instant) -> Duration {
    let ev = wait_event(mon, "the heartbeat timeout", |e| {
        matches!(e, SocketEvent::Disconnected { .. })
    })
    .await;
    let SocketEvent::Disconnected { reason, .. } = ev else {
        unreachable!()
    };
    assert_eq!(reason, "heartbeat timeout");
    since.elapsed()
}

/// Both ends run heartbeats (PING every 100 ms, 500 ms timeout) through
/// the proxy. When it blackholes, each side reports a heartbeat timeout —
/// not sooner than a PING interval short of the timeout (nothing but the
/// heartbeats could tell), and not much later. The connecting side then
/// reconnects (attempts into the blackhole fail their handshake timeout)
/// until the proxy heals, and what it queued meanwhile is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_detect_a_blackholed_peer() {
    let ctx = Context::new();
    let mut bopts = TransportOptions::new(SocketType::Pull);
    heartbeats(&mut bopts);
    let (binder, mut bind_peers) = socket_with(&ctx, bopts);
    let mut bind_mon = binder.monitor();
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");
    let proxy = Blackhole::start(
        ep.strip_prefix("tcp://")
            .expect("tcp")
            .parse()
            .expect("address"),
    )
    .await;

    let mut copts = TransportOptions::new(SocketType::Push);
    heartbeats(&mut copts);
    copts.reconnect_ivl = Some(Duration::from_millis(50));
    // A reconnection made into the blackhole gives up and tries again.
    copts.handshake_ivl = Some(Duration::from_millis(300));
    let (conn, mut conn_peers) = socket_with(&ctx, copts);
    let mut conn_mon = conn.monitor();
    conn.connect(&proxy.endpoint).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;
    send_msg(&cp, "through the proxy").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"through the proxy");
    // Heartbeats keep an idle, healthy connection alive.
    tokio::time::sleep(Duration::from_millis(800)).await;
    send_msg(&cp, "still alive").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"still alive");

    proxy.cut();
    let cut_at = Instant::now();
    let on_conn = heartbeat_timeout(&mut conn_mon, cut_at).await;
    let on_bind = heartbeat_timeout(&mut bind_mon, cut_at).await;
    for (side, took) in [("connecting", on_conn), ("binding", on_bind)] {
        assert!(
            took >= Duration::from_millis(400),
            "{side} side gave up after {took:?}, before the timeout"
        );
        assert!(
            took < Duration::from_millis(500 + 100 + 2_500),
            "{side} side took {took:?} to notice"
        );
    }
    // The accepted connection's pipe ended with it.
    assert!(within("the pipe to end", bp.rx.recv()).await.is_none());

    // Queued while the path is down; delivered once it is back.
    send_msg(&cp, "after the outage").await;
    proxy.heal();
    let (mut bp2, _) = bind_peers.next_connected().await;
    assert_eq!(body(&recv_msg(&mut bp2).await), b"after the outage");
}

/// Without heartbeats, the same blackhole goes unnoticed: no event within
/// a few heartbeat timeouts (this is what the heartbeats are for).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_heartbeats_a_blackhole_goes_unnoticed() {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Pull);
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");
    let proxy = Blackhole::start(
        ep.strip_prefix("tcp://")
            .expect("tcp")
            .parse()
            .expect("address"),
    )
    .await;
    let (conn, mut conn_peers) = socket(&ctx, SocketType::Push);
    let mut conn_mon = conn.monitor();
    conn.connect(&proxy.endpoint).expect("connect");
    let (cp, _) = conn_peers.next_connected().await;
    let (mut bp, _) = bind_peers.next_connected().await;
    send_msg(&cp, "through the proxy").await;
    assert_eq!(body(&recv_msg(&mut bp).await), b"through the proxy");
    proxy.cut();
    let quiet = tokio::time::timeout(Duration::from_millis(1_500), async {
        loop {
            match conn_mon.next().await {
                Some(ev @ SocketEvent::Disconnected { .. }) => return ev,
                Some(_) => {}
                None => std::future::pending().await,
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "unexpected {quiet:?}");
}

/// When the monitor reports an accepted connection `Disconnected`, its
/// pipe is already closed: a socket that reacts to the event (or sends
/// right after it) can never hand a message to the dead connection, where
/// it would be lost. Repeated, since the opposite order is a race.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnected_is_reported_after_the_pipe_closes() {
    let ctx = Context::new();
    let (binder, mut bind_peers) = socket(&ctx, SocketType::Push);
    let mut mon = binder.monitor();
    let ep = binder.bind("tcp://127.0.0.1:0").await.expect("bind");
    for _ in 0..200 {
        let raw = raw_null_client(&ep, "PULL").await;
        let raw_addr = raw.local_addr().expect("local_addr").to_string();
        let (bp, _) = bind_peers.next_connected().await;
        drop(raw);
        wait_event(
            &mut mon,
            "the disconnection",
            |e| matches!(e, SocketEvent::Disconnected { peer, .. } if *peer == raw_addr),
        )
        .await;
        assert!(
            bp.tx.is_closed(),
            "Disconnected was reported while the pipe was still open"
        );
    }
}
