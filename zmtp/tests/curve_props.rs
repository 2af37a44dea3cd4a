//! CURVE against hostile input: the client and server state machines fed
//! truncated, altered, replayed or arbitrary command bodies, directly
//! through the `Mechanism` API (the entry points a fuzzer drives) and
//! through the `Handshake`. Nothing may panic, nothing malformed may pass,
//! and a failed mechanism stays failed. Also: random traffic round trips.

mod curve_support;
mod support;

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use curve_support::{
    body, client_pair, frames, local, metadata_for, nonce, seal, server_pair, RawPair,
    ReferenceClient,
};
use oxmq_zmtp::mechanism::curve::{CurveClient, CurveServer};
use oxmq_zmtp::mechanism::FrameCipher;
use oxmq_zmtp::{
    AuthReply, Error, HandshakeEvent, Inbound, Mechanism, MechanismConfig, Message, ProtocolError,
    SocketType, Version, ZmtpCodec,
};
use proptest::prelude::*;
use support::{events, feed, frame, handshake, raw_greeting, Pair};
use tokio_util::codec::Decoder;

fn new_client() -> CurveClient {
    CurveClient::new(
        local(SocketType::Dealer),
        server_pair().public,
        client_pair(),
    )
}

fn new_server() -> CurveServer {
    CurveServer::new(local(SocketType::Router), server_pair())
}

/// One valid command out of `m`.
fn one(m: &mut dyn Mechanism) -> Bytes {
    let cmd = m.poll_command().expect("a command");
    assert!(m.poll_command().is_none());
    cmd
}

/// A started client and a fresh server; the client's HELLO.
fn at_hello() -> (CurveClient, CurveServer, Bytes) {
    let mut c = new_client();
    c.start(Version::V3_1).unwrap();
    let hello = one(&mut c);
    (c, new_server(), hello)
}

/// Client waiting for WELCOME, server waiting for INITIATE; the WELCOME.
fn at_welcome() -> (CurveClient, CurveServer, Bytes) {
    let (c, mut s, hello) = at_hello();
    s.handle_command(hello).unwrap();
    let welcome = one(&mut s);
    (c, s, welcome)
}

/// Client waiting for READY, server waiting for INITIATE; the INITIATE.
fn at_initiate() -> (CurveClient, CurveServer, Bytes) {
    let (mut c, s, welcome) = at_welcome();
    c.handle_command(welcome).unwrap();
    let initiate = one(&mut c);
    (c, s, initiate)
}

/// Client waiting for READY, server done; the READY.
fn at_ready() -> (CurveClient, CurveServer, Bytes) {
    let (c, mut s, initiate) = at_initiate();
    s.handle_command(initiate).unwrap();
    assert!(s.poll_auth_request().is_some());
    s.handle_auth_reply(AuthReply::allow("")).unwrap();
    let ready = one(&mut s);
    assert!(s.is_complete());
    (c, s, ready)
}

fn flip(body: &Bytes, at: usize, mask: u8) -> Bytes {
    let mut v = body.to_vec();
    v[at] ^= mask;
    Bytes::from(v)
}

/// `m` refuses `body`, and then refuses everything, completing never.
fn assert_refused(m: &mut dyn Mechanism, body: Bytes, what: &str) -> Error {
    let err = m.handle_command(body).expect_err(what);
    assert!(!m.is_complete(), "{what}");
    assert!(
        m.handle_command(Bytes::from_static(b"\x05HELLO")).is_err(),
        "{what}: still accepting after a failure"
    );
    err
}

// ------------------------------------------------- deterministic cases ----

#[test]
fn the_scripted_exchange_completes() {
    let (mut c, s, ready) = at_ready();
    c.handle_command(ready).unwrap();
    assert!(c.is_complete());
    let mut client = Box::new(c).finish().unwrap().cipher.unwrap();
    let mut server = Box::new(s).finish().unwrap().cipher.unwrap();
    let mut wire = BytesMut::new();
    client.encrypt(0, b"ok", &mut wire).unwrap();
    let body = Bytes::from(frames(&wire)[0].1.clone());
    assert_eq!(
        server.decrypt(body).unwrap(),
        (0, Bytes::from_static(b"ok"))
    );
}

#[test]
fn truncated_or_padded_hello_is_refused() {
    let (_, _, hello) = at_hello();
    for len in (0..hello.len()).chain([hello.len() + 1]) {
        let mut body = hello.to_vec();
        body.resize(len, 0);
        let err = assert_refused(&mut new_server(), Bytes::from(body), "HELLO");
        assert!(err.is_protocol(), "{len}: {err:?}");
    }
}

#[test]
fn hello_with_another_version_is_refused() {
    let (_, _, hello) = at_hello();
    for version in [[1u8, 1], [2, 0], [0, 0]] {
        let mut body = hello.to_vec();
        body[6..8].copy_from_slice(&version);
        let err = assert_refused(&mut new_server(), Bytes::from(body), "version");
        assert!(
            matches!(err, Error::Protocol(ProtocolError::MalformedCommand { .. })),
            "{err:?}"
        );
    }
}

#[test]
fn every_altered_hello_octet_outside_the_padding_is_refused() {
    let (_, _, hello) = at_hello();
    for at in 0..hello.len() {
        let outcome = new_server().handle_command(flip(&hello, at, 0x04));
        if (8..80).contains(&at) {
            // Like libzmq, the anti-amplification padding is not read.
            assert!(outcome.is_ok(), "padding octet {at}");
        } else {
            assert!(outcome.is_err(), "octet {at} accepted");
        }
    }
}

#[test]
fn truncated_or_padded_welcome_is_refused() {
    let (_, _, welcome) = at_welcome();
    for len in (0..welcome.len()).chain([welcome.len() + 1, 300]) {
        let (mut c, _, _) = at_welcome();
        let mut body = welcome.to_vec();
        body.resize(len, 0);
        let err = assert_refused(&mut c, Bytes::from(body), "WELCOME");
        assert!(err.is_protocol(), "{len}: {err:?}");
    }
}

#[test]
fn every_altered_welcome_octet_is_refused() {
    for at in 0..168 {
        let (mut c, _, welcome) = at_welcome();
        assert_refused(&mut c, flip(&welcome, at, 0x40), "altered WELCOME");
    }
}

#[test]
fn welcome_from_another_server_is_refused() {
    let (mut c, _, _) = at_welcome();
    let (_, _, other) = at_welcome();
    // Built for another client's C': the box does not open.
    assert_refused(&mut c, other, "someone else's WELCOME");
}

#[test]
fn truncated_initiate_is_refused() {
    let (_, _, initiate) = at_initiate();
    for len in 0..initiate.len() {
        let (_, mut s, _) = at_initiate();
        let mut body = initiate.to_vec();
        body.truncate(len);
        let err = assert_refused(&mut s, Bytes::from(body), "INITIATE");
        assert!(err.is_protocol(), "{len}: {err:?}");
    }
}

#[test]
fn every_altered_initiate_octet_is_refused() {
    let (_, _, sample) = at_initiate();
    for at in 0..sample.len() {
        let (_, mut s, initiate) = at_initiate();
        assert_refused(&mut s, flip(&initiate, at, 0x01), "altered INITIATE");
        assert!(s.poll_auth_request().is_none(), "octet {at}");
    }
}

#[test]
fn initiate_of_another_connection_is_refused() {
    // A recorded INITIATE (cookie and all) replayed on another connection.
    let (_, _, recorded) = at_initiate();
    let (_, mut s, _) = at_initiate();
    assert_refused(&mut s, recorded, "replayed INITIATE");
    assert!(s.poll_auth_request().is_none());
}

/// Runs a reference client to the point of INITIATE against an oxmq server.
fn reference_at_initiate() -> (ReferenceClient, CurveServer) {
    let mut r = ReferenceClient::new(server_pair().public.to_bytes(), 0x21);
    let mut s = new_server();
    s.handle_command(Bytes::from(r.hello(1))).unwrap();
    r.read_welcome(&one(&mut s));
    (r, s)
}

#[test]
fn reference_initiate_is_accepted() {
    // The control for the refusals below.
    let (r, mut s) = reference_at_initiate();
    s.handle_command(Bytes::from(r.initiate(2, SocketType::Dealer)))
        .unwrap();
    let req = s.poll_auth_request().unwrap();
    assert_eq!(req.credentials[0][..], r.permanent.public[..]);
}

#[test]
fn initiate_nonce_must_exceed_hello_nonce() {
    for n in [0u64, 1] {
        let (r, mut s) = reference_at_initiate();
        let err = assert_refused(
            &mut s,
            Bytes::from(r.initiate(n, SocketType::Dealer)),
            "nonce",
        );
        assert!(matches!(err, Error::Protocol(ProtocolError::Mechanism(_))));
    }
    // Nonces may skip values; they only have to increase.
    let (r, mut s) = reference_at_initiate();
    s.handle_command(Bytes::from(r.initiate(1000, SocketType::Dealer)))
        .unwrap();
}

#[test]
fn vouch_must_name_the_client_transient_and_the_server_keys() {
    let other = RawPair::from_seed(0x99).public;
    let (r, mut s) = reference_at_initiate();
    let bad = r.initiate_with(2, &other, &r.server_key, &metadata_for(SocketType::Dealer));
    assert_refused(&mut s, Bytes::from(bad), "vouch for another C'");
    let (r, mut s) = reference_at_initiate();
    let bad = r.initiate_with(
        2,
        &r.transient.public,
        &other,
        &metadata_for(SocketType::Dealer),
    );
    assert_refused(&mut s, Bytes::from(bad), "vouch for another server");
}

#[test]
fn malformed_initiate_metadata_is_refused() {
    let (r, mut s) = reference_at_initiate();
    let t = r.transient.public;
    let bad = r.initiate_with(2, &t, &r.server_key, b"\x0bSocket-Type\x00\x00\x00\x09DEAL");
    let err = assert_refused(&mut s, Bytes::from(bad), "metadata");
    assert!(matches!(
        err,
        Error::Protocol(ProtocolError::MalformedCommand {
            command: "INITIATE",
            ..
        })
    ));
    assert!(s.poll_auth_request().is_none());
    // Nothing is sent for a malformed command.
    assert!(s.poll_command().is_none());
}

#[test]
fn truncated_ready_is_refused() {
    let (_, _, ready) = at_ready();
    for len in 0..ready.len() {
        let (mut c, _, _) = at_ready();
        let mut body = ready.to_vec();
        body.truncate(len);
        let err = assert_refused(&mut c, Bytes::from(body), "READY");
        assert!(err.is_protocol(), "{len}: {err:?}");
    }
}

#[test]
fn every_altered_ready_octet_is_refused() {
    let (_, _, sample) = at_ready();
    for at in 0..sample.len() {
        let (mut c, _, ready) = at_ready();
        assert_refused(&mut c, flip(&ready, at, 0x80), "altered READY");
    }
}

/// Drives an oxmq client with a hand-made server up to READY, which
/// announces `server_ty`; returns the client's verdict on that READY and
/// what it queued.
fn client_verdict_on_ready(server_ty: SocketType) -> (Result<(), Error>, Option<Bytes>) {
    let server = RawPair::of(&server_pair());
    let st = RawPair::from_seed(0x71);
    let mut c = new_client();
    c.start(Version::V3_1).unwrap();
    let hello = one(&mut c);
    let mut ct = [0u8; 32];
    ct.copy_from_slice(&hello[80..112]);
    let cookie = [0xC0u8; 96];
    let welcome_box = seal(
        &ct,
        &server.secret,
        &nonce(b"WELCOME-", &[1u8; 16]),
        &[&st.public[..], &cookie[..]].concat(),
    );
    c.handle_command(Bytes::from(body(b"WELCOME", &[&[1u8; 16], &welcome_box])))
        .unwrap();
    let initiate = one(&mut c);
    assert_eq!(initiate[9..105], cookie);
    let ready_box = seal(
        &ct,
        &st.secret,
        &nonce(b"CurveZMQREADY---", &7u64.to_be_bytes()),
        &metadata_for(server_ty),
    );
    let verdict = c.handle_command(Bytes::from(body(
        b"READY",
        &[&7u64.to_be_bytes(), &ready_box],
    )));
    (verdict, c.poll_command())
}

#[test]
fn client_checks_the_server_socket_type_and_sends_no_error() {
    let (ok, queued) = client_verdict_on_ready(SocketType::Router);
    assert!(ok.is_ok());
    assert!(queued.is_none());
    let (bad, queued) = client_verdict_on_ready(SocketType::Push);
    assert!(matches!(
        bad,
        Err(Error::Protocol(
            ProtocolError::IncompatibleSocketType { .. }
        ))
    ));
    // RFC 26: a client never sends ERROR.
    assert!(queued.is_none());
}

#[test]
fn commands_out_of_order_are_refused() {
    let (_, _, hello) = at_hello();
    let (_, _, welcome) = at_welcome();
    let (_, _, initiate) = at_initiate();
    let (_, _, ready) = at_ready();
    // Server: INITIATE or READY before HELLO; HELLO twice.
    for body in [&initiate, &ready, &welcome] {
        assert_refused(&mut new_server(), body.clone(), "server out of order");
    }
    let (_, mut s, _) = at_welcome();
    assert_refused(&mut s, hello.clone(), "second HELLO");
    // Client: READY before WELCOME; anything before start.
    let (mut c, _, _) = at_welcome();
    assert_refused(&mut c, ready.clone(), "READY before WELCOME");
    let mut c = new_client();
    assert_refused(&mut c, welcome, "WELCOME before start");
    // Server waiting for the authenticator takes nothing else.
    let (_, mut s, initiate) = at_initiate();
    s.handle_command(initiate).unwrap();
    assert_refused(&mut s, hello, "HELLO while authenticating");
    assert!(s.handle_auth_reply(AuthReply::allow("")).is_err());
}

#[test]
fn stray_auth_replies_are_refused() {
    let mut s = new_server();
    assert!(s.handle_auth_reply(AuthReply::allow("")).is_err());
    let (_, mut s, _) = at_welcome();
    assert!(s.handle_auth_reply(AuthReply::allow("")).is_err());
    let mut c = new_client();
    assert!(c.handle_auth_reply(AuthReply::allow("")).is_err());
}

#[test]
fn server_errors_reach_the_client_in_any_state() {
    for (stage, body) in [
        ("WELCOME", &b"\x05ERROR\x03400"[..]),
        ("READY", b"\x05ERROR\x03500"),
    ] {
        let (mut c, _, _) = if stage == "WELCOME" {
            at_welcome()
        } else {
            at_ready()
        };
        let err = c.handle_command(Bytes::from_static(body)).expect_err(stage);
        assert!(matches!(err, Error::Auth(_)), "{stage}: {err:?}");
    }
    // Malformed ERRORs fail as protocol errors, without panicking.
    for body in [&b"\x05ERROR"[..], b"\x05ERROR\x05ab", b"\x05ERR"] {
        let (mut c, _, _) = at_welcome();
        assert!(c.handle_command(Bytes::from_static(body)).is_err());
    }
}

#[test]
fn finishing_early_is_an_error() {
    let (c, s, _) = at_welcome();
    assert!(Box::new(c).finish().is_err());
    assert!(Box::new(s).finish().is_err());
}

#[test]
fn starting_twice_is_an_error() {
    let mut c = new_client();
    c.start(Version::V3_1).unwrap();
    assert!(c.start(Version::V3_1).is_err());
}

#[test]
fn handshake_with_garbage_commands_fails_cleanly() {
    let now = Instant::now();
    let server_cfg = MechanismConfig::CurveServer {
        keypair: server_pair(),
    };
    let client_cfg = MechanismConfig::CurveClient {
        server_key: server_pair().public,
        keypair: client_pair(),
    };
    for (cfg, peer_greeting, ty) in [
        (
            &server_cfg,
            raw_greeting(3, 1, "CURVE", false),
            SocketType::Router,
        ),
        (
            &client_cfg,
            raw_greeting(3, 1, "CURVE", true),
            SocketType::Dealer,
        ),
    ] {
        for garbage in [
            &b""[..],
            b"\x05HELLO",
            b"\x07WELCOME\x00",
            b"\x08INITIATE",
            b"\x05READY\x00\x00\x00\x00\x00\x00\x00\x01",
            b"\x07MESSAGE",
            b"\xff",
        ] {
            let mut hs = handshake(cfg, ty, now);
            let mut input = peer_greeting.clone();
            input.extend_from_slice(&frame(0x04, garbage));
            let _ = feed(&mut hs, &input);
            let evs = events(&mut hs);
            assert!(
                matches!(evs.as_slice(), [HandshakeEvent::Failed(_)]),
                "{garbage:?}: {evs:?}"
            );
        }
    }
}

// ---------------------------------------------------------- properties ----

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn server_refuses_arbitrary_first_commands(raw in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut s = new_server();
        prop_assert!(s.handle_command(Bytes::from(raw)).is_err());
        prop_assert!(s.poll_auth_request().is_none());
        prop_assert!(s.poll_command().is_none());
    }

    #[test]
    fn server_refuses_arbitrary_hello_shaped_commands(raw in proptest::collection::vec(any::<u8>(), 194)) {
        let mut body = b"\x05HELLO".to_vec();
        body.extend_from_slice(&raw);
        let mut s = new_server();
        prop_assert!(s.handle_command(Bytes::from(body)).is_err());
    }

    #[test]
    fn server_refuses_arbitrary_second_commands(
        raw in proptest::collection::vec(any::<u8>(), 0..600),
        named in any::<bool>(),
    ) {
        let (_, mut s, _) = at_welcome();
        let mut body = if named { b"\x08INITIATE".to_vec() } else { Vec::new() };
        body.extend_from_slice(&raw);
        prop_assert!(s.handle_command(Bytes::from(body)).is_err());
        prop_assert!(s.poll_auth_request().is_none());
    }

    #[test]
    fn client_refuses_arbitrary_welcomes(
        raw in proptest::collection::vec(any::<u8>(), 0..300),
        named in any::<bool>(),
    ) {
        let (mut c, _, _) = at_welcome();
        let mut body = if named { b"\x07WELCOME".to_vec() } else { Vec::new() };
        body.extend_from_slice(&raw);
        prop_assert!(c.handle_command(Bytes::from(body)).is_err());
        prop_assert!(c.poll_command().is_none());
    }

    #[test]
    fn client_refuses_arbitrary_readies(
        raw in proptest::collection::vec(any::<u8>(), 0..300),
        named in any::<bool>(),
    ) {
        let (mut c, _, _) = at_ready();
        let mut body = if named { b"\x05READY".to_vec() } else { Vec::new() };
        body.extend_from_slice(&raw);
        prop_assert!(c.handle_command(Bytes::from(body)).is_err());
        prop_assert!(!c.is_complete());
    }

    #[test]
    fn altered_commands_are_refused(stage in 0usize..3, at in any::<prop::sample::Index>(), mask in 1u8..=255) {
        match stage {
            0 => {
                let (mut c, _, welcome) = at_welcome();
                let i = at.index(welcome.len());
                prop_assert!(c.handle_command(flip(&welcome, i, mask)).is_err());
            }
            1 => {
                let (_, mut s, initiate) = at_initiate();
                let i = at.index(initiate.len());
                prop_assert!(s.handle_command(flip(&initiate, i, mask)).is_err());
            }
            _ => {
                let (mut c, _, ready) = at_ready();
                let i = at.index(ready.len());
                prop_assert!(c.handle_command(flip(&ready, i, mask)).is_err());
            }
        }
    }

    #[test]
    fn handshakes_survive_arbitrary_bytes(
        raw in proptest::collection::vec(any::<u8>(), 0..600),
        as_client in any::<bool>(),
    ) {
        let now = Instant::now();
        let (cfg, peer_greeting, ty) = if as_client {
            (
                MechanismConfig::CurveClient {
                    server_key: server_pair().public,
                    keypair: client_pair(),
                },
                raw_greeting(3, 1, "CURVE", true),
                SocketType::Dealer,
            )
        } else {
            (
                MechanismConfig::CurveServer { keypair: server_pair() },
                raw_greeting(3, 1, "CURVE", false),
                SocketType::Router,
            )
        };
        let mut hs = handshake(&cfg, ty, now);
        let mut input = peer_greeting;
        input.extend_from_slice(&raw);
        let _ = feed(&mut hs, &input);
        let evs = events(&mut hs);
        prop_assert!(evs.len() <= 1);
        prop_assert!(!evs.iter().any(|e| matches!(e, HandshakeEvent::Complete(_))));
    }

    #[test]
    fn handshakes_survive_arbitrary_framed_commands(
        bodies in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..4),
        as_client in any::<bool>(),
    ) {
        let now = Instant::now();
        let (cfg, peer_greeting, ty) = if as_client {
            (
                MechanismConfig::CurveClient {
                    server_key: server_pair().public,
                    keypair: client_pair(),
                },
                raw_greeting(3, 1, "CURVE", true),
                SocketType::Dealer,
            )
        } else {
            (
                MechanismConfig::CurveServer { keypair: server_pair() },
                raw_greeting(3, 1, "CURVE", false),
                SocketType::Router,
            )
        };
        let mut hs = handshake(&cfg, ty, now);
        let mut input = peer_greeting;
        for b in &bodies {
            input.extend_from_slice(&frame(0x04, b));
        }
        let _ = feed(&mut hs, &input);
        let evs = events(&mut hs);
        prop_assert!(
            matches!(evs.as_slice(), [HandshakeEvent::Failed(_)]),
            "{:?}", evs
        );
    }
}

fn traffic() -> impl Strategy<Value = Vec<Vec<Vec<u8>>>> {
    proptest::collection::vec(
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..600), 1..5),
        1..6,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn random_traffic_round_trips_both_ways(msgs in traffic(), split in any::<prop::sample::Index>()) {
        let mut p = Pair::new(
            MechanismConfig::CurveClient {
                server_key: server_pair().public,
                keypair: client_pair(),
            },
            SocketType::Dealer,
            MechanismConfig::CurveServer { keypair: server_pair() },
            SocketType::Router,
        );
        p.run_allow_all();
        let take = |o: Option<HandshakeEvent>| match o {
            Some(HandshakeEvent::Complete(e)) => e.cipher,
            _ => None,
        };
        let mut client = ZmtpCodec::new().with_cipher(take(p.a.outcome.take()));
        let mut server = ZmtpCodec::new().with_cipher(take(p.b.outcome.take()));
        let msgs: Vec<Message> = msgs
            .into_iter()
            .map(|m| Message::from(m.into_iter().map(Bytes::from).collect::<Vec<_>>()))
            .collect();
        for direction in 0..2 {
            let (from, to) = if direction == 0 {
                (&mut client, &mut server)
            } else {
                (&mut server, &mut client)
            };
            let mut wire = BytesMut::new();
            from.encode_batch(&msgs, &mut wire).unwrap();
            // Deliver in two arbitrary pieces.
            let cut = split.index(wire.len() + 1);
            let mut buf = BytesMut::from(&wire[..cut]);
            let mut got = Vec::new();
            while let Some(Inbound::Message(m)) = to.decode(&mut buf).unwrap() {
                got.push(m);
            }
            buf.extend_from_slice(&wire[cut..]);
            while let Some(Inbound::Message(m)) = to.decode(&mut buf).unwrap() {
                got.push(m);
            }
            prop_assert!(buf.is_empty());
            prop_assert_eq!(&got, &msgs);
        }
    }

    #[test]
    fn ciphers_refuse_arbitrary_bodies(raw in proptest::collection::vec(any::<u8>(), 0..200), named in any::<bool>()) {
        let (mut c, s, ready) = at_ready();
        c.handle_command(ready).unwrap();
        let mut client: Box<dyn FrameCipher> = Box::new(c).finish().unwrap().cipher.unwrap();
        let mut server: Box<dyn FrameCipher> = Box::new(s).finish().unwrap().cipher.unwrap();
        let mut body = if named { b"\x07MESSAGE".to_vec() } else { Vec::new() };
        body.extend_from_slice(&raw);
        prop_assert!(client.decrypt(Bytes::from(body.clone())).is_err());
        prop_assert!(server.decrypt(Bytes::from(body)).is_err());
    }
}
