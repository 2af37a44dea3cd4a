//! `inproc://`: two sockets of one [`Context`] joined by pipes, with no
//! encoding at all — a message moves between them as a [`Message`] value
//! (its frames are reference-counted, so bodies are never copied).
//!
//! A bound socket registers an [`InprocBinder`] under its name in the
//! context. A connecting socket runs a small task that waits for the name to
//! be bound (so connect may come first), builds a pipe pair, hands one half
//! to each socket, then watches both: when the bound side drops the pipe
//! (unbind, close) it waits `reconnect_ivl` and connects again to whoever
//! binds the name next. Capacities follow libzmq: each direction holds the
//! sender's SNDHWM plus the receiver's RCVHWM messages.
//!
//! [`Message`]: oxmq_zmtp::Message

use std::sync::Arc;

use bytes::Bytes;
use oxmq_zmtp::mechanism::LocalInfo;
use oxmq_zmtp::{MechanismName, Metadata, PeerInfo, SocketType, Version};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::connection::{inbound_capacity, Shared};
use crate::context::Context;
use crate::monitor::SocketEvent;
use crate::options::TransportOptions;
use crate::pipe::{ConnectionInfo, Peer, PipeMsg};

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

/// Capacity of one direction: sender's SNDHWM + receiver's RCVHWM
/// (unlimited if either is), plus the `Connected` marker.
fn capacity(sndhwm: usize, rcvhwm: usize) -> usize {
    if sndhwm == 0 || rcvhwm == 0 {
        inbound_capacity(0)
    } else {
        inbound_capacity(sndhwm.saturating_add(rcvhwm))
    }
}

/// Runs the connecting side of an inproc endpoint until cancelled.
pub(crate) async fn connect_task(
    ctx: Context,
    name: String,
    endpoint: String,
    opts: Arc<TransportOptions>,
    shared: Arc<Shared>,
    token: CancellationToken,
) {
    let mut slot = ctx.inproc_slot(&name);
    let mut last_binder = 0u64;
    loop {
        let binder = tokio::select! {
            r = slot.wait_for(|b| b.as_ref().is_some_and(|b| b.id != last_binder && !b.token.is_cancelled())) => match r {
                Ok(b) => b.clone(),
                Err(_) => return,
            },
            () = token.cancelled() => return,
        };
        let Some(binder) = binder else { continue };
        last_binder = binder.id;
        if !opts.socket_type.is_compatible_with(binder.socket_type) {
            shared.monitor.emit(SocketEvent::HandshakeFailedProtocol {
                endpoint: endpoint.clone(),
                peer: endpoint.clone(),
                error: format!(
                    "socket type {} may not connect to {}",
                    binder.socket_type, opts.socket_type
                ),
            });
            continue;
        }
        let (to_binder_tx, to_binder_rx) = mpsc::channel(capacity(opts.sndhwm, binder.rcvhwm));
        let (to_us_tx, to_us_rx) = mpsc::channel(capacity(binder.sndhwm, opts.rcvhwm));
        let us = Arc::new(ConnectionInfo {
            peer: peer_info(opts.socket_type, &opts.routing_id, &opts.metadata),
            endpoint: binder.endpoint.clone(),
            peer_address: endpoint.clone(),
        });
        let them = Arc::new(ConnectionInfo {
            peer: peer_info(binder.socket_type, &binder.routing_id, &binder.metadata),
            endpoint: endpoint.clone(),
            peer_address: binder.endpoint.clone(),
        });
        // Both channels are empty and have room for the markers.
        let _ = to_binder_tx.try_send(PipeMsg::Connected(us));
        let _ = to_us_tx.try_send(PipeMsg::Connected(them));
        let watch_us = to_us_tx.clone();
        let watch_binder = to_binder_tx.clone();
        let ours = Peer {
            id: shared.next_peer_id(),
            endpoint: endpoint.clone(),
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
        if binder.shared.peers_tx.send(theirs).is_err() {
            // The bound socket is going away; wait for the next binding.
            continue;
        }
        if shared.peers_tx.send(ours).is_err() {
            return;
        }
        shared.monitor.emit(SocketEvent::Connected {
            endpoint: endpoint.clone(),
            peer: binder.endpoint.clone(),
        });
        binder.shared.monitor.emit(SocketEvent::Accepted {
            endpoint: binder.endpoint.clone(),
            peer: endpoint.clone(),
        });
        let we_left = tokio::select! {
            () = watch_us.closed() => true,
            () = watch_binder.closed() => false,
            () = token.cancelled() => true,
        };
        drop((watch_us, watch_binder));
        shared.monitor.emit(SocketEvent::Disconnected {
            endpoint: endpoint.clone(),
            peer: binder.endpoint.clone(),
            reason: if we_left { "closed" } else { "peer closed" }.into(),
        });
        if we_left {
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
