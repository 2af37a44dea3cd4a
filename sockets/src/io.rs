//! The send/receive surface shared by the socket types: `send`, `recv`,
//! `try_send`, `try_recv`, and the `futures` [`Stream`](futures::Stream) and
//! [`Sink`](futures::Sink) implementations, all built on one poll function
//! per type.
//!
//! `try_recv`/`try_send` check readiness once, with a no-op waker: they
//! never register interest (there is nothing to wake), and a `try_send`
//! only uses pipes that have room right now, so nothing is reserved behind
//! the caller's back.
//!
//! Shutdown: the functions here wrap each type's poll function. They fail
//! with [`SocketError::Closed`] first thing once the context was shut down
//! (a flag check: queued messages are not delivered any more, as in
//! libzmq), and when the type's poll function returns `Pending` they
//! register for the shutdown too (`Base::pending`), so that a waiting
//! call wakes up and fails.

use std::task::{Context, Poll, Waker};

use oxmq_zmtp::Message;

use crate::base::HasBase;
use crate::error::SocketError;

/// A type whose receive side is one poll function.
pub(crate) trait PollRecv: HasBase {
    /// The next message; `Pending` registers interest in every source.
    fn poll_recv_msg(&mut self, cx: &mut Context<'_>) -> Poll<Message>;
}

/// A type whose send side is one poll function over a message slot.
pub(crate) trait PollSend: HasBase {
    /// Queues the message in `slot` (leaving it there while `Pending`).
    /// With `wait == false`, only pipes with room now are used and
    /// `Pending` means "would block".
    fn poll_send_msg(
        &mut self,
        cx: &mut Context<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>>;

    /// The one-message buffer of the `Sink` implementation.
    fn sink_slot(&mut self) -> &mut Option<Message>;
}

/// Polls `f` once with a context whose waker does nothing, outside tokio's
/// cooperative budget (so a `try_*` call never fails just because the task
/// already did a lot of work in this turn).
pub(crate) fn once<T>(f: impl FnMut(&mut Context<'_>) -> Poll<T>) -> Poll<T> {
    let fut = tokio::task::coop::unconstrained(std::future::poll_fn(f));
    let mut fut = std::pin::pin!(fut);
    let mut cx = Context::from_waker(Waker::noop());
    std::future::Future::poll(fut.as_mut(), &mut cx)
}

/// Receives, failing with `Closed` after the context's shutdown.
#[inline]
pub(crate) fn poll_recv<S: PollRecv>(
    s: &mut S,
    cx: &mut Context<'_>,
) -> Poll<Result<Message, SocketError>> {
    if s.base().is_closed() {
        return Poll::Ready(Err(SocketError::Closed));
    }
    match s.poll_recv_msg(cx) {
        Poll::Ready(m) => Poll::Ready(Ok(m)),
        Poll::Pending => s.base_mut().pending(cx),
    }
}

/// `try_recv`: one look, no waker.
pub(crate) fn try_recv<S: PollRecv>(s: &mut S) -> Result<Message, SocketError> {
    s.base().check_open()?;
    match once(|cx| s.poll_recv_msg(cx)) {
        Poll::Ready(m) => Ok(m),
        Poll::Pending => Err(SocketError::WouldBlock),
    }
}

/// The `Stream`: after the shutdown, `Err(Closed)` once, then `None`.
pub(crate) fn poll_next<S: PollRecv>(
    s: &mut S,
    cx: &mut Context<'_>,
) -> Poll<Option<Result<Message, SocketError>>> {
    let r = poll_recv(s, cx);
    s.base_mut().stream_item(r)
}

/// Sends the message in `slot`, failing with `Closed` (the message
/// dropped) after the context's shutdown. With `wait == false`, `Pending`
/// means "would block" and nothing is registered.
pub(crate) fn poll_send<S: PollSend>(
    s: &mut S,
    cx: &mut Context<'_>,
    slot: &mut Option<Message>,
    wait: bool,
) -> Poll<Result<(), SocketError>> {
    if s.base().is_closed() {
        *slot = None;
        return Poll::Ready(Err(SocketError::Closed));
    }
    poll_send_checked(s, cx, slot, wait)
}

/// [`poll_send`] for a caller that has just checked the flag itself
/// (`send`, `try_send`: one check per message): the check is left to the
/// way to `Pending` (a `send` woken by the shutdown finds it there).
#[inline]
pub(crate) fn poll_send_checked<S: PollSend>(
    s: &mut S,
    cx: &mut Context<'_>,
    slot: &mut Option<Message>,
    wait: bool,
) -> Poll<Result<(), SocketError>> {
    match s.poll_send_msg(cx, slot, wait) {
        Poll::Pending if wait => {
            let r = s.base_mut().pending(cx);
            if r.is_ready() {
                *slot = None;
            }
            r
        }
        other => other,
    }
}

/// Why `try_send` did not queue the message.
#[derive(Debug, thiserror::Error)]
pub enum TrySendError {
    /// No pipe has room now (or no peer is connected); the message is
    /// handed back.
    #[error("the send would block")]
    WouldBlock(Message),
    /// Any other failure.
    #[error(transparent)]
    Socket(#[from] SocketError),
}

/// `recv`, `try_recv` and `Stream` for a [`PollRecv`] type.
macro_rules! impl_recv {
    ($ty:ident) => {
        impl $ty {
            /// Receives the next message, waiting for one.
            ///
            /// Fails with [`SocketError::Closed`] once the context is shut
            /// down, also when it is waiting then, and even if messages
            /// are still queued (as libzmq's `ETERM`).
            ///
            /// Cancel safety: cancel-safe; a message is taken off its pipe
            /// only when this returns it.
            pub async fn recv(&mut self) -> Result<Message, SocketError> {
                std::future::poll_fn(|cx| $crate::io::poll_recv(self, cx)).await
            }

            /// Receives a message if one is queued; [`SocketError::WouldBlock`]
            /// otherwise, [`SocketError::Closed`] once the context was shut
            /// down.
            pub fn try_recv(&mut self) -> Result<Message, SocketError> {
                $crate::io::try_recv(self)
            }
        }

        /// Each item is a received message. Once the context is shut down,
        /// the stream yields `Err(SocketError::Closed)` once, then ends.
        impl futures::Stream for $ty {
            type Item = Result<Message, SocketError>;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                $crate::io::poll_next(self.get_mut(), cx)
            }
        }

        impl futures::stream::FusedStream for $ty {
            fn is_terminated(&self) -> bool {
                $crate::base::HasBase::base(self).stream_ended()
            }
        }
    };
}
pub(crate) use impl_recv;

/// `send`, `try_send` and `Sink` for a [`PollSend`] type.
macro_rules! impl_send {
    ($ty:ident, $doc:literal) => {
        impl $ty {
            #[doc = $doc]
            ///
            /// Fails with [`SocketError::Closed`] once the context is shut
            /// down, also when it is waiting then (the message is dropped).
            ///
            /// Cancel safety: if the future is dropped before it completes,
            /// the message was not queued (it is dropped with the future).
            pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
                let msg = msg.into();
                $crate::base::HasBase::base(self).check_open()?;
                $crate::base::check_message(&msg)?;
                // What the Sink buffered goes first.
                if $crate::io::PollSend::sink_slot(self).is_some() {
                    let mut pending = $crate::io::PollSend::sink_slot(self).take();
                    std::future::poll_fn(|cx| {
                        $crate::io::poll_send_checked(self, cx, &mut pending, true)
                    })
                    .await?;
                }
                let mut slot = Some(msg);
                std::future::poll_fn(|cx| $crate::io::poll_send_checked(self, cx, &mut slot, true))
                    .await
            }

            /// Queues a message only if that needs no waiting; otherwise
            /// hands it back in
            /// [`TrySendError::WouldBlock`](crate::TrySendError::WouldBlock).
            /// Once the context was shut down:
            /// `TrySendError::Socket(SocketError::Closed)` (the message is
            /// dropped).
            pub fn try_send(
                &mut self,
                msg: impl Into<Message>,
            ) -> Result<(), $crate::io::TrySendError> {
                let msg = msg.into();
                $crate::base::HasBase::base(self).check_open()?;
                $crate::base::check_message(&msg)?;
                if $crate::io::PollSend::sink_slot(self).is_some() {
                    return Err($crate::io::TrySendError::WouldBlock(msg));
                }
                let mut slot = Some(msg);
                let sent = $crate::io::once(|cx| {
                    $crate::io::poll_send_checked(self, cx, &mut slot, false)
                });
                match (sent, slot) {
                    (std::task::Poll::Ready(r), _) => Ok(r?),
                    (std::task::Poll::Pending, Some(m)) => {
                        Err($crate::io::TrySendError::WouldBlock(m))
                    }
                    (std::task::Poll::Pending, None) => Ok(()),
                }
            }
        }

        /// Buffers one message. Once the context is shut down, every
        /// method fails with [`SocketError::Closed`] (`poll_close` too) and
        /// a buffered message is dropped.
        impl futures::Sink<Message> for $ty {
            type Error = SocketError;

            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), SocketError>> {
                let this = self.get_mut();
                let mut pending = $crate::io::PollSend::sink_slot(this).take();
                let r = $crate::io::poll_send(this, cx, &mut pending, true);
                *$crate::io::PollSend::sink_slot(this) = pending;
                r
            }

            fn start_send(
                self: std::pin::Pin<&mut Self>,
                item: Message,
            ) -> Result<(), SocketError> {
                $crate::base::HasBase::base(&*self).check_open()?;
                $crate::base::check_message(&item)?;
                *$crate::io::PollSend::sink_slot(self.get_mut()) = Some(item);
                Ok(())
            }

            fn poll_flush(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), SocketError>> {
                self.poll_ready(cx)
            }

            fn poll_close(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), SocketError>> {
                self.poll_ready(cx)
            }
        }
    };
}
pub(crate) use impl_send;
