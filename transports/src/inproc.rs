//! `inproc://`: two sockets of one [`Context`] joined by pipes, with no
//! encoding at all — a message moves between them as a [`Message`] value
//! (its frames are reference-counted, so bodies are never copied).
//!
//! A bound socket registers an [`InprocBinder`] under its name in the
//! context. A `connect` makes the pipe pair at once and hands the
//! connecting socket its half, whether the name is bound yet or not (as
//! libzmq's pending connections do): what the socket sends meanwhile
//! queues, up to its SNDHWM. The other half goes to the bound socket as
//! soon as there is one — inside `connect` when the name is already bound,
//! else from a small task that waits for the bind — with everything queued
//! before, in order. That task then watches both sockets: when the bound
//! side lets go (unbind, close) it ends both pipes (after what is queued)
//! and, `reconnect_ivl` later, makes a new pair for whoever binds the name
//! next. `disconnect` aborts the connecting socket's inbound pipe (what it
//! had not read is dropped, see [`pipe`](crate::pipe)) and ends the other
//! one after what is queued. A connecting socket closed while its pipe
//! still waits for a bind with messages in it lingers like a tcp session:
//! the messages go to the next binder unless the linger time runs out, the
//! context shuts down or is terminated (`Context::term` does not wait for
//! a bind that may never come: libzmq drops such messages at termination).
//!
//! Capacities follow libzmq: each direction holds the sender's SNDHWM plus
//! the receiver's RCVHWM messages; a pipe made before the bind holds the
//! connecting socket's HWM alone until then. A direction conflates
//! (`ZMQ_CONFLATE`) when its sender conflates outbound or its receiver
//! inbound — for a pipe made before the bind, when the connecting socket
//! does (libzmq decides on the connecting socket's option alone in both
//! cases).
//!
//! Each socket's primer (see
//! [`TransportOptions::primer`](crate::TransportOptions::primer)) fills its
//! outbound pipe before the socket sees the peer: the connecting socket's
//! at `connect`, the bound socket's at the join.
//!
//! [`Message`]: oxmq_zmtp::Message

use std::sync::Arc;

use bytes::Bytes;
use oxmq_zmtp::mechanism::LocalInfo;
use oxmq_zmtp::{MechanismName, Metadata, PeerInfo, SocketType, Version};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::connection::Shared;
use crate::context::Context;
use crate::monitor::SocketEvent;
use crate::options::{Primer, TransportOptions};
use crate::pipe::{
    pipe_with, prime, AbortSlot, ConnectionInfo, Peer, PipeMsg, PipeReceiver, PipeSender,
};

/// What a connecting socket needs to know about the bound one.
pub(crate) struct InprocBinder {
    /// Unique per bind, to tell rebinds apart.
    pub(crate) id: u64,
    pub(crate) socket_type: SocketType,
    pub(crate) routing_id: Option<Bytes>,
    pub(crate) metadata: Metadata,
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    /// Whether the bound socket conflates what it receives / sends.
    pub(crate) conflate_in: bool,
    pub(crate) conflate_out: bool,
    /// The bound socket's primer, for its half of each new pipe.
    pub(crate) primer: Option<Primer>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) endpoint: String,
    /// Cancelled when this binding ends.
    pub(crate) token: CancellationToken,
}

impl std::fmt::Debug for InprocBinder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InprocBinder")
            .field("id", &self.id)
            .field("socket_type", &self.socket_type)
            .field("endpoint", &self.endpoint)
            .field("sndhwm", &self.sndhwm)
            .field("rcvhwm", &self.rcvhwm)
            .finish_non_exhaustive()
    }
}

fn peer_info(socket_type: SocketType, routing_id: &Option<Bytes>, md: &Metadata) -> PeerInfo {
    let local = LocalInfo::new(socket_type, routing_id.clone(), md);
    PeerInfo {
        version: Version::V3_1,
        mechanism: MechanismName::NULL,
        socket_type,
        routing_id: routing_id.clone().filter(|id| !id.is_empty()),
        metadata: local.metadata,
        user_id: None,
        auth_metadata: Metadata::new(),
    }
}

/// HWM of one direction: the sender's SNDHWM plus the receiver's RCVHWM
/// (unlimited if either is).
fn hwm(sndhwm: usize, rcvhwm: usize) -> usize {
    if sndhwm == 0 || rcvhwm == 0 {
        0
    } else {
        sndhwm.saturating_add(rcvhwm)
    }
}

/// One inproc connection as its connecting side sees it: a pipe pair whose
/// connecting half the socket already has, joined to a bound socket or
/// waiting for one.
#[derive(Debug)]
pub(crate) struct Conn {
    /// The bound socket's halves until they are handed over: the sender
    /// towards us and the receiver of what we send.
    theirs: Option<(PipeSender, PipeReceiver)>,
    /// Clones of both senders: `closed()` tells when a socket let go.
    to_us: PipeSender,
    to_binder: PipeSender,
    /// The HWMs the two directions have now (0 = unlimited).
    to_us_hwm: usize,
    to_binder_hwm: usize,
    /// Who we are joined to.
    binder: Option<Arc<InprocBinder>>,
}

impl Conn {
    /// Makes the pipe pair and hands the connecting socket its half (with
    /// its primer's messages queued). `binder`, when known, decides the
    /// capacities and flavours at once. `None` if the socket is gone.
    pub(crate) fn open(
        opts: &TransportOptions,
        shared: &Shared,
        endpoint: &str,
        binder: Option<&InprocBinder>,
    ) -> Option<Conn> {
        let (to_binder_hwm, to_us_hwm, conflate_out, conflate_in) = match binder {
            Some(b) => (
                hwm(opts.sndhwm, b.rcvhwm),
                hwm(b.sndhwm, opts.rcvhwm),
                opts.conflate_out() || b.conflate_in,
                opts.conflate_in() || b.conflate_out,
            ),
            None => (
                opts.sndhwm,
                opts.rcvhwm,
                opts.conflate_out(),
                opts.conflate_in(),
            ),
        };
        let (to_binder_tx, to_binder_rx) = pipe_with(to_binder_hwm, conflate_out);
        let (to_us_tx, to_us_rx) = pipe_with(to_us_hwm, conflate_in);
        // The bound socket first learns who we are, then gets what we send.
        // (Its endpoint is ours: `inproc://name` on both sides.)
        let us = Arc::new(ConnectionInfo {
            peer: peer_info(opts.socket_type, &opts.routing_id, &opts.metadata),
            endpoint: endpoint.to_string(),
            peer_address: endpoint.to_string(),
        });
        // Markers need no room: this cannot fail while both halves exist.
        let _ = to_binder_tx.try_send(PipeMsg::Connected(us));
        let primed = prime(&to_binder_tx, opts.primer.as_ref());
        let conn = Conn {
            theirs: Some((to_us_tx.clone(), to_binder_rx)),
            to_us: to_us_tx,
            to_binder: to_binder_tx.clone(),
            to_us_hwm,
            to_binder_hwm,
            binder: None,
        };
        let ours = Peer {
            id: shared.next_peer_id(),
            endpoint: endpoint.to_string(),
            outgoing: true,
            tx: to_binder_tx,
            rx: to_us_rx,
            primed,
        };
        shared.peers_tx.send(ours).ok()?;
        Some(conn)
    }

    /// Whether the bound socket has not got its half yet.
    fn is_pending(&self) -> bool {
        self.theirs.is_some()
    }

    /// Whether the connecting socket has queued messages not taken yet.
    fn has_queued(&self) -> bool {
        self.theirs.as_ref().is_some_and(|(_, rx)| !rx.is_empty())
    }

    /// Hands the bound socket its half: the capacities get the binder's
    /// HWMs, our socket learns who it talks to, and the binder's primer
    /// fills its outbound pipe. False (the pipes stay pending) if the two
    /// types may not talk.
    pub(crate) fn join(
        &mut self,
        binder: &Arc<InprocBinder>,
        opts: &TransportOptions,
        shared: &Shared,
        endpoint: &str,
    ) -> bool {
        if !opts.socket_type.is_compatible_with(binder.socket_type) {
            shared.monitor.emit(SocketEvent::HandshakeFailedProtocol {
                endpoint: endpoint.to_string(),
                peer: endpoint.to_string(),
                error: format!(
                    "socket type {} may not connect to {}",
                    binder.socket_type, opts.socket_type
                ),
            });
            return false;
        }
        let Some((to_us_tx, to_binder_rx)) = self.theirs.take() else {
            return true;
        };
        let to_binder_hwm = hwm(opts.sndhwm, binder.rcvhwm);
        let to_us_hwm = hwm(binder.sndhwm, opts.rcvhwm);
        self.to_binder.raise_hwm(self.to_binder_hwm, to_binder_hwm);
        self.to_us.raise_hwm(self.to_us_hwm, to_us_hwm);
        (self.to_binder_hwm, self.to_us_hwm) = (to_binder_hwm, to_us_hwm);
        let them = Arc::new(ConnectionInfo {
            peer: peer_info(binder.socket_type, &binder.routing_id, &binder.metadata),
            endpoint: endpoint.to_string(),
            peer_address: binder.endpoint.clone(),
        });
        let _ = to_us_tx.try_send(PipeMsg::Connected(them));
        let primed = prime(&to_us_tx, binder.primer.as_ref());
        let theirs = Peer {
            id: binder.shared.next_peer_id(),
            endpoint: binder.endpoint.clone(),
            outgoing: false,
            tx: to_us_tx,
            rx: to_binder_rx,
            primed,
        };
        // If the bound socket is going away, its half is dropped here and
        // the watch sees the link end at once.
        let _ = binder.shared.peers_tx.send(theirs);
        self.binder = Some(binder.clone());
        shared.monitor.emit(SocketEvent::Connected {
            endpoint: endpoint.to_string(),
            peer: binder.endpoint.clone(),
        });
        binder.shared.monitor.emit(SocketEvent::Accepted {
            endpoint: binder.endpoint.clone(),
            peer: endpoint.to_string(),
        });
        true
    }

    /// Ends both pipes after what is queued in them.
    fn close(&self) {
        self.to_us.close_pipe();
        self.to_binder.close_pipe();
    }
}

/// How a link ended.
enum LinkEnd {
    /// Our socket let go of its half (or our endpoint was disconnected).
    Ours,
    /// The bound socket let go of its half.
    Theirs,
    /// The name was unbound (or the bound socket closed).
    Unbound,
}

/// What the connecting side of an inproc endpoint needs, for its task.
#[derive(Debug)]
pub(crate) struct ConnectTask {
    pub(crate) ctx: Context,
    pub(crate) name: String,
    pub(crate) endpoint: String,
    pub(crate) opts: Arc<TransportOptions>,
    pub(crate) shared: Arc<Shared>,
    /// Cancelled by `disconnect` and when the socket closes.
    pub(crate) token: CancellationToken,
    /// Where `disconnect` finds the inbound pipe to abort.
    pub(crate) inbound: AbortSlot,
}

impl ConnectTask {
    /// The current binding of the name, if live.
    fn bound(&self) -> Option<Arc<InprocBinder>> {
        let b = self.ctx.inproc_slot(&self.name).borrow().clone();
        b.filter(|b| !b.token.is_cancelled())
    }

    /// Makes a connection: joined at once when the name is bound. Returns
    /// it and the id of the binder tried (0: none).
    pub(crate) fn open(&self) -> Option<(Conn, u64)> {
        let bound = self.bound();
        let mut conn = Conn::open(&self.opts, &self.shared, &self.endpoint, bound.as_deref())?;
        self.inbound.set(&conn.to_us);
        let mut tried = 0;
        if let Some(b) = bound {
            tried = b.id;
            conn.join(&b, &self.opts, &self.shared, &self.endpoint);
        }
        Some((conn, tried))
    }

    /// Runs the connecting side until cancelled, starting from `first`
    /// (made at `connect` time).
    pub(crate) async fn run(self, first: (Conn, u64)) {
        let mut slot = self.ctx.inproc_slot(&self.name);
        let mut next = Some(first);
        loop {
            let (mut conn, mut tried) = match next.take() {
                Some(c) => c,
                None => match self.open() {
                    Some(c) => c,
                    None => return,
                },
            };
            // Waiting for a (compatible) binder.
            while conn.is_pending() {
                let waited = tokio::select! {
                    r = slot.wait_for(|b| b.as_ref().is_some_and(|b| b.id != tried && !b.token.is_cancelled())) => match r {
                        Ok(b) => b.clone(),
                        Err(_) => return,
                    },
                    () = conn.to_us.closed() => None,
                    () = self.token.cancelled() => None,
                };
                let Some(binder) = waited else {
                    // Our socket let go of the pipe, or the endpoint was
                    // disconnected or closed, before any bind.
                    self.linger(conn, &mut slot).await;
                    return;
                };
                tried = binder.id;
                conn.join(&binder, &self.opts, &self.shared, &self.endpoint);
            }
            let Some(binder) = conn.binder.clone() else {
                return;
            };
            let end = tokio::select! {
                () = conn.to_us.closed() => LinkEnd::Ours,
                () = conn.to_binder.closed() => LinkEnd::Theirs,
                () = binder.token.cancelled() => LinkEnd::Unbound,
                () = self.token.cancelled() => LinkEnd::Ours,
            };
            // Each socket gets what is queued for it, then the end of the
            // pipe (a disconnect aborted our inbound pipe already).
            conn.close();
            self.shared.monitor.emit(SocketEvent::Disconnected {
                endpoint: self.endpoint.clone(),
                peer: binder.endpoint.clone(),
                reason: match end {
                    LinkEnd::Ours => "closed",
                    LinkEnd::Theirs => "peer closed",
                    LinkEnd::Unbound => "peer unbound",
                }
                .into(),
            });
            drop(conn);
            if let LinkEnd::Ours = end {
                return;
            }
            let Some(wait) = self.opts.reconnect_ivl else {
                return;
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.token.cancelled() => return,
            }
        }
    }

    /// A pending connection whose socket let go: what the socket queued
    /// goes to the next binder, within the linger time (not at all with a
    /// linger of zero, nor after a shutdown or `term`).
    async fn linger(
        &self,
        mut conn: Conn,
        slot: &mut tokio::sync::watch::Receiver<Option<Arc<InprocBinder>>>,
    ) {
        if !conn.has_queued() || self.opts.linger == Some(std::time::Duration::ZERO) {
            return;
        }
        let deadline = self.opts.linger.map(|l| Instant::now() + l);
        let expired = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(expired);
        let mut tried = 0;
        loop {
            let binder = tokio::select! {
                r = slot.wait_for(|b| b.as_ref().is_some_and(|b| b.id != tried && !b.token.is_cancelled())) => match r {
                    Ok(b) => b.clone(),
                    Err(_) => return,
                },
                () = &mut expired => return,
                () = self.ctx.shutdown_token().cancelled() => return,
                () = self.ctx.term_requested() => return,
            };
            let Some(binder) = binder else { continue };
            tried = binder.id;
            if conn.join(&binder, &self.opts, &self.shared, &self.endpoint) {
                // Delivered after what is queued; nobody reads our side.
                conn.close();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use oxmq_zmtp::Message;

    use super::*;
    use crate::socket::SocketTransport;

    const SAFETY: Duration = Duration::from_secs(20);

    fn push(ctx: &Context, linger: Option<Duration>) -> (SocketTransport, Peer) {
        let mut opts = TransportOptions::new(SocketType::Push);
        opts.linger = linger;
        let (t, mut peers) = SocketTransport::new(ctx, opts);
        t.connect("inproc://pending").unwrap();
        // The pipe exists before anything is bound.
        let peer = peers.try_recv().expect("a pipe at connect");
        (t, peer)
    }

    async fn bound_pull(ctx: &Context) -> (SocketTransport, Peer) {
        let (t, mut peers) = SocketTransport::new(ctx, TransportOptions::new(SocketType::Pull));
        t.bind("inproc://pending").await.unwrap();
        let peer = tokio::time::timeout(SAFETY, peers.recv())
            .await
            .expect("the pending connection joins")
            .expect("a peer");
        (t, peer)
    }

    /// Closed before the bind with a message queued: delivered to the
    /// binder, then the pipe ends; the task is gone afterwards.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_closed_pending_connection_delivers_at_the_bind() {
        let ctx = Context::new();
        let (t, peer) = push(&ctx, None);
        peer.tx
            .try_send(PipeMsg::Message(Message::from("queued")))
            .unwrap();
        drop((peer, t));
        let (_pull, mut bp) = bound_pull(&ctx).await;
        assert!(matches!(bp.rx.recv().await, Some(PipeMsg::Connected(_))));
        match bp.rx.recv().await {
            Some(PipeMsg::Message(m)) => assert_eq!(m, Message::from("queued")),
            other => panic!("expected the queued message, got {other:?}"),
        }
        assert!(bp.rx.recv().await.is_none());
        tokio::time::timeout(SAFETY, ctx.term())
            .await
            .expect("term");
    }

    /// `term` does not wait for a bind that never comes (libzmq drops the
    /// messages of pending connections when the context terminates).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn term_does_not_wait_for_a_bind() {
        let ctx = Context::new();
        let (t, peer) = push(&ctx, None);
        peer.tx
            .try_send(PipeMsg::Message(Message::from("stuck")))
            .unwrap();
        drop((peer, t));
        tokio::time::timeout(SAFETY, ctx.term())
            .await
            .expect("term");
        assert_eq!(ctx.task_count(), 0);
    }

    /// With a linger of zero the queued messages go with the socket.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn linger_zero_drops_a_pending_queue() {
        let ctx = Context::new();
        let (t, peer) = push(&ctx, Some(Duration::ZERO));
        peer.tx
            .try_send(PipeMsg::Message(Message::from("dropped")))
            .unwrap();
        drop((peer, t));
        tokio::time::timeout(SAFETY, ctx.term())
            .await
            .expect("term");
        // No task is left that could still connect.
        assert_eq!(ctx.task_count(), 0);
        let (pull, mut peers) = SocketTransport::new(&ctx, TransportOptions::new(SocketType::Pull));
        pull.bind("inproc://pending").await.unwrap();
        assert!(peers.try_recv().is_err(), "nobody connects");
    }
}
