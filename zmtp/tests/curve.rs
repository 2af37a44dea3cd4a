//! CURVE between two oxmq handshakes in memory: completion, authentication
//! verdicts, wrong keys, then traffic through `ZmtpCodec` with the ciphers
//! (multipart, empty and 1 MiB frames, commands), confidentiality of the
//! byte stream, and tampered, replayed or reordered MESSAGEs.

mod curve_support;
mod support;

use bytes::{Bytes, BytesMut};
use curve_support::{client_pair, encrypt_frame, frame_body, frames, server_pair};
use oxmq_zmtp::command::{Ping, Pong};
use oxmq_zmtp::mechanism::FrameCipher;
use oxmq_zmtp::{
    AuthFailure, AuthReply, Command, CurveKeyPair, Error, HandshakeEvent, Inbound, MechanismConfig,
    MechanismName, Message, Metadata, ProtocolError, SocketType, ZmtpCodec,
};
use support::{hex, Pair, Side};
use tokio_util::codec::Decoder;

fn client_config(server_key_of: &CurveKeyPair) -> MechanismConfig {
    MechanismConfig::CurveClient {
        server_key: server_key_of.public,
        keypair: client_pair(),
    }
}

fn server_config() -> MechanismConfig {
    MechanismConfig::CurveServer {
        keypair: server_pair(),
    }
}

fn curve_pair(client_ty: SocketType, server_ty: SocketType) -> Pair {
    Pair::new(
        client_config(&server_pair()),
        client_ty,
        server_config(),
        server_ty,
    )
}

fn take_cipher(side: &mut Side) -> Box<dyn FrameCipher> {
    match side.outcome.take() {
        Some(HandshakeEvent::Complete(e)) => e.cipher.expect("CURVE sets a cipher"),
        other => panic!("expected Complete, got {other:?}"),
    }
}

/// Two codecs over a completed CURVE handshake: (client, server).
fn codecs() -> (ZmtpCodec, ZmtpCodec) {
    let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
    p.run_allow_all();
    let client = ZmtpCodec::new().with_cipher(Some(take_cipher(&mut p.a)));
    let server = ZmtpCodec::new().with_cipher(Some(take_cipher(&mut p.b)));
    (client, server)
}

fn decode_all(codec: &mut ZmtpCodec, wire: &[u8]) -> Vec<Inbound> {
    let mut buf = BytesMut::from(wire);
    let mut out = Vec::new();
    while let Some(item) = codec.decode(&mut buf).unwrap() {
        out.push(item);
    }
    assert!(buf.is_empty(), "{} octets left over", buf.len());
    out
}

fn assert_auth(err: &Error, code: u16) {
    match err {
        Error::Auth(AuthFailure { status_code, .. }) => assert_eq!(*status_code, code),
        other => panic!("expected Auth({code}), got {other:?}"),
    }
}

fn assert_mechanism_error(err: &Error) {
    assert!(
        matches!(err, Error::Protocol(ProtocolError::Mechanism(_))),
        "expected a mechanism error, got {err:?}"
    );
}

/// Whether `needle` occurs anywhere in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// ----------------------------------------------------------- handshake ----

#[test]
fn handshake_completes_and_the_authenticator_sees_the_client_key() {
    let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
    p.run(|req| {
        assert_eq!(req.mechanism, MechanismName::CURVE);
        let mut reply = AuthReply::allow("alice");
        reply.metadata.insert("X-Role", "admin");
        reply
    });
    assert!(p.a.auth_requests.is_empty(), "the client asks nobody");
    assert_eq!(p.b.auth_requests.len(), 1);
    assert_eq!(
        p.b.auth_requests[0].credentials,
        vec![Bytes::copy_from_slice(client_pair().public.as_bytes())]
    );

    let client = p.a.established();
    assert_eq!(client.peer.mechanism, MechanismName::CURVE);
    assert_eq!(client.peer.socket_type, SocketType::Router);
    assert_eq!(client.peer.user_id, None);
    assert!(client.cipher.is_some());
    let server = p.b.established();
    assert_eq!(server.peer.socket_type, SocketType::Dealer);
    assert_eq!(server.peer.user_id.as_deref(), Some(&b"alice"[..]));
    assert_eq!(server.peer.auth_metadata.get_str("X-Role"), Some("admin"));
    assert!(server.cipher.is_some());
    assert!(p.a.inbox.is_empty() && p.b.inbox.is_empty());
    assert_eq!((p.a.terminal_events, p.b.terminal_events), (1, 1));

    // Greeting, HELLO (200), INITIATE; greeting, WELCOME (168), READY.
    let client_frames = frames(&p.a.sent[64..]);
    assert_eq!(client_frames.len(), 2);
    assert_eq!(client_frames[0].1.len(), 200);
    assert!(client_frames[1].1.starts_with(b"\x08INITIATE"));
    let server_frames = frames(&p.b.sent[64..]);
    assert_eq!(server_frames.len(), 2);
    assert_eq!(server_frames[0].1.len(), 168);
    assert!(server_frames[1].1.starts_with(b"\x05READY"));
}

#[test]
fn identity_and_application_metadata_travel_encrypted() {
    let mut md = Metadata::new();
    md.insert("X-Secret-Label", "blue-falcon");
    let client = client_config(&server_pair()).build(
        SocketType::Dealer,
        Some(Bytes::from_static(b"client-identity")),
        &md,
    );
    let server = server_config().build(SocketType::Router, None, &Metadata::new());
    let mut p = Pair::from_mechanisms(client, server);
    p.run_allow_all();
    let server = p.b.established();
    assert_eq!(
        server.peer.routing_id.as_deref(),
        Some(&b"client-identity"[..])
    );
    assert_eq!(
        server.peer.metadata.get_str("X-Secret-Label"),
        Some("blue-falcon")
    );
    // Unlike NULL and PLAIN, none of it is readable on the wire.
    for needle in [
        &b"client-identity"[..],
        b"blue-falcon",
        b"Socket-Type",
        b"DEALER",
    ] {
        assert!(!contains(&p.a.sent, needle), "{needle:?} leaked");
    }
    assert!(!contains(&p.b.sent, b"ROUTER"));
}

#[test]
fn every_connection_uses_fresh_transient_keys() {
    let mut hellos = Vec::new();
    let mut welcomes = Vec::new();
    for _ in 0..3 {
        let mut p = curve_pair(SocketType::Req, SocketType::Rep);
        p.run_allow_all();
        p.a.established();
        hellos.push(frames(&p.a.sent[64..])[0].1[80..112].to_vec());
        welcomes.push(frames(&p.b.sent[64..])[0].1.clone());
    }
    hellos.sort();
    hellos.dedup();
    assert_eq!(hellos.len(), 3, "C' repeats across connections");
    welcomes.sort();
    welcomes.dedup();
    assert_eq!(welcomes.len(), 3);
}

#[test]
fn wrong_server_key_fails_the_server_silently() {
    let impostor = CurveKeyPair::generate();
    let mut p = Pair::new(
        client_config(&impostor),
        SocketType::Dealer,
        server_config(),
        SocketType::Router,
    );
    p.run_allow_all();
    assert_mechanism_error(p.b.error());
    assert!(p.b.auth_requests.is_empty());
    // The server sent nothing but its greeting: no WELCOME, no ERROR.
    assert_eq!(p.b.sent.len(), 64);
    // The client waits for a WELCOME that never comes (the transport closes).
    assert!(p.a.outcome.is_none());
}

#[test]
fn server_with_another_keypair_than_announced_fails() {
    // The client knows the right public key, but the server runs with a
    // pair whose secret does not match it.
    let mut p = Pair::new(
        client_config(&server_pair()),
        SocketType::Dealer,
        MechanismConfig::CurveServer {
            keypair: CurveKeyPair {
                public: server_pair().public,
                secret: CurveKeyPair::generate().secret,
            },
        },
        SocketType::Router,
    );
    p.run_allow_all();
    assert_mechanism_error(p.b.error());
}

#[test]
fn auth_denied_sends_a_clear_error_and_both_sides_fail() {
    for code in [400u16, 500] {
        let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
        p.run(|_| AuthReply::deny(code, "no"));
        assert_auth(p.b.error(), code);
        assert_auth(p.a.error(), code);
        // ERROR with the status code as reason, in clear, libzmq's spelling.
        let last = frames(&p.b.sent[64..]).pop().unwrap();
        let expected = format!("\x05ERROR\x03{code}");
        assert_eq!(hex(&last.1), hex(expected.as_bytes()));
        assert_eq!(last.0, 0x04);
    }
}

#[test]
fn auth_temporary_failure_closes_without_error() {
    let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
    p.run(|_| AuthReply::deny(300, "later"));
    assert_auth(p.b.error(), 300);
    // Greeting and WELCOME only.
    let sent = frames(&p.b.sent[64..]);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1.len(), 168);
    assert!(p.a.outcome.is_none());
}

#[test]
fn odd_status_codes_become_500() {
    let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
    p.run(|_| AuthReply::deny(299, "odd"));
    assert_auth(p.b.error(), 500);
    assert_auth(p.a.error(), 500);
}

#[test]
fn incompatible_socket_types_are_refused_by_the_server() {
    let mut p = curve_pair(SocketType::Pub, SocketType::Push);
    p.run_allow_all();
    assert!(matches!(
        p.b.error(),
        Error::Protocol(ProtocolError::IncompatibleSocketType { .. })
    ));
    assert!(
        p.b.auth_requests.is_empty(),
        "no authentication for a bad peer"
    );
    let last = frames(&p.b.sent[64..]).pop().unwrap();
    assert_eq!(hex(&last.1), hex(b"\x05ERROR\x13Invalid socket type"));
    assert!(matches!(
        p.a.error(),
        Error::Protocol(ProtocolError::PeerError(_))
    ));
}

#[test]
fn two_clients_or_two_servers_never_complete() {
    let mut p = Pair::new(
        client_config(&server_pair()),
        SocketType::Dealer,
        client_config(&server_pair()),
        SocketType::Router,
    );
    p.run_allow_all();
    assert!(matches!(
        p.a.error(),
        Error::Protocol(ProtocolError::UnexpectedCommand { .. })
    ));
    assert!(matches!(
        p.b.error(),
        Error::Protocol(ProtocolError::UnexpectedCommand { .. })
    ));

    let mut p = Pair::new(
        server_config(),
        SocketType::Dealer,
        server_config(),
        SocketType::Router,
    );
    p.run_allow_all();
    assert!(p.a.outcome.is_none() && p.b.outcome.is_none());
    assert_eq!((p.a.sent.len(), p.b.sent.len()), (64, 64));
}

#[test]
fn curve_and_plain_do_not_mix() {
    let mut p = Pair::new(
        client_config(&server_pair()),
        SocketType::Dealer,
        MechanismConfig::PlainServer,
        SocketType::Router,
    );
    p.run_allow_all();
    assert!(matches!(
        p.a.error(),
        Error::Protocol(ProtocolError::MechanismMismatch { .. })
    ));
}

// ------------------------------------------------------------- traffic ----

#[test]
fn messages_flow_both_ways_and_stay_confidential() {
    let (mut client, mut server) = codecs();
    let big = Bytes::from((0..1 << 20).map(|i| (i % 251) as u8).collect::<Vec<u8>>());
    let msgs = vec![
        Message::from("single-frame-secret"),
        Message::from(["multi", "part", "secret-payload"]),
        Message::from(vec![
            Bytes::new(),
            Bytes::new(),
            Bytes::from_static(b"after-empties"),
        ]),
        Message::from(vec![Bytes::new()]),
        Message::from(vec![big.clone()]),
    ];
    for direction in 0..2 {
        let (from, to) = if direction == 0 {
            (&mut client, &mut server)
        } else {
            (&mut server, &mut client)
        };
        let mut wire = BytesMut::new();
        from.encode_batch(&msgs, &mut wire).unwrap();
        for needle in [
            &b"single-frame-secret"[..],
            b"secret-payload",
            b"after-empties",
            &big[1000..1032],
        ] {
            assert!(!contains(&wire, needle), "plaintext on the wire");
        }
        // Every frame on the wire holds a MESSAGE, in a frame without
        // COMMAND or MORE flags (libzmq's framing; MORE is inside the box).
        for (flags, body) in frames(&wire) {
            assert_eq!(flags & !0x02, 0, "flags {flags:#04x}");
            assert!(body.starts_with(b"\x07MESSAGE"));
        }
        let got = decode_all(to, &wire);
        let want: Vec<Inbound> = msgs.iter().cloned().map(Inbound::Message).collect();
        assert_eq!(got, want);
    }
}

#[test]
fn commands_are_encrypted_too() {
    let (mut client, mut server) = codecs();
    let commands = vec![
        Command::Ping(Ping::new(100, Bytes::from_static(b"hb-context"))),
        Command::Pong(Pong::new(Bytes::from_static(b"hb-context"))),
        Command::Subscribe(Bytes::from_static(b"topic-secret")),
        Command::Cancel(Bytes::from_static(b"topic-secret")),
        Command::Subscribe(Bytes::new()),
    ];
    for direction in 0..2 {
        let (from, to) = if direction == 0 {
            (&mut client, &mut server)
        } else {
            (&mut server, &mut client)
        };
        let mut wire = BytesMut::new();
        for cmd in &commands {
            from.encode_command(cmd, &mut wire).unwrap();
        }
        // A message between commands, as libzmq may interleave a PONG.
        from.encode_message(&Message::from(["m1", "m2"]), &mut wire)
            .unwrap();
        for needle in [
            &b"PING"[..],
            b"PONG",
            b"SUBSCRIBE",
            b"CANCEL",
            b"topic-secret",
        ] {
            assert!(!contains(&wire, needle), "{needle:?} in clear");
        }
        let got = decode_all(to, &wire);
        let mut want: Vec<Inbound> = commands.iter().cloned().map(Inbound::Command).collect();
        want.push(Inbound::Message(Message::from(["m1", "m2"])));
        assert_eq!(got, want);
    }
}

#[test]
fn frames_decode_when_fed_one_octet_at_a_time() {
    let (mut client, mut server) = codecs();
    let mut wire = BytesMut::new();
    client
        .encode_message(&Message::from(["ab", "", "cde"]), &mut wire)
        .unwrap();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for &b in wire.iter() {
        buf.extend_from_slice(&[b]);
        while let Some(item) = server.decode(&mut buf).unwrap() {
            got.push(item);
        }
    }
    assert_eq!(
        got,
        vec![Inbound::Message(Message::from(["ab", "", "cde"]))]
    );
}

#[test]
fn tampered_frames_are_rejected_by_the_codec() {
    let (mut client, mut server) = codecs();
    let mut wire = BytesMut::new();
    client
        .encode_message(&Message::from("payload"), &mut wire)
        .unwrap();
    // Flip each octet after the frame header in turn (name, nonce, tag,
    // box): the peer refuses every variant, and a refusal changes nothing,
    // so the genuine frame still decodes afterwards.
    for i in 2..wire.len() {
        let mut bad = wire.to_vec();
        bad[i] ^= 0x20;
        let err = server.decode(&mut BytesMut::from(&bad[..])).unwrap_err();
        assert!(err.is_protocol(), "octet {i}: {err:?}");
    }
    assert_eq!(
        decode_all(&mut server, &wire),
        vec![Inbound::Message(Message::from("payload"))]
    );
}

#[test]
fn tampering_is_detected_by_the_right_receiver() {
    // Every bit of a MESSAGE body counts: flipping the lowest or highest
    // bit of any octet gets it refused; the genuine body then decodes.
    let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
    p.run_allow_all();
    let mut client = take_cipher(&mut p.a);
    let mut server = take_cipher(&mut p.b);
    let frame = encrypt_frame(&mut *client, 0x01, b"payload");
    let body = frame_body(&frame);
    for i in 0..body.len() {
        for bit in [0x01u8, 0x80] {
            let mut bad = body.to_vec();
            bad[i] ^= bit;
            assert!(
                server.decrypt(Bytes::from(bad)).is_err(),
                "octet {i} bit {bit:#x} accepted"
            );
        }
    }
    assert_eq!(
        server.decrypt(body).unwrap(),
        (0x01, Bytes::from_static(b"payload"))
    );
}

#[test]
fn replayed_messages_are_rejected() {
    let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
    p.run_allow_all();
    let mut client = take_cipher(&mut p.a);
    let mut server = take_cipher(&mut p.b);
    let first = frame_body(&encrypt_frame(&mut *client, 0, b"one"));
    let second = frame_body(&encrypt_frame(&mut *client, 0, b"two"));
    assert_eq!(server.decrypt(first.clone()).unwrap().1, "one");
    let err = server.decrypt(first.clone()).unwrap_err();
    assert!(matches!(err, ProtocolError::Mechanism(_)), "{err:?}");
    assert_eq!(server.decrypt(second.clone()).unwrap().1, "two");
    // Older nonces stay refused.
    assert!(server.decrypt(first).is_err());
    assert!(server.decrypt(second).is_err());
}

#[test]
fn reordered_messages_are_rejected() {
    let mut p = curve_pair(SocketType::Dealer, SocketType::Router);
    p.run_allow_all();
    let mut client = take_cipher(&mut p.a);
    let mut server = take_cipher(&mut p.b);
    let first = frame_body(&encrypt_frame(&mut *client, 0, b"one"));
    let second = frame_body(&encrypt_frame(&mut *client, 0, b"two"));
    assert_eq!(server.decrypt(second).unwrap().1, "two");
    assert!(server.decrypt(first).is_err());
}

#[test]
fn a_message_cannot_be_reflected_back_to_its_sender() {
    let mut p = curve_pair(SocketType::Pair, SocketType::Pair);
    p.run_allow_all();
    let mut client = take_cipher(&mut p.a);
    let mut server = take_cipher(&mut p.b);
    // Push the server's receive nonce well below what the client will see.
    let from_server = frame_body(&encrypt_frame(&mut *server, 0, b"to-client"));
    // The client's own MESSAGE, sent back to it: wrong nonce prefix.
    let own = frame_body(&encrypt_frame(&mut *client, 0, b"mine"));
    assert!(client.decrypt(own).is_err());
    assert_eq!(client.decrypt(from_server).unwrap().1, "to-client");
}

#[test]
fn garbage_after_the_handshake_is_refused() {
    let (_, mut server) = codecs();
    for wire in [
        // A clear-text message frame.
        &b"\x00\x05hello"[..],
        // A command that is not MESSAGE.
        b"\x04\x06\x04PING\x00\x00",
        // MESSAGE too short to hold a box.
        b"\x04\x10\x07MESSAGE\x00\x00\x00\x00\x00\x00\x00\x09",
        // MESSAGE with a 16-octet box of zeros and no flags octet.
        b"\x04\x20\x07MESSAGE\x00\x00\x00\x00\x00\x00\x00\x09\
          \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        // MESSAGE with a forged box.
        b"\x04\x21\x07MESSAGE\x00\x00\x00\x00\x00\x00\x00\x09\
          \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        // MESSAGE with nonce 0 (never above the last one).
        b"\x04\x21\x07MESSAGE\x00\x00\x00\x00\x00\x00\x00\x00\
          \x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
    ] {
        let err = server.decode(&mut BytesMut::from(wire)).unwrap_err();
        assert!(err.is_protocol(), "{wire:?}: {err:?}");
    }
}

#[test]
fn encrypted_frames_respect_the_frame_size_limit() {
    let (mut client, server) = codecs();
    let mut server = server.with_max_frame_size(Some(1000));
    let mut wire = BytesMut::new();
    client
        .encode_message(
            &Message::from(vec![Bytes::from(vec![1u8; 1000])]),
            &mut wire,
        )
        .unwrap();
    client
        .encode_message(
            &Message::from(vec![Bytes::from(vec![1u8; 1001])]),
            &mut wire,
        )
        .unwrap();
    let mut buf = BytesMut::from(&wire[..]);
    assert!(matches!(
        server.decode(&mut buf).unwrap(),
        Some(Inbound::Message(m)) if m[0].len() == 1000
    ));
    assert!(matches!(
        server.decode(&mut buf).unwrap_err(),
        Error::Protocol(ProtocolError::TooLarge {
            size: 1001,
            max: 1000
        })
    ));
}
