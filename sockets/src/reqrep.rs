//! REQ and REP (RFC 28 REQREP).
//!
//! REQ sends a request with an empty delimiter frame in front, to one peer
//! chosen round-robin, then accepts a reply only from that peer; send and
//! recv must alternate (a typed [`SocketError::State`] otherwise), unless
//! `relaxed` is set. With `correlate`, a request id frame goes before the
//! delimiter and replies with another id are dropped.
//!
//! REP strips the envelope (every frame up to and including the first empty
//! one) from a request and puts it back on the reply, so it works behind
//! any number of ROUTER/DEALER hops.

use std::future::poll_fn;
use std::task::Poll;

use bytes::Bytes;
use oxmq_transports::{Context, MonitorStream, PeerId, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{check_message, socket_common, Base};
use crate::error::SocketError;
use crate::peers::Event;

/// A REQ socket: a client that sends requests and waits for replies.
#[derive(Debug)]
pub struct Req {
    base: Base,
    awaiting: Option<(PeerId, u32)>,
    relaxed: bool,
    correlate: bool,
    next_id: u32,
}

socket_common!(Req);

impl Req {
    /// A REQ socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Req {
            base: Base::new(ctx, TransportOptions::new(SocketType::Req), None),
            awaiting: None,
            relaxed: false,
            correlate: false,
            next_id: rand_u32(),
        }
    }

    /// `ZMQ_REQ_RELAXED`: allow a new request before the reply came (the
    /// old reply, if it comes, is then ignored when `correlate` is set).
    pub fn set_relaxed(&mut self, on: bool) {
        self.relaxed = on;
    }

    /// `ZMQ_REQ_CORRELATE`: prefix requests with an id and match replies.
    pub fn set_correlate(&mut self, on: bool) {
        self.correlate = on;
    }

    /// Sends a request. Fails with [`SocketError::State`] while a reply is
    /// awaited (unless relaxed). Waits for a peer with room. Fails with
    /// [`SocketError::Closed`] once the context is shut down, also when it
    /// is waiting then.
    ///
    /// Cancel safety: if dropped before completion the request was not
    /// sent and the socket stays ready to send.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        let mut msg = msg.into();
        self.base.check_open()?;
        check_message(&msg)?;
        if self.awaiting.is_some() && !self.relaxed {
            return Err(SocketError::State(
                "REQ: receive the reply before sending again",
            ));
        }
        let id = self.next_id;
        msg.push_front(Bytes::new());
        if self.correlate {
            msg.push_front(Bytes::copy_from_slice(&id.to_be_bytes()));
        }
        let mut slot = Some(msg);
        let base = &mut self.base;
        let peer = poll_fn(|cx| {
            if base.is_closed() {
                return Poll::Ready(Err(SocketError::Closed));
            }
            // Late replies to an abandoned request are dropped here.
            while let Poll::Ready(ev) = base.peers.poll_event(cx) {
                if let Event::Message(_, m) = ev {
                    tracing::trace!(target: "oxmq", frames = m.len(), "REQ: dropping stale reply");
                }
            }
            match base.peers.poll_send_lb(cx, &mut slot, true) {
                Poll::Ready(peer) => Poll::Ready(Ok(peer)),
                Poll::Pending => base.pending(cx),
            }
        })
        .await?;
        self.next_id = self.next_id.wrapping_add(1);
        self.awaiting = Some((peer, id));
        Ok(())
    }

    /// Receives the reply to the last request. Fails with
    /// [`SocketError::State`] when no request is outstanding, and with
    /// [`SocketError::Closed`] once the context is shut down (also when it
    /// is waiting then, and even if the reply has arrived). Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message, SocketError> {
        self.base.check_open()?;
        let Some((peer, id)) = self.awaiting else {
            return Err(SocketError::State("REQ: send a request before receiving"));
        };
        let correlate = self.correlate;
        let base = &mut self.base;
        let reply = poll_fn(|cx| loop {
            if base.is_closed() {
                return Poll::Ready(Err(SocketError::Closed));
            }
            match base.peers.poll_event(cx) {
                Poll::Ready(Event::Message(from, mut m)) => {
                    if from != peer {
                        continue;
                    }
                    if correlate {
                        match m.pop_front() {
                            Some(f) if f[..] == id.to_be_bytes() => {}
                            _ => continue,
                        }
                    }
                    match m.pop_front() {
                        Some(delimiter) if delimiter.is_empty() && !m.is_empty() => {
                            return Poll::Ready(Ok(m))
                        }
                        _ => continue,
                    }
                }
                Poll::Ready(_) => {}
                Poll::Pending => return base.pending(cx),
            }
        })
        .await?;
        self.awaiting = None;
        Ok(reply)
    }
}

/// A REP socket: a server that receives requests and sends replies.
#[derive(Debug)]
pub struct Rep {
    base: Base,
    /// Who asked, and the envelope to put back on the reply.
    pending: Option<(PeerId, Message)>,
}

socket_common!(Rep);

impl Rep {
    /// A REP socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Rep {
            base: Base::new(ctx, TransportOptions::new(SocketType::Rep), None),
            pending: None,
        }
    }

    /// Receives the next request (envelope removed). Fails with
    /// [`SocketError::State`] while a reply is owed, and with
    /// [`SocketError::Closed`] once the context is shut down (also when it
    /// is waiting then, and even if requests are queued). Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message, SocketError> {
        self.base.check_open()?;
        if self.pending.is_some() {
            return Err(SocketError::State(
                "REP: send the reply before receiving again",
            ));
        }
        let base = &mut self.base;
        let (peer, envelope, body) = poll_fn(|cx| loop {
            if base.is_closed() {
                return Poll::Ready(Err(SocketError::Closed));
            }
            match base.peers.poll_event(cx) {
                Poll::Ready(Event::Message(from, mut m)) => {
                    let Some(pos) = m.iter().position(|f| f.is_empty()) else {
                        tracing::debug!(target: "oxmq", "REP: request without delimiter dropped");
                        continue;
                    };
                    let body = m.split_off(pos + 1);
                    if body.is_empty() {
                        continue;
                    }
                    return Poll::Ready(Ok((from, m, body)));
                }
                Poll::Ready(_) => {}
                Poll::Pending => return base.pending(cx),
            }
        })
        .await?;
        self.pending = Some((peer, envelope));
        Ok(body)
    }

    /// Sends the reply to the last request. Fails with
    /// [`SocketError::State`] if no request is pending. Never waits: if the
    /// requester is gone or its pipe is full the reply is dropped, as libzmq
    /// does. Fails with [`SocketError::Closed`] once the context was shut
    /// down.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        let msg = msg.into();
        self.base.check_open()?;
        check_message(&msg)?;
        let Some((peer, mut envelope)) = self.pending.take() else {
            return Err(SocketError::State("REP: receive a request before replying"));
        };
        envelope.extend_from(msg);
        if let Err(e) = self.base.peers.try_send_to(peer, envelope) {
            tracing::debug!(target: "oxmq", ?e, "REP: reply dropped");
        }
        Ok(())
    }
}

/// A random start for request ids and routing ids, like libzmq's.
pub(crate) fn rand_u32() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or_default(),
    );
    h.finish() as u32
}
