//! ZAP (RFC 27) between oxmq sockets: a handler socket bound to
//! `inproc://zeromq.zap.01` (REP or ROUTER, as libzmq programs have),
//! libzmq's rules when nobody is there to ask, the native authenticators
//! (closures, `zap_channel`, `Zauth`), and what received messages show
//! (`User-Id`, ZAP metadata) over tcp and ipc.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use oxmq_sockets::{Pull, Push, Rep, Router};
use oxmq_transports::zap::ZAP_ENDPOINT;
use oxmq_transports::{zap_channel, Context, MonitorStream, SocketEvent, ZapRequest, Zauth};
use oxmq_zmtp::{AuthReply, MechanismConfig, Message};
use tokio::sync::mpsc;

/// Safety net of every wait; healthy runs end each wait on an event.
const SAFETY: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(SAFETY, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

#[derive(Debug, Clone, Copy)]
enum Transport {
    Tcp,
    Ipc,
}

impl Transport {
    fn endpoint(self) -> String {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        match self {
            Transport::Tcp => "tcp://127.0.0.1:0".into(),
            Transport::Ipc => format!(
                "ipc:///tmp/oxmq-zap-{}-{}.sock",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ),
        }
    }
}

/// The first handshake outcome on a monitor (success or any failure).
async fn handshake_outcome(mon: &mut MonitorStream) -> SocketEvent {
    within("a handshake outcome", async {
        while let Some(ev) = mon.next().await {
            if matches!(
                ev,
                SocketEvent::HandshakeSucceeded { .. }
                    | SocketEvent::HandshakeFailedAuth { .. }
                    | SocketEvent::HandshakeFailedProtocol { .. }
                    | SocketEvent::HandshakeFailedNoDetail { .. }
            ) {
                return ev;
            }
        }
        panic!("monitor ended");
    })
    .await
}

fn plain_client(user: &str, password: &str) -> MechanismConfig {
    MechanismConfig::PlainClient {
        username: Bytes::copy_from_slice(user.as_bytes()),
        password: Bytes::copy_from_slice(password.as_bytes()),
    }
}

/// A REP bound to the ZAP endpoint, answering in a task with `answer`
/// (given the request frames, returns the reply frames); every request
/// is also reported on the returned channel.
async fn rep_handler(
    ctx: &Context,
    answer: impl Fn(&[Bytes]) -> Vec<Bytes> + Send + 'static,
) -> (
    tokio::task::JoinHandle<()>,
    mpsc::UnboundedReceiver<Vec<Bytes>>,
) {
    let mut rep = Rep::new(ctx);
    rep.bind(ZAP_ENDPOINT).await.expect("bind the ZAP endpoint");
    let (tx, rx) = mpsc::unbounded_channel();
    let task = tokio::spawn(async move {
        while let Ok(req) = rep.recv().await {
            let frames = req.into_vec();
            let reply: Message = answer(&frames).into_iter().collect();
            let _ = tx.send(frames);
            if rep.send(reply).await.is_err() {
                break;
            }
        }
    });
    (task, rx)
}

/// `["1.0", id, code, text, user, metadata]` for the request `req`.
fn reply_to(req: &[Bytes], code: &str, user: &str, metadata: &[u8]) -> Vec<Bytes> {
    vec![
        Bytes::from_static(b"1.0"),
        req[1].clone(),
        Bytes::copy_from_slice(code.as_bytes()),
        Bytes::from_static(b"text"),
        Bytes::copy_from_slice(user.as_bytes()),
        Bytes::copy_from_slice(metadata),
    ]
}

/// ZMTP property encoding of one property.
fn property(name: &str, value: &str) -> Vec<u8> {
    let mut out = vec![name.len() as u8];
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&(value.len() as u32).to_be_bytes());
    out.extend_from_slice(value.as_bytes());
    out
}

/// A PLAIN server (PULL) and client (PUSH) in `ctx`, linked over `t`.
async fn plain_pair(ctx: &Context, t: Transport, password: &str) -> (Pull, Push, String) {
    let server = Pull::new(ctx);
    server.set_options(|o| {
        o.mechanism = MechanismConfig::PlainServer;
        o.zap_domain = "test-domain".into();
        o.routing_id = Some(Bytes::from_static(b"server-id"));
    });
    let ep = server.bind(&t.endpoint()).await.expect("bind");
    let client = Push::new(ctx);
    client.set_options(|o| o.mechanism = plain_client("admin", password));
    (server, client, ep)
}

fn remove_ipc(ep: &str) {
    if let Some(path) = ep.strip_prefix("ipc://") {
        let _ = std::fs::remove_file(path);
    }
}

// ---------------------------------------------------------------------------
// A REP handler on inproc://zeromq.zap.01
// ---------------------------------------------------------------------------

async fn rep_handler_allows(t: Transport) {
    let ctx = Context::new();
    let metadata = [property("X-Role", "operator"), property("X-Tier", "gold")].concat();
    let (_handler, mut requests) = rep_handler(&ctx, move |req| {
        if &req[6][..] == b"admin" && &req[7][..] == b"secret" {
            reply_to(req, "200", "admin-user", &metadata)
        } else {
            reply_to(req, "400", "", b"")
        }
    })
    .await;
    let (mut server, mut client, ep) = plain_pair(&ctx, t, "secret").await;
    client.connect(&ep).expect("connect");
    within("send", client.send("hello")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(&got[0][..], b"hello");
    let prop = |name| got.property(name).map(|v| v.to_vec());
    assert_eq!(prop("User-Id"), Some(b"admin-user".to_vec()), "{got:?}");
    assert_eq!(prop("X-Role"), Some(b"operator".to_vec()));
    assert_eq!(prop("X-Tier"), Some(b"gold".to_vec()));
    assert_eq!(prop("Socket-Type"), Some(b"PUSH".to_vec()));

    // What the handler saw: RFC 27's request, with the envelope removed
    // by the REP.
    let req = requests.try_recv().expect("one ZAP request");
    let text = |i: usize| String::from_utf8_lossy(&req[i]).into_owned();
    assert_eq!(req.len(), 8, "{req:?}");
    assert_eq!(text(0), "1.0");
    assert!(!req[1].is_empty(), "request id");
    assert_eq!(text(2), "test-domain");
    match t {
        Transport::Tcp => assert_eq!(text(3), "127.0.0.1"),
        Transport::Ipc => assert_eq!(format!("ipc://{}", text(3)), ep),
    }
    assert_eq!(text(4), "server-id");
    assert_eq!(text(5), "PLAIN");
    assert_eq!(text(6), "admin");
    assert_eq!(text(7), "secret");
    remove_ipc(&ep);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_handler_allows_tcp() {
    rep_handler_allows(Transport::Tcp).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_handler_allows_ipc() {
    rep_handler_allows(Transport::Ipc).await;
}

/// 400: the client gets an ERROR (its monitor reports the status), the
/// server's monitor reports 400, nothing is delivered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_handler_denies_with_400() {
    let ctx = Context::new();
    let (_handler, mut requests) = rep_handler(&ctx, |req| reply_to(req, "400", "", b"")).await;
    let (mut server, client, ep) = plain_pair(&ctx, Transport::Tcp, "wrong").await;
    let mut server_mon = server.monitor();
    let mut client_mon = client.monitor();
    client.connect(&ep).expect("connect");
    let ev = handshake_outcome(&mut server_mon).await;
    assert!(
        matches!(
            ev,
            SocketEvent::HandshakeFailedAuth {
                status_code: 400,
                ..
            }
        ),
        "server: {ev:?}"
    );
    let ev = handshake_outcome(&mut client_mon).await;
    assert!(
        matches!(
            ev,
            SocketEvent::HandshakeFailedAuth {
                status_code: 400,
                ..
            }
        ),
        "client: {ev:?}"
    );
    let req = within("the request", requests.recv())
        .await
        .expect("request");
    assert_eq!(&req[7][..], b"wrong");
    assert!(server.try_recv().is_err(), "nothing may be delivered");
}

/// 300: the connection is closed without an ERROR, so the client only
/// sees the connection drop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_handler_300_closes_silently() {
    let ctx = Context::new();
    let (_handler, _requests) = rep_handler(&ctx, |req| reply_to(req, "300", "", b"")).await;
    let (server, client, ep) = plain_pair(&ctx, Transport::Tcp, "secret").await;
    let mut server_mon = server.monitor();
    let mut client_mon = client.monitor();
    client.connect(&ep).expect("connect");
    let ev = handshake_outcome(&mut server_mon).await;
    assert!(
        matches!(
            ev,
            SocketEvent::HandshakeFailedAuth {
                status_code: 300,
                ..
            }
        ),
        "server: {ev:?}"
    );
    let ev = handshake_outcome(&mut client_mon).await;
    assert!(
        matches!(ev, SocketEvent::HandshakeFailedNoDetail { .. }),
        "client must see a plain disconnect, no ERROR: {ev:?}"
    );
}

/// A reply libzmq would reject fails the handshake as a protocol error
/// naming the ZAP fault, and the client gets no ERROR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_replies_fail_the_handshake() {
    type Corrupt = fn(&[Bytes]) -> Vec<Bytes>;
    let cases: [(Corrupt, &str); 5] = [
        (
            |req| reply_to(req, "201", "u", b""),
            "ZAP_INVALID_STATUS_CODE",
        ),
        (
            |req| {
                let mut r = reply_to(req, "200", "u", b"");
                r[1] = Bytes::from_static(b"not-our-id");
                r
            },
            "ZAP_BAD_REQUEST_ID",
        ),
        (
            |req| {
                let mut r = reply_to(req, "200", "u", b"");
                r[0] = Bytes::from_static(b"2.0");
                r
            },
            "ZAP_BAD_VERSION",
        ),
        (
            |req| reply_to(req, "200", "u", b"\x03bad"),
            "ZAP_INVALID_METADATA",
        ),
        (
            |req| reply_to(req, "200", "u", b"")[..5].to_vec(),
            "ZAP_MALFORMED_REPLY",
        ),
    ];
    for (corrupt, fault) in cases {
        let ctx = Context::new();
        let (_handler, _requests) = rep_handler(&ctx, corrupt).await;
        let (server, client, ep) = plain_pair(&ctx, Transport::Tcp, "secret").await;
        let mut server_mon = server.monitor();
        let mut client_mon = client.monitor();
        client.connect(&ep).expect("connect");
        match handshake_outcome(&mut server_mon).await {
            SocketEvent::HandshakeFailedProtocol { error, .. } => {
                assert!(error.contains(fault), "{fault}: {error}");
            }
            other => panic!("{fault}: server saw {other:?}"),
        }
        let ev = handshake_outcome(&mut client_mon).await;
        assert!(
            matches!(ev, SocketEvent::HandshakeFailedNoDetail { .. }),
            "{fault}: client {ev:?}"
        );
    }
}

/// A ROUTER handler sees the routing id and the delimiter, and must send
/// them back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_handler() {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    router.bind(ZAP_ENDPOINT).await.expect("bind");
    let handler = tokio::spawn(async move {
        let req = router.recv().await.expect("request").into_vec();
        // [routing id, "", "1.0", id, domain, address, identity, "PLAIN", user, password]
        assert_eq!(req.len(), 10, "{req:?}");
        assert!(req[1].is_empty(), "delimiter");
        assert_eq!(&req[2][..], b"1.0");
        let mut reply = vec![req[0].clone(), Bytes::new()];
        reply.extend(reply_to(&req[2..], "200", "via-router", b""));
        router
            .send(reply.into_iter().collect::<Message>())
            .await
            .expect("reply");
        router
    });
    let (mut server, mut client, ep) = plain_pair(&ctx, Transport::Tcp, "secret").await;
    client.connect(&ep).expect("connect");
    within("send", client.send("hi")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(b"via-router".to_vec())
    );
    drop(within("handler", handler).await.expect("handler task"));
}

/// A handler that goes away before answering fails the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_closing_before_replying() {
    let ctx = Context::new();
    let mut rep = Rep::new(&ctx);
    rep.bind(ZAP_ENDPOINT).await.expect("bind");
    let (server, client, ep) = plain_pair(&ctx, Transport::Tcp, "secret").await;
    let mut server_mon = server.monitor();
    client.connect(&ep).expect("connect");
    let _req = within("request", rep.recv()).await.expect("request");
    drop(rep);
    match handshake_outcome(&mut server_mon).await {
        SocketEvent::HandshakeFailedNoDetail { error, .. } => {
            assert!(error.contains("ZAP handler"), "{error}");
        }
        other => panic!("server saw {other:?}"),
    }
}

/// A handler that never answers: the handshake timeout still applies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_handler_hits_the_handshake_timeout() {
    let ctx = Context::new();
    let mut rep = Rep::new(&ctx);
    rep.bind(ZAP_ENDPOINT).await.expect("bind");
    let server = Pull::new(&ctx);
    server.set_options(|o| {
        o.mechanism = MechanismConfig::PlainServer;
        o.handshake_ivl = Some(Duration::from_millis(300));
    });
    let ep = server.bind("tcp://127.0.0.1:0").await.expect("bind");
    let mut server_mon = server.monitor();
    let client = Push::new(&ctx);
    client.set_options(|o| o.mechanism = plain_client("admin", "secret"));
    client.connect(&ep).expect("connect");
    // Taken, never answered.
    let _req = within("request", rep.recv()).await.expect("request");
    match handshake_outcome(&mut server_mon).await {
        SocketEvent::HandshakeFailedNoDetail { error, .. } => {
            assert!(error.contains("timed out"), "{error}");
        }
        other => panic!("server saw {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Nobody to ask (libzmq 4.3.5's rules)
// ---------------------------------------------------------------------------

/// PLAIN without any handler: refused without an ERROR (libzmq's failed
/// zap_connect: HANDSHAKE_FAILED_NO_DETAIL).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_without_handler_is_refused() {
    let ctx = Context::new();
    let (server, client, ep) = plain_pair(&ctx, Transport::Tcp, "secret").await;
    let mut server_mon = server.monitor();
    let mut client_mon = client.monitor();
    client.connect(&ep).expect("connect");
    match handshake_outcome(&mut server_mon).await {
        SocketEvent::HandshakeFailedNoDetail { error, .. } => {
            assert!(error.contains("no ZAP handler"), "{error}");
        }
        other => panic!("server saw {other:?}"),
    }
    let ev = handshake_outcome(&mut client_mon).await;
    assert!(
        matches!(ev, SocketEvent::HandshakeFailedNoDetail { .. }),
        "client: {ev:?}"
    );
}

/// A NULL socket with a ZAP domain asks the handler (mechanism "NULL", no
/// credentials); a refusal keeps the peer out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_with_domain_asks_the_handler() {
    let ctx = Context::new();
    let (_handler, mut requests) = rep_handler(&ctx, |req| {
        if req[3].starts_with(b"127.") {
            reply_to(req, "200", "local", b"")
        } else {
            reply_to(req, "400", "", b"")
        }
    })
    .await;
    let mut server = Pull::new(&ctx);
    server.set_options(|o| o.zap_domain = "guarded".into());
    let ep = server.bind("tcp://127.0.0.1:0").await.expect("bind");
    let mut client = Push::new(&ctx);
    client.connect(&ep).expect("connect");
    within("send", client.send("null")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(b"local".to_vec())
    );
    let req = requests.try_recv().expect("a request");
    assert_eq!(req.len(), 6, "NULL has no credentials: {req:?}");
    assert_eq!(&req[2][..], b"guarded");
    assert_eq!(&req[5][..], b"NULL");

    // Without a domain, NULL never asks.
    let mut open = Pull::new(&ctx);
    let ep = open.bind("tcp://127.0.0.1:0").await.expect("bind");
    let mut client = Push::new(&ctx);
    client.connect(&ep).expect("connect");
    within("send", client.send("x")).await.expect("send");
    within("recv", open.recv()).await.expect("recv");
    assert!(requests.try_recv().is_err(), "NULL without a domain asked");
}

/// NULL with a domain and nobody to ask: let in, unless
/// `zap_enforce_domain`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn null_with_domain_and_no_handler() {
    let ctx = Context::new();
    let mut lenient = Pull::new(&ctx);
    lenient.set_options(|o| o.zap_domain = "d".into());
    let ep = lenient.bind("tcp://127.0.0.1:0").await.expect("bind");
    let mut client = Push::new(&ctx);
    client.connect(&ep).expect("connect");
    within("send", client.send("in")).await.expect("send");
    let got = within("recv", lenient.recv()).await.expect("recv");
    assert_eq!(&got[0][..], b"in");

    let strict = Pull::new(&ctx);
    strict.set_options(|o| {
        o.zap_domain = "d".into();
        o.zap_enforce_domain = true;
    });
    let mut mon = strict.monitor();
    let ep = strict.bind("tcp://127.0.0.1:0").await.expect("bind");
    let client = Push::new(&ctx);
    client.connect(&ep).expect("connect");
    let ev = handshake_outcome(&mut mon).await;
    assert!(
        matches!(ev, SocketEvent::HandshakeFailedNoDetail { .. }),
        "{ev:?}"
    );
}

// ---------------------------------------------------------------------------
// Native authenticators
// ---------------------------------------------------------------------------

/// The context's authenticator comes before a handler socket, which is
/// then never asked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn native_authenticator_before_handler_socket() {
    let ctx = Context::new();
    let (_handler, mut requests) = rep_handler(&ctx, |req| reply_to(req, "400", "", b"")).await;
    ctx.set_authenticator(Some(Arc::new(|req: &ZapRequest| {
        AuthReply::allow(
            req.plain_credentials()
                .map(|(u, _)| u.to_vec())
                .unwrap_or_default(),
        )
    })));
    let (mut server, mut client, ep) = plain_pair(&ctx, Transport::Tcp, "secret").await;
    client.connect(&ep).expect("connect");
    within("send", client.send("x")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(b"admin".to_vec())
    );
    assert!(requests.try_recv().is_err(), "the handler socket was asked");
}

/// `zap_channel`: requests as a stream answered by a task.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_authenticator_end_to_end() {
    let ctx = Context::new();
    let (auth, mut requests) = zap_channel();
    let answering = tokio::spawn(async move {
        let mut seen = Vec::new();
        while let Some((req, responder)) = requests.next().await {
            let reply = match req.plain_credentials() {
                Some((b"admin", b"secret")) => {
                    let mut r = AuthReply::allow("admin");
                    r.metadata.insert("X-Source", "channel");
                    r
                }
                _ => AuthReply::deny(400, "no"),
            };
            seen.push(req);
            responder.reply(reply);
        }
        seen
    });
    let mut server = Pull::new(&ctx);
    server.set_options(|o| {
        o.mechanism = MechanismConfig::PlainServer;
        o.zap_domain = "channel-domain".into();
        o.authenticator = Some(Arc::new(auth));
    });
    let ep = server.bind(&Transport::Ipc.endpoint()).await.expect("bind");
    let mut client = Push::new(&ctx);
    client.set_options(|o| o.mechanism = plain_client("admin", "secret"));
    client.connect(&ep).expect("connect");
    within("send", client.send("x")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(b"admin".to_vec())
    );
    assert_eq!(
        got.property("X-Source").map(|v| v.to_vec()),
        Some(b"channel".to_vec())
    );
    // Once the server and its connections are gone, so is the
    // authenticator, and the stream ends.
    drop(server);
    drop(client);
    ctx.term().await;
    remove_ipc(&ep);
    let seen = within("stream end", answering).await.expect("task");
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].domain, "channel-domain");
}

/// `Zauth` as a handler socket's brain, over ipc: the REP handler passes
/// requests to `zap::answer`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zauth_behind_a_rep_handler_over_ipc() {
    let ctx = Context::new();
    let zauth = Arc::new(Zauth::new());
    zauth.add_plain_user("admin", "secret");
    let mut rep = Rep::new(&ctx);
    rep.bind(ZAP_ENDPOINT).await.expect("bind");
    let brain = zauth.clone();
    tokio::spawn(async move {
        while let Ok(req) = rep.recv().await {
            let reply = oxmq_transports::zap::answer(&req, &*brain).await;
            if rep.send(reply).await.is_err() {
                break;
            }
        }
    });
    let (mut server, mut client, ep) = plain_pair(&ctx, Transport::Ipc, "secret").await;
    client.connect(&ep).expect("connect");
    within("send", client.send("x")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(b"admin".to_vec())
    );
    remove_ipc(&ep);
}
