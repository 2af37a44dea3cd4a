//! CURVE, server side: answers HELLO with a cookie, checks the client's
//! INITIATE and vouch, asks the authenticator about the client's permanent
//! key, then sends READY.
//!
//! ```text
//! HELLO      → WELCOME (new S', s', cookie key K)
//! INITIATE   → Authenticate([C]) (K wiped)
//! auth 200   → READY (nonce 1); complete; MESSAGEs from nonce 2
//! auth 300   → failed, nothing sent
//! auth 400/500 → ERROR "400"/"500", failed
//! ```
//!
//! "No authenticator" (libzmq's Stonehouse pattern without ZAP) is the
//! caller's decision: it answers the request with an allowance.

use std::collections::VecDeque;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use crypto_box::aead::KeyInit;
use crypto_box::SalsaBox;
use crypto_secretbox::{Key, XSalsa20Poly1305};
use zeroize::Zeroizing;

use super::cipher::CurveCipher;
use super::keys::{CurveKeyPair, CurvePublicKey};
use super::{
    box_between, crypto_failure, long_nonce, malformed, open, random, read_u64, same_key,
    seal_into, short_nonce, transient_pair, unexpected, COOKIE_PREFIX, HELLO, HELLO_LEN,
    HELLO_PREFIX, INITIATE, INITIATE_MIN_LEN, INITIATE_PREFIX, MESSAGE_CLIENT_PREFIX,
    MESSAGE_SERVER_PREFIX, READY, READY_PREFIX, VOUCH_PREFIX, WELCOME, WELCOME_LEN, WELCOME_PREFIX,
};
use crate::error::{Error, ProtocolError};
use crate::greeting::Version;
use crate::mechanism::{
    auth_verdict, check_peer_or_error, error_in, AuthReply, AuthRequest, LocalInfo, Mechanism,
    MechanismName, MechanismOutcome,
};
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

/// CURVE, server side.
///
/// Built by [`MechanismConfig::CurveServer`](crate::MechanismConfig) or
/// directly; it is a plain state machine, so a fuzzer can feed it any
/// command bodies through [`Mechanism::handle_command`].
pub struct CurveServer {
    local: LocalInfo,
    keypair: CurveKeyPair,
    state: State,
    queue: VecDeque<Bytes>,
    /// C', from HELLO.
    client_transient: Option<CurvePublicKey>,
    /// S', s', made on HELLO.
    transient: Option<CurveKeyPair>,
    /// K, the cookie key: made for WELCOME, wiped once INITIATE is checked.
    cookie_key: Option<Zeroizing<[u8; 32]>>,
    /// The precomputed box between C' and s', from INITIATE on.
    session: Option<SalsaBox>,
    /// The client's last short nonce (HELLO's, then INITIATE's).
    peer_nonce: u64,
    /// Our next short nonce.
    next_nonce: u64,
    pending_auth: Option<AuthRequest>,
    reply: Option<AuthReply>,
    peer: Option<(Metadata, SocketType)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    WaitHello,
    WaitInitiate,
    WaitAuth,
    Done,
    Failed,
}

impl fmt::Debug for CurveServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveServer")
            .field("state", &self.state)
            .field("public_key", &self.keypair.public)
            .field("client_transient", &self.client_transient)
            .field("peer_nonce", &self.peer_nonce)
            .finish_non_exhaustive()
    }
}

impl CurveServer {
    /// A server with the permanent `keypair` whose public half its clients
    /// know.
    pub fn new(local: LocalInfo, keypair: CurveKeyPair) -> Self {
        CurveServer {
            local,
            keypair,
            state: State::WaitHello,
            queue: VecDeque::new(),
            client_transient: None,
            transient: None,
            cookie_key: None,
            session: None,
            peer_nonce: 0,
            next_nonce: 1,
            pending_auth: None,
            reply: None,
            peer: None,
        }
    }

    /// Checks HELLO's signature box and answers with WELCOME.
    fn on_hello(&mut self, body: &[u8]) -> Result<(), Error> {
        if body.len() != HELLO_LEN {
            return Err(malformed("HELLO", "not 200 octets"));
        }
        if body[6..8] != [1, 0] {
            return Err(malformed("HELLO", "unknown CurveZMQ version"));
        }
        let mut raw = [0u8; 32];
        raw.copy_from_slice(&body[80..112]);
        let client_transient = CurvePublicKey(raw);
        let nonce = read_u64(body, 112);
        let signature = box_between(&client_transient, &self.keypair.secret);
        let plain = open(&signature, &short_nonce(HELLO_PREFIX, nonce), &body[120..])
            .ok_or_else(|| crypto_failure("CURVE HELLO box does not open (wrong server key?)"))?;
        if plain.iter().any(|&b| b != 0) {
            return Err(malformed("HELLO", "signature box does not hold zeros"));
        }

        // The connection's transient pair and a fresh cookie key.
        let transient = transient_pair()?;
        let mut cookie_key = Zeroizing::new([0u8; 32]);
        random(&mut cookie_key[..])?;
        let mut cookie_nonce = [0u8; 16];
        random(&mut cookie_nonce)?;
        let mut welcome_nonce = [0u8; 16];
        random(&mut welcome_nonce)?;

        // cookie = nonce(16) + SecretBox[C' + s'](K)
        let mut cookie_plain = Zeroizing::new([0u8; 64]);
        cookie_plain[..32].copy_from_slice(client_transient.as_bytes());
        cookie_plain[32..].copy_from_slice(transient.secret.expose_bytes());
        let cookie_box = XSalsa20Poly1305::new(Key::from_slice(&cookie_key[..]));
        let mut welcome_plain = BytesMut::with_capacity(32 + 96 + 16);
        welcome_plain.put_slice(transient.public.as_bytes());
        welcome_plain.put_slice(&cookie_nonce);
        seal_into(
            &cookie_box,
            &long_nonce(COOKIE_PREFIX, &cookie_nonce),
            &cookie_plain[..],
            &mut welcome_plain,
        )?;

        // WELCOME = nonce(16) + Box[S' + cookie](S->C')
        let mut b = BytesMut::with_capacity(WELCOME_LEN);
        b.put_slice(WELCOME);
        b.put_slice(&welcome_nonce);
        seal_into(
            &signature,
            &long_nonce(WELCOME_PREFIX, &welcome_nonce),
            &welcome_plain,
            &mut b,
        )?;
        debug_assert_eq!(b.len(), WELCOME_LEN);
        self.queue.push_back(b.freeze());
        self.peer_nonce = nonce;
        self.client_transient = Some(client_transient);
        self.transient = Some(transient);
        self.cookie_key = Some(cookie_key);
        self.state = State::WaitInitiate;
        Ok(())
    }

    /// Checks INITIATE: cookie, box, vouch, metadata; then asks the
    /// authenticator.
    fn on_initiate(&mut self, body: &[u8]) -> Result<(), Error> {
        if body.len() < INITIATE_MIN_LEN {
            return Err(malformed("INITIATE", "shorter than 257 octets"));
        }
        let (Some(client_transient), Some(transient), Some(cookie_key)) = (
            self.client_transient,
            self.transient.as_ref(),
            self.cookie_key.take(),
        ) else {
            return Err(ProtocolError::Mechanism("CURVE server has no HELLO state").into());
        };

        // The cookie must be ours, for this client.
        let cookie_box = XSalsa20Poly1305::new(Key::from_slice(&cookie_key[..]));
        drop(cookie_key);
        let cookie = open(
            &cookie_box,
            &long_nonce(COOKIE_PREFIX, &body[9..25]),
            &body[25..105],
        )
        .ok_or_else(|| crypto_failure("CURVE INITIATE cookie does not open"))?;
        drop(cookie_box);
        if !same_key(&cookie[..32], client_transient.as_bytes())
            || !same_key(&cookie[32..], transient.secret.expose_bytes())
        {
            return Err(crypto_failure("CURVE INITIATE cookie is not this client's"));
        }

        let nonce = read_u64(body, 105);
        if nonce <= self.peer_nonce {
            return Err(crypto_failure("CURVE INITIATE nonce does not increase"));
        }
        let session = box_between(&client_transient, &transient.secret);
        let plain = open(&session, &short_nonce(INITIATE_PREFIX, nonce), &body[113..])
            .ok_or_else(|| crypto_failure("CURVE INITIATE box does not open"))?;
        // plain = C(32) + vouch nonce(16) + vouch box(80) + metadata
        let mut raw = [0u8; 32];
        raw.copy_from_slice(&plain[..32]);
        let client_key = CurvePublicKey(raw);
        let vouch_box = box_between(&client_key, &transient.secret);
        let vouch = open(
            &vouch_box,
            &long_nonce(VOUCH_PREFIX, &plain[32..48]),
            &plain[48..128],
        )
        .ok_or_else(|| crypto_failure("CURVE INITIATE vouch does not open"))?;
        if !same_key(&vouch[..32], client_transient.as_bytes())
            || !same_key(&vouch[32..], self.keypair.public.as_bytes())
        {
            return Err(crypto_failure("CURVE INITIATE vouch names other keys"));
        }

        let md = Metadata::decode(Bytes::copy_from_slice(&plain[128..]), "INITIATE")?;
        let mut q = Vec::new();
        match check_peer_or_error(&self.local, &md, &mut q) {
            Ok(ty) => self.peer = Some((md, ty)),
            Err(e) => {
                self.queue.extend(q);
                return Err(e);
            }
        }
        self.peer_nonce = nonce;
        self.session = Some(session);
        self.pending_auth = Some(AuthRequest {
            mechanism: MechanismName::CURVE,
            credentials: vec![Bytes::copy_from_slice(client_key.as_bytes())],
        });
        self.state = State::WaitAuth;
        Ok(())
    }

    /// READY = nonce(8) + Box[metadata](S'->C').
    fn ready(&mut self) -> Result<Bytes, Error> {
        let Some(session) = self.session.as_ref() else {
            return Err(ProtocolError::Mechanism("CURVE server has no session key").into());
        };
        let nonce = self.next_nonce;
        self.next_nonce += 1;
        let mut md = BytesMut::with_capacity(self.local.metadata.encoded_len());
        self.local.metadata.encode(&mut md);
        let mut b = BytesMut::with_capacity(14 + 16 + md.len());
        b.put_slice(READY);
        b.put_u64(nonce);
        seal_into(session, &short_nonce(READY_PREFIX, nonce), &md, &mut b)?;
        Ok(b.freeze())
    }

    fn fail(&mut self) {
        self.state = State::Failed;
        self.session = None;
        self.transient = None;
        self.cookie_key = None;
        self.pending_auth = None;
    }
}

impl Mechanism for CurveServer {
    fn name(&self) -> MechanismName {
        MechanismName::CURVE
    }

    fn as_server(&self) -> bool {
        true
    }

    fn start(&mut self, _peer_version: Version) -> Result<(), Error> {
        Ok(())
    }

    fn poll_command(&mut self) -> Option<Bytes> {
        self.queue.pop_front()
    }

    fn handle_command(&mut self, body: Bytes) -> Result<(), Error> {
        let result = if let Some(e) = error_in(&body) {
            Err(e)
        } else {
            match self.state {
                State::WaitHello if body.starts_with(HELLO) => self.on_hello(&body),
                State::WaitHello => Err(unexpected("HELLO", &body)),
                State::WaitInitiate if body.starts_with(INITIATE) => self.on_initiate(&body),
                State::WaitInitiate => Err(unexpected("INITIATE", &body)),
                State::WaitAuth => Err(unexpected("nothing (authenticating)", &body)),
                State::Done => Err(unexpected("nothing (handshake complete)", &body)),
                State::Failed => Err(unexpected("nothing (handshake failed)", &body)),
            }
        };
        if result.is_err() {
            self.fail();
        }
        result
    }

    fn poll_auth_request(&mut self) -> Option<AuthRequest> {
        self.pending_auth.take()
    }

    fn handle_auth_reply(&mut self, reply: AuthReply) -> Result<(), Error> {
        if self.state != State::WaitAuth {
            return Err(ProtocolError::Mechanism("unexpected authentication reply").into());
        }
        let mut q = Vec::new();
        if let Err(e) = auth_verdict(&reply, &mut q, false) {
            self.queue.extend(q);
            self.fail();
            return Err(e);
        }
        let ready = match self.ready() {
            Ok(r) => r,
            Err(e) => {
                self.fail();
                return Err(e);
            }
        };
        self.queue.push_back(ready);
        self.reply = Some(reply);
        // s' lives on only inside the session key.
        self.transient = None;
        self.state = State::Done;
        Ok(())
    }

    fn is_complete(&self) -> bool {
        self.state == State::Done && self.queue.is_empty()
    }

    fn finish(self: Box<Self>) -> Result<MechanismOutcome, Error> {
        let this = *self;
        let (Some((peer_metadata, peer_socket_type)), Some(session), State::Done) =
            (this.peer, this.session, this.state)
        else {
            return Err(ProtocolError::Mechanism("CURVE handshake not complete").into());
        };
        let (user_id, auth_metadata) = match this.reply {
            Some(r) => (Some(r.user_id), r.metadata),
            None => (None, Metadata::new()),
        };
        let cipher = CurveCipher::new(
            session,
            MESSAGE_SERVER_PREFIX,
            MESSAGE_CLIENT_PREFIX,
            this.next_nonce,
            this.peer_nonce,
        );
        Ok(MechanismOutcome {
            peer_metadata,
            peer_socket_type,
            user_id,
            auth_metadata,
            cipher: Some(Box::new(cipher)),
        })
    }
}
