//! The peer table shared by the patterns: new peers arrive from the
//! transport; inbound pipes are fair-queued, outbound ones load-balanced.
//!
//! Fair queueing uses [`SelectAll`]: only pipes that were woken are polled,
//! and a pipe that yielded a message goes to the back of the ready queue, so
//! five peers with two queued messages each deliver one from each before
//! any second one. Load balancing tries each pipe in turn from where the
//! last send stopped, skipping full ones; when all are full it waits for room
//! on any of them (or for a new peer).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::stream::{SelectAll, Stream, StreamExt};
use oxmq_transports::{Peer, PeerId, PipeMsg};
use oxmq_zmtp::Message;
use tokio::sync::mpsc;
use tokio_util::sync::PollSender;

/// One peer's inbound pipe as a stream; yields `(id, None)` once when it ends.
struct PeerStream {
    id: PeerId,
    rx: mpsc::Receiver<PipeMsg>,
    ended: bool,
}

impl Stream for PeerStream {
    type Item = (PeerId, Option<PipeMsg>);

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ended {
            return Poll::Ready(None);
        }
        match self.rx.poll_recv(cx) {
            Poll::Ready(Some(m)) => Poll::Ready(Some((self.id, Some(m)))),
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
    tx: PollSender<PipeMsg>,
}

/// The peers of one socket.
pub(crate) struct Peers {
    intake: mpsc::UnboundedReceiver<Peer>,
    out: Vec<OutPipe>,
    next: usize,
    fq: SelectAll<PeerStream>,
    /// At most this many peers (PAIR: 1); extra ones are dropped.
    max_peers: Option<usize>,
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
            next: 0,
            fq: SelectAll::new(),
            max_peers,
        }
    }

    fn add(&mut self, peer: Peer) {
        if self.max_peers.is_some_and(|max| self.out.len() >= max) {
            tracing::debug!(target: "oxmq", endpoint = %peer.endpoint, "peer refused: socket is exclusive");
            return;
        }
        self.out.push(OutPipe {
            id: peer.id,
            tx: PollSender::new(peer.tx),
        });
        self.fq.push(PeerStream {
            id: peer.id,
            rx: peer.rx,
            ended: false,
        });
    }

    fn remove(&mut self, id: PeerId) {
        self.out.retain(|p| p.id != id);
        if self.next >= self.out.len() {
            self.next = 0;
        }
    }

    /// Takes in new peers. Returns whether any arrived.
    pub(crate) fn poll_intake(&mut self, cx: &mut Context<'_>) -> bool {
        let mut any = false;
        while let Poll::Ready(Some(peer)) = self.intake.poll_recv(cx) {
            self.add(peer);
            any = true;
        }
        any
    }

    /// Next inbound message, fair-queued across peers.
    pub(crate) fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<(PeerId, Message)> {
        loop {
            self.poll_intake(cx);
            match self.fq.poll_next_unpin(cx) {
                Poll::Ready(Some((id, Some(PipeMsg::Message(m))))) => return Poll::Ready((id, m)),
                Poll::Ready(Some((_, Some(PipeMsg::Connected(_))))) => {}
                Poll::Ready(Some((id, None))) => self.remove(id),
                // No peers at all: wait for one (the intake waker is set).
                Poll::Ready(None) | Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Takes and discards everything inbound (send-only sockets), so that
    /// connection markers never fill a pipe and closed peers are noticed.
    pub(crate) fn poll_discard_inbound(&mut self, cx: &mut Context<'_>) {
        while let Poll::Ready((_, m)) = self.poll_recv(cx) {
            tracing::trace!(target: "oxmq", frames = m.len(), "discarding inbound message");
        }
    }

    /// Number of live peers.
    pub(crate) fn len(&self) -> usize {
        self.out.len()
    }

    /// Queues the message in `slot` on the next pipe with room,
    /// round-robin. `Pending` (the message left in `slot`) while every pipe
    /// is full or there is no peer; wakers are registered on every pipe and
    /// on the intake of new peers.
    pub(crate) fn poll_send_lb(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<PeerId> {
        loop {
            self.poll_intake(cx);
            let n = self.out.len();
            let mut dead = Vec::new();
            // Fast path: a pipe with room, without registering anything.
            for i in 0..n {
                let idx = (self.next + i) % n;
                let Some(msg) = slot.take() else { break };
                let result = match self.out[idx].tx.get_ref() {
                    Some(tx) => tx.try_send(PipeMsg::Message(msg)),
                    None => Err(mpsc::error::TrySendError::Closed(PipeMsg::Message(msg))),
                };
                match result {
                    Ok(()) => {
                        self.next = (idx + 1) % n;
                        return Poll::Ready(self.out[idx].id);
                    }
                    Err(mpsc::error::TrySendError::Full(item)) => put_back(slot, item),
                    Err(mpsc::error::TrySendError::Closed(item)) => {
                        put_back(slot, item);
                        dead.push(self.out[idx].id);
                    }
                }
            }
            // Slow path: register for room on every pipe; use the first ready.
            let mut chosen = None;
            for (idx, pipe) in self.out.iter_mut().enumerate() {
                if chosen.is_some() {
                    pipe.tx.abort_send();
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
                match self.out[idx].tx.send_item(PipeMsg::Message(msg)) {
                    Ok(()) => {
                        self.next = (idx + 1) % self.out.len();
                        return Poll::Ready(id);
                    }
                    Err(e) => {
                        if let Some(item) = e.into_inner() {
                            put_back(slot, item);
                        }
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

fn put_back(slot: &mut Option<Message>, item: PipeMsg) {
    if let PipeMsg::Message(m) = item {
        *slot = Some(m);
    }
}
