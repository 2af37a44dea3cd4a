//! Target `greeting`: the 64-octet greeting, parsed progressively
//! ([`Greeting::check_prefix`] as octets arrive) and whole
//! ([`Greeting::decode`]), and read by a [`Handshake`] in pieces.
//!
//! Input: one byte picks the chunking; the rest is the peer's greeting (and
//! whatever follows it).
//!
//! Checked for every input:
//!
//! - a verdict on a prefix never changes as more octets arrive: once a
//!   prefix is refused, every longer one is refused with the same error;
//! - `decode` accepts exactly the greetings whose 64 octets `check_prefix`
//!   accepts, and what it accepts re-encodes to a greeting that decodes to
//!   the same value;
//! - a NULL handshake fed the bytes in chunks fails with the prefix's error
//!   when the prefix is refused, with a mechanism mismatch exactly when the
//!   greeting names another mechanism, and never refuses a valid NULL
//!   greeting.

use std::time::Instant;

use bytes::BytesMut;
use oxmq_zmtp::greeting::{Greeting, GREETING_LEN};
use oxmq_zmtp::{
    Error, Handshake, HandshakeConfig, HandshakeEvent, MechanismConfig, MechanismName,
    ProtocolError, SocketType,
};

use crate::{chunk_sizes, chunks, Input};

/// The target body.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let sizes = chunk_sizes(input.byte());
    let bytes = input.rest();
    let head = &bytes[..bytes.len().min(GREETING_LEN)];

    // Prefix verdicts are monotonic.
    let mut first_err: Option<ProtocolError> = None;
    for n in 0..=head.len() {
        let verdict = Greeting::check_prefix(&head[..n]);
        match (&first_err, verdict) {
            (None, Ok(())) => {}
            (None, Err(e)) => first_err = Some(e),
            (Some(first), Err(e)) => assert_eq!(&e, first, "prefix error changed at {n}"),
            (Some(first), Ok(())) => panic!("prefix of {n} accepted after {first:?}"),
        }
    }

    let decoded = <&[u8; GREETING_LEN]>::try_from(head)
        .ok()
        .map(Greeting::decode);
    if let Some(decoded) = &decoded {
        assert_eq!(
            decoded.as_ref().err(),
            first_err.as_ref(),
            "decode and check_prefix disagree"
        );
        if let Ok(g) = decoded {
            let mut again = Vec::with_capacity(GREETING_LEN);
            g.encode(&mut again);
            let again: [u8; GREETING_LEN] = match again.try_into() {
                Ok(a) => a,
                Err(v) => panic!("greeting encoded to {} octets", v.len()),
            };
            assert_eq!(Greeting::decode(&again).as_ref(), Ok(g), "re-encoding");
        }
    }

    // A handshake reading the same bytes in chunks.
    let mech = MechanismConfig::Null.build(SocketType::Dealer, None, &Default::default());
    let mut hs = Handshake::new(&HandshakeConfig::default(), mech, Instant::now());
    let mut buf = BytesMut::new();
    let mut failure = None;
    for piece in chunks(bytes, &sizes) {
        buf.extend_from_slice(piece);
        hs.handle_input(&mut buf);
        if let Some(HandshakeEvent::Failed(e)) = hs.poll_event() {
            failure = Some(e);
            break;
        }
    }
    match (&first_err, &decoded) {
        (Some(prefix_err), _) => match &failure {
            Some(Error::Protocol(e)) => assert_eq!(e, prefix_err, "handshake error"),
            other => panic!("refused prefix {prefix_err:?}, but the handshake gave {other:?}"),
        },
        (None, Some(Ok(g))) if g.mechanism != MechanismName::NULL => match &failure {
            Some(Error::Protocol(ProtocolError::MechanismMismatch { theirs, .. })) => {
                assert_eq!(*theirs, g.mechanism)
            }
            other => panic!("mechanism {} accepted by NULL: {other:?}", g.mechanism),
        },
        (None, _) => {
            // A NULL greeting (or not all of one yet): whatever fails now
            // fails after the greeting, in the mechanism.
            if let Some(e) = &failure {
                assert!(
                    !matches!(
                        e,
                        Error::Protocol(
                            ProtocolError::UnsupportedVersion(_)
                                | ProtocolError::MechanismMismatch { .. }
                        )
                    ),
                    "a valid NULL greeting was refused: {e:?}"
                );
            }
        }
    }
}
