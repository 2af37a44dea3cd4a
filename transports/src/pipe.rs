//! Pipes: the bounded queues between a socket and each of its peers.
//!
//! A [`Peer`] is what the socket layer gets for every connection: a sender
//! towards the peer and a receiver from it. For tcp and ipc the other ends
//! belong to the connection engine task; for inproc they belong to the other
//! socket.
//!
//! The first item a socket receives from a peer is always
//! [`PipeMsg::Connected`] with the peer's handshake facts; a connecting
//! socket's pipe survives reconnections, so a new `Connected` marks each new
//! connection, in order with the messages (a PUB forgets the old
//! subscriptions of that pipe there, a ROUTER learns the routing id).
//! A connecting socket may get its pipe before any connection exists
//! (tcp and ipc unless `immediate`, inproc before the name is bound): what
//! it sends waits there, and `Connected` comes when the peer does.
//! When the peer is gone for good, the receiver yields `None` and sends fail.
//!
//! # High-water marks
//!
//! A pipe is an unbounded `tokio::sync::mpsc` channel plus a semaphore
//! holding the HWM in permits: a message takes a permit from the sender and
//! gives it back when the receiver takes the message, so exactly HWM
//! messages fit, while `Connected` markers (and the internal close marker)
//! pass without counting. A receiver that takes many messages at once gives
//! their permits back in one operation.
//!
//! # Conflating pipes
//!
//! [`conflate_pipe`] makes the pipe of a `ZMQ_CONFLATE` socket (libzmq's
//! `ypipe_conflate`): it holds only the newest message — a new one replaces
//! the one not taken yet — so it is never full and the HWM does not apply.
//! Markers are kept, in order. It has the same [`PipeSender`] /
//! [`PipeReceiver`] interface; a mutex-guarded queue of at most one message
//! (plus markers) replaces the channel.
//!
//! # Priming
//!
//! A socket may ask the transport, through
//! [`TransportOptions::primer`](crate::TransportOptions::primer), to write
//! messages into every new pipe towards a peer before the socket sees the
//! peer (a DEALER's `PROBE_ROUTER`, a SUB's subscriptions: what libzmq
//! writes when it attaches a pipe). [`Peer::primed`] tells the socket what
//! was written, so it sends nothing twice.
//!
//! # Ending a pipe
//!
//! A pipe ends when every sender is gone or after [`close_pipe`]'s marker,
//! what was queued before still being delivered. `disconnect` instead
//! *aborts* the socket's inbound pipe of that endpoint (libzmq's pipe
//! termination): the receiver ends at once, dropping what is queued, and
//! senders see the pipe closed.
//!
//! [`close_pipe`]: PipeSender::close_pipe

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Waker};

use oxmq_zmtp::{Message, PeerInfo};
use tokio::sync::mpsc::error::{SendError, TryRecvError, TrySendError};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio_util::sync::{CancellationToken, PollSemaphore};

use crate::options::Primer;

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
    /// Messages to the peer; at most the send high-water mark queued.
    pub tx: PipeSender,
    /// Items from the peer; at most the receive high-water mark queued.
    pub rx: PipeReceiver,
    /// What the transport already queued in `tx` from the socket's
    /// [`Primer`], in order, before handing the peer over (messages that
    /// did not fit under the HWM are not there).
    pub primed: Vec<Message>,
}

/// What travels in the channel: pipe items, or the end of the pipe.
#[derive(Debug)]
pub(crate) enum Item {
    Pipe(PipeMsg),
    /// The pipe was closed by a third party (inproc disconnect/unbind).
    Close,
}

fn is_message(item: &Item) -> bool {
    matches!(item, Item::Pipe(PipeMsg::Message(_)))
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a few container operations that
    // cannot panic half-way, so a poisoned lock still guards consistent data.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Creates a pipe holding at most `hwm` messages (0 = unlimited).
pub fn pipe(hwm: usize) -> (PipeSender, PipeReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let sem = Arc::new(Semaphore::new(capacity_of(hwm)));
    let discard = Arc::new(AtomicBool::new(false));
    (
        PipeSender {
            inner: Tx::Queue(QueueTx {
                tx,
                room: PollSemaphore::new(sem.clone()),
                sem: sem.clone(),
                reserved: None,
                waiting: false,
                discard: discard.clone(),
            }),
        },
        PipeReceiver {
            inner: Rx::Queue { rx, sem, discard },
            ended: false,
            scratch: Vec::new(),
        },
    )
}

/// Creates a conflating pipe (`ZMQ_CONFLATE`): it keeps only the newest
/// message not taken yet, and is never full.
pub fn conflate_pipe() -> (PipeSender, PipeReceiver) {
    let slot = Arc::new(Slot {
        state: Mutex::new(SlotState {
            senders: 1,
            ..SlotState::default()
        }),
        rx_gone: CancellationToken::new(),
    });
    (
        PipeSender {
            inner: Tx::Slot(slot.clone()),
        },
        PipeReceiver {
            inner: Rx::Slot(slot),
            ended: false,
            scratch: Vec::new(),
        },
    )
}

/// A pipe of `hwm` messages, or a conflating one.
pub(crate) fn pipe_with(hwm: usize, conflate: bool) -> (PipeSender, PipeReceiver) {
    if conflate {
        conflate_pipe()
    } else {
        pipe(hwm)
    }
}

/// Writes the socket's primer messages into `tx` (those that fit); returns
/// what was written, for [`Peer::primed`].
pub(crate) fn prime(tx: &PipeSender, primer: Option<&Primer>) -> Vec<Message> {
    let Some(primer) = primer else {
        return Vec::new();
    };
    primer()
        .into_iter()
        .filter(|m| tx.try_send(PipeMsg::Message(m.clone())).is_ok())
        .collect()
}

/// Semaphore permits for a HWM (0 = unlimited).
fn capacity_of(hwm: usize) -> usize {
    if hwm == 0 {
        Semaphore::MAX_PERMITS
    } else {
        hwm.min(Semaphore::MAX_PERMITS)
    }
}

/// The sending half of a pipe.
#[derive(Debug)]
pub struct PipeSender {
    inner: Tx,
}

#[derive(Debug)]
enum Tx {
    Queue(QueueTx),
    Slot(Arc<Slot>),
}

#[derive(Debug)]
struct QueueTx {
    tx: mpsc::UnboundedSender<Item>,
    sem: Arc<Semaphore>,
    room: PollSemaphore,
    reserved: Option<OwnedSemaphorePermit>,
    /// `room` has an acquisition under way (a `poll_reserve` returned
    /// `Pending`): the next permit freed goes to it, not to `try_send`.
    waiting: bool,
    discard: Arc<AtomicBool>,
}

impl Clone for PipeSender {
    fn clone(&self) -> Self {
        let inner = match &self.inner {
            Tx::Queue(q) => Tx::Queue(QueueTx {
                tx: q.tx.clone(),
                sem: q.sem.clone(),
                room: q.room.clone(),
                reserved: None,
                waiting: false,
                discard: q.discard.clone(),
            }),
            Tx::Slot(slot) => {
                lock(&slot.state).senders += 1;
                Tx::Slot(slot.clone())
            }
        };
        PipeSender { inner }
    }
}

impl Drop for PipeSender {
    fn drop(&mut self) {
        if let Tx::Slot(slot) = &self.inner {
            slot.sender_gone();
        }
    }
}

/// A slot reserved in a pipe by [`PipeSender::reserve`].
#[derive(Debug)]
pub struct PipePermit<'a> {
    sender: &'a PipeSender,
    permit: Option<OwnedSemaphorePermit>,
}

impl PipePermit<'_> {
    /// Sends an item in the reserved slot.
    pub fn send(mut self, item: PipeMsg) {
        if let Some(p) = self.permit.take() {
            // A marker needs no room: the permit goes back (on drop).
            if let PipeMsg::Message(_) = item {
                p.forget();
            }
        }
        // On failure `push` gives the permit back itself.
        let _ = self.sender.push(item);
    }
}

impl PipeSender {
    /// Queues an item without waiting: `Full` when HWM messages are queued
    /// (markers always fit; a conflating pipe is never full), `Closed`
    /// when the receiver is gone.
    pub fn try_send(&self, item: PipeMsg) -> Result<(), TrySendError<PipeMsg>> {
        if let (Tx::Queue(q), PipeMsg::Message(_)) = (&self.inner, &item) {
            match q.sem.try_acquire() {
                Ok(permit) => permit.forget(),
                Err(TryAcquireError::NoPermits) => return Err(TrySendError::Full(item)),
                Err(TryAcquireError::Closed) => return Err(TrySendError::Closed(item)),
            }
        }
        self.push(item).map_err(TrySendError::Closed)
    }

    /// Sends an item, waiting for room (markers never wait).
    pub async fn send(&self, item: PipeMsg) -> Result<(), SendError<PipeMsg>> {
        if !matches!(item, PipeMsg::Message(_)) {
            return self.push(item).map_err(SendError);
        }
        match self.reserve().await {
            Ok(permit) => {
                permit.send(item);
                Ok(())
            }
            Err(_) => Err(SendError(item)),
        }
    }

    /// Waits for room for one message and reserves it.
    pub async fn reserve(&self) -> Result<PipePermit<'_>, SendError<()>> {
        match &self.inner {
            Tx::Queue(q) => match q.sem.clone().acquire_owned().await {
                Ok(permit) if !q.tx.is_closed() => Ok(PipePermit {
                    sender: self,
                    permit: Some(permit),
                }),
                _ => Err(SendError(())),
            },
            Tx::Slot(slot) if !slot.is_closed() => Ok(PipePermit {
                sender: self,
                permit: None,
            }),
            Tx::Slot(_) => Err(SendError(())),
        }
    }

    /// Polls for room for one message; the reservation is kept until
    /// [`send_reserved`](Self::send_reserved) or
    /// [`abort_reserve`](Self::abort_reserve). `Err` when closed.
    pub fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        let q = match &mut self.inner {
            Tx::Queue(q) => q,
            Tx::Slot(slot) => return Poll::Ready(if slot.is_closed() { Err(()) } else { Ok(()) }),
        };
        if q.reserved.is_some() {
            return Poll::Ready(Ok(()));
        }
        let polled = q.room.poll_acquire(cx);
        q.waiting = polled.is_pending();
        match ready!(polled) {
            Some(permit) if !q.tx.is_closed() => {
                q.reserved = Some(permit);
                Poll::Ready(Ok(()))
            }
            _ => Poll::Ready(Err(())),
        }
    }

    /// Sends a message in the slot reserved by [`poll_reserve`](Self::poll_reserve)
    /// (or, without a reservation, like [`try_send`](Self::try_send)).
    ///
    /// Unlike `try_send`, this also uses the room a `poll_reserve` that
    /// returned `Pending` may have been granted since (say, by a blocking
    /// send that was then cancelled): such room is held for the reserver,
    /// so `try_send` would see one slot fewer than the HWM allows.
    pub fn send_reserved(&mut self, msg: Message) -> Result<(), TrySendError<Message>> {
        let reserved = match &mut self.inner {
            Tx::Queue(q) => match q.reserved.take() {
                Some(permit) => Some(permit),
                None if q.waiting => {
                    // Collect a permit granted to the pending acquisition,
                    // without registering for a new one.
                    let mut cx = Context::from_waker(Waker::noop());
                    match q.room.poll_acquire(&mut cx) {
                        Poll::Ready(permit) => {
                            q.waiting = false;
                            permit
                        }
                        Poll::Pending => None,
                    }
                }
                None => None,
            },
            Tx::Slot(_) => None,
        };
        let Some(permit) = reserved else {
            return self.try_send(PipeMsg::Message(msg)).map_err(|e| match e {
                TrySendError::Full(item) => TrySendError::Full(message_of(item)),
                TrySendError::Closed(item) => TrySendError::Closed(message_of(item)),
            });
        };
        permit.forget();
        self.push(PipeMsg::Message(msg))
            .map_err(|item| TrySendError::Closed(message_of(item)))
    }

    /// Gives back a reservation that will not be used.
    pub fn abort_reserve(&mut self) {
        if let Tx::Queue(q) = &mut self.inner {
            q.reserved = None;
        }
    }

    /// Messages that can be queued now without waiting (`usize::MAX` for
    /// a conflating pipe).
    pub fn capacity(&self) -> usize {
        match &self.inner {
            Tx::Queue(q) => q.sem.available_permits(),
            Tx::Slot(_) => usize::MAX,
        }
    }

    /// Whether this is a conflating pipe (see [`conflate_pipe`]).
    pub fn is_conflating(&self) -> bool {
        matches!(self.inner, Tx::Slot(_))
    }

    /// Whether the receiver is gone (or closed).
    pub fn is_closed(&self) -> bool {
        match &self.inner {
            Tx::Queue(q) => q.tx.is_closed() || q.sem.is_closed(),
            Tx::Slot(slot) => slot.is_closed(),
        }
    }

    /// Completes when the receiver is gone (or closed).
    pub async fn closed(&self) {
        match &self.inner {
            Tx::Queue(q) => q.tx.closed().await,
            Tx::Slot(slot) => slot.rx_gone.cancelled().await,
        }
    }

    /// Ends the pipe for the receiver, after what is queued (inproc
    /// disconnect/unbind: the sockets hold both halves, so a third party
    /// has to say it).
    pub(crate) fn close_pipe(&self) {
        let _ = match &self.inner {
            Tx::Queue(q) => q.tx.send(Item::Close).map_err(|_| ()),
            Tx::Slot(slot) => slot.push(Item::Close).map_err(|_| ()),
        };
    }

    /// A handle that can abort the pipe (see [`PipeAbort`]) without keeping
    /// it open.
    pub(crate) fn abort_handle(&self) -> PipeAbort {
        match &self.inner {
            Tx::Queue(q) => PipeAbort::Queue {
                discard: q.discard.clone(),
                sem: q.sem.clone(),
                tx: q.tx.downgrade(),
            },
            Tx::Slot(slot) => PipeAbort::Slot(slot.clone()),
        }
    }

    /// Raises the pipe's HWM from `from` to `to` messages (0 = unlimited);
    /// nothing if that is no raise (or the pipe conflates). An inproc pipe
    /// made before the bind holds the connecting side's HWM only until
    /// the bound side's is known, as in libzmq.
    pub(crate) fn raise_hwm(&self, from: usize, to: usize) {
        if let Tx::Queue(q) = &self.inner {
            let (from, to) = (capacity_of(from), capacity_of(to));
            if to > from {
                // Permits available plus taken are `from`: this cannot
                // exceed the semaphore's maximum.
                q.sem.add_permits(to - from);
            }
        }
    }

    /// Queues an item that already has its permit (if it needs one); on
    /// failure gives the permit back and returns the item.
    fn push(&self, item: PipeMsg) -> Result<(), PipeMsg> {
        let q = match &self.inner {
            Tx::Queue(q) => q,
            Tx::Slot(slot) => {
                return slot.push(Item::Pipe(item)).map_err(|i| match i {
                    Item::Pipe(m) => m,
                    Item::Close => PipeMsg::Message(Message::new()),
                })
            }
        };
        match q.tx.send(Item::Pipe(item)) {
            Ok(()) => Ok(()),
            Err(SendError(Item::Pipe(item))) => {
                if let PipeMsg::Message(_) = item {
                    q.sem.add_permits(1);
                }
                Err(item)
            }
            Err(SendError(Item::Close)) => Err(PipeMsg::Message(Message::new())),
        }
    }
}

fn message_of(item: PipeMsg) -> Message {
    match item {
        PipeMsg::Message(m) => m,
        PipeMsg::Connected(_) => Message::new(),
    }
}

/// Aborts a pipe: its receiver ends at once and drops what is queued, and
/// its senders see it closed (libzmq terminating a pipe on `disconnect`).
/// Holds no sender: the pipe still ends when its senders go.
#[derive(Debug, Clone)]
pub(crate) enum PipeAbort {
    Queue {
        discard: Arc<AtomicBool>,
        sem: Arc<Semaphore>,
        tx: mpsc::WeakUnboundedSender<Item>,
    },
    Slot(Arc<Slot>),
}

impl PipeAbort {
    pub(crate) fn abort(&self) {
        match self {
            PipeAbort::Queue { discard, sem, tx } => {
                discard.store(true, Ordering::Release);
                sem.close();
                // Wake the receiver: it checks the flag before any item.
                if let Some(tx) = tx.upgrade() {
                    let _ = tx.send(Item::Close);
                }
            }
            PipeAbort::Slot(slot) => slot.abort(),
        }
    }
}

/// The inbound pipe of one connect endpoint, for `disconnect` to abort.
/// The endpoint's task registers each pipe it makes; once aborted, any
/// pipe registered later is aborted at once.
#[derive(Debug, Clone, Default)]
pub(crate) struct AbortSlot(Arc<Mutex<AbortState>>);

#[derive(Debug, Default)]
struct AbortState {
    current: Option<PipeAbort>,
    aborted: bool,
}

impl AbortSlot {
    /// Registers the pipe whose sender is `tx`.
    pub(crate) fn set(&self, tx: &PipeSender) {
        let handle = tx.abort_handle();
        let mut st = lock(&self.0);
        if st.aborted {
            drop(st);
            handle.abort();
        } else {
            st.current = Some(handle);
        }
    }

    /// Aborts the registered pipe, and any registered later.
    pub(crate) fn abort(&self) {
        let current = {
            let mut st = lock(&self.0);
            st.aborted = true;
            st.current.take()
        };
        if let Some(handle) = current {
            handle.abort();
        }
    }
}

/// The shared state of a conflating pipe.
#[derive(Debug)]
pub(crate) struct Slot {
    state: Mutex<SlotState>,
    /// Cancelled when the receiver is gone or closed.
    rx_gone: CancellationToken,
}

#[derive(Debug, Default)]
struct SlotState {
    /// At most one message, and markers, in order.
    items: VecDeque<Item>,
    waker: Option<Waker>,
    senders: usize,
    /// The receiver closed or went away: sends fail.
    closed: bool,
    /// Aborted: the receiver ends at once.
    aborted: bool,
}

impl Slot {
    fn push(&self, item: Item) -> Result<(), Item> {
        let waker = {
            let mut st = lock(&self.state);
            if st.closed {
                return Err(item);
            }
            if is_message(&item) {
                // The newest message replaces any not taken yet.
                st.items.retain(|i| !is_message(i));
            }
            st.items.push_back(item);
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    fn is_closed(&self) -> bool {
        lock(&self.state).closed
    }

    fn sender_gone(&self) {
        let waker = {
            let mut st = lock(&self.state);
            st.senders = st.senders.saturating_sub(1);
            if st.senders > 0 {
                return;
            }
            st.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// The next item; `Ready(None)` when the pipe ended (no sender left,
    /// or aborted).
    fn poll_item(&self, cx: Option<&mut Context<'_>>) -> Poll<Option<Item>> {
        let mut st = lock(&self.state);
        if st.aborted {
            return Poll::Ready(None);
        }
        if let Some(item) = st.items.pop_front() {
            return Poll::Ready(Some(item));
        }
        if st.senders == 0 {
            return Poll::Ready(None);
        }
        if let Some(cx) = cx {
            match &st.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => st.waker = Some(cx.waker().clone()),
            }
        }
        Poll::Pending
    }

    fn is_empty(&self) -> bool {
        let st = lock(&self.state);
        st.aborted || st.items.is_empty()
    }

    fn close_rx(&self) {
        lock(&self.state).closed = true;
        self.rx_gone.cancel();
    }

    fn abort(&self) {
        let (waker, dropped) = {
            let mut st = lock(&self.state);
            st.aborted = true;
            st.closed = true;
            (st.waker.take(), std::mem::take(&mut st.items))
        };
        drop(dropped);
        self.rx_gone.cancel();
        if let Some(w) = waker {
            w.wake();
        }
    }
}

/// The receiving half of a pipe.
#[derive(Debug)]
pub struct PipeReceiver {
    inner: Rx,
    ended: bool,
    /// Reused by `poll_recv_many`, so a batch costs no allocation.
    scratch: Vec<Item>,
}

#[derive(Debug)]
enum Rx {
    Queue {
        rx: mpsc::UnboundedReceiver<Item>,
        sem: Arc<Semaphore>,
        discard: Arc<AtomicBool>,
    },
    Slot(Arc<Slot>),
}

impl PipeReceiver {
    /// Whether the pipe was aborted (its items are to be dropped).
    fn discarded(&self) -> bool {
        match &self.inner {
            Rx::Queue { discard, .. } => discard.load(Ordering::Acquire),
            Rx::Slot(_) => false,
        }
    }

    fn take(&mut self, item: Option<Item>) -> Option<PipeMsg> {
        match item {
            Some(Item::Pipe(m)) => {
                if let (PipeMsg::Message(_), Rx::Queue { sem, .. }) = (&m, &self.inner) {
                    sem.add_permits(1);
                }
                Some(m)
            }
            Some(Item::Close) | None => {
                self.end();
                None
            }
        }
    }

    fn end(&mut self) {
        self.ended = true;
        self.close();
    }

    /// The next item; `None` once the pipe has ended.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<PipeMsg>> {
        if self.ended {
            return Poll::Ready(None);
        }
        if self.discarded() {
            self.end();
            return Poll::Ready(None);
        }
        let item = match &mut self.inner {
            Rx::Queue { rx, .. } => ready!(rx.poll_recv(cx)),
            Rx::Slot(slot) => ready!(slot.poll_item(Some(cx))),
        };
        Poll::Ready(self.take(item))
    }

    /// Waits for the next item; `None` once the pipe has ended.
    pub async fn recv(&mut self) -> Option<PipeMsg> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Takes the next item if there is one.
    pub fn try_recv(&mut self) -> Result<PipeMsg, TryRecvError> {
        if self.ended {
            return Err(TryRecvError::Disconnected);
        }
        if self.discarded() {
            self.end();
            return Err(TryRecvError::Disconnected);
        }
        let item = match &mut self.inner {
            Rx::Queue { rx, .. } => match rx.try_recv() {
                Ok(item) => Some(item),
                Err(TryRecvError::Disconnected) => None,
                Err(e) => return Err(e),
            },
            Rx::Slot(slot) => match slot.poll_item(None) {
                Poll::Ready(item) => item,
                Poll::Pending => return Err(TryRecvError::Empty),
            },
        };
        self.take(item).ok_or(TryRecvError::Disconnected)
    }

    /// Moves up to `limit` items into `buf`; `Ready(0)` once the pipe has
    /// ended. The permits of all messages taken are given back at once.
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<PipeMsg>,
        limit: usize,
    ) -> Poll<usize> {
        if self.ended {
            return Poll::Ready(0);
        }
        if self.discarded() {
            self.end();
            return Poll::Ready(0);
        }
        let (rx, sem) = match &mut self.inner {
            Rx::Queue { rx, sem, .. } => (rx, sem.clone()),
            Rx::Slot(_) => {
                // At most one message is queued: no batching to gain.
                let before = buf.len();
                while buf.len() - before < limit.max(1) {
                    match self.poll_recv(cx) {
                        Poll::Ready(Some(item)) => buf.push(item),
                        Poll::Ready(None) | Poll::Pending => break,
                    }
                }
                return match buf.len() - before {
                    0 if self.ended => Poll::Ready(0),
                    0 => Poll::Pending,
                    n => Poll::Ready(n),
                };
            }
        };
        let mut items = std::mem::take(&mut self.scratch);
        let Poll::Ready(n) = rx.poll_recv_many(cx, &mut items, limit) else {
            self.scratch = items;
            return Poll::Pending;
        };
        if n == 0 {
            self.scratch = items;
            self.end();
            return Poll::Ready(0);
        }
        let mut messages = 0;
        let mut ended = false;
        let before = buf.len();
        for item in items.drain(..) {
            match item {
                Item::Pipe(m) => {
                    if let PipeMsg::Message(_) = m {
                        messages += 1;
                    }
                    buf.push(m);
                }
                // Nothing follows the end of the pipe.
                Item::Close => {
                    ended = true;
                    break;
                }
            }
        }
        self.scratch = items;
        self.scratch.clear();
        sem.add_permits(messages);
        if ended {
            self.end();
        }
        Poll::Ready(buf.len() - before)
    }

    /// Stops new messages (senders see the pipe closed); what is queued can
    /// still be received.
    pub fn close(&mut self) {
        match &mut self.inner {
            Rx::Queue { rx, sem, .. } => {
                rx.close();
                sem.close();
            }
            Rx::Slot(slot) => slot.close_rx(),
        }
    }

    /// Whether no item is queued.
    pub fn is_empty(&self) -> bool {
        if self.discarded() {
            return true;
        }
        match &self.inner {
            Rx::Queue { rx, .. } => rx.is_empty(),
            Rx::Slot(slot) => slot.is_empty(),
        }
    }

    /// Whether the pipe is closed (every sender gone, or closed here).
    pub fn is_closed(&self) -> bool {
        self.ended
            || match &self.inner {
                Rx::Queue { rx, .. } => rx.is_closed(),
                Rx::Slot(slot) => slot.is_closed(),
            }
    }
}

impl Drop for PipeReceiver {
    fn drop(&mut self) {
        // Wake senders waiting for room: there will never be any.
        match &self.inner {
            Rx::Queue { sem, .. } => sem.close(),
            Rx::Slot(slot) => slot.close_rx(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::task::Waker;

    fn m(s: &'static str) -> PipeMsg {
        PipeMsg::Message(Message::from(s))
    }

    fn body(item: Option<PipeMsg>) -> Vec<u8> {
        match item {
            Some(PipeMsg::Message(msg)) => msg[0].to_vec(),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    #[test]
    fn conflating_pipe_keeps_the_newest_and_never_fills() {
        let (tx, mut rx) = conflate_pipe();
        for i in 0..10_000u32 {
            tx.try_send(PipeMsg::Message(Message::from(i.to_be_bytes().to_vec())))
                .expect("a conflating pipe is never full");
        }
        assert_eq!(body(rx.try_recv().ok()), 9_999u32.to_be_bytes());
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        drop(tx);
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
    }

    #[test]
    fn conflating_pipe_keeps_markers_in_order() {
        let (tx, mut rx) = conflate_pipe();
        let info = Arc::new(ConnectionInfo {
            peer: PeerInfo {
                version: oxmq_zmtp::Version::V3_1,
                mechanism: oxmq_zmtp::MechanismName::NULL,
                socket_type: oxmq_zmtp::SocketType::Pull,
                routing_id: None,
                metadata: oxmq_zmtp::Metadata::new(),
                user_id: None,
                auth_metadata: oxmq_zmtp::Metadata::new(),
            },
            endpoint: "inproc://x".into(),
            peer_address: "inproc://x".into(),
        });
        tx.try_send(m("old")).unwrap();
        tx.try_send(PipeMsg::Connected(info)).unwrap();
        tx.try_send(m("a")).unwrap();
        tx.try_send(m("b")).unwrap();
        assert!(matches!(rx.try_recv(), Ok(PipeMsg::Connected(_))));
        assert_eq!(body(rx.try_recv().ok()), b"b");
        tx.close_pipe();
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        assert!(tx.is_closed());
    }

    #[test]
    fn conflating_pipe_wakes_the_receiver() {
        let (tx, mut rx) = conflate_pipe();
        let mut cx = Context::from_waker(Waker::noop());
        assert!(rx.poll_recv(&mut cx).is_pending());
        tx.try_send(m("x")).unwrap();
        assert_eq!(body(ready_item(rx.poll_recv(&mut cx))), b"x");
        let mut buf = Vec::new();
        assert!(rx.poll_recv_many(&mut cx, &mut buf, 8).is_pending());
        tx.try_send(m("y")).unwrap();
        tx.try_send(m("z")).unwrap();
        assert_eq!(rx.poll_recv_many(&mut cx, &mut buf, 8), Poll::Ready(1));
        assert_eq!(body(buf.pop()), b"z");
        drop(rx);
        assert!(tx.is_closed());
        assert!(tx.try_send(m("late")).is_err());
    }

    fn ready_item(p: Poll<Option<PipeMsg>>) -> Option<PipeMsg> {
        match p {
            Poll::Ready(item) => item,
            Poll::Pending => panic!("expected an item"),
        }
    }

    #[test]
    fn abort_drops_what_is_queued_and_closes_senders() {
        for conflate in [false, true] {
            let (tx, mut rx) = pipe_with(10, conflate);
            tx.try_send(m("queued")).unwrap();
            let abort = tx.abort_handle();
            abort.abort();
            assert!(tx.is_closed());
            assert!(tx.try_send(m("late")).is_err());
            assert!(rx.is_empty());
            assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        }
    }

    #[test]
    fn abort_handle_does_not_keep_the_pipe_open() {
        let (tx, mut rx) = pipe(10);
        let abort = tx.abort_handle();
        tx.try_send(m("last")).unwrap();
        drop(tx);
        assert_eq!(body(rx.try_recv().ok()), b"last");
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        abort.abort();
    }

    #[test]
    fn raise_hwm_adds_room() {
        let (tx, _rx) = pipe(1);
        tx.try_send(m("1")).unwrap();
        assert!(matches!(tx.try_send(m("2")), Err(TrySendError::Full(_))));
        tx.raise_hwm(1, 3);
        tx.try_send(m("2")).unwrap();
        tx.try_send(m("3")).unwrap();
        assert!(matches!(tx.try_send(m("4")), Err(TrySendError::Full(_))));
        tx.raise_hwm(3, 0);
        for _ in 0..100 {
            tx.try_send(m("more")).unwrap();
        }
        // Lowering is ignored.
        tx.raise_hwm(0, 5);
        tx.try_send(m("still")).unwrap();
    }

    #[test]
    fn a_permit_used_for_a_marker_is_given_back() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, _rx) = pipe(1);
            let permit = tx.reserve().await.unwrap();
            permit.send(PipeMsg::Connected(Arc::new(ConnectionInfo {
                peer: PeerInfo {
                    version: oxmq_zmtp::Version::V3_1,
                    mechanism: oxmq_zmtp::MechanismName::NULL,
                    socket_type: oxmq_zmtp::SocketType::Pull,
                    routing_id: None,
                    metadata: oxmq_zmtp::Metadata::new(),
                    user_id: None,
                    auth_metadata: oxmq_zmtp::Metadata::new(),
                },
                endpoint: String::new(),
                peer_address: String::new(),
            })));
            assert_eq!(tx.capacity(), 1);
        });
    }
}
