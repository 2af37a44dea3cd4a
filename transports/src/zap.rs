//! ZAP (RFC 27) on the wire: talking to a handler socket bound to
//! `inproc://zeromq.zap.01`, for code ported from libzmq.
//!
//! When a socket has no [`Authenticator`] of its own and its
//! [`Context`] has none either, a handshake that needs one looks for a
//! socket of the same context bound to [`ZAP_ENDPOINT`]. If there is one
//! (it must be a REP or a ROUTER), the handshake sends it a request and
//! waits for the reply, as libzmq's `zap_client.cpp` does:
//!
//! ```text
//! request: ["", "1.0", request id, domain, address, identity, mechanism, credentials…]
//! reply:   ["", "1.0", request id, status code, status text, user id, metadata]
//! ```
//!
//! Each handshake gets a pipe of its own to the handler (libzmq opens one
//! per session too), behaving like a DEALER: it sends the empty delimiter
//! itself, so a REP handler sees `["1.0", …]` and a ROUTER handler
//! `[routing id, "", "1.0", …]`. The pipe is dropped once the reply came.
//! Request ids are decimal numbers unique within the context (libzmq always
//! sends `"1"`, which it can since each pipe carries one request); the
//! reply must echo it.
//!
//! The reply is checked the way libzmq checks it. Exactly seven frames, an
//! empty delimiter, version `1.0`, our request id, a status code of `200`,
//! `300`, `400` or `500`, and metadata in the ZMTP property encoding;
//! anything else fails the handshake without an ERROR command to the peer,
//! and the monitor reports
//! [`HandshakeFailedProtocol`](crate::SocketEvent::HandshakeFailedProtocol)
//! naming the fault ([`ZapReplyError`], libzmq's
//! `ZMQ_PROTOCOL_ERROR_ZAP_*`). The handshake timeout (`handshake_ivl`)
//! keeps running while the handler thinks; a handler that closes before
//! answering fails the handshake
//! ([`HandshakeFailedNoDetail`](crate::SocketEvent::HandshakeFailedNoDetail)).
//!
//! A handler written with oxmq sockets uses [`ZapRequest::from_frames`] and
//! [`reply_frames`], or [`answer`] to let an [`Authenticator`] decide:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oxmq_transports::zap::{self, ZAP_ENDPOINT};
//! use oxmq_transports::{Authenticator, ZapRequest};
//! use oxmq_zmtp::{AuthReply, MechanismName, Message};
//!
//! // What a REP bound to ZAP_ENDPOINT receives (here built by hand) …
//! let request = ZapRequest::new(MechanismName::PLAIN, "10.0.0.7", vec!["bob".into(), "pw".into()]);
//! let received: Message = request.to_frames(b"42");
//! // … and what it sends back.
//! let check = |req: &ZapRequest| match req.plain_credentials() {
//!     Some((b"bob", b"pw")) => AuthReply::allow("bob"),
//!     _ => AuthReply::deny(400, "no"),
//! };
//! let reply = zap::answer(&received, &check).await;
//! assert_eq!(&reply[1][..], b"42"); // the request id, echoed
//! assert_eq!(&reply[2][..], b"200");
//! # Ok(()) }
//! ```
//!
//! [`Authenticator`]: crate::Authenticator
//! [`Context`]: crate::Context

use std::borrow::Cow;
use std::io;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use oxmq_zmtp::mechanism::LocalInfo;
use oxmq_zmtp::{
    AuthReply, AuthRequest, Error as ZmtpError, MechanismConfig, MechanismName, Message, Metadata,
    PeerInfo, ProtocolError, SocketType, Version,
};

use crate::auth::{Authenticator, Described, ZapRequest};
use crate::context::Context;
use crate::inproc::InprocBinder;
use crate::options::TransportOptions;
use crate::pipe::{pipe, ConnectionInfo, Peer, PipeMsg};

/// The endpoint ZAP handlers bind to.
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// The inproc name of [`ZAP_ENDPOINT`].
const ZAP_NAME: &str = "zeromq.zap.01";

/// The only ZAP version, the first frame after the delimiter.
pub const ZAP_VERSION: &[u8] = b"1.0";

/// What is wrong with a ZAP reply. Each variant is one of libzmq's
/// `ZMQ_PROTOCOL_ERROR_ZAP_*` codes ([`libzmq_code`](Self::libzmq_code)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZapReplyError {
    /// The first frame is not an empty delimiter.
    #[error("ZAP reply without an empty delimiter")]
    Unspecified,
    /// Not exactly seven frames.
    #[error("malformed ZAP reply (not 7 frames)")]
    MalformedReply,
    /// The request id is not ours.
    #[error("ZAP reply with a wrong request id")]
    BadRequestId,
    /// The version is not `1.0`.
    #[error("ZAP reply with a bad version")]
    BadVersion,
    /// The status code is not `200`, `300`, `400` or `500`.
    #[error("ZAP reply with an invalid status code")]
    InvalidStatusCode,
    /// The metadata frame is not a ZMTP property list.
    #[error("ZAP reply with invalid metadata")]
    InvalidMetadata,
}

impl ZapReplyError {
    /// libzmq's code for this fault (the value of its
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL` event).
    pub fn libzmq_code(self) -> u32 {
        match self {
            ZapReplyError::Unspecified => 0x2000_0000,
            ZapReplyError::MalformedReply => 0x2000_0001,
            ZapReplyError::BadRequestId => 0x2000_0002,
            ZapReplyError::BadVersion => 0x2000_0003,
            ZapReplyError::InvalidStatusCode => 0x2000_0004,
            ZapReplyError::InvalidMetadata => 0x2000_0005,
        }
    }

    /// The text of the handshake error (static: it goes into a
    /// [`ProtocolError::Mechanism`]).
    fn message(self) -> &'static str {
        match self {
            ZapReplyError::Unspecified => "ZAP reply without an empty delimiter (ZAP_UNSPECIFIED)",
            ZapReplyError::MalformedReply => "malformed ZAP reply (ZAP_MALFORMED_REPLY)",
            ZapReplyError::BadRequestId => "ZAP reply with a wrong request id (ZAP_BAD_REQUEST_ID)",
            ZapReplyError::BadVersion => "ZAP reply with a bad version (ZAP_BAD_VERSION)",
            ZapReplyError::InvalidStatusCode => {
                "ZAP reply with an invalid status code (ZAP_INVALID_STATUS_CODE)"
            }
            ZapReplyError::InvalidMetadata => {
                "ZAP reply with invalid metadata (ZAP_INVALID_METADATA)"
            }
        }
    }
}

/// What is wrong with a ZAP request (handler side).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ZapRequestError {
    /// Fewer than the six fixed frames.
    #[error("ZAP request with fewer than 6 frames")]
    TooShort,
    /// The version is not `1.0`.
    #[error("ZAP request with a bad version")]
    BadVersion,
    /// The mechanism frame is empty or longer than 20 bytes.
    #[error("ZAP request with a bad mechanism name")]
    BadMechanism,
}

impl ZapRequest {
    /// The request as a REP handler receives it (no delimiter):
    /// `["1.0", request id, domain, address, identity, mechanism, credentials…]`.
    pub fn to_frames(&self, request_id: &[u8]) -> Message {
        let mut m = Message::with_capacity(6 + self.credentials.len());
        m.push_back(Bytes::from_static(ZAP_VERSION));
        m.push_back(Bytes::copy_from_slice(request_id));
        m.push_back(Bytes::copy_from_slice(self.domain.as_bytes()));
        m.push_back(Bytes::copy_from_slice(self.address.as_bytes()));
        m.push_back(self.routing_id.clone());
        m.push_back(Bytes::copy_from_slice(self.mechanism.trimmed()));
        for c in &self.credentials {
            m.push_back(c.clone());
        }
        m
    }

    /// Parses a request as a REP handler receives it (see
    /// [`to_frames`](Self::to_frames)); returns the request id with it.
    /// Text fields are read as UTF-8, invalid sequences replaced.
    pub fn from_frames(frames: &[Bytes]) -> Result<(Bytes, ZapRequest), ZapRequestError> {
        let [version, id, domain, address, identity, mechanism, credentials @ ..] = frames else {
            return Err(ZapRequestError::TooShort);
        };
        if &version[..] != ZAP_VERSION {
            return Err(ZapRequestError::BadVersion);
        }
        if mechanism.is_empty() || mechanism.len() > 20 {
            return Err(ZapRequestError::BadMechanism);
        }
        let mut raw = [0u8; 20];
        raw[..mechanism.len()].copy_from_slice(mechanism);
        let text = |b: &Bytes| String::from_utf8_lossy(b).into_owned();
        Ok((
            id.clone(),
            ZapRequest {
                domain: text(domain),
                address: text(address),
                routing_id: identity.clone(),
                mechanism: MechanismName::from_raw(raw),
                credentials: credentials.to_vec(),
            },
        ))
    }
}

/// The reply a REP handler sends (no delimiter):
/// `["1.0", request id, status code, status text, user id, metadata]`.
/// A status code other than 200/300/400/500 is sent as 500, which libzmq
/// would otherwise refuse as a protocol error.
pub fn reply_frames(request_id: impl Into<Bytes>, reply: &AuthReply) -> Message {
    let code = match reply.status_code {
        c @ (200 | 300 | 400 | 500) => c,
        _ => 500,
    };
    let mut metadata = BytesMut::with_capacity(reply.metadata.encoded_len());
    reply.metadata.encode(&mut metadata);
    let mut m = Message::with_capacity(6);
    m.push_back(Bytes::from_static(ZAP_VERSION));
    m.push_back(request_id.into());
    m.push_back(Bytes::from(code.to_string()));
    m.push_back(Bytes::copy_from_slice(reply.status_text.as_bytes()));
    m.push_back(reply.user_id.clone());
    m.push_back(metadata.freeze());
    m
}

/// Answers one request, as received by a REP handler, with `auth`'s
/// verdict; the result is the reply to send. A request that does not
/// parse is answered 500 (with its request id if it has one).
pub async fn answer<A: Authenticator + ?Sized>(request: &Message, auth: &A) -> Message {
    match ZapRequest::from_frames(request.frames()) {
        Ok((id, req)) => reply_frames(id, &auth.authenticate(req).await),
        Err(e) => {
            let id = request.get(1).cloned().unwrap_or_default();
            reply_frames(id, &AuthReply::deny(500, e.to_string()))
        }
    }
}

/// Checks a reply as it arrives on the wire (delimiter first), as libzmq's
/// `zap_client_t::receive_and_process_zap_reply` does, in the same order.
pub fn parse_reply(frames: &[Bytes], request_id: &[u8]) -> Result<AuthReply, ZapReplyError> {
    let [delimiter, version, id, status, text, user_id, metadata] = frames else {
        return Err(ZapReplyError::MalformedReply);
    };
    if !delimiter.is_empty() {
        return Err(ZapReplyError::Unspecified);
    }
    if &version[..] != ZAP_VERSION {
        return Err(ZapReplyError::BadVersion);
    }
    if &id[..] != request_id {
        return Err(ZapReplyError::BadRequestId);
    }
    let status_code = match &status[..] {
        b"200" => 200,
        b"300" => 300,
        b"400" => 400,
        b"500" => 500,
        _ => return Err(ZapReplyError::InvalidStatusCode),
    };
    let metadata = Metadata::decode(metadata.clone(), "ZAP reply")
        .map_err(|_| ZapReplyError::InvalidMetadata)?;
    Ok(AuthReply {
        status_code,
        status_text: String::from_utf8_lossy(text).into_owned(),
        user_id: user_id.clone(),
        metadata,
    })
}

/// The mechanism a connection really runs: libzmq submits NULL peers to
/// ZAP when the socket has a ZAP domain.
pub(crate) fn effective_mechanism(opts: &TransportOptions) -> Cow<'_, MechanismConfig> {
    if opts.mechanism == MechanismConfig::Null && !opts.zap_domain.is_empty() {
        Cow::Owned(MechanismConfig::NullAuthenticated)
    } else {
        Cow::Borrowed(&opts.mechanism)
    }
}

/// Who answers a request.
enum Handler {
    Native(Arc<dyn Authenticator>),
    Socket(Arc<InprocBinder>),
}

impl Handler {
    fn find(opts: &TransportOptions, ctx: &Context) -> Option<Handler> {
        opts.authenticator
            .clone()
            .or_else(|| ctx.authenticator())
            .map(Handler::Native)
            .or_else(|| ctx.inproc_binder(ZAP_NAME).map(Handler::Socket))
    }
}

/// Answers a mechanism's question: asks the handler in force, or applies
/// libzmq's rules when there is none (see [`auth`](crate::auth)). An
/// `Err` fails the handshake without an ERROR command.
pub(crate) async fn authenticate(
    req: AuthRequest,
    opts: &TransportOptions,
    ctx: &Context,
    address: String,
) -> Result<AuthReply, ZmtpError> {
    let domain_set = !opts.zap_domain.is_empty();
    // libzmq's curve_server: with ZAP_ENFORCE_DOMAIN and no domain, ZAP is
    // not consulted at all.
    if req.mechanism == MechanismName::CURVE && opts.zap_enforce_domain && !domain_set {
        return Ok(AuthReply::allow(Bytes::new()));
    }
    let request = ZapRequest {
        domain: opts.zap_domain.clone(),
        address,
        routing_id: opts.routing_id.clone().unwrap_or_default(),
        mechanism: req.mechanism,
        credentials: req.credentials,
    };
    let reply = match Handler::find(opts, ctx) {
        Some(Handler::Native(auth)) => auth.authenticate(request.clone()).await,
        Some(Handler::Socket(binder)) => ask_socket(ctx, &binder, &request).await?,
        None => without_handler(request.mechanism, domain_set, opts.zap_enforce_domain)?,
    };
    tracing::debug!(target: "oxmq", request = %Described(&request), status = reply.status_code, "authenticated");
    Ok(reply)
}

/// libzmq 4.3.5's verdict when `zap_connect` finds no handler.
fn without_handler(
    mechanism: MechanismName,
    domain_set: bool,
    enforce: bool,
) -> Result<AuthReply, ZmtpError> {
    let lets_in = if mechanism == MechanismName::NULL || mechanism == MechanismName::CURVE {
        !(enforce && domain_set)
    } else {
        false
    };
    if lets_in {
        Ok(AuthReply::allow(Bytes::new()))
    } else {
        Err(ZmtpError::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("no ZAP handler to authenticate {mechanism} peers"),
        )))
    }
}

/// Sends `request` to the handler socket bound by `binder` over a fresh
/// pipe and waits for its reply.
async fn ask_socket(
    ctx: &Context,
    binder: &InprocBinder,
    request: &ZapRequest,
) -> Result<AuthReply, ZmtpError> {
    let gone = |what: &str| {
        ZmtpError::Io(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            format!("ZAP handler at {ZAP_ENDPOINT} {what}"),
        ))
    };
    if !matches!(binder.socket_type, SocketType::Rep | SocketType::Router) {
        return Err(ZmtpError::Io(io::Error::other(format!(
            "the socket bound to {ZAP_ENDPOINT} is a {}, not a REP or ROUTER",
            binder.socket_type
        ))));
    }
    // libzmq's ZAP pipe has no HWM in either direction.
    let (to_handler, from_us) = pipe(0);
    let (to_us, mut from_handler) = pipe(0);
    let info = ConnectionInfo {
        peer: PeerInfo {
            version: Version::V3_1,
            mechanism: MechanismName::NULL,
            socket_type: SocketType::Dealer,
            routing_id: None,
            metadata: LocalInfo::new(SocketType::Dealer, None, &Metadata::new()).metadata,
            user_id: None,
            auth_metadata: Metadata::new(),
        },
        endpoint: binder.endpoint.clone(),
        peer_address: ZAP_ENDPOINT.to_string(),
    };
    // A marker on a fresh pipe whose receiver exists: this cannot fail.
    let _ = to_handler.try_send(PipeMsg::Connected(Arc::new(info)));
    let handler_side = Peer {
        id: binder.shared.next_peer_id(),
        endpoint: binder.endpoint.clone(),
        outgoing: false,
        tx: to_us,
        rx: from_us,
        primed: Vec::new(),
    };
    if binder.shared.peers_tx.send(handler_side).is_err() {
        return Err(gone("is closing"));
    }
    let request_id = Bytes::from(ctx.next_socket_id().to_string());
    let mut message = request.to_frames(&request_id);
    message.push_front(Bytes::new());
    if to_handler.send(PipeMsg::Message(message)).await.is_err() {
        return Err(gone("closed"));
    }
    loop {
        match from_handler.recv().await {
            Some(PipeMsg::Message(reply)) => {
                return parse_reply(reply.frames(), &request_id)
                    .map_err(|e| ZmtpError::Protocol(ProtocolError::Mechanism(e.message())));
            }
            Some(PipeMsg::Connected(_)) => {}
            None => return Err(gone("closed before replying")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(parts: &[&[u8]]) -> Vec<Bytes> {
        parts.iter().map(|p| Bytes::copy_from_slice(p)).collect()
    }

    fn good_reply() -> Vec<Bytes> {
        frames(&[b"", b"1.0", b"7", b"200", b"OK", b"joe", b""])
    }

    #[test]
    fn reply_is_parsed() {
        let mut md = Metadata::new();
        md.insert("X-Role", "admin");
        let mut enc = BytesMut::new();
        md.encode(&mut enc);
        let mut f = good_reply();
        f[6] = enc.freeze();
        let reply = parse_reply(&f, b"7").expect("valid");
        assert_eq!(reply.status_code, 200);
        assert_eq!(reply.status_text, "OK");
        assert_eq!(&reply.user_id[..], b"joe");
        assert_eq!(reply.metadata.get_str("X-Role"), Some("admin"));
    }

    #[test]
    fn every_status_code_libzmq_knows() {
        for code in ["200", "300", "400", "500"] {
            let mut f = good_reply();
            f[3] = Bytes::copy_from_slice(code.as_bytes());
            let reply = parse_reply(&f, b"7").expect("valid");
            assert_eq!(reply.status_code.to_string(), code);
        }
    }

    #[test]
    fn reply_faults_in_libzmq_order() {
        let with = |i: usize, v: &[u8]| {
            let mut f = good_reply();
            f[i] = Bytes::copy_from_slice(v);
            f
        };
        let cases: Vec<(Vec<Bytes>, ZapReplyError)> = vec![
            (good_reply()[..6].to_vec(), ZapReplyError::MalformedReply),
            (
                [good_reply(), frames(&[b"extra"])].concat(),
                ZapReplyError::MalformedReply,
            ),
            (with(0, b"x"), ZapReplyError::Unspecified),
            (with(1, b"1.1"), ZapReplyError::BadVersion),
            (with(2, b"8"), ZapReplyError::BadRequestId),
            (with(3, b"201"), ZapReplyError::InvalidStatusCode),
            (with(3, b"600"), ZapReplyError::InvalidStatusCode),
            (with(3, b"20"), ZapReplyError::InvalidStatusCode),
            (
                with(6, b"\x05X-Bad\x00\x00"),
                ZapReplyError::InvalidMetadata,
            ),
            // Bad version and bad id: the version is checked first.
            (
                {
                    let mut f = with(1, b"2.0");
                    f[2] = Bytes::from_static(b"9");
                    f
                },
                ZapReplyError::BadVersion,
            ),
        ];
        for (f, want) in cases {
            assert_eq!(parse_reply(&f, b"7"), Err(want), "{f:?}");
        }
    }

    #[test]
    fn libzmq_codes() {
        assert_eq!(ZapReplyError::Unspecified.libzmq_code(), 0x2000_0000);
        assert_eq!(ZapReplyError::MalformedReply.libzmq_code(), 0x2000_0001);
        assert_eq!(ZapReplyError::BadRequestId.libzmq_code(), 0x2000_0002);
        assert_eq!(ZapReplyError::BadVersion.libzmq_code(), 0x2000_0003);
        assert_eq!(ZapReplyError::InvalidStatusCode.libzmq_code(), 0x2000_0004);
        assert_eq!(ZapReplyError::InvalidMetadata.libzmq_code(), 0x2000_0005);
    }

    #[test]
    fn request_round_trip() {
        let req = ZapRequest {
            domain: "global".into(),
            address: "192.168.55.1".into(),
            routing_id: Bytes::from_static(b"BOB"),
            mechanism: MechanismName::PLAIN,
            credentials: frames(&[b"admin", b"secret"]),
        };
        let m = req.to_frames(b"0001");
        assert_eq!(
            m.frames(),
            &frames(&[
                b"1.0",
                b"0001",
                b"global",
                b"192.168.55.1",
                b"BOB",
                b"PLAIN",
                b"admin",
                b"secret"
            ])[..]
        );
        let (id, back) = ZapRequest::from_frames(m.frames()).expect("parses");
        assert_eq!(&id[..], b"0001");
        assert_eq!(back, req);
    }

    #[test]
    fn bad_requests() {
        assert_eq!(
            ZapRequest::from_frames(&frames(&[b"1.0", b"1", b"", b"", b""])),
            Err(ZapRequestError::TooShort)
        );
        assert_eq!(
            ZapRequest::from_frames(&frames(&[b"2.0", b"1", b"", b"", b"", b"NULL"])),
            Err(ZapRequestError::BadVersion)
        );
        assert_eq!(
            ZapRequest::from_frames(&frames(&[b"1.0", b"1", b"", b"", b"", b""])),
            Err(ZapRequestError::BadMechanism)
        );
        assert_eq!(
            ZapRequest::from_frames(&frames(&[b"1.0", b"1", b"", b"", b"", &[b'A'; 21]])),
            Err(ZapRequestError::BadMechanism)
        );
    }

    #[test]
    fn reply_frames_are_what_parse_reply_accepts() {
        let mut reply = AuthReply::allow("joe");
        reply.metadata.insert("X-Tier", "gold");
        let mut m = reply_frames(Bytes::from_static(b"12"), &reply);
        m.push_front(Bytes::new());
        assert_eq!(parse_reply(m.frames(), b"12"), Ok(reply));
        // An out-of-range code goes out as 500, which libzmq accepts.
        let odd = reply_frames(Bytes::from_static(b"1"), &AuthReply::deny(403, "x"));
        assert_eq!(&odd[2][..], b"500");
    }

    #[tokio::test]
    async fn answer_uses_the_authenticator_and_echoes_the_id() {
        let auth = |req: &ZapRequest| {
            if req.address == "1.2.3.4" {
                AuthReply::allow("ok")
            } else {
                AuthReply::deny(400, "no")
            }
        };
        let req = ZapRequest::new(MechanismName::NULL, "1.2.3.4", Vec::new());
        let reply = answer(&req.to_frames(b"x1"), &auth).await;
        assert_eq!(
            reply.frames(),
            &frames(&[b"1.0", b"x1", b"200", b"OK", b"ok", b""])[..]
        );
        let bad: Message = frames(&[b"9.9", b"x2", b"", b"", b"", b"NULL"])
            .into_iter()
            .collect();
        let reply = answer(&bad, &auth).await;
        assert_eq!(&reply[1][..], b"x2");
        assert_eq!(&reply[2][..], b"500");
    }

    #[test]
    fn null_with_a_domain_is_authenticated() {
        let mut opts = TransportOptions::new(SocketType::Pull);
        assert_eq!(*effective_mechanism(&opts), MechanismConfig::Null);
        opts.zap_domain = "d".into();
        assert_eq!(
            *effective_mechanism(&opts),
            MechanismConfig::NullAuthenticated
        );
        opts.mechanism = MechanismConfig::PlainServer;
        assert_eq!(*effective_mechanism(&opts), MechanismConfig::PlainServer);
    }

    /// The table in the `auth` module docs, row by row.
    #[test]
    fn libzmq_rules_without_a_handler() {
        let lets_in = |m, domain, enforce| without_handler(m, domain, enforce).is_ok();
        let (null, plain, curve) = (
            MechanismName::NULL,
            MechanismName::PLAIN,
            MechanismName::CURVE,
        );
        assert!(lets_in(null, true, false));
        assert!(!lets_in(null, true, true));
        assert!(lets_in(null, false, false));
        assert!(!lets_in(plain, false, false));
        assert!(!lets_in(plain, true, false));
        assert!(!lets_in(plain, true, true));
        assert!(lets_in(curve, false, false));
        assert!(lets_in(curve, true, false));
        assert!(!lets_in(curve, true, true));
        assert!(!lets_in(MechanismName::new("GSSAPI"), false, false));
        let allowed = without_handler(curve, false, false).expect("let in");
        assert_eq!(allowed.status_code, 200);
        assert!(allowed.user_id.is_empty());
    }

    fn curve_request() -> AuthRequest {
        AuthRequest {
            mechanism: MechanismName::CURVE,
            credentials: vec![Bytes::from(vec![1u8; 32])],
        }
    }

    #[tokio::test]
    async fn curve_without_domain_under_enforcement_never_asks() {
        let ctx = Context::new();
        let mut opts = TransportOptions::new(SocketType::Pull);
        opts.zap_enforce_domain = true;
        opts.authenticator = Some(Arc::new(|_: &ZapRequest| AuthReply::deny(400, "asked")));
        let reply = authenticate(curve_request(), &opts, &ctx, "1.2.3.4".into())
            .await
            .expect("let in");
        assert_eq!(reply.status_code, 200);
        // With a domain, the authenticator decides.
        opts.zap_domain = "d".into();
        let reply = authenticate(curve_request(), &opts, &ctx, "1.2.3.4".into())
            .await
            .expect("asked");
        assert_eq!(reply.status_code, 400);
    }

    #[tokio::test]
    async fn curve_without_handler_is_let_in_unless_enforced() {
        let ctx = Context::new();
        let mut opts = TransportOptions::new(SocketType::Pull);
        opts.zap_domain = "d".into();
        let reply = authenticate(curve_request(), &opts, &ctx, "h".into()).await;
        assert_eq!(reply.expect("let in").status_code, 200);
        opts.zap_enforce_domain = true;
        let err = authenticate(curve_request(), &opts, &ctx, "h".into())
            .await
            .expect_err("refused");
        assert!(matches!(err, ZmtpError::Io(_)), "{err:?}");
    }

    #[tokio::test]
    async fn socket_authenticator_comes_before_the_context_one() {
        let ctx = Context::new();
        ctx.set_authenticator(Some(Arc::new(|_: &ZapRequest| AuthReply::allow("context"))));
        let mut opts = TransportOptions::new(SocketType::Pull);
        let req = || AuthRequest {
            mechanism: MechanismName::PLAIN,
            credentials: frames(&[b"u", b"p"]),
        };
        let reply = authenticate(req(), &opts, &ctx, "h".into()).await;
        assert_eq!(&reply.expect("asked").user_id[..], b"context");
        opts.authenticator = Some(Arc::new(|_: &ZapRequest| AuthReply::allow("socket")));
        let reply = authenticate(req(), &opts, &ctx, "h".into()).await;
        assert_eq!(&reply.expect("asked").user_id[..], b"socket");
    }
}
