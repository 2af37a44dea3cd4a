//! Pipes: the bounded queues between a socket and each of its peers.
//!
//! A [`Peer`] is what the socket layer gets for every connection: a sender
//! towards the peer and a receiver from it, both bounded by the high-water
//! marks (in messages). For tcp and ipc the other ends belong to the
//! connection engine task; for inproc they belong to the other socket.
//!
//! The first item a socket receives from a peer is always
//! [`PipeMsg::Connected`] with the peer's handshake facts; a connecting
//! socket's pipe survives reconnections, so a new `Connected` marks each new
//! connection, in order with the messages (a PUB forgets the old
//! subscriptions of that pipe there, a ROUTER learns the routing id).
//! When the peer is gone for good, the receiver yields `None` and sends fail.

use std::sync::Arc;

use oxmq_zmtp::{Message, PeerInfo};
use tokio::sync::mpsc;

/// Identifies a peer pipe within one socket.
pub type PeerId = u64;

/// An item on a pipe.
#[derive(Debug, Clone)]
pub enum PipeMsg {
    /// A message.
    Message(Message),
    /// A (new) connection on this pipe; facts about the peer.
    Connected(Arc<ConnectionInfo>),
}

/// What a socket knows about the other end of one connection.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    /// Handshake facts: socket type, routing id, metadata, user id.
    pub peer: PeerInfo,
    /// The endpoint of ours that produced the connection.
    pub endpoint: String,
    /// The peer's address (`ip:port` for tcp, path for ipc, name for inproc).
    pub peer_address: String,
}

/// A socket's view of one peer.
#[derive(Debug)]
pub struct Peer {
    /// Unique within the socket.
    pub id: PeerId,
    /// The endpoint that produced this peer.
    pub endpoint: String,
    /// Whether we made the connection (connect) or accepted it (bind).
    pub outgoing: bool,
    /// Messages to the peer; capacity is the send high-water mark.
    pub tx: mpsc::Sender<PipeMsg>,
    /// Items from the peer; capacity is the receive high-water mark (+1 for
    /// the `Connected` marker).
    pub rx: mpsc::Receiver<PipeMsg>,
}
