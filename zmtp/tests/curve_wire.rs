//! CURVE byte layouts, checked against an independent reference peer built
//! from RFC 26 and libzmq 4.3.5's layouts directly on `crypto_box`: an oxmq
//! server handshakes with a hand-made client, an oxmq client with a
//! hand-made server, then MESSAGEs flow both ways.

mod curve_support;
mod support;

use std::time::Instant;

use bytes::BytesMut;
use curve_support::{
    body, client_pair, frames, metadata_for, nonce, open, open_message, reference_message, seal,
    secret_seal, server_pair, RawPair, CLIENT_PUBLIC, CLIENT_SECRET, SERVER_PUBLIC, SERVER_SECRET,
};
use oxmq_zmtp::command::Ping;
use oxmq_zmtp::mechanism::FrameCipher;
use oxmq_zmtp::{
    AuthReply, Command, CurveKeyPair, CurvePublicKey, CurveSecretKey, HandshakeEvent, Inbound,
    MechanismConfig, MechanismName, Message, Metadata, SocketType, ZmtpCodec,
};
use support::{events, feed, frame, handshake, raw_greeting, transmit};
use tokio_util::codec::Decoder;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

// ---------------------------------------------------------------- keys ----

/// libzmq's test pairs (`zmq_curve(7)`): the public key derived from each
/// secret (what `zmq_curve_public` computes) is the documented one.
#[test]
fn libzmq_test_pairs_are_real_pairs() {
    for (public, secret, public_hex, secret_hex) in [
        (
            SERVER_PUBLIC,
            SERVER_SECRET,
            "54FCBA24E93249969316FB617C872BB0C1D1FF14800427C594CBFACF1BC2D652",
            "8E0BDD697628B91D8F245587EE95C5B04D48963F79259877B49CD9063AEAD3B7",
        ),
        (
            CLIENT_PUBLIC,
            CLIENT_SECRET,
            "BB88471D65E2659B30C55A5321CEBB5AAB2B70A398645C26DCA2B2FCB43FC518",
            "7BB864B489AFA3671FBE69101F94B38972F24816DFB01B51656B3FEC8DFD0888",
        ),
    ] {
        let pair = CurveKeyPair::from_z85_secret(secret).unwrap();
        assert_eq!(pair.public.to_z85(), public);
        assert_eq!(pair.public.as_bytes()[..], unhex(public_hex)[..]);
        assert_eq!(pair.secret.expose_bytes()[..], unhex(secret_hex)[..]);
        assert_eq!(pair.secret.to_z85().as_str(), secret);
        assert!(pair.is_consistent());
        assert_eq!(public.parse::<CurvePublicKey>().unwrap(), pair.public);
        assert_eq!(secret.parse::<CurveSecretKey>().unwrap(), pair.secret);
    }
}

#[test]
fn key_conversions_and_errors() {
    use oxmq_zmtp::mechanism::curve::KeyError;
    let pair = CurveKeyPair::generate();
    assert_eq!(
        CurvePublicKey::from_z85(&pair.public.to_z85()).unwrap(),
        pair.public
    );
    assert_eq!(
        CurveSecretKey::from_z85(&pair.secret.to_z85()).unwrap(),
        pair.secret
    );
    let raw = pair.public.to_bytes();
    assert_eq!(CurvePublicKey::from(raw), pair.public);
    assert_eq!(CurvePublicKey::from_slice(&raw).unwrap(), pair.public);
    assert_eq!(
        CurveSecretKey::from_slice(pair.secret.expose_bytes()).unwrap(),
        pair.secret
    );
    assert_eq!(
        CurvePublicKey::from_slice(&raw[..31]),
        Err(KeyError::BadLength(31))
    );
    assert_eq!(
        CurveSecretKey::from_slice(&[0; 33]).map(|_| ()),
        Err(KeyError::BadLength(33))
    );
    assert_eq!(
        CurvePublicKey::from_z85("HelloWorld"),
        Err(KeyError::BadZ85Length(10))
    );
    assert!(matches!(
        CurvePublicKey::from_z85("rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf "),
        Err(KeyError::Z85(_))
    ));
    assert_eq!(format!("{}", pair.public), pair.public.to_z85());
    // A pair assembled from mismatched halves is representable but flagged.
    let odd = CurveKeyPair {
        public: CurveKeyPair::generate().public,
        secret: pair.secret.clone(),
    };
    assert!(!odd.is_consistent());
}

#[test]
fn secret_keys_never_show_in_debug_output() {
    let pair = server_pair();
    let cfg = MechanismConfig::CurveServer {
        keypair: pair.clone(),
    };
    for shown in [
        format!("{:?}", pair.secret),
        format!("{pair:?}"),
        format!("{cfg:?}"),
        format!(
            "{:?}",
            cfg.build(SocketType::Router, None, &Metadata::new())
        ),
    ] {
        assert!(!shown.contains(SERVER_SECRET), "{shown}");
        assert!(!shown.contains("8E0BDD"), "{shown}");
        assert!(!shown.contains("142, 11, 221"), "{shown}");
    }
    assert!(format!("{pair:?}").contains(SERVER_PUBLIC));
}

#[test]
fn config_names_and_equality() {
    let server = MechanismConfig::CurveServer {
        keypair: server_pair(),
    };
    let client = MechanismConfig::CurveClient {
        server_key: server_pair().public,
        keypair: client_pair(),
    };
    assert_eq!(server.name(), MechanismName::CURVE);
    assert_eq!(client.name(), MechanismName::CURVE);
    assert_eq!(client.clone(), client);
    assert_ne!(
        client,
        MechanismConfig::CurveClient {
            server_key: server_pair().public,
            keypair: CurveKeyPair::generate(),
        }
    );
    let m = server.build(SocketType::Router, None, &Metadata::new());
    assert!(m.as_server());
    let m = client.build(SocketType::Dealer, None, &Metadata::new());
    assert!(!m.as_server());
}

// ------------------------------------------ oxmq server, reference client ----

/// A hand-made client (C, C') talking to an oxmq server, checking every
/// byte the server writes.
#[test]
fn oxmq_server_with_a_reference_client() {
    let server_keys = server_pair();
    let s_pub = server_keys.public.to_bytes();
    let client = RawPair::of(&client_pair());
    let transient = RawPair::from_seed(0x42);
    let now = Instant::now();
    let mut hs = handshake(
        &MechanismConfig::CurveServer {
            keypair: server_keys,
        },
        SocketType::Router,
        now,
    );
    assert_eq!(transmit(&mut hs), raw_greeting(3, 1, "CURVE", true));

    // HELLO, nonce 1.
    let hello_box = seal(
        &s_pub,
        &transient.secret,
        &nonce(b"CurveZMQHELLO---", &1u64.to_be_bytes()),
        &[0u8; 64],
    );
    let hello = body(
        b"HELLO",
        &[
            &[1, 0],
            &[0u8; 72],
            &transient.public,
            &1u64.to_be_bytes(),
            &hello_box,
        ],
    );
    assert_eq!(hello.len(), 200);
    let mut input = raw_greeting(3, 1, "CURVE", false);
    input.extend_from_slice(&frame(0x04, &hello));
    assert!(feed(&mut hs, &input).is_empty());
    assert!(events(&mut hs).is_empty());

    // WELCOME: 168 octets, Box[S' + cookie](S->C').
    let out = frames(&transmit(&mut hs));
    assert_eq!(out.len(), 1);
    let (flags, welcome) = &out[0];
    assert_eq!(*flags, 0x04);
    assert_eq!(welcome.len(), 168);
    assert_eq!(&welcome[..8], b"\x07WELCOME");
    let plain = open(
        &s_pub,
        &transient.secret,
        &nonce(b"WELCOME-", &welcome[8..24]),
        &welcome[24..],
    )
    .expect("WELCOME box opens with S and c'");
    assert_eq!(plain.len(), 128);
    let mut server_transient = [0u8; 32];
    server_transient.copy_from_slice(&plain[..32]);
    let cookie = plain[32..].to_vec();
    assert_ne!(server_transient, s_pub, "S' is a fresh key");

    // INITIATE, nonce 2: cookie, Box[C + vouch + metadata](C'->S').
    let vouch_nonce = [9u8; 16];
    let vouch_box = seal(
        &server_transient,
        &client.secret,
        &nonce(b"VOUCH---", &vouch_nonce),
        &[&transient.public[..], &s_pub[..]].concat(),
    );
    let metadata = metadata_for(SocketType::Dealer);
    let inner = [
        &client.public[..],
        &vouch_nonce[..],
        &vouch_box[..],
        &metadata[..],
    ]
    .concat();
    let initiate_box = seal(
        &server_transient,
        &transient.secret,
        &nonce(b"CurveZMQINITIATE", &2u64.to_be_bytes()),
        &inner,
    );
    let initiate = body(b"INITIATE", &[&cookie, &2u64.to_be_bytes(), &initiate_box]);
    assert_eq!(initiate.len(), 257 + metadata.len());
    assert!(feed(&mut hs, &frame(0x04, &initiate)).is_empty());

    // The authenticator is asked about C, as 32 raw octets.
    let mut evs = events(&mut hs);
    assert_eq!(evs.len(), 1);
    let Some(HandshakeEvent::Authenticate(req)) = evs.pop() else {
        panic!("expected Authenticate")
    };
    assert_eq!(req.mechanism, MechanismName::CURVE);
    assert_eq!(req.credentials.len(), 1);
    assert_eq!(req.credentials[0][..], client.public[..]);
    assert!(transmit(&mut hs).is_empty(), "READY waits for the verdict");
    hs.handle_auth_reply(AuthReply::allow("client-1"));

    // READY, nonce 1: Box[metadata](S'->C').
    let out = frames(&transmit(&mut hs));
    assert_eq!(out.len(), 1);
    let (flags, ready) = &out[0];
    assert_eq!(*flags, 0x04);
    assert_eq!(&ready[..6], b"\x05READY");
    assert_eq!(ready[6..14], 1u64.to_be_bytes());
    let md = open(
        &server_transient,
        &transient.secret,
        &nonce(b"CurveZMQREADY---", &ready[6..14]),
        &ready[14..],
    )
    .expect("READY box opens with S' and c'");
    assert_eq!(md, metadata_for(SocketType::Router));
    assert_eq!(ready.len(), 14 + 16 + md.len());

    let mut evs = events(&mut hs);
    let Some(HandshakeEvent::Complete(done)) = evs.pop() else {
        panic!("expected Complete")
    };
    assert_eq!(done.peer.mechanism, MechanismName::CURVE);
    assert_eq!(done.peer.socket_type, SocketType::Dealer);
    assert_eq!(done.peer.user_id.as_deref(), Some(&b"client-1"[..]));
    let mut codec = ZmtpCodec::new().with_cipher(done.cipher);

    // Client MESSAGEs: nonces 3 and 4, "CurveZMQMESSAGEC", MORE in the box.
    let mut wire = Vec::new();
    for (n, flags, payload) in [(3u64, 0x01u8, &b"hello"[..]), (4, 0x00, b"")] {
        let msg = reference_message(
            &server_transient,
            &transient.secret,
            b"CurveZMQMESSAGEC",
            n,
            flags,
            payload,
        );
        // libzmq frames a MESSAGE without the COMMAND flag.
        wire.extend_from_slice(&frame(0x00, &msg));
    }
    // A SUBSCRIBE command, COMMAND flag inside the box (libzmq 4.3).
    let sub = reference_message(
        &server_transient,
        &transient.secret,
        b"CurveZMQMESSAGEC",
        5,
        0x02,
        b"\x09SUBSCRIBEweather",
    );
    // Framed as a COMMAND this time (RFC 25's reading): accepted as well.
    wire.extend_from_slice(&frame(0x04, &sub));
    let mut buf = BytesMut::from(&wire[..]);
    assert_eq!(
        codec.decode(&mut buf).unwrap(),
        Some(Inbound::Message(Message::from(vec![
            bytes::Bytes::from_static(b"hello"),
            bytes::Bytes::new(),
        ])))
    );
    assert_eq!(
        codec.decode(&mut buf).unwrap(),
        Some(Inbound::Command(Command::Subscribe(
            bytes::Bytes::from_static(b"weather")
        )))
    );
    assert!(buf.is_empty());

    // Server MESSAGEs: nonces from 2, "CurveZMQMESSAGES".
    let mut out = BytesMut::new();
    codec
        .encode_message(&Message::from(["a", "bc"]), &mut out)
        .unwrap();
    codec
        .encode_command(
            &Command::Ping(Ping::new(30, bytes::Bytes::from_static(b"ctx"))),
            &mut out,
        )
        .unwrap();
    let sent = frames(&out);
    let opened: Vec<_> = sent
        .iter()
        .map(|(flags, b)| {
            assert_eq!(*flags, 0x00, "libzmq's framing: no COMMAND flag");
            open_message(&server_transient, &transient.secret, b"CurveZMQMESSAGES", b)
                .expect("server MESSAGE opens")
        })
        .collect();
    assert_eq!(
        opened,
        vec![
            (2, 0x01, b"a".to_vec()),
            (3, 0x00, b"bc".to_vec()),
            (4, 0x02, b"\x04PING\x00\x1ectx".to_vec()),
        ]
    );
}

// ------------------------------------------ oxmq client, reference server ----

/// A hand-made server (S, S', cookie key K) talking to an oxmq client,
/// checking every byte the client writes.
#[test]
fn oxmq_client_with_a_reference_server() {
    let server = RawPair::of(&server_pair());
    let client_keys = client_pair();
    let c_pub = client_keys.public.to_bytes();
    let server_transient = RawPair::from_seed(0x17);
    let now = Instant::now();
    let mut hs = handshake(
        &MechanismConfig::CurveClient {
            server_key: server_pair().public,
            keypair: client_keys,
        },
        SocketType::Dealer,
        now,
    );
    assert_eq!(transmit(&mut hs), raw_greeting(3, 1, "CURVE", false));
    // libzmq sends as-server = 0 even for a CURVE server; the greeting's
    // role octet is not what makes us a client.
    assert!(feed(&mut hs, &raw_greeting(3, 1, "CURVE", false)).is_empty());

    // HELLO: 200 octets, version 1.0, 72 zero octets, C', nonce 1.
    let out = frames(&transmit(&mut hs));
    assert_eq!(out.len(), 1);
    let (flags, hello) = &out[0];
    assert_eq!(*flags, 0x04);
    assert_eq!(hello.len(), 200);
    assert_eq!(&hello[..8], b"\x05HELLO\x01\x00");
    assert_eq!(hello[8..80], [0u8; 72]);
    let mut client_transient = [0u8; 32];
    client_transient.copy_from_slice(&hello[80..112]);
    assert_ne!(client_transient, c_pub, "C' is not C");
    assert_eq!(hello[112..120], 1u64.to_be_bytes());
    let signature = open(
        &client_transient,
        &server.secret,
        &nonce(b"CurveZMQHELLO---", &hello[112..120]),
        &hello[120..],
    )
    .expect("HELLO box opens with C' and s");
    assert_eq!(signature, vec![0u8; 64]);

    // WELCOME with a cookie the reference makes the libzmq way.
    let cookie_key = [0x5Au8; 32];
    let cookie_nonce = [3u8; 16];
    let cookie_box = secret_seal(
        &cookie_key,
        &nonce(b"COOKIE--", &cookie_nonce),
        &[&client_transient[..], &server_transient.secret[..]].concat(),
    );
    let cookie = [&cookie_nonce[..], &cookie_box[..]].concat();
    assert_eq!(cookie.len(), 96);
    let welcome_nonce = [4u8; 16];
    let welcome_box = seal(
        &client_transient,
        &server.secret,
        &nonce(b"WELCOME-", &welcome_nonce),
        &[&server_transient.public[..], &cookie[..]].concat(),
    );
    let welcome = body(b"WELCOME", &[&welcome_nonce, &welcome_box]);
    assert_eq!(welcome.len(), 168);
    assert!(feed(&mut hs, &frame(0x04, &welcome)).is_empty());

    // INITIATE: the cookie back, nonce 2, Box[C + vouch + metadata](C'->S').
    let out = frames(&transmit(&mut hs));
    assert_eq!(out.len(), 1);
    let (flags, initiate) = &out[0];
    assert_eq!(*flags, 0x06, "a long command frame");
    assert_eq!(&initiate[..9], b"\x08INITIATE");
    assert_eq!(initiate[9..105], cookie[..]);
    assert_eq!(initiate[105..113], 2u64.to_be_bytes());
    let inner = open(
        &client_transient,
        &server_transient.secret,
        &nonce(b"CurveZMQINITIATE", &initiate[105..113]),
        &initiate[113..],
    )
    .expect("INITIATE box opens with C' and s'");
    assert_eq!(inner[..32], c_pub);
    let vouch = open(
        &c_pub,
        &server_transient.secret,
        &nonce(b"VOUCH---", &inner[32..48]),
        &inner[48..128],
    )
    .expect("vouch opens with C and s'");
    assert_eq!(vouch[..32], client_transient);
    assert_eq!(vouch[32..], server.public);
    assert_eq!(inner[128..], metadata_for(SocketType::Dealer)[..]);
    assert_eq!(initiate.len(), 257 + inner.len() - 128);

    // READY, nonce 1.
    let ready_md = metadata_for(SocketType::Router);
    let ready_box = seal(
        &client_transient,
        &server_transient.secret,
        &nonce(b"CurveZMQREADY---", &1u64.to_be_bytes()),
        &ready_md,
    );
    let ready = body(b"READY", &[&1u64.to_be_bytes(), &ready_box]);
    // A server MESSAGE (nonce 2) right behind READY stays for the codec.
    let early = reference_message(
        &client_transient,
        &server_transient.secret,
        b"CurveZMQMESSAGES",
        2,
        0,
        b"early",
    );
    let mut input = frame(0x04, &ready);
    input.extend_from_slice(&frame(0x00, &early));
    let mut left = feed(&mut hs, &input);
    assert_eq!(left[..], frame(0x00, &early)[..]);

    let mut evs = events(&mut hs);
    let Some(HandshakeEvent::Complete(done)) = evs.pop() else {
        panic!("expected Complete")
    };
    assert_eq!(done.peer.socket_type, SocketType::Router);
    assert_eq!(done.peer.mechanism, MechanismName::CURVE);
    assert_eq!(done.peer.user_id, None);
    let mut codec = ZmtpCodec::new().with_cipher(done.cipher);
    assert_eq!(
        codec.decode(&mut left).unwrap(),
        Some(Inbound::Message(Message::from("early")))
    );

    // Client MESSAGEs from nonce 3, "CurveZMQMESSAGEC".
    let mut out = BytesMut::new();
    codec
        .encode_message(&Message::from(["x", "", "yz"]), &mut out)
        .unwrap();
    let opened: Vec<_> = frames(&out)
        .iter()
        .map(|(flags, b)| {
            assert_eq!(*flags, 0x00);
            open_message(
                &client_transient,
                &server_transient.secret,
                b"CurveZMQMESSAGEC",
                b,
            )
            .expect("client MESSAGE opens")
        })
        .collect();
    assert_eq!(
        opened,
        vec![
            (3, 0x01, b"x".to_vec()),
            (4, 0x01, b"".to_vec()),
            (5, 0x00, b"yz".to_vec()),
        ]
    );
}

/// A MESSAGE's wire size: frame header, name, nonce, tag, flags, payload.
#[test]
fn message_overhead_is_33_octets() {
    let (mut client, _server) = established_ciphers();
    for len in [0usize, 1, 222, 223, 1000] {
        let mut dst = BytesMut::new();
        client.encrypt(0, &vec![7u8; len], &mut dst).unwrap();
        let fs = frames(&dst);
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].1.len(), 33 + len);
        let header = if 33 + len > 255 { 9 } else { 2 };
        assert_eq!(dst.len(), header + 33 + len);
        assert_eq!(fs[0].0, if header == 9 { 0x02 } else { 0x00 });
    }
}

/// The two ciphers of a completed oxmq↔oxmq handshake.
fn established_ciphers() -> (Box<dyn FrameCipher>, Box<dyn FrameCipher>) {
    let mut p = support::Pair::new(
        MechanismConfig::CurveClient {
            server_key: server_pair().public,
            keypair: client_pair(),
        },
        SocketType::Dealer,
        MechanismConfig::CurveServer {
            keypair: server_pair(),
        },
        SocketType::Router,
    );
    p.run_allow_all();
    let take = |side: &mut support::Side| match side.outcome.take() {
        Some(HandshakeEvent::Complete(e)) => e.cipher.expect("CURVE sets a cipher"),
        other => panic!("expected Complete, got {other:?}"),
    };
    (take(&mut p.a), take(&mut p.b))
}
