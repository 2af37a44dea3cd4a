//! Socket monitor events: libzmq's `zmq_socket_monitor` set, as an async
//! [`futures::Stream`] per subscriber and as `tracing` events.
//!
//! Every event is also logged at `debug` level (failures at `warn`) under the
//! `oxmq` target, so a `tracing` subscriber sees them without a monitor.

use std::fmt;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use tokio::sync::broadcast;

/// How many events a slow monitor may fall behind before losing some.
const MONITOR_CAPACITY: usize = 1024;

/// An event in the life of a socket's connections.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SocketEvent {
    /// A bind succeeded; `endpoint` is the resolved one.
    Listening {
        /// The endpoint.
        endpoint: String,
    },
    /// A bind failed.
    BindFailed {
        /// The endpoint.
        endpoint: String,
        /// Why.
        error: String,
    },
    /// A connection was accepted.
    Accepted {
        /// The listening endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
    },
    /// Accepting a connection failed.
    AcceptFailed {
        /// The listening endpoint.
        endpoint: String,
        /// Why.
        error: String,
    },
    /// An outgoing connection was established.
    Connected {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
    },
    /// An outgoing connection is in progress.
    ConnectDelayed {
        /// The endpoint.
        endpoint: String,
    },
    /// A new connection attempt is scheduled after `interval`.
    ConnectRetried {
        /// The endpoint.
        endpoint: String,
        /// The wait before the next attempt.
        interval: Duration,
    },
    /// A listener was closed.
    Closed {
        /// The endpoint.
        endpoint: String,
    },
    /// An established connection ended.
    Disconnected {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// Why it ended.
        reason: String,
    },
    /// The ZMTP handshake with a peer succeeded.
    HandshakeSucceeded {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
    },
    /// The peer broke the protocol during the handshake.
    HandshakeFailedProtocol {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// What it did wrong.
        error: String,
    },
    /// Authentication failed.
    HandshakeFailedAuth {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// The ZAP status code (300, 400, 500).
        status_code: u16,
    },
    /// The handshake failed for another reason (I/O, timeout, no authenticator).
    HandshakeFailedNoDetail {
        /// The endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// Why.
        error: String,
    },
    /// The socket closed; no more events follow.
    MonitorStopped,
}

impl SocketEvent {
    fn is_failure(&self) -> bool {
        matches!(
            self,
            SocketEvent::BindFailed { .. }
                | SocketEvent::AcceptFailed { .. }
                | SocketEvent::HandshakeFailedProtocol { .. }
                | SocketEvent::HandshakeFailedAuth { .. }
                | SocketEvent::HandshakeFailedNoDetail { .. }
        )
    }
}

/// The sending side of a socket's monitor (one per socket). The event
/// channel is only created when someone subscribes: an unmonitored socket
/// costs nothing but its name (a broadcast channel preallocates its slots).
#[derive(Clone)]
pub struct Monitor {
    tx: std::sync::Arc<std::sync::OnceLock<broadcast::Sender<SocketEvent>>>,
    socket: String,
}

impl fmt::Debug for Monitor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Monitor")
            .field("socket", &self.socket)
            .finish()
    }
}

impl Monitor {
    /// A monitor for the socket described by `socket` (used in logs).
    pub fn new(socket: impl Into<String>) -> Self {
        Monitor {
            tx: Default::default(),
            socket: socket.into(),
        }
    }

    /// Publishes an event to subscribers and to `tracing`.
    pub fn emit(&self, event: SocketEvent) {
        if event.is_failure() {
            tracing::warn!(target: "oxmq", socket = %self.socket, ?event, "socket event");
        } else {
            tracing::debug!(target: "oxmq", socket = %self.socket, ?event, "socket event");
        }
        if let Some(tx) = self.tx.get() {
            let _ = tx.send(event);
        }
    }

    /// A stream of the events that happen from now on.
    pub fn subscribe(&self) -> MonitorStream {
        let rx = self
            .tx
            .get_or_init(|| broadcast::channel(MONITOR_CAPACITY).0)
            .subscribe();
        let stream = futures::stream::unfold(rx, |mut rx| async move {
            loop {
                match rx.recv().await {
                    Ok(ev) => return Some((ev, rx)),
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        tracing::warn!(target: "oxmq", lost = n, "monitor fell behind");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
        MonitorStream {
            inner: stream.boxed(),
        }
    }
}

/// A stream of [`SocketEvent`]s; ends after [`SocketEvent::MonitorStopped`].
pub struct MonitorStream {
    inner: BoxStream<'static, SocketEvent>,
}

impl fmt::Debug for MonitorStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MonitorStream")
    }
}

impl MonitorStream {
    /// The next event (`None` once the socket is gone).
    pub async fn next(&mut self) -> Option<SocketEvent> {
        self.inner.next().await
    }
}

impl Stream for MonitorStream {
    type Item = SocketEvent;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<SocketEvent>> {
        self.inner.poll_next_unpin(cx)
    }
}
