//! DEALER and ROUTER (RFC 28 REQREP).
//!
//! DEALER load-balances what it sends and fair-queues what it receives,
//! with no envelope of its own. ROUTER prefixes every received message with
//! the routing id of the peer it came from, and sends each message to the
//! peer named by its first frame.
//!
//! Routing ids: the peer's `Identity` property when it set one (unless it
//! starts with a zero octet, or is taken and `handover` is off), the id set
//! with [`Router::set_connect_routing_id`] for the next `connect`, or else
//! an id in libzmq's format: five octets, a zero then a 32-bit counter that
//! starts at a random value.

use std::collections::HashMap;
use std::task::{Context as TaskContext, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use oxmq_transports::{Context, MonitorStream, PeerId, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{conflate, socket_common, Base};
use crate::error::SocketError;
use crate::io::{impl_recv, impl_send, PollRecv, PollSend};
use crate::peers::{Event, SendToError};
use crate::reqrep::rand_u32;

/// A DEALER socket: asynchronous requests, load-balanced out, fair-queued in.
#[derive(Debug)]
pub struct Dealer {
    base: Base,
    probe: bool,
    conflate: bool,
    sink: Option<Message>,
}

socket_common!(Dealer);

impl Dealer {
    /// A DEALER socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Dealer {
            base: Base::new(ctx, TransportOptions::new(SocketType::Dealer), None),
            probe: false,
            conflate: false,
            sink: None,
        }
    }

    /// `ZMQ_PROBE_ROUTER`: send an empty message to each new peer, so a
    /// ROUTER learns our routing id at once.
    pub fn set_probe_router(&mut self, on: bool) {
        self.probe = on;
    }

    /// `ZMQ_CONFLATE`: `recv` returns only the newest message queued.
    pub fn set_conflate(&mut self, on: bool) {
        self.conflate = on;
    }

    fn poll_recv_one(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        loop {
            match self.base.peers.poll_event(cx) {
                Poll::Ready(Event::Message(_, m)) => return Poll::Ready(m),
                Poll::Ready(Event::Attached(id)) if self.probe => {
                    let _ = self.base.peers.try_send_to(id, Message::from(Bytes::new()));
                }
                Poll::Ready(_) => {}
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

impl PollSend for Dealer {
    fn poll_send_msg(
        &mut self,
        cx: &mut TaskContext<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>> {
        if slot.is_none() {
            return Poll::Ready(Ok(()));
        }
        for id in self.base.peers.poll_attached(cx) {
            if self.probe {
                let _ = self.base.peers.try_send_to(id, Message::from(Bytes::new()));
            }
        }
        self.base.peers.poll_send_lb(cx, slot, wait).map(|_| Ok(()))
    }

    fn sink_slot(&mut self) -> &mut Option<Message> {
        &mut self.sink
    }
}

impl_send!(
    Dealer,
    "Sends to the next peer with room; waits when all are full or none is connected."
);

impl PollRecv for Dealer {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        if self.conflate {
            return conflate(cx, |cx| self.poll_recv_one(cx));
        }
        self.poll_recv_one(cx)
    }
}

impl_recv!(Dealer);

/// A ROUTER socket: addresses peers by routing id.
#[derive(Debug)]
pub struct Router {
    base: Base,
    by_id: HashMap<Bytes, PeerId>,
    ids: HashMap<PeerId, Bytes>,
    next_auto: u32,
    mandatory: bool,
    handover: bool,
    probe: bool,
    /// Routing ids chosen for connect endpoints (`ZMQ_CONNECT_ROUTING_ID`).
    connect_ids: HashMap<String, Bytes>,
    next_connect_id: Option<Bytes>,
    /// A message taken off a pipe while sending, kept for the next recv.
    stash: Option<Message>,
    sink: Option<Message>,
}

socket_common!(Router, custom_connect);

impl Router {
    /// A ROUTER socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Router {
            base: Base::new(ctx, TransportOptions::new(SocketType::Router), None),
            by_id: HashMap::new(),
            ids: HashMap::new(),
            next_auto: rand_u32(),
            mandatory: false,
            handover: false,
            probe: false,
            connect_ids: HashMap::new(),
            next_connect_id: None,
            stash: None,
            sink: None,
        }
    }

    /// `ZMQ_ROUTER_MANDATORY`: sending to an unknown routing id fails with
    /// [`SocketError::HostUnreachable`] instead of dropping, and sending to
    /// a peer at its HWM waits instead of dropping.
    pub fn set_mandatory(&mut self, on: bool) {
        self.mandatory = on;
    }

    /// `ZMQ_ROUTER_HANDOVER`: a new peer with a routing id already in use
    /// takes it over (the old connection is closed) instead of being refused.
    pub fn set_handover(&mut self, on: bool) {
        self.handover = on;
    }

    /// `ZMQ_PROBE_ROUTER`: send an empty message to each new peer.
    pub fn set_probe_router(&mut self, on: bool) {
        self.probe = on;
    }

    /// `ZMQ_CONNECT_ROUTING_ID`: the routing id to give the peer of the
    /// next `connect`.
    pub fn set_connect_routing_id(&mut self, id: impl Into<Bytes>) {
        self.next_connect_id = Some(id.into());
    }

    /// Connects to an endpoint (see [`Router::set_connect_routing_id`]).
    pub fn connect(&mut self, endpoint: &str) -> Result<(), SocketError> {
        self.base.transport.connect(endpoint)?;
        if let Some(id) = self.next_connect_id.take() {
            let canonical = oxmq_transports::Endpoint::parse(
                endpoint,
                oxmq_transports::endpoint::Role::Connect,
            )
            .map(|e| e.to_string())
            .unwrap_or_else(|_| endpoint.to_string());
            self.connect_ids.insert(canonical, id);
        }
        // Fix: take in the new pipe now, so that PROBE_ROUTER's empty
        // message (and a connect routing id) apply at once, as libzmq does
        // when it attaches the pipe inside zmq_connect; until then nothing
        // happened before the next send or recv.
        if self.stash.is_none() {
            if let Poll::Ready(m) = crate::io::once(|cx| Poll::Ready(self.poll_refresh(cx))) {
                self.stash = m;
            }
        }
        Ok(())
    }

    fn auto_id(&mut self) -> Bytes {
        loop {
            let mut b = BytesMut::with_capacity(5);
            b.put_u8(0);
            b.put_u32(self.next_auto);
            self.next_auto = self.next_auto.wrapping_add(1);
            let id = b.freeze();
            if !self.by_id.contains_key(&id) {
                return id;
            }
        }
    }

    fn unmap(&mut self, peer: PeerId) {
        if let Some(id) = self.ids.remove(&peer) {
            self.by_id.remove(&id);
        }
    }

    /// Gives `peer` its routing id after a (re)connection.
    fn identify(&mut self, peer: PeerId, announced: Option<Bytes>) {
        self.unmap(peer);
        let chosen = self
            .base
            .peers
            .endpoint(peer)
            .and_then(|ep| self.connect_ids.get(ep).cloned());
        let id = match chosen.or(announced.filter(|id| id.first() != Some(&0))) {
            Some(id) => match self.by_id.get(&id).copied() {
                None => id,
                Some(old) if self.handover => {
                    // The newcomer takes the id; the old connection closes.
                    self.unmap(old);
                    self.base.peers.remove(old);
                    id
                }
                Some(_) => {
                    tracing::debug!(target: "oxmq", ?id, "ROUTER: duplicate routing id refused");
                    self.base.peers.remove(peer);
                    return;
                }
            },
            None => self.auto_id(),
        };
        self.by_id.insert(id.clone(), peer);
        self.ids.insert(peer, id);
    }

    fn on_event(&mut self, ev: Event) -> Option<Message> {
        match ev {
            Event::Attached(id) => {
                if self.probe {
                    let _ = self.base.peers.try_send_to(id, Message::from(Bytes::new()));
                }
                // Fix: a pipe named with `set_connect_routing_id` is
                // routable from the start, as in libzmq (which names it at
                // attach); waiting for the handshake dropped what was sent
                // right after `connect`.
                let named = self
                    .base
                    .peers
                    .endpoint(id)
                    .is_some_and(|ep| self.connect_ids.contains_key(ep));
                if named {
                    self.identify(id, None);
                }
                None
            }
            Event::Connected(id, info) => {
                self.identify(id, info.peer.routing_id.clone());
                None
            }
            Event::Message(id, mut m) => {
                if !self.ids.contains_key(&id) {
                    if !self.base.peers.contains(id) {
                        return None;
                    }
                    self.identify(id, None);
                }
                let rid = self.ids.get(&id)?.clone();
                m.push_front(rid);
                Some(m)
            }
            Event::Gone(id) => {
                self.unmap(id);
                None
            }
        }
    }

    /// Takes in peer events without waiting (keeps the routing table fresh).
    fn poll_refresh(&mut self, cx: &mut TaskContext<'_>) -> Option<Message> {
        while let Poll::Ready(ev) = self.base.peers.poll_event(cx) {
            if let Some(m) = self.on_event(ev) {
                return Some(m);
            }
        }
        None
    }
}

impl PollSend for Router {
    fn poll_send_msg(
        &mut self,
        cx: &mut TaskContext<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>> {
        // Learn about new peers first; a message met on the way is kept for
        // recv (at most one, so the pipes still push back).
        if self.stash.is_none() {
            self.stash = self.poll_refresh(cx);
        }
        let Some(msg) = slot.as_ref() else {
            return Poll::Ready(Ok(()));
        };
        let rid = msg[0].clone();
        if msg.len() < 2 {
            slot.take();
            return Poll::Ready(Ok(()));
        }
        let Some(&peer) = self.by_id.get(&rid) else {
            slot.take();
            return Poll::Ready(if self.mandatory {
                Err(SocketError::HostUnreachable(rid))
            } else {
                Ok(())
            });
        };
        let Some(mut body) = slot.take() else {
            return Poll::Ready(Ok(()));
        };
        body.pop_front();
        match self.base.peers.try_send_to(peer, body) {
            Ok(()) => Poll::Ready(Ok(())),
            Err(SendToError::Full(mut m)) if self.mandatory => {
                // Put the routing id back: the message waits in the slot.
                m.push_front(rid.clone());
                *slot = Some(m);
                if !wait {
                    return Poll::Pending;
                }
                let mut body = slot.take().map(|mut m| {
                    m.pop_front();
                    m
                });
                match self.base.peers.poll_send_to(cx, peer, &mut body) {
                    Poll::Ready(true) => Poll::Ready(Ok(())),
                    Poll::Ready(false) => {
                        self.unmap(peer);
                        Poll::Ready(Err(SocketError::HostUnreachable(rid)))
                    }
                    Poll::Pending => {
                        *slot = body.map(|mut m| {
                            m.push_front(rid);
                            m
                        });
                        Poll::Pending
                    }
                }
            }
            Err(SendToError::Full(_)) => Poll::Ready(Ok(())),
            Err(SendToError::Gone(_)) => {
                self.unmap(peer);
                Poll::Ready(if self.mandatory {
                    Err(SocketError::HostUnreachable(rid))
                } else {
                    Ok(())
                })
            }
        }
    }

    fn sink_slot(&mut self) -> &mut Option<Message> {
        &mut self.sink
    }
}

impl_send!(
    Router,
    "Sends a message to the peer named by its first frame (received messages \
     carry the sender's routing id there). An unknown routing id or a full \
     pipe drops the message silently, unless `mandatory` is set (error for \
     unknown, wait for full)."
);

impl PollRecv for Router {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        if let Some(m) = self.stash.take() {
            return Poll::Ready(m);
        }
        match self.poll_refresh(cx) {
            Some(m) => Poll::Ready(m),
            None => Poll::Pending,
        }
    }
}

impl_recv!(Router);

crate::split::impl_split!(Dealer);

crate::split::impl_split!(Router);
