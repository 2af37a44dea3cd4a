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
//!
//! `PROBE_ROUTER` (both types): the empty probe message is queued by the
//! transport in every new pipe before the socket sees the peer (the
//! socket's primer, see `TransportOptions::primer`), so it leaves as soon
//! as the connection is up, without waiting for the socket's next
//! `send`/`recv`; the socket sends it itself only to a peer whose pipe was
//! made without it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use oxmq_transports::{Context, MonitorStream, PeerId, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{greet_with_probe, probe_primer, set_conflate, socket_common, Base};
use crate::error::SocketError;
use crate::io::{impl_recv, impl_send, PollRecv, PollSend};
use crate::peers::{Event, SendToError};
use crate::reqrep::rand_u32;

/// A DEALER socket: asynchronous requests, load-balanced out, fair-queued in.
#[derive(Debug)]
pub struct Dealer {
    base: Base,
    /// `ZMQ_PROBE_ROUTER`, shared with the transport's primer.
    probe: Arc<AtomicBool>,
    sink: Option<Message>,
}

socket_common!(Dealer);

impl Dealer {
    /// A DEALER socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        let probe = Arc::new(AtomicBool::new(false));
        let mut options = TransportOptions::new(SocketType::Dealer);
        options.primer = Some(probe_primer(probe.clone()));
        Dealer {
            base: Base::new(ctx, options, None),
            probe,
            sink: None,
        }
    }

    /// `ZMQ_PROBE_ROUTER`: send an empty message to each new peer, so a
    /// ROUTER learns our routing id at once (it leaves as soon as the
    /// connection is up).
    pub fn set_probe_router(&mut self, on: bool) {
        self.probe.store(on, Ordering::Relaxed);
    }

    /// `ZMQ_CONFLATE`: each pipe of the endpoints bound or connected
    /// afterwards keeps only the newest message, in both directions (as in
    /// libzmq: `recv` gets the newest message of each peer, a peer that
    /// does not read gets the newest one sent), and the HWMs no longer
    /// apply, so `send` never waits once a peer exists.
    pub fn set_conflate(&mut self, on: bool) {
        set_conflate(&self.base, on);
    }

    fn poll_recv_one(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        loop {
            match self.base.peers.poll_event(cx) {
                Poll::Ready(Event::Message(_, m)) => return Poll::Ready(m),
                Poll::Ready(Event::Attached(id, primed)) => {
                    let on = self.probe.load(Ordering::Relaxed);
                    greet_with_probe(&mut self.base.peers, id, &primed, on);
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
        let on = self.probe.load(Ordering::Relaxed);
        for (id, primed) in self.base.peers.poll_attached(cx) {
            greet_with_probe(&mut self.base.peers, id, &primed, on);
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
    /// `ZMQ_PROBE_ROUTER`, shared with the transport's primer.
    probe: Arc<AtomicBool>,
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
        let probe = Arc::new(AtomicBool::new(false));
        let mut options = TransportOptions::new(SocketType::Router);
        options.primer = Some(probe_primer(probe.clone()));
        Router {
            base: Base::new(ctx, options, None),
            by_id: HashMap::new(),
            ids: HashMap::new(),
            next_auto: rand_u32(),
            mandatory: false,
            handover: false,
            probe,
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
        self.probe.store(on, Ordering::Relaxed);
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
        // Take in the new pipe now, so that a connect routing id applies
        // at once, as libzmq names the pipe when it attaches it inside
        // zmq_connect. (The probe is already in the pipe: the primer.)
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
            Event::Attached(id, primed) => {
                let on = self.probe.load(Ordering::Relaxed);
                greet_with_probe(&mut self.base.peers, id, &primed, on);
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
