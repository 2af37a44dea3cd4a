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

use std::sync::Arc;
use std::task::{ready, Context, Poll};

use oxmq_zmtp::{Message, PeerInfo};
use tokio::sync::mpsc::error::{SendError, TryRecvError, TrySendError};
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore, TryAcquireError};
use tokio_util::sync::PollSemaphore;

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
}

/// What travels in the channel: pipe items, or the end of the pipe.
#[derive(Debug)]
enum Item {
    Pipe(PipeMsg),
    /// The pipe was closed by a third party (inproc disconnect/unbind).
    Close,
}

/// Creates a pipe holding at most `hwm` messages (0 = unlimited).
pub fn pipe(hwm: usize) -> (PipeSender, PipeReceiver) {
    let (tx, rx) = mpsc::unbounded_channel();
    let permits = if hwm == 0 {
        Semaphore::MAX_PERMITS
    } else {
        hwm.min(Semaphore::MAX_PERMITS)
    };
    let sem = Arc::new(Semaphore::new(permits));
    (
        PipeSender {
            tx,
            room: PollSemaphore::new(sem.clone()),
            sem: sem.clone(),
            reserved: None,
        },
        PipeReceiver {
            rx,
            sem,
            ended: false,
            scratch: Vec::new(),
        },
    )
}

/// The sending half of a pipe.
#[derive(Debug)]
pub struct PipeSender {
    tx: mpsc::UnboundedSender<Item>,
    sem: Arc<Semaphore>,
    room: PollSemaphore,
    reserved: Option<OwnedSemaphorePermit>,
}

impl Clone for PipeSender {
    fn clone(&self) -> Self {
        PipeSender {
            tx: self.tx.clone(),
            sem: self.sem.clone(),
            room: self.room.clone(),
            reserved: None,
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
            p.forget();
        }
        if let Err(SendError(Item::Pipe(PipeMsg::Message(_)))) =
            self.sender.tx.send(Item::Pipe(item))
        {
            self.sender.sem.add_permits(1);
        }
    }
}

impl PipeSender {
    /// Queues an item without waiting: `Full` when HWM messages are queued
    /// (markers always fit), `Closed` when the receiver is gone.
    pub fn try_send(&self, item: PipeMsg) -> Result<(), TrySendError<PipeMsg>> {
        if let PipeMsg::Message(_) = item {
            match self.sem.try_acquire() {
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
        match self.sem.clone().acquire_owned().await {
            Ok(permit) if !self.tx.is_closed() => Ok(PipePermit {
                sender: self,
                permit: Some(permit),
            }),
            _ => Err(SendError(())),
        }
    }

    /// Polls for room for one message; the reservation is kept until
    /// [`send_reserved`](Self::send_reserved) or
    /// [`abort_reserve`](Self::abort_reserve). `Err` when closed.
    pub fn poll_reserve(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), ()>> {
        if self.reserved.is_some() {
            return Poll::Ready(Ok(()));
        }
        match ready!(self.room.poll_acquire(cx)) {
            Some(permit) if !self.tx.is_closed() => {
                self.reserved = Some(permit);
                Poll::Ready(Ok(()))
            }
            _ => Poll::Ready(Err(())),
        }
    }

    /// Sends a message in the slot reserved by [`poll_reserve`](Self::poll_reserve)
    /// (or, without a reservation, like [`try_send`](Self::try_send)).
    pub fn send_reserved(&mut self, msg: Message) -> Result<(), TrySendError<Message>> {
        let Some(permit) = self.reserved.take() else {
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
        self.reserved = None;
    }

    /// Messages that can be queued now without waiting.
    pub fn capacity(&self) -> usize {
        self.sem.available_permits()
    }

    /// Whether the receiver is gone (or closed).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed() || self.sem.is_closed()
    }

    /// Completes when the receiver is gone (or closed).
    pub async fn closed(&self) {
        self.tx.closed().await
    }

    /// Ends the pipe for the receiver, after what is queued (inproc
    /// disconnect/unbind: the sockets hold both halves, so a third party
    /// has to say it).
    pub(crate) fn close_pipe(&self) {
        let _ = self.tx.send(Item::Close);
    }

    /// Queues an item that already has its permit (if it needs one); on
    /// failure gives the permit back and returns the item.
    fn push(&self, item: PipeMsg) -> Result<(), PipeMsg> {
        match self.tx.send(Item::Pipe(item)) {
            Ok(()) => Ok(()),
            Err(SendError(Item::Pipe(item))) => {
                if let PipeMsg::Message(_) = item {
                    self.sem.add_permits(1);
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

/// The receiving half of a pipe.
#[derive(Debug)]
pub struct PipeReceiver {
    rx: mpsc::UnboundedReceiver<Item>,
    sem: Arc<Semaphore>,
    ended: bool,
    /// Reused by `poll_recv_many`, so a batch costs no allocation.
    scratch: Vec<Item>,
}

impl PipeReceiver {
    fn take(&mut self, item: Option<Item>) -> Option<PipeMsg> {
        match item {
            Some(Item::Pipe(m)) => {
                if let PipeMsg::Message(_) = m {
                    self.sem.add_permits(1);
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
        self.rx.close();
        self.sem.close();
    }

    /// The next item; `None` once the pipe has ended.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<PipeMsg>> {
        if self.ended {
            return Poll::Ready(None);
        }
        let item = ready!(self.rx.poll_recv(cx));
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
        match self.rx.try_recv() {
            Ok(item) => self.take(Some(item)).ok_or(TryRecvError::Disconnected),
            Err(TryRecvError::Disconnected) => {
                self.end();
                Err(TryRecvError::Disconnected)
            }
            Err(e) => Err(e),
        }
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
        let mut items = std::mem::take(&mut self.scratch);
        let Poll::Ready(n) = self.rx.poll_recv_many(cx, &mut items, limit) else {
            self.scratch = items;
            return Poll::Pending;
        };
        if n == 0 {
            self.scratch = items;
            self.end();
            return Poll::Ready(0);
        }
        let mut messages = 0;
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
                    self.end();
                    break;
                }
            }
        }
        self.scratch = items;
        self.sem.add_permits(messages);
        Poll::Ready(buf.len() - before)
    }

    /// Stops new messages (senders see the pipe closed); what is queued can
    /// still be received.
    pub fn close(&mut self) {
        self.rx.close();
        self.sem.close();
    }

    /// Whether no item is queued.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// Whether the pipe is closed (every sender gone, or closed here).
    pub fn is_closed(&self) -> bool {
        self.ended || self.rx.is_closed()
    }
}

impl Drop for PipeReceiver {
    fn drop(&mut self) {
        // Wake senders waiting for room: there will never be any.
        self.sem.close();
    }
}
