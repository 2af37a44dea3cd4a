//! PLAIN and CURVE between two libzmq sockets, with the crate's ZAP handler
//! deciding who gets in.

use std::sync::mpsc;
use std::time::Duration;

use oxmq_interop::{
    curve_keypair, event, unique_ipc_endpoint, Context, SocketType, ZapHandler, ZapReply,
    ZapRequest,
};

const WAIT: Duration = Duration::from_secs(10);
const WAIT_MS: i32 = 10_000;
/// How long a refused peer is given to (wrongly) get a message through.
const REFUSED_GRACE: Duration = Duration::from_millis(300);

type TestResult = Result<(), oxmq_interop::Error>;

const HANDSHAKE_DONE: u16 = event::HANDSHAKE_SUCCEEDED
    | event::HANDSHAKE_FAILED_AUTH
    | event::HANDSHAKE_FAILED_PROTOCOL
    | event::HANDSHAKE_FAILED_NO_DETAIL;

#[test]
fn plain_accepts_known_user_and_refuses_others() -> TestResult {
    let ctx = Context::new();
    let (seen_tx, seen_rx) = mpsc::channel::<ZapRequest>();
    let zap = ZapHandler::start(&ctx, move |req| {
        let reply = match req.plain_credentials() {
            Some((b"alice", b"wonderland")) => {
                ZapReply::allow("alice-id").with_property("X-Role", "admin")
            }
            _ => ZapReply::deny("unknown user"),
        };
        let _ = seen_tx.send(req.clone());
        reply
    })?;

    let server = ctx.socket(SocketType::Router)?;
    server.set_rcvtimeo(WAIT_MS)?;
    server.set_plain_server(true)?;
    server.set_zap_domain("test-domain")?;
    let endpoint = server.bind_tcp_ephemeral()?;

    // Accepted user: messages arrive, tagged with the ZAP user id and
    // metadata.
    let alice = ctx.socket(SocketType::Dealer)?;
    alice.set_plain_username("alice")?;
    alice.set_plain_password("wonderland")?;
    alice.set_rcvtimeo(WAIT_MS)?;
    alice.connect(&endpoint)?;
    alice.send_multipart(["hello"])?;
    let got = server.recv_multipart_with_props(&["User-Id", "X-Role", "Socket-Type"])?;
    assert_eq!(got.frames[1], b"hello");
    assert_eq!(got.property("User-Id"), Some("alice-id"));
    assert_eq!(got.property("X-Role"), Some("admin"));
    assert_eq!(got.property("Socket-Type"), Some("DEALER"));
    server.send_multipart([&got.frames[0][..], b"welcome"])?;
    assert_eq!(alice.recv_multipart()?, vec![b"welcome".to_vec()]);

    let request = seen_rx
        .recv_timeout(WAIT)
        .expect("ZAP handler saw no request");
    assert_eq!(request.version, b"1.0");
    assert_eq!(request.mechanism, "PLAIN");
    assert_eq!(request.domain, "test-domain");
    assert_eq!(request.address, "127.0.0.1");
    assert_eq!(
        request.credentials,
        vec![b"alice".to_vec(), b"wonderland".to_vec()]
    );

    // Refused user: the handshake fails with ZAP status 400 and nothing is
    // delivered.
    let mallory = ctx.socket(SocketType::Dealer)?;
    mallory.set_linger(0)?;
    let mallory_events = mallory.monitor(HANDSHAKE_DONE)?;
    mallory.set_plain_username("mallory")?;
    mallory.set_plain_password("guess")?;
    mallory.connect(&endpoint)?;
    mallory.send_multipart(["let me in"])?;
    let ev = mallory_events.wait_for(HANDSHAKE_DONE, WAIT)?;
    assert_eq!(ev.event, event::HANDSHAKE_FAILED_AUTH, "{ev:?}");
    assert_eq!(ev.value, 400);
    let err = server.recv_multipart_timeout(REFUSED_GRACE).unwrap_err();
    assert!(err.is_timeout(), "{err}");

    zap.stop();
    Ok(())
}

#[test]
fn plain_server_without_zap_handler_refuses_everybody() -> TestResult {
    let ctx = Context::new();
    let server = ctx.socket(SocketType::Rep)?;
    server.set_plain_server(true)?;
    let server_events = server.monitor(HANDSHAKE_DONE)?;
    let endpoint = unique_ipc_endpoint();
    server.bind(&endpoint)?;

    let client = ctx.socket(SocketType::Req)?;
    client.set_linger(0)?;
    client.set_plain_username("anyone")?;
    client.set_plain_password("anything")?;
    client.connect(&endpoint)?;
    client.send_multipart(["hi"])?;
    let ev = server_events.wait_for(HANDSHAKE_DONE, WAIT)?;
    assert_eq!(ev.event, event::HANDSHAKE_FAILED_NO_DETAIL, "{ev:?}");
    assert!(server.recv_multipart_timeout(REFUSED_GRACE).is_err());
    Ok(())
}

#[test]
fn curve_with_zap_allow_list() -> TestResult {
    let ctx = Context::new();
    let (server_public, server_secret) = curve_keypair();
    let (client_public, client_secret) = curve_keypair();
    let (rogue_public, rogue_secret) = curve_keypair();

    let allowed = client_public.clone();
    let _zap = ZapHandler::start(&ctx, move |req| {
        if req.curve_public_key_z85().as_deref() == Some(allowed.as_str()) {
            ZapReply::allow("trusted-client")
        } else {
            ZapReply::deny("key not allowed")
        }
    })?;

    let server = ctx.socket(SocketType::Rep)?;
    server.set_rcvtimeo(WAIT_MS)?;
    server.set_curve_server(true)?;
    server.set_curve_secretkey(&server_secret)?;
    let endpoint = server.bind_tcp_ephemeral()?;

    // Known client key: full round trip, User-Id from the ZAP reply.
    let client = ctx.socket(SocketType::Req)?;
    client.set_rcvtimeo(WAIT_MS)?;
    client.set_curve_serverkey(&server_public)?;
    client.set_curve_publickey(&client_public)?;
    client.set_curve_secretkey(&client_secret)?;
    client.connect(&endpoint)?;
    client.send_multipart(["secret question"])?;
    let got = server.recv_multipart_with_props(&["User-Id"])?;
    assert_eq!(got.frames, vec![b"secret question".to_vec()]);
    assert_eq!(got.property("User-Id"), Some("trusted-client"));
    server.send_multipart(["secret answer"])?;
    assert_eq!(client.recv_multipart()?, vec![b"secret answer".to_vec()]);

    // Unknown client key: refused by ZAP with 400.
    let rogue = ctx.socket(SocketType::Req)?;
    rogue.set_linger(0)?;
    let rogue_events = rogue.monitor(HANDSHAKE_DONE)?;
    rogue.set_curve_serverkey(&server_public)?;
    rogue.set_curve_publickey(&rogue_public)?;
    rogue.set_curve_secretkey(&rogue_secret)?;
    rogue.connect(&endpoint)?;
    rogue.send_multipart(["intrusion"])?;
    let ev = rogue_events.wait_for(HANDSHAKE_DONE, WAIT)?;
    assert_eq!(ev.event, event::HANDSHAKE_FAILED_AUTH, "{ev:?}");
    assert_eq!(ev.value, 400);
    assert!(server.recv_multipart_timeout(REFUSED_GRACE).is_err());
    Ok(())
}

#[test]
fn curve_without_zap_handler_checks_only_the_server_key() -> TestResult {
    let ctx = Context::new();
    let (server_public, server_secret) = curve_keypair();
    let (client_public, client_secret) = curve_keypair();
    let (wrong_public, _) = curve_keypair();

    let server = ctx.socket(SocketType::Pull)?;
    server.set_rcvtimeo(WAIT_MS)?;
    server.set_curve_server(true)?;
    server.set_curve_secretkey(&server_secret)?;
    let server_events = server.monitor(HANDSHAKE_DONE)?;
    let endpoint = server.bind_tcp_ephemeral()?;

    let good = ctx.socket(SocketType::Push)?;
    good.set_curve_serverkey(&server_public)?;
    good.set_curve_publickey(&client_public)?;
    good.set_curve_secretkey(&client_secret)?;
    good.connect(&endpoint)?;
    good.send_multipart(["encrypted"])?;
    assert_eq!(server.recv_multipart()?, vec![b"encrypted".to_vec()]);
    let ev = server_events.wait_for(HANDSHAKE_DONE, WAIT)?;
    assert_eq!(ev.event, event::HANDSHAKE_SUCCEEDED, "{ev:?}");

    // A client that expects another server key cannot complete the
    // handshake: the server cannot decrypt its HELLO.
    let confused = ctx.socket(SocketType::Push)?;
    confused.set_linger(0)?;
    confused.set_curve_serverkey(&wrong_public)?;
    confused.set_curve_publickey(&client_public)?;
    confused.set_curve_secretkey(&client_secret)?;
    confused.connect(&endpoint)?;
    confused.send_multipart(["lost"])?;
    let ev = server_events.wait_for(HANDSHAKE_DONE, WAIT)?;
    assert_eq!(ev.event, event::HANDSHAKE_FAILED_PROTOCOL, "{ev:?}");
    assert_eq!(
        ev.value,
        oxmq_interop::protocol_error::ZMTP_CRYPTOGRAPHIC,
        "{ev:?}"
    );
    assert!(server.recv_multipart_timeout(REFUSED_GRACE).is_err());
    Ok(())
}

#[test]
fn null_mechanism_uses_zap_only_with_a_domain() -> TestResult {
    let ctx = Context::new();
    let _zap = ZapHandler::start(&ctx, |req| {
        assert_eq!(req.mechanism, "NULL");
        assert!(req.credentials.is_empty());
        ZapReply::deny("closed")
    })?;

    // No domain: the handler is not consulted, the peer gets in.
    let open = ctx.socket(SocketType::Pull)?;
    open.set_rcvtimeo(WAIT_MS)?;
    let open_endpoint = open.bind_tcp_ephemeral()?;
    let pusher = ctx.socket(SocketType::Push)?;
    pusher.connect(&open_endpoint)?;
    pusher.send_multipart(["in"])?;
    assert_eq!(open.recv_multipart()?, vec![b"in".to_vec()]);

    // With a domain: the handler refuses.
    let closed = ctx.socket(SocketType::Pull)?;
    closed.set_zap_domain("guarded")?;
    let closed_events = closed.monitor(HANDSHAKE_DONE)?;
    let closed_endpoint = closed.bind_tcp_ephemeral()?;
    let refused = ctx.socket(SocketType::Push)?;
    refused.set_linger(0)?;
    refused.connect(&closed_endpoint)?;
    refused.send_multipart(["out"])?;
    let ev = closed_events.wait_for(HANDSHAKE_DONE, WAIT)?;
    assert_eq!(ev.event, event::HANDSHAKE_FAILED_AUTH, "{ev:?}");
    assert_eq!(ev.value, 400);
    assert!(closed.recv_multipart_timeout(REFUSED_GRACE).is_err());
    Ok(())
}

#[test]
fn zap_reply_metadata_encoding() {
    let reply = ZapReply::allow("u")
        .with_property("X-A", "1")
        .with_property("X-Long", vec![7u8; 300]);
    let encoded = reply.encode_metadata();
    let mut expected = vec![3];
    expected.extend_from_slice(b"X-A");
    expected.extend_from_slice(&1u32.to_be_bytes());
    expected.push(b'1');
    expected.push(6);
    expected.extend_from_slice(b"X-Long");
    expected.extend_from_slice(&300u32.to_be_bytes());
    expected.extend_from_slice(&[7u8; 300]);
    assert_eq!(encoded, expected);
}
