//! The crate's error type.
//!
//! Errors are split the way a caller needs to act on them: [`ProtocolError`] is a
//! fault of the *peer* (the connection must be dropped, other peers keep working),
//! [`AuthFailure`] is a refusal by an authenticator, and [`Error`] wraps those
//! together with I/O errors and timeouts for the codec and the handshake.

use std::io;

use crate::greeting::Version;
use crate::mechanism::MechanismName;
use crate::socket_type::SocketType;

/// Everything that can go wrong while speaking ZMTP on one connection.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed.
    #[error("i/o error: {0}")]
    Io(#[from] io::Error),
    /// The peer broke the protocol; the connection must be closed.
    #[error("protocol error: {0}")]
    Protocol(#[from] ProtocolError),
    /// The security mechanism refused the peer (or the peer refused us).
    #[error("authentication failed: {0}")]
    Auth(#[from] AuthFailure),
    /// The handshake did not complete within the configured time.
    #[error("handshake timed out")]
    HandshakeTimeout,
}

impl Error {
    /// Whether this error is the peer's fault (as opposed to I/O or a timeout).
    pub fn is_protocol(&self) -> bool {
        matches!(self, Error::Protocol(_))
    }
}

impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        match e {
            Error::Io(e) => e,
            Error::HandshakeTimeout => io::Error::new(io::ErrorKind::TimedOut, e),
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// An authentication refusal, from either side of the handshake.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("status {status_code}: {text}")]
pub struct AuthFailure {
    /// The ZAP status code (300, 400 or 500), or 400 when the peer sent an
    /// ERROR command whose reason is not a status code.
    pub status_code: u16,
    /// A human-readable reason (the ZAP status text, or the peer's ERROR reason).
    pub text: String,
}

/// A violation of ZMTP (RFC 23/37) or of a mechanism's RFC by the peer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The peer speaks a ZMTP version older than 3.0 (1.0 has no signature,
    /// 2.0 announces major version 1 or 2). oxmq refuses these peers.
    #[error("peer speaks an unsupported ZMTP version ({0})")]
    UnsupportedVersion(LegacyVersion),
    /// The peer's greeting announces a different security mechanism.
    #[error("mechanism mismatch: we use {ours}, peer uses {theirs}")]
    MechanismMismatch {
        /// Our mechanism.
        ours: MechanismName,
        /// The peer's mechanism.
        theirs: MechanismName,
    },
    /// A frame's flags byte has reserved bits set.
    #[error("reserved bits set in frame flags {0:#04x}")]
    ReservedFlags(u8),
    /// A command frame has the MORE flag set.
    #[error("command frame with MORE flag")]
    CommandWithMore,
    /// A frame (or message) is larger than the configured maximum.
    #[error("frame of {size} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// The announced size.
        size: u64,
        /// The configured maximum.
        max: u64,
    },
    /// A long frame announces a size of 2^63 or more.
    #[error("frame size {0} is out of range")]
    SizeOutOfRange(u64),
    /// A command's body does not follow its grammar.
    #[error("malformed {command} command: {reason}")]
    MalformedCommand {
        /// The command's name.
        command: &'static str,
        /// What was wrong.
        reason: &'static str,
    },
    /// A command arrived that is not valid at this point of the handshake.
    #[error("unexpected command {got:?} (expected {expected})")]
    UnexpectedCommand {
        /// What the state machine expected.
        expected: &'static str,
        /// The name of what arrived (lossy UTF-8).
        got: String,
    },
    /// A message frame arrived before the handshake finished.
    #[error("message frame during the handshake")]
    MessageDuringHandshake,
    /// The peer's metadata has no (or an unparsable) Socket-Type.
    #[error("peer metadata lacks a valid Socket-Type ({0:?})")]
    BadSocketType(String),
    /// The peer's socket type may not talk to ours (RFC 37 table).
    #[error("socket type {theirs} may not connect to {ours}")]
    IncompatibleSocketType {
        /// Our type.
        ours: SocketType,
        /// The peer's type.
        theirs: SocketType,
    },
    /// The peer sent an ERROR command.
    #[error("peer sent ERROR: {0}")]
    PeerError(String),
    /// The ZMTP version of the peer does not allow this operation.
    #[error("not supported with a ZMTP {0} peer")]
    VersionTooOld(Version),
    /// A mechanism-specific failure (bad box, replayed nonce, …).
    #[error("security mechanism: {0}")]
    Mechanism(&'static str),
}

/// The pre-3.0 protocol versions a peer may announce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyVersion {
    /// ZMTP 1.0: no signature at all.
    Zmtp10,
    /// ZMTP 2.0 (revision 1 or 2 in the greeting).
    Zmtp20,
}

impl std::fmt::Display for LegacyVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LegacyVersion::Zmtp10 => f.write_str("ZMTP 1.0"),
            LegacyVersion::Zmtp20 => f.write_str("ZMTP 2.0"),
        }
    }
}
