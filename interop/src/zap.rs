//! [`ZapHandler`]: a ZAP (ZeroMQ Authentication Protocol, RFC 27) handler
//! running on its own thread, so that libzmq PLAIN / CURVE servers (and NULL
//! servers with a ZAP domain) can accept or refuse peers in tests.

use std::thread::JoinHandle;

use crate::consts::{poll as poll_bits, SocketType};
use crate::context::Context;
use crate::error::Result;
use crate::socket::{poll, PollItem, Socket};

/// The endpoint libzmq sends ZAP requests to, within one context.
pub const ZAP_ENDPOINT: &str = "inproc://zeromq.zap.01";

/// A ZAP request as libzmq sends it (after the REP envelope is removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapRequest {
    /// Protocol version, `"1.0"`.
    pub version: Vec<u8>,
    /// Request id; echoed in the reply.
    pub request_id: Vec<u8>,
    /// The server socket's `ZMQ_ZAP_DOMAIN` (often empty).
    pub domain: String,
    /// The peer's address, e.g. `"127.0.0.1"`.
    pub address: String,
    /// The server socket's own `ZMQ_ROUTING_ID` (usually empty).
    pub routing_id: Vec<u8>,
    /// `"NULL"`, `"PLAIN"` or `"CURVE"`.
    pub mechanism: String,
    /// Mechanism-specific credentials: PLAIN → `[username, password]`,
    /// CURVE → `[32-byte client public key]`, NULL → `[]`.
    pub credentials: Vec<Vec<u8>>,
}

impl ZapRequest {
    /// Splits the frames of a request; `None` if there are fewer than the six
    /// fixed frames.
    pub fn parse(frames: &[Vec<u8>]) -> Option<ZapRequest> {
        if frames.len() < 6 {
            return None;
        }
        let text = |b: &Vec<u8>| String::from_utf8_lossy(b).into_owned();
        Some(ZapRequest {
            version: frames[0].clone(),
            request_id: frames[1].clone(),
            domain: text(&frames[2]),
            address: text(&frames[3]),
            routing_id: frames[4].clone(),
            mechanism: text(&frames[5]),
            credentials: frames[6..].to_vec(),
        })
    }

    /// For a PLAIN request: `(username, password)`.
    pub fn plain_credentials(&self) -> Option<(&[u8], &[u8])> {
        match (self.mechanism.as_str(), self.credentials.as_slice()) {
            ("PLAIN", [user, pass]) => Some((user, pass)),
            _ => None,
        }
    }

    /// For a CURVE request: the client's long-term public key (32 bytes).
    pub fn curve_public_key(&self) -> Option<&[u8]> {
        match (self.mechanism.as_str(), self.credentials.as_slice()) {
            ("CURVE", [key]) if key.len() == 32 => Some(key),
            _ => None,
        }
    }

    /// For a CURVE request: the client's public key in Z85 (40 characters),
    /// comparable with the output of [`curve_keypair`](crate::curve_keypair).
    pub fn curve_public_key_z85(&self) -> Option<String> {
        self.curve_public_key()
            .and_then(|k| crate::z85_encode(k).ok())
    }
}

/// The handler's verdict on a [`ZapRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZapReply {
    /// 200 (accept), 300 (temporary failure: the client is dropped without
    /// an ERROR command), 400 (refuse) or 500 (internal error). libzmq
    /// rejects any other value as a protocol error.
    pub status_code: u16,
    /// Free text sent to the client in the ERROR command for 400/500.
    pub status_text: String,
    /// The user id: exposed by libzmq as the `User-Id` property of messages
    /// from this peer.
    pub user_id: String,
    /// Extra properties (name, value) exposed on the peer's messages; libzmq
    /// (4.3) accepts any name here, but `X-`-prefixed names are customary.
    pub metadata: Vec<(String, Vec<u8>)>,
}

impl ZapReply {
    /// Accept (`200 OK`) as `user_id`.
    pub fn allow(user_id: &str) -> ZapReply {
        ZapReply {
            status_code: 200,
            status_text: "OK".to_string(),
            user_id: user_id.to_string(),
            metadata: Vec::new(),
        }
    }

    /// Refuse (`400`) with `reason`.
    pub fn deny(reason: &str) -> ZapReply {
        ZapReply {
            status_code: 400,
            status_text: reason.to_string(),
            user_id: String::new(),
            metadata: Vec::new(),
        }
    }

    /// Temporary failure (`300`).
    pub fn temporary_failure(reason: &str) -> ZapReply {
        ZapReply {
            status_code: 300,
            ..ZapReply::deny(reason)
        }
    }

    /// Internal error (`500`).
    pub fn internal_error(reason: &str) -> ZapReply {
        ZapReply {
            status_code: 500,
            ..ZapReply::deny(reason)
        }
    }

    /// Adds a metadata property (builder style).
    pub fn with_property(mut self, name: &str, value: impl AsRef<[u8]>) -> ZapReply {
        self.metadata
            .push((name.to_string(), value.as_ref().to_vec()));
        self
    }

    /// The `metadata` frame: ZMTP property encoding (1-byte name length,
    /// name, 4-byte big-endian value length, value), as libzmq parses it.
    ///
    /// # Panics
    ///
    /// If a name is longer than 255 bytes or a value longer than `u32::MAX`.
    pub fn encode_metadata(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, value) in &self.metadata {
            let name_len = u8::try_from(name.len()).expect("ZAP metadata name over 255 bytes");
            let value_len = u32::try_from(value.len()).expect("ZAP metadata value too long");
            out.push(name_len);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&value_len.to_be_bytes());
            out.extend_from_slice(value);
        }
        out
    }

    /// The six reply frames for `request_id`.
    fn frames(&self, request_id: &[u8]) -> Vec<Vec<u8>> {
        vec![
            b"1.0".to_vec(),
            request_id.to_vec(),
            self.status_code.to_string().into_bytes(),
            self.status_text.clone().into_bytes(),
            self.user_id.clone().into_bytes(),
            self.encode_metadata(),
        ]
    }
}

/// A ZAP handler: a `ZMQ_REP` socket bound to [`ZAP_ENDPOINT`] in a context,
/// served on a background thread by a closure that decides every request.
///
/// What libzmq 4.3.5 does when a server socket's context has **no** handler:
/// a PLAIN server fails every handshake (there is nobody to check the
/// password), a CURVE server accepts every client that knows its public key,
/// and a NULL server accepts everybody. With a handler, PLAIN and CURVE
/// servers ask it about every peer, NULL servers only when a
/// [`ZMQ_ZAP_DOMAIN`](crate::Socket::set_zap_domain) is set.
///
/// Start the handler **before** peers connect. A context holds at most one
/// handler (the bind fails with `EADDRINUSE` otherwise); handlers of
/// different contexts are independent, so parallel tests each use their own
/// context.
///
/// Dropping the handler (or calling [`stop`](ZapHandler::stop)) stops the
/// thread and unbinds the endpoint.
///
/// ```no_run
/// use oxmq_interop::{Context, ZapHandler, ZapReply};
/// let ctx = Context::new();
/// let _zap = ZapHandler::start(&ctx, |req| match req.plain_credentials() {
///     Some((b"admin", b"secret")) => ZapReply::allow("admin"),
///     _ => ZapReply::deny("bad credentials"),
/// })?;
/// # Ok::<(), oxmq_interop::Error>(())
/// ```
#[derive(Debug)]
pub struct ZapHandler {
    /// Sends the stop signal; `None` once stopped.
    control: Option<Socket>,
    thread: Option<JoinHandle<()>>,
}

impl ZapHandler {
    /// Binds the ZAP endpoint in `ctx` (before returning, so servers created
    /// afterwards are guaranteed to find it) and serves requests with
    /// `decide` on a new thread.
    pub fn start<F>(ctx: &Context, mut decide: F) -> Result<ZapHandler>
    where
        F: FnMut(&ZapRequest) -> ZapReply + Send + 'static,
    {
        let rep = ctx.socket(SocketType::Rep)?;
        rep.set_linger(0)?;
        rep.bind(ZAP_ENDPOINT)?;

        let control_endpoint = crate::unique_inproc_endpoint("zap-control");
        let control_rx = ctx.socket(SocketType::Pair)?;
        control_rx.bind(&control_endpoint)?;
        let control_tx = ctx.socket(SocketType::Pair)?;
        control_tx.set_linger(0)?;
        control_tx.connect(&control_endpoint)?;

        let thread = std::thread::Builder::new()
            .name("oxmq-interop-zap".to_string())
            .spawn(move || serve(&rep, &control_rx, &mut decide))
            .map_err(|e| crate::Error::invalid(format!("cannot spawn ZAP thread: {e}")))?;

        Ok(ZapHandler {
            control: Some(control_tx),
            thread: Some(thread),
        })
    }

    /// Stops the handler thread and waits for it.
    ///
    /// # Panics
    ///
    /// Re-raises a panic of the `decide` closure.
    pub fn stop(mut self) {
        if let Err(panic) = self.shutdown() {
            std::panic::resume_unwind(panic);
        }
    }

    fn shutdown(&mut self) -> std::thread::Result<()> {
        if let Some(control) = self.control.take() {
            // If the thread already ended (its socket is gone), the signal
            // cannot be delivered, which is fine: there is nothing to stop.
            let _ = control.send(b"STOP", crate::flags::DONTWAIT);
        }
        match self.thread.take() {
            Some(thread) => thread.join(),
            None => Ok(()),
        }
    }
}

impl Drop for ZapHandler {
    fn drop(&mut self) {
        // A panic of the closure is only re-raised by `stop`; panicking in
        // drop could abort a test that is already unwinding.
        let _ = self.shutdown();
    }
}

/// The handler thread's loop: answer requests until the control socket
/// speaks or the context is shut down.
fn serve<F>(rep: &Socket, control: &Socket, decide: &mut F)
where
    F: FnMut(&ZapRequest) -> ZapReply,
{
    loop {
        let mut items = [
            PollItem::new(rep, poll_bits::POLLIN),
            PollItem::new(control, poll_bits::POLLIN),
        ];
        if poll(&mut items, std::time::Duration::MAX).is_err() || items[1].is_readable() {
            return;
        }
        if !items[0].is_readable() {
            continue;
        }
        let frames = match rep.recv_multipart_flags(crate::flags::DONTWAIT) {
            Ok(frames) => frames,
            Err(e) if e.is_again() => continue,
            Err(_) => return,
        };
        let reply = match ZapRequest::parse(&frames) {
            Some(request) => decide(&request).frames(&request.request_id),
            None => {
                let id = frames.get(1).cloned().unwrap_or_default();
                ZapReply::internal_error("malformed ZAP request").frames(&id)
            }
        };
        if rep.send_multipart(&reply).is_err() {
            return;
        }
    }
}
