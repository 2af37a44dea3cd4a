//! Security mechanisms: the handshake that follows the greeting.
//!
//! A [`Mechanism`] is a sans-IO state machine fed with command bodies. It
//! queues the command bodies it wants sent, may ask the caller to
//! authenticate the peer (an [`AuthRequest`], answered with an [`AuthReply`]
//! — this is where ZAP plugs in), checks the peer's metadata (socket type
//! compatibility), and when complete hands back what it learnt together with
//! an optional [`FrameCipher`] through which every later frame passes (CURVE
//! encrypts each frame as a MESSAGE command; NULL and PLAIN leave frames as
//! they are).
//!
//! Implemented here: [`null`] (RFC 37), [`plain`] (RFC 24) and [`curve`]
//! (RFC 25/26, with its keys).

pub mod curve;
pub mod null;
pub mod plain;

use std::fmt;

use bytes::{Bytes, BytesMut};

use crate::command::ErrorCommand;
use crate::error::{AuthFailure, Error, ProtocolError};
use crate::greeting::Version;
use crate::metadata::{self, Metadata};
use crate::socket_type::SocketType;

/// A mechanism name as it appears in the greeting: up to 20 octets, null padded.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct MechanismName([u8; 20]);

impl MechanismName {
    /// `NULL`: no security.
    pub const NULL: MechanismName = MechanismName::new("NULL");
    /// `PLAIN`: clear-text user name and password (RFC 24).
    pub const PLAIN: MechanismName = MechanismName::new("PLAIN");
    /// `CURVE`: CurveZMQ (RFC 25/26).
    pub const CURVE: MechanismName = MechanismName::new("CURVE");

    /// Builds a name from text of at most 20 ASCII octets (longer text is cut).
    pub const fn new(name: &str) -> Self {
        let src = name.as_bytes();
        let mut raw = [0u8; 20];
        let mut i = 0;
        while i < src.len() && i < 20 {
            raw[i] = src[i];
            i += 1;
        }
        MechanismName(raw)
    }

    /// Wraps the 20 raw octets of a greeting.
    pub const fn from_raw(raw: [u8; 20]) -> Self {
        MechanismName(raw)
    }

    /// The 20 octets, null padded.
    pub fn as_bytes(&self) -> &[u8; 20] {
        &self.0
    }

    /// The name without padding.
    pub fn trimmed(&self) -> &[u8] {
        let end = self.0.iter().position(|&b| b == 0).unwrap_or(20);
        &self.0[..end]
    }
}

impl fmt::Display for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&String::from_utf8_lossy(self.trimmed()))
    }
}

impl fmt::Debug for MechanismName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MechanismName({self})")
    }
}

/// What a mechanism asks the application's authenticator (the body of a ZAP
/// request that only the mechanism knows; the caller adds domain, address
/// and identity).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    /// The mechanism asking.
    pub mechanism: MechanismName,
    /// The credentials frames: none for NULL, `[username, password]` for
    /// PLAIN, `[client public key]` for CURVE.
    pub credentials: Vec<Bytes>,
}

/// The authenticator's answer (the useful part of a ZAP reply, RFC 27).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthReply {
    /// 200 (ok), 300 (temporary failure), 400 (denied), 500 (internal error).
    pub status_code: u16,
    /// Human-readable status.
    pub status_text: String,
    /// The authenticated user id (shown as `User-Id` on received messages).
    pub user_id: Bytes,
    /// Extra metadata to attach to the connection.
    pub metadata: Metadata,
}

impl AuthReply {
    /// A 200 reply with a user id.
    pub fn allow(user_id: impl Into<Bytes>) -> Self {
        AuthReply {
            status_code: 200,
            status_text: "OK".into(),
            user_id: user_id.into(),
            metadata: Metadata::new(),
        }
    }

    /// A refusal with `status_code` (300, 400 or 500).
    pub fn deny(status_code: u16, text: impl Into<String>) -> Self {
        AuthReply {
            status_code,
            status_text: text.into(),
            user_id: Bytes::new(),
            metadata: Metadata::new(),
        }
    }

    /// Whether the peer is let in.
    pub fn is_allowed(&self) -> bool {
        self.status_code == 200
    }
}

/// What a finished mechanism hands back.
#[derive(Debug)]
pub struct MechanismOutcome {
    /// The peer's handshake metadata (READY/INITIATE properties).
    pub peer_metadata: Metadata,
    /// The peer's socket type, already checked against ours.
    pub peer_socket_type: SocketType,
    /// The user id an authenticator gave, if any.
    pub user_id: Option<Bytes>,
    /// Metadata an authenticator attached, if any.
    pub auth_metadata: Metadata,
    /// The per-frame transform for the rest of the connection, if any.
    pub cipher: Option<Box<dyn FrameCipher>>,
}

/// A per-connection transform applied to every frame after the handshake.
///
/// CURVE turns each frame into a MESSAGE command carrying an encrypted box;
/// the codec calls these methods for every frame when a cipher is present.
/// The outer frame's flags are the cipher's business: libzmq 4.3 sends
/// CURVE's MESSAGE in a frame with neither MORE nor COMMAND set (and would
/// misread one with COMMAND set), so the codec hands every incoming frame
/// body to [`decrypt`](FrameCipher::decrypt), whatever its flags.
pub trait FrameCipher: Send + fmt::Debug {
    /// Wraps one outgoing frame (`flags` holds the ZMTP flags MORE and/or
    /// COMMAND) and appends the wire bytes (a whole frame, header included)
    /// to `dst`.
    fn encrypt(&mut self, flags: u8, body: &[u8], dst: &mut BytesMut) -> Result<(), ProtocolError>;

    /// Unwraps the body of one incoming frame into the inner ZMTP flags
    /// (MORE and/or COMMAND) and plaintext body.
    fn decrypt(&mut self, frame_body: Bytes) -> Result<(u8, Bytes), ProtocolError>;
}

/// Facts every mechanism needs about the local socket.
#[derive(Debug, Clone)]
pub struct LocalInfo {
    /// Our socket type.
    pub socket_type: SocketType,
    /// The metadata we announce (Socket-Type, Identity, `X-` properties).
    pub metadata: Metadata,
}

impl LocalInfo {
    /// Builds our metadata the way libzmq does: `Socket-Type`, then
    /// `Identity` for REQ/DEALER/ROUTER, then the application's properties.
    pub fn new(socket_type: SocketType, routing_id: Option<Bytes>, app: &Metadata) -> Self {
        let mut md = Metadata::new();
        md.insert(metadata::SOCKET_TYPE, socket_type.as_str());
        if socket_type.sends_identity() {
            md.insert(metadata::IDENTITY, routing_id.unwrap_or_default());
        }
        md.extend(app);
        LocalInfo {
            socket_type,
            metadata: md,
        }
    }

    /// Checks the peer's metadata: its Socket-Type must exist and be one we
    /// may talk to (RFC 37). Returns the peer's type.
    pub fn check_peer(&self, peer: &Metadata) -> Result<SocketType, ProtocolError> {
        let raw = peer
            .get(metadata::SOCKET_TYPE)
            .ok_or_else(|| ProtocolError::BadSocketType(String::new()))?;
        let theirs = SocketType::from_wire(raw)
            .ok_or_else(|| ProtocolError::BadSocketType(String::from_utf8_lossy(raw).into()))?;
        if !self.socket_type.is_compatible_with(theirs) {
            return Err(ProtocolError::IncompatibleSocketType {
                ours: self.socket_type,
                theirs,
            });
        }
        Ok(theirs)
    }
}

/// The reason we put in an ERROR command when the peer's socket type is wrong.
pub const BAD_SOCKET_TYPE_REASON: &str = "Invalid socket type";

/// A security mechanism's handshake, as a sans-IO state machine.
///
/// The [`Handshake`](crate::handshake::Handshake) drives it: it calls
/// [`start`](Mechanism::start) once the greetings are exchanged, feeds it
/// every command body that arrives, sends every body it queues, relays
/// authentication, and stops when [`is_complete`](Mechanism::is_complete).
/// On error, the handshake still sends whatever the mechanism queued (an
/// ERROR command) before closing.
pub trait Mechanism: Send + fmt::Debug {
    /// The mechanism's greeting name.
    fn name(&self) -> MechanismName;

    /// Whether we are the server of this mechanism (greeting `as-server`).
    fn as_server(&self) -> bool;

    /// Called once, after the greetings, with the peer's protocol version.
    fn start(&mut self, peer_version: Version) -> Result<(), Error>;

    /// The next command body to send, if any.
    fn poll_command(&mut self) -> Option<Bytes>;

    /// Processes one command body received from the peer.
    fn handle_command(&mut self, body: Bytes) -> Result<(), Error>;

    /// An authentication question for the application, if one is pending.
    fn poll_auth_request(&mut self) -> Option<AuthRequest> {
        None
    }

    /// The application's answer to the last [`AuthRequest`].
    fn handle_auth_reply(&mut self, reply: AuthReply) -> Result<(), Error> {
        let _ = reply;
        Err(ProtocolError::Mechanism("unexpected authentication reply").into())
    }

    /// Whether the handshake finished successfully.
    fn is_complete(&self) -> bool;

    /// Hands back what the handshake established. Only valid once complete.
    fn finish(self: Box<Self>) -> Result<MechanismOutcome, Error>;
}

/// Turns a peer's ERROR command into the error we report.
pub fn peer_error(error: &ErrorCommand) -> Error {
    match error.status_code() {
        Some(code) => Error::Auth(AuthFailure {
            status_code: code,
            text: error.reason_text(),
        }),
        None => Error::Protocol(ProtocolError::PeerError(error.reason_text())),
    }
}

/// If `body` is an ERROR command (including libzmq's misspelt PLAIN one),
/// the error to fail the handshake with.
pub(crate) fn error_in(body: &Bytes) -> Option<Error> {
    let is_error =
        crate::command::error::is_libzmq_plain_quirk(body) || body.starts_with(b"\x05ERROR");
    if !is_error {
        return None;
    }
    Some(match crate::command::Command::parse(body.clone()) {
        Ok(crate::command::Command::Error(e)) => peer_error(&e),
        Ok(_) => ProtocolError::Mechanism("ERROR command expected").into(),
        Err(e) => e.into(),
    })
}

/// Shared by mechanisms: the handling of an authenticator's verdict.
///
/// 200 lets the peer in; 300 closes silently (CurveZMQ RFC: a temporary
/// failure gets no ERROR); 400 and 500 queue an ERROR whose reason is the
/// status code, as libzmq does.
///
/// With `libzmq_plain_spelling`, the ERROR is written the way libzmq 4.3's
/// PLAIN server writes it (`^RROR`, see
/// [`LIBZMQ_PLAIN_QUIRK`](crate::command::error::LIBZMQ_PLAIN_QUIRK)):
/// libzmq's PLAIN client only recognises that spelling, and reports a
/// protocol error instead of the authentication failure otherwise.
pub(crate) fn auth_verdict(
    reply: &AuthReply,
    queue: &mut Vec<Bytes>,
    libzmq_plain_spelling: bool,
) -> Result<(), Error> {
    if reply.is_allowed() {
        return Ok(());
    }
    let code = match reply.status_code {
        300 | 400 | 500 => reply.status_code,
        _ => 500,
    };
    if code != 300 {
        let reason = code.to_string();
        if libzmq_plain_spelling {
            let mut body = crate::command::error::LIBZMQ_PLAIN_QUIRK.to_vec();
            body.push(reason.len() as u8);
            body.extend_from_slice(reason.as_bytes());
            queue.push(Bytes::from(body));
        } else {
            let cmd = crate::command::Command::Error(ErrorCommand::new(reason));
            queue.push(cmd.to_body());
        }
    }
    Err(Error::Auth(AuthFailure {
        status_code: code,
        text: reply.status_text.clone(),
    }))
}

/// Shared by mechanisms: validate peer metadata, queueing an ERROR if bad.
pub(crate) fn check_peer_or_error(
    local: &LocalInfo,
    peer: &Metadata,
    queue: &mut Vec<Bytes>,
) -> Result<SocketType, Error> {
    local.check_peer(peer).map_err(|e| {
        let cmd = crate::command::Command::Error(ErrorCommand::new(BAD_SOCKET_TYPE_REASON));
        queue.push(cmd.to_body());
        Error::Protocol(e)
    })
}
