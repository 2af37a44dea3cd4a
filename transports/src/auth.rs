//! The authentication hook: who decides whether a peer may connect.
//!
//! When a socket is the server of a security mechanism (PLAIN, CURVE, or NULL
//! with a ZAP domain), each handshake stops to ask an [`Authenticator`]. The
//! request carries what ZAP (RFC 27) carries; the answer is an
//! `AuthReply` with a ZAP status code.
//!
//! Without an authenticator, oxmq does what libzmq 4.3 does without a ZAP
//! handler: NULL peers are let in, PLAIN and CURVE peers are refused (the
//! connection is closed without an ERROR command).

use std::fmt;

use async_trait::async_trait;
use bytes::Bytes;
use oxmq_zmtp::{AuthReply, MechanismName};

/// One authentication question (the fields of a ZAP request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapRequest {
    /// The socket's `ZMQ_ZAP_DOMAIN`.
    pub domain: String,
    /// The peer's address (IP address for tcp, path for ipc).
    pub address: String,
    /// The routing id of *our* socket, as libzmq sends it.
    pub routing_id: Bytes,
    /// The mechanism asking.
    pub mechanism: MechanismName,
    /// Mechanism credentials: `[]` (NULL), `[user, password]` (PLAIN),
    /// `[client public key]` (CURVE).
    pub credentials: Vec<Bytes>,
}

/// Decides whether a peer may connect.
#[async_trait]
pub trait Authenticator: Send + Sync + 'static {
    /// Answers one request. Status 200 lets the peer in; 300 closes the
    /// connection silently; 400 and 500 send an ERROR to the peer.
    async fn authenticate(&self, request: ZapRequest) -> AuthReply;
}

#[async_trait]
impl<F> Authenticator for F
where
    F: Fn(&ZapRequest) -> AuthReply + Send + Sync + 'static,
{
    async fn authenticate(&self, request: ZapRequest) -> AuthReply {
        self(&request)
    }
}

/// A printable name for logs.
pub(crate) struct Described<'a>(pub(crate) &'a ZapRequest);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} from {} (domain {:?})",
            self.0.mechanism, self.0.address, self.0.domain
        )
    }
}
