//! PUB, XPUB, SUB and XSUB (RFC 29 PUBSUB).
//!
//! Filtering happens at the publisher: every subscriber's subscriptions are
//! kept in one `SubTrie`, and a published message goes to the peers with a
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
//!
//! A new peer's subscriptions are queued by the transport itself when it
//! makes the pipe (the subscriber's primer, see `TransportOptions::primer`,
//! reads the current topics from a set shared with the socket), so they
//! leave as soon as the connection is up, as libzmq writes them when it
//! attaches the pipe — not at the socket's next `recv` or `subscribe`.
//! When the socket then takes the peer in, it sends only what changed
//! since (a subscription made, or cancelled, in between), so nothing is
//! sent twice.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::future::poll_fn;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context as TaskContext, Poll};

use bytes::{BufMut, Bytes, BytesMut};
use oxmq_transports::options::Primer;
use oxmq_transports::{Context, MonitorStream, PeerId, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{drained, set_conflate, socket_common, Base};
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
    /// `ZMQ_XPUB_WELCOME_MSG`, shared with the primer that queues it in
    /// every new pipe.
    welcome: Arc<Mutex<Option<Message>>>,
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
                Event::Attached(id, primed) => {
                    self.topics.entry(id).or_default();
                    // The transport queued the welcome message when it
                    // made the pipe, unless the primer was replaced.
                    let welcome = lock(&self.welcome).clone();
                    if let Some(welcome) = welcome.filter(|_| primed.is_empty()) {
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

    /// `ZMQ_CONFLATE`: each subscriber's pipe, for endpoints bound or
    /// connected afterwards, keeps only the newest message not sent yet
    /// (SNDHWM no longer applies, so a slow subscriber gets the latest
    /// value instead of missing new ones). Subscriptions coming in are
    /// never conflated.
    pub fn set_conflate(&mut self, on: bool) {
        set_conflate(&self.base, on);
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
        let publisher = Publisher {
            xpub: true,
            ..Publisher::default()
        };
        let welcome = publisher.welcome.clone();
        let mut options = TransportOptions::new(SocketType::Xpub);
        let primer: Primer = Arc::new(move || lock(&welcome).iter().cloned().collect());
        options.primer = Some(primer);
        Xpub {
            base: Base::new(ctx, options, None),
            publisher,
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

    /// `ZMQ_XPUB_WELCOME_MSG`: a message sent to every new subscriber,
    /// first in its pipe (queued by the transport as soon as the pipe
    /// exists, like the subscriptions of a SUB).
    pub fn set_welcome_msg(&mut self, msg: Option<Message>) {
        *lock(&self.publisher.welcome) = msg;
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

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded sections are single map operations: a poisoned lock
    // still guards consistent data.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The subscribing side shared by SUB and XSUB.
#[derive(Debug, Default)]
struct Subscriber {
    trie: SubTrie,
    /// Our subscriptions, counted: a CANCEL goes upstream only when the last
    /// subscription to a topic goes (as libzmq's SUB/XSUB do). Shared with
    /// the primer, which queues them in every new pipe.
    topics: Arc<Mutex<HashMap<Bytes, u32>>>,
    /// SUB filters what it receives; XSUB passes everything.
    filter: bool,
    /// Peers that got the whole list while the message being sent by
    /// `poll_send_all` was pending: they must not get it a second time.
    greeted: Vec<PeerId>,
}

impl Subscriber {
    /// Transport options for a subscriber of type `t` whose primer sends
    /// this subscriber's topics to every new peer.
    fn options(&self, t: SocketType) -> TransportOptions {
        let mut o = TransportOptions::new(t);
        // libzmq: SUB/XSUB do not wait for pending subscriptions on close.
        o.linger = Some(std::time::Duration::ZERO);
        let topics = self.topics.clone();
        let primer: Primer = Arc::new(move || {
            lock(&topics)
                .keys()
                .map(|t| subscription_message(true, t))
                .collect()
        });
        o.primer = Some(primer);
        o
    }

    fn add(&mut self, topic: &Bytes) {
        *lock(&self.topics).entry(topic.clone()).or_default() += 1;
        self.trie.add(topic, 0);
    }

    /// Returns whether the topic's last subscription went away.
    fn remove(&mut self, topic: &Bytes) -> Option<bool> {
        let last = {
            let mut topics = lock(&self.topics);
            let n = topics.get_mut(topic)?;
            *n -= 1;
            let last = *n == 0;
            if last {
                topics.remove(topic);
            }
            last
        };
        self.trie.remove(topic, 0);
        Some(last)
    }

    /// Brings a new peer up to date: it must end up with each subscribed
    /// topic once (publishers keep a set). The transport queued the topics
    /// of the moment it made the pipe (`primed`); what changed since is
    /// sent now.
    fn on_attached(&self, base: &mut Base, id: PeerId, primed: &[Message]) {
        let had: HashSet<Bytes> = primed
            .iter()
            .filter_map(as_subscription)
            .filter_map(|(subscribe, topic)| subscribe.then_some(topic))
            .collect();
        let updates: Vec<Message> = {
            let topics = lock(&self.topics);
            let added = topics
                .keys()
                .filter(|t| !had.contains(*t))
                .map(|t| subscription_message(true, t));
            let cancelled = had
                .iter()
                .filter(|t| !topics.contains_key(*t))
                .map(|t| subscription_message(false, t));
            added.chain(cancelled).collect()
        };
        for msg in updates {
            if base.peers.try_send_to(id, msg).is_err() {
                tracing::warn!(target: "oxmq", "subscription not sent: pipe full");
            }
        }
    }

    fn poll_recv(&mut self, base: &mut Base, cx: &mut TaskContext<'_>) -> Poll<Message> {
        loop {
            match base.peers.poll_event(cx) {
                Poll::Ready(Event::Attached(id, primed)) => self.on_attached(base, id, &primed),
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
        for (id, primed) in base.peers.poll_attached(cx) {
            self.on_attached(base, id, &primed);
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
}

socket_common!(Sub);

impl Sub {
    /// A SUB socket with no subscription (it receives nothing until it
    /// subscribes).
    pub fn new(ctx: &Context) -> Self {
        let subscriber = Subscriber {
            filter: true,
            ..Subscriber::default()
        };
        Sub {
            base: Base::new(ctx, subscriber.options(SocketType::Sub), None),
            subscriber,
        }
    }

    /// `ZMQ_CONFLATE`: each publisher's pipe, for endpoints bound or
    /// connected afterwards, keeps only the newest message (older ones are
    /// dropped) and RCVHWM no longer applies: "last value" subscriptions.
    /// Subscriptions going out are never conflated.
    pub fn set_conflate(&mut self, on: bool) {
        set_conflate(&self.base, on);
    }

    /// Subscribes to messages whose first frame starts with `topic` (`""`:
    /// everything). Subscriptions are counted. [`SocketError::Closed`] once
    /// the context is shut down.
    pub async fn subscribe(&mut self, topic: impl Into<Bytes>) -> Result<(), SocketError> {
        self.base.check_open()?;
        let topic = topic.into();
        self.subscriber.add(&topic);
        self.send_upstream(subscription_message(true, &topic)).await
    }

    /// Cancels one subscription to `topic`. [`SocketError::Closed`] once
    /// the context is shut down.
    pub async fn unsubscribe(&mut self, topic: impl Into<Bytes>) -> Result<(), SocketError> {
        self.base.check_open()?;
        let topic = topic.into();
        // Only the last unsubscription of a topic goes upstream.
        if self.subscriber.remove(&topic) != Some(true) {
            return Ok(());
        }
        self.send_upstream(subscription_message(false, &topic))
            .await
    }

    /// Sends a (un)subscription to every peer, waiting for room.
    async fn send_upstream(&mut self, msg: Message) -> Result<(), SocketError> {
        let mut slot = Some(msg);
        let (subscriber, base) = (&mut self.subscriber, &mut self.base);
        poll_fn(|cx| {
            if base.is_closed() {
                return Poll::Ready(Err(SocketError::Closed));
            }
            match subscriber.poll_send_all(base, cx, &mut slot, true) {
                Poll::Pending => base.pending(cx),
                ready => ready,
            }
        })
        .await
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
        let subscriber = Subscriber::default();
        Xsub {
            base: Base::new(ctx, subscriber.options(SocketType::Xsub), None),
            subscriber,
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
