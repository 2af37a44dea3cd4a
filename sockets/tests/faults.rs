//! The listening side goes away and comes back on the same endpoint —
//! the same socket unbinding and binding again, or a new socket taking
//! over — while a connecting PUSH keeps sending: the PUSH notices, queues,
//! reconnects, and what it queued meanwhile arrives, in order, exactly
//! once. Over tcp (same port) and ipc (same path).
//!
//! And `Context::shutdown`: every call of the context's sockets fails with
//! `SocketError::Closed` — those waiting when it happens (woken up) and
//! later ones, even with messages queued — for every socket type, the
//! `try_*` calls, the `Stream` and `Sink` implementations, the split
//! halves, `AnySocket` and `proxy` (as libzmq's `ETERM`).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use std::future::Future;

use futures::stream::FusedStream;
use futures::{SinkExt, StreamExt};
use oxmq_sockets::{
    proxy, AnySocket, Dealer, Pair, Pull, Push, Rep, Req, Router, SocketError, Sub, TrySendError,
    Xpub, Xsub,
};
use oxmq_transports::{Context, MonitorStream, SocketEvent};
use oxmq_zmtp::{Message, SocketType};
use tokio::task::JoinHandle;

const SAFETY: Duration = Duration::from_secs(20);

async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(SAFETY, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

fn ipc_endpoint() -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "oxmq-faults-{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    format!("ipc://{}", path.display())
}

async fn wait_disconnected(mon: &mut MonitorStream) {
    within("the PUSH to notice", async {
        loop {
            match mon.next().await {
                Some(SocketEvent::Disconnected { .. }) => return,
                Some(_) => {}
                None => panic!("monitor ended"),
            }
        }
    })
    .await;
}

/// Unbinding (or closing) is asynchronous: the port or path is free once
/// the listener reports itself closed.
async fn wait_closed(mon: &mut MonitorStream, ep: &str) {
    within("the listener to close", async {
        loop {
            match mon.next().await {
                Some(SocketEvent::Closed { endpoint }) if endpoint == ep => return,
                Some(_) => {}
                None => panic!("monitor ended"),
            }
        }
    })
    .await;
}

async fn send_range(push: &mut Push, range: std::ops::Range<u32>) {
    for i in range {
        within("room to send", push.send(format!("msg {i}")))
            .await
            .expect("send");
    }
}

async fn recv_range(pull: &mut Pull, range: std::ops::Range<u32>) {
    for i in range {
        let m = within("a message", pull.recv()).await.expect("recv");
        assert_eq!(&m[0][..], format!("msg {i}").as_bytes());
    }
}

/// A connecting PUSH with a short reconnection interval, and its monitor.
fn pusher(ctx: &Context, ep: &str) -> (Push, MonitorStream) {
    let push = Push::new(ctx);
    push.set_options(|o| o.reconnect_ivl = Some(Duration::from_millis(20)));
    let mon = push.monitor();
    push.connect(ep).expect("connect");
    (push, mon)
}

async fn same_socket_rebinds(bind_ep: &str) {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    let ep = pull.bind(bind_ep).await.expect("bind");
    let (mut push, mut mon) = pusher(&ctx, &ep);
    send_range(&mut push, 0..100).await;
    recv_range(&mut pull, 0..100).await;

    let mut pull_mon = pull.monitor();
    pull.unbind(&ep).expect("unbind");
    wait_disconnected(&mut mon).await;
    wait_closed(&mut pull_mon, &ep).await;
    // Queued by the PUSH while nobody listens.
    send_range(&mut push, 100..300).await;
    let again = pull.bind(&ep).await.expect("bind again");
    assert_eq!(again, ep);
    recv_range(&mut pull, 100..300).await;
    // And traffic goes on.
    send_range(&mut push, 300..400).await;
    recv_range(&mut pull, 300..400).await;
    assert!(pull.try_recv().is_err(), "a message came twice");
}

async fn new_socket_takes_over(bind_ep: &str) {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    let ep = pull.bind(bind_ep).await.expect("bind");
    let (mut push, mut mon) = pusher(&ctx, &ep);
    send_range(&mut push, 0..100).await;
    recv_range(&mut pull, 0..100).await;

    let mut pull_mon = pull.monitor();
    drop(pull);
    wait_disconnected(&mut mon).await;
    wait_closed(&mut pull_mon, &ep).await;
    send_range(&mut push, 100..300).await;
    let mut pull = Pull::new(&ctx);
    assert_eq!(pull.bind(&ep).await.expect("bind again"), ep);
    recv_range(&mut pull, 100..300).await;
    assert!(pull.try_recv().is_err(), "a message came twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_same_socket_rebinds() {
    same_socket_rebinds("tcp://127.0.0.1:0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_same_socket_rebinds() {
    same_socket_rebinds(&ipc_endpoint()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_new_socket_takes_over() {
    new_socket_takes_over("tcp://127.0.0.1:0").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipc_new_socket_takes_over() {
    new_socket_takes_over(&ipc_endpoint()).await;
}

// ------------------------------------------------------------ shutdown ----

/// Runs `fut` in a task and returns once that task is waiting in it (its
/// future returned `Pending`), so that what ends the wait can only be a
/// wake-up. Fails if `fut` completes without waiting.
async fn spawn_waiting<T: Send + 'static>(
    what: &str,
    fut: impl Future<Output = T> + Send + 'static,
) -> JoinHandle<T> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let mut tx = Some(tx);
    let mut fut = Box::pin(fut);
    let task = tokio::spawn(std::future::poll_fn(move |cx| {
        let r = fut.as_mut().poll(cx);
        if r.is_pending() {
            if let Some(tx) = tx.take() {
                let _ = tx.send(());
            }
        }
        r
    }));
    if within(what, rx).await.is_err() {
        panic!("{what}: completed without waiting");
    }
    task
}

/// The waiting call ends, with `Closed`.
async fn ends_closed<T: std::fmt::Debug>(what: &str, task: JoinHandle<Result<T, SocketError>>) {
    let r = within(what, task).await.expect("task");
    assert!(matches!(r, Err(SocketError::Closed)), "{what}: {r:?}");
}

fn assert_closed<T: std::fmt::Debug>(what: &str, r: Result<T, SocketError>) {
    assert!(matches!(r, Err(SocketError::Closed)), "{what}: {r:?}");
}

fn inproc(label: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!(
        "inproc://faults-{label}-{}",
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// `Context::shutdown` documents that sockets then fail with
/// `SocketError::Closed`; a `send` waiting for a peer and a `recv` waiting
/// for a message end that way, not wait forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_fails_pending_send_and_recv() {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.bind(&ipc_endpoint()).await.expect("bind");
    let mut push = Push::new(&ctx);
    // No peer: a send waits for one.
    let recv = spawn_waiting("recv", async move { pull.recv().await.map(|_| ()) }).await;
    let send = spawn_waiting("send", async move { push.send("never delivered").await }).await;
    ctx.shutdown();
    ends_closed("recv", recv).await;
    ends_closed("send", send).await;
}

/// A `recv` waiting on each type that receives, over inproc with no
/// message coming (REQ: waiting for a reply that never comes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_wakes_a_waiting_recv_of_every_type() {
    let ctx = Context::new();
    let mut waiting = Vec::new();

    macro_rules! waiting_recv {
        ($name:literal, $sock:expr) => {{
            let mut s = $sock;
            s.bind(&inproc($name)).await.expect("bind");
            waiting.push((
                $name,
                spawn_waiting($name, async move { s.recv().await.map(|_| ()) }).await,
            ));
        }};
    }
    waiting_recv!("pull", Pull::new(&ctx));
    waiting_recv!("pair", Pair::new(&ctx));
    waiting_recv!("dealer", Dealer::new(&ctx));
    waiting_recv!("router", Router::new(&ctx));
    waiting_recv!("rep", Rep::new(&ctx));
    waiting_recv!("xpub", Xpub::new(&ctx));
    waiting_recv!("xsub", Xsub::new(&ctx));
    let mut sub = Sub::new(&ctx);
    sub.subscribe("").await.expect("subscribe");
    waiting_recv!("sub", sub);

    // REQ: the request went to a ROUTER that does not answer.
    let router = Router::new(&ctx);
    let ep = inproc("req-router");
    router.bind(&ep).await.expect("bind");
    let mut req = Req::new(&ctx);
    req.connect(&ep).expect("connect");
    within("the request", req.send("question"))
        .await
        .expect("send");
    waiting.push((
        "req",
        spawn_waiting("req", async move { req.recv().await.map(|_| ()) }).await,
    ));

    ctx.shutdown();
    for (name, task) in waiting {
        ends_closed(name, task).await;
    }
    drop(router);
}

/// A `send` waiting for a peer on each type that waits for one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_wakes_a_waiting_send() {
    let ctx = Context::new();
    let mut waiting = Vec::new();
    macro_rules! waiting_send {
        ($name:literal, $sock:expr) => {{
            let mut s = $sock;
            waiting.push((
                $name,
                spawn_waiting($name, async move { s.send("no peer").await }).await,
            ));
        }};
    }
    waiting_send!("push", Push::new(&ctx));
    waiting_send!("dealer", Dealer::new(&ctx));
    waiting_send!("pair", Pair::new(&ctx));
    waiting_send!("req", Req::new(&ctx));

    // XPUB with `nodrop` waits for room at a full subscriber.
    let mut xpub = Xpub::new(&ctx);
    xpub.set_nodrop(true);
    xpub.set_options(|o| o.sndhwm = 1);
    let ep = inproc("xpub");
    xpub.bind(&ep).await.expect("bind");
    let mut sub = Sub::new(&ctx);
    sub.set_options(|o| o.rcvhwm = 1);
    sub.connect(&ep).expect("connect");
    sub.subscribe("").await.expect("subscribe");
    assert_eq!(
        &within("the subscription", xpub.recv()).await.expect("recv")[0][..],
        b"\x01"
    );
    let xpub_send = spawn_waiting("xpub", async move {
        loop {
            xpub.send("fill").await?;
        }
    })
    .await;
    waiting.push(("xpub nodrop", xpub_send));

    ctx.shutdown();
    for (name, task) in waiting {
        ends_closed(name, task).await;
    }
    drop(sub);
}

/// Once the context is shut down, every call fails with `Closed`, for all
/// eleven types: send, recv, subscribe, bind, connect, unbind, disconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_call_fails_after_shutdown() {
    let ctx = Context::new();
    let types = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::Xpub,
        SocketType::Xsub,
    ];
    let mut sockets = Vec::new();
    for t in types {
        let s = AnySocket::new(&ctx, t).expect("socket");
        let bound = s.bind(&inproc(t.as_str())).await.expect("bind");
        sockets.push((t, s, bound));
    }
    ctx.shutdown();
    // A socket made after the shutdown is closed from the start.
    let late = Pull::new(&ctx);
    sockets.push((SocketType::Pull, AnySocket::Pull(late), String::new()));
    for (t, mut s, bound) in sockets {
        let name = t.as_str();
        if s.can_send() {
            // (A ROUTER's message names its peer; it would just be dropped.)
            let msg = Message::from(vec![bytes::Bytes::from("id"), "body".into()]);
            assert_closed(name, within(name, s.send(msg)).await);
        }
        if s.can_recv() {
            assert_closed(name, within(name, s.recv()).await);
        }
        if matches!(t, SocketType::Sub | SocketType::Xsub) {
            assert_closed(name, within(name, s.subscribe("topic")).await);
        }
        assert_closed(name, s.bind(&inproc(name)).await);
        assert_closed(name, s.connect(&inproc(name)));
        if !bound.is_empty() {
            assert_closed(name, s.unbind(&bound));
        }
        assert_closed(name, s.disconnect("inproc://never-connected"));
    }
}

/// libzmq: after the shutdown nothing more is delivered, even what is
/// already queued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queued_messages_are_not_delivered_after_shutdown() {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    let ep = pull.bind(&inproc("queued")).await.expect("bind");
    let mut push = Push::new(&ctx);
    push.connect(&ep).expect("connect");
    for i in 0..10 {
        within("send", push.send(format!("msg {i}")))
            .await
            .expect("send");
    }
    assert_eq!(
        &within("recv", pull.recv()).await.expect("recv")[0][..],
        b"msg 0"
    );
    ctx.shutdown();
    assert_closed("recv", within("recv", pull.recv()).await);
    assert_closed("try_recv", pull.try_recv());
    assert_closed("send", within("send", push.send("more")).await);
    match push.try_send("more") {
        Err(TrySendError::Socket(SocketError::Closed)) => {}
        other => panic!("try_send: {other:?}"),
    }
}

/// The `Stream` yields `Err(Closed)` once, then ends; the `Sink` fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stream_and_sink_end_with_closed() {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.bind(&inproc("stream")).await.expect("bind");
    let stream = spawn_waiting("stream", async move {
        let first = pull.next().await;
        (first, pull)
    })
    .await;
    let mut push = Push::new(&ctx);
    let sink = spawn_waiting("sink", async move {
        let r = SinkExt::send(&mut push, Message::from("no peer")).await;
        (r, push)
    })
    .await;
    ctx.shutdown();

    let (first, mut pull) = within("the stream", stream).await.expect("task");
    assert!(matches!(first, Some(Err(SocketError::Closed))), "{first:?}");
    assert!(!pull.is_terminated());
    assert!(within("the stream", pull.next()).await.is_none());
    assert!(pull.is_terminated());
    assert!(within("the stream", pull.next()).await.is_none());

    let (r, mut push) = within("the sink", sink).await.expect("task");
    assert!(matches!(r, Err(SocketError::Closed)), "{r:?}");
    let r = within("the sink", SinkExt::send(&mut push, Message::from("x"))).await;
    assert!(matches!(r, Err(SocketError::Closed)), "{r:?}");
    let r = within("the sink", SinkExt::close(&mut push)).await;
    assert!(matches!(r, Err(SocketError::Closed)), "{r:?}");
}

/// Both halves of a split socket wake up and fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_halves_fail_after_shutdown() {
    let ctx = Context::new();
    let dealer = Dealer::new(&ctx);
    dealer.bind(&inproc("split")).await.expect("bind");
    let (mut tx, mut rx) = dealer.split();
    let send = spawn_waiting("send half", async move {
        let r = tx.send("no peer").await;
        (r, tx)
    })
    .await;
    let recv = spawn_waiting("recv half", async move {
        let r = rx.next().await;
        (r, rx)
    })
    .await;
    ctx.shutdown();
    let (r, mut tx) = within("send half", send).await.expect("task");
    assert!(matches!(r, Err(SocketError::Closed)), "{r:?}");
    let (r, mut rx) = within("recv half", recv).await.expect("task");
    assert!(matches!(r, Some(Err(SocketError::Closed))), "{r:?}");
    assert!(within("recv half", rx.next()).await.is_none());
    assert!(rx.is_terminated());
    assert_closed("recv half", within("recv", rx.recv()).await);
    assert_closed("send half", within("send", tx.send("x")).await);
}

/// A proxy returns `Closed` (libzmq's `zmq_proxy`: `ETERM`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxy_ends_with_closed() {
    let ctx = Context::new();
    let mut front = AnySocket::new(&ctx, SocketType::Router).expect("router");
    let mut back = AnySocket::new(&ctx, SocketType::Dealer).expect("dealer");
    front.bind(&inproc("front")).await.expect("bind");
    back.bind(&inproc("back")).await.expect("bind");
    let task = spawn_waiting(
        "proxy",
        async move { proxy(&mut front, &mut back, None).await },
    )
    .await;
    ctx.shutdown();
    ends_closed("proxy", task).await;
}

/// Over tcp: a PULL waiting for more from a connected PUSH, and another
/// PUSH waiting for room (both HWMs at 1 and its PULL not reading: the
/// connection's buffers fill up), both wake up and fail.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_peers_fail_after_shutdown() {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    let ep = pull.bind("tcp://127.0.0.1:0").await.expect("bind");
    let mut push = Push::new(&ctx);
    push.connect(&ep).expect("connect");
    within("send", push.send("first")).await.expect("send");
    assert_eq!(
        &within("recv", pull.recv()).await.expect("recv")[0][..],
        b"first"
    );
    let recv = spawn_waiting("tcp recv", async move { pull.recv().await.map(|_| ()) }).await;

    let stalled = Pull::new(&ctx);
    stalled.set_options(|o| o.rcvhwm = 1);
    let ep = stalled.bind("tcp://127.0.0.1:0").await.expect("bind");
    let mut filler = Push::new(&ctx);
    filler.set_options(|o| o.sndhwm = 1);
    filler.connect(&ep).expect("connect");
    let big = bytes::Bytes::from(vec![0u8; 256 * 1024]);
    let send = spawn_waiting("tcp send", async move {
        loop {
            filler.send(big.clone()).await?;
        }
    })
    .await;

    ctx.shutdown();
    ends_closed("tcp recv", recv).await;
    ends_closed::<()>("tcp send", send).await;
    assert_closed("tcp send", within("send", push.send("late")).await);
    drop(stalled);
}
