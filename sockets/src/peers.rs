//! The peer table shared by the patterns: new peers arrive from the
//! transport; inbound pipes are fair-queued, outbound ones are reached
//! round-robin (load balancing), by id (routing) or all at once (fan-out).
//!
//! Fair queueing uses [`SelectAll`]: only pipes that were woken are polled,
//! and a pipe that yielded an item goes to the back of the ready queue, so
//! five peers with two queued messages each deliver one from each before
//! any second one. Load balancing tries each pipe in turn from where the
//! last send stopped, skipping full ones; when all are full it waits for room
//! on any of them (or for a new peer), through pipe reservations.
//!
//! The patterns see the life of each peer as [`Event`]s, in order with its
//! messages: `Attached` (the socket got a pipe, with what the transport
//! already queued in it from the socket's primer), `Connected` (a handshake
//! completed on it; again after each reconnection of a connecting pipe),
//! `Message`, and `Gone`.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{SelectAll, Stream, StreamExt};
use oxmq_transports::{ConnectionInfo, Peer, PeerId, PipeMsg, PipeReceiver, PipeSender};
use oxmq_zmtp::{Message, Metadata};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;

/// Something that happened to a peer.
#[derive(Debug)]
pub(crate) enum Event {
    /// A new pipe, and the messages the transport already queued in it
    /// from the socket's primer ([`Peer::primed`]).
    Attached(PeerId, Vec<Message>),
    /// A handshake completed on the pipe (facts about the remote socket).
    Connected(PeerId, Arc<ConnectionInfo>),
    /// A message from the peer.
    Message(PeerId, Message),
    /// The pipe is gone for good.
    Gone(PeerId),
}

/// One peer's inbound pipe as a stream; yields `(id, None)` once when it
/// ends. Messages get the properties of the connection they came on.
struct PeerStream {
    id: PeerId,
    rx: PipeReceiver,
    ended: bool,
    properties: Option<Arc<Metadata>>,
}

/// The properties libzmq attaches to received messages: the peer's
/// handshake metadata, `Peer-Address` (the IP for tcp), `User-Id` and the
/// authenticator's metadata.
fn message_properties(info: &ConnectionInfo) -> Arc<Metadata> {
    let mut md = info.peer.metadata.clone();
    let address = match info.peer_address.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => info.peer_address.clone(),
    };
    md.insert("Peer-Address", address);
    if let Some(user) = &info.peer.user_id {
        md.insert("User-Id", user.clone());
    }
    md.extend(&info.peer.auth_metadata);
    Arc::new(md)
}

impl Stream for PeerStream {
    type Item = (PeerId, Option<PipeMsg>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(PipeMsg::Message(mut m))) => {
                m.set_properties(self.properties.clone());
                Poll::Ready(Some((self.id, Some(PipeMsg::Message(m)))))
            }
            Poll::Ready(Some(PipeMsg::Connected(info))) => {
                self.properties = Some(message_properties(&info));
                Poll::Ready(Some((self.id, Some(PipeMsg::Connected(info)))))
            }
            Poll::Ready(None) => {
                self.ended = true;
                Poll::Ready(Some((self.id, None)))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

struct OutPipe {
    id: PeerId,
    endpoint: String,
    tx: PipeSender,
}

/// Why a message could not be queued for one peer.
#[derive(Debug)]
pub(crate) enum SendToError {
    /// The peer's pipe is full (its HWM is reached).
    Full(Message),
    /// No such peer (any more).
    Gone(Message),
}

/// The peers of one socket.
pub(crate) struct Peers {
    intake: mpsc::UnboundedReceiver<Peer>,
    out: Vec<OutPipe>,
    index: HashMap<PeerId, usize>,
    next: usize,
    fq: SelectAll<PeerStream>,
    /// At most this many peers (PAIR: 1); extra ones are dropped.
    max_peers: Option<usize>,
    /// Events produced while intaking, delivered before pipe items.
    backlog: std::collections::VecDeque<Event>,
}

impl std::fmt::Debug for Peers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Peers")
            .field("count", &self.out.len())
            .finish()
    }
}

impl Peers {
    pub(crate) fn new(intake: mpsc::UnboundedReceiver<Peer>, max_peers: Option<usize>) -> Self {
        Peers {
            intake,
            out: Vec::new(),
            index: HashMap::new(),
            next: 0,
            fq: SelectAll::new(),
            max_peers,
            backlog: std::collections::VecDeque::new(),
        }
    }

    fn add(&mut self, peer: Peer) {
        if self.max_peers.is_some_and(|max| self.out.len() >= max) {
            tracing::debug!(target: "oxmq", endpoint = %peer.endpoint, "peer refused: socket is exclusive");
            return;
        }
        self.index.insert(peer.id, self.out.len());
        self.out.push(OutPipe {
            id: peer.id,
            endpoint: peer.endpoint,
            tx: peer.tx,
        });
        self.fq.push(PeerStream {
            id: peer.id,
            rx: peer.rx,
            ended: false,
            properties: None,
        });
        self.backlog
            .push_back(Event::Attached(peer.id, peer.primed));
    }

    /// Forgets a peer's outbound pipe (its inbound one ends by itself).
    pub(crate) fn remove(&mut self, id: PeerId) {
        let Some(idx) = self.index.remove(&id) else {
            return;
        };
        self.out.swap_remove(idx);
        if let Some(moved) = self.out.get(idx) {
            self.index.insert(moved.id, idx);
        }
        if self.next >= self.out.len() {
            self.next = 0;
        }
    }

    /// Takes in new peers (their `Attached` events go to the backlog).
    ///
    /// `try_recv` first: it is not subject to tokio's cooperative budget, so
    /// a peer that exists is always seen (a SUB subscribing right after
    /// `connect` must find its peer even late in a busy task turn); then
    /// `poll_recv` registers for the next one.
    fn poll_intake(&mut self, cx: &mut Context<'_>) {
        while let Ok(peer) = self.intake.try_recv() {
            self.add(peer);
        }
        while let Poll::Ready(Some(peer)) = self.intake.poll_recv(cx) {
            self.add(peer);
        }
    }

    /// Takes in new peers and returns their ids and primed messages,
    /// consuming their `Attached` events (for send paths that must greet
    /// new peers).
    pub(crate) fn poll_attached(&mut self, cx: &mut Context<'_>) -> Vec<(PeerId, Vec<Message>)> {
        self.poll_intake(cx);
        self.backlog
            .drain(..)
            .filter_map(|ev| match ev {
                Event::Attached(id, primed) => Some((id, primed)),
                _ => None,
            })
            .collect()
    }

    /// The next event: new peers first, then pipe items, fair-queued.
    /// `Pending` registers interest in both.
    pub(crate) fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Event> {
        self.poll_intake(cx);
        if let Some(ev) = self.backlog.pop_front() {
            return Poll::Ready(ev);
        }
        match self.fq.poll_next_unpin(cx) {
            Poll::Ready(Some((id, Some(PipeMsg::Message(m))))) => {
                Poll::Ready(Event::Message(id, m))
            }
            Poll::Ready(Some((id, Some(PipeMsg::Connected(info))))) => {
                Poll::Ready(Event::Connected(id, info))
            }
            Poll::Ready(Some((id, None))) => {
                self.remove(id);
                Poll::Ready(Event::Gone(id))
            }
            // No peers at all: wait for one (the intake waker is set).
            Poll::Ready(None) | Poll::Pending => Poll::Pending,
        }
    }

    /// Number of live peers.
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// Whether `id` is a live peer.
    pub(crate) fn contains(&self, id: PeerId) -> bool {
        self.index.contains_key(&id)
    }

    /// The endpoint (of ours) that produced peer `id`.
    pub(crate) fn endpoint(&self, id: PeerId) -> Option<&str> {
        self.index
            .get(&id)
            .map(|&idx| self.out[idx].endpoint.as_str())
    }

    /// The ids of all live peers.
    pub(crate) fn ids(&self) -> impl Iterator<Item = PeerId> + '_ {
        self.out.iter().map(|p| p.id)
    }

    /// Queues `msg` for peer `id` without waiting.
    pub(crate) fn try_send_to(&mut self, id: PeerId, msg: Message) -> Result<(), SendToError> {
        let Some(&idx) = self.index.get(&id) else {
            return Err(SendToError::Gone(msg));
        };
        // `send_reserved`: room already granted to this socket (by a
        // blocking send that was cancelled) is used too.
        match self.out[idx].tx.send_reserved(msg) {
            Ok(()) => Ok(()),
            Err(TrySendError::Full(m)) => Err(SendToError::Full(m)),
            Err(TrySendError::Closed(m)) => {
                self.remove(id);
                Err(SendToError::Gone(m))
            }
        }
    }

    /// `Ready` when every peer in `ids` has room for one message (gone
    /// peers do not count). With `wait`, registers for room on the first
    /// full one; without, `Pending` means "would block".
    pub(crate) fn poll_room_all(
        &mut self,
        cx: &mut Context<'_>,
        ids: &[PeerId],
        wait: bool,
    ) -> Poll<()> {
        for id in ids {
            let Some(&idx) = self.index.get(id) else {
                continue;
            };
            let tx = &mut self.out[idx].tx;
            if tx.capacity() > 0 || tx.is_closed() {
                continue;
            }
            if !wait {
                return Poll::Pending;
            }
            match tx.poll_reserve(cx) {
                // Only readiness was wanted: give the slot back.
                Poll::Ready(_) => tx.abort_reserve(),
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(())
    }

    /// Queues the message in `slot` for peer `id`, waiting for room.
    /// `Ready(false)`: the peer is gone (the message stays in `slot`).
    pub(crate) fn poll_send_to(
        &mut self,
        cx: &mut Context<'_>,
        id: PeerId,
        slot: &mut Option<Message>,
    ) -> Poll<bool> {
        let Some(msg) = slot.take() else {
            return Poll::Ready(true);
        };
        match self.try_send_to(id, msg) {
            Ok(()) => return Poll::Ready(true),
            Err(SendToError::Gone(m)) => {
                *slot = Some(m);
                return Poll::Ready(false);
            }
            Err(SendToError::Full(m)) => *slot = Some(m),
        }
        let Some(&idx) = self.index.get(&id) else {
            return Poll::Ready(false);
        };
        match self.out[idx].tx.poll_reserve(cx) {
            Poll::Ready(Ok(())) => {
                let Some(msg) = slot.take() else {
                    return Poll::Ready(true);
                };
                match self.out[idx].tx.send_reserved(msg) {
                    Ok(()) => Poll::Ready(true),
                    Err(TrySendError::Full(m) | TrySendError::Closed(m)) => {
                        *slot = Some(m);
                        self.remove(id);
                        Poll::Ready(false)
                    }
                }
            }
            Poll::Ready(Err(_)) => {
                self.remove(id);
                Poll::Ready(false)
            }
            Poll::Pending => Poll::Pending,
        }
    }

    /// Queues the message in `slot` on the next pipe with room,
    /// round-robin. `Pending` (the message left in `slot`) while every pipe
    /// is full or there is no peer; wakers are registered on every pipe and
    /// on the intake of new peers.
    ///
    /// With `wait == false` only pipes with room now are tried, nothing is
    /// reserved, and `Pending` means "would block".
    pub(crate) fn poll_send_lb(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<PeerId> {
        loop {
            self.poll_intake(cx);
            let n = self.out.len();
            let mut dead = Vec::new();
            // Fast path: a pipe with room, without registering anything.
            for i in 0..n {
                let idx = (self.next + i) % n;
                let Some(msg) = slot.take() else { break };
                match self.out[idx].tx.send_reserved(msg) {
                    Ok(()) => {
                        self.next = (idx + 1) % n;
                        return Poll::Ready(self.out[idx].id);
                    }
                    Err(TrySendError::Full(m)) => *slot = Some(m),
                    Err(TrySendError::Closed(m)) => {
                        *slot = Some(m);
                        dead.push(self.out[idx].id);
                    }
                }
            }
            if !wait {
                for id in dead {
                    self.remove(id);
                }
                return Poll::Pending;
            }
            // Slow path: register for room on every pipe; use the first ready.
            let mut chosen = None;
            for (idx, pipe) in self.out.iter_mut().enumerate() {
                if chosen.is_some() {
                    pipe.tx.abort_reserve();
                    continue;
                }
                match pipe.tx.poll_reserve(cx) {
                    Poll::Ready(Ok(())) => chosen = Some(idx),
                    Poll::Ready(Err(_)) => dead.push(pipe.id),
                    Poll::Pending => {}
                }
            }
            // (Take the message only once a pipe is chosen.)
            if let Some((idx, msg)) = chosen.and_then(|idx| slot.take().map(|m| (idx, m))) {
                let id = self.out[idx].id;
                match self.out[idx].tx.send_reserved(msg) {
                    Ok(()) => {
                        self.next = (idx + 1) % self.out.len();
                        return Poll::Ready(id);
                    }
                    Err(TrySendError::Full(m) | TrySendError::Closed(m)) => {
                        *slot = Some(m);
                        dead.push(id);
                    }
                }
            }
            if dead.is_empty() {
                return Poll::Pending;
            }
            for id in dead {
                self.remove(id);
            }
        }
    }
}
