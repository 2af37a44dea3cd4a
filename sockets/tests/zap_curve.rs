//! CURVE servers and ZAP between oxmq sockets: libzmq 4.3.5's rules when
//! nobody is there to ask (let in, unless `zap_enforce_domain` with a
//! domain), `Zauth`'s client key list, and a handler socket receiving the
//! client's 32-byte public key.

use std::sync::Arc;
use std::time::Duration;

use oxmq_sockets::{Pull, Push, Rep};
use oxmq_transports::zap::ZAP_ENDPOINT;
use oxmq_transports::{Context, MonitorStream, SocketEvent, ZapRequest, Zauth};
use oxmq_zmtp::{z85, AuthReply, CurveKeyPair, MechanismConfig};

/// Safety net of every wait; healthy runs end each wait on an event.
const SAFETY: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(SAFETY, fut)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

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

/// A CURVE server (PULL) bound on tcp, configured by `f`.
async fn curve_server(
    ctx: &Context,
    keys: &CurveKeyPair,
    f: impl FnOnce(&mut oxmq_transports::TransportOptions),
) -> (Pull, String) {
    let server = Pull::new(ctx);
    let keypair = keys.clone();
    server.set_options(|o| {
        o.mechanism = MechanismConfig::CurveServer { keypair };
        f(o);
    });
    let ep = server.bind("tcp://127.0.0.1:0").await.expect("bind");
    (server, ep)
}

/// A CURVE client (PUSH) of `server_keys` with its own `keys`.
fn curve_client(ctx: &Context, server_keys: &CurveKeyPair, keys: &CurveKeyPair) -> Push {
    let client = Push::new(ctx);
    let (server_key, keypair) = (server_keys.public, keys.clone());
    client.set_options(|o| {
        o.mechanism = MechanismConfig::CurveClient {
            server_key,
            keypair,
        }
    });
    client
}

fn key_bytes(keys: &CurveKeyPair) -> [u8; 32] {
    keys.public.into()
}

/// No handler, no domain: encryption without authentication (libzmq's
/// "Stonehouse"), the peer is let in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_without_handler_is_let_in() {
    let ctx = Context::new();
    let server_keys = CurveKeyPair::generate();
    let (mut server, ep) = curve_server(&ctx, &server_keys, |_| {}).await;
    let mut client = curve_client(&ctx, &server_keys, &CurveKeyPair::generate());
    client.connect(&ep).expect("connect");
    within("send", client.send("secret message"))
        .await
        .expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(&got[0][..], b"secret message");
}

/// No handler, a domain, `zap_enforce_domain`: refused without an ERROR.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_enforced_domain_without_handler_is_refused() {
    let ctx = Context::new();
    let server_keys = CurveKeyPair::generate();
    let (server, ep) = curve_server(&ctx, &server_keys, |o| {
        o.zap_domain = "strict".into();
        o.zap_enforce_domain = true;
    })
    .await;
    let mut mon = server.monitor();
    let client = curve_client(&ctx, &server_keys, &CurveKeyPair::generate());
    let mut client_mon = client.monitor();
    client.connect(&ep).expect("connect");
    let ev = handshake_outcome(&mut mon).await;
    assert!(
        matches!(ev, SocketEvent::HandshakeFailedNoDetail { .. }),
        "server: {ev:?}"
    );
    let ev = handshake_outcome(&mut client_mon).await;
    assert!(
        !matches!(
            ev,
            SocketEvent::HandshakeSucceeded { .. } | SocketEvent::HandshakeFailedAuth { .. }
        ),
        "client: {ev:?}"
    );
}

/// `zap_enforce_domain` without a domain: CURVE never asks, even an
/// authenticator that would refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn curve_enforced_without_domain_never_asks() {
    let ctx = Context::new();
    let server_keys = CurveKeyPair::generate();
    let (mut server, ep) = curve_server(&ctx, &server_keys, |o| {
        o.zap_enforce_domain = true;
        o.authenticator = Some(Arc::new(|_: &ZapRequest| AuthReply::deny(400, "asked")));
    })
    .await;
    let mut client = curve_client(&ctx, &server_keys, &CurveKeyPair::generate());
    client.connect(&ep).expect("connect");
    within("send", client.send("in")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(&got[0][..], b"in");
}

/// Zauth with a client key list: the known key gets in with its Z85 text
/// as User-Id, another key gets 400 on both sides.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zauth_curve_key_list() {
    let ctx = Context::new();
    let server_keys = CurveKeyPair::generate();
    let known = CurveKeyPair::generate();
    let zauth = Arc::new(Zauth::new());
    zauth.allow_curve_key(known.public);
    ctx.set_authenticator(Some(zauth));
    let (mut server, ep) = curve_server(&ctx, &server_keys, |_| {}).await;
    let mut server_mon = server.monitor();

    let stranger = curve_client(&ctx, &server_keys, &CurveKeyPair::generate());
    let mut stranger_mon = stranger.monitor();
    stranger.connect(&ep).expect("connect");
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
    let ev = handshake_outcome(&mut stranger_mon).await;
    assert!(
        matches!(
            ev,
            SocketEvent::HandshakeFailedAuth {
                status_code: 400,
                ..
            }
        ),
        "stranger: {ev:?}"
    );
    drop(stranger);

    let mut friend = curve_client(&ctx, &server_keys, &known);
    friend.connect(&ep).expect("connect");
    within("send", friend.send("hello")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(&got[0][..], b"hello");
    let z85_key = z85::encode(&key_bytes(&known)).expect("encodes");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(z85_key.into_bytes())
    );
}

/// A REP handler on inproc://zeromq.zap.01 gets the CURVE request:
/// mechanism "CURVE" and the client's 32-byte public key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rep_handler_sees_the_client_key() {
    let ctx = Context::new();
    let mut rep = Rep::new(&ctx);
    rep.bind(ZAP_ENDPOINT).await.expect("bind");
    let handler = tokio::spawn(async move {
        let req = rep.recv().await.expect("request");
        let reply = oxmq_transports::zap::reply_frames(req[1].clone(), &AuthReply::allow("curvy"));
        rep.send(reply).await.expect("reply");
        (req.into_vec(), rep)
    });
    let server_keys = CurveKeyPair::generate();
    let client_keys = CurveKeyPair::generate();
    let (mut server, ep) = curve_server(&ctx, &server_keys, |o| o.zap_domain = "keys".into()).await;
    let mut client = curve_client(&ctx, &server_keys, &client_keys);
    client.connect(&ep).expect("connect");
    within("send", client.send("x")).await.expect("send");
    let got = within("recv", server.recv()).await.expect("recv");
    assert_eq!(
        got.property("User-Id").map(|v| v.to_vec()),
        Some(b"curvy".to_vec())
    );
    let (req, _rep) = within("handler", handler).await.expect("task");
    assert_eq!(req.len(), 7, "{req:?}");
    assert_eq!(&req[2][..], b"keys");
    assert_eq!(&req[5][..], b"CURVE");
    assert_eq!(&req[6][..], &key_bytes(&client_keys)[..]);
}
