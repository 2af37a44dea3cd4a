//! The handshake state machine, driven in memory: two oxmq handshakes
//! talking to each other (NULL and PLAIN, good and bad), and one handshake
//! fed hand-made peer bytes (truncated, garbage, legacy versions, attacks).

mod support;

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use oxmq_zmtp::error::LegacyVersion;
use oxmq_zmtp::{
    AuthFailure, AuthReply, AuthRequest, Command, Error, Handshake, HandshakeConfig,
    HandshakeEvent, Inbound, MechanismConfig, MechanismName, Message, Metadata, ProtocolError,
    SocketType, Version, ZmtpCodec,
};
use tokio_util::codec::Decoder;

use support::{
    command_frame, events, feed, handshake, hex, properties, raw_greeting, ready_frame, transmit,
    Pair,
};

const ERROR_400: &[u8] = b"\x04\x0a\x05ERROR\x03400";
/// libzmq 4.3's PLAIN server spelling of ERROR "400" / "500" (see
/// `LIBZMQ_PLAIN_QUIRK`), which our PLAIN server copies for its clients.
const PLAIN_ERROR_400: &[u8] = b"\x04\x09\x5eRROR\x03400";
const PLAIN_ERROR_500: &[u8] = b"\x04\x09\x5eRROR\x03500";
/// `ERROR "Invalid socket type"`: body = 1 + 5 + 1 + 19 = 26 = 0x1a.
const ERROR_BAD_TYPE: &[u8] = b"\x04\x1a\x05ERROR\x13Invalid socket type";

fn plain_client(user: &'static str, pass: &'static str) -> MechanismConfig {
    MechanismConfig::PlainClient {
        username: Bytes::from_static(user.as_bytes()),
        password: Bytes::from_static(pass.as_bytes()),
    }
}

fn null_greeting() -> Vec<u8> {
    raw_greeting(3, 1, "NULL", false)
}

/// READY for `ty` as oxmq (and libzmq) lays it out: Socket-Type, then an
/// empty Identity for REQ/DEALER/ROUTER.
fn ready_for(ty: SocketType) -> Vec<u8> {
    if ty.sends_identity() {
        ready_frame(&[("Socket-Type", ty.as_str().as_bytes()), ("Identity", b"")])
    } else {
        ready_frame(&[("Socket-Type", ty.as_str().as_bytes())])
    }
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn assert_protocol(err: &Error, expected: &ProtocolError) {
    match err {
        Error::Protocol(p) => assert_eq!(p, expected),
        other => panic!("expected Protocol({expected:?}), got {other:?}"),
    }
}

fn assert_auth(err: &Error, code: u16, text: &str) {
    match err {
        Error::Auth(AuthFailure {
            status_code,
            text: t,
        }) => {
            assert_eq!((*status_code, t.as_str()), (code, text));
        }
        other => panic!("expected Auth({code}, {text:?}), got {other:?}"),
    }
}

fn single_failure(hs: &mut Handshake) -> Error {
    let mut evs = events(hs);
    assert_eq!(evs.len(), 1, "expected exactly one event, got {evs:?}");
    match evs.pop() {
        Some(HandshakeEvent::Failed(e)) => {
            assert!(hs.is_finished());
            e
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

fn single_completion(hs: &mut Handshake) -> oxmq_zmtp::PeerInfo {
    let mut evs = events(hs);
    assert_eq!(evs.len(), 1, "expected exactly one event, got {evs:?}");
    match evs.pop() {
        Some(HandshakeEvent::Complete(e)) => {
            assert!(hs.is_finished());
            assert!(e.cipher.is_none());
            e.peer
        }
        other => panic!("expected Complete, got {other:?}"),
    }
}

// ---------------------------------------------------------------- NULL ----

#[test]
fn null_dealer_router_complete_with_exact_bytes() {
    let mut p = Pair::new(
        MechanismConfig::Null,
        SocketType::Dealer,
        MechanismConfig::Null,
        SocketType::Router,
    );
    p.run(|req| panic!("NULL asked for authentication: {req:?}"));

    let a = p.a.established();
    assert_eq!(a.peer.socket_type, SocketType::Router);
    assert_eq!(a.peer.version, Version::V3_1);
    assert_eq!(a.peer.mechanism, MechanismName::NULL);
    assert_eq!(
        a.peer.routing_id, None,
        "an empty Identity is no routing id"
    );
    assert_eq!(a.peer.metadata.get_str("Socket-Type"), Some("ROUTER"));
    assert_eq!(a.peer.metadata.get("Identity").map(Bytes::len), Some(0));
    assert_eq!(a.peer.user_id, None);
    let b = p.b.established();
    assert_eq!(b.peer.socket_type, SocketType::Dealer);

    // On the wire: 64-byte greeting then READY, nothing else.
    assert_eq!(
        hex(&p.a.sent),
        hex(&concat(&[&null_greeting(), &ready_for(SocketType::Dealer)]))
    );
    assert_eq!(
        hex(&p.b.sent),
        hex(&concat(&[&null_greeting(), &ready_for(SocketType::Router)]))
    );
    assert!(p.a.inbox.is_empty() && p.b.inbox.is_empty());
    assert!(p.a.auth_requests.is_empty() && p.b.auth_requests.is_empty());
    assert_eq!(p.a.hs.poll_timeout(), None);
    // A finished handshake ignores its old deadline.
    p.a.hs.handle_timeout(p.now + Duration::from_secs(3600));
    assert!(p.a.hs.poll_event().is_none());
}

#[test]
fn null_routing_id_and_application_metadata_reach_the_peer() {
    let mut md = Metadata::new();
    md.insert("X-Color", "blue");
    let a =
        MechanismConfig::Null.build(SocketType::Dealer, Some(Bytes::from_static(b"peer-A")), &md);
    let b = MechanismConfig::Null.build(SocketType::Router, None, &Metadata::new());
    let mut p = Pair::from_mechanisms(a, b);
    p.run_allow_all();
    let peer = &p.b.established().peer;
    assert_eq!(peer.routing_id.as_deref(), Some(&b"peer-A"[..]));
    assert_eq!(peer.metadata.get_str("x-color"), Some("blue"));
    let order: Vec<&str> = peer.metadata.iter().map(|(n, _)| n).collect();
    assert_eq!(order, ["Socket-Type", "Identity", "X-Color"]);
    let expected_ready = ready_frame(&[
        ("Socket-Type", b"DEALER"),
        ("Identity", b"peer-A"),
        ("X-Color", b"blue"),
    ]);
    assert_eq!(hex(&p.a.sent[64..]), hex(&expected_ready));
}

#[test]
fn null_socket_type_matrix() {
    for ours in SocketType::STANDARD {
        for theirs in SocketType::STANDARD {
            let mut p = Pair::new(MechanismConfig::Null, ours, MechanismConfig::Null, theirs);
            p.run_allow_all();
            if ours.is_compatible_with(theirs) {
                assert_eq!(
                    p.a.established().peer.socket_type,
                    theirs,
                    "{ours}-{theirs}"
                );
                assert_eq!(p.b.established().peer.socket_type, ours, "{ours}-{theirs}");
            } else {
                // Both read an incompatible READY: both send ERROR and fail.
                assert_protocol(
                    p.a.error(),
                    &ProtocolError::IncompatibleSocketType { ours, theirs },
                );
                assert_protocol(
                    p.b.error(),
                    &ProtocolError::IncompatibleSocketType {
                        ours: theirs,
                        theirs: ours,
                    },
                );
                assert!(p.a.sent.ends_with(ERROR_BAD_TYPE), "{ours}-{theirs}");
                assert!(p.b.sent.ends_with(ERROR_BAD_TYPE), "{ours}-{theirs}");
            }
            assert_eq!(p.a.terminal_events, 1);
            assert_eq!(p.b.terminal_events, 1);
        }
    }
}

#[test]
fn null_invalid_socket_type_pair_sends_error_and_both_fail() {
    let mut p = Pair::new(
        MechanismConfig::Null,
        SocketType::Push,
        MechanismConfig::Null,
        SocketType::Push,
    );
    p.run_allow_all();
    let push_push = ProtocolError::IncompatibleSocketType {
        ours: SocketType::Push,
        theirs: SocketType::Push,
    };
    assert_protocol(p.a.error(), &push_push);
    assert_protocol(p.b.error(), &push_push);
    let expected = concat(&[
        &null_greeting(),
        &ready_for(SocketType::Push),
        ERROR_BAD_TYPE,
    ]);
    assert_eq!(hex(&p.a.sent), hex(&expected));
    assert_eq!(hex(&p.b.sent), hex(&expected));
}

#[test]
fn null_one_sided_detection_sends_error_to_the_peer() {
    // A REQ sees a peer that claims to be PUB and answers with ERROR; a
    // handshake that receives such an ERROR (here a ROUTER) fails on it.
    let now = std::time::Instant::now();
    let mut req = handshake(&MechanismConfig::Null, SocketType::Req, now);
    let _ = transmit(&mut req);
    let rest = feed(
        &mut req,
        &concat(&[&null_greeting(), &ready_for(SocketType::Pub)]),
    );
    assert!(rest.is_empty());
    let err = single_failure(&mut req);
    assert_protocol(
        &err,
        &ProtocolError::IncompatibleSocketType {
            ours: SocketType::Req,
            theirs: SocketType::Pub,
        },
    );
    let out = transmit(&mut req);
    assert_eq!(
        hex(&out),
        hex(&concat(&[&ready_for(SocketType::Req), ERROR_BAD_TYPE]))
    );

    let mut router = handshake(&MechanismConfig::Null, SocketType::Router, now);
    feed(&mut router, &concat(&[&null_greeting(), ERROR_BAD_TYPE]));
    let err = single_failure(&mut router);
    assert_protocol(
        &err,
        &ProtocolError::PeerError("Invalid socket type".into()),
    );
}

#[test]
fn null_unknown_or_missing_socket_type_is_rejected_with_error() {
    let now = std::time::Instant::now();
    for (ready, shown) in [
        (ready_frame(&[("Socket-Type", b"STREAM")]), "STREAM"),
        (ready_frame(&[("Socket-Type", b"dealer")]), "dealer"),
        (ready_frame(&[("Identity", b"x")]), ""),
        (ready_frame(&[]), ""),
    ] {
        let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
        let _ = transmit(&mut hs);
        feed(&mut hs, &concat(&[&null_greeting(), &ready]));
        let err = single_failure(&mut hs);
        assert_protocol(&err, &ProtocolError::BadSocketType(shown.into()));
        assert_eq!(
            hex(&transmit(&mut hs)),
            hex(&concat(&[&ready_for(SocketType::Dealer), ERROR_BAD_TYPE]))
        );
    }
}

#[test]
fn null_authenticated_allow_holds_ready_until_the_reply() {
    let now = std::time::Instant::now();
    let mut srv = handshake(&MechanismConfig::NullAuthenticated, SocketType::Router, now);
    assert_eq!(transmit(&mut srv), null_greeting());
    feed(&mut srv, &null_greeting());
    let evs = events(&mut srv);
    let [HandshakeEvent::Authenticate(req)] = &evs[..] else {
        panic!("expected one Authenticate, got {evs:?}")
    };
    assert_eq!(
        req,
        &AuthRequest {
            mechanism: MechanismName::NULL,
            credentials: vec![]
        }
    );
    // No READY before the verdict.
    assert!(transmit(&mut srv).is_empty());
    feed(&mut srv, &ready_for(SocketType::Dealer));
    assert!(transmit(&mut srv).is_empty());
    assert!(
        events(&mut srv).is_empty(),
        "completed before authentication"
    );

    let mut reply = AuthReply::allow("user-7");
    reply.metadata.insert("X-Tenant", "acme");
    srv.handle_auth_reply(reply);
    assert_eq!(transmit(&mut srv), ready_for(SocketType::Router));
    let peer = single_completion(&mut srv);
    assert_eq!(peer.user_id.as_deref(), Some(&b"user-7"[..]));
    assert_eq!(peer.auth_metadata.get_str("X-Tenant"), Some("acme"));
    assert_eq!(peer.socket_type, SocketType::Dealer);
}

#[test]
fn null_authenticated_deny_sends_status_code_error() {
    let mut p = Pair::new(
        MechanismConfig::Null,
        SocketType::Dealer,
        MechanismConfig::NullAuthenticated,
        SocketType::Router,
    );
    p.run(|_| AuthReply::deny(400, "go away"));
    assert_eq!(p.b.auth_requests.len(), 1);
    assert_auth(p.b.error(), 400, "go away");
    assert_auth(p.a.error(), 400, "400");
    // The refusing side never sent READY: greeting, then ERROR "400".
    assert_eq!(hex(&p.b.sent), hex(&concat(&[&null_greeting(), ERROR_400])));
}

// --------------------------------------------------------------- PLAIN ----

#[test]
fn plain_good_credentials() {
    let mut p = Pair::new(
        plain_client("admin", "secret"),
        SocketType::Dealer,
        MechanismConfig::PlainServer,
        SocketType::Router,
    );
    p.run(|req| {
        assert_eq!(req.mechanism, MechanismName::PLAIN);
        if req.credentials == [&b"admin"[..], &b"secret"[..]] {
            AuthReply::allow("admin-id")
        } else {
            AuthReply::deny(400, "bad")
        }
    });
    let client = &p.a.established().peer;
    let server = &p.b.established().peer;
    assert_eq!(client.mechanism, MechanismName::PLAIN);
    assert_eq!(client.socket_type, SocketType::Router);
    assert_eq!(client.user_id, None);
    assert_eq!(server.socket_type, SocketType::Dealer);
    assert_eq!(server.user_id.as_deref(), Some(&b"admin-id"[..]));
    assert_eq!(p.a.auth_requests.len(), 0);
    assert_eq!(p.b.auth_requests.len(), 1);

    let dealer_props = properties(&[("Socket-Type", b"DEALER"), ("Identity", b"")]);
    let router_props = properties(&[("Socket-Type", b"ROUTER"), ("Identity", b"")]);
    let client_wire = concat(&[
        &raw_greeting(3, 1, "PLAIN", false),
        &command_frame(b"HELLO", b"\x05admin\x06secret"),
        &command_frame(b"INITIATE", &dealer_props),
    ]);
    let server_wire = concat(&[
        &raw_greeting(3, 1, "PLAIN", true),
        &command_frame(b"WELCOME", b""),
        &command_frame(b"READY", &router_props),
    ]);
    assert_eq!(hex(&p.a.sent), hex(&client_wire));
    assert_eq!(hex(&p.b.sent), hex(&server_wire));
}

#[test]
fn plain_empty_credentials_are_sent_and_checked() {
    let mut p = Pair::new(
        plain_client("", ""),
        SocketType::Pair,
        MechanismConfig::PlainServer,
        SocketType::Pair,
    );
    p.run(|req| {
        assert_eq!(req.credentials, [Bytes::new(), Bytes::new()]);
        AuthReply::allow("")
    });
    p.a.established();
    p.b.established();
    assert_eq!(hex(&p.a.sent[64..74]), hex(b"\x04\x08\x05HELLO\x00\x00"));
}

#[test]
fn plain_bad_credentials() {
    let mut p = Pair::new(
        plain_client("admin", "wrong"),
        SocketType::Dealer,
        MechanismConfig::PlainServer,
        SocketType::Router,
    );
    p.run(|_| AuthReply::deny(400, "wrong password"));
    assert_auth(p.b.error(), 400, "wrong password");
    // The client receives ERROR "400" and fails with Error::Auth.
    let server_after_greeting = &p.b.sent[64..];
    assert_eq!(hex(server_after_greeting), hex(PLAIN_ERROR_400));
    let cmd = Command::parse(Bytes::copy_from_slice(&server_after_greeting[2..])).unwrap();
    let Command::Error(e) = cmd else {
        panic!("not an ERROR: {cmd:?}")
    };
    assert_eq!(&e.reason[..], b"400");
    assert_auth(p.a.error(), 400, "400");
    // The client never got a WELCOME, so it never sent INITIATE.
    assert_eq!(p.a.sent.len(), 64 + 2 + 1 + 5 + 1 + 5 + 1 + 5);
}

#[test]
fn plain_temporary_failure_closes_without_error() {
    let mut p = Pair::new(
        plain_client("admin", "secret"),
        SocketType::Dealer,
        MechanismConfig::PlainServer,
        SocketType::Router,
    );
    p.run(|_| AuthReply::deny(300, "try later"));
    assert_auth(p.b.error(), 300, "try later");
    assert_eq!(p.b.sent.len(), 64, "a 300 must not send ERROR");
    // The client hears nothing: it waits until its timer fires.
    assert!(p.a.outcome.is_none());
    assert!(!p.a.hs.is_finished());
    p.a.hs.handle_timeout(p.now + Duration::from_secs(31));
    assert!(matches!(
        p.a.hs.poll_event(),
        Some(HandshakeEvent::Failed(Error::HandshakeTimeout))
    ));
}

#[test]
fn plain_odd_status_codes_become_500() {
    for code in [500, 201, 999] {
        let mut p = Pair::new(
            plain_client("u", "p"),
            SocketType::Dealer,
            MechanismConfig::PlainServer,
            SocketType::Router,
        );
        p.run(|_| AuthReply::deny(code, "nope"));
        assert_auth(p.b.error(), 500, "nope");
        assert_eq!(hex(&p.b.sent[64..]), hex(PLAIN_ERROR_500), "status {code}");
        assert_auth(p.a.error(), 500, "500");
    }
}

#[test]
fn plain_invalid_socket_type_detected_by_server() {
    let mut p = Pair::new(
        plain_client("admin", "secret"),
        SocketType::Push,
        MechanismConfig::PlainServer,
        SocketType::Push,
    );
    p.run_allow_all();
    assert_protocol(
        p.b.error(),
        &ProtocolError::IncompatibleSocketType {
            ours: SocketType::Push,
            theirs: SocketType::Push,
        },
    );
    // Server: greeting, WELCOME, then ERROR instead of READY.
    let expected = concat(&[
        &raw_greeting(3, 1, "PLAIN", true),
        &command_frame(b"WELCOME", b""),
        ERROR_BAD_TYPE,
    ]);
    assert_eq!(hex(&p.b.sent), hex(&expected));
    assert_protocol(
        p.a.error(),
        &ProtocolError::PeerError("Invalid socket type".into()),
    );
}

#[test]
fn plain_invalid_socket_type_detected_by_client() {
    let now = std::time::Instant::now();
    let mut c = handshake(&plain_client("admin", "secret"), SocketType::Sub, now);
    let _ = transmit(&mut c);
    feed(
        &mut c,
        &concat(&[
            &raw_greeting(3, 1, "PLAIN", true),
            &command_frame(b"WELCOME", b""),
            &ready_for(SocketType::Push),
        ]),
    );
    let err = single_failure(&mut c);
    assert_protocol(
        &err,
        &ProtocolError::IncompatibleSocketType {
            ours: SocketType::Sub,
            theirs: SocketType::Push,
        },
    );
    let sent = transmit(&mut c);
    assert!(sent.ends_with(ERROR_BAD_TYPE), "{}", hex(&sent));
}

#[test]
fn plain_two_clients_fail_on_the_unexpected_hello() {
    let mut p = Pair::new(
        plain_client("a", "b"),
        SocketType::Dealer,
        plain_client("c", "d"),
        SocketType::Dealer,
    );
    p.run_allow_all();
    for side in [&p.a, &p.b] {
        assert_protocol(
            side.error(),
            &ProtocolError::UnexpectedCommand {
                expected: "WELCOME",
                got: "HELLO".into(),
            },
        );
    }
}

#[test]
fn plain_server_rejects_malformed_hello() {
    let now = std::time::Instant::now();
    let mut s = handshake(&MechanismConfig::PlainServer, SocketType::Router, now);
    let _ = transmit(&mut s);
    feed(
        &mut s,
        &concat(&[
            &raw_greeting(3, 1, "PLAIN", false),
            &command_frame(b"HELLO", b"\x05admin\x09secret"),
        ]),
    );
    let err = single_failure(&mut s);
    assert!(
        matches!(
            err,
            Error::Protocol(ProtocolError::MalformedCommand {
                command: "HELLO",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn plain_server_rejects_initiate_before_authentication() {
    let now = std::time::Instant::now();
    let mut s = handshake(&MechanismConfig::PlainServer, SocketType::Router, now);
    let _ = transmit(&mut s);
    feed(
        &mut s,
        &concat(&[
            &raw_greeting(3, 1, "PLAIN", false),
            &command_frame(b"INITIATE", &properties(&[("Socket-Type", b"DEALER")])),
        ]),
    );
    let err = single_failure(&mut s);
    assert_protocol(
        &err,
        &ProtocolError::UnexpectedCommand {
            expected: "HELLO",
            got: "INITIATE".into(),
        },
    );
}

// --------------------------------------------------- greeting & version ----

#[test]
fn mechanism_mismatch_fails_both_sides() {
    let mut p = Pair::new(
        MechanismConfig::Null,
        SocketType::Dealer,
        MechanismConfig::PlainServer,
        SocketType::Router,
    );
    p.run_allow_all();
    assert_protocol(
        p.a.error(),
        &ProtocolError::MechanismMismatch {
            ours: MechanismName::NULL,
            theirs: MechanismName::PLAIN,
        },
    );
    assert_protocol(
        p.b.error(),
        &ProtocolError::MechanismMismatch {
            ours: MechanismName::PLAIN,
            theirs: MechanismName::NULL,
        },
    );
    // Only the greetings crossed.
    assert_eq!(p.a.sent.len(), 64);
    assert_eq!(p.b.sent.len(), 64);
    assert!(p.a.auth_requests.is_empty() && p.b.auth_requests.is_empty());
}

#[test]
fn mechanism_name_must_match_exactly() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Pair, now);
    feed(&mut hs, &raw_greeting(3, 1, "NULLX", false));
    let err = single_failure(&mut hs);
    assert_protocol(
        &err,
        &ProtocolError::MechanismMismatch {
            ours: MechanismName::NULL,
            theirs: MechanismName::new("NULLX"),
        },
    );
}

#[test]
fn truncated_greeting_waits_for_the_timeout() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    let rest = feed(&mut hs, &null_greeting()[..40]);
    assert!(rest.is_empty(), "greeting bytes must be consumed");
    assert!(events(&mut hs).is_empty());
    assert!(!hs.is_finished());
    assert_eq!(transmit(&mut hs), null_greeting());
    assert_eq!(hs.poll_timeout(), Some(now + Duration::from_secs(30)));
    hs.handle_timeout(now + Duration::from_secs(29));
    assert!(events(&mut hs).is_empty(), "fired before the deadline");
    hs.handle_timeout(now + Duration::from_secs(31));
    let err = single_failure(&mut hs);
    assert!(matches!(err, Error::HandshakeTimeout), "{err:?}");
    assert_eq!(hs.poll_timeout(), None);
    hs.handle_timeout(now + Duration::from_secs(62));
    assert!(events(&mut hs).is_empty(), "second terminal event");
    assert!(
        transmit(&mut hs).is_empty(),
        "timeout must not send anything"
    );
}

#[test]
fn no_timeout_when_disabled() {
    let now = std::time::Instant::now();
    let cfg = HandshakeConfig {
        timeout: None,
        ..HandshakeConfig::default()
    };
    let mech = MechanismConfig::Null.build(SocketType::Dealer, None, &Metadata::new());
    let mut hs = Handshake::new(&cfg, mech, now);
    assert_eq!(hs.poll_timeout(), None);
    hs.handle_timeout(now + Duration::from_secs(86_400 * 365));
    assert!(events(&mut hs).is_empty());
    assert!(!hs.is_finished());
}

#[test]
fn garbage_fails_immediately() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    feed(&mut hs, b"GET / HTTP/1.1\r\n");
    let err = single_failure(&mut hs);
    assert_protocol(
        &err,
        &ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp10),
    );
    // Our greeting (queued at creation) may still go out; nothing else does.
    assert_eq!(transmit(&mut hs), null_greeting());
    assert!(hs.poll_timeout().is_none());
}

#[test]
fn garbage_is_detected_on_its_first_octet() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    feed(&mut hs, b"G");
    let err = single_failure(&mut hs);
    assert_protocol(
        &err,
        &ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp10),
    );
}

#[test]
fn zmtp10_long_length_prefix_is_refused() {
    // ZMTP 1.0 with an identity of >= 255 bytes: %xFF then an 8-octet length
    // and a flags octet whose bit 0 is clear.
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    feed(&mut hs, &[0xFF, 0, 0, 0, 0, 0, 0, 1, 0, 0x00]);
    let err = single_failure(&mut hs);
    assert_protocol(
        &err,
        &ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp10),
    );
}

#[test]
fn zmtp20_greeting_is_refused_as_soon_as_the_revision_arrives() {
    let now = std::time::Instant::now();
    let prefix = [0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x01];
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    for (i, byte) in prefix.iter().enumerate() {
        feed(&mut hs, &[*byte]);
        if i < prefix.len() - 1 {
            assert!(events(&mut hs).is_empty(), "failed early at octet {i}");
        }
    }
    let err = single_failure(&mut hs);
    assert_protocol(
        &err,
        &ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp20),
    );
    // Revision 2 (the other ZMTP 2.0 value) too.
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    feed(&mut hs, &[0xFF, 0, 0, 0, 0, 0, 0, 0, 1, 0x7F, 0x02, 0x00]);
    assert_protocol(
        &single_failure(&mut hs),
        &ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp20),
    );
}

#[test]
fn zmtp30_peer_completes_with_version_3_0() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Sub, now);
    let rest = feed(
        &mut hs,
        &concat(&[
            &raw_greeting(3, 0, "NULL", false),
            &ready_for(SocketType::Pub),
        ]),
    );
    assert!(rest.is_empty());
    let peer = single_completion(&mut hs);
    assert_eq!(peer.version, Version::V3_0);
    assert!(!peer.version.has_commands());
    assert_eq!(peer.socket_type, SocketType::Pub);
    // We still announce 3.1 (libzmq does the same).
    let out = transmit(&mut hs);
    assert_eq!(&out[10..12], &[3, 1]);
}

#[test]
fn higher_versions_are_accepted_as_3_1() {
    let now = std::time::Instant::now();
    for (major, minor) in [(3, 2), (4, 0), (255, 255)] {
        let mut hs = handshake(&MechanismConfig::Null, SocketType::Pull, now);
        feed(
            &mut hs,
            &concat(&[
                &raw_greeting(major, minor, "NULL", false),
                &ready_for(SocketType::Push),
            ]),
        );
        assert_eq!(single_completion(&mut hs).version, Version::V3_1);
    }
}

#[test]
fn padding_and_filler_of_the_peer_greeting_are_ignored() {
    let now = std::time::Instant::now();
    let mut g = null_greeting();
    g[1..9].copy_from_slice(&[0xAB; 8]);
    g[32] = 1; // as-server has no meaning for NULL
    g[33..].fill(0xEE);
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Pair, now);
    feed(&mut hs, &concat(&[&g, &ready_for(SocketType::Pair)]));
    assert_eq!(single_completion(&mut hs).socket_type, SocketType::Pair);
}

// ------------------------------------------------- traffic and attacks ----

#[test]
fn early_traffic_stays_in_the_buffer() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    let traffic = concat(&[b"\x01\x05hello\x00\x05world", b"\x04\x07\x04PING\x00\x19"]);
    let mut buf =
        BytesMut::from(&concat(&[&null_greeting(), &ready_for(SocketType::Router), &traffic])[..]);
    hs.handle_input(&mut buf);
    let peer = single_completion(&mut hs);
    assert_eq!(peer.socket_type, SocketType::Router);
    assert_eq!(hex(&buf), hex(&traffic));
    // A second call after completion consumes nothing either.
    hs.handle_input(&mut buf);
    assert_eq!(buf.len(), traffic.len());

    let mut codec = ZmtpCodec::new();
    assert_eq!(
        codec.decode(&mut buf).unwrap(),
        Some(Inbound::Message(Message::from(["hello", "world"])))
    );
    let Some(Inbound::Command(Command::Ping(ping))) = codec.decode(&mut buf).unwrap() else {
        panic!("expected PING")
    };
    assert_eq!(ping.ttl_deciseconds, 25);
    assert!(buf.is_empty());
}

#[test]
fn early_traffic_after_plain_ready_stays_in_the_buffer() {
    let now = std::time::Instant::now();
    let mut c = handshake(&plain_client("admin", "secret"), SocketType::Dealer, now);
    let traffic = b"\x00\x02ok".to_vec();
    let mut buf = BytesMut::from(
        &concat(&[
            &raw_greeting(3, 1, "PLAIN", true),
            &command_frame(b"WELCOME", b""),
            &ready_for(SocketType::Router),
            &traffic,
        ])[..],
    );
    c.handle_input(&mut buf);
    assert_eq!(single_completion(&mut c).socket_type, SocketType::Router);
    assert_eq!(hex(&buf), hex(&traffic));
}

#[test]
fn huge_command_header_is_rejected_without_allocating() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    // COMMAND|LONG, size 2^40.
    let header = [0x06, 0, 0, 0x01, 0, 0, 0, 0, 0];
    let mut buf = BytesMut::with_capacity(128);
    buf.extend_from_slice(&null_greeting());
    buf.extend_from_slice(&header);
    hs.handle_input(&mut buf);
    let err = single_failure(&mut hs);
    assert_protocol(
        &err,
        &ProtocolError::TooLarge {
            size: 1 << 40,
            max: 64 * 1024,
        },
    );
    assert!(
        buf.capacity() <= 128,
        "buffer grew to {} bytes",
        buf.capacity()
    );
}

#[test]
fn command_just_above_the_limit_is_rejected_before_its_body_arrives() {
    let now = std::time::Instant::now();
    let cfg = HandshakeConfig {
        max_command_size: 100,
        ..HandshakeConfig::default()
    };
    let mech = MechanismConfig::Null.build(SocketType::Dealer, None, &Metadata::new());
    let mut hs = Handshake::new(&cfg, mech, now);
    feed(&mut hs, &concat(&[&null_greeting(), &[0x04, 101]]));
    assert_protocol(
        &single_failure(&mut hs),
        &ProtocolError::TooLarge {
            size: 101,
            max: 100,
        },
    );
    // Exactly at the limit is fine (and waits for the body).
    let mech = MechanismConfig::Null.build(SocketType::Dealer, None, &Metadata::new());
    let mut hs = Handshake::new(&cfg, mech, now);
    feed(&mut hs, &concat(&[&null_greeting(), &[0x04, 100]]));
    assert!(events(&mut hs).is_empty());
}

#[test]
fn message_frame_during_handshake_is_refused() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    feed(&mut hs, &concat(&[&null_greeting(), b"\x00\x05hello"]));
    assert_protocol(
        &single_failure(&mut hs),
        &ProtocolError::MessageDuringHandshake,
    );
}

#[test]
fn bad_frame_flags_during_handshake_are_refused() {
    let now = std::time::Instant::now();
    for (flags, expected) in [
        (0x05, ProtocolError::CommandWithMore),
        (0x0c, ProtocolError::ReservedFlags(0x0c)),
        (0x84, ProtocolError::ReservedFlags(0x84)),
    ] {
        let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
        feed(&mut hs, &concat(&[&null_greeting(), &[flags, 0]]));
        assert_protocol(&single_failure(&mut hs), &expected);
    }
}

#[test]
fn unexpected_command_in_null_handshake() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    feed(
        &mut hs,
        &concat(&[&null_greeting(), b"\x04\x07\x04PING\x00\x19"]),
    );
    assert_protocol(
        &single_failure(&mut hs),
        &ProtocolError::UnexpectedCommand {
            expected: "READY",
            got: "PING".into(),
        },
    );
}

#[test]
fn second_ready_after_completion_is_left_as_traffic() {
    // Once READY has been read the handshake is over; a duplicate READY is
    // the codec's business, not the handshake's.
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    let ready = ready_for(SocketType::Router);
    let rest = feed(&mut hs, &concat(&[&null_greeting(), &ready, &ready]));
    single_completion(&mut hs);
    assert_eq!(hex(&rest), hex(&ready));
}

#[test]
fn handshake_completes_when_fed_one_octet_at_a_time() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&plain_client("admin", "secret"), SocketType::Req, now);
    let input = concat(&[
        &raw_greeting(3, 1, "PLAIN", true),
        &command_frame(b"WELCOME", b""),
        &ready_for(SocketType::Rep),
    ]);
    let mut buf = BytesMut::new();
    for (i, b) in input.iter().enumerate() {
        buf.extend_from_slice(&[*b]);
        hs.handle_input(&mut buf);
        if i + 1 < input.len() {
            assert!(!hs.is_finished(), "finished early at octet {i}");
        }
    }
    assert!(buf.is_empty());
    assert_eq!(single_completion(&mut hs).socket_type, SocketType::Rep);
    let sent = transmit(&mut hs);
    let expected = concat(&[
        &raw_greeting(3, 1, "PLAIN", false),
        &command_frame(b"HELLO", b"\x05admin\x06secret"),
        &command_frame(
            b"INITIATE",
            &properties(&[("Socket-Type", b"REQ"), ("Identity", b"")]),
        ),
    ]);
    assert_eq!(hex(&sent), hex(&expected));
}

#[test]
fn auth_reply_without_request_is_ignored_after_finish() {
    let mut p = Pair::new(
        MechanismConfig::Null,
        SocketType::Dealer,
        MechanismConfig::Null,
        SocketType::Router,
    );
    p.run_allow_all();
    p.a.established();
    p.a.hs.handle_auth_reply(AuthReply::deny(400, "late"));
    assert!(p.a.hs.poll_event().is_none());
    assert!(transmit(&mut p.a.hs).is_empty());
}

#[test]
fn unsolicited_auth_reply_fails_a_null_handshake() {
    let now = std::time::Instant::now();
    let mut hs = handshake(&MechanismConfig::Null, SocketType::Dealer, now);
    feed(&mut hs, &null_greeting());
    let _ = transmit(&mut hs);
    hs.handle_auth_reply(AuthReply::allow("x"));
    let err = single_failure(&mut hs);
    assert!(
        matches!(err, Error::Protocol(ProtocolError::Mechanism(_))),
        "{err:?}"
    );
}
