//! `inproc://`: two sockets of one [`Context`] joined by pipes, with no
//! encoding at all — a message moves between them as a [`Message`] value
//! (its frames are reference-counted, so bodies are never copied).
//!
//! A bound socket registers an [`InprocBinder`] under its name in the
//! context. A connecting socket runs a small task that waits for the name to
//! be bound (so connect may come first), builds a pipe pair, hands one half
//! to each socket, then watches both: when the bound side lets go (unbind,
//! close) it ends both pipes (after what is queued) and, `reconnect_ivl`
//! later, connects again to whoever binds the name next; `disconnect` ends
//! both pipes too. When the name is bound at `connect` time, the pipes are
//! made at once, so messages sent right after `connect` already have a peer.
//! Capacities follow libzmq: each direction holds the sender's SNDHWM plus
//! the receiver's RCVHWM messages.
//!
//! [`Message`]: oxmq_zmtp::Message

use std::sync::Arc;

use bytes::Bytes;
use oxmq_zmtp::mechanism::LocalInfo;
use oxmq_zmtp::{MechanismName, Metadata, PeerInfo, SocketType, Version};
use tokio_util::sync::CancellationToken;

use crate::connection::Shared;
use crate::context::Context;
use crate::monitor::SocketEvent;
use crate::options::TransportOptions;
use crate::pipe::{pipe, ConnectionInfo, Peer, PipeMsg, PipeSender};

/// What a connecting socket needs to know about the bound one.
#[derive(Debug)]
pub(crate) struct InprocBinder {
    /// Unique per bind, to tell rebinds apart.
    pub(crate) id: u64,
    pub(crate) socket_type: SocketType,
    pub(crate) routing_id: Option<Bytes>,
    pub(crate) metadata: Metadata,
    pub(crate) sndhwm: usize,
    pub(crate) rcvhwm: usize,
    pub(crate) shared: Arc<Shared>,
    pub(crate) endpoint: String,
    /// Cancelled when this binding ends.
    pub(crate) token: CancellationToken,
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

/// A live inproc connection, as its connect task watches it.
#[derive(Debug)]
pub(crate) struct Link {
    binder: Arc<InprocBinder>,
    /// Clones of both senders: `closed()` tells when a socket let go.
    to_us: PipeSender,
    to_binder: PipeSender,
}

/// Joins the connecting socket to `binder` with a fresh pipe pair and hands
/// each socket its half. `None` if the types may not talk or a socket is
/// going away.
pub(crate) fn establish(
    binder: &Arc<InprocBinder>,
    opts: &TransportOptions,
    shared: &Shared,
    endpoint: &str,
) -> Option<Link> {
    if !opts.socket_type.is_compatible_with(binder.socket_type) {
        shared.monitor.emit(SocketEvent::HandshakeFailedProtocol {
            endpoint: endpoint.to_string(),
            peer: endpoint.to_string(),
            error: format!(
                "socket type {} may not connect to {}",
                binder.socket_type, opts.socket_type
            ),
        });
        return None;
    }
    let (to_binder_tx, to_binder_rx) = pipe(hwm(opts.sndhwm, binder.rcvhwm));
    let (to_us_tx, to_us_rx) = pipe(hwm(binder.sndhwm, opts.rcvhwm));
    let us = Arc::new(ConnectionInfo {
        peer: peer_info(opts.socket_type, &opts.routing_id, &opts.metadata),
        endpoint: binder.endpoint.clone(),
        peer_address: endpoint.to_string(),
    });
    let them = Arc::new(ConnectionInfo {
        peer: peer_info(binder.socket_type, &binder.routing_id, &binder.metadata),
        endpoint: endpoint.to_string(),
        peer_address: binder.endpoint.clone(),
    });
    // Markers need no room: these cannot fail while both halves exist.
    let _ = to_binder_tx.try_send(PipeMsg::Connected(us));
    let _ = to_us_tx.try_send(PipeMsg::Connected(them));
    let link = Link {
        binder: binder.clone(),
        to_us: to_us_tx.clone(),
        to_binder: to_binder_tx.clone(),
    };
    let ours = Peer {
        id: shared.next_peer_id(),
        endpoint: endpoint.to_string(),
        outgoing: true,
        tx: to_binder_tx,
        rx: to_us_rx,
    };
    let theirs = Peer {
        id: binder.shared.next_peer_id(),
        endpoint: binder.endpoint.clone(),
        outgoing: false,
        tx: to_us_tx,
        rx: to_binder_rx,
    };
    if binder.shared.peers_tx.send(theirs).is_err() || shared.peers_tx.send(ours).is_err() {
        return None;
    }
    shared.monitor.emit(SocketEvent::Connected {
        endpoint: endpoint.to_string(),
        peer: binder.endpoint.clone(),
    });
    binder.shared.monitor.emit(SocketEvent::Accepted {
        endpoint: binder.endpoint.clone(),
        peer: endpoint.to_string(),
    });
    Some(link)
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

/// Runs the connecting side of an inproc endpoint until cancelled, starting
/// from `link` when the connection was made at `connect` time.
pub(crate) async fn connect_task(
    ctx: Context,
    name: String,
    endpoint: String,
    opts: Arc<TransportOptions>,
    shared: Arc<Shared>,
    token: CancellationToken,
    mut link: Option<Link>,
) {
    let mut slot = ctx.inproc_slot(&name);
    let mut last_binder = link.as_ref().map_or(0, |l| l.binder.id);
    loop {
        let current = match link.take() {
            Some(l) => l,
            None => {
                let binder = tokio::select! {
                    r = slot.wait_for(|b| b.as_ref().is_some_and(|b| b.id != last_binder && !b.token.is_cancelled())) => match r {
                        Ok(b) => b.clone(),
                        Err(_) => return,
                    },
                    () = token.cancelled() => return,
                };
                let Some(binder) = binder else { continue };
                last_binder = binder.id;
                match establish(&binder, &opts, &shared, &endpoint) {
                    Some(l) => l,
                    None => continue,
                }
            }
        };
        let end = tokio::select! {
            () = current.to_us.closed() => LinkEnd::Ours,
            () = current.to_binder.closed() => LinkEnd::Theirs,
            () = current.binder.token.cancelled() => LinkEnd::Unbound,
            () = token.cancelled() => LinkEnd::Ours,
        };
        // Each socket gets what is queued for it, then the end of the pipe.
        current.to_us.close_pipe();
        current.to_binder.close_pipe();
        shared.monitor.emit(SocketEvent::Disconnected {
            endpoint: endpoint.clone(),
            peer: current.binder.endpoint.clone(),
            reason: match end {
                LinkEnd::Ours => "closed",
                LinkEnd::Theirs => "peer closed",
                LinkEnd::Unbound => "peer unbound",
            }
            .into(),
        });
        drop(current);
        if let LinkEnd::Ours = end {
            return;
        }
        let Some(wait) = opts.reconnect_ivl else {
            return;
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = token.cancelled() => return,
        }
        // Any binding, including the same one again, may be used now.
        last_binder = 0;
    }
}
