//! The driver shared by the CURVE targets: a scripted man in the middle
//! between one CURVE side under test and a genuine peer.
//!
//! A fuzzer working on raw bytes cannot forge CurveZMQ boxes, so feeding
//! it command bodies alone would never get past HELLO. Here the side under
//! test (the *SUT*: a sans-IO [`Handshake`] with a CURVE
//! [`MechanismConfig`]) talks to a real peer mechanism with fixed
//! permanent keys, and the input is a *script* that decides, step by step,
//! what the SUT receives: the peer's next genuine command, a mutated copy
//! of it (bit flips, truncation, extension at input-chosen places), a
//! replay of an earlier one, nothing (the command is dropped), an
//! arbitrary command body or arbitrary wire bytes; and how the
//! authenticator answers (any status code), or an authentication reply
//! nobody asked for. The SUT's own output always reaches the peer
//! unaltered (the other target alters it, from the other side). Once the
//! script is used up the rest of the exchange runs genuinely: pending
//! commands are delivered, pending questions answered with 200.
//!
//! When the handshake completes, the rest of the input drives the two
//! [`FrameCipher`]s of the message phase: frames encrypted in either
//! direction (any flags, any body), delivered in any order, tampered with,
//! replayed, or replaced by arbitrary bytes.
//!
//! Checked for every input (a violation panics):
//!
//! - the handshake contract of [`handshake`](crate::handshake): our
//!   greeting first, one terminal event and nothing after it,
//!   `is_finished` in step, a finished handshake consumes nothing and has
//!   no deadline, an unfinished one times out;
//! - the SUT sends only what its role may send, in order: the server
//!   WELCOME, then READY or one final ERROR; the client HELLO then
//!   INITIATE, and never an ERROR (RFC 26);
//! - the server asks the authenticator at most once, and only about the
//!   genuine client's permanent key, after its vouch and socket type
//!   checked out; the client never asks;
//! - an authenticator's refusal fails the server with that status (any
//!   code other than 200, 300, 400 and 500 counts as 500) and sends ERROR
//!   with the code as reason, except for 300 which closes silently; a
//!   peer of the wrong socket type gets ERROR "Invalid socket type" from
//!   the server and no ERROR from the client;
//! - **a handshake completes only on the genuine commands**: the bytes the
//!   SUT consumed are exactly the peer's commands, in order, except for
//!   the anti-amplification padding of HELLO, which nothing authenticates
//!   and which libzmq 4.3.5 does not check either; and only with the right
//!   server key, compatible socket types, and the authenticator's 200;
//! - conversely, when the SUT received exactly the genuine commands, the
//!   key is right, the socket types are compatible and nobody refused or
//!   answered out of turn, the handshake completes, the genuine peer
//!   completes too, and each side reports the other's socket type,
//!   routing id, metadata and (for the server) the user id;
//! - the genuine peer never rejects what the SUT sends, unless it is an
//!   ERROR (or the setup makes it fail: wrong server key, incompatible
//!   socket type);
//! - in the message phase: every frame is one ZMTP frame without the
//!   COMMAND flag, holding a MESSAGE of the right size; a frame decrypts
//!   to exactly the flags and body sent when its nonce is above every one
//!   accepted before in its direction, and is rejected otherwise (replay,
//!   reordering); every tampered frame, replayed frame and arbitrary body
//!   is rejected; a rejected frame leaves the cipher as it was (a fresh
//!   genuine frame is still accepted afterwards, in both directions).
//!
//! Determinism: the permanent keys come from fixed secret octets, but the
//! transient keys, cookie keys and long nonces inside the mechanisms come
//! from the operating system's generator, so the bytes differ from run to
//! run. Neither the control flow nor the properties depend on them (except
//! with the probability of forging a Poly1305 tag), which is what
//! libFuzzer needs; and since the fuzzer never sees the same session key
//! twice, it cannot learn a genuine box from one run to replay in another.

use std::collections::VecDeque;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use oxmq_zmtp::frame::{put_header, FrameHeader, FLAG_COMMAND, FLAG_LONG, FLAG_MORE};
use oxmq_zmtp::greeting::{Greeting, GREETING_LEN};
use oxmq_zmtp::mechanism::curve::{HELLO, HELLO_LEN, INITIATE, INITIATE_MIN_LEN, MESSAGE, READY};
use oxmq_zmtp::mechanism::curve::{MESSAGE_MIN_LEN, WELCOME, WELCOME_LEN};
use oxmq_zmtp::mechanism::{FrameCipher, BAD_SOCKET_TYPE_REASON};
use oxmq_zmtp::{
    AuthReply, CurveKeyPair, CurvePublicKey, CurveSecretKey, Error, Established, Handshake,
    HandshakeConfig, HandshakeEvent, Mechanism, MechanismConfig, MechanismName, Metadata,
    ProtocolError, SocketType, Version,
};

use crate::{chunk_sizes, chunks, Input};

/// Which side of CURVE is under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The SUT is the CURVE server; the genuine peer a client.
    Server,
    /// The SUT is the CURVE client; the genuine peer a server.
    Client,
}

/// The user id the authenticator gives when it lets the client in.
pub const USER_ID: &[u8] = b"fuzz-user";
/// The routing id the genuine peer announces (for the socket types that
/// send one).
pub const PEER_ROUTING_ID: &[u8] = b"peer-id";
/// An application property the genuine peer announces.
pub const PEER_PROPERTY: (&str, &[u8]) = ("X-Fuzz", b"curve");

/// The fixed permanent keys of a run.
#[derive(Debug)]
pub struct Keys {
    /// The server's pair.
    pub server: CurveKeyPair,
    /// The client's pair.
    pub client: CurveKeyPair,
    /// A public key that is not the server's (what a misconfigured client
    /// believes the server's is).
    pub wrong_server: CurvePublicKey,
}

/// The permanent keys, derived once from fixed secret octets.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| Keys {
        server: CurveKeyPair::from_secret(CurveSecretKey::from_bytes([0x53; 32])),
        client: CurveKeyPair::from_secret(CurveSecretKey::from_bytes([0x43; 32])),
        wrong_server: CurveSecretKey::from_bytes([0x57; 32]).public_key(),
    })
}

/// Every (ours, theirs) pair of standard socket types that may talk.
pub fn compatible_pairs() -> Vec<(SocketType, SocketType)> {
    let mut pairs = Vec::new();
    for ours in SocketType::STANDARD {
        for theirs in SocketType::STANDARD {
            if ours.is_compatible_with(theirs) {
                pairs.push((ours, theirs));
            }
        }
    }
    pairs
}

/// Where `ty` is in [`SocketType::STANDARD`].
pub fn type_index(ty: SocketType) -> u8 {
    SocketType::STANDARD
        .iter()
        .position(|&t| t == ty)
        .unwrap_or(0) as u8
}

// ------------------------------------------------------------- script ----

/// The first four octets of a script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// The client believes another key is the server's.
    pub wrong_key: bool,
    /// `a` and `b` index [`SocketType::STANDARD`] (SUT's type, peer's
    /// type) rather than `a` indexing [`compatible_pairs`].
    pub any_types: bool,
    /// First socket type choice.
    pub a: u8,
    /// Second socket type choice.
    pub b: u8,
    /// How the bytes for the SUT are cut ([`chunk_sizes`]).
    pub chunk: u8,
}

impl Header {
    /// The right key, socket types `sut` and `peer`, input fed whole.
    pub fn types(sut: SocketType, peer: SocketType) -> Header {
        Header {
            wrong_key: false,
            any_types: true,
            a: type_index(sut),
            b: type_index(peer),
            chunk: 0,
        }
    }

    fn read(i: &mut Input<'_>) -> Header {
        let flags = i.byte();
        Header {
            wrong_key: flags & 1 != 0,
            any_types: flags & 2 != 0,
            a: i.byte(),
            b: i.byte(),
            chunk: i.byte(),
        }
    }

    /// Appends the header's octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        out.push(u8::from(self.wrong_key) | u8::from(self.any_types) << 1);
        out.extend_from_slice(&[self.a, self.b, self.chunk]);
    }

    /// (SUT's socket type, peer's socket type).
    pub fn socket_types(&self) -> (SocketType, SocketType) {
        let n = SocketType::STANDARD.len();
        if self.any_types {
            (
                SocketType::STANDARD[usize::from(self.a) % n],
                SocketType::STANDARD[usize::from(self.b) % n],
            )
        } else {
            let pairs = compatible_pairs();
            pairs[usize::from(self.a) % pairs.len()]
        }
    }
}

/// A change that always alters what it is applied to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mutation {
    /// XOR the octet at `at` (modulo the length) with `mask` (1 if 0).
    Flip {
        /// Where.
        at: u16,
        /// With what.
        mask: u8,
    },
    /// Keep the first `to` (modulo the length) octets.
    Truncate {
        /// How many are kept.
        to: u16,
    },
    /// Append 1 to 32 octets (a zero if none is given).
    Extend {
        /// What is appended.
        tail: Vec<u8>,
    },
}

impl Mutation {
    fn read(i: &mut Input<'_>) -> Mutation {
        match i.byte() % 3 {
            0 => Mutation::Flip {
                at: i.u16(),
                mask: i.byte(),
            },
            1 => Mutation::Truncate { to: i.u16() },
            _ => {
                let n = 1 + usize::from(i.byte() % 32);
                Mutation::Extend {
                    tail: i.take(n).to_vec(),
                }
            }
        }
    }

    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Mutation::Flip { at, mask } => {
                out.push(0);
                out.extend_from_slice(&at.to_be_bytes());
                out.push(*mask);
            }
            Mutation::Truncate { to } => {
                out.push(1);
                out.extend_from_slice(&to.to_be_bytes());
            }
            Mutation::Extend { tail } => {
                let tail = &tail[..tail.len().clamp(1, 32)];
                out.push(2);
                out.push((tail.len() - 1) as u8);
                out.extend_from_slice(tail);
            }
        }
    }

    /// `orig` altered (never equal to it).
    pub fn apply(&self, orig: &[u8]) -> Vec<u8> {
        let mut v = orig.to_vec();
        match self {
            Mutation::Flip { at, mask } if !v.is_empty() => {
                let i = usize::from(*at) % v.len();
                v[i] ^= if *mask == 0 { 1 } else { *mask };
            }
            Mutation::Truncate { to } if !v.is_empty() => v.truncate(usize::from(*to) % v.len()),
            Mutation::Extend { tail } if !tail.is_empty() => v.extend_from_slice(tail),
            _ => v.push(0),
        }
        v
    }
}

/// The authenticator's status code chosen by an [`Step::Auth`] octet.
pub fn status_code(choice: u8) -> u16 {
    const CODES: [u16; 8] = [200, 300, 400, 500, 0, 100, 301, 65535];
    CODES[usize::from(choice) % CODES.len()]
}

/// The code an authenticator's status turns into (oxmq and libzmq report
/// anything but 200, 300, 400 and 500 as 500).
pub fn effective_code(code: u16) -> u16 {
    match code {
        200 | 300 | 400 | 500 => code,
        _ => 500,
    }
}

/// One step of the handshake phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The peer's next command, as it is (nothing if none is waiting).
    Genuine,
    /// The peer's next command, mutated (it is not delivered otherwise).
    Mutate(Mutation),
    /// Again one of the peer's commands taken so far (`index` modulo
    /// their number).
    Replay {
        /// Which one.
        index: u8,
    },
    /// The peer's next command is lost.
    Drop,
    /// An arbitrary command body (up to 255 octets), framed.
    RawCommand {
        /// The body.
        body: Vec<u8>,
    },
    /// Arbitrary octets (up to 63) straight onto the wire.
    RawWire {
        /// The octets.
        bytes: Vec<u8>,
    },
    /// The pending authentication question (the SUT's or the peer's) is
    /// answered with [`status_code`]`(choice)`.
    Auth {
        /// Which status code.
        choice: u8,
    },
    /// The SUT is given an authentication reply nobody asked for (only
    /// while it has no question pending).
    SpuriousAuth,
}

impl Step {
    fn read(i: &mut Input<'_>) -> Step {
        match i.byte() % 8 {
            0 => Step::Genuine,
            1 => Step::Mutate(Mutation::read(i)),
            2 => Step::Replay { index: i.byte() },
            3 => Step::Drop,
            4 => {
                let n = usize::from(i.byte());
                Step::RawCommand {
                    body: i.take(n).to_vec(),
                }
            }
            5 => {
                let n = usize::from(i.byte() % 64);
                Step::RawWire {
                    bytes: i.take(n).to_vec(),
                }
            }
            6 => Step::Auth { choice: i.byte() },
            _ => Step::SpuriousAuth,
        }
    }

    /// Appends the step's octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            Step::Genuine => out.push(0),
            Step::Mutate(m) => {
                out.push(1);
                m.encode(out);
            }
            Step::Replay { index } => out.extend_from_slice(&[2, *index]),
            Step::Drop => out.push(3),
            Step::RawCommand { body } => {
                let body = &body[..body.len().min(255)];
                out.extend_from_slice(&[4, body.len() as u8]);
                out.extend_from_slice(body);
            }
            Step::RawWire { bytes } => {
                let bytes = &bytes[..bytes.len().min(63)];
                out.extend_from_slice(&[5, bytes.len() as u8]);
                out.extend_from_slice(bytes);
            }
            Step::Auth { choice } => out.extend_from_slice(&[6, *choice]),
            Step::SpuriousAuth => out.push(7),
        }
    }
}

/// One step of the message phase. `to_sut`: the peer encrypts and the SUT
/// decrypts; otherwise the other way round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameStep {
    /// A frame is encrypted and put in flight.
    Send {
        /// Direction.
        to_sut: bool,
        /// ZMTP flags (MORE 0x01, COMMAND 0x04; other bits are dropped).
        flags: u8,
        /// The body (up to 599 octets).
        body: Vec<u8>,
    },
    /// The in-flight frame number `index` (modulo their number) arrives.
    Deliver {
        /// Direction.
        to_sut: bool,
        /// Which one.
        index: u8,
    },
    /// A mutated copy of an in-flight frame (or, when none is in flight,
    /// of a delivered one) arrives; the original stays in flight.
    Tamper {
        /// Direction.
        to_sut: bool,
        /// Which one.
        index: u8,
        /// How it is changed.
        mutation: Mutation,
    },
    /// A frame delivered before arrives again.
    Replay {
        /// Direction.
        to_sut: bool,
        /// Which one.
        index: u8,
    },
    /// An arbitrary frame body (up to 255 octets) arrives.
    Raw {
        /// Direction.
        to_sut: bool,
        /// The body.
        body: Vec<u8>,
    },
}

impl FrameStep {
    fn read(i: &mut Input<'_>) -> FrameStep {
        let op = i.byte() % 10;
        let to_sut = op < 5;
        match op % 5 {
            0 => {
                let flags = i.byte();
                let n = usize::from(i.u16() % 600);
                FrameStep::Send {
                    to_sut,
                    flags,
                    body: i.take(n).to_vec(),
                }
            }
            1 => FrameStep::Deliver {
                to_sut,
                index: i.byte(),
            },
            2 => FrameStep::Tamper {
                to_sut,
                index: i.byte(),
                mutation: Mutation::read(i),
            },
            3 => FrameStep::Replay {
                to_sut,
                index: i.byte(),
            },
            _ => {
                let n = usize::from(i.byte());
                FrameStep::Raw {
                    to_sut,
                    body: i.take(n).to_vec(),
                }
            }
        }
    }

    /// Appends the step's octets.
    pub fn encode(&self, out: &mut Vec<u8>) {
        let dir = |to_sut: bool, op: u8| if to_sut { op } else { op + 5 };
        match self {
            FrameStep::Send {
                to_sut,
                flags,
                body,
            } => {
                let body = &body[..body.len().min(599)];
                out.extend_from_slice(&[dir(*to_sut, 0), *flags]);
                out.extend_from_slice(&(body.len() as u16).to_be_bytes());
                out.extend_from_slice(body);
            }
            FrameStep::Deliver { to_sut, index } => {
                out.extend_from_slice(&[dir(*to_sut, 1), *index]);
            }
            FrameStep::Tamper {
                to_sut,
                index,
                mutation,
            } => {
                out.extend_from_slice(&[dir(*to_sut, 2), *index]);
                mutation.encode(out);
            }
            FrameStep::Replay { to_sut, index } => {
                out.extend_from_slice(&[dir(*to_sut, 3), *index]);
            }
            FrameStep::Raw { to_sut, body } => {
                let body = &body[..body.len().min(255)];
                out.extend_from_slice(&[dir(*to_sut, 4), body.len() as u8]);
                out.extend_from_slice(body);
            }
        }
    }
}

/// A whole script: header, handshake steps, then message-phase steps
/// (which only count if the handshake completes with the handshake steps).
pub fn script(header: Header, steps: &[Step], frames: &[FrameStep]) -> Vec<u8> {
    let mut out = Vec::new();
    header.encode(&mut out);
    for s in steps {
        s.encode(&mut out);
    }
    for f in frames {
        f.encode(&mut out);
    }
    out
}

// ------------------------------------------------------------- driver ----

/// What a run came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// The SUT's handshake completed.
    pub completed: bool,
    /// Why it failed, if it did.
    pub failure: Option<String>,
    /// The handshake script steps that were run.
    pub steps: usize,
    /// Frames decrypted (including the final exchange).
    pub frames_accepted: usize,
    /// Frames rejected.
    pub frames_rejected: usize,
}

/// How the SUT's handshake ended.
#[derive(Debug)]
enum Terminal {
    Complete(Box<Established>),
    Failed(Error),
}

/// The SUT, its genuine peer and everything the checks need.
struct Run {
    role: Role,
    wrong_key: bool,
    sut_type: SocketType,
    peer_type: SocketType,
    compatible: bool,
    now: Instant,
    sizes: Vec<usize>,

    hs: Handshake,
    /// The SUT's input buffer (what it has not consumed).
    buf: BytesMut,
    /// Every octet given to the SUT, the peer's greeting first.
    fed: Vec<u8>,
    /// Everything the SUT sent.
    sent: BytesMut,
    /// How much of `sent` is parsed.
    parsed: usize,
    /// The command bodies the SUT sent.
    sut_cmds: Vec<Bytes>,
    terminal: Option<Terminal>,
    asked: usize,
    sut_auth_pending: bool,

    peer: Option<Box<dyn Mechanism>>,
    peer_failed: bool,
    peer_auth_pending: bool,
    peer_cipher: Option<Box<dyn FrameCipher>>,
    /// Every command the peer produced, in order.
    genuine: Vec<Bytes>,
    /// The peer's commands not yet taken by a step.
    pending: VecDeque<Bytes>,
    /// The peer's commands taken so far (delivered, mutated or dropped).
    taken: Vec<Bytes>,

    /// Some authenticator said anything but 200.
    refused: bool,
    /// The SUT got an authentication reply it had not asked for.
    spurious: bool,
}

/// Runs the script `data` against the CURVE side `role`, checking every
/// property of the module docs; panics on a violation.
pub fn run_script(role: Role, data: &[u8]) -> Report {
    let mut input = Input::new(data);
    let header = Header::read(&mut input);
    let mut run = Run::new(role, &header);
    let mut report = Report::default();

    // The peer's greeting, then the script.
    let mut greeting = Vec::with_capacity(GREETING_LEN);
    Greeting::new(MechanismName::CURVE, role == Role::Client).encode(&mut greeting);
    run.feed(&greeting);
    while !run.hs.is_finished() && !input.is_empty() {
        let step = Step::read(&mut input);
        run.step(&step);
        report.steps += 1;
    }
    run.finish_genuinely();
    run.end_handshake();

    match run.terminal.take() {
        Some(Terminal::Complete(est)) => {
            report.completed = true;
            let peer_cipher = run.peer_cipher.take();
            let (Some(sut), Some(peer)) = (est.cipher, peer_cipher) else {
                panic!("a completed CURVE handshake without both ciphers");
            };
            let mut msgs = Messages::new(sut, peer);
            while !input.is_empty() {
                msgs.step(&FrameStep::read(&mut input));
            }
            msgs.final_exchange();
            report.frames_accepted = msgs.accepted;
            report.frames_rejected = msgs.rejected;
        }
        Some(Terminal::Failed(e)) => report.failure = Some(e.to_string()),
        None => panic!("the handshake ended without a terminal event"),
    }
    report
}

impl Run {
    fn new(role: Role, header: &Header) -> Run {
        let keys = keys();
        let (sut_type, peer_type) = header.socket_types();
        let server_key = if header.wrong_key {
            keys.wrong_server
        } else {
            keys.server.public
        };
        let server = MechanismConfig::CurveServer {
            keypair: keys.server.clone(),
        };
        let client = MechanismConfig::CurveClient {
            server_key,
            keypair: keys.client.clone(),
        };
        let (sut_config, peer_config) = match role {
            Role::Server => (server, client),
            Role::Client => (client, server),
        };
        let now = Instant::now();
        let config = HandshakeConfig {
            timeout: Some(Duration::from_secs(30)),
            ..HandshakeConfig::default()
        };
        let hs = Handshake::new(
            &config,
            sut_config.build(sut_type, None, &Metadata::new()),
            now,
        );
        let mut app = Metadata::new();
        app.insert(PEER_PROPERTY.0, PEER_PROPERTY.1);
        let mut peer =
            peer_config.build(peer_type, Some(Bytes::from_static(PEER_ROUTING_ID)), &app);
        if let Err(e) = peer.start(Version::V3_1) {
            panic!("the genuine peer does not start: {e}");
        }
        let mut run = Run {
            role,
            wrong_key: header.wrong_key,
            sut_type,
            peer_type,
            compatible: sut_type.is_compatible_with(peer_type),
            now,
            sizes: chunk_sizes(header.chunk),
            hs,
            buf: BytesMut::new(),
            fed: Vec::new(),
            sent: BytesMut::new(),
            parsed: 0,
            sut_cmds: Vec::new(),
            terminal: None,
            asked: 0,
            sut_auth_pending: false,
            peer: Some(peer),
            peer_failed: false,
            peer_auth_pending: false,
            peer_cipher: None,
            genuine: Vec::new(),
            pending: VecDeque::new(),
            taken: Vec::new(),
            refused: false,
            spurious: false,
        };
        run.pump();
        run
    }

    /// Runs one script step.
    fn step(&mut self, step: &Step) {
        match step {
            Step::Genuine => {
                if let Some(cmd) = self.take_next() {
                    self.deliver(&cmd);
                }
            }
            Step::Mutate(m) => {
                if let Some(cmd) = self.take_next() {
                    self.deliver(&m.apply(&cmd));
                }
            }
            Step::Replay { index } => {
                if !self.taken.is_empty() {
                    let cmd = self.taken[usize::from(*index) % self.taken.len()].clone();
                    self.deliver(&cmd);
                }
            }
            Step::Drop => {
                self.take_next();
            }
            Step::RawCommand { body } => self.deliver(body),
            Step::RawWire { bytes } => self.feed(bytes),
            Step::Auth { choice } => self.answer(status_code(*choice)),
            Step::SpuriousAuth => {
                if !self.sut_auth_pending && !self.hs.is_finished() {
                    self.spurious = true;
                    self.hs.handle_auth_reply(AuthReply::allow(USER_ID));
                    self.pump();
                    assert!(
                        matches!(self.terminal, Some(Terminal::Failed(_))),
                        "an unasked-for authentication reply did not fail the handshake"
                    );
                }
            }
        }
    }

    /// Takes the peer's next command off the pending queue.
    fn take_next(&mut self) -> Option<Bytes> {
        let cmd = self.pending.pop_front()?;
        self.taken.push(cmd.clone());
        Some(cmd)
    }

    /// Frames `body` as a command and feeds it to the SUT.
    fn deliver(&mut self, body: &[u8]) {
        let mut wire = Vec::with_capacity(body.len() + 9);
        put_header(&mut wire, FLAG_COMMAND, body.len());
        wire.extend_from_slice(body);
        self.feed(&wire);
    }

    /// Feeds `bytes` to the SUT, cut by the scenario's chunk sizes.
    fn feed(&mut self, bytes: &[u8]) {
        self.fed.extend_from_slice(bytes);
        let sizes = self.sizes.clone();
        for piece in chunks(bytes, &sizes) {
            self.buf.extend_from_slice(piece);
            let finished = self.hs.is_finished();
            let before = self.buf.clone();
            self.hs.handle_input(&mut self.buf);
            if finished {
                assert_eq!(self.buf, before, "a finished handshake consumed input");
            }
            self.pump();
        }
    }

    /// Answers the pending authentication question, if any.
    fn answer(&mut self, code: u16) {
        let reply = if code == 200 {
            AuthReply::allow(USER_ID)
        } else {
            AuthReply::deny(code, "refused by the script")
        };
        let expected = effective_code(code);
        if self.sut_auth_pending {
            self.sut_auth_pending = false;
            if self.hs.is_finished() {
                return;
            }
            let errors_before = self.sut_cmds.len();
            self.hs.handle_auth_reply(reply);
            self.pump();
            if code == 200 {
                assert!(
                    matches!(self.terminal, Some(Terminal::Complete(_))),
                    "200 did not complete the server: {:?}",
                    self.terminal
                );
            } else {
                self.refused = true;
                match &self.terminal {
                    Some(Terminal::Failed(Error::Auth(f))) => {
                        assert_eq!(f.status_code, expected, "refusal {code} reported as");
                    }
                    other => panic!("refusal {code} ended with {other:?}"),
                }
                let new = &self.sut_cmds[errors_before..];
                if expected == 300 {
                    assert!(new.is_empty(), "300 must close silently, sent {new:?}");
                } else {
                    assert_eq!(new.len(), 1, "refusal {code}: one ERROR expected");
                    assert_eq!(
                        error_reason(&new[0]).as_deref(),
                        Some(expected.to_string().as_bytes()),
                        "refusal {code}: the ERROR carries the status code"
                    );
                }
            }
        } else if self.peer_auth_pending {
            self.peer_auth_pending = false;
            let Some(peer) = self.peer.as_mut() else {
                return;
            };
            let result = peer.handle_auth_reply(reply);
            if code == 200 {
                if let Err(e) = result {
                    panic!("the genuine server refused its own 200: {e}");
                }
            } else {
                self.refused = true;
                match result {
                    Err(Error::Auth(f)) => assert_eq!(f.status_code, expected),
                    other => panic!("refusal {code} ended the genuine server with {other:?}"),
                }
                self.peer_failed = true;
            }
            self.pump();
        }
    }

    /// Moves everything along: the SUT's events are checked, its output
    /// goes to the peer, the peer's output is queued for the script.
    fn pump(&mut self) {
        loop {
            while let Some(ev) = self.hs.poll_event() {
                self.on_event(ev);
            }
            assert_eq!(
                self.hs.is_finished(),
                self.terminal.is_some(),
                "is_finished out of step"
            );
            self.hs.poll_transmit(&mut self.sent);
            let mut progress = false;
            for body in self.parse_sent() {
                self.relay_to_peer(body);
                progress = true;
            }
            if let Some(peer) = self.peer.as_mut() {
                while let Some(cmd) = peer.poll_command() {
                    self.genuine.push(cmd.clone());
                    self.pending.push_back(cmd);
                    progress = true;
                }
                if let Some(req) = peer.poll_auth_request() {
                    assert_eq!(self.role, Role::Client, "the genuine client asked");
                    assert_eq!(req.mechanism, MechanismName::CURVE);
                    assert_eq!(req.credentials, [keys().client.public.as_bytes().to_vec()]);
                    self.peer_auth_pending = true;
                }
                if !self.peer_failed && self.peer_cipher.is_none() && peer.is_complete() {
                    if let Some(peer) = self.peer.take() {
                        match peer.finish() {
                            Ok(outcome) => {
                                assert_eq!(outcome.peer_socket_type, self.sut_type);
                                assert!(outcome.cipher.is_some(), "CURVE without a cipher");
                                self.peer_cipher = outcome.cipher;
                            }
                            Err(e) => panic!("the genuine peer completed but cannot finish: {e}"),
                        }
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }

    /// The SUT's frames sent since the last call, checked; their bodies.
    fn parse_sent(&mut self) -> Vec<Bytes> {
        let mut out = Vec::new();
        if self.parsed == 0 {
            if self.sent.len() < GREETING_LEN {
                return out;
            }
            let mut ours = Vec::with_capacity(GREETING_LEN);
            Greeting::new(MechanismName::CURVE, self.role == Role::Server).encode(&mut ours);
            assert_eq!(&self.sent[..GREETING_LEN], &ours[..], "our greeting first");
            self.parsed = GREETING_LEN;
        }
        while self.parsed < self.sent.len() {
            let rest = &self.sent[self.parsed..];
            let header = match FrameHeader::peek(rest) {
                Ok(Some(h)) => h,
                other => panic!("the SUT sent a bad frame header: {other:?}"),
            };
            assert!(
                header.is_command(),
                "the SUT sent a message in its handshake"
            );
            let end = header.header_len + header.size as usize;
            assert!(rest.len() >= end, "the SUT sent a partial frame");
            let body = Bytes::copy_from_slice(&rest[header.header_len..end]);
            self.parsed += end;
            self.check_sut_command(&body);
            out.push(body);
        }
        out
    }

    /// What the SUT may send, and in which order.
    fn check_sut_command(&mut self, body: &Bytes) {
        let before: Vec<&[u8]> = self.sut_cmds.iter().map(|c| name(c)).collect();
        match self.role {
            Role::Server => {
                assert!(
                    !before.contains(&&b"ERROR"[..]),
                    "the server sent {:?} after ERROR",
                    String::from_utf8_lossy(name(body))
                );
                if body.starts_with(WELCOME) {
                    assert!(before.is_empty(), "WELCOME after {before:?}");
                    assert_eq!(body.len(), WELCOME_LEN);
                } else if body.starts_with(READY) {
                    assert_eq!(before, [&b"WELCOME"[..]], "READY out of order");
                } else if let Some(reason) = error_reason(body) {
                    assert_eq!(before, [&b"WELCOME"[..]], "ERROR out of order");
                    assert!(
                        [BAD_SOCKET_TYPE_REASON.as_bytes(), b"400", b"500"].contains(&&reason[..]),
                        "ERROR with reason {reason:?}"
                    );
                } else {
                    panic!("the server sent {body:?}");
                }
            }
            Role::Client => {
                if body.starts_with(HELLO) {
                    assert!(before.is_empty(), "HELLO after {before:?}");
                    assert_eq!(body.len(), HELLO_LEN);
                } else if body.starts_with(INITIATE) {
                    assert_eq!(before, [&b"HELLO"[..]], "INITIATE out of order");
                    assert!(body.len() >= INITIATE_MIN_LEN);
                } else {
                    // Including ERROR: "A client peer SHALL NOT send ERROR".
                    panic!("the client sent {body:?}");
                }
            }
        }
        self.sut_cmds.push(body.clone());
    }

    /// Gives one of the SUT's commands to the genuine peer.
    fn relay_to_peer(&mut self, body: Bytes) {
        if self.peer_failed {
            return;
        }
        let Some(peer) = self.peer.as_mut() else {
            panic!("the SUT sent {body:?} after its peer completed");
        };
        let is_error = error_reason(&body).is_some();
        if let Err(e) = peer.handle_command(body) {
            self.peer_failed = true;
            match self.role {
                // The genuine client fails only on the server's ERROR.
                Role::Server => assert!(is_error, "the genuine client rejected the SUT: {e}"),
                // The genuine server fails only on a client with the wrong
                // key or socket type.
                Role::Client => assert!(
                    self.wrong_key || !self.compatible,
                    "the genuine server rejected the SUT: {e}"
                ),
            }
        }
    }

    fn on_event(&mut self, ev: HandshakeEvent) {
        assert!(
            self.terminal.is_none(),
            "event {ev:?} after {:?}",
            self.terminal
        );
        match ev {
            HandshakeEvent::Authenticate(req) => {
                assert_eq!(self.role, Role::Server, "the CURVE client asked");
                self.asked += 1;
                assert_eq!(self.asked, 1, "asked to authenticate twice");
                assert_eq!(req.mechanism, MechanismName::CURVE);
                assert_eq!(
                    req.credentials,
                    [keys().client.public.as_bytes().to_vec()],
                    "the authenticator is asked about another key"
                );
                assert!(!self.wrong_key && self.compatible);
                self.sut_auth_pending = true;
            }
            HandshakeEvent::Complete(est) => {
                self.check_complete(&est);
                self.terminal = Some(Terminal::Complete(est));
            }
            HandshakeEvent::Failed(e) => {
                self.check_failed(&e);
                self.terminal = Some(Terminal::Failed(e));
            }
        }
    }

    fn check_complete(&self, est: &Established) {
        assert!(!self.wrong_key, "completed with the wrong server key");
        assert!(self.compatible, "completed with an incompatible peer");
        assert!(!self.refused && !self.spurious);
        let consumed = &self.fed[GREETING_LEN..self.fed.len() - self.buf.len()];
        assert!(
            same_modulo_padding(consumed, &self.genuine, self.role),
            "completed on commands that are not the peer's"
        );
        let peer = &est.peer;
        assert_eq!(peer.mechanism, MechanismName::CURVE);
        assert_eq!(peer.socket_type, self.peer_type);
        let routing_id = self
            .peer_type
            .sends_identity()
            .then(|| Bytes::from_static(PEER_ROUTING_ID));
        assert_eq!(peer.routing_id, routing_id);
        assert_eq!(
            peer.metadata.get(PEER_PROPERTY.0).map(|v| &v[..]),
            Some(PEER_PROPERTY.1)
        );
        match self.role {
            Role::Server => assert_eq!(peer.user_id.as_deref(), Some(USER_ID)),
            Role::Client => assert_eq!(peer.user_id, None),
        }
        assert!(est.cipher.is_some(), "CURVE completed without a cipher");
    }

    fn check_failed(&self, e: &Error) {
        if let Error::Protocol(
            ProtocolError::IncompatibleSocketType { .. } | ProtocolError::BadSocketType(_),
        ) = e
        {
            assert!(!self.compatible, "a compatible peer refused: {e}");
            // The ERROR is queued with the failure: see `end_handshake`.
        }
    }

    /// Delivers what is pending and answers what is asked, as a genuine
    /// network and authenticator would, until nothing moves.
    fn finish_genuinely(&mut self) {
        while !self.hs.is_finished() {
            if let Some(cmd) = self.take_next() {
                self.deliver(&cmd);
            } else if self.sut_auth_pending || self.peer_auth_pending {
                self.answer(200);
            } else {
                break;
            }
        }
    }

    /// The end of the handshake: timeout, ERROR and liveness checks.
    fn end_handshake(&mut self) {
        if self.terminal.is_none() {
            assert_eq!(
                self.hs.poll_timeout(),
                Some(self.now + Duration::from_secs(30))
            );
            self.hs.handle_timeout(self.now + Duration::from_secs(3600));
            match self.hs.poll_event() {
                Some(HandshakeEvent::Failed(Error::HandshakeTimeout)) => {
                    self.terminal = Some(Terminal::Failed(Error::HandshakeTimeout));
                }
                other => panic!("expected a timeout, got {other:?}"),
            }
        }
        assert!(self.hs.poll_event().is_none(), "an event after the end");
        assert!(self.hs.is_finished());
        assert!(
            self.hs.poll_timeout().is_none(),
            "a finished handshake has a deadline"
        );
        self.hs.poll_transmit(&mut self.sent);
        assert!(self.parse_sent().is_empty(), "sent something after the end");

        // An incompatible client gets an ERROR from the server, nothing
        // from the client.
        if let Some(Terminal::Failed(Error::Protocol(ProtocolError::IncompatibleSocketType {
            ..
        }))) = &self.terminal
        {
            let last = self.sut_cmds.last().and_then(|c| error_reason(c));
            match self.role {
                Role::Server => assert_eq!(
                    last.as_deref(),
                    Some(BAD_SOCKET_TYPE_REASON.as_bytes()),
                    "an incompatible client gets an ERROR"
                ),
                Role::Client => assert_eq!(last, None),
            }
        }

        // Liveness: the genuine exchange, untouched, completes.
        let all_genuine = self.fed[GREETING_LEN..] == wire_of(&self.genuine)[..];
        if all_genuine && !self.wrong_key && self.compatible && !self.refused && !self.spurious {
            assert!(
                matches!(self.terminal, Some(Terminal::Complete(_))),
                "the genuine exchange did not complete: {:?}",
                self.terminal
            );
        }
        if matches!(self.terminal, Some(Terminal::Complete(_))) {
            assert!(
                self.peer_cipher.is_some(),
                "the genuine peer did not complete"
            );
        }
    }
}

/// The name of a command body (empty if malformed).
fn name(body: &[u8]) -> &[u8] {
    match body.split_first() {
        Some((&n, rest)) => &rest[..usize::from(n).min(rest.len())],
        None => &[],
    }
}

/// The reason of an ERROR command body.
fn error_reason(body: &[u8]) -> Option<Vec<u8>> {
    let rest = body.strip_prefix(b"\x05ERROR")?;
    let (&n, reason) = rest.split_first()?;
    reason.get(..usize::from(n)).map(<[u8]>::to_vec)
}

/// The command frames of `cmds`, as [`Run::deliver`] frames them.
fn wire_of(cmds: &[Bytes]) -> Vec<u8> {
    let mut wire = Vec::new();
    for c in cmds {
        put_header(&mut wire, FLAG_COMMAND, c.len());
        wire.extend_from_slice(c);
    }
    wire
}

/// Whether `consumed` is the wire of `genuine`, except (for a server) in
/// the padding of the first command, HELLO: octets 8 to 79 of its body.
fn same_modulo_padding(consumed: &[u8], genuine: &[Bytes], role: Role) -> bool {
    let expected = wire_of(genuine);
    if consumed.len() != expected.len() {
        return false;
    }
    let padding = match (role, genuine.first()) {
        (Role::Server, Some(hello)) if hello.starts_with(HELLO) && hello.len() == HELLO_LEN => {
            2 + 8..2 + 80
        }
        _ => 0..0,
    };
    consumed
        .iter()
        .zip(&expected)
        .enumerate()
        .all(|(i, (a, b))| a == b || padding.contains(&i))
}

// ------------------------------------------------------ message phase ----

/// A frame in flight or delivered.
#[derive(Debug, Clone)]
struct Sent {
    seq: u64,
    flags: u8,
    body: Vec<u8>,
    /// The body of the wire frame (the MESSAGE command).
    wire: Bytes,
}

/// One direction of the message phase.
#[derive(Debug, Default)]
struct Lane {
    next_seq: u64,
    last_accepted: Option<u64>,
    in_flight: Vec<Sent>,
    delivered: Vec<Bytes>,
}

/// The two ciphers of a completed handshake and their traffic.
struct Messages {
    sut: Box<dyn FrameCipher>,
    peer: Box<dyn FrameCipher>,
    to_sut: Lane,
    from_sut: Lane,
    accepted: usize,
    rejected: usize,
}

impl Messages {
    fn new(sut: Box<dyn FrameCipher>, peer: Box<dyn FrameCipher>) -> Messages {
        Messages {
            sut,
            peer,
            to_sut: Lane::default(),
            from_sut: Lane::default(),
            accepted: 0,
            rejected: 0,
        }
    }

    /// (lane, encrypting side, decrypting side) of a direction.
    fn parts(&mut self, to_sut: bool) -> (&mut Lane, &mut dyn FrameCipher, &mut dyn FrameCipher) {
        if to_sut {
            (&mut self.to_sut, &mut *self.peer, &mut *self.sut)
        } else {
            (&mut self.from_sut, &mut *self.sut, &mut *self.peer)
        }
    }

    fn step(&mut self, step: &FrameStep) {
        match step {
            FrameStep::Send {
                to_sut,
                flags,
                body,
            } => self.send(*to_sut, *flags, body),
            FrameStep::Deliver { to_sut, index } => {
                let (lane, _, _) = self.parts(*to_sut);
                if !lane.in_flight.is_empty() {
                    let i = usize::from(*index) % lane.in_flight.len();
                    let frame = lane.in_flight.remove(i);
                    self.deliver(*to_sut, frame);
                }
            }
            FrameStep::Tamper {
                to_sut,
                index,
                mutation,
            } => {
                let (lane, _, _) = self.parts(*to_sut);
                let source = if lane.in_flight.is_empty() {
                    if lane.delivered.is_empty() {
                        return;
                    }
                    lane.delivered[usize::from(*index) % lane.delivered.len()].clone()
                } else {
                    lane.in_flight[usize::from(*index) % lane.in_flight.len()]
                        .wire
                        .clone()
                };
                self.reject(
                    *to_sut,
                    Bytes::from(mutation.apply(&source)),
                    "a tampered frame",
                );
            }
            FrameStep::Replay { to_sut, index } => {
                let (lane, _, _) = self.parts(*to_sut);
                if !lane.delivered.is_empty() {
                    let wire = lane.delivered[usize::from(*index) % lane.delivered.len()].clone();
                    self.reject(*to_sut, wire, "a replayed frame");
                }
            }
            FrameStep::Raw { to_sut, body } => {
                self.reject(*to_sut, Bytes::from(body.clone()), "an arbitrary frame");
            }
        }
    }

    /// Encrypts a frame and puts it in flight; checks the wire form.
    fn send(&mut self, to_sut: bool, flags: u8, body: &[u8]) {
        let flags = flags & (FLAG_MORE | FLAG_COMMAND);
        let (lane, enc, _) = self.parts(to_sut);
        let mut dst = BytesMut::new();
        if let Err(e) = enc.encrypt(flags, body, &mut dst) {
            panic!("encryption failed: {e}");
        }
        let header = match FrameHeader::peek(&dst) {
            Ok(Some(h)) => h,
            other => panic!("the cipher wrote a bad frame header: {other:?}"),
        };
        assert_eq!(header.flags, 0, "MESSAGE travels in a plain frame");
        assert_eq!(
            dst[0] & FLAG_LONG != 0,
            header.size > 255,
            "long iff needed"
        );
        assert_eq!(
            header.header_len + header.size as usize,
            dst.len(),
            "one frame"
        );
        let wire = dst.split_off(header.header_len).freeze();
        assert!(wire.starts_with(MESSAGE));
        assert_eq!(wire.len(), MESSAGE_MIN_LEN + body.len());
        let seq = lane.next_seq;
        lane.next_seq += 1;
        lane.in_flight.push(Sent {
            seq,
            flags,
            body: body.to_vec(),
            wire,
        });
    }

    /// A genuine frame arrives: accepted with its content iff it is newer
    /// than everything accepted before.
    fn deliver(&mut self, to_sut: bool, frame: Sent) {
        let (lane, _, dec) = self.parts(to_sut);
        let fresh = lane.last_accepted.is_none_or(|last| frame.seq > last);
        let result = dec.decrypt(frame.wire.clone());
        if fresh {
            match result {
                Ok((flags, body)) => {
                    assert_eq!(flags, frame.flags, "flags changed in transit");
                    assert_eq!(&body[..], &frame.body[..], "body changed in transit");
                }
                Err(e) => panic!("a genuine frame was rejected: {e}"),
            }
            lane.last_accepted = Some(frame.seq);
            lane.delivered.push(frame.wire);
            self.accepted += 1;
        } else {
            assert!(
                result.is_err(),
                "frame {} accepted after frame {:?}",
                frame.seq,
                lane.last_accepted
            );
            self.rejected += 1;
        }
    }

    /// `wire` arrives and must be rejected.
    fn reject(&mut self, to_sut: bool, wire: Bytes, what: &str) {
        let (_, _, dec) = self.parts(to_sut);
        if let Ok((flags, body)) = dec.decrypt(wire) {
            panic!(
                "{what} was accepted: flags {flags:#04x}, {} octets",
                body.len()
            );
        }
        self.rejected += 1;
    }

    /// A fresh frame each way, delivered at once, must pass: nothing
    /// before broke the ciphers.
    fn final_exchange(&mut self) {
        for to_sut in [true, false] {
            self.send(to_sut, FLAG_MORE, b"final");
            let (lane, _, _) = self.parts(to_sut);
            let Some(frame) = lane.in_flight.pop() else {
                panic!("the final frame is not in flight");
            };
            self.deliver(to_sut, frame);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_decode_as_encoded() {
        let steps = [
            Step::Genuine,
            Step::Mutate(Mutation::Flip { at: 300, mask: 7 }),
            Step::Mutate(Mutation::Truncate { to: 9 }),
            Step::Mutate(Mutation::Extend { tail: vec![1, 2] }),
            Step::Replay { index: 3 },
            Step::Drop,
            Step::RawCommand { body: vec![5; 7] },
            Step::RawWire { bytes: vec![4, 1] },
            Step::Auth { choice: 2 },
            Step::SpuriousAuth,
        ];
        let mut out = Vec::new();
        for s in &steps {
            s.encode(&mut out);
        }
        let mut i = Input::new(&out);
        for s in &steps {
            assert_eq!(&Step::read(&mut i), s);
        }
        assert!(i.is_empty());

        let frames = [
            FrameStep::Send {
                to_sut: false,
                flags: 5,
                body: vec![9; 300],
            },
            FrameStep::Deliver {
                to_sut: true,
                index: 1,
            },
            FrameStep::Tamper {
                to_sut: false,
                index: 0,
                mutation: Mutation::Truncate { to: 3 },
            },
            FrameStep::Replay {
                to_sut: true,
                index: 2,
            },
            FrameStep::Raw {
                to_sut: false,
                body: vec![1, 2, 3],
            },
        ];
        let mut out = Vec::new();
        for f in &frames {
            f.encode(&mut out);
        }
        let mut i = Input::new(&out);
        for f in &frames {
            assert_eq!(&FrameStep::read(&mut i), f);
        }
        assert!(i.is_empty());
    }

    #[test]
    fn mutations_always_alter() {
        for orig in [&b""[..], b"x", b"\x07MESSAGE and more"] {
            for m in [
                Mutation::Flip { at: 0, mask: 0 },
                Mutation::Flip {
                    at: 999,
                    mask: 0x80,
                },
                Mutation::Truncate { to: 0 },
                Mutation::Truncate { to: 999 },
                Mutation::Extend { tail: vec![] },
                Mutation::Extend { tail: vec![0] },
            ] {
                assert_ne!(m.apply(orig), orig, "{m:?} on {orig:?}");
            }
        }
    }

    #[test]
    fn padding_is_the_only_slack() {
        let mut hello = vec![0u8; HELLO_LEN];
        hello[..6].copy_from_slice(HELLO);
        let genuine = [Bytes::from(hello.clone())];
        let wire = wire_of(&genuine);
        let mut padded = wire.clone();
        padded[2 + 8] ^= 1;
        padded[2 + 79] ^= 0xFF;
        assert!(same_modulo_padding(&padded, &genuine, Role::Server));
        assert!(!same_modulo_padding(&padded, &genuine, Role::Client));
        let mut version = wire.clone();
        version[2 + 7] ^= 1;
        assert!(!same_modulo_padding(&version, &genuine, Role::Server));
        let mut key = wire;
        key[2 + 80] ^= 1;
        assert!(!same_modulo_padding(&key, &genuine, Role::Server));
    }
}
