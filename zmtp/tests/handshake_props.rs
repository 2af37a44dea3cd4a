//! Property tests of the handshake: arbitrary input never panics it nor
//! breaks its event contract, and how the input is split never changes the
//! outcome.

mod support;

use std::time::Instant;

use bytes::{Bytes, BytesMut};
use oxmq_zmtp::{
    AuthReply, Error, Handshake, HandshakeConfig, HandshakeEvent, MechanismConfig, Metadata,
    ProtocolError, SocketType,
};
use proptest::prelude::*;

use support::{command_frame, properties, raw_greeting};

fn mechanism() -> impl Strategy<Value = MechanismConfig> {
    prop_oneof![
        Just(MechanismConfig::Null),
        Just(MechanismConfig::NullAuthenticated),
        Just(MechanismConfig::PlainServer),
        Just(MechanismConfig::PlainClient {
            username: Bytes::from_static(b"admin"),
            password: Bytes::from_static(b"secret"),
        }),
    ]
}

fn socket_type() -> impl Strategy<Value = SocketType> {
    prop::sample::select(SocketType::STANDARD.to_vec())
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..70, 1..40)
}

/// A peer greeting matching `mech` (so that arbitrary bytes after it reach
/// the mechanism), or nothing.
fn greeting_for(mech: &MechanismConfig, valid: bool) -> Vec<u8> {
    if !valid {
        return Vec::new();
    }
    match mech {
        MechanismConfig::PlainClient { .. } => raw_greeting(3, 1, "PLAIN", true),
        MechanismConfig::PlainServer => raw_greeting(3, 1, "PLAIN", false),
        _ => raw_greeting(3, 1, "NULL", false),
    }
}

/// What a handshake did with some input.
#[derive(Debug, PartialEq)]
struct Trace {
    /// Debug renderings of the events, in order.
    events: Vec<String>,
    /// Everything it transmitted.
    sent: Vec<u8>,
    /// Input it left unconsumed.
    rest: Vec<u8>,
    finished: bool,
}

/// Feeds `input` in chunks, answering authentication requests with `allow`,
/// checking the event contract as it goes.
fn drive(
    mech: &MechanismConfig,
    ty: SocketType,
    input: &[u8],
    sizes: &[usize],
    allow: bool,
) -> Result<Trace, TestCaseError> {
    let now = Instant::now();
    let mut hs = Handshake::new(
        &HandshakeConfig::default(),
        mech.build(ty, None, &Metadata::new()),
        now,
    );
    let mut trace = Trace {
        events: Vec::new(),
        sent: Vec::new(),
        rest: Vec::new(),
        finished: false,
    };
    let mut buf = BytesMut::new();
    let mut pos = 0;
    let mut turn = 0;
    let mut terminal = false;
    loop {
        while let Some(ev) = hs.poll_event() {
            prop_assert!(!terminal, "event after the terminal one: {:?}", ev);
            trace.events.push(format!("{ev:?}"));
            match ev {
                HandshakeEvent::Authenticate(_) => {
                    hs.handle_auth_reply(if allow {
                        AuthReply::allow("user")
                    } else {
                        AuthReply::deny(400, "no")
                    });
                }
                HandshakeEvent::Complete(_) | HandshakeEvent::Failed(_) => terminal = true,
            }
        }
        prop_assert_eq!(hs.is_finished(), terminal);
        let mut out = BytesMut::new();
        hs.poll_transmit(&mut out);
        trace.sent.extend_from_slice(&out);
        if pos == input.len() {
            break;
        }
        let n = sizes[turn % sizes.len()].min(input.len() - pos);
        turn += 1;
        buf.extend_from_slice(&input[pos..pos + n]);
        pos += n;
        hs.handle_input(&mut buf);
    }
    // A deadline far in the future ends whatever is still pending, once.
    hs.handle_timeout(now + std::time::Duration::from_secs(3600));
    if !terminal {
        match hs.poll_event() {
            Some(HandshakeEvent::Failed(Error::HandshakeTimeout)) => {}
            other => prop_assert!(false, "expected a timeout, got {:?}", other),
        }
    }
    prop_assert!(hs.poll_event().is_none());
    prop_assert!(hs.is_finished());
    trace.rest = buf.to_vec();
    trace.finished = terminal;
    Ok(trace)
}

proptest! {
    /// Arbitrary bytes, in random chunk sizes, never panic the handshake and
    /// never break its contract (at most one terminal event, nothing after
    /// it, `is_finished` in step with it).
    #[test]
    fn arbitrary_input_never_panics(
        mech in mechanism(),
        ty in socket_type(),
        valid_greeting in any::<bool>(),
        garbage in prop::collection::vec(any::<u8>(), 0..600),
        sizes in chunk_sizes(),
        allow in any::<bool>(),
    ) {
        let mut input = greeting_for(&mech, valid_greeting);
        input.extend_from_slice(&garbage);
        drive(&mech, ty, &input, &sizes, allow)?;
    }

    /// Arbitrary command frames after a valid greeting (deeper than uniform
    /// bytes usually get) never panic the handshake.
    #[test]
    fn arbitrary_commands_never_panic(
        mech in mechanism(),
        ty in socket_type(),
        cmds in prop::collection::vec(
            (
                prop::sample::select(vec![
                    "READY", "ERROR", "HELLO", "WELCOME", "INITIATE", "PING", "SUBSCRIBE", "X",
                ]),
                prop::collection::vec(any::<u8>(), 0..60),
            ),
            0..5,
        ),
        sizes in chunk_sizes(),
        allow in any::<bool>(),
    ) {
        let mut input = greeting_for(&mech, true);
        for (name, data) in &cmds {
            input.extend_from_slice(&command_frame(name.as_bytes(), data));
        }
        drive(&mech, ty, &input, &sizes, allow)?;
    }

    /// For mechanisms that never wait for the application (NULL, PLAIN
    /// client), the outcome, the bytes sent and the bytes left over do not
    /// depend on how the input is split.
    #[test]
    fn outcome_is_split_invariant(
        plain in any::<bool>(),
        ty in socket_type(),
        garbage in prop::collection::vec(any::<u8>(), 0..300),
        sizes in chunk_sizes(),
    ) {
        let mech = if plain {
            MechanismConfig::PlainClient {
                username: Bytes::from_static(b"admin"),
                password: Bytes::from_static(b"secret"),
            }
        } else {
            MechanismConfig::Null
        };
        let mut input = greeting_for(&mech, true);
        input.extend_from_slice(&garbage);
        let whole = drive(&mech, ty, &input, &[usize::MAX], true)?;
        prop_assert_eq!(drive(&mech, ty, &input, &sizes, true)?, whole);
    }

    /// A valid peer transcript followed by traffic completes whatever the
    /// chunking, consumes exactly the handshake, and leaves the traffic.
    #[test]
    fn valid_transcript_completes_in_any_chunking(
        plain in any::<bool>(),
        traffic in prop::collection::vec(any::<u8>(), 0..100),
        sizes in chunk_sizes(),
    ) {
        let router_ready = properties(&[("Socket-Type", b"ROUTER"), ("Identity", b"")]);
        let (mech, mut input) = if plain {
            (
                MechanismConfig::PlainClient {
                    username: Bytes::from_static(b"admin"),
                    password: Bytes::from_static(b"secret"),
                },
                [
                    raw_greeting(3, 1, "PLAIN", true),
                    command_frame(b"WELCOME", b""),
                    command_frame(b"READY", &router_ready),
                ]
                .concat(),
            )
        } else {
            (
                MechanismConfig::Null,
                [raw_greeting(3, 1, "NULL", false), command_frame(b"READY", &router_ready)]
                    .concat(),
            )
        };
        input.extend_from_slice(&traffic);
        let trace = drive(&mech, SocketType::Dealer, &input, &sizes, true)?;
        prop_assert!(trace.finished);
        prop_assert_eq!(trace.events.len(), 1);
        prop_assert!(trace.events[0].starts_with("Complete("), "{}", trace.events[0]);
        prop_assert_eq!(trace.rest, traffic);
    }

    /// A PLAIN server completes whatever the chunking of HELLO and of
    /// INITIATE, answering the authenticator in between.
    #[test]
    fn plain_server_completes_in_any_chunking(sizes in chunk_sizes()) {
        let hello = [
            raw_greeting(3, 1, "PLAIN", false),
            command_frame(b"HELLO", b"\x05admin\x06secret"),
        ]
        .concat();
        let initiate = command_frame(
            b"INITIATE",
            &properties(&[("Socket-Type", b"DEALER"), ("Identity", b"")]),
        );
        let mut hs = Handshake::new(
            &HandshakeConfig::default(),
            MechanismConfig::PlainServer.build(SocketType::Router, None, &Metadata::new()),
            Instant::now(),
        );
        let mut buf = BytesMut::new();
        let mut turn = 0;
        let mut events = Vec::new();
        for part in [&hello[..], &initiate[..]] {
            let mut pos = 0;
            while pos < part.len() {
                let n = sizes[turn % sizes.len()].min(part.len() - pos);
                turn += 1;
                buf.extend_from_slice(&part[pos..pos + n]);
                pos += n;
                hs.handle_input(&mut buf);
                while let Some(ev) = hs.poll_event() {
                    if let HandshakeEvent::Authenticate(_) = ev {
                        hs.handle_auth_reply(AuthReply::allow("admin"));
                    }
                    events.push(ev);
                }
            }
        }
        prop_assert!(buf.is_empty());
        prop_assert_eq!(events.len(), 2, "{:?}", events);
        prop_assert!(matches!(events[0], HandshakeEvent::Authenticate(_)));
        prop_assert!(matches!(events[1], HandshakeEvent::Complete(_)), "{:?}", events[1]);
    }

    /// A command header above the limit fails the handshake from the header
    /// alone, without growing the buffer, whatever the limit.
    #[test]
    fn oversized_command_rejected_without_allocation(
        max in 0usize..1_000_000,
        excess in prop_oneof![1u64..100, 1u64..(1u64 << 62)],
    ) {
        let size = max as u64 + excess;
        let cfg = HandshakeConfig { max_command_size: max, ..HandshakeConfig::default() };
        let mut hs = Handshake::new(
            &cfg,
            MechanismConfig::Null.build(SocketType::Dealer, None, &Metadata::new()),
            Instant::now(),
        );
        let mut buf = BytesMut::with_capacity(128);
        buf.extend_from_slice(&raw_greeting(3, 1, "NULL", false));
        buf.extend_from_slice(&[0x06]);
        buf.extend_from_slice(&size.to_be_bytes());
        let cap = buf.capacity();
        hs.handle_input(&mut buf);
        match hs.poll_event() {
            Some(HandshakeEvent::Failed(Error::Protocol(ProtocolError::TooLarge {
                size: s,
                max: m,
            }))) => prop_assert_eq!((s, m), (size, max as u64)),
            other => prop_assert!(false, "expected TooLarge, got {:?}", other),
        }
        prop_assert!(buf.capacity() <= cap);
    }
}
