//! What every socket type has: its transport (endpoints, monitor) and its
//! peers.

use oxmq_transports::{Context, SocketTransport, TransportOptions};

use crate::error::SocketError;
use crate::peers::Peers;

/// The parts common to every socket type.
#[derive(Debug)]
pub(crate) struct Base {
    pub(crate) transport: SocketTransport,
    pub(crate) peers: Peers,
}

impl Base {
    pub(crate) fn new(ctx: &Context, options: TransportOptions, max_peers: Option<usize>) -> Self {
        let (transport, intake) = SocketTransport::new(ctx, options);
        Base {
            transport,
            peers: Peers::new(intake, max_peers),
        }
    }
}

/// Implements the endpoint and option methods every socket type shares.
macro_rules! socket_common {
    ($ty:ident) => {
        impl $ty {
            /// Connects to an endpoint. Returns at once; the connection is
            /// made, and remade, in the background.
            pub fn connect(&self, endpoint: &str) -> Result<(), SocketError> {
                Ok(self.base.transport.connect(endpoint)?)
            }
        }
        socket_common!($ty, custom_connect);
    };
    ($ty:ident, custom_connect) => {
        impl $ty {
            /// Binds to an endpoint (`tcp://127.0.0.1:0`, `ipc:///tmp/x`,
            /// `inproc://name`); returns the resolved endpoint.
            pub async fn bind(&self, endpoint: &str) -> Result<String, SocketError> {
                Ok(self.base.transport.bind(endpoint).await?)
            }

            /// Stops listening on an endpoint.
            pub fn unbind(&self, endpoint: &str) -> Result<(), SocketError> {
                Ok(self.base.transport.unbind(endpoint)?)
            }

            /// Stops connecting to an endpoint.
            pub fn disconnect(&self, endpoint: &str) -> Result<(), SocketError> {
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
pub(crate) fn poll_message(
    peers: &mut crate::peers::Peers,
    cx: &mut std::task::Context<'_>,
) -> std::task::Poll<(oxmq_transports::PeerId, oxmq_zmtp::Message)> {
    use crate::peers::Event;
    loop {
        match peers.poll_event(cx) {
            std::task::Poll::Ready(Event::Message(id, m)) => {
                return std::task::Poll::Ready((id, m))
            }
            std::task::Poll::Ready(_) => {}
            std::task::Poll::Pending => return std::task::Poll::Pending,
        }
    }
}

/// Takes and discards everything inbound (send-only sockets), so that
/// connection markers never fill a pipe and closed peers are noticed.
pub(crate) fn poll_discard(peers: &mut crate::peers::Peers, cx: &mut std::task::Context<'_>) {
    while let std::task::Poll::Ready((_, m)) = poll_message(peers, cx) {
        tracing::trace!(target: "oxmq", frames = m.len(), "discarding inbound message");
    }
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
