//! Shared in-memory driver for the integration tests: two [`Handshake`]s
//! wired back to back, plus helpers to drive a single handshake with raw
//! bytes standing in for the peer.

// Each test file uses a different subset of these helpers.
#![allow(dead_code)]

use std::time::Instant;

use bytes::BytesMut;
use oxmq_zmtp::handshake::Established;
use oxmq_zmtp::{
    AuthReply, AuthRequest, Error, Handshake, HandshakeConfig, HandshakeEvent, Mechanism,
    MechanismConfig, Metadata, SocketType,
};

/// One end of a [`Pair`].
#[derive(Debug)]
pub(crate) struct Side {
    /// The state machine under test.
    pub(crate) hs: Handshake,
    /// Bytes received from the other side and not consumed yet.
    pub(crate) inbox: BytesMut,
    /// Everything this side ever transmitted, in order.
    pub(crate) sent: Vec<u8>,
    /// Every authentication request this side emitted.
    pub(crate) auth_requests: Vec<AuthRequest>,
    /// The terminal event (`Complete` or `Failed`), if any.
    pub(crate) outcome: Option<HandshakeEvent>,
    /// How many terminal events were emitted (must never exceed one).
    pub(crate) terminal_events: usize,
}

impl Side {
    fn new(hs: Handshake) -> Self {
        Side {
            hs,
            inbox: BytesMut::new(),
            sent: Vec::new(),
            auth_requests: Vec::new(),
            outcome: None,
            terminal_events: 0,
        }
    }

    /// The established connection; panics with the actual outcome otherwise.
    pub(crate) fn established(&self) -> &Established {
        match &self.outcome {
            Some(HandshakeEvent::Complete(e)) => e,
            other => panic!("expected Complete, got {other:?}"),
        }
    }

    /// The failure; panics with the actual outcome otherwise.
    pub(crate) fn error(&self) -> &Error {
        match &self.outcome {
            Some(HandshakeEvent::Failed(e)) => e,
            other => panic!("expected Failed, got {other:?}"),
        }
    }

    /// Drains the handshake's events, answering authentication requests.
    /// Returns whether anything happened.
    fn pump_events(&mut self, auth: &mut dyn FnMut(&AuthRequest) -> AuthReply) -> bool {
        let mut progressed = false;
        while let Some(ev) = self.hs.poll_event() {
            progressed = true;
            match ev {
                HandshakeEvent::Authenticate(req) => {
                    let reply = auth(&req);
                    self.auth_requests.push(req);
                    self.hs.handle_auth_reply(reply);
                }
                terminal => {
                    self.terminal_events += 1;
                    assert!(
                        self.outcome.is_none(),
                        "second terminal event {terminal:?} after {:?}",
                        self.outcome
                    );
                    self.outcome = Some(terminal);
                }
            }
        }
        progressed
    }
}

/// Two handshakes connected by in-memory pipes.
#[derive(Debug)]
pub(crate) struct Pair {
    pub(crate) a: Side,
    pub(crate) b: Side,
    /// The instant both handshakes were created at.
    pub(crate) now: Instant,
}

impl Pair {
    /// A pair from two ready-made mechanisms, with the default config.
    pub(crate) fn from_mechanisms(a: Box<dyn Mechanism>, b: Box<dyn Mechanism>) -> Pair {
        let now = Instant::now();
        let cfg = HandshakeConfig::default();
        Pair {
            a: Side::new(Handshake::new(&cfg, a, now)),
            b: Side::new(Handshake::new(&cfg, b, now)),
            now,
        }
    }

    /// A pair of sockets configured with a mechanism and a type each.
    pub(crate) fn new(
        a_mech: MechanismConfig,
        a_type: SocketType,
        b_mech: MechanismConfig,
        b_type: SocketType,
    ) -> Pair {
        let md = Metadata::new();
        Pair::from_mechanisms(
            a_mech.build(a_type, None, &md),
            b_mech.build(b_type, None, &md),
        )
    }

    /// Shuttles bytes both ways until neither side makes progress (both
    /// finished, or stuck waiting). Authentication requests are answered by
    /// `auth`. Returns the number of rounds that made progress.
    pub(crate) fn run(&mut self, mut auth: impl FnMut(&AuthRequest) -> AuthReply) -> usize {
        let mut rounds = 0;
        loop {
            assert!(rounds < 100, "handshakes do not settle");
            let mut progressed = self.a.pump_events(&mut auth);
            progressed |= self.b.pump_events(&mut auth);
            progressed |= transfer(&mut self.a, &mut self.b);
            progressed |= transfer(&mut self.b, &mut self.a);
            progressed |= self.a.pump_events(&mut auth);
            progressed |= self.b.pump_events(&mut auth);
            if !progressed {
                return rounds;
            }
            rounds += 1;
        }
    }

    /// [`run`](Self::run) with an authenticator that lets everyone in.
    pub(crate) fn run_allow_all(&mut self) -> usize {
        self.run(|_| AuthReply::allow("anyone"))
    }
}

/// Moves what `from` wants to send into `to`'s inbox and lets `to` read it.
fn transfer(from: &mut Side, to: &mut Side) -> bool {
    let mut wire = BytesMut::new();
    let sent = from.hs.poll_transmit(&mut wire);
    from.sent.extend_from_slice(&wire);
    let had_input = !to.inbox.is_empty();
    to.inbox.extend_from_slice(&wire);
    let before = to.inbox.len();
    if sent || had_input {
        to.hs.handle_input(&mut to.inbox);
    }
    sent || to.inbox.len() != before
}

/// Builds a handshake with the default config at `now`.
pub(crate) fn handshake(mech: &MechanismConfig, ty: SocketType, now: Instant) -> Handshake {
    Handshake::new(
        &HandshakeConfig::default(),
        mech.build(ty, None, &Metadata::new()),
        now,
    )
}

/// Everything the handshake wants to send right now.
pub(crate) fn transmit(hs: &mut Handshake) -> Vec<u8> {
    let mut out = BytesMut::new();
    hs.poll_transmit(&mut out);
    out.to_vec()
}

/// All pending events.
pub(crate) fn events(hs: &mut Handshake) -> Vec<HandshakeEvent> {
    std::iter::from_fn(|| hs.poll_event()).collect()
}

/// Feeds `bytes` to the handshake; returns what was left unconsumed.
pub(crate) fn feed(hs: &mut Handshake, bytes: &[u8]) -> BytesMut {
    let mut buf = BytesMut::from(bytes);
    hs.handle_input(&mut buf);
    buf
}

/// A 64-byte ZMTP 3.x greeting with the given version, mechanism and role.
pub(crate) fn raw_greeting(major: u8, minor: u8, mechanism: &str, as_server: bool) -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, major, minor];
    let mut mech = [0u8; 20];
    mech[..mechanism.len()].copy_from_slice(mechanism.as_bytes());
    g.extend_from_slice(&mech);
    g.push(u8::from(as_server));
    g.extend_from_slice(&[0u8; 31]);
    assert_eq!(g.len(), 64);
    g
}

/// A complete short or long command frame with `name` and `data`.
/// Built by hand (not with the library's encoder) so that tests comparing
/// against it check the library independently.
pub(crate) fn command_frame(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    frame(0x04, &body)
}

/// A frame with `flags` (MORE/COMMAND) and `body`, short or long as needed.
pub(crate) fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(body.len() + 9);
    if body.len() <= 255 {
        f.push(flags);
        f.push(body.len() as u8);
    } else {
        f.push(flags | 0x02);
        f.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    f.extend_from_slice(body);
    f
}

/// A READY command frame announcing `props`.
pub(crate) fn ready_frame(props: &[(&str, &[u8])]) -> Vec<u8> {
    command_frame(b"READY", &properties(props))
}

/// The metadata wire encoding of `props`, built by hand.
pub(crate) fn properties(props: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in props {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&(value.len() as u32).to_be_bytes());
        out.extend_from_slice(value);
    }
    out
}

/// Lower-case hex, for readable assertion messages.
pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
