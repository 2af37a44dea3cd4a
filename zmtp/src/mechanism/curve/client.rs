//! CURVE, client side: proves it knows the server's permanent key, sends
//! its own permanent key vouched for, and checks the server's answers.
//!
//! ```text
//! start            → HELLO     (nonce 1)
//! WELCOME          → INITIATE  (nonce 2)
//! READY            → complete; MESSAGEs from nonce 3
//! ERROR (any time) → failed with the server's reason
//! ```

use std::collections::VecDeque;
use std::fmt;

use bytes::{BufMut, Bytes, BytesMut};
use crypto_box::SalsaBox;

use super::cipher::CurveCipher;
use super::keys::{CurveKeyPair, CurvePublicKey};
use super::{
    box_between, crypto_failure, long_nonce, malformed, open, random, read_u64, seal_into,
    short_nonce, transient_pair, unexpected, HELLO, HELLO_LEN, HELLO_PREFIX, INITIATE,
    INITIATE_MIN_LEN, INITIATE_PREFIX, MESSAGE_CLIENT_PREFIX, MESSAGE_SERVER_PREFIX, READY,
    READY_MIN_LEN, READY_PREFIX, VOUCH_PREFIX, WELCOME, WELCOME_LEN, WELCOME_PREFIX,
};
use crate::error::{Error, ProtocolError};
use crate::greeting::Version;
use crate::mechanism::{error_in, LocalInfo, Mechanism, MechanismName, MechanismOutcome};
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

/// Size of the cookie the server sends in WELCOME and gets back in INITIATE.
const COOKIE_LEN: usize = 96;

/// CURVE, client side.
///
/// Built by [`MechanismConfig::CurveClient`](crate::MechanismConfig) or
/// directly; it is a plain state machine, so a fuzzer can feed it any
/// command bodies through [`Mechanism::handle_command`].
pub struct CurveClient {
    local: LocalInfo,
    server_key: CurvePublicKey,
    keypair: CurveKeyPair,
    /// C', c': made at [`start`](Mechanism::start).
    transient: Option<CurveKeyPair>,
    /// The precomputed box between S' and c', from WELCOME on.
    session: Option<SalsaBox>,
    state: State,
    queue: VecDeque<Bytes>,
    /// Our next short nonce.
    next_nonce: u64,
    /// The server's short nonce in READY.
    peer_nonce: u64,
    peer: Option<(Metadata, SocketType)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    WaitWelcome,
    WaitReady,
    Done,
    Failed,
}

impl fmt::Debug for CurveClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveClient")
            .field("state", &self.state)
            .field("server_key", &self.server_key)
            .field("public_key", &self.keypair.public)
            .field("next_nonce", &self.next_nonce)
            .finish_non_exhaustive()
    }
}

impl CurveClient {
    /// A client that talks to the server whose permanent public key is
    /// `server_key`, authenticating with its permanent `keypair`.
    pub fn new(local: LocalInfo, server_key: CurvePublicKey, keypair: CurveKeyPair) -> Self {
        CurveClient {
            local,
            server_key,
            keypair,
            transient: None,
            session: None,
            state: State::Idle,
            queue: VecDeque::new(),
            next_nonce: 1,
            peer_nonce: 0,
            peer: None,
        }
    }

    fn take_nonce(&mut self) -> u64 {
        let n = self.next_nonce;
        self.next_nonce += 1;
        n
    }

    /// HELLO: version, padding, C', short nonce, Box[64 zeros](C'->S).
    fn hello(&mut self, transient: &CurveKeyPair) -> Result<Bytes, Error> {
        let nonce = self.take_nonce();
        let mut b = BytesMut::with_capacity(HELLO_LEN);
        b.put_slice(HELLO);
        b.put_slice(&[1, 0]);
        b.put_bytes(0, 72);
        b.put_slice(transient.public.as_bytes());
        b.put_u64(nonce);
        let signature = box_between(&self.server_key, &transient.secret);
        seal_into(
            &signature,
            &short_nonce(HELLO_PREFIX, nonce),
            &[0u8; 64],
            &mut b,
        )?;
        debug_assert_eq!(b.len(), HELLO_LEN);
        Ok(b.freeze())
    }

    /// Opens WELCOME and answers with INITIATE.
    fn on_welcome(&mut self, body: &[u8]) -> Result<(), Error> {
        if body.len() != WELCOME_LEN {
            return Err(malformed("WELCOME", "not 168 octets"));
        }
        // c' is needed no more once the session key is derived: drop (and
        // wipe) it whatever the outcome.
        let Some(transient) = self.transient.take() else {
            return Err(ProtocolError::Mechanism("CURVE client not started").into());
        };
        let welcome_box = box_between(&self.server_key, &transient.secret);
        let plain = open(
            &welcome_box,
            &long_nonce(WELCOME_PREFIX, &body[8..24]),
            &body[24..],
        )
        .ok_or_else(|| crypto_failure("CURVE WELCOME box does not open (wrong server key?)"))?;
        // plain = S'(32) + cookie(96)
        let mut server_transient = [0u8; 32];
        server_transient.copy_from_slice(&plain[..32]);
        let server_transient = CurvePublicKey(server_transient);
        let cookie = &plain[32..32 + COOKIE_LEN];
        let session = box_between(&server_transient, &transient.secret);

        // vouch = nonce(16) + Box[C' + S](C->S')
        let mut vouch_nonce = [0u8; 16];
        random(&mut vouch_nonce)?;
        let mut vouch_plain = [0u8; 64];
        vouch_plain[..32].copy_from_slice(transient.public.as_bytes());
        vouch_plain[32..].copy_from_slice(self.server_key.as_bytes());
        let vouch_box = box_between(&server_transient, &self.keypair.secret);
        let mut inner = BytesMut::with_capacity(128 + self.local.metadata.encoded_len());
        inner.put_slice(self.keypair.public.as_bytes());
        inner.put_slice(&vouch_nonce);
        seal_into(
            &vouch_box,
            &long_nonce(VOUCH_PREFIX, &vouch_nonce),
            &vouch_plain,
            &mut inner,
        )?;
        self.local.metadata.encode(&mut inner);

        let nonce = self.take_nonce();
        let mut b = BytesMut::with_capacity(INITIATE_MIN_LEN - 128 + inner.len());
        b.put_slice(INITIATE);
        b.put_slice(cookie);
        b.put_u64(nonce);
        seal_into(
            &session,
            &short_nonce(INITIATE_PREFIX, nonce),
            &inner,
            &mut b,
        )?;
        self.queue.push_back(b.freeze());
        self.session = Some(session);
        self.state = State::WaitReady;
        Ok(())
    }

    /// Opens READY and checks the server's metadata.
    fn on_ready(&mut self, body: &[u8]) -> Result<(), Error> {
        if body.len() < READY_MIN_LEN {
            return Err(malformed("READY", "shorter than 30 octets"));
        }
        let Some(session) = self.session.as_ref() else {
            return Err(ProtocolError::Mechanism("CURVE client has no session key").into());
        };
        let nonce = read_u64(body, READY.len());
        let plain = open(session, &short_nonce(READY_PREFIX, nonce), &body[14..])
            .ok_or_else(|| crypto_failure("CURVE READY box does not open"))?;
        let md = Metadata::decode(Bytes::copy_from_slice(&plain), "READY")?;
        // A client sends no ERROR (RFC 26), so a bad socket type just fails.
        let ty = self.local.check_peer(&md)?;
        self.peer_nonce = nonce;
        self.peer = Some((md, ty));
        self.state = State::Done;
        Ok(())
    }
}

impl Mechanism for CurveClient {
    fn name(&self) -> MechanismName {
        MechanismName::CURVE
    }

    fn as_server(&self) -> bool {
        false
    }

    fn start(&mut self, _peer_version: Version) -> Result<(), Error> {
        if self.state != State::Idle {
            return Err(ProtocolError::Mechanism("CURVE client started twice").into());
        }
        let transient = transient_pair()?;
        let hello = self.hello(&transient)?;
        self.queue.push_back(hello);
        self.transient = Some(transient);
        self.state = State::WaitWelcome;
        Ok(())
    }

    fn poll_command(&mut self) -> Option<Bytes> {
        self.queue.pop_front()
    }

    fn handle_command(&mut self, body: Bytes) -> Result<(), Error> {
        let result = match self.state {
            State::WaitWelcome | State::WaitReady => {
                if let Some(e) = error_in(&body) {
                    Err(e)
                } else if self.state == State::WaitWelcome && body.starts_with(WELCOME) {
                    self.on_welcome(&body)
                } else if self.state == State::WaitReady && body.starts_with(READY) {
                    self.on_ready(&body)
                } else if self.state == State::WaitWelcome {
                    Err(unexpected("WELCOME", &body))
                } else {
                    Err(unexpected("READY", &body))
                }
            }
            State::Idle => Err(unexpected("nothing (not started)", &body)),
            State::Done => Err(unexpected("nothing (handshake complete)", &body)),
            State::Failed => Err(unexpected("nothing (handshake failed)", &body)),
        };
        if result.is_err() {
            self.state = State::Failed;
            self.session = None;
        }
        result
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
        let cipher = CurveCipher::new(
            session,
            MESSAGE_CLIENT_PREFIX,
            MESSAGE_SERVER_PREFIX,
            this.next_nonce,
            this.peer_nonce,
        );
        Ok(MechanismOutcome {
            peer_metadata,
            peer_socket_type,
            user_id: None,
            auth_metadata: Metadata::new(),
            cipher: Some(Box::new(cipher)),
        })
    }
}
