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
//! Subscriptions follow libzmq rather than RFC 29's "counted" wording: a
//! subscriber counts its own subscriptions and sends a CANCEL only when the
//! last one to a topic goes, and a publisher keeps a *set* of topics per
//! peer. (A publisher counting SUBSCRIBEs would keep a topic that a libzmq
//! subscriber subscribed twice and cancelled once.)
//!
//! Subscribers send their subscriptions to every new peer, and a connecting
//! subscriber's engine replays them after a reconnection. When a connecting
//! pipe of a publisher reconnects, the old subscriptions of that pipe are
//! forgotten (the new peer sends its own).

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::future::poll_fn;
use std::task::{Context as TaskContext, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use oxmq_transports::{Context, MonitorStream, PeerId, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{conflate, drained, socket_common, Base};
use crate::error::SocketError;
use crate::io::{impl_recv, impl_send, PollRecv, PollSend};
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
    topics: HashMap<PeerId, HashSet<Bytes>>,
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
    /// Manual mode: what each peer subscribed to (libzmq's
    /// `_manual_subscriptions`), reported as cancelled when the peer goes.
    manual_topics: HashMap<PeerId, BTreeSet<Bytes>>,
    /// Manual mode: the peer of each (un)subscription queued in `upstream`
    /// (`None`: one reported for a peer that went away); receiving it makes
    /// that peer the `last_subscriber` (libzmq's `_pending_pipes`).
    pending_peers: VecDeque<Option<PeerId>>,
}

impl Publisher {
    /// Subscribes `peer` to `topic`. Like libzmq, a peer's subscriptions
    /// are a set (the subscriber counts its own and sends one CANCEL when the
    /// last goes). Returns whether the topic had no subscriber at all before.
    fn subscribe(&mut self, peer: PeerId, topic: Bytes) -> bool {
        if !self.topics.entry(peer).or_default().insert(topic.clone()) {
            return false;
        }
        self.trie.add(&topic, peer)
    }

    /// Cancels `peer`'s subscription to `topic`. Returns whether the topic
    /// now has no subscriber at all.
    fn cancel(&mut self, peer: PeerId, topic: &Bytes) -> bool {
        let removed = self
            .topics
            .get_mut(&peer)
            .is_some_and(|set| set.remove(topic));
        removed && self.trie.remove(topic, peer).unwrap_or(false)
    }

    /// Forgets all of `peer`'s subscriptions; reports topics left with no
    /// subscriber upstream (XPUB).
    fn forget(&mut self, peer: PeerId) {
        let Some(set) = self.topics.remove(&peer) else {
            return;
        };
        for topic in set {
            let last = self.trie.remove(&topic, peer).unwrap_or(false);
            if self.xpub && last && !self.manual {
                self.upstream.push_back(subscription_message(false, &topic));
            }
        }
    }

    fn on_message(&mut self, peer: PeerId, msg: Message) {
        match as_subscription(&msg) {
            Some((subscribe, topic)) => {
                if self.manual {
                    // Fix: the subscriber that `subscribe` applies to is
                    // the peer of the message the application last
                    // *received* (see `recv`), not of the last one
                    // processed; and a peer's subscriptions are kept, to
                    // report them as cancelled when it goes (libzmq).
                    let topics = self.manual_topics.entry(peer).or_default();
                    if subscribe {
                        topics.insert(topic);
                    } else {
                        topics.remove(&topic);
                    }
                    self.pending_peers.push_back(Some(peer));
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
                Event::Gone(id) => {
                    self.manual_gone(id);
                    self.forget(id);
                }
            }
        }
    }

    /// Manual mode: reports the subscriptions of a peer that went away as
    /// cancelled (libzmq's `xpipe_terminated`).
    fn manual_gone(&mut self, peer: PeerId) {
        if self.last_subscriber == Some(peer) {
            self.last_subscriber = None;
        }
        for topic in self.manual_topics.remove(&peer).unwrap_or_default() {
            self.upstream.push_back(subscription_message(false, &topic));
            self.pending_peers.push_back(None);
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

    /// Publishes the message in `slot`: first applies every subscription
    /// that has arrived, then hands a copy to each matching subscriber with
    /// room (dropping for the others). With `nodrop`, waits until every
    /// recipient has room (`wait`) or reports "would block", sending to none.
    fn poll_publish(
        &mut self,
        base: &mut Base,
        cx: &mut TaskContext<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>> {
        self.poll_process(base, cx);
        if drained().is_pending() {
            return Poll::Pending;
        }
        let Some(first) = slot.as_ref().and_then(|m| m.first().cloned()) else {
            return Poll::Ready(Ok(()));
        };
        let recipients = self.recipients(base, &first);
        if self.nodrop && base.peers.poll_room_all(cx, &recipients, wait).is_pending() {
            return Poll::Pending;
        }
        let Some(msg) = slot.take() else {
            return Poll::Ready(Ok(()));
        };
        for peer in recipients {
            match base.peers.try_send_to(peer, msg.clone()) {
                Ok(()) => {}
                Err(SendToError::Full(_)) => {
                    tracing::trace!(target: "oxmq", peer, "subscriber at HWM: message dropped");
                }
                Err(SendToError::Gone(_)) => self.forget(peer),
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// A PUB socket: publishes to the subscribers whose subscriptions match.
#[derive(Debug)]
pub struct Pub {
    base: Base,
    publisher: Publisher,
    sink: Option<Message>,
}

socket_common!(Pub);

impl Pub {
    /// A PUB socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Pub {
            base: Base::new(ctx, TransportOptions::new(SocketType::Pub), None),
            publisher: Publisher::default(),
            sink: None,
        }
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
    sink: Option<Message>,
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
            sink: None,
        }
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
    /// Our subscriptions, counted: a CANCEL goes upstream only when the last
    /// subscription to a topic goes (as libzmq's SUB/XSUB do).
    topics: HashMap<Bytes, u32>,
    /// SUB filters what it receives; XSUB passes everything.
    filter: bool,
    /// Peers that got the whole list while the message being sent by
    /// `poll_send_all` was pending: they must not get it a second time.
    greeted: Vec<PeerId>,
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

    /// A new peer gets each subscribed topic once (publishers keep a set).
    fn on_attached(&self, base: &mut Base, id: PeerId) {
        for topic in self.topics.keys() {
            if base
                .peers
                .try_send_to(id, subscription_message(true, topic))
                .is_err()
            {
                tracing::warn!(target: "oxmq", "subscription not sent: pipe full");
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

    /// Sends the message in `slot` to every peer once all have room. New
    /// peers get the whole subscription list instead (which already holds
    /// what is being sent), so nothing is counted twice.
    fn poll_send_all(
        &mut self,
        base: &mut Base,
        cx: &mut TaskContext<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>> {
        for id in base.peers.poll_attached(cx) {
            self.on_attached(base, id);
            self.greeted.push(id);
        }
        // Fix: the peers just greeted got the subscription list, which
        // already reflects a (un)subscription being sent: sending it again
        // made XPUB count a subscription twice (verbose XPUB saw two
        // `\x01topic` for one subscribe, and one cancel no longer removed
        // the topic). Other messages still go to them.
        let covered = slot.as_ref().is_some_and(|m| as_subscription(m).is_some());
        let greeted = &self.greeted;
        let ids: Vec<PeerId> = base
            .peers
            .ids()
            .filter(|id| !(covered && greeted.contains(id)))
            .collect();
        if base.peers.poll_room_all(cx, &ids, wait).is_pending() {
            return Poll::Pending;
        }
        self.greeted.clear();
        let Some(msg) = slot.take() else {
            return Poll::Ready(Ok(()));
        };
        for id in ids {
            if base.peers.try_send_to(id, msg.clone()).is_err() {
                tracing::debug!(target: "oxmq", id, "upstream message not delivered");
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// A SUB socket: receives the messages matching its subscriptions.
#[derive(Debug)]
pub struct Sub {
    base: Base,
    subscriber: Subscriber,
    conflate: bool,
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
            conflate: false,
        }
    }

    /// `ZMQ_CONFLATE`: `recv` returns only the newest matching message
    /// queued (older ones are dropped): "last value" subscriptions.
    pub fn set_conflate(&mut self, on: bool) {
        self.conflate = on;
    }

    /// Subscribes to messages whose first frame starts with `topic` (`""`:
    /// everything). Subscriptions are counted.
    pub async fn subscribe(&mut self, topic: impl Into<Bytes>) -> Result<(), SocketError> {
        let topic = topic.into();
        self.subscriber.add(&topic);
        let mut slot = Some(subscription_message(true, &topic));
        let (subscriber, base) = (&mut self.subscriber, &mut self.base);
        poll_fn(|cx| subscriber.poll_send_all(base, cx, &mut slot, true)).await
    }

    /// Cancels one subscription to `topic`.
    pub async fn unsubscribe(&mut self, topic: impl Into<Bytes>) -> Result<(), SocketError> {
        let topic = topic.into();
        // Only the last unsubscription of a topic goes upstream.
        if self.subscriber.remove(&topic) != Some(true) {
            return Ok(());
        }
        let mut slot = Some(subscription_message(false, &topic));
        let (subscriber, base) = (&mut self.subscriber, &mut self.base);
        poll_fn(|cx| subscriber.poll_send_all(base, cx, &mut slot, true)).await
    }
}

/// An XSUB socket: sends raw subscription messages (`\x01topic`,
/// `\x00topic`) and receives everything its peers send.
#[derive(Debug)]
pub struct Xsub {
    base: Base,
    subscriber: Subscriber,
    /// A message whose bookkeeping is done, being sent to every peer.
    current: Option<Message>,
    sink: Option<Message>,
}

socket_common!(Xsub);

impl Xsub {
    /// An XSUB socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Xsub {
            base: Base::new(ctx, subscriber_options(SocketType::Xsub), None),
            subscriber: Subscriber::default(),
            current: None,
            sink: None,
        }
    }
}

/// XPUB receives subscription messages (`\x01topic` or `\x00topic`) and
/// messages sent upstream by XSUB peers. By default only the first
/// subscription to a topic and its last cancellation are reported (see
/// [`Xpub::set_verbose`]).
impl PollRecv for Xpub {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        self.publisher.poll_process(&mut self.base, cx);
        let Some(m) = self.publisher.upstream.pop_front() else {
            return Poll::Pending;
        };
        if self.publisher.manual && as_subscription(&m).is_some() {
            if let Some(from) = self.publisher.pending_peers.pop_front() {
                self.publisher.last_subscriber = from.filter(|p| self.base.peers.contains(*p));
            }
        }
        Poll::Ready(m)
    }
}

impl_recv!(Xpub);

/// SUB receives the messages that match its subscriptions.
impl PollRecv for Sub {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        let (subscriber, base) = (&mut self.subscriber, &mut self.base);
        if self.conflate {
            return conflate(cx, |cx| subscriber.poll_recv(base, cx));
        }
        subscriber.poll_recv(base, cx)
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

/// PUB and XPUB send through their `Publisher`.
macro_rules! publisher_send {
    ($ty:ident, $doc:literal) => {
        impl PollSend for $ty {
            fn poll_send_msg(
                &mut self,
                cx: &mut TaskContext<'_>,
                slot: &mut Option<Message>,
                wait: bool,
            ) -> Poll<Result<(), SocketError>> {
                self.publisher.poll_publish(&mut self.base, cx, slot, wait)
            }

            fn sink_slot(&mut self) -> &mut Option<Message> {
                &mut self.sink
            }
        }

        impl_send!($ty, $doc);
    };
}

publisher_send!(
    Pub,
    "Sends to every matching subscriber; never waits (a subscriber at its HWM \
     misses the message)."
);

publisher_send!(
    Xpub,
    "Sends to every matching subscriber. Never waits unless `nodrop` is set, \
     in which case it waits until every recipient has room."
);

impl PollSend for Xsub {
    fn poll_send_msg(
        &mut self,
        cx: &mut TaskContext<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>> {
        // Finish the message already under way first.
        if self.current.is_some() {
            let (subscriber, base) = (&mut self.subscriber, &mut self.base);
            if subscriber
                .poll_send_all(base, cx, &mut self.current, true)
                .is_pending()
            {
                return Poll::Pending;
            }
        }
        let Some(msg) = slot.as_ref() else {
            return Poll::Ready(Ok(()));
        };
        if !wait {
            // All or nothing, without waiting: check room before the
            // bookkeeping, so a refused message leaves no trace.
            let ids: Vec<PeerId> = self.base.peers.ids().collect();
            if self.base.peers.poll_room_all(cx, &ids, false).is_pending() {
                return Poll::Pending;
            }
        }
        match as_subscription(msg) {
            Some((true, topic)) => self.subscriber.add(&topic),
            // Only the last cancellation of a topic goes upstream.
            Some((false, topic)) if self.subscriber.remove(&topic) != Some(true) => {
                slot.take();
                return Poll::Ready(Ok(()));
            }
            _ => {}
        }
        self.current = slot.take();
        let (subscriber, base) = (&mut self.subscriber, &mut self.base);
        match subscriber.poll_send_all(base, cx, &mut self.current, true) {
            // Pending: the message is ours now; it goes out on the next send.
            Poll::Pending if !wait => Poll::Ready(Ok(())),
            other => other,
        }
    }

    fn sink_slot(&mut self) -> &mut Option<Message> {
        &mut self.sink
    }
}

impl_send!(
    Xsub,
    "Sends a message upstream to every peer. `\\x01topic` subscribes and \
     `\\x00topic` cancels (forwarded only when the last subscription to the \
     topic goes); anything else is passed to all publishers."
);

crate::split::impl_split!(Xpub);

crate::split::impl_split!(Xsub);
