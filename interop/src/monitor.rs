//! [`Monitor`]: the reading end of `zmq_socket_monitor`, decoding libzmq's
//! (version 1) monitor events.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crate::consts::event;
use crate::error::{Error, Result};
use crate::socket::Socket;

/// One socket event reported by libzmq's monitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorEvent {
    /// One of the [`event`](crate::event) bits.
    pub event: u16,
    /// The event's value: a file descriptor, an errno, a ZAP status code
    /// (for [`event::HANDSHAKE_FAILED_AUTH`]) or a
    /// [`protocol_error`](crate::protocol_error) code, depending on `event`.
    pub value: u32,
    /// The endpoint the event is about (e.g. `"tcp://127.0.0.1:41234"`).
    pub endpoint: String,
}

impl MonitorEvent {
    /// The libzmq name of the event (`"CONNECTED"`, `"HANDSHAKE_SUCCEEDED"`,
    /// …), or `"UNKNOWN"`.
    pub fn name(&self) -> &'static str {
        event_name(self.event)
    }

    /// Decodes the two frames of a version-1 monitor message: 6 bytes
    /// (native-endian `u16` event, `u32` value), then the endpoint.
    fn parse(frames: &[Vec<u8>]) -> Result<MonitorEvent> {
        match frames {
            [head, endpoint] if head.len() == 6 => Ok(MonitorEvent {
                event: u16::from_ne_bytes([head[0], head[1]]),
                value: u32::from_ne_bytes([head[2], head[3], head[4], head[5]]),
                endpoint: String::from_utf8_lossy(endpoint).into_owned(),
            }),
            _ => Err(Error::invalid(format!(
                "malformed monitor message: {} frames",
                frames.len()
            ))),
        }
    }
}

/// The libzmq name of one [`event`](crate::event) bit.
pub fn event_name(bit: u16) -> &'static str {
    match bit {
        event::CONNECTED => "CONNECTED",
        event::CONNECT_DELAYED => "CONNECT_DELAYED",
        event::CONNECT_RETRIED => "CONNECT_RETRIED",
        event::LISTENING => "LISTENING",
        event::BIND_FAILED => "BIND_FAILED",
        event::ACCEPTED => "ACCEPTED",
        event::ACCEPT_FAILED => "ACCEPT_FAILED",
        event::CLOSED => "CLOSED",
        event::CLOSE_FAILED => "CLOSE_FAILED",
        event::DISCONNECTED => "DISCONNECTED",
        event::MONITOR_STOPPED => "MONITOR_STOPPED",
        event::HANDSHAKE_FAILED_NO_DETAIL => "HANDSHAKE_FAILED_NO_DETAIL",
        event::HANDSHAKE_SUCCEEDED => "HANDSHAKE_SUCCEEDED",
        event::HANDSHAKE_FAILED_PROTOCOL => "HANDSHAKE_FAILED_PROTOCOL",
        event::HANDSHAKE_FAILED_AUTH => "HANDSHAKE_FAILED_AUTH",
        _ => "UNKNOWN",
    }
}

/// Receives the events of a monitored socket; created by
/// [`Socket::monitor`](crate::Socket::monitor).
///
/// It is a `ZMQ_PAIR` socket connected to the monitor endpoint; it is
/// `Send` and may be read on another thread than the monitored socket.
///
/// libzmq sends monitor events with a *blocking* send from whichever thread
/// emits them (often the I/O thread), so a reader that goes away while the
/// monitored socket still produces events would stall that thread for
/// good. The monitored [`Socket`] therefore keeps the reader open (a
/// shared handle) until it has itself stopped monitoring and closed, and
/// the reader's queue is unbounded (`ZMQ_RCVHWM` 0) so unread events never
/// block libzmq either.
#[derive(Debug)]
pub struct Monitor {
    reader: Arc<Mutex<Socket>>,
}

impl Monitor {
    pub(crate) fn new(reader: Arc<Mutex<Socket>>) -> Monitor {
        Monitor { reader }
    }

    fn reader(&self) -> MutexGuard<'_, Socket> {
        // Nothing panics while holding the lock except a failing test,
        // which leaves the socket usable.
        self.reader.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits at most `timeout` for the next event; `EAGAIN` on expiry.
    pub fn next_event(&self, timeout: Duration) -> Result<MonitorEvent> {
        MonitorEvent::parse(&self.reader().recv_multipart_timeout(timeout)?)
    }

    /// Skips events until one whose bit is in `mask` arrives and returns it;
    /// fails with `EAGAIN` if none does within `timeout` (overall).
    ///
    /// Useful to wait for e.g. `event::HANDSHAKE_SUCCEEDED |
    /// event::HANDSHAKE_FAILED_AUTH` without caring about `CONNECTED` etc.
    pub fn wait_for(&self, mask: u16, timeout: Duration) -> Result<MonitorEvent> {
        // `None`: a timeout too large to represent, i.e. no deadline.
        let deadline = Instant::now().checked_add(timeout);
        loop {
            let left = deadline.map_or(timeout, |d| d.saturating_duration_since(Instant::now()));
            let ev = self.next_event(left)?;
            if ev.event & mask != 0 {
                return Ok(ev);
            }
        }
    }
}
