//! The driver shared by the handshake targets: one sans-IO [`Handshake`]
//! fed a peer's bytes, with its event contract checked at every step.
//!
//! An input describes a [`Scenario`]: which mechanism of the target's
//! family (and so which side: PLAIN server or client, NULL with or without
//! authentication), our socket type, whether the authenticator allows,
//! whether a valid greeting for that mechanism comes first (so that the
//! rest reaches the mechanism), a small command size limit or the default,
//! the chunking, and the peer's bytes.
//!
//! Checked for every input, by [`drive`]:
//!
//! - our greeting is the first thing sent;
//! - at most one terminal event (`Complete` or `Failed`), nothing after it,
//!   and [`Handshake::is_finished`] in step with it;
//! - only mechanisms that authenticate ask to (NULL with authentication,
//!   the PLAIN server), at most once;
//! - a finished handshake consumes no more input and has no deadline;
//! - an unfinished one fails with a timeout once its deadline passes;
//! - a completed handshake's peer has a socket type we may talk to;
//! - a peer refused for its socket type is sent an ERROR first;
//! - for mechanisms that never wait for the application (NULL without
//!   authentication, the PLAIN client) the outcome, the bytes sent and the
//!   bytes left over do not depend on the chunking.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use oxmq_zmtp::greeting::{Greeting, GREETING_LEN};
use oxmq_zmtp::mechanism::BAD_SOCKET_TYPE_REASON;
use oxmq_zmtp::{
    AuthReply, Command, Error, Handshake, HandshakeConfig, HandshakeEvent, MechanismConfig,
    Metadata, ProtocolError, SocketType,
};

use crate::{chunk_sizes, chunks, Input};

/// One handshake scenario, read from a fuzz input by [`Scenario::read`].
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Our mechanism (and role).
    pub mech: MechanismConfig,
    /// Our socket type.
    pub socket_type: SocketType,
    /// The authenticator's verdict, when asked.
    pub allow: bool,
    /// The handshake's command size limit.
    pub max_command_size: usize,
    /// How the input is cut.
    pub sizes: Vec<usize>,
    /// The peer's bytes.
    pub input: Vec<u8>,
}

impl Scenario {
    /// Reads a scenario whose mechanism is one of `family`.
    pub fn read(data: &[u8], family: &[MechanismConfig]) -> Scenario {
        let mut i = Input::new(data);
        let flags = i.byte();
        let mech = family[usize::from(i.byte()) % family.len()].clone();
        let socket_type = SocketType::STANDARD[usize::from(i.byte()) % SocketType::STANDARD.len()];
        let sizes = chunk_sizes(i.byte());
        let mut input = Vec::new();
        if flags & 1 != 0 {
            // The greeting a well-behaved peer of `mech` sends: the same
            // mechanism, the other role.
            let peer_is_server = matches!(mech, MechanismConfig::PlainClient { .. });
            Greeting::new(mech.name(), peer_is_server).encode(&mut input);
        }
        input.extend_from_slice(i.rest());
        Scenario {
            mech,
            socket_type,
            allow: flags & 2 != 0,
            max_command_size: if flags & 4 != 0 {
                64
            } else {
                HandshakeConfig::default().max_command_size
            },
            sizes,
            input,
        }
    }

    /// Whether the outcome must not depend on the chunking.
    pub fn split_invariant(&self) -> bool {
        matches!(
            self.mech,
            MechanismConfig::Null | MechanismConfig::PlainClient { .. }
        )
    }
}

/// What a handshake did with its input.
#[derive(Debug, PartialEq, Eq)]
pub struct Trace {
    /// Debug renderings of the events, in order.
    pub events: Vec<String>,
    /// Everything it transmitted.
    pub sent: Vec<u8>,
    /// Input it left unconsumed after completing (empty after a failure).
    pub rest: Vec<u8>,
}

/// Whether `mech` may ask the application to authenticate.
fn authenticates(mech: &MechanismConfig) -> bool {
    matches!(
        mech,
        MechanismConfig::NullAuthenticated | MechanismConfig::PlainServer
    )
}

/// Runs the handshake of `sc` over its input cut by `sizes`, checking the
/// contract (see the module docs). Panics on a violation.
pub fn drive(sc: &Scenario, sizes: &[usize]) -> Trace {
    let now = Instant::now();
    let config = HandshakeConfig {
        timeout: Some(Duration::from_secs(30)),
        max_command_size: sc.max_command_size,
    };
    let mut hs = Handshake::new(
        &config,
        sc.mech.build(sc.socket_type, None, &Metadata::new()),
        now,
    );
    let mut events = Vec::new();
    let mut sent = BytesMut::new();
    let mut buf = BytesMut::new();
    let mut terminal: Option<HandshakeEvent> = None;
    let mut asked = 0;
    let mut pieces = chunks(&sc.input, sizes);
    loop {
        while let Some(ev) = hs.poll_event() {
            events.push(format!("{ev:?}"));
            assert!(terminal.is_none(), "event {ev:?} after {terminal:?}");
            match ev {
                HandshakeEvent::Authenticate(_) => {
                    asked += 1;
                    assert!(
                        authenticates(&sc.mech),
                        "{:?} asked to authenticate",
                        sc.mech
                    );
                    assert_eq!(asked, 1, "asked to authenticate twice");
                    hs.handle_auth_reply(if sc.allow {
                        AuthReply::allow("user")
                    } else {
                        AuthReply::deny(400, "denied")
                    });
                }
                end => terminal = Some(end),
            }
        }
        assert_eq!(
            hs.is_finished(),
            terminal.is_some(),
            "is_finished out of step"
        );
        hs.poll_transmit(&mut sent);
        if terminal.is_some() {
            assert!(
                hs.poll_timeout().is_none(),
                "a finished handshake has a deadline"
            );
            let before = buf.clone();
            hs.handle_input(&mut buf);
            assert_eq!(buf, before, "a finished handshake consumed input");
        }
        match pieces.next() {
            Some(piece) => {
                buf.extend_from_slice(piece);
                hs.handle_input(&mut buf);
            }
            None => break,
        }
    }
    // Past the deadline, whatever is pending ends, once.
    hs.handle_timeout(now + Duration::from_secs(3600));
    if terminal.is_none() {
        match hs.poll_event() {
            Some(ev @ HandshakeEvent::Failed(Error::HandshakeTimeout)) => {
                events.push(format!("{ev:?}"));
                terminal = Some(ev);
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
    }
    assert!(hs.poll_event().is_none(), "an event after the end");
    assert!(hs.is_finished());
    hs.poll_transmit(&mut sent);

    let mut ours = Vec::with_capacity(GREETING_LEN);
    Greeting::new(
        sc.mech.name(),
        matches!(sc.mech, MechanismConfig::PlainServer),
    )
    .encode(&mut ours);
    assert!(sent.starts_with(&ours), "our greeting was not sent first");

    match &terminal {
        Some(HandshakeEvent::Complete(est)) => {
            assert!(
                sc.socket_type.is_compatible_with(est.peer.socket_type),
                "completed with an incompatible {} peer",
                est.peer.socket_type
            );
            assert!(est.cipher.is_none(), "NULL and PLAIN have no cipher");
        }
        Some(HandshakeEvent::Failed(Error::Protocol(
            ProtocolError::IncompatibleSocketType { .. } | ProtocolError::BadSocketType(_),
        ))) => {
            let reason = last_error_reason(&sent[ours.len()..]);
            assert_eq!(
                reason.as_deref(),
                Some(BAD_SOCKET_TYPE_REASON.as_bytes()),
                "a peer refused for its socket type gets an ERROR"
            );
        }
        _ => {}
    }
    // What is left over only matters after a success: it is the start of
    // the traffic. (After a failure the connection is closed; how much of
    // a bad greeting was read depends on how it arrived.)
    let rest = match terminal {
        Some(HandshakeEvent::Complete(_)) => buf.to_vec(),
        _ => Vec::new(),
    };
    Trace {
        events,
        sent: sent.to_vec(),
        rest,
    }
}

/// The reason of the last command sent in `wire` (command frames after the
/// greeting), if it is an ERROR.
fn last_error_reason(wire: &[u8]) -> Option<Vec<u8>> {
    let mut codec = oxmq_zmtp::ZmtpCodec::new();
    let mut buf = BytesMut::from(wire);
    let mut last = None;
    while let Ok(Some(item)) = tokio_util::codec::Decoder::decode(&mut codec, &mut buf) {
        last = Some(item);
    }
    match last {
        Some(oxmq_zmtp::Inbound::Command(Command::Error(e))) => Some(e.reason.to_vec()),
        _ => None,
    }
}

/// Runs `data` as a scenario of `family`: once whole, once in chunks, and
/// compares the two where the chunking must not matter.
pub fn run_family(data: &[u8], family: &[MechanismConfig]) {
    let sc = Scenario::read(data, family);
    let whole = drive(&sc, &[usize::MAX]);
    let chunked = drive(&sc, &sc.sizes);
    if sc.split_invariant() {
        assert_eq!(whole, chunked, "the outcome depends on the chunking");
    }
}

/// The PLAIN client credentials the targets use.
pub fn plain_client() -> MechanismConfig {
    MechanismConfig::PlainClient {
        username: Bytes::from_static(b"admin"),
        password: Bytes::from_static(b"secret"),
    }
}
