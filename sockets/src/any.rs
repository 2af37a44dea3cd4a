//! [`AnySocket`]: a socket whose type is chosen at run time (for tools,
//! bindings and proxies), and [`proxy`] / [`proxy_steerable`].

use bytes::Bytes;
use oxmq_transports::{Context, MonitorStream, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::error::SocketError;
use crate::{Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, Sub, Xpub, Xsub};

/// Any of the eleven standard socket types.
#[derive(Debug)]
#[non_exhaustive]
pub enum AnySocket {
    /// PAIR.
    Pair(Pair),
    /// PUB.
    Pub(Pub),
    /// SUB.
    Sub(Sub),
    /// REQ.
    Req(Req),
    /// REP.
    Rep(Rep),
    /// DEALER.
    Dealer(Dealer),
    /// ROUTER.
    Router(Router),
    /// PULL.
    Pull(Pull),
    /// PUSH.
    Push(Push),
    /// XPUB.
    Xpub(Xpub),
    /// XSUB.
    Xsub(Xsub),
}

macro_rules! each {
    ($self:expr, $s:ident => $e:expr) => {
        match $self {
            AnySocket::Pair($s) => $e,
            AnySocket::Pub($s) => $e,
            AnySocket::Sub($s) => $e,
            AnySocket::Req($s) => $e,
            AnySocket::Rep($s) => $e,
            AnySocket::Dealer($s) => $e,
            AnySocket::Router($s) => $e,
            AnySocket::Pull($s) => $e,
            AnySocket::Push($s) => $e,
            AnySocket::Xpub($s) => $e,
            AnySocket::Xsub($s) => $e,
        }
    };
}

impl AnySocket {
    /// A socket of type `socket_type` (one of the eleven standard types).
    pub fn new(ctx: &Context, socket_type: SocketType) -> Result<Self, SocketError> {
        Ok(match socket_type {
            SocketType::Pair => AnySocket::Pair(Pair::new(ctx)),
            SocketType::Pub => AnySocket::Pub(Pub::new(ctx)),
            SocketType::Sub => AnySocket::Sub(Sub::new(ctx)),
            SocketType::Req => AnySocket::Req(Req::new(ctx)),
            SocketType::Rep => AnySocket::Rep(Rep::new(ctx)),
            SocketType::Dealer => AnySocket::Dealer(Dealer::new(ctx)),
            SocketType::Router => AnySocket::Router(Router::new(ctx)),
            SocketType::Pull => AnySocket::Pull(Pull::new(ctx)),
            SocketType::Push => AnySocket::Push(Push::new(ctx)),
            SocketType::Xpub => AnySocket::Xpub(Xpub::new(ctx)),
            SocketType::Xsub => AnySocket::Xsub(Xsub::new(ctx)),
            other => return Err(SocketError::Unsupported(other.as_str())),
        })
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        match self {
            AnySocket::Pair(_) => SocketType::Pair,
            AnySocket::Pub(_) => SocketType::Pub,
            AnySocket::Sub(_) => SocketType::Sub,
            AnySocket::Req(_) => SocketType::Req,
            AnySocket::Rep(_) => SocketType::Rep,
            AnySocket::Dealer(_) => SocketType::Dealer,
            AnySocket::Router(_) => SocketType::Router,
            AnySocket::Pull(_) => SocketType::Pull,
            AnySocket::Push(_) => SocketType::Push,
            AnySocket::Xpub(_) => SocketType::Xpub,
            AnySocket::Xsub(_) => SocketType::Xsub,
        }
    }

    /// Whether this type can send.
    pub fn can_send(&self) -> bool {
        !matches!(self, AnySocket::Sub(_) | AnySocket::Pull(_))
    }

    /// Whether this type can receive.
    pub fn can_recv(&self) -> bool {
        !matches!(self, AnySocket::Pub(_) | AnySocket::Push(_))
    }

    /// Binds; returns the resolved endpoint.
    pub async fn bind(&self, endpoint: &str) -> Result<String, SocketError> {
        each!(self, s => s.bind(endpoint).await)
    }

    /// Connects (in the background).
    pub fn connect(&mut self, endpoint: &str) -> Result<(), SocketError> {
        each!(self, s => s.connect(endpoint))
    }

    /// Stops listening on an endpoint.
    pub fn unbind(&self, endpoint: &str) -> Result<(), SocketError> {
        each!(self, s => s.unbind(endpoint))
    }

    /// Stops connecting to an endpoint.
    pub fn disconnect(&self, endpoint: &str) -> Result<(), SocketError> {
        each!(self, s => s.disconnect(endpoint))
    }

    /// The last endpoint bound.
    pub fn last_endpoint(&self) -> Option<String> {
        each!(self, s => s.last_endpoint())
    }

    /// Monitor events.
    pub fn monitor(&self) -> MonitorStream {
        each!(self, s => s.monitor())
    }

    /// Changes transport options for later endpoints.
    pub fn set_options(&self, f: impl FnOnce(&mut TransportOptions)) {
        each!(self, s => s.set_options(f))
    }

    /// Sends a message (see each type's `send`); [`SocketError::Closed`]
    /// once the context is shut down.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        match self {
            AnySocket::Sub(_) => Err(SocketError::Unsupported("SUB cannot send")),
            AnySocket::Pull(_) => Err(SocketError::Unsupported("PULL cannot send")),
            AnySocket::Pair(s) => s.send(msg).await,
            AnySocket::Pub(s) => s.send(msg).await,
            AnySocket::Req(s) => s.send(msg).await,
            AnySocket::Rep(s) => s.send(msg).await,
            AnySocket::Dealer(s) => s.send(msg).await,
            AnySocket::Router(s) => s.send(msg).await,
            AnySocket::Push(s) => s.send(msg).await,
            AnySocket::Xpub(s) => s.send(msg).await,
            AnySocket::Xsub(s) => s.send(msg).await,
        }
    }

    /// Receives a message (see each type's `recv`); [`SocketError::Closed`]
    /// once the context is shut down. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message, SocketError> {
        match self {
            AnySocket::Pub(_) => Err(SocketError::Unsupported("PUB cannot receive")),
            AnySocket::Push(_) => Err(SocketError::Unsupported("PUSH cannot receive")),
            AnySocket::Pair(s) => s.recv().await,
            AnySocket::Sub(s) => s.recv().await,
            AnySocket::Req(s) => s.recv().await,
            AnySocket::Rep(s) => s.recv().await,
            AnySocket::Dealer(s) => s.recv().await,
            AnySocket::Router(s) => s.recv().await,
            AnySocket::Pull(s) => s.recv().await,
            AnySocket::Xpub(s) => s.recv().await,
            AnySocket::Xsub(s) => s.recv().await,
        }
    }

    /// Subscribes (SUB, or XSUB by sending `\x01topic`).
    pub async fn subscribe(&mut self, topic: impl Into<Bytes>) -> Result<(), SocketError> {
        let topic = topic.into();
        match self {
            AnySocket::Sub(s) => s.subscribe(topic).await,
            AnySocket::Xsub(s) => {
                let mut frame = Vec::with_capacity(topic.len() + 1);
                frame.push(1);
                frame.extend_from_slice(&topic);
                s.send(frame).await
            }
            _ => Err(SocketError::Unsupported("only SUB and XSUB subscribe")),
        }
    }
}

/// Counters kept by [`proxy_steerable`] (libzmq's STATISTICS reply order).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProxyStats {
    /// Messages received on the frontend.
    pub frontend_in_msgs: u64,
    /// Bytes received on the frontend.
    pub frontend_in_bytes: u64,
    /// Messages sent on the frontend.
    pub frontend_out_msgs: u64,
    /// Bytes sent on the frontend.
    pub frontend_out_bytes: u64,
    /// Messages received on the backend.
    pub backend_in_msgs: u64,
    /// Bytes received on the backend.
    pub backend_in_bytes: u64,
    /// Messages sent on the backend.
    pub backend_out_msgs: u64,
    /// Bytes sent on the backend.
    pub backend_out_bytes: u64,
}

impl ProxyStats {
    fn as_message(&self) -> Message {
        [
            self.frontend_in_msgs,
            self.frontend_in_bytes,
            self.frontend_out_msgs,
            self.frontend_out_bytes,
            self.backend_in_msgs,
            self.backend_in_bytes,
            self.backend_out_msgs,
            self.backend_out_bytes,
        ]
        .iter()
        .map(|v| Bytes::copy_from_slice(&v.to_ne_bytes()))
        .collect()
    }
}

/// Forwards messages both ways between `frontend` and `backend` (for
/// ROUTER/DEALER, XSUB/XPUB, PULL/PUSH …), copying each to `capture` if
/// given. Runs until a socket fails; so when the sockets' context is shut
/// down it returns `Err(`[`SocketError::Closed`]`)` at once, whether it
/// was waiting for a message or for room to forward one (the message in
/// hand is then dropped), as libzmq's `zmq_proxy` returns `ETERM`. A
/// broker treats that as its normal end.
pub async fn proxy(
    frontend: &mut AnySocket,
    backend: &mut AnySocket,
    capture: Option<&mut AnySocket>,
) -> Result<(), SocketError> {
    run_proxy(frontend, backend, capture, None)
        .await
        .map(|_| ())
}

/// Like [`proxy`], steered by messages on `control`: `PAUSE` stops
/// forwarding, `RESUME` restarts it, `TERMINATE` ends the proxy (returning
/// the statistics) and `STATISTICS` replies on `control` with eight 64-bit
/// counters (native byte order, as libzmq sends them). Like [`proxy`], it
/// returns `Err(`[`SocketError::Closed`]`)` once the context is shut down.
pub async fn proxy_steerable(
    frontend: &mut AnySocket,
    backend: &mut AnySocket,
    capture: Option<&mut AnySocket>,
    control: &mut AnySocket,
) -> Result<ProxyStats, SocketError> {
    run_proxy(frontend, backend, capture, Some(control)).await
}

async fn run_proxy(
    frontend: &mut AnySocket,
    backend: &mut AnySocket,
    mut capture: Option<&mut AnySocket>,
    mut control: Option<&mut AnySocket>,
) -> Result<ProxyStats, SocketError> {
    let mut stats = ProxyStats::default();
    let mut paused = false;
    let front_in = frontend.can_recv() && backend.can_send();
    let back_in = backend.can_recv() && frontend.can_send();
    loop {
        let has_control = control.is_some();
        tokio::select! {
            m = frontend.recv(), if front_in && !paused => {
                let m = m?;
                let bytes = m.byte_len() as u64;
                stats.frontend_in_msgs += 1;
                stats.frontend_in_bytes += bytes;
                if let Some(c) = capture.as_deref_mut() {
                    let _ = c.send(m.clone()).await;
                }
                backend.send(m).await?;
                stats.backend_out_msgs += 1;
                stats.backend_out_bytes += bytes;
            }
            m = backend.recv(), if back_in && !paused => {
                let m = m?;
                let bytes = m.byte_len() as u64;
                stats.backend_in_msgs += 1;
                stats.backend_in_bytes += bytes;
                if let Some(c) = capture.as_deref_mut() {
                    let _ = c.send(m.clone()).await;
                }
                frontend.send(m).await?;
                stats.frontend_out_msgs += 1;
                stats.frontend_out_bytes += bytes;
            }
            m = async { match control.as_deref_mut() { Some(c) => c.recv().await, None => std::future::pending().await } }, if has_control => {
                let m = m?;
                match m.first().map(|f| &f[..]) {
                    Some(b"PAUSE") => paused = true,
                    Some(b"RESUME") => paused = false,
                    Some(b"TERMINATE") => return Ok(stats),
                    Some(b"STATISTICS") => {
                        if let Some(c) = control.as_deref_mut() {
                            c.send(stats.as_message()).await?;
                        }
                    }
                    _ => tracing::warn!(target: "oxmq", ?m, "proxy: unknown control command"),
                }
            }
        }
    }
}
