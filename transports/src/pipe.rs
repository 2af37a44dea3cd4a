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
//! # The queue, and what a message costs
//!
//! A pipe is built to cost little per message, as libzmq's `ypipe` does:
//!
//! - The items travel in a lock-free single-producer, single-consumer
//!   queue of blocks (the crate's `blockq` module): a sender writes an item
//!   into a slot and sets the slot's flag; the receiver takes items as it
//!   finds flags set. The two sides share no counter or lock per message,
//!   only the slots themselves; a steady stream allocates nothing (used-up
//!   blocks go back to the senders).
//! - Senders take a lock of their own for each message (it orders them
//!   when a pipe has several, and guards the high-water-mark count); the
//!   receiver never takes it on its way to an item, only on its way to
//!   sleep and to close. It is a spin lock (that yields the thread when it
//!   has to wait): its critical sections are a few field updates, and its
//!   release is a plain store, where a `std` mutex's release is an atomic
//!   swap, which on x86 stalls until the slot just written has left the
//!   store buffer (inproc 100 B: 11.6–12.2 M msg/s with `std::sync::Mutex`,
//!   13.8–14.7 M with this lock, three criterion runs each).
//! - Wake-ups happen only on the way to sleep: the receiver registers its
//!   waker (under the senders' lock, after one more look) when it finds the
//!   pipe empty, and the next send wakes it, once; a sender registers only
//!   when the pipe is full.
//!
//! # High-water marks
//!
//! Senders count the messages they queued (and the slots they reserved);
//! the receiver counts, in one atomic counter of its own, the messages it
//! took. A pipe holds exactly HWM messages: a sender finds room while
//! `queued - taken < HWM`, and looks at the receiver's counter only when
//! its last view of it says the pipe is full. A sender that has to wait
//! sets a flag in that counter, so the receiver's next take wakes it: each
//! message taken makes room for one more, at once. `Connected` markers (and
//! the internal close marker) are not counted.
//!
//! # Conflating pipes
//!
//! [`conflate_pipe`] makes the pipe of a `ZMQ_CONFLATE` socket (libzmq's
//! `ypipe_conflate`): it holds only the newest message — a new one replaces
//! the one not taken yet — so it is never full and the HWM does not apply.
//! Markers are kept, in order. It has the same [`PipeSender`] /
//! [`PipeReceiver`] interface; a mutex-guarded queue of at most one message
//! (plus markers), taken one item at a time, replaces the block queue.
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
//! A pipe ends when every sender is gone, or after the close marker an
//! inproc disconnect or unbind writes into it, what was queued before still
//! being delivered. `disconnect` instead
//! *aborts* the socket's inbound pipe of that endpoint (libzmq's pipe
//! termination): the receiver ends at once, dropping what is queued, and
//! senders see the pipe closed.
//!
//! # Cooperative scheduling
//!
//! [`PipeReceiver::poll_recv_many`] takes one unit of tokio's cooperative
//! budget per call, as tokio's channels do. [`PipeReceiver::poll_recv`]
//! takes none (it is called for every message, and the socket layer
//! budgets its receive loop itself).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{ready, Context, Poll, Waker};

use oxmq_zmtp::{Message, PeerInfo};
use spin::mutex::{SpinMutex, SpinMutexGuard};
use spin::relax::Yield;
use tokio::sync::mpsc::error::{SendError, TryRecvError, TrySendError};
use tokio_util::sync::CancellationToken;

use crate::blockq;
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

/// What travels in a pipe: pipe items, or the end of the pipe.
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

fn wake_all(wakers: Vec<Waker>) {
    for w in wakers {
        w.wake();
    }
}

/// Creates a pipe holding at most `hwm` messages (0 = unlimited).
pub fn pipe(hwm: usize) -> (PipeSender, PipeReceiver) {
    let (queue, items) = Queue::new(capacity_of(hwm));
    let queue = Arc::new(queue);
    (
        PipeSender {
            inner: Tx::Queue(QueueTx {
                queue: queue.clone(),
                reserved: false,
            }),
        },
        PipeReceiver {
            inner: Rx::Queue(QueueRx { queue, items }),
            ended: false,
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

/// The capacity for a HWM (0 = unlimited).
fn capacity_of(hwm: usize) -> usize {
    if hwm == 0 {
        usize::MAX
    } else {
        hwm
    }
}

/// Keeps a value on cache lines of its own, so that what one side writes
/// for every message does not slow down the other side's reads (128 bytes:
/// adjacent-line prefetching pairs 64-byte lines on x86).
#[derive(Debug, Default)]
#[repr(align(128))]
struct Padded<T>(T);

/// The bit of [`RxShared::read`] a sender sets when it waits for room.
const WAITING: usize = 1 << (usize::BITS - 1);
/// Message counts run modulo `WAITING`.
const COUNT: usize = WAITING - 1;

/// The shared state of a (non-conflating) pipe. The items themselves
/// travel in a [`blockq`] queue whose producer is in the senders' state and
/// whose consumer belongs to the receiver.
#[derive(Debug)]
pub(crate) struct Queue {
    /// What the senders touch for every message (the receiver takes this
    /// lock only on its way to sleep, and to close); see the module docs
    /// for why a spin lock.
    state: Padded<SpinMutex<QueueState, Yield>>,
    /// What the receiver writes for every message.
    rx: Padded<RxShared>,
    /// Cancelled when the receiver is gone or closed.
    rx_gone: CancellationToken,
}

#[derive(Debug, Default)]
struct RxShared {
    /// Messages the receiver has taken (modulo `WAITING`), plus the
    /// `WAITING` bit.
    read: AtomicUsize,
    /// The pipe was aborted: the receiver ends at once.
    aborted: AtomicBool,
    /// Set (under the lock) when the pipe is closed or its last sender is
    /// gone: a receiver that finds the queue empty takes the lock to see
    /// whether the pipe ended only when this says it may have.
    ending: AtomicBool,
}

#[derive(Debug)]
struct QueueState {
    /// Where items are appended.
    items: blockq::Producer<Item>,
    /// Messages ever queued plus slots reserved and not used yet (modulo
    /// `WAITING`).
    claimed: usize,
    /// The receiver's `read` counter as last seen (never ahead of it).
    read_seen: usize,
    /// The HWM (`usize::MAX`: none).
    capacity: usize,
    /// The receiver, when it found the pipe empty.
    rx_waker: Option<Waker>,
    /// Senders waiting for room.
    tx_wakers: Vec<Waker>,
    senders: usize,
    /// The receiver closed or went away, or the pipe was aborted: sends
    /// fail.
    closed: bool,
}

impl QueueState {
    #[inline]
    fn room_after(&self, read: usize) -> bool {
        self.claimed.wrapping_sub(read) & COUNT < self.capacity
    }

    /// Whether a message fits; looks at the receiver's counter only when
    /// the last view of it says no.
    #[inline]
    fn has_room(&mut self, read: &AtomicUsize) -> bool {
        if self.room_after(self.read_seen) {
            return true;
        }
        self.read_seen = read.load(Ordering::Acquire) & COUNT;
        self.room_after(self.read_seen)
    }

    /// Messages queued or reserved, not taken yet.
    fn used(&mut self, read: &AtomicUsize) -> usize {
        self.read_seen = read.load(Ordering::Acquire) & COUNT;
        self.claimed.wrapping_sub(self.read_seen) & COUNT
    }

    #[inline]
    fn claim(&mut self) {
        self.claimed = self.claimed.wrapping_add(1) & COUNT;
    }

    fn unclaim(&mut self) {
        self.claimed = self.claimed.wrapping_sub(1) & COUNT;
    }
}

/// What the receiver found in an empty queue, under the lock.
enum Park {
    /// An item came meanwhile.
    Items,
    /// Nothing yet (the waker, if any, is registered).
    Empty,
    /// Nothing, and nothing will come.
    Ended,
}

impl Queue {
    fn new(capacity: usize) -> (Queue, blockq::Consumer<Item>) {
        // Keep the blocks of a full pipe (and a few more) for reuse; an
        // unbounded pipe keeps up to 64 (about 65 KiB).
        let keep = match capacity {
            usize::MAX => 64,
            hwm => hwm / blockq::BLOCK + 2,
        };
        let (items, consumer) = blockq::queue(keep);
        let queue = Queue {
            state: Padded(SpinMutex::new(QueueState {
                items,
                claimed: 0,
                read_seen: 0,
                capacity,
                rx_waker: None,
                tx_wakers: Vec::new(),
                senders: 1,
                closed: false,
            })),
            rx: Padded(RxShared::default()),
            rx_gone: CancellationToken::new(),
        };
        (queue, consumer)
    }

    #[inline]
    fn lock(&self) -> SpinMutexGuard<'_, QueueState> {
        self.state.0.lock()
    }

    /// Marks the pipe as (possibly) ended for the receiver's lock-free
    /// look; called under the lock.
    fn set_ending(&self) {
        self.rx.0.ending.store(true, Ordering::Release);
    }

    /// Queues an item, claiming a slot for a message: `Full` when there is
    /// no room, `Closed` when the receiver is gone.
    #[inline]
    fn try_push(&self, item: PipeMsg) -> Result<(), TrySendError<PipeMsg>> {
        let mut st = self.lock();
        if st.closed {
            return Err(TrySendError::Closed(item));
        }
        if let PipeMsg::Message(_) = item {
            if !st.has_room(&self.rx.0.read) {
                return Err(TrySendError::Full(item));
            }
            st.claim();
        }
        st.items.push(Item::Pipe(item));
        let waker = st.rx_waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// [`try_push`](Self::try_push) for the message in `slot` (the
    /// socket's send path): taken out of `slot` only once it fits, and
    /// moved once, into the queue.
    #[inline]
    fn try_push_from(&self, slot: &mut Option<Message>) -> Result<(), TrySendError<()>> {
        let mut st = self.lock();
        if st.closed {
            return Err(TrySendError::Closed(()));
        }
        if !st.has_room(&self.rx.0.read) {
            return Err(TrySendError::Full(()));
        }
        let Some(msg) = slot.take() else {
            return Ok(());
        };
        st.claim();
        st.items.push(Item::Pipe(PipeMsg::Message(msg)));
        let waker = st.rx_waker.take();
        drop(st);
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }

    /// Queues an item whose slot (if it has one: `claimed`) is already
    /// taken; when closed, gives the slot back and returns the item.
    fn push_claimed(&self, item: PipeMsg, claimed: bool) -> Result<(), PipeMsg> {
        let mut st = self.lock();
        if st.closed {
            if claimed {
                st.unclaim();
            }
            return Err(item);
        }
        let mut tx = Vec::new();
        if claimed && !matches!(item, PipeMsg::Message(_)) {
            // A marker needs no room: the slot goes back.
            st.unclaim();
            tx = std::mem::take(&mut st.tx_wakers);
        }
        st.items.push(Item::Pipe(item));
        let rx = st.rx_waker.take();
        drop(st);
        if let Some(w) = rx {
            w.wake();
        }
        wake_all(tx);
        Ok(())
    }

    /// Claims a slot for one message. `Ready(Err)` when closed; `Pending`
    /// when full, with `waker` (if any) registered for room.
    fn poll_claim(&self, waker: Option<&Waker>) -> Poll<Result<(), ()>> {
        let mut st = self.lock();
        if st.closed {
            return Poll::Ready(Err(()));
        }
        if st.has_room(&self.rx.0.read) {
            st.claim();
            return Poll::Ready(Ok(()));
        }
        let Some(waker) = waker else {
            return Poll::Pending;
        };
        if !st.tx_wakers.iter().any(|w| w.will_wake(waker)) {
            st.tx_wakers.push(waker.clone());
        }
        // Ask the receiver for a wake-up; what it took meanwhile counts.
        st.read_seen = self.rx.0.read.fetch_or(WAITING, Ordering::AcqRel) & COUNT;
        if st.room_after(st.read_seen) {
            st.claim();
            return Poll::Ready(Ok(()));
        }
        Poll::Pending
    }

    /// Gives back a slot claimed and not used.
    fn unclaim(&self) {
        let mut st = self.lock();
        st.unclaim();
        let waiting = std::mem::take(&mut st.tx_wakers);
        drop(st);
        wake_all(waiting);
    }

    /// Counts `n` messages taken by the receiver; wakes waiting senders.
    #[inline]
    fn took(&self, n: usize) {
        let before = self.rx.0.read.fetch_add(n, Ordering::AcqRel);
        if before & WAITING != 0 {
            self.wake_senders();
        }
    }

    /// Wakes the senders waiting for room (they asked through `WAITING`).
    #[cold]
    fn wake_senders(&self) {
        let waiting = {
            let mut st = self.lock();
            self.rx.0.read.fetch_and(COUNT, Ordering::AcqRel);
            std::mem::take(&mut st.tx_wakers)
        };
        wake_all(waiting);
    }

    /// The receiver found `items` empty: under the lock (which orders it
    /// after every push), looks again, then sees whether the pipe ended,
    /// and registers `waker` (if any) for the next push.
    #[cold]
    fn park(&self, items: &blockq::Consumer<Item>, waker: Option<&Waker>) -> Park {
        let mut st = self.lock();
        if !items.is_empty() {
            return Park::Items;
        }
        if st.senders == 0 || st.closed {
            return Park::Ended;
        }
        if let Some(waker) = waker {
            match &st.rx_waker {
                Some(w) if w.will_wake(waker) => {}
                _ => st.rx_waker = Some(waker.clone()),
            }
        }
        Park::Empty
    }

    /// Stops new messages (the receiver closed or went away): senders fail,
    /// waiting ones wake. What is queued stays for the receiver (which
    /// drops it when it goes).
    fn close(&self) {
        let waiting = {
            let mut st = self.lock();
            st.closed = true;
            self.set_ending();
            std::mem::take(&mut st.tx_wakers)
        };
        self.rx_gone.cancel();
        wake_all(waiting);
    }

    /// Aborts: the receiver ends at once, dropping what is queued, and
    /// senders see the pipe closed.
    fn abort(&self) {
        self.rx.0.aborted.store(true, Ordering::Release);
        let (rx, waiting) = {
            let mut st = self.lock();
            st.closed = true;
            self.set_ending();
            (st.rx_waker.take(), std::mem::take(&mut st.tx_wakers))
        };
        self.rx_gone.cancel();
        if let Some(w) = rx {
            w.wake();
        }
        wake_all(waiting);
    }

    fn add_sender(&self) {
        self.lock().senders += 1;
    }

    fn sender_gone(&self, reserved: bool) {
        let rx = {
            let mut st = self.lock();
            if reserved {
                st.unclaim();
            }
            st.senders = st.senders.saturating_sub(1);
            if st.senders > 0 {
                return;
            }
            self.set_ending();
            st.rx_waker.take()
        };
        if let Some(w) = rx {
            w.wake();
        }
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
    queue: Arc<Queue>,
    /// A slot claimed by [`PipeSender::poll_reserve`] and not used yet.
    reserved: bool,
}

impl Clone for PipeSender {
    fn clone(&self) -> Self {
        let inner = match &self.inner {
            Tx::Queue(q) => {
                q.queue.add_sender();
                Tx::Queue(QueueTx {
                    queue: q.queue.clone(),
                    reserved: false,
                })
            }
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
        match &self.inner {
            Tx::Queue(q) => q.queue.sender_gone(q.reserved),
            Tx::Slot(slot) => slot.sender_gone(),
        }
    }
}

/// A slot reserved in a pipe by [`PipeSender::reserve`].
#[derive(Debug)]
pub struct PipePermit<'a> {
    sender: &'a PipeSender,
    /// The slot is claimed in the queue (not for a conflating pipe).
    claimed: bool,
}

impl PipePermit<'_> {
    /// Sends an item in the reserved slot.
    pub fn send(mut self, item: PipeMsg) {
        let claimed = std::mem::take(&mut self.claimed);
        // When closed, the slot is given back and the item dropped.
        match &self.sender.inner {
            Tx::Queue(q) => {
                let _ = q.queue.push_claimed(item, claimed);
            }
            Tx::Slot(slot) => {
                let _ = slot.push(Item::Pipe(item));
            }
        }
    }
}

impl Drop for PipePermit<'_> {
    fn drop(&mut self) {
        if let (true, Tx::Queue(q)) = (self.claimed, &self.sender.inner) {
            q.queue.unclaim();
        }
    }
}

impl PipeSender {
    /// Queues an item without waiting: `Full` when HWM messages are queued
    /// (markers always fit; a conflating pipe is never full), `Closed`
    /// when the receiver is gone.
    #[inline]
    pub fn try_send(&self, item: PipeMsg) -> Result<(), TrySendError<PipeMsg>> {
        match &self.inner {
            Tx::Queue(q) => q.queue.try_push(item),
            Tx::Slot(slot) => slot.push(Item::Pipe(item)).map_err(|i| {
                TrySendError::Closed(match i {
                    Item::Pipe(m) => m,
                    Item::Close => PipeMsg::Message(Message::new()),
                })
            }),
        }
    }

    /// Sends an item, waiting for room (markers never wait).
    pub async fn send(&self, item: PipeMsg) -> Result<(), SendError<PipeMsg>> {
        if !matches!(item, PipeMsg::Message(_)) {
            return self.try_send(item).map_err(|e| match e {
                TrySendError::Full(item) | TrySendError::Closed(item) => SendError(item),
            });
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
            Tx::Queue(q) => {
                match std::future::poll_fn(|cx| q.queue.poll_claim(Some(cx.waker()))).await {
                    Ok(()) => Ok(PipePermit {
                        sender: self,
                        claimed: true,
                    }),
                    Err(()) => Err(SendError(())),
                }
            }
            Tx::Slot(slot) if !slot.is_closed() => Ok(PipePermit {
                sender: self,
                claimed: false,
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
        if q.reserved {
            return Poll::Ready(Ok(()));
        }
        ready!(q.queue.poll_claim(Some(cx.waker())))?;
        q.reserved = true;
        Poll::Ready(Ok(()))
    }

    /// Sends a message in the slot reserved by [`poll_reserve`](Self::poll_reserve)
    /// (or, without a reservation, like [`try_send`](Self::try_send)).
    #[inline]
    pub fn send_reserved(&mut self, msg: Message) -> Result<(), TrySendError<Message>> {
        if let Tx::Queue(q) = &mut self.inner {
            if !q.reserved {
                let mut slot = Some(msg);
                return match q.queue.try_push_from(&mut slot) {
                    Ok(()) => Ok(()),
                    Err(TrySendError::Full(())) => Err(TrySendError::Full(message_of_slot(slot))),
                    Err(TrySendError::Closed(())) => {
                        Err(TrySendError::Closed(message_of_slot(slot)))
                    }
                };
            }
            q.reserved = false;
            return q
                .queue
                .push_claimed(PipeMsg::Message(msg), true)
                .map_err(|item| TrySendError::Closed(message_of(item)));
        }
        self.try_send(PipeMsg::Message(msg)).map_err(|e| match e {
            TrySendError::Full(item) => TrySendError::Full(message_of(item)),
            TrySendError::Closed(item) => TrySendError::Closed(message_of(item)),
        })
    }

    /// [`send_reserved`](Self::send_reserved) for the message in `slot`:
    /// it is taken out only when it is queued, and stays in `slot` on
    /// failure (`Full`, `Closed`). Nothing to send (`None`) is `Ok`.
    #[inline]
    pub fn send_from(&mut self, slot: &mut Option<Message>) -> Result<(), TrySendError<()>> {
        match &mut self.inner {
            Tx::Queue(q) if !q.reserved => q.queue.try_push_from(slot),
            _ => {
                let Some(msg) = slot.take() else {
                    return Ok(());
                };
                self.send_reserved(msg).map_err(|e| match e {
                    TrySendError::Full(m) => {
                        *slot = Some(m);
                        TrySendError::Full(())
                    }
                    TrySendError::Closed(m) => {
                        *slot = Some(m);
                        TrySendError::Closed(())
                    }
                })
            }
        }
    }

    /// Gives back a reservation that will not be used.
    pub fn abort_reserve(&mut self) {
        if let Tx::Queue(q) = &mut self.inner {
            if std::mem::take(&mut q.reserved) {
                q.queue.unclaim();
            }
        }
    }

    /// Messages that can be queued now without waiting (`usize::MAX` for
    /// a conflating pipe).
    pub fn capacity(&self) -> usize {
        match &self.inner {
            Tx::Queue(q) => {
                let mut st = q.queue.lock();
                let used = st.used(&q.queue.rx.0.read);
                st.capacity.saturating_sub(used)
            }
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
            Tx::Queue(q) => q.queue.lock().closed,
            Tx::Slot(slot) => slot.is_closed(),
        }
    }

    /// Completes when the receiver is gone (or closed).
    pub async fn closed(&self) {
        match &self.inner {
            Tx::Queue(q) => q.queue.rx_gone.cancelled().await,
            Tx::Slot(slot) => slot.rx_gone.cancelled().await,
        }
    }

    /// Ends the pipe for the receiver, after what is queued (inproc
    /// disconnect/unbind: the sockets hold both halves, so a third party
    /// has to say it).
    pub(crate) fn close_pipe(&self) {
        match &self.inner {
            Tx::Queue(q) => {
                let mut st = q.queue.lock();
                if st.closed {
                    return;
                }
                st.items.push(Item::Close);
                let rx = st.rx_waker.take();
                drop(st);
                if let Some(w) = rx {
                    w.wake();
                }
            }
            Tx::Slot(slot) => {
                let _ = slot.push(Item::Close);
            }
        }
    }

    /// A handle that can abort the pipe (see [`PipeAbort`]) without keeping
    /// it open.
    pub(crate) fn abort_handle(&self) -> PipeAbort {
        match &self.inner {
            Tx::Queue(q) => PipeAbort::Queue(q.queue.clone()),
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
                let waiting = {
                    let mut st = q.queue.lock();
                    st.capacity = st.capacity.saturating_add(to - from);
                    std::mem::take(&mut st.tx_wakers)
                };
                wake_all(waiting);
            }
        }
    }
}

fn message_of_slot(slot: Option<Message>) -> Message {
    slot.unwrap_or_default()
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
    Queue(Arc<Queue>),
    Slot(Arc<Slot>),
}

impl PipeAbort {
    pub(crate) fn abort(&self) {
        match self {
            PipeAbort::Queue(queue) => queue.abort(),
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

    /// `Ready` when [`poll_item`](Self::poll_item) would be; registers `cx`
    /// otherwise.
    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = lock(&self.state);
        if st.aborted || !st.items.is_empty() || st.senders == 0 {
            return Poll::Ready(());
        }
        match &st.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => st.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
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
}

#[derive(Debug)]
enum Rx {
    Queue(QueueRx),
    Slot(Arc<Slot>),
}

#[derive(Debug)]
struct QueueRx {
    queue: Arc<Queue>,
    /// Where the items are taken from.
    items: blockq::Consumer<Item>,
}

impl QueueRx {
    #[inline]
    fn aborted(&self) -> bool {
        self.queue.rx.0.aborted.load(Ordering::Acquire)
    }

    /// Whether there is an item to take now, or, with `waker`, registers
    /// it when there is not; `Ended` when nothing will come.
    #[inline]
    fn poll_items(&self, waker: Option<&Waker>) -> Park {
        if !self.items.is_empty() {
            return Park::Items;
        }
        if waker.is_none() && !self.queue.rx.0.ending.load(Ordering::Acquire) {
            return Park::Empty;
        }
        self.queue.park(&self.items, waker)
    }

    /// The next item; `Ready(None)` when the pipe ended (no sender left,
    /// receiver closed, or aborted); `Pending` with `waker` registered.
    #[inline]
    fn next(&mut self, waker: Option<&Waker>) -> Poll<Option<Item>> {
        if self.aborted() {
            return Poll::Ready(None);
        }
        let item = match self.items.pop() {
            Some(item) => item,
            None => match self.poll_items(waker) {
                Park::Items => match self.items.pop() {
                    Some(item) => item,
                    None => return Poll::Pending,
                },
                Park::Empty => return Poll::Pending,
                Park::Ended => return Poll::Ready(None),
            },
        };
        if is_message(&item) {
            self.queue.took(1);
        }
        Poll::Ready(Some(item))
    }

    /// Drops every item there is (the pipe ended for the receiver).
    fn discard(&mut self) {
        while self.items.pop().is_some() {}
    }
}

impl PipeReceiver {
    /// Whether the pipe was aborted (its items are to be dropped).
    fn discarded(&self) -> bool {
        match &self.inner {
            Rx::Queue(q) => q.aborted(),
            Rx::Slot(_) => false,
        }
    }

    #[inline]
    fn take(&mut self, item: Option<Item>) -> Option<PipeMsg> {
        match item {
            Some(Item::Pipe(m)) => Some(m),
            Some(Item::Close) | None => {
                self.end();
                None
            }
        }
    }

    fn end(&mut self) {
        self.ended = true;
        self.close();
        if let Rx::Queue(q) = &mut self.inner {
            // Nothing follows the end (what an abort left is dropped).
            q.discard();
        }
    }

    /// The next item; `None` once the pipe has ended.
    ///
    /// Takes no cooperative budget (see the [module docs](self)).
    #[inline]
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<PipeMsg>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let item = match &mut self.inner {
            Rx::Queue(q) => ready!(q.next(Some(cx.waker()))),
            Rx::Slot(slot) => ready!(slot.poll_item(Some(cx))),
        };
        Poll::Ready(self.take(item))
    }

    /// Waits for the next item; `None` once the pipe has ended.
    pub async fn recv(&mut self) -> Option<PipeMsg> {
        std::future::poll_fn(|cx| self.poll_recv(cx)).await
    }

    /// Takes the next item if there is one.
    #[inline]
    pub fn try_recv(&mut self) -> Result<PipeMsg, TryRecvError> {
        if self.ended {
            return Err(TryRecvError::Disconnected);
        }
        let polled = match &mut self.inner {
            Rx::Queue(q) => q.next(None),
            Rx::Slot(slot) => slot.poll_item(None),
        };
        match polled {
            Poll::Ready(item) => self.take(item).ok_or(TryRecvError::Disconnected),
            Poll::Pending => Err(TryRecvError::Empty),
        }
    }

    /// Takes the next item if it is a message (a socket's fast path);
    /// `None` when it is anything else (a marker, the end) or there is
    /// none, then nothing is taken.
    #[inline]
    pub fn try_recv_message(&mut self) -> Option<Message> {
        let Rx::Queue(q) = &mut self.inner else {
            return None;
        };
        if self.ended || q.aborted() {
            return None;
        }
        match q.items.pop_if(is_message) {
            Some(Item::Pipe(PipeMsg::Message(m))) => {
                q.queue.took(1);
                Some(m)
            }
            // (Only a message is taken.)
            _ => None,
        }
    }

    /// Moves up to `limit` items into `buf`; `Ready(0)` once the pipe has
    /// ended (or for a `limit` of 0). Takes one unit of tokio's
    /// cooperative budget.
    pub fn poll_recv_many(
        &mut self,
        cx: &mut Context<'_>,
        buf: &mut Vec<PipeMsg>,
        limit: usize,
    ) -> Poll<usize> {
        if self.ended || limit == 0 {
            return Poll::Ready(0);
        }
        let coop = ready!(tokio::task::coop::poll_proceed(cx));
        let before = buf.len();
        let q = match &mut self.inner {
            Rx::Queue(q) => q,
            Rx::Slot(_) => {
                // At most one message is queued: no batching to gain.
                while buf.len() - before < limit {
                    match self.poll_recv(cx) {
                        Poll::Ready(Some(item)) => buf.push(item),
                        Poll::Ready(None) | Poll::Pending => break,
                    }
                }
                return match buf.len() - before {
                    0 if self.ended => Poll::Ready(0),
                    0 => Poll::Pending,
                    n => {
                        coop.made_progress();
                        Poll::Ready(n)
                    }
                };
            }
        };
        if q.aborted() {
            self.end();
            return Poll::Ready(0);
        }
        let mut messages = 0;
        let mut ended = false;
        let mut parked = false;
        while buf.len() - before < limit {
            match q.items.pop() {
                Some(Item::Pipe(m)) => {
                    if let PipeMsg::Message(_) = m {
                        messages += 1;
                    }
                    buf.push(m);
                }
                // Nothing follows the end of the pipe.
                Some(Item::Close) => {
                    ended = true;
                    break;
                }
                // Something was taken: that is enough for this call.
                None if parked || buf.len() > before => break,
                None => {
                    parked = true;
                    match q.queue.park(&q.items, Some(cx.waker())) {
                        Park::Items => {}
                        Park::Empty => break,
                        Park::Ended => {
                            ended = true;
                            break;
                        }
                    }
                }
            }
        }
        if messages > 0 {
            q.queue.took(messages);
        }
        if ended {
            self.end();
        }
        match buf.len() - before {
            0 if !ended => Poll::Pending,
            n => {
                coop.made_progress();
                Poll::Ready(n)
            }
        }
    }

    /// Stops new messages (senders see the pipe closed); what is queued can
    /// still be received.
    pub fn close(&mut self) {
        match &mut self.inner {
            Rx::Queue(q) => q.queue.close(),
            Rx::Slot(slot) => slot.close_rx(),
        }
    }

    /// `Ready` when [`poll_recv`](Self::poll_recv) would be (an item is
    /// there, or the pipe ended), without taking anything; `Pending` with
    /// the waker registered for the next item.
    pub fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.ended {
            return Poll::Ready(());
        }
        match &mut self.inner {
            Rx::Queue(q) => {
                if q.aborted() {
                    return Poll::Ready(());
                }
                match q.poll_items(Some(cx.waker())) {
                    Park::Items | Park::Ended => Poll::Ready(()),
                    Park::Empty => Poll::Pending,
                }
            }
            Rx::Slot(slot) => slot.poll_ready(cx),
        }
    }

    /// Whether no item is queued.
    pub fn is_empty(&self) -> bool {
        if self.discarded() {
            return true;
        }
        match &self.inner {
            Rx::Queue(q) => q.items.is_empty(),
            Rx::Slot(slot) => slot.is_empty(),
        }
    }

    /// Whether the pipe is closed (every sender gone, or closed here).
    pub fn is_closed(&self) -> bool {
        self.ended
            || match &self.inner {
                Rx::Queue(q) => {
                    let st = q.queue.lock();
                    st.closed || st.senders == 0
                }
                Rx::Slot(slot) => slot.is_closed(),
            }
    }
}

impl Drop for PipeReceiver {
    fn drop(&mut self) {
        // Wake senders waiting for room: there will never be any.
        match &mut self.inner {
            Rx::Queue(q) => {
                q.queue.close();
                q.discard();
            }
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

    /// A queued message and its slot's flag fit one 64-byte cache line
    /// (the reason `Message` keeps one frame inline, not two).
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn a_queued_message_fits_one_cache_line() {
        assert_eq!(std::mem::size_of::<Message>(), 48);
        assert!(
            std::mem::size_of::<Item>() < 64,
            "{}",
            std::mem::size_of::<Item>()
        );
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
        let info = info();
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
            permit.send(PipeMsg::Connected(info()));
            assert_eq!(tx.capacity(), 1);
        });
    }

    /// A waker that counts its wakes.
    struct Counter(std::sync::atomic::AtomicUsize);

    impl std::task::Wake for Counter {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    fn counter() -> (Arc<Counter>, Waker) {
        let c = Arc::new(Counter(std::sync::atomic::AtomicUsize::new(0)));
        (c.clone(), Waker::from(c))
    }

    fn wakes(c: &Counter) -> usize {
        c.0.load(Ordering::SeqCst)
    }

    fn info() -> Arc<ConnectionInfo> {
        Arc::new(ConnectionInfo {
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
        })
    }

    #[test]
    fn each_message_taken_makes_room_for_one_more_at_once() {
        let (tx, mut rx) = pipe(3);
        for _ in 0..3 {
            tx.try_send(m("x")).unwrap();
        }
        assert!(matches!(tx.try_send(m("y")), Err(TrySendError::Full(_))));
        assert_eq!(tx.capacity(), 0);
        // Room comes back one message at a time, as each is taken.
        body(rx.try_recv().ok());
        assert_eq!(tx.capacity(), 1);
        tx.try_send(m("y")).unwrap();
        assert!(matches!(tx.try_send(m("z")), Err(TrySendError::Full(_))));
        for _ in 0..3 {
            body(rx.try_recv().ok());
        }
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Empty)));
        assert_eq!(tx.capacity(), 3);
    }

    #[test]
    fn markers_pass_a_full_pipe_and_take_no_room() {
        let (tx, mut rx) = pipe(1);
        tx.try_send(m("x")).unwrap();
        tx.try_send(PipeMsg::Connected(info())).unwrap();
        assert!(matches!(tx.try_send(m("y")), Err(TrySendError::Full(_))));
        assert_eq!(body(rx.try_recv().ok()), b"x");
        assert!(matches!(rx.try_recv(), Ok(PipeMsg::Connected(_))));
        assert_eq!(tx.capacity(), 1);
    }

    #[test]
    fn a_sender_waiting_for_room_is_woken_by_the_next_take() {
        let (mut tx, mut rx) = pipe(2);
        tx.try_send(m("1")).unwrap();
        tx.try_send(m("2")).unwrap();
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(tx.poll_reserve(&mut cx).is_pending());
        assert_eq!(wakes(&count), 0);
        assert_eq!(body(rx.try_recv().ok()), b"1");
        assert_eq!(wakes(&count), 1, "one take, one wake");
        assert_eq!(tx.poll_reserve(&mut cx), Poll::Ready(Ok(())));
        // The reservation holds the room: nobody else gets it.
        assert!(matches!(
            tx.try_send(m("other")),
            Err(TrySendError::Full(_))
        ));
        tx.send_reserved(Message::from("3")).unwrap();
        assert_eq!(body(rx.try_recv().ok()), b"2");
        assert_eq!(body(rx.try_recv().ok()), b"3");
        // Later takes wake nobody: nobody waits.
        assert_eq!(wakes(&count), 1);
    }

    #[test]
    fn an_aborted_reservation_gives_the_room_back() {
        let (mut tx, _rx) = pipe(1);
        let mut cx = Context::from_waker(Waker::noop());
        assert_eq!(tx.poll_reserve(&mut cx), Poll::Ready(Ok(())));
        assert_eq!(tx.capacity(), 0);
        tx.abort_reserve();
        assert_eq!(tx.capacity(), 1);
        tx.try_send(m("x")).unwrap();
    }

    #[test]
    fn a_sleeping_receiver_is_woken_once_for_a_batch() {
        let (tx, mut rx) = pipe(0);
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(rx.poll_recv(&mut cx).is_pending());
        for i in 0..10u32 {
            tx.try_send(PipeMsg::Message(Message::from(i.to_be_bytes().to_vec())))
                .unwrap();
        }
        assert_eq!(wakes(&count), 1);
        for i in 0..10u32 {
            assert_eq!(body(ready_item(rx.poll_recv(&mut cx))), i.to_be_bytes());
        }
        assert!(rx.poll_recv(&mut cx).is_pending());
        tx.try_send(m("again")).unwrap();
        assert_eq!(wakes(&count), 2);
    }

    #[test]
    fn poll_ready_takes_nothing() {
        let (tx, mut rx) = pipe(0);
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(rx.poll_ready(&mut cx).is_pending());
        tx.try_send(m("x")).unwrap();
        assert_eq!(wakes(&count), 1);
        assert!(rx.poll_ready(&mut cx).is_ready());
        assert!(rx.poll_ready(&mut cx).is_ready());
        assert_eq!(body(rx.try_recv().ok()), b"x");
        drop(tx);
        assert!(rx.poll_ready(&mut cx).is_ready(), "the end is ready too");
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
    }

    #[test]
    fn recv_many_takes_a_batch_and_gives_its_room_back() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, mut rx) = pipe(4);
            tx.try_send(PipeMsg::Connected(info())).unwrap();
            for _ in 0..4 {
                tx.try_send(m("x")).unwrap();
            }
            let mut buf = Vec::new();
            let n = std::future::poll_fn(|cx| rx.poll_recv_many(cx, &mut buf, 3)).await;
            assert_eq!(n, 3);
            assert!(matches!(buf[0], PipeMsg::Connected(_)));
            assert_eq!(tx.capacity(), 2);
            let n = std::future::poll_fn(|cx| rx.poll_recv_many(cx, &mut buf, 10)).await;
            assert_eq!(n, 2);
            assert_eq!(tx.capacity(), 4);
            tx.close_pipe();
            let n = std::future::poll_fn(|cx| rx.poll_recv_many(cx, &mut buf, 10)).await;
            assert_eq!(n, 0, "closed");
            assert!(tx.is_closed());
        });
    }

    #[test]
    fn a_closed_pipe_delivers_what_was_queued_first() {
        let (tx, mut rx) = pipe(10);
        tx.try_send(m("a")).unwrap();
        tx.close_pipe();
        assert!(
            tx.try_send(m("late")).is_ok(),
            "the marker only ends the receiver"
        );
        assert_eq!(body(rx.try_recv().ok()), b"a");
        assert!(matches!(rx.try_recv(), Err(TryRecvError::Disconnected)));
        assert!(tx.is_closed());
    }

    #[test]
    fn dropping_the_receiver_fails_waiting_senders() {
        let (mut tx, rx) = pipe(1);
        tx.try_send(m("x")).unwrap();
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(tx.poll_reserve(&mut cx).is_pending());
        drop(rx);
        assert_eq!(wakes(&count), 1);
        assert_eq!(tx.poll_reserve(&mut cx), Poll::Ready(Err(())));
        assert!(tx.is_closed());
        assert!(matches!(tx.try_send(m("y")), Err(TrySendError::Closed(_))));
    }

    #[test]
    fn the_pipe_ends_when_the_last_clone_of_the_sender_goes() {
        let (tx, mut rx) = pipe(10);
        let tx2 = tx.clone();
        let (count, waker) = counter();
        let mut cx = Context::from_waker(&waker);
        assert!(rx.poll_recv(&mut cx).is_pending());
        drop(tx);
        assert_eq!(wakes(&count), 0);
        tx2.try_send(m("last")).unwrap();
        drop(tx2);
        assert_eq!(body(ready_item(rx.poll_recv(&mut cx))), b"last");
        assert!(matches!(rx.poll_recv(&mut cx), Poll::Ready(None)));
    }

    /// Two threads, a small HWM: every message arrives, in order, however
    /// the sender's waits and the receiver's sleeps interleave.
    #[test]
    fn a_stream_across_threads_arrives_whole_and_in_order() {
        const N: u32 = 200_000;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            let (tx, mut rx) = pipe(7);
            let sender = tokio::spawn(async move {
                for i in 0..N {
                    let msg = PipeMsg::Message(Message::from(i.to_be_bytes().to_vec()));
                    tx.send(msg).await.expect("the receiver is there");
                }
            });
            let receiver = tokio::spawn(async move {
                for i in 0..N {
                    assert_eq!(body(rx.recv().await), i.to_be_bytes());
                }
                assert!(rx.recv().await.is_none());
            });
            sender.await.unwrap();
            receiver.await.unwrap();
        });
    }
}
