//! The sans-IO connection handshake: greeting, version negotiation, then the
//! security mechanism, up to the point where messages may flow.
//!
//! [`Handshake`] owns no socket and reads no clock. The driver
//!
//! 1. sends what [`poll_transmit`](Handshake::poll_transmit) produces (the
//!    whole greeting is queued at creation),
//! 2. feeds received bytes to [`handle_input`](Handshake::handle_input),
//!    which consumes exactly the handshake's bytes and leaves any traffic
//!    that follows in the buffer,
//! 3. answers [`HandshakeEvent::Authenticate`] with
//!    [`handle_auth_reply`](Handshake::handle_auth_reply),
//! 4. arms a timer at [`poll_timeout`](Handshake::poll_timeout) and calls
//!    [`handle_timeout`](Handshake::handle_timeout) when it fires,
//! 5. stops at [`HandshakeEvent::Complete`] (build a
//!    [`ZmtpCodec`](crate::codec::ZmtpCodec) from the [`Established`]) or
//!    [`HandshakeEvent::Failed`] (flush `poll_transmit` once more — it may
//!    hold an ERROR command — then close).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};

use crate::error::{Error, ProtocolError};
use crate::frame::{put_header, FrameHeader, FLAG_COMMAND};
use crate::greeting::{Greeting, Version, GREETING_LEN};
use crate::mechanism::{AuthReply, AuthRequest, FrameCipher, Mechanism, MechanismName};
use crate::metadata::{self, Metadata};
use crate::socket_type::SocketType;

/// Settings of a handshake that do not belong to the mechanism.
#[derive(Debug, Clone)]
pub struct HandshakeConfig {
    /// Give up when the handshake is not done after this long (libzmq's
    /// `ZMQ_HANDSHAKE_IVL`, 30 s by default). `None`: wait forever.
    pub timeout: Option<Duration>,
    /// The largest handshake command accepted (protects memory before the
    /// peer is authenticated).
    pub max_command_size: usize,
}

impl Default for HandshakeConfig {
    fn default() -> Self {
        HandshakeConfig {
            timeout: Some(Duration::from_secs(30)),
            max_command_size: 64 * 1024,
        }
    }
}

/// What the handshake tells its driver.
#[derive(Debug)]
pub enum HandshakeEvent {
    /// The mechanism needs the application to authenticate the peer.
    Authenticate(AuthRequest),
    /// The handshake succeeded.
    Complete(Box<Established>),
    /// The handshake failed; flush [`Handshake::poll_transmit`], then close.
    Failed(Error),
}

/// What we know about a peer once the handshake succeeded.
#[derive(Debug, Clone)]
pub struct PeerInfo {
    /// The negotiated protocol version (3.0 or 3.1).
    pub version: Version,
    /// The security mechanism.
    pub mechanism: MechanismName,
    /// The peer's socket type.
    pub socket_type: SocketType,
    /// The peer's `Identity` property, when present and not empty.
    pub routing_id: Option<Bytes>,
    /// All the peer's handshake metadata.
    pub metadata: Metadata,
    /// The user id given by the authenticator, if any.
    pub user_id: Option<Bytes>,
    /// Metadata given by the authenticator, if any.
    pub auth_metadata: Metadata,
}

/// The result of a successful handshake.
#[derive(Debug)]
pub struct Established {
    /// Facts about the peer.
    pub peer: PeerInfo,
    /// The per-frame transform to install in the codec, if any.
    pub cipher: Option<Box<dyn FrameCipher>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Greeting,
    Mechanism,
    Done,
    Failed,
}

/// A ZMTP 3.x handshake. See the [module docs](self).
#[derive(Debug)]
pub struct Handshake {
    state: State,
    mechanism: Option<Box<dyn Mechanism>>,
    greeting: [u8; GREETING_LEN],
    greeting_len: usize,
    version: Version,
    out: BytesMut,
    events: VecDeque<HandshakeEvent>,
    deadline: Option<Instant>,
    max_command_size: usize,
}

impl Handshake {
    /// Starts a handshake at time `now`; our greeting is queued for sending.
    pub fn new(config: &HandshakeConfig, mechanism: Box<dyn Mechanism>, now: Instant) -> Self {
        let mut out = BytesMut::with_capacity(256);
        Greeting::new(mechanism.name(), mechanism.as_server()).encode(&mut out);
        Handshake {
            state: State::Greeting,
            mechanism: Some(mechanism),
            greeting: [0; GREETING_LEN],
            greeting_len: 0,
            version: Version::V3_1,
            out,
            events: VecDeque::new(),
            deadline: config.timeout.map(|t| now + t),
            max_command_size: config.max_command_size,
        }
    }

    /// Whether the handshake is over (successfully or not).
    pub fn is_finished(&self) -> bool {
        matches!(self.state, State::Done | State::Failed)
    }

    /// Moves the bytes to send into `dst`; returns whether there were any.
    pub fn poll_transmit(&mut self, dst: &mut BytesMut) -> bool {
        if self.out.is_empty() {
            return false;
        }
        dst.extend_from_slice(&self.out);
        self.out.clear();
        true
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<HandshakeEvent> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.is_finished() {
            None
        } else {
            self.deadline
        }
    }

    /// Fails the handshake if its deadline has passed.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.is_finished() && self.deadline.is_some_and(|d| now >= d) {
            self.fail(Error::HandshakeTimeout);
        }
    }

    /// Consumes handshake bytes from the front of `buf`. Bytes that follow
    /// the end of the handshake (early traffic) are left in `buf`.
    pub fn handle_input(&mut self, buf: &mut BytesMut) {
        if self.state == State::Greeting {
            self.read_greeting(buf);
        }
        while self.state == State::Mechanism {
            match self.next_command(buf) {
                Ok(Some(body)) => {
                    let result = match self.mechanism.as_mut() {
                        Some(m) => m.handle_command(body),
                        None => Ok(()),
                    };
                    match result {
                        Ok(()) => self.drive(),
                        Err(e) => self.fail(e),
                    }
                }
                Ok(None) => break,
                Err(e) => self.fail(e),
            }
        }
    }

    /// Gives the authenticator's answer to the pending request.
    pub fn handle_auth_reply(&mut self, reply: AuthReply) {
        if self.state != State::Mechanism {
            return;
        }
        let result = match self.mechanism.as_mut() {
            Some(m) => m.handle_auth_reply(reply),
            None => Ok(()),
        };
        match result {
            Ok(()) => self.drive(),
            Err(e) => self.fail(e),
        }
    }

    fn read_greeting(&mut self, buf: &mut BytesMut) {
        let n = (GREETING_LEN - self.greeting_len).min(buf.len());
        self.greeting[self.greeting_len..self.greeting_len + n].copy_from_slice(&buf[..n]);
        buf.advance(n);
        self.greeting_len += n;
        if let Err(e) = Greeting::check_prefix(&self.greeting[..self.greeting_len]) {
            return self.fail(e.into());
        }
        if self.greeting_len < GREETING_LEN {
            return;
        }
        let peer = match Greeting::decode(&self.greeting) {
            Ok(g) => g,
            Err(e) => return self.fail(e.into()),
        };
        let Some(mech) = self.mechanism.as_mut() else {
            return;
        };
        // "If the mechanism that the peer received does not exactly match the
        // mechanism it sent, it MUST close the connection."
        if peer.mechanism != mech.name() {
            let ours = mech.name();
            return self.fail(
                ProtocolError::MechanismMismatch {
                    ours,
                    theirs: peer.mechanism,
                }
                .into(),
            );
        }
        // The peer's as-server octet is not checked: libzmq 4.3 always sends
        // zero there (its roles come from socket options, not the greeting).
        // A role clash shows up as an unexpected command instead.
        self.version = peer.version;
        self.state = State::Mechanism;
        match mech.start(peer.version) {
            Ok(()) => self.drive(),
            Err(e) => self.fail(e),
        }
    }

    fn next_command(&mut self, buf: &mut BytesMut) -> Result<Option<Bytes>, Error> {
        let Some(header) = FrameHeader::peek(buf)? else {
            return Ok(None);
        };
        if !header.is_command() {
            return Err(ProtocolError::MessageDuringHandshake.into());
        }
        if header.size > self.max_command_size as u64 {
            return Err(ProtocolError::TooLarge {
                size: header.size,
                max: self.max_command_size as u64,
            }
            .into());
        }
        let total = header.header_len + header.size as usize;
        if buf.len() < total {
            buf.reserve(total - buf.len());
            return Ok(None);
        }
        buf.advance(header.header_len);
        Ok(Some(buf.split_to(header.size as usize).freeze()))
    }

    /// Collects what the mechanism wants to send or ask, and completes.
    fn drive(&mut self) {
        let Some(mech) = self.mechanism.as_mut() else {
            return;
        };
        while let Some(body) = mech.poll_command() {
            put_header(&mut self.out, FLAG_COMMAND, body.len());
            self.out.extend_from_slice(&body);
        }
        if let Some(req) = mech.poll_auth_request() {
            self.events.push_back(HandshakeEvent::Authenticate(req));
        }
        if !mech.is_complete() {
            return;
        }
        let Some(mech) = self.mechanism.take() else {
            return;
        };
        let name = mech.name();
        match mech.finish() {
            Ok(outcome) => {
                let routing_id = outcome
                    .peer_metadata
                    .get(metadata::IDENTITY)
                    .filter(|id| !id.is_empty())
                    .cloned();
                self.state = State::Done;
                self.events
                    .push_back(HandshakeEvent::Complete(Box::new(Established {
                        peer: PeerInfo {
                            version: self.version,
                            mechanism: name,
                            socket_type: outcome.peer_socket_type,
                            routing_id,
                            metadata: outcome.peer_metadata,
                            user_id: outcome.user_id,
                            auth_metadata: outcome.auth_metadata,
                        },
                        cipher: outcome.cipher,
                    })));
            }
            Err(e) => self.fail(e),
        }
    }

    fn fail(&mut self, e: Error) {
        if self.is_finished() {
            return;
        }
        // Send what the mechanism queued (an ERROR command) before closing.
        if let Some(mech) = self.mechanism.as_mut() {
            while let Some(body) = mech.poll_command() {
                put_header(&mut self.out, FLAG_COMMAND, body.len());
                self.out.extend_from_slice(&body);
            }
        }
        self.state = State::Failed;
        self.mechanism = None;
        self.events.push_back(HandshakeEvent::Failed(e));
    }
}
