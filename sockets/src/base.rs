//! What every socket type has: its transport (endpoints, monitor), its
//! peers, and the watch on its context's shutdown.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll, Waker};

use oxmq_transports::{Context, SocketTransport, TransportOptions};
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::error::SocketError;
use crate::peers::Peers;

/// The parts common to every socket type.
#[derive(Debug)]
pub(crate) struct Base {
    pub(crate) transport: SocketTransport,
    pub(crate) peers: Peers,
    closing: Closing,
}

/// How a waiting socket notices its context's shutdown.
///
/// Every call checks [`SocketTransport::is_closed`] first (two atomic
/// loads). A call that would wait also polls `signal`, so the shutdown
/// wakes it; that costs nothing while messages flow, as it happens only
/// on the way to `Pending`, and polling again with the waker `signal`
/// already holds (the same task waiting again) is skipped.
struct Closing {
    /// Completes when the socket's context is shut down (allocated once,
    /// with the socket).
    signal: Pin<Box<WaitForCancellationFutureOwned>>,
    /// The waker `signal` was last polled with.
    registered: Option<Waker>,
    /// Whether the `Stream` has yielded `Err(Closed)`; after it, `None`.
    stream_closed: bool,
    /// Whether the `Stream` has yielded `None` (`FusedStream`).
    stream_ended: bool,
}

impl std::fmt::Debug for Closing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Closing")
            .field("stream_closed", &self.stream_closed)
            .finish_non_exhaustive()
    }
}

impl Base {
    pub(crate) fn new(ctx: &Context, options: TransportOptions, max_peers: Option<usize>) -> Self {
        let (transport, intake) = SocketTransport::new(ctx, options);
        let signal = Box::pin(transport.closed());
        Base {
            transport,
            peers: Peers::new(intake, max_peers),
            closing: Closing {
                signal,
                registered: None,
                stream_closed: false,
                stream_ended: false,
            },
        }
    }

    /// Whether the socket's context was shut down (no lock, no waker).
    pub(crate) fn is_closed(&self) -> bool {
        self.transport.is_closed()
    }

    /// `Err(Closed)` once the context was shut down.
    pub(crate) fn check_open(&self) -> Result<(), SocketError> {
        if self.is_closed() {
            Err(SocketError::Closed)
        } else {
            Ok(())
        }
    }

    /// For an operation about to return `Pending`: `Ready(Err(Closed))` if
    /// the context was shut down, else `Pending` with the shutdown
    /// registered to wake `cx`.
    pub(crate) fn pending<T>(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<T, SocketError>> {
        let c = &mut self.closing;
        if c.registered
            .as_ref()
            .is_some_and(|w| w.will_wake(cx.waker()))
        {
            // `signal` will wake this task; the flag tells what happened.
            return if self.transport.is_closed() {
                Poll::Ready(Err(SocketError::Closed))
            } else {
                Poll::Pending
            };
        }
        match c.signal.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(SocketError::Closed)),
            Poll::Pending => {
                c.registered = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }

    /// What the `Stream` yields for a receive result: after the shutdown,
    /// `Err(Closed)` once, then `None`.
    pub(crate) fn stream_item(
        &mut self,
        r: Poll<Result<oxmq_zmtp::Message, SocketError>>,
    ) -> Poll<Option<Result<oxmq_zmtp::Message, SocketError>>> {
        match r {
            Poll::Ready(Err(SocketError::Closed)) if self.closing.stream_closed => {
                self.closing.stream_ended = true;
                Poll::Ready(None)
            }
            Poll::Ready(Err(SocketError::Closed)) => {
                self.closing.stream_closed = true;
                Poll::Ready(Some(Err(SocketError::Closed)))
            }
            other => other.map(Some),
        }
    }

    /// Whether the `Stream` has ended (`FusedStream::is_terminated`).
    pub(crate) fn stream_ended(&self) -> bool {
        self.closing.stream_ended
    }
}

/// Access to the [`Base`] of a socket type (implemented by
/// `socket_common!`).
pub(crate) trait HasBase {
    fn base(&self) -> &Base;
    fn base_mut(&mut self) -> &mut Base;
}

/// Implements the endpoint and option methods every socket type shares.
macro_rules! socket_common {
    ($ty:ident) => {
        impl $ty {
            /// Connects to an endpoint. Returns at once; the connection is
            /// made, and remade, in the background. [`SocketError::Closed`]
            /// once the context was shut down.
            pub fn connect(&self, endpoint: &str) -> Result<(), SocketError> {
                Ok(self.base.transport.connect(endpoint)?)
            }
        }
        socket_common!($ty, custom_connect);
    };
    ($ty:ident, custom_connect) => {
        impl $crate::base::HasBase for $ty {
            fn base(&self) -> &$crate::base::Base {
                &self.base
            }

            fn base_mut(&mut self) -> &mut $crate::base::Base {
                &mut self.base
            }
        }

        impl $ty {
            /// Binds to an endpoint (`tcp://127.0.0.1:0`, `ipc:///tmp/x`,
            /// `inproc://name`); returns the resolved endpoint.
            /// [`SocketError::Closed`] once the context was shut down.
            pub async fn bind(&self, endpoint: &str) -> Result<String, SocketError> {
                Ok(self.base.transport.bind(endpoint).await?)
            }

            /// Stops listening on an endpoint. [`SocketError::Closed`] once
            /// the context was shut down.
            pub fn unbind(&self, endpoint: &str) -> Result<(), SocketError> {
                self.base.check_open()?;
                Ok(self.base.transport.unbind(endpoint)?)
            }

            /// Stops connecting to an endpoint. [`SocketError::Closed`] once
            /// the context was shut down.
            pub fn disconnect(&self, endpoint: &str) -> Result<(), SocketError> {
                self.base.check_open()?;
                Ok(self.base.transport.disconnect(endpoint)?)
            }

            /// The last endpoint bound, resolved (`ZMQ_LAST_ENDPOINT`).
            pub fn last_endpoint(&self) -> Option<String> {
                self.base.transport.last_endpoint()
            }

            /// Subscribes to this socket's monitor events.
            pub fn monitor(&self) -> MonitorStream {
                self.base.transport.monitor()
            }

            /// Changes transport options (HWM, linger, heartbeats, …) for
            /// endpoints bound or connected afterwards.
            pub fn set_options(&self, f: impl FnOnce(&mut TransportOptions)) {
                self.base.transport.update_options(f)
            }
        }
    };
}
pub(crate) use socket_common;

/// Checks that a message may be sent.
pub(crate) fn check_message(msg: &oxmq_zmtp::Message) -> Result<(), SocketError> {
    if msg.is_empty() {
        Err(SocketError::EmptyMessage)
    } else {
        Ok(())
    }
}

/// The next message from any peer, ignoring the other events.
#[inline]
pub(crate) fn poll_message(
    peers: &mut crate::peers::Peers,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<(oxmq_transports::PeerId, oxmq_zmtp::Message)> {
    peers.poll_message(cx)
}

/// Takes and discards everything inbound (send-only sockets), so that
/// connection markers never fill a pipe and closed peers are noticed.
/// Registers for new peers only through the send path's own wait.
#[inline]
pub(crate) fn poll_discard(peers: &mut crate::peers::Peers, cx: &mut std::task::Context<'_>) {
    peers.discard_inbound(cx);
}

/// After draining events until `Pending`: `Ready` when that meant "nothing
/// more now", `Pending` when it was tokio's cooperative budget running out
/// (the task is already woken, and will continue with a fresh budget).
pub(crate) fn drained() -> std::task::Poll<()> {
    if tokio::task::coop::has_budget_remaining() {
        std::task::Poll::Ready(())
    } else {
        std::task::Poll::Pending
    }
}

/// `PROBE_ROUTER`'s probe: one empty frame.
pub(crate) fn probe_message() -> oxmq_zmtp::Message {
    oxmq_zmtp::Message::from(bytes::Bytes::new())
}

/// A primer that queues the probe first in every new pipe while `on` is
/// set: the probe leaves as soon as the peer exists, as libzmq sends it
/// when it attaches the pipe (not at the socket's next `send`/`recv`).
pub(crate) fn probe_primer(
    on: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> oxmq_transports::options::Primer {
    std::sync::Arc::new(move || {
        if on.load(std::sync::atomic::Ordering::Relaxed) {
            vec![probe_message()]
        } else {
            Vec::new()
        }
    })
}

/// Sends the probe to a new peer when `on`, unless the transport already
/// queued it (`primed`).
pub(crate) fn greet_with_probe(
    peers: &mut crate::peers::Peers,
    id: oxmq_transports::PeerId,
    primed: &[oxmq_zmtp::Message],
    on: bool,
) {
    let probe = probe_message();
    if on && !primed.contains(&probe) {
        let _ = peers.try_send_to(id, probe);
    }
}

/// Sets `ZMQ_CONFLATE` for the endpoints bound or connected afterwards.
pub(crate) fn set_conflate(base: &Base, on: bool) {
    base.transport.update_options(|o| o.conflate = on);
}
