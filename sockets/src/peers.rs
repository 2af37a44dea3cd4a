//! The peer table shared by the patterns: new peers arrive from the
//! transport; inbound pipes are fair-queued, outbound ones are reached
//! round-robin (load balancing), by id (routing) or all at once (fan-out).
//!
//! Fair queueing ([`FairQueue`], libzmq's `fq_t`): the pipes known to have
//! items take turns, one item each, so five peers with two queued messages
//! each deliver one from each before any second one. A pipe found empty
//! leaves the rotation and is polled again only once its own waker says
//! it has something; so a socket with many quiet peers does not poll them
//! all, and a busy one costs no allocation or wake-up per message. Load
//! balancing tries each pipe in turn from where the last send stopped,
//! skipping full ones; when all are full it waits for room on any of them
//! (or for a new peer), through pipe reservations.
//!
//! New peers are taken in at every call (a look at the transport's intake
//! channel; the receive-only path looks every few messages), but a socket
//! registers for new peers only on its way to `Pending`, as it does for
//! everything else it waits on.
//!
//! The patterns see the life of each peer as [`Event`]s, in order with its
//! messages: `Attached` (the socket got a pipe, with what the transport
//! already queued in it from the socket's primer), `Connected` (a handshake
//! completed on it; again after each reconnection of a connecting pipe),
//! `Message`, and `Gone`.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use futures::task::AtomicWaker;
use oxmq_transports::{ConnectionInfo, Peer, PeerId, PipeMsg, PipeReceiver, PipeSender};
use oxmq_zmtp::{Message, Metadata};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::{TryRecvError, TrySendError};

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

/// One peer's inbound pipe in the fair queue. Messages get the properties
/// of the connection they came on.
struct FqPipe {
    id: PeerId,
    rx: PipeReceiver,
    properties: Option<Arc<Metadata>>,
    /// Wakes the socket and puts this pipe back in the rotation.
    waker: Waker,
    /// In the rotation (`FairQueue::active` or `FairQueue::empty`), not
    /// asleep waiting for its waker.
    active: bool,
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

/// Pipes woken since the fair queue last looked, and the socket's task.
#[derive(Default)]
struct Woken {
    any: AtomicBool,
    slots: Mutex<Vec<usize>>,
    task: AtomicWaker,
}

/// The waker a pipe in slot `slot` of a fair queue gets.
struct SlotWaker {
    slot: usize,
    woken: Arc<Woken>,
}

impl Wake for SlotWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(self.slot);
        self.woken.any.store(true, Ordering::Release);
        self.woken.task.wake();
    }
}

/// Items a fair queue yields between two looks at tokio's cooperative
/// budget (a pipe takes none itself).
const BUDGET_EVERY: u32 = 32;

/// See [`Peers::poll_message`].
const INTAKE_EVERY: u32 = 32;

/// Fair queueing over the inbound pipes (see the module docs).
struct FairQueue {
    /// By slot; `None` for a free slot.
    pipes: Vec<Option<FqPipe>>,
    free: Vec<usize>,
    /// Slots of the pipes to poll, in turn.
    active: VecDeque<usize>,
    /// Slots of the pipes found empty in this round, not registered yet.
    empty: Vec<usize>,
    woken: Arc<Woken>,
    /// The waker registered in `woken.task` (until a pipe's wake takes it).
    armed: Option<Waker>,
    live: usize,
    /// Items yielded since the last look at the cooperative budget.
    unbudgeted: u32,
}

impl FairQueue {
    fn new() -> Self {
        FairQueue {
            pipes: Vec::new(),
            free: Vec::new(),
            active: VecDeque::new(),
            empty: Vec::new(),
            woken: Arc::new(Woken::default()),
            armed: None,
            live: 0,
            unbudgeted: 0,
        }
    }

    fn push(&mut self, id: PeerId, rx: PipeReceiver) {
        let slot = self.free.pop().unwrap_or(self.pipes.len());
        let waker = Waker::from(Arc::new(SlotWaker {
            slot,
            woken: self.woken.clone(),
        }));
        let pipe = FqPipe {
            id,
            rx,
            properties: None,
            waker,
            active: true,
        };
        if slot == self.pipes.len() {
            self.pipes.push(Some(pipe));
        } else {
            self.pipes[slot] = Some(pipe);
        }
        self.active.push_back(slot);
        self.live += 1;
    }

    /// Whether every pipe is asleep, registered to wake `waker`, and none
    /// has woken since (so polling would find nothing).
    #[inline]
    fn is_idle(&self, waker: &Waker) -> bool {
        self.active.is_empty()
            && self.empty.is_empty()
            && (self.live == 0
                || (!self.woken.any.load(Ordering::Acquire)
                    && self.armed.as_ref().is_some_and(|w| w.will_wake(waker))))
    }

    /// Puts the pipes woken since the last look back in the rotation.
    #[inline]
    fn collect_woken(&mut self) {
        if self.woken.any.load(Ordering::Relaxed) {
            self.collect_woken_now();
        }
    }

    #[cold]
    fn collect_woken_now(&mut self) {
        if !self.woken.any.swap(false, Ordering::Acquire) {
            return;
        }
        // The wake that set the flag took the registered waker.
        self.armed = None;
        let slots =
            std::mem::take(&mut *self.woken.slots.lock().unwrap_or_else(|p| p.into_inner()));
        for slot in slots {
            if let Some(Some(pipe)) = self.pipes.get_mut(slot) {
                if !pipe.active {
                    pipe.active = true;
                    self.active.push_back(slot);
                }
            }
        }
    }

    /// The next item of any pipe, `(id, None)` once when a pipe ends;
    /// `Pending` (registered) when no pipe has anything, or when tokio's
    /// cooperative budget is used up (the task is woken again then).
    ///
    /// Pipes are first looked at without registering (one atomic load for
    /// an empty one); those found empty register only when nothing else
    /// had an item.
    #[inline]
    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<(PeerId, Option<PipeMsg>)> {
        if self.unbudgeted >= BUDGET_EVERY {
            let coop = std::task::ready!(tokio::task::coop::poll_proceed(cx));
            coop.made_progress();
            self.unbudgeted = 0;
        }
        self.collect_woken();
        loop {
            if let Some(slot) = self.active.pop_front() {
                let Some(Some(pipe)) = self.pipes.get_mut(slot) else {
                    continue;
                };
                let id = pipe.id;
                // A look without registering: that is for the way to sleep.
                let item = match pipe.rx.try_recv() {
                    Ok(PipeMsg::Message(mut m)) => {
                        m.set_properties(pipe.properties.clone());
                        PipeMsg::Message(m)
                    }
                    Ok(PipeMsg::Connected(info)) => {
                        pipe.properties = Some(message_properties(&info));
                        PipeMsg::Connected(info)
                    }
                    Err(TryRecvError::Disconnected) => {
                        self.pipes[slot] = None;
                        self.free.push(slot);
                        self.live -= 1;
                        return Poll::Ready((id, None));
                    }
                    Err(TryRecvError::Empty) => {
                        self.empty.push(slot);
                        continue;
                    }
                };
                self.delivered(slot);
                return Poll::Ready((id, Some(item)));
            }
            if self.empty.is_empty() {
                // Every pipe is asleep, registered.
                if self.live == 0 {
                    return Poll::Pending;
                }
                if !self.armed.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                    self.woken.task.register(cx.waker());
                    self.armed = Some(cx.waker().clone());
                }
                // A pipe may have been woken before the registration.
                if self.woken.any.load(Ordering::Acquire) {
                    self.collect_woken();
                    continue;
                }
                return Poll::Pending;
            }
            // To sleep (unless something came meanwhile).
            self.sleep_empty();
        }
    }

    /// The common case of [`poll_next`](Self::poll_next), for a socket
    /// that wants messages only: the pipe in turn has a message. `None`
    /// (nothing done) for everything else.
    #[inline]
    fn next_message_fast(&mut self) -> Option<(PeerId, Message)> {
        if self.unbudgeted >= BUDGET_EVERY
            || !self.empty.is_empty()
            || self.woken.any.load(Ordering::Relaxed)
        {
            return None;
        }
        let slot = *self.active.front()?;
        let pipe = self.pipes.get_mut(slot)?.as_mut()?;
        let mut m = pipe.rx.try_recv_message()?;
        if pipe.properties.is_some() || m.properties().is_some() {
            m.set_properties(pipe.properties.clone());
        }
        let id = pipe.id;
        if self.active.len() > 1 {
            self.active.pop_front();
            self.active.push_back(slot);
        }
        self.unbudgeted += 1;
        Some((id, m))
    }

    /// Puts the pipes found empty to sleep: each registers its waker, or
    /// goes back in the rotation if something came meanwhile.
    fn sleep_empty(&mut self) {
        let mut empty = std::mem::take(&mut self.empty);
        for slot in empty.drain(..) {
            let Some(Some(pipe)) = self.pipes.get_mut(slot) else {
                continue;
            };
            match pipe.rx.poll_ready(&mut Context::from_waker(&pipe.waker)) {
                Poll::Pending => pipe.active = false,
                Poll::Ready(()) => self.active.push_back(slot),
            }
        }
        // (The buffer is kept for the next round.)
        self.empty = empty;
    }

    /// The pipe in `slot` yielded an item: it goes to the back of the
    /// rotation, and those found empty on the way leave it (so that only
    /// pipes with something are polled again).
    #[inline]
    fn delivered(&mut self, slot: usize) {
        if !self.empty.is_empty() {
            self.sleep_empty();
        }
        self.active.push_back(slot);
        self.unbudgeted += 1;
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
    fq: FairQueue,
    /// At most this many peers (PAIR: 1); extra ones are dropped.
    max_peers: Option<usize>,
    /// Events produced while intaking, delivered before pipe items.
    backlog: VecDeque<Event>,
    /// Messages [`poll_message`](Self::poll_message) took since it last
    /// looked for new peers.
    since_intake: u32,
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
            fq: FairQueue::new(),
            max_peers,
            backlog: VecDeque::new(),
            since_intake: 0,
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
        self.fq.push(peer.id, peer.rx);
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

    /// Takes in the new peers there are (their `Attached` events go to the
    /// backlog), without registering for more.
    ///
    /// `try_recv`: it is not subject to tokio's cooperative budget, so a
    /// peer that exists is always seen (a SUB subscribing right after
    /// `connect` must find its peer even late in a busy task turn).
    #[inline]
    fn take_new_peers(&mut self) {
        if !self.intake.is_empty() {
            self.take_new_peers_now();
        }
    }

    #[inline(never)]
    fn take_new_peers_now(&mut self) {
        while let Ok(peer) = self.intake.try_recv() {
            self.add(peer);
        }
    }

    /// For a call about to return `Pending`: registers for new peers, and
    /// takes in any that came meanwhile. Returns whether there were some.
    fn register_intake(&mut self, cx: &mut Context<'_>) -> bool {
        let mut any = false;
        while let Poll::Ready(Some(peer)) = self.intake.poll_recv(cx) {
            self.add(peer);
            any = true;
        }
        any
    }

    /// Takes in new peers and returns their ids and primed messages,
    /// consuming their `Attached` events (for send paths that must greet
    /// new peers). Registers nothing: a send path registers for new peers
    /// when it waits.
    pub(crate) fn poll_attached(&mut self, _cx: &mut Context<'_>) -> Vec<(PeerId, Vec<Message>)> {
        self.take_new_peers();
        if self.backlog.is_empty() {
            return Vec::new();
        }
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
        match self.next_event(cx) {
            Poll::Ready(ev) => Poll::Ready(ev),
            Poll::Pending => {
                self.register_intake(cx);
                match self.backlog.pop_front() {
                    Some(ev) => Poll::Ready(ev),
                    None => Poll::Pending,
                }
            }
        }
    }

    /// The next message from any peer, the other events skipped (a pipe
    /// that ended is forgotten): for the sockets that only receive
    /// messages. `Pending` registers interest in the pipes and new peers.
    ///
    /// While messages flow, new peers are looked for only every
    /// [`INTAKE_EVERY`] messages (as libzmq processes its commands only
    /// now and then while busy): to these sockets a new peer only matters
    /// once it has sent something, and the look costs as much as taking a
    /// message.
    #[inline]
    pub(crate) fn poll_message(&mut self, cx: &mut Context<'_>) -> Poll<(PeerId, Message)> {
        if self.since_intake + 1 < INTAKE_EVERY && self.backlog.is_empty() {
            if let Some(next) = self.fq.next_message_fast() {
                self.since_intake += 1;
                return Poll::Ready(next);
            }
        }
        self.poll_message_slow(cx)
    }

    #[inline(never)]
    fn poll_message_slow(&mut self, cx: &mut Context<'_>) -> Poll<(PeerId, Message)> {
        loop {
            self.since_intake += 1;
            if self.since_intake >= INTAKE_EVERY {
                self.since_intake = 0;
                self.take_new_peers();
            }
            // `Attached` means nothing to these sockets.
            if !self.backlog.is_empty() {
                self.backlog.clear();
            }
            match self.fq.poll_next(cx) {
                Poll::Ready((id, Some(PipeMsg::Message(m)))) => return Poll::Ready((id, m)),
                Poll::Ready((_, Some(PipeMsg::Connected(_)))) => {}
                Poll::Ready((id, None)) => self.remove(id),
                Poll::Pending => {
                    self.since_intake = 0;
                    if !self.register_intake(cx) {
                        return Poll::Pending;
                    }
                }
            }
        }
    }

    /// Takes and drops everything inbound (for send-only sockets), without
    /// registering for new peers; a quick look when nothing came. (New
    /// peers are not taken in: the send path does that.)
    #[inline]
    pub(crate) fn discard_inbound(&mut self, cx: &mut Context<'_>) {
        if !(self.backlog.is_empty() && self.fq.is_idle(cx.waker())) {
            self.discard_inbound_now(cx);
        }
    }

    #[inline(never)]
    fn discard_inbound_now(&mut self, cx: &mut Context<'_>) {
        while let Poll::Ready(ev) = self.next_event(cx) {
            if let Event::Message(_, m) = ev {
                tracing::trace!(target: "oxmq", frames = m.len(), "discarding inbound message");
            }
        }
    }

    fn next_event(&mut self, cx: &mut Context<'_>) -> Poll<Event> {
        self.take_new_peers();
        if let Some(ev) = self.backlog.pop_front() {
            return Poll::Ready(ev);
        }
        match self.fq.poll_next(cx) {
            Poll::Ready((id, Some(PipeMsg::Message(m)))) => Poll::Ready(Event::Message(id, m)),
            Poll::Ready((id, Some(PipeMsg::Connected(info)))) => {
                Poll::Ready(Event::Connected(id, info))
            }
            Poll::Ready((id, None)) => {
                self.remove(id);
                Poll::Ready(Event::Gone(id))
            }
            Poll::Pending => Poll::Pending,
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
                Poll::Pending => return self.pending(cx),
            }
        }
        Poll::Ready(())
    }

    /// `Pending`, registered for new peers too (a call that waits on its
    /// pipes also wakes for a new peer, which it may have to greet).
    fn pending<T>(&mut self, cx: &mut Context<'_>) -> Poll<T> {
        if self.register_intake(cx) {
            // Taken in without a waker: have the caller look again.
            cx.waker().wake_by_ref();
        }
        Poll::Pending
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
            Poll::Pending => self.pending(cx),
        }
    }

    /// Queues the message in `slot` on the next pipe with room,
    /// round-robin. `Pending` (the message left in `slot`) while every pipe
    /// is full or there is no peer; wakers are then registered on every
    /// pipe and on the intake of new peers.
    ///
    /// With `wait == false` only pipes with room now are tried, nothing is
    /// reserved, and `Pending` means "would block".
    #[inline]
    pub(crate) fn poll_send_lb(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<PeerId> {
        // The common case first: the next pipe has room.
        self.take_new_peers();
        let n = self.out.len();
        if n > 0 && slot.is_some() {
            let idx = if self.next >= n { 0 } else { self.next };
            let pipe = &mut self.out[idx];
            if pipe.tx.send_from(slot).is_ok() {
                self.next = idx + 1;
                return Poll::Ready(pipe.id);
            }
        }
        self.poll_send_lb_slow(cx, slot, wait)
    }

    #[inline(never)]
    fn poll_send_lb_slow(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<PeerId> {
        loop {
            self.take_new_peers();
            let n = self.out.len();
            let mut dead = Vec::new();
            // Fast path: a pipe with room, without registering anything
            // (the message is moved only into the pipe that takes it).
            let mut idx = self.next;
            for _ in 0..n {
                if slot.is_none() {
                    break;
                }
                if idx >= n {
                    idx = 0;
                }
                match self.out[idx].tx.send_from(slot) {
                    Ok(()) => {
                        self.next = idx + 1;
                        return Poll::Ready(self.out[idx].id);
                    }
                    Err(TrySendError::Full(())) => {}
                    Err(TrySendError::Closed(())) => dead.push(self.out[idx].id),
                }
                idx += 1;
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
                        self.next = idx + 1;
                        return Poll::Ready(id);
                    }
                    Err(TrySendError::Full(m) | TrySendError::Closed(m)) => {
                        *slot = Some(m);
                        dead.push(id);
                    }
                }
            }
            if dead.is_empty() {
                // About to wait: for room, or for a new peer (then retry).
                if self.register_intake(cx) {
                    continue;
                }
                return Poll::Pending;
            }
            for id in dead {
                self.remove(id);
            }
        }
    }
}
