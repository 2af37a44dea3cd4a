//! PUB, XPUB, SUB and XSUB (RFC 29 PUBSUB).
//!
//! Filtering happens at the publisher: every subscriber's subscriptions are
//! kept in one [`SubTrie`], and a published message goes to the peers with a
//! subscription that is a prefix of its first frame. A publisher never
//! blocks: a subscriber whose pipe is full (SNDHWM) misses the message,
//! others keep getting theirs (XPUB with `nodrop` waits instead).
//!
//! On the wire, subscriptions travel as SUBSCRIBE/CANCEL commands to ZMTP
//! 3.1 peers and as `\x01topic`/`\x00topic` messages to 3.0 peers; the
//! engine converts, so inside oxmq they are always the message form, which
//! is also what XPUB receives and XSUB sends.
//!
//! Subscribers send their subscriptions to every new peer, and a connecting
//! subscriber's engine replays them after a reconnection. When a connecting
//! pipe of a publisher reconnects, the old subscriptions of that pipe are
//! forgotten (the new peer sends its own).

use std::collections::{HashMap, HashSet, VecDeque};
use std::future::poll_fn;
use std::task::{Context as TaskContext, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use oxmq_transports::{Context, MonitorStream, PeerId, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{check_message, drained, socket_common, Base};
use crate::error::SocketError;
use crate::io::{impl_recv, PollRecv};
use crate::peers::{Event, SendToError};
use crate::trie::SubTrie;

/// A subscription control message: `Some((true, topic))` for subscribe,
/// `Some((false, topic))` for cancel.
fn as_subscription(msg: &Message) -> Option<(bool, Bytes)> {
    if msg.len() != 1 {
        return None;
    }
    match msg[0].first() {
        Some(1) => Some((true, msg[0].slice(1..))),
        Some(0) => Some((false, msg[0].slice(1..))),
        _ => None,
    }
}

fn subscription_message(subscribe: bool, topic: &[u8]) -> Message {
    let mut b = BytesMut::with_capacity(1 + topic.len());
    b.put_u8(u8::from(subscribe));
    b.put_slice(topic);
    Message::from(b.freeze())
}

/// The publishing side shared by PUB and XPUB.
#[derive(Debug, Default)]
struct Publisher {
    trie: SubTrie,
    /// Each peer's subscriptions, to forget them when it goes.
    topics: HashMap<PeerId, HashMap<Bytes, u32>>,
    xpub: bool,
    verbose: bool,
    verboser: bool,
    manual: bool,
    nodrop: bool,
    invert: bool,
    welcome: Option<Message>,
    /// What XPUB's `recv` returns, in order.
    upstream: VecDeque<Message>,
    /// The peer whose subscription XPUB (manual) received last.
    last_subscriber: Option<PeerId>,
}

impl Publisher {
    fn subscribe(&mut self, peer: PeerId, topic: Bytes) -> bool {
        *self
            .topics
            .entry(peer)
            .or_default()
            .entry(topic.clone())
            .or_default() += 1;
        self.trie.add(&topic, peer)
    }

    fn cancel(&mut self, peer: PeerId, topic: &Bytes) -> bool {
        if let Some(map) = self.topics.get_mut(&peer) {
            if let Some(n) = map.get_mut(topic) {
                *n -= 1;
                if *n == 0 {
                    map.remove(topic);
                }
                return self.trie.remove(topic, peer).unwrap_or(false);
            }
        }
        false
    }

    /// Forgets all of `peer`'s subscriptions; reports topics left with no
    /// subscriber upstream (XPUB).
    fn forget(&mut self, peer: PeerId) {
        let Some(map) = self.topics.remove(&peer) else {
            return;
        };
        for (topic, n) in map {
            let mut last = false;
            for _ in 0..n {
                last = self.trie.remove(&topic, peer).unwrap_or(false);
            }
            if self.xpub && last && !self.manual {
                self.upstream.push_back(subscription_message(false, &topic));
            }
        }
    }

    fn on_message(&mut self, peer: PeerId, msg: Message) {
        match as_subscription(&msg) {
            Some((subscribe, topic)) => {
                if self.manual {
                    self.last_subscriber = Some(peer);
                    self.upstream.push_back(msg);
                    return;
                }
                let unique = if subscribe {
                    self.subscribe(peer, topic)
                } else {
                    self.cancel(peer, &topic)
                };
                let report = unique || (subscribe && self.verbose) || (!subscribe && self.verboser);
                if self.xpub && report {
                    self.upstream.push_back(msg);
                }
            }
            // Messages coming upstream from an XSUB reach XPUB's user; PUB
            // never processes user messages.
            None if self.xpub => self.upstream.push_back(msg),
            None => {}
        }
    }

    /// Processes everything pending from the peers, without waiting.
    fn poll_process(&mut self, base: &mut Base, cx: &mut TaskContext<'_>) {
        while let Poll::Ready(ev) = base.peers.poll_event(cx) {
            match ev {
                Event::Attached(id) => {
                    self.topics.entry(id).or_default();
                    if let Some(welcome) = self.welcome.clone() {
                        let _ = base.peers.try_send_to(id, welcome);
                    }
                }
                // A (re)connection on this pipe: the new peer sends its own
                // subscriptions.
                Event::Connected(id, _) => {
                    self.forget(id);
                    self.topics.entry(id).or_default();
                }
                Event::Message(id, msg) => self.on_message(id, msg),
                Event::Gone(id) => self.forget(id),
            }
        }
    }

    fn recipients(&self, base: &Base, first: &[u8]) -> Vec<PeerId> {
        let mut matched = Vec::new();
        let nodes = self.trie.for_each_match(first, |p| matched.push(p));
        if nodes > 1 {
            let mut seen = HashSet::with_capacity(matched.len());
            matched.retain(|p| seen.insert(*p));
        }
        if self.invert {
            let matched: HashSet<PeerId> = matched.into_iter().collect();
            return base.peers.ids().filter(|p| !matched.contains(p)).collect();
        }
        matched
    }

    async fn send(&mut self, base: &mut Base, msg: Message) -> Result<(), SocketError> {
        check_message(&msg)?;
        // Apply every subscription that has arrived before publishing.
        poll_fn(|cx| {
            self.poll_process(base, cx);
            drained()
        })
        .await;
        let recipients = self.recipients(base, &msg[0]);
        for peer in recipients {
            if self.nodrop {
                let mut slot = Some(msg.clone());
                poll_fn(|cx| base.peers.poll_send_to(cx, peer, &mut slot)).await;
                continue;
            }
            match base.peers.try_send_to(peer, msg.clone()) {
                Ok(()) => {}
                Err(SendToError::Full(_)) => {
                    tracing::trace!(target: "oxmq", peer, "subscriber at HWM: message dropped");
                }
                Err(SendToError::Gone(_)) => self.forget(peer),
            }
        }
        Ok(())
    }
}

/// A PUB socket: publishes to the subscribers whose subscriptions match.
#[derive(Debug)]
pub struct Pub {
    base: Base,
    publisher: Publisher,
}

socket_common!(Pub);

impl Pub {
    /// A PUB socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Pub {
            base: Base::new(ctx, TransportOptions::new(SocketType::Pub), None),
            publisher: Publisher::default(),
        }
    }

    /// Sends to every matching subscriber; never waits (a subscriber at its
    /// HWM misses the message). Cancel-safe.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        self.publisher.send(&mut self.base, msg.into()).await
    }

    /// `ZMQ_INVERT_MATCHING`: send to the subscribers that do *not* match.
    pub fn set_invert_matching(&mut self, on: bool) {
        self.publisher.invert = on;
    }
}

/// An XPUB socket: a PUB that also receives subscriptions (and messages
/// sent upstream by XSUB peers).
#[derive(Debug)]
pub struct Xpub {
    base: Base,
    publisher: Publisher,
}

socket_common!(Xpub);

impl Xpub {
    /// An XPUB socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Xpub {
            base: Base::new(ctx, TransportOptions::new(SocketType::Xpub), None),
            publisher: Publisher {
                xpub: true,
                ..Publisher::default()
            },
        }
    }

    /// Sends to every matching subscriber. Never waits unless `nodrop` is
    /// set, in which case it waits for room at each recipient.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        self.publisher.send(&mut self.base, msg.into()).await
    }

    /// `ZMQ_XPUB_VERBOSE`: report every subscription, not just new topics.
    pub fn set_verbose(&mut self, on: bool) {
        self.publisher.verbose = on;
    }

    /// `ZMQ_XPUB_VERBOSER`: also report every cancellation.
    pub fn set_verboser(&mut self, on: bool) {
        self.publisher.verbose |= on;
        self.publisher.verboser = on;
    }

    /// `ZMQ_XPUB_MANUAL`: subscriptions are not applied; the application
    /// applies them with [`subscribe`](Self::subscribe) /
    /// [`unsubscribe`](Self::unsubscribe) for the peer that sent the last one.
    pub fn set_manual(&mut self, on: bool) {
        self.publisher.manual = on;
    }

    /// `ZMQ_XPUB_NODROP`: wait for room instead of dropping at the HWM.
    pub fn set_nodrop(&mut self, on: bool) {
        self.publisher.nodrop = on;
    }

    /// `ZMQ_XPUB_WELCOME_MSG`: a message sent to every new subscriber.
    pub fn set_welcome_msg(&mut self, msg: Option<Message>) {
        self.publisher.welcome = msg;
    }

    /// `ZMQ_INVERT_MATCHING`.
    pub fn set_invert_matching(&mut self, on: bool) {
        self.publisher.invert = on;
    }

    /// Manual mode: subscribes the peer whose subscription was received last.
    pub fn subscribe(&mut self, topic: impl Into<Bytes>) {
        if let Some(peer) = self.publisher.last_subscriber {
            self.publisher.subscribe(peer, topic.into());
        }
    }

    /// Manual mode: cancels a subscription of the peer whose subscription
    /// was received last.
    pub fn unsubscribe(&mut self, topic: impl Into<Bytes>) {
        if let Some(peer) = self.publisher.last_subscriber {
            self.publisher.cancel(peer, &topic.into());
        }
    }
}

/// The subscribing side shared by SUB and XSUB.
#[derive(Debug, Default)]
struct Subscriber {
    trie: SubTrie,
    /// Our subscriptions, counted, to send to new peers.
    topics: HashMap<Bytes, u32>,
    /// SUB filters what it receives; XSUB passes everything.
    filter: bool,
}

impl Subscriber {
    fn add(&mut self, topic: &Bytes) {
        *self.topics.entry(topic.clone()).or_default() += 1;
        self.trie.add(topic, 0);
    }

    /// Returns whether the topic's last subscription went away.
    fn remove(&mut self, topic: &Bytes) -> Option<bool> {
        let n = self.topics.get_mut(topic)?;
        *n -= 1;
        let last = *n == 0;
        if last {
            self.topics.remove(topic);
        }
        self.trie.remove(topic, 0);
        Some(last)
    }

    fn on_attached(&self, base: &mut Base, id: PeerId) {
        for (topic, &n) in &self.topics {
            for _ in 0..n {
                if base
                    .peers
                    .try_send_to(id, subscription_message(true, topic))
                    .is_err()
                {
                    tracing::warn!(target: "oxmq", "subscription not sent: pipe full");
                }
            }
        }
    }

    fn poll_recv(&mut self, base: &mut Base, cx: &mut TaskContext<'_>) -> Poll<Message> {
        loop {
            match base.peers.poll_event(cx) {
                Poll::Ready(Event::Attached(id)) => self.on_attached(base, id),
                Poll::Ready(Event::Message(_, m)) => {
                    if !self.filter || self.trie.matches(&m[0]) {
                        return Poll::Ready(m);
                    }
                }
                Poll::Ready(_) => {}
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Sends `msg` to every peer, waiting for room at each.
    async fn send_all(&mut self, base: &mut Base, msg: Message) {
        // Take in new peers first: they get the subscription list instead.
        poll_fn(|cx| {
            while let Poll::Ready(ev) = base.peers.poll_event(cx) {
                match ev {
                    Event::Attached(id) => self.on_attached(base, id),
                    Event::Message(_, m) => {
                        tracing::trace!(target: "oxmq", frames = m.len(), "dropped while sending")
                    }
                    _ => {}
                }
            }
            drained()
        })
        .await;
        let ids: Vec<PeerId> = base.peers.ids().collect();
        for id in ids {
            let mut slot = Some(msg.clone());
            poll_fn(|cx| base.peers.poll_send_to(cx, id, &mut slot)).await;
        }
    }
}

/// A SUB socket: receives the messages matching its subscriptions.
#[derive(Debug)]
pub struct Sub {
    base: Base,
    subscriber: Subscriber,
}

socket_common!(Sub);

fn subscriber_options(t: SocketType) -> TransportOptions {
    let mut o = TransportOptions::new(t);
    // libzmq: SUB/XSUB do not wait for pending subscriptions on close.
    o.linger = Some(std::time::Duration::ZERO);
    o
}

impl Sub {
    /// A SUB socket with no subscription (it receives nothing until it
    /// subscribes).
    pub fn new(ctx: &Context) -> Self {
        Sub {
            base: Base::new(ctx, subscriber_options(SocketType::Sub), None),
            subscriber: Subscriber {
                filter: true,
                ..Subscriber::default()
            },
        }
    }

    /// Subscribes to messages whose first frame starts with `topic` (`""`:
    /// everything). Subscriptions are counted.
    pub async fn subscribe(&mut self, topic: impl Into<Bytes>) -> Result<(), SocketError> {
        let topic = topic.into();
        self.subscriber.add(&topic);
        let msg = subscription_message(true, &topic);
        self.subscriber.send_all(&mut self.base, msg).await;
        Ok(())
    }

    /// Cancels one subscription to `topic`.
    pub async fn unsubscribe(&mut self, topic: impl Into<Bytes>) -> Result<(), SocketError> {
        let topic = topic.into();
        if self.subscriber.remove(&topic).is_some() {
            let msg = subscription_message(false, &topic);
            self.subscriber.send_all(&mut self.base, msg).await;
        }
        Ok(())
    }
}

/// An XSUB socket: sends raw subscription messages (`\x01topic`,
/// `\x00topic`) and receives everything its peers send.
#[derive(Debug)]
pub struct Xsub {
    base: Base,
    subscriber: Subscriber,
}

socket_common!(Xsub);

impl Xsub {
    /// An XSUB socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Xsub {
            base: Base::new(ctx, subscriber_options(SocketType::Xsub), None),
            subscriber: Subscriber::default(),
        }
    }

    /// Sends a message upstream to every peer. `\x01topic` subscribes and
    /// `\x00topic` cancels (forwarded only when the last subscription to
    /// the topic goes); anything else is passed to all publishers.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        let msg = msg.into();
        check_message(&msg)?;
        match as_subscription(&msg) {
            Some((true, topic)) => self.subscriber.add(&topic),
            Some((false, topic)) if self.subscriber.remove(&topic) != Some(true) => {
                return Ok(());
            }
            _ => {}
        }
        self.subscriber.send_all(&mut self.base, msg).await;
        Ok(())
    }
}

/// XPUB receives subscription messages (`\x01topic` or `\x00topic`) and
/// messages sent upstream by XSUB peers. By default only the first
/// subscription to a topic and its last cancellation are reported (see
/// [`Xpub::set_verbose`]).
impl PollRecv for Xpub {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        self.publisher.poll_process(&mut self.base, cx);
        match self.publisher.upstream.pop_front() {
            Some(m) => Poll::Ready(m),
            None => Poll::Pending,
        }
    }
}

impl_recv!(Xpub);

/// SUB receives the messages that match its subscriptions.
impl PollRecv for Sub {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        self.subscriber.poll_recv(&mut self.base, cx)
    }
}

impl_recv!(Sub);

/// XSUB receives everything its publishers send.
impl PollRecv for Xsub {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        self.subscriber.poll_recv(&mut self.base, cx)
    }
}

impl_recv!(Xsub);
