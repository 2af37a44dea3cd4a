//! [`SocketTransport`]: the transport half of one socket — its binds and
//! connects, the background tasks behind them, its monitor, and the stream
//! of [`Peer`]s they produce for the pattern logic.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::mpsc;
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use crate::connection::{
    accept_loop, bind_ipc, bind_tcp, connect_session, SessionPipe, Shared, Target,
};
use crate::context::Context;
use crate::endpoint::{Endpoint, Role};
use crate::error::TransportError;
use crate::inproc::{ConnectTask, InprocBinder};
use crate::monitor::{Monitor, MonitorStream, SocketEvent};
use crate::options::TransportOptions;
use crate::pipe::{AbortSlot, Peer};

#[derive(Debug)]
struct EndpointEntry {
    /// What the user passed.
    requested: String,
    /// The resolved form (`tcp://127.0.0.1:41234`).
    resolved: String,
    bound: bool,
    token: CancellationToken,
    /// For inproc binds: the name and binder id to unregister.
    inproc: Option<(String, u64)>,
    /// For connects: the inbound pipe that `disconnect` aborts.
    inbound: Option<AbortSlot>,
}

/// The transport side of one socket. Dropping it closes every endpoint;
/// connections flush their queues within the linger time.
pub struct SocketTransport {
    shared: Arc<Shared>,
    options: Mutex<TransportOptions>,
    endpoints: Mutex<Vec<EndpointEntry>>,
    last_endpoint: Mutex<Option<String>>,
    /// Set by `close` before the socket's token is cancelled (see
    /// `is_closed`).
    closed: AtomicBool,
}

impl fmt::Debug for SocketTransport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketTransport")
            .field("monitor", &self.shared.monitor)
            .field("endpoints", &lock(&self.endpoints).len())
            .finish()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section here is a single container operation, so a
    // poisoned lock still guards consistent data.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl SocketTransport {
    /// A transport for a new socket; the receiver yields its peers.
    pub fn new(ctx: &Context, options: TransportOptions) -> (Self, mpsc::UnboundedReceiver<Peer>) {
        let (peers_tx, peers_rx) = mpsc::unbounded_channel();
        let name = format!("{}#{}", options.socket_type, ctx.next_socket_id());
        let shared = Arc::new(Shared {
            ctx: ctx.clone(),
            monitor: Monitor::new(name),
            peers_tx,
            next_peer_id: AtomicU64::new(1),
            token: ctx.shutdown_token().child_token(),
        });
        let transport = SocketTransport {
            shared,
            options: Mutex::new(options),
            endpoints: Mutex::new(Vec::new()),
            last_endpoint: Mutex::new(None),
            closed: AtomicBool::new(false),
        };
        (transport, peers_rx)
    }

    /// The context this socket belongs to.
    pub fn context(&self) -> &Context {
        &self.shared.ctx
    }

    /// A copy of the current options.
    pub fn options(&self) -> TransportOptions {
        lock(&self.options).clone()
    }

    /// Changes options; endpoints created afterwards use the new values.
    pub fn update_options(&self, f: impl FnOnce(&mut TransportOptions)) {
        f(&mut lock(&self.options));
    }

    /// Subscribes to this socket's monitor events.
    pub fn monitor(&self) -> MonitorStream {
        self.shared.monitor.subscribe()
    }

    /// The last endpoint bound, resolved (libzmq's `ZMQ_LAST_ENDPOINT`).
    pub fn last_endpoint(&self) -> Option<String> {
        lock(&self.last_endpoint).clone()
    }

    /// Whether the socket (or its context) was closed. Two atomic loads
    /// and no lock, so the sockets check it on every send and receive.
    #[inline]
    pub fn is_closed(&self) -> bool {
        // The socket's token is cancelled by `close` and by the context's
        // `shutdown` only, and each sets its flag first: this is
        // `token.is_cancelled()` without the token's lock.
        self.closed.load(Ordering::Acquire) || self.shared.ctx.is_shut_down()
    }

    /// A future that completes once the socket or its context is closed
    /// (at once if it already is). A socket keeps one and polls it only
    /// when it would otherwise wait, so that a pending `send`/`recv` wakes
    /// up and fails when the context is shut down.
    pub fn closed(&self) -> WaitForCancellationFutureOwned {
        self.shared.token.clone().cancelled_owned()
    }

    /// Binds to `endpoint`; returns the resolved endpoint (ephemeral ports
    /// filled in).
    pub async fn bind(&self, endpoint: &str) -> Result<String, TransportError> {
        if self.is_closed() {
            return Err(TransportError::Closed);
        }
        let ep = Endpoint::parse(endpoint, Role::Bind)?;
        let opts = Arc::new(self.options());
        let token = self.shared.token.child_token();
        let fail = |e: std::io::Error| {
            self.shared.monitor.emit(SocketEvent::BindFailed {
                endpoint: endpoint.to_string(),
                error: e.to_string(),
            });
            TransportError::Bind {
                endpoint: endpoint.to_string(),
                source: e,
            }
        };
        let (resolved, inproc) = match ep {
            Endpoint::Tcp(tcp) => {
                let (listener, resolved) = bind_tcp(&tcp, &opts).await.map_err(fail)?;
                self.spawn_accept(listener, &resolved, opts, &token);
                (resolved, None)
            }
            Endpoint::Ipc(ipc) => {
                let (listener, resolved) = bind_ipc(&ipc).map_err(fail)?;
                self.spawn_accept(listener, &resolved, opts, &token);
                (resolved, None)
            }
            Endpoint::Inproc(name) => {
                let id = self.shared.ctx.next_socket_id();
                let resolved = format!("inproc://{name}");
                let binder = Arc::new(InprocBinder {
                    id,
                    socket_type: opts.socket_type,
                    routing_id: opts.routing_id.clone(),
                    metadata: opts.metadata.clone(),
                    sndhwm: opts.sndhwm,
                    rcvhwm: opts.rcvhwm,
                    conflate_in: opts.conflate_in(),
                    conflate_out: opts.conflate_out(),
                    primer: opts.primer.clone(),
                    shared: self.shared.clone(),
                    endpoint: resolved.clone(),
                    token: token.clone(),
                });
                if !self.shared.ctx.inproc_bind(&name, binder) {
                    self.shared.monitor.emit(SocketEvent::BindFailed {
                        endpoint: endpoint.to_string(),
                        error: "address in use".into(),
                    });
                    return Err(TransportError::InprocInUse(resolved));
                }
                (resolved, Some((name, id)))
            }
        };
        self.shared.monitor.emit(SocketEvent::Listening {
            endpoint: resolved.clone(),
        });
        lock(&self.endpoints).push(EndpointEntry {
            requested: endpoint.to_string(),
            resolved: resolved.clone(),
            bound: true,
            token,
            inproc,
            inbound: None,
        });
        *lock(&self.last_endpoint) = Some(resolved.clone());
        Ok(resolved)
    }

    fn spawn_accept(
        &self,
        listener: crate::connection::Listener,
        resolved: &str,
        opts: Arc<TransportOptions>,
        token: &CancellationToken,
    ) {
        let task = accept_loop(
            listener,
            resolved.to_string(),
            opts,
            self.shared.clone(),
            token.clone(),
        );
        self.shared.ctx.tracker().spawn(task);
    }

    /// Connects to `endpoint`. Returns at once: the connection is made (and
    /// remade) in the background; messages wait in the pipe meanwhile.
    pub fn connect(&self, endpoint: &str) -> Result<(), TransportError> {
        if self.is_closed() {
            return Err(TransportError::Closed);
        }
        let ep = Endpoint::parse(endpoint, Role::Connect)?;
        let resolved = ep.to_string();
        let opts = Arc::new(self.options());
        let token = self.shared.token.child_token();
        let shared = self.shared.clone();
        let tracker = self.shared.ctx.tracker();
        let inbound = AbortSlot::default();
        match ep {
            Endpoint::Tcp(_) | Endpoint::Ipc(_) => {
                let target = match ep {
                    Endpoint::Tcp(tcp) => Target::Tcp(tcp),
                    Endpoint::Ipc(ipc) => Target::Ipc(ipc),
                    Endpoint::Inproc(_) => return Err(TransportError::Closed),
                };
                // The pipe exists from now on (unless `immediate`), so what
                // is sent after `connect` waits in it for the connection.
                let mut pipe = SessionPipe::new(&opts, &shared, &resolved, inbound.clone());
                if !opts.immediate && !pipe.hand_over(&shared) {
                    return Err(TransportError::Closed);
                }
                tracker.spawn(connect_session(
                    target,
                    resolved.clone(),
                    opts,
                    shared,
                    token.clone(),
                    pipe,
                ));
            }
            Endpoint::Inproc(name) => {
                // The pipe exists from now on, joined to the bound socket
                // at once if there is one.
                let task = ConnectTask {
                    ctx: self.shared.ctx.clone(),
                    name,
                    endpoint: resolved.clone(),
                    opts,
                    shared,
                    token: token.clone(),
                    inbound: inbound.clone(),
                };
                let first = task.open().ok_or(TransportError::Closed)?;
                tracker.spawn(task.run(first));
            }
        }
        lock(&self.endpoints).push(EndpointEntry {
            requested: endpoint.to_string(),
            resolved,
            bound: false,
            token,
            inproc: None,
            inbound: Some(inbound),
        });
        Ok(())
    }

    fn remove(&self, endpoint: &str, bound: bool) -> Result<(), TransportError> {
        let entry = self.take(endpoint, bound)?;
        self.end(entry);
        Ok(())
    }

    fn take(&self, endpoint: &str, bound: bool) -> Result<EndpointEntry, TransportError> {
        let entry = {
            let mut eps = lock(&self.endpoints);
            let pos = eps
                .iter()
                .position(|e| {
                    e.bound == bound && (e.requested == endpoint || e.resolved == endpoint)
                })
                .ok_or_else(|| TransportError::NotFound(endpoint.to_string()))?;
            eps.remove(pos)
        };
        Ok(entry)
    }

    fn end(&self, entry: EndpointEntry) {
        entry.token.cancel();
        if let Some((name, id)) = entry.inproc {
            self.shared.ctx.inproc_unbind(&name, id);
            self.shared.monitor.emit(SocketEvent::Closed {
                endpoint: entry.resolved,
            });
        }
    }

    /// Stops listening on `endpoint` (as given to `bind`, or its resolved
    /// form) and closes the connections accepted through it.
    pub fn unbind(&self, endpoint: &str) -> Result<(), TransportError> {
        self.remove(endpoint, true)
    }

    /// Stops connecting to `endpoint`. As libzmq terminates the pipe, what
    /// the peer sent that the socket has not received yet is dropped at
    /// once (the socket sees the pipe end); what the socket queued for the
    /// peer is still sent, within the linger time, then the connection
    /// closes.
    pub fn disconnect(&self, endpoint: &str) -> Result<(), TransportError> {
        let entry = self.take(endpoint, false)?;
        if let Some(inbound) = &entry.inbound {
            inbound.abort();
        }
        self.end(entry);
        Ok(())
    }

    /// Closes every endpoint. Also done on drop.
    pub fn close(&self) {
        self.closed.store(true, Ordering::Release);
        if self.shared.token.is_cancelled() {
            // Closed already, or the context was shut down (which cancels
            // every socket's token): the endpoints' tasks are stopping, and
            // no event is due. An inproc name must still be given back: the
            // context's map would otherwise keep the binder, which keeps
            // this socket's state, which keeps the context (a cycle that
            // leaked both; found with AddressSanitizer's leak checker).
            let entries: Vec<_> = lock(&self.endpoints).drain(..).collect();
            for entry in entries {
                if let Some((name, id)) = entry.inproc {
                    self.shared.ctx.inproc_unbind(&name, id);
                }
            }
            return;
        }
        let entries: Vec<_> = lock(&self.endpoints).drain(..).collect();
        for entry in entries {
            self.end(entry);
        }
        self.shared.token.cancel();
        self.shared.monitor.emit(SocketEvent::MonitorStopped);
    }
}

impl Drop for SocketTransport {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use oxmq_zmtp::SocketType;

    /// A socket bound to an inproc name and closed after its context's
    /// shutdown leaves nothing that holds the context: the name's entry
    /// (which holds the socket's state, which holds the context) is gone.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn closing_after_shutdown_gives_the_inproc_name_back() {
        for close_first in [false, true] {
            let ctx = Context::new();
            let (socket, peers) =
                SocketTransport::new(&ctx, TransportOptions::new(SocketType::Pull));
            socket.bind("inproc://given-back").await.expect("bind");
            if close_first {
                socket.close();
            }
            ctx.shutdown();
            drop(socket);
            drop(peers);
            ctx.term().await;
            assert_eq!(ctx.handles(), 1, "close before shutdown: {close_first}");
        }
    }
}
