//! # oxmq-zmtp — the ZMTP 3.x wire protocol, without I/O
//!
//! This crate is the protocol core of oxmq: everything that has to be byte
//! for byte identical to libzmq on the wire, and nothing that touches a
//! socket or a clock. The transports crate drives it over TCP and IPC; tests
//! drive it over in-memory buffers.
//!
//! # Layout
//!
//! - [`message`]: [`Message`], a list of [`bytes::Bytes`] frames.
//! - [`frame`]: frame headers (flags, short and long sizes).
//! - [`command`]: the commands of RFC 23/37, one file each (READY, ERROR,
//!   SUBSCRIBE/CANCEL, PING/PONG); unknown commands are surfaced, never fatal.
//! - [`metadata`]: the property lists of READY/INITIATE.
//! - [`greeting`]: the 64-octet greeting and version detection (3.1, 3.0;
//!   1.0 and 2.0 peers are refused).
//! - [`socket_type`]: socket types and which may talk to which.
//! - [`mechanism`]: the [`Mechanism`] trait, NULL, PLAIN and CURVE
//!   ([`mechanism::curve`]: CurveZMQ with its keys, [`CurveKeyPair`]), the
//!   authentication hook and the per-frame cipher hook through which CURVE
//!   encrypts every frame after the handshake.
//! - [`z85`]: the Z85 text encoding of binary data (RFC 32), in which CURVE
//!   keys are usually written.
//! - [`handshake`]: the sans-IO [`Handshake`] state machine.
//! - [`codec`]: [`ZmtpCodec`], a tokio-util `Decoder`/`Encoder` for traffic.
//! - [`error`]: the crate's error types.
//!
//! # Example: two handshakes driving each other in memory
//!
//! ```
//! use std::time::Instant;
//! use bytes::BytesMut;
//! use oxmq_zmtp::{Handshake, HandshakeConfig, HandshakeEvent, MechanismConfig, SocketType};
//!
//! let now = Instant::now();
//! let cfg = HandshakeConfig::default();
//! let mut a = Handshake::new(&cfg, MechanismConfig::Null.build(SocketType::Dealer, None, &Default::default()), now);
//! let mut b = Handshake::new(&cfg, MechanismConfig::Null.build(SocketType::Router, None, &Default::default()), now);
//! let (mut a_to_b, mut b_to_a) = (BytesMut::new(), BytesMut::new());
//! for _ in 0..4 {
//!     a.poll_transmit(&mut a_to_b);
//!     b.poll_transmit(&mut b_to_a);
//!     a.handle_input(&mut b_to_a);
//!     b.handle_input(&mut a_to_b);
//! }
//! let Some(HandshakeEvent::Complete(done)) = b.poll_event() else { panic!() };
//! assert_eq!(done.peer.socket_type, SocketType::Dealer);
//! ```

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod codec;
pub mod command;
pub mod error;
pub mod frame;
pub mod greeting;
pub mod handshake;
pub mod mechanism;
pub mod message;
pub mod metadata;
pub mod socket_type;
pub mod z85;

pub use codec::{Inbound, ZmtpCodec};
pub use command::Command;
pub use error::{AuthFailure, Error, ProtocolError};
pub use greeting::Version;
pub use handshake::{Established, Handshake, HandshakeConfig, HandshakeEvent, PeerInfo};
pub use mechanism::curve::{CurveKeyPair, CurvePublicKey, CurveSecretKey};
pub use mechanism::{AuthReply, AuthRequest, Mechanism, MechanismName};
pub use message::Message;
pub use metadata::Metadata;
pub use socket_type::SocketType;

use bytes::Bytes;

/// Which security mechanism a socket uses, and its role and credentials.
///
/// This is the configuration users set on a socket; [`build`](Self::build)
/// makes the per-connection [`Mechanism`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum MechanismConfig {
    /// No security (the default).
    #[default]
    Null,
    /// NULL, but every peer is submitted to the authenticator (libzmq does
    /// this when a ZAP domain is set on a NULL socket).
    NullAuthenticated,
    /// PLAIN client with these credentials.
    PlainClient {
        /// User name (at most 255 bytes).
        username: Bytes,
        /// Password (at most 255 bytes).
        password: Bytes,
    },
    /// PLAIN server: credentials are checked by the authenticator.
    PlainServer,
    /// CURVE client (RFC 25/26): encrypts the connection to a server whose
    /// permanent public key it knows, and authenticates with its own pair.
    CurveClient {
        /// The server's permanent public key.
        server_key: CurvePublicKey,
        /// Our permanent key pair (its public key is what the server's
        /// authenticator sees).
        keypair: CurveKeyPair,
    },
    /// CURVE server: the authenticator is asked about each client's
    /// permanent public key.
    CurveServer {
        /// Our permanent key pair; clients must know its public key.
        keypair: CurveKeyPair,
    },
}

impl MechanismConfig {
    /// The greeting name of this mechanism.
    pub fn name(&self) -> MechanismName {
        match self {
            MechanismConfig::Null | MechanismConfig::NullAuthenticated => MechanismName::NULL,
            MechanismConfig::PlainClient { .. } | MechanismConfig::PlainServer => {
                MechanismName::PLAIN
            }
            MechanismConfig::CurveClient { .. } | MechanismConfig::CurveServer { .. } => {
                MechanismName::CURVE
            }
        }
    }

    /// Builds the mechanism for one connection of a socket of type
    /// `socket_type` with an optional routing id and application metadata.
    pub fn build(
        &self,
        socket_type: SocketType,
        routing_id: Option<Bytes>,
        app_metadata: &Metadata,
    ) -> Box<dyn Mechanism> {
        let local = mechanism::LocalInfo::new(socket_type, routing_id, app_metadata);
        match self {
            MechanismConfig::Null => Box::new(mechanism::null::NullMechanism::new(local, false)),
            MechanismConfig::NullAuthenticated => {
                Box::new(mechanism::null::NullMechanism::new(local, true))
            }
            MechanismConfig::PlainClient { username, password } => Box::new(
                mechanism::plain::PlainClient::new(local, username.clone(), password.clone()),
            ),
            MechanismConfig::PlainServer => Box::new(mechanism::plain::PlainServer::new(local)),
            MechanismConfig::CurveClient {
                server_key,
                keypair,
            } => Box::new(mechanism::curve::CurveClient::new(
                local,
                *server_key,
                keypair.clone(),
            )),
            MechanismConfig::CurveServer { keypair } => {
                Box::new(mechanism::curve::CurveServer::new(local, keypair.clone()))
            }
        }
    }
}
