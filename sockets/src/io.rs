//! The send/receive surface shared by the socket types: `send`, `recv`,
//! `try_send`, `try_recv`, and the `futures` [`Stream`](futures::Stream) and
//! [`Sink`](futures::Sink) implementations, all built on one poll function
//! per type.
//!
//! `try_recv`/`try_send` check readiness once, with a no-op waker: they
//! never register interest (there is nothing to wake), and a `try_send`
//! only uses pipes that have room right now, so nothing is reserved behind
//! the caller's back.

use std::task::{Context, Poll, Waker};

use oxmq_zmtp::Message;

use crate::error::SocketError;

/// A type whose receive side is one poll function.
pub(crate) trait PollRecv {
    /// The next message; `Pending` registers interest in every source.
    fn poll_recv_msg(&mut self, cx: &mut Context<'_>) -> Poll<Message>;
}

/// A type whose send side is one poll function over a message slot.
pub(crate) trait PollSend {
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
            /// Cancel safety: cancel-safe; a message is taken off its pipe
            /// only when this returns it.
            pub async fn recv(&mut self) -> Result<Message, SocketError> {
                Ok(std::future::poll_fn(|cx| $crate::io::PollRecv::poll_recv_msg(self, cx)).await)
            }

            /// Receives a message if one is queued; [`SocketError::WouldBlock`]
            /// otherwise.
            pub fn try_recv(&mut self) -> Result<Message, SocketError> {
                match $crate::io::once(|cx| $crate::io::PollRecv::poll_recv_msg(self, cx)) {
                    std::task::Poll::Ready(m) => Ok(m),
                    std::task::Poll::Pending => Err(SocketError::WouldBlock),
                }
            }
        }

        impl futures::Stream for $ty {
            type Item = Result<Message, SocketError>;

            fn poll_next(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Option<Self::Item>> {
                $crate::io::PollRecv::poll_recv_msg(self.get_mut(), cx).map(|m| Some(Ok(m)))
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
            /// Cancel safety: if the future is dropped before it completes,
            /// the message was not queued (it is dropped with the future).
            pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
                let msg = msg.into();
                $crate::base::check_message(&msg)?;
                // What the Sink buffered goes first.
                let mut pending = $crate::io::PollSend::sink_slot(self).take();
                std::future::poll_fn(|cx| {
                    $crate::io::PollSend::poll_send_msg(self, cx, &mut pending, true)
                })
                .await?;
                let mut slot = Some(msg);
                std::future::poll_fn(|cx| {
                    $crate::io::PollSend::poll_send_msg(self, cx, &mut slot, true)
                })
                .await
            }

            /// Queues a message only if that needs no waiting; otherwise
            /// hands it back in [`TrySendError::WouldBlock`].
            pub fn try_send(
                &mut self,
                msg: impl Into<Message>,
            ) -> Result<(), $crate::io::TrySendError> {
                let msg = msg.into();
                $crate::base::check_message(&msg)?;
                if $crate::io::PollSend::sink_slot(self).is_some() {
                    return Err($crate::io::TrySendError::WouldBlock(msg));
                }
                let mut slot = Some(msg);
                let sent = $crate::io::once(|cx| {
                    $crate::io::PollSend::poll_send_msg(self, cx, &mut slot, false)
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

        impl futures::Sink<Message> for $ty {
            type Error = SocketError;

            fn poll_ready(
                self: std::pin::Pin<&mut Self>,
                cx: &mut std::task::Context<'_>,
            ) -> std::task::Poll<Result<(), SocketError>> {
                let this = self.get_mut();
                let mut pending = $crate::io::PollSend::sink_slot(this).take();
                let r = $crate::io::PollSend::poll_send_msg(this, cx, &mut pending, true);
                *$crate::io::PollSend::sink_slot(this) = pending;
                r
            }

            fn start_send(
                self: std::pin::Pin<&mut Self>,
                item: Message,
            ) -> Result<(), SocketError> {
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
