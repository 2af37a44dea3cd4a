//! The authentication hook: who decides whether a peer may connect.
//!
//! When a socket is the server of a security mechanism (PLAIN, CURVE), or
//! uses NULL with a ZAP domain, each handshake stops to ask whoever
//! authenticates peers. The question carries what a ZAP request (RFC 27)
//! carries ([`ZapRequest`]); the answer is an [`AuthReply`] with a ZAP
//! status code: 200 lets the peer in, 300 closes the connection silently,
//! 400 and 500 send the peer an ERROR command whose reason is the code.
//!
//! # Who is asked
//!
//! The first of these that exists, looked up at every handshake:
//!
//! 1. the socket's own [`TransportOptions::authenticator`](crate::TransportOptions::authenticator);
//! 2. the context's, set with [`Context::set_authenticator`](crate::Context::set_authenticator);
//! 3. a ZAP handler socket: any REP or ROUTER socket of the same
//!    [`Context`](crate::Context) bound to `inproc://zeromq.zap.01`, spoken
//!    to in the ZAP wire format exactly as libzmq does (see [`zap`](crate::zap)).
//!
//! An [`Authenticator`] is an async trait; any
//! `Fn(&ZapRequest) -> AuthReply` closure is one, [`zap_channel`] turns
//! requests into a stream for a task of yours to answer, and
//! [`Zauth`](crate::zauth::Zauth) is a ready-made one (address allow/deny
//! lists, PLAIN passwords, CURVE keys).
//!
//! # When nobody is there to ask
//!
//! oxmq does what libzmq 4.3.5 does without a ZAP handler (its
//! `null_mechanism.cpp`, `plain_server.cpp` and `curve_server.cpp`):
//!
//! | mechanism | `zap_enforce_domain` off | `zap_enforce_domain` on |
//! |-----------|--------------------------|-------------------------|
//! | NULL, no ZAP domain | not asked: let in | not asked: let in |
//! | NULL, ZAP domain set | let in | refused |
//! | PLAIN server | refused | refused |
//! | CURVE server, no ZAP domain | let in | not asked, even with a handler: let in |
//! | CURVE server, ZAP domain set | let in | refused |
//!
//! (`MechanismConfig::NullAuthenticated` asks even without a domain, and is
//! then treated like NULL with a domain.)
//!
//! "Refused" here is libzmq's failed `zap_connect`: the connection is
//! closed without an ERROR command and the monitor reports
//! [`HandshakeFailedNoDetail`](crate::SocketEvent::HandshakeFailedNoDetail)
//! (libzmq: `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL` with `EFAULT`). CURVE
//! without a handler is encryption without authentication (the
//! "Stonehouse" pattern); the peer then has no `User-Id`.
//! (libzmq aborts when a PLAIN server has `ZMQ_ZAP_ENFORCE_DOMAIN` without a
//! domain; oxmq simply asks as usual.)
//!
//! # Usage
//!
//! A closure:
//!
//! ```
//! use std::sync::Arc;
//! use oxmq_transports::{Context, ZapRequest};
//! use oxmq_zmtp::AuthReply;
//!
//! let ctx = Context::new();
//! ctx.set_authenticator(Some(Arc::new(|req: &ZapRequest| {
//!     match req.plain_credentials() {
//!         Some((b"admin", b"secret")) => AuthReply::allow("admin"),
//!         _ => AuthReply::deny(400, "unknown user"),
//!     }
//! })));
//! ```
//!
//! A stream of requests, answered by a task of yours (here the request is
//! made by hand; in real use the handshakes of the context's sockets make
//! them):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use futures::StreamExt;
//! use oxmq_transports::{zap_channel, Authenticator, ZapRequest};
//! use oxmq_zmtp::{AuthReply, MechanismName};
//!
//! let (auth, mut requests) = zap_channel();
//! tokio::spawn(async move {
//!     while let Some((req, responder)) = requests.next().await {
//!         let reply = if req.address == "127.0.0.1" {
//!             AuthReply::allow("local")
//!         } else {
//!             AuthReply::deny(400, "not from here")
//!         };
//!         responder.reply(reply);
//!     }
//! });
//! // `auth` goes to `Context::set_authenticator` or to a socket's options.
//! let request = ZapRequest::new(MechanismName::NULL, "127.0.0.1", Vec::new());
//! assert_eq!(auth.authenticate(request).await.status_code, 200);
//! # }
//! ```

use std::fmt;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};

use async_trait::async_trait;
use bytes::Bytes;
use futures::Stream;
use oxmq_zmtp::{AuthReply, MechanismName};
use tokio::sync::{mpsc, oneshot};

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

impl ZapRequest {
    /// A request with an empty domain and routing id.
    pub fn new(
        mechanism: MechanismName,
        address: impl Into<String>,
        credentials: Vec<Bytes>,
    ) -> Self {
        ZapRequest {
            domain: String::new(),
            address: address.into(),
            routing_id: Bytes::new(),
            mechanism,
            credentials,
        }
    }

    /// For a PLAIN request: `(username, password)`.
    pub fn plain_credentials(&self) -> Option<(&[u8], &[u8])> {
        match self.credentials.as_slice() {
            [user, password] if self.mechanism == MechanismName::PLAIN => Some((user, password)),
            _ => None,
        }
    }

    /// For a CURVE request: the client's long-term public key.
    pub fn curve_public_key(&self) -> Option<[u8; 32]> {
        match self.credentials.as_slice() {
            [key] if self.mechanism == MechanismName::CURVE => <[u8; 32]>::try_from(&key[..]).ok(),
            _ => None,
        }
    }
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

/// An [`Authenticator`] that hands every request to a [`ZapRequests`]
/// stream, and a stream of requests to answer.
///
/// A request whose [`ZapResponder`] is dropped unanswered, or that arrives
/// after the stream was dropped, is answered 500 (internal error).
pub fn zap_channel() -> (ChannelAuthenticator, ZapRequests) {
    let (tx, rx) = mpsc::unbounded_channel();
    (ChannelAuthenticator { tx }, ZapRequests { rx })
}

/// The [`Authenticator`] half of a [`zap_channel`]. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ChannelAuthenticator {
    tx: mpsc::UnboundedSender<(ZapRequest, ZapResponder)>,
}

#[async_trait]
impl Authenticator for ChannelAuthenticator {
    async fn authenticate(&self, request: ZapRequest) -> AuthReply {
        let (reply_tx, reply_rx) = oneshot::channel();
        let responder = ZapResponder { tx: reply_tx };
        if self.tx.send((request, responder)).is_err() {
            return AuthReply::deny(500, "authentication handler is gone");
        }
        reply_rx
            .await
            .unwrap_or_else(|_| AuthReply::deny(500, "request dropped without a reply"))
    }
}

/// The stream half of a [`zap_channel`]: every request with the means to
/// answer it.
#[derive(Debug)]
pub struct ZapRequests {
    rx: mpsc::UnboundedReceiver<(ZapRequest, ZapResponder)>,
}

impl ZapRequests {
    /// The next request; `None` once every [`ChannelAuthenticator`] is gone.
    pub async fn recv(&mut self) -> Option<(ZapRequest, ZapResponder)> {
        self.rx.recv().await
    }
}

impl Stream for ZapRequests {
    type Item = (ZapRequest, ZapResponder);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Option<Self::Item>> {
        self.rx.poll_recv(cx)
    }
}

/// Answers one request taken from [`ZapRequests`]. Dropping it unanswered
/// answers 500.
#[derive(Debug)]
pub struct ZapResponder {
    tx: oneshot::Sender<AuthReply>,
}

impl ZapResponder {
    /// Sends the verdict to the waiting handshake (which may have ended
    /// meanwhile: the reply is then dropped).
    pub fn reply(self, reply: AuthReply) {
        let _ = self.tx.send(reply);
    }

    /// Whether the handshake waiting for this answer is gone.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(user: &'static str, password: &'static str) -> ZapRequest {
        ZapRequest::new(
            MechanismName::PLAIN,
            "10.0.0.1",
            vec![user.into(), password.into()],
        )
    }

    #[test]
    fn plain_credentials_only_for_plain() {
        assert_eq!(
            plain("u", "p").plain_credentials(),
            Some((&b"u"[..], &b"p"[..]))
        );
        let mut not_plain = plain("u", "p");
        not_plain.mechanism = MechanismName::CURVE;
        assert_eq!(not_plain.plain_credentials(), None);
        let one = ZapRequest::new(MechanismName::PLAIN, "x", vec!["u".into()]);
        assert_eq!(one.plain_credentials(), None);
    }

    #[test]
    fn curve_key_must_be_32_bytes() {
        let key = [7u8; 32];
        let ok = ZapRequest::new(
            MechanismName::CURVE,
            "x",
            vec![Bytes::copy_from_slice(&key)],
        );
        assert_eq!(ok.curve_public_key(), Some(key));
        let short = ZapRequest::new(MechanismName::CURVE, "x", vec![Bytes::from(vec![7u8; 31])]);
        assert_eq!(short.curve_public_key(), None);
        let plain = ZapRequest::new(
            MechanismName::PLAIN,
            "x",
            vec![Bytes::copy_from_slice(&key)],
        );
        assert_eq!(plain.curve_public_key(), None);
    }

    #[tokio::test]
    async fn channel_answers_through_the_stream() {
        use futures::StreamExt;
        let (auth, mut requests) = zap_channel();
        let answer = tokio::spawn(async move {
            let (req, responder) = requests.next().await.expect("a request");
            assert!(!responder.is_closed());
            let user = req.plain_credentials().map(|(u, _)| u.to_vec());
            responder.reply(AuthReply::allow(user.unwrap_or_default()));
            requests
        });
        let reply = auth.authenticate(plain("alice", "pw")).await;
        assert_eq!(reply.status_code, 200);
        assert_eq!(&reply.user_id[..], b"alice");
        drop(answer.await.expect("task"));
    }

    #[tokio::test]
    async fn dropped_responder_is_a_500() {
        let (auth, mut requests) = zap_channel();
        let task = tokio::spawn(async move {
            let (_req, responder) = requests.recv().await.expect("a request");
            drop(responder);
            requests
        });
        let reply = auth.authenticate(plain("a", "b")).await;
        assert_eq!(reply.status_code, 500);
        drop(task.await.expect("task"));
    }

    #[tokio::test]
    async fn dropped_stream_is_a_500() {
        let (auth, requests) = zap_channel();
        drop(requests);
        assert_eq!(auth.authenticate(plain("a", "b")).await.status_code, 500);
    }

    #[tokio::test]
    async fn stream_ends_when_authenticators_are_gone() {
        let (auth, mut requests) = zap_channel();
        let clone = auth.clone();
        drop(auth);
        drop(clone);
        assert!(requests.recv().await.is_none());
    }

    #[tokio::test]
    async fn responder_sees_an_abandoned_handshake() {
        let (auth, mut requests) = zap_channel();
        let pending = tokio::spawn(async move { auth.authenticate(plain("a", "b")).await });
        let (_req, responder) = requests.recv().await.expect("a request");
        pending.abort();
        let _ = pending.await;
        assert!(responder.is_closed());
        responder.reply(AuthReply::allow("late"));
    }
}
