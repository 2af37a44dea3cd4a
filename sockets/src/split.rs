//! Splitting a full-duplex socket (DEALER, ROUTER, PAIR, XPUB, XSUB) into a
//! [`SendHalf`] and a [`RecvHalf`], so that two tasks can send and receive
//! at the same time.
//!
//! Both halves share the socket behind a short-held mutex (never held across
//! an `.await`). The pipes, the intake of new peers and the fair queue each
//! remember one waker, and either half may poll any of them (a ROUTER's send
//! learns new routing ids from the inbound side, for instance). So the
//! halves poll through a common waker that wakes whichever halves are
//! waiting: an event wakes the half that needs it, and the other one only
//! if it, too, is waiting.
//!
//! After the context's shutdown both halves fail with
//! [`SocketError::Closed`], as the socket itself does (the `RecvHalf`
//! stream yields `Err(Closed)` once, then ends).

use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use oxmq_zmtp::Message;

use crate::error::SocketError;

pub(crate) mod sealed {
    pub trait Sealed {}
}

/// The socket types that can be split: DEALER, ROUTER, PAIR, XPUB, XSUB.
/// (Sealed: implemented by this crate only.)
pub trait Duplex: sealed::Sealed + Send + 'static {
    #[doc(hidden)]
    fn poll_send_duplex(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<(), SocketError>>;

    #[doc(hidden)]
    fn poll_recv_duplex(&mut self, cx: &mut Context<'_>) -> Poll<Result<Message, SocketError>>;

    #[doc(hidden)]
    fn poll_next_duplex(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, SocketError>>>;

    #[doc(hidden)]
    fn is_terminated_duplex(&self) -> bool;
}

#[derive(Default)]
struct Waiting {
    send: Option<Waker>,
    recv: Option<Waker>,
}

struct Shared<S> {
    socket: Mutex<S>,
    waiting: Arc<Mutex<Waiting>>,
}

/// Wakes every half that is waiting. It holds only the waiting list, not the
/// socket: the pipes inside the socket keep this waker, and a reference back
/// to the socket would be a cycle that outlives both halves.
struct BothWaker {
    waiting: Arc<Mutex<Waiting>>,
}

impl Wake for BothWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        let (send, recv) = {
            let mut w = lock(&self.waiting);
            (w.send.take(), w.recv.take())
        };
        for waker in [send, recv].into_iter().flatten() {
            waker.wake();
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded sections cannot leave the data half-updated.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The sending half of a split socket.
pub struct SendHalf<S> {
    shared: Arc<Shared<S>>,
    waker: Waker,
}

/// The receiving half of a split socket.
pub struct RecvHalf<S> {
    shared: Arc<Shared<S>>,
    waker: Waker,
}

impl<S> fmt::Debug for SendHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendHalf")
    }
}

impl<S> fmt::Debug for RecvHalf<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecvHalf")
    }
}

pub(crate) fn split<S: Duplex>(socket: S) -> (SendHalf<S>, RecvHalf<S>) {
    let waiting = Arc::new(Mutex::new(Waiting::default()));
    let waker = Waker::from(Arc::new(BothWaker {
        waiting: waiting.clone(),
    }));
    let shared = Arc::new(Shared {
        socket: Mutex::new(socket),
        waiting,
    });
    (
        SendHalf {
            shared: shared.clone(),
            waker: waker.clone(),
        },
        RecvHalf { shared, waker },
    )
}

impl<S: Duplex> SendHalf<S> {
    fn poll_send(
        &self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
    ) -> Poll<Result<(), SocketError>> {
        lock(&self.shared.waiting).send = Some(cx.waker().clone());
        let mut both = Context::from_waker(&self.waker);
        let r = lock(&self.shared.socket).poll_send_duplex(&mut both, slot);
        if r.is_ready() {
            lock(&self.shared.waiting).send = None;
        }
        r
    }

    /// Sends a message, waiting as the socket's own `send` does; fails
    /// with [`SocketError::Closed`] once the context is shut down. Cancel
    /// safety: if dropped before completion, the message was not queued.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        let msg = msg.into();
        crate::base::check_message(&msg)?;
        let mut slot = Some(msg);
        std::future::poll_fn(|cx| self.poll_send(cx, &mut slot)).await
    }

    /// Puts the halves back together; hands them back if they are not the
    /// two halves of the same socket.
    pub fn reunite(self, recv: RecvHalf<S>) -> Result<S, (SendHalf<S>, RecvHalf<S>)> {
        if !Arc::ptr_eq(&self.shared, &recv.shared) {
            return Err((self, recv));
        }
        drop(recv);
        let SendHalf { shared, waker } = self;
        match Arc::try_unwrap(shared) {
            Ok(shared) => Ok(shared
                .socket
                .into_inner()
                .unwrap_or_else(|p| p.into_inner())),
            // Only the two halves hold the state, so this does not happen;
            // if it did, the halves are rebuilt rather than lost.
            Err(shared) => Err((
                SendHalf {
                    shared: shared.clone(),
                    waker: waker.clone(),
                },
                RecvHalf { shared, waker },
            )),
        }
    }
}

impl<S: Duplex> RecvHalf<S> {
    fn poll_with<T>(
        &self,
        cx: &mut Context<'_>,
        f: impl FnOnce(&mut S, &mut Context<'_>) -> Poll<T>,
    ) -> Poll<T> {
        lock(&self.shared.waiting).recv = Some(cx.waker().clone());
        let mut both = Context::from_waker(&self.waker);
        let r = f(&mut lock(&self.shared.socket), &mut both);
        if r.is_ready() {
            lock(&self.shared.waiting).recv = None;
        }
        r
    }

    /// Receives the next message; fails with [`SocketError::Closed`] once
    /// the context is shut down. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message, SocketError> {
        std::future::poll_fn(|cx| self.poll_with(cx, S::poll_recv_duplex)).await
    }
}

/// As the socket's own `Stream`: after the shutdown, `Err(Closed)` once,
/// then the end.
impl<S: Duplex> futures::Stream for RecvHalf<S> {
    type Item = Result<Message, SocketError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_with(cx, S::poll_next_duplex)
    }
}

impl<S: Duplex> futures::stream::FusedStream for RecvHalf<S> {
    fn is_terminated(&self) -> bool {
        lock(&self.shared.socket).is_terminated_duplex()
    }
}

/// Adds `split` to a full-duplex socket type.
macro_rules! impl_split {
    ($ty:ident) => {
        impl $crate::split::sealed::Sealed for $ty {}

        impl $crate::split::Duplex for $ty {
            fn poll_send_duplex(
                &mut self,
                cx: &mut std::task::Context<'_>,
                slot: &mut Option<Message>,
            ) -> std::task::Poll<Result<(), SocketError>> {
                $crate::io::poll_send(self, cx, slot, true)
            }

            fn poll_recv_duplex(
                &mut self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<Message, SocketError>> {
                $crate::io::poll_recv(self, cx)
            }

            fn poll_next_duplex(
                &mut self,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Result<Message, SocketError>>> {
                $crate::io::poll_next(self, cx)
            }

            fn is_terminated_duplex(&self) -> bool {
                $crate::base::HasBase::base(self).stream_ended()
            }
        }

        impl $ty {
            /// Splits the socket into a sending and a receiving half that
            /// two tasks can use at the same time.
            pub fn split(self) -> ($crate::split::SendHalf<$ty>, $crate::split::RecvHalf<$ty>) {
                $crate::split::split(self)
            }
        }
    };
}
pub(crate) use impl_split;
