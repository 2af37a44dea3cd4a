//! Connections over tcp and ipc: listeners that accept, sessions that
//! (re)connect, and the handshake driver that runs the sans-IO
//! [`Handshake`] over a real stream before handing over to the
//! [`Engine`].
//!
//! A *connecting* session owns its pipe for its whole life: messages queued
//! while the peer is away wait in it and leave after the next handshake
//! (unless `immediate` is set, in which case the pipe lives and dies with
//! each connection, as in libzmq). An *accepted* connection gets a fresh pipe
//! after its handshake and loses it when the connection ends.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use oxmq_zmtp::handshake::Established;
use oxmq_zmtp::{AuthReply, Error as ZmtpError, Handshake, HandshakeConfig, HandshakeEvent};
use oxmq_zmtp::{SocketType, ZmtpCodec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UnixListener, UnixStream};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::context::Context;
use crate::endpoint::{tcp_endpoint_string, IpcEndpoint, TcpEndpoint};
use crate::engine::{Engine, EngineConfig, EngineEnd, SubscriptionLog};
use crate::monitor::{Monitor, SocketEvent};
use crate::options::TransportOptions;
use crate::pipe::{
    pipe_with, prime, AbortSlot, ConnectionInfo, Peer, PipeMsg, PipeReceiver, PipeSender,
};
use crate::stream::IoStream;

/// What every background task of one socket shares.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) ctx: Context,
    pub(crate) monitor: Monitor,
    pub(crate) peers_tx: mpsc::UnboundedSender<Peer>,
    pub(crate) next_peer_id: AtomicU64,
    pub(crate) token: CancellationToken,
}

impl Shared {
    pub(crate) fn next_peer_id(&self) -> u64 {
        self.next_peer_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// A bound tcp or ipc listener.
#[derive(Debug)]
pub(crate) enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, Option<PathBuf>),
}

impl Listener {
    /// Accepts one connection; a tcp one is tuned like a dialed one
    /// (`TCP_NODELAY`, keepalives), as libzmq tunes both.
    async fn accept(&self, opts: &TransportOptions) -> io::Result<(IoStream, String)> {
        match self {
            Listener::Tcp(l) => loop {
                let (s, addr) = l.accept().await?;
                // A socket that cannot be tuned (the peer reset it already)
                // is dropped; the listener itself is fine.
                match configure_tcp(&s, opts) {
                    Ok(()) => return Ok((IoStream::Tcp(s), addr.to_string())),
                    Err(e) => {
                        tracing::debug!(target: "oxmq", %addr, error = %e, "dropping accepted connection");
                    }
                }
            },
            Listener::Unix(l, path) => {
                let (s, _) = l.accept().await?;
                let addr = path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default();
                Ok((IoStream::Unix(s), addr))
            }
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Listener::Unix(_, Some(path)) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn configure_tcp(stream: &TcpStream, opts: &TransportOptions) -> io::Result<()> {
    stream.set_nodelay(true)?;
    let sock = socket2::SockRef::from(stream);
    if let Some(on) = opts.tcp_keepalive {
        if on {
            let mut ka = socket2::TcpKeepalive::new();
            if let Some(idle) = opts.tcp_keepalive_idle {
                ka = ka.with_time(idle);
            }
            if let Some(intvl) = opts.tcp_keepalive_intvl {
                ka = ka.with_interval(intvl);
            }
            if let Some(cnt) = opts.tcp_keepalive_cnt {
                ka = ka.with_retries(cnt);
            }
            sock.set_tcp_keepalive(&ka)?;
        } else {
            sock.set_keepalive(false)?;
        }
    }
    Ok(())
}

/// Binds a tcp listener (with `SO_REUSEADDR`, as libzmq does).
pub(crate) async fn bind_tcp(
    ep: &TcpEndpoint,
    opts: &TransportOptions,
) -> io::Result<(Listener, String)> {
    let addrs = ep.resolve().await?;
    let mut last_err = io::Error::new(io::ErrorKind::AddrNotAvailable, "no address to bind");
    for addr in addrs {
        let sock = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        sock.set_reuseaddr(true)?;
        match sock.bind(addr).and_then(|()| sock.listen(opts.backlog)) {
            Ok(listener) => {
                let local = listener.local_addr()?;
                return Ok((Listener::Tcp(listener), tcp_endpoint_string(local)));
            }
            Err(e) => last_err = e,
        }
    }
    Err(last_err)
}

/// Binds an ipc listener. A socket file left behind by a dead process is
/// replaced; one that a live process listens on is `AddrInUse`.
pub(crate) fn bind_ipc(ep: &IpcEndpoint) -> io::Result<(Listener, String)> {
    match ep {
        IpcEndpoint::Path(path) => {
            let listener = match UnixListener::bind(path) {
                Ok(l) => l,
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                    if std::os::unix::net::UnixStream::connect(path).is_ok() {
                        return Err(e);
                    }
                    std::fs::remove_file(path)?;
                    UnixListener::bind(path)?
                }
                Err(e) => return Err(e),
            };
            Ok((
                Listener::Unix(listener, Some(path.clone())),
                format!("ipc://{}", path.display()),
            ))
        }
        IpcEndpoint::Abstract(name) => {
            let addr = abstract_addr(name)?;
            let std_listener = std::os::unix::net::UnixListener::bind_addr(&addr)?;
            std_listener.set_nonblocking(true)?;
            let listener = UnixListener::from_std(std_listener)?;
            Ok((Listener::Unix(listener, None), format!("ipc://@{name}")))
        }
    }
}

#[cfg(target_os = "linux")]
fn abstract_addr(name: &str) -> io::Result<std::os::unix::net::SocketAddr> {
    use std::os::linux::net::SocketAddrExt;
    std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
}

#[cfg(not(target_os = "linux"))]
fn abstract_addr(_name: &str) -> io::Result<std::os::unix::net::SocketAddr> {
    Err(io::Error::new(
        io::ErrorKind::Unsupported,
        "abstract ipc addresses exist on Linux only",
    ))
}

/// Where a session connects to.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    Tcp(TcpEndpoint),
    Ipc(IpcEndpoint),
}

async fn dial(target: &Target, opts: &TransportOptions) -> io::Result<(IoStream, String)> {
    match target {
        Target::Tcp(ep) => {
            let addrs = ep.resolve().await?;
            let source = match &ep.source {
                Some((host, port)) => {
                    let src = TcpEndpoint {
                        host: host.clone(),
                        port: *port,
                        source: None,
                    };
                    src.resolve().await?.into_iter().next()
                }
                None => None,
            };
            let mut last_err = io::Error::new(io::ErrorKind::AddrNotAvailable, "no address");
            for addr in addrs {
                let sock = if addr.is_ipv4() {
                    TcpSocket::new_v4()?
                } else {
                    TcpSocket::new_v6()?
                };
                if let Some(src) = source {
                    sock.set_reuseaddr(true)?;
                    sock.bind(src)?;
                }
                match sock.connect(addr).await {
                    Ok(stream) => {
                        configure_tcp(&stream, opts)?;
                        return Ok((IoStream::Tcp(stream), addr.to_string()));
                    }
                    Err(e) => last_err = e,
                }
            }
            Err(last_err)
        }
        Target::Ipc(IpcEndpoint::Path(path)) => {
            let s = UnixStream::connect(path).await?;
            Ok((IoStream::Unix(s), path.display().to_string()))
        }
        Target::Ipc(IpcEndpoint::Abstract(name)) => {
            let addr = abstract_addr(name)?;
            let s = std::os::unix::net::UnixStream::connect_addr(&addr)?;
            s.set_nonblocking(true)?;
            Ok((IoStream::Unix(UnixStream::from_std(s)?), format!("@{name}")))
        }
    }
}

/// The IP part of a `ip:port` address (what ZAP calls the address).
fn zap_address(peer: &str) -> String {
    match peer.parse::<std::net::SocketAddr>() {
        Ok(sa) => sa.ip().to_string(),
        Err(_) => peer.to_string(),
    }
}

/// Runs the ZMTP handshake over `io`. Returns what it established and the
/// bytes read past it.
async fn handshake(
    io: &mut IoStream,
    opts: &TransportOptions,
    shared: &Shared,
    peer_addr: &str,
) -> Result<(Established, BytesMut), ZmtpError> {
    let config = HandshakeConfig {
        timeout: opts.handshake_ivl,
        ..HandshakeConfig::default()
    };
    let mechanism = crate::zap::effective_mechanism(opts).build(
        opts.socket_type,
        opts.routing_id.clone(),
        &opts.metadata,
    );
    let mut hs = Handshake::new(&config, mechanism, Instant::now().into_std());
    let mut rbuf = BytesMut::with_capacity(8 * 1024);
    let mut wbuf = BytesMut::with_capacity(256);
    let deadline = hs.poll_timeout().map(Instant::from_std);
    let sleep_until = |d: Option<Instant>| async move {
        match d {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    loop {
        if hs.poll_transmit(&mut wbuf) {
            tokio::select! {
                r = io.write_all(&wbuf) => r?,
                () = sleep_until(deadline) => return Err(ZmtpError::HandshakeTimeout),
            }
            wbuf.clear();
        }
        let mut progressed = false;
        while let Some(event) = hs.poll_event() {
            progressed = true;
            match event {
                HandshakeEvent::Authenticate(req) => {
                    // The handshake timeout keeps running while the
                    // authenticator thinks.
                    let reply = tokio::select! {
                        r = authenticate(req, opts, shared, peer_addr) => r?,
                        () = sleep_until(deadline) => return Err(ZmtpError::HandshakeTimeout),
                    };
                    hs.handle_auth_reply(reply);
                }
                HandshakeEvent::Complete(est) => {
                    // What the last step queued (a server's READY after
                    // the authenticator's answer) must still go out.
                    if hs.poll_transmit(&mut wbuf) {
                        tokio::select! {
                            r = io.write_all(&wbuf) => r?,
                            () = sleep_until(deadline) => return Err(ZmtpError::HandshakeTimeout),
                        }
                    }
                    return Ok((*est, rbuf));
                }
                HandshakeEvent::Failed(e) => {
                    if hs.poll_transmit(&mut wbuf) {
                        // Best effort: the ERROR command, then close.
                        let _ =
                            tokio::time::timeout(Duration::from_millis(100), io.write_all(&wbuf))
                                .await;
                    }
                    return Err(e);
                }
            }
        }
        if progressed {
            continue;
        }
        tokio::select! {
            r = io.read_buf(&mut rbuf) => {
                if r? == 0 {
                    return Err(ZmtpError::Io(io::ErrorKind::UnexpectedEof.into()));
                }
                hs.handle_input(&mut rbuf);
            }
            () = sleep_until(deadline) => hs.handle_timeout(Instant::now().into_std()),
        }
    }
}

/// Asks whoever authenticates this socket's peers (see [`crate::zap`]). An
/// `Err` fails the handshake without an ERROR command, as libzmq does when
/// its ZAP client fails.
async fn authenticate(
    req: oxmq_zmtp::AuthRequest,
    opts: &TransportOptions,
    shared: &Shared,
    peer_addr: &str,
) -> Result<AuthReply, ZmtpError> {
    crate::zap::authenticate(req, opts, &shared.ctx, zap_address(peer_addr)).await
}

fn report_handshake_failure(monitor: &Monitor, endpoint: &str, peer: &str, e: &ZmtpError) {
    let (endpoint, peer) = (endpoint.to_string(), peer.to_string());
    monitor.emit(match e {
        ZmtpError::Protocol(p) => SocketEvent::HandshakeFailedProtocol {
            endpoint,
            peer,
            error: p.to_string(),
        },
        ZmtpError::Auth(a) => SocketEvent::HandshakeFailedAuth {
            endpoint,
            peer,
            status_code: a.status_code,
        },
        other => SocketEvent::HandshakeFailedNoDetail {
            endpoint,
            peer,
            error: other.to_string(),
        },
    });
}

fn engine_config(opts: &TransportOptions, est: &Established, io: &IoStream) -> EngineConfig {
    EngineConfig {
        read_max: io.read_max(),
        socket_type: opts.socket_type,
        peer_version: est.peer.version,
        heartbeat_ivl: opts.heartbeat_ivl,
        heartbeat_ttl: opts.heartbeat_ttl,
        heartbeat_timeout: opts.effective_heartbeat_timeout(),
        linger: opts.linger,
    }
}

/// Runs `engine` to its end, or until the context shuts down: then the
/// engine is dropped on the spot with whatever it still had queued, since
/// `Context::shutdown` does not linger. (The engine itself only sees its
/// endpoint's token, which the shutdown also cancels, and would linger.)
async fn run_engine<S>(engine: Engine<'_, S>, shared: &Shared) -> EngineEnd
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    tokio::select! {
        end = engine => end,
        () = shared.ctx.shutdown_token().cancelled() => EngineEnd::Aborted,
    }
}

fn is_sub_type(t: SocketType) -> bool {
    matches!(t, SocketType::Sub | SocketType::Xsub)
}

/// Accepts connections until `token` is cancelled.
pub(crate) async fn accept_loop(
    listener: Listener,
    endpoint: String,
    opts: Arc<TransportOptions>,
    shared: Arc<Shared>,
    token: CancellationToken,
) {
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            r = listener.accept(&opts) => match r {
                Ok((io, peer)) => {
                    shared.monitor.emit(SocketEvent::Accepted { endpoint: endpoint.clone(), peer: peer.clone() });
                    let task = serve_accepted(io, peer, endpoint.clone(), opts.clone(), shared.clone(), token.clone());
                    shared.ctx.tracker().spawn(task);
                }
                Err(e) => {
                    shared.monitor.emit(SocketEvent::AcceptFailed { endpoint: endpoint.clone(), error: e.to_string() });
                    // Out of descriptors and the like: do not spin.
                    tokio::select! {
                        () = token.cancelled() => break,
                        () = tokio::time::sleep(Duration::from_millis(100)) => {}
                    }
                }
            }
        }
    }
    drop(listener);
    shared.monitor.emit(SocketEvent::Closed { endpoint });
}

async fn serve_accepted(
    mut io: IoStream,
    peer_addr: String,
    endpoint: String,
    opts: Arc<TransportOptions>,
    shared: Arc<Shared>,
    token: CancellationToken,
) {
    let result = tokio::select! {
        r = handshake(&mut io, &opts, &shared, &peer_addr) => r,
        () = token.cancelled() => return,
    };
    let (est, rbuf) = match result {
        Ok(x) => x,
        Err(e) => {
            report_handshake_failure(&shared.monitor, &endpoint, &peer_addr, &e);
            return;
        }
    };
    shared.monitor.emit(SocketEvent::HandshakeSucceeded {
        endpoint: endpoint.clone(),
        peer: peer_addr.clone(),
    });
    let cfg = engine_config(&opts, &est, &io);
    let info = Arc::new(ConnectionInfo {
        peer: est.peer,
        endpoint: endpoint.clone(),
        peer_address: peer_addr.clone(),
    });
    let (out_tx, mut out_rx) = pipe_with(opts.sndhwm, opts.conflate_out());
    let (in_tx, in_rx) = pipe_with(opts.rcvhwm, opts.conflate_in());
    let primed = prime(&out_tx, opts.primer.as_ref());
    if in_tx.try_send(PipeMsg::Connected(info)).is_err() {
        return;
    }
    let peer = Peer {
        id: shared.next_peer_id(),
        endpoint: endpoint.clone(),
        outgoing: false,
        tx: out_tx,
        rx: in_rx,
        primed,
    };
    if shared.peers_tx.send(peer).is_err() {
        return;
    }
    let codec = ZmtpCodec::new()
        .with_max_frame_size(opts.max_msg_size)
        .with_cipher(est.cipher);
    let mut subs = SubscriptionLog::default();
    let subs = is_sub_type(opts.socket_type).then_some(&mut subs);
    let engine = Engine::new(io, rbuf, codec, &mut out_rx, in_tx, cfg, subs, token);
    let end = run_engine(engine, &shared).await;
    // Close the pipe before telling anyone: a socket that sees the event
    // (or sends right after it) must find the pipe closed, not lose a
    // message in it.
    drop(out_rx);
    shared.monitor.emit(SocketEvent::Disconnected {
        endpoint,
        peer: peer_addr,
        reason: end.to_string(),
    });
}

/// The pipe of a connecting session.
#[derive(Debug)]
pub(crate) struct SessionPipe {
    /// Where `disconnect` finds `in_tx`'s pipe.
    inbound: AbortSlot,
    out_rx: PipeReceiver,
    in_tx: PipeSender,
    /// The socket's half, until it has been handed over.
    peer: Option<Peer>,
}

impl SessionPipe {
    /// A pipe pair for a connecting session: the outbound side primed
    /// (see [`TransportOptions::primer`]), the inbound side registered in
    /// `inbound` for `disconnect` to abort.
    pub(crate) fn new(
        opts: &TransportOptions,
        shared: &Shared,
        endpoint: &str,
        inbound: AbortSlot,
    ) -> Self {
        let (out_tx, out_rx) = pipe_with(opts.sndhwm, opts.conflate_out());
        let (in_tx, in_rx) = pipe_with(opts.rcvhwm, opts.conflate_in());
        let primed = prime(&out_tx, opts.primer.as_ref());
        inbound.set(&in_tx);
        SessionPipe {
            inbound,
            out_rx,
            in_tx,
            peer: Some(Peer {
                id: shared.next_peer_id(),
                endpoint: endpoint.to_string(),
                outgoing: true,
                tx: out_tx,
                rx: in_rx,
                primed,
            }),
        }
    }

    /// Gives the socket its half; false if the socket is gone.
    pub(crate) fn hand_over(&mut self, shared: &Shared) -> bool {
        match self.peer.take() {
            Some(peer) => shared.peers_tx.send(peer).is_ok(),
            None => true,
        }
    }

    /// Whether the socket dropped its half after receiving it.
    fn abandoned(&self) -> bool {
        self.peer.is_none() && self.in_tx.is_closed()
    }
}

/// When a connecting session stops trying. Like libzmq, a session whose
/// socket closed the endpoint (or let go of the pipe) while messages are
/// still queued keeps connecting, and reconnecting, to deliver them, until
/// the queue is empty or the linger time (counted from the close) runs out.
/// It stops at once with a linger of zero, with nothing queued, or when the
/// context shuts down.
struct SessionClose<'a> {
    token: &'a CancellationToken,
    ctx_shutdown: &'a CancellationToken,
    linger: Option<Duration>,
    /// When the close was first seen. (`OnceLock`, not `Cell`: the session
    /// future must stay `Send`.)
    since: std::sync::OnceLock<Instant>,
}

impl<'a> SessionClose<'a> {
    fn new(token: &'a CancellationToken, shared: &'a Shared, opts: &TransportOptions) -> Self {
        SessionClose {
            token,
            ctx_shutdown: shared.ctx.shutdown_token(),
            linger: opts.linger,
            since: std::sync::OnceLock::new(),
        }
    }

    /// Whether the socket closed the endpoint or let go of the pipe.
    fn is_closed(&self, pipe: &SessionPipe) -> bool {
        self.token.is_cancelled() || pipe.abandoned()
    }

    /// Whether queued messages still deserve connection attempts.
    fn may_linger(&self, pipe: &SessionPipe) -> bool {
        let expired = match (self.since.get(), self.linger) {
            (Some(since), Some(linger)) => since.elapsed() >= linger,
            _ => false,
        };
        self.linger != Some(Duration::ZERO)
            && !expired
            && !self.ctx_shutdown.is_cancelled()
            && !pipe.out_rx.is_empty()
    }

    /// Whether to stop now (records when the close was first seen).
    fn should_stop(&self, pipe: &SessionPipe) -> bool {
        if !self.is_closed(pipe) {
            return false;
        }
        self.since.get_or_init(Instant::now);
        !self.may_linger(pipe)
    }

    /// What is left of the linger time for an engine started now.
    fn remaining_linger(&self) -> Option<Duration> {
        match self.since.get() {
            Some(since) => self.linger.map(|l| l.saturating_sub(since.elapsed())),
            None => self.linger,
        }
    }

    /// Completes when the session must give up: when the socket closes
    /// with nothing to linger for, or when the linger time runs out.
    async fn give_up(&self, pipe: &SessionPipe) {
        tokio::select! {
            () = self.token.cancelled() => {}
            () = pipe.in_tx.closed(), if pipe.peer.is_none() => {}
        }
        let since = *self.since.get_or_init(Instant::now);
        if !self.may_linger(pipe) {
            return;
        }
        match self.linger {
            Some(l) => tokio::select! {
                () = tokio::time::sleep_until(since + l) => {}
                () = self.ctx_shutdown.cancelled() => {}
            },
            None => self.ctx_shutdown.cancelled().await,
        }
    }
}

/// Connects, and reconnects, to `target` until cancelled. Unless
/// `immediate` is set, the caller has already handed the socket its half of
/// `pipe` (so messages can be queued before the first connection).
pub(crate) async fn connect_session(
    target: Target,
    endpoint: String,
    opts: Arc<TransportOptions>,
    shared: Arc<Shared>,
    token: CancellationToken,
    mut pipe: SessionPipe,
) {
    let mut subs = SubscriptionLog::default();
    let base_ivl = opts.reconnect_ivl;
    let mut ivl = base_ivl;
    let close = SessionClose::new(&token, &shared, &opts);
    loop {
        if close.should_stop(&pipe) {
            break;
        }
        shared.monitor.emit(SocketEvent::ConnectDelayed {
            endpoint: endpoint.clone(),
        });
        let dialed = tokio::select! {
            r = dial(&target, &opts) => r,
            () = close.give_up(&pipe) => break,
        };
        if let Ok((mut io, peer_addr)) = dialed {
            shared.monitor.emit(SocketEvent::Connected {
                endpoint: endpoint.clone(),
                peer: peer_addr.clone(),
            });
            let result = tokio::select! {
                r = handshake(&mut io, &opts, &shared, &peer_addr) => r,
                () = close.give_up(&pipe) => break,
            };
            match result {
                Ok((est, rbuf)) => {
                    shared.monitor.emit(SocketEvent::HandshakeSucceeded {
                        endpoint: endpoint.clone(),
                        peer: peer_addr.clone(),
                    });
                    ivl = base_ivl;
                    if !pipe.hand_over(&shared) {
                        break;
                    }
                    let mut cfg = engine_config(&opts, &est, &io);
                    // A lingering session only has what is left of it.
                    cfg.linger = close.remaining_linger();
                    let info = Arc::new(ConnectionInfo {
                        peer: est.peer,
                        endpoint: endpoint.clone(),
                        peer_address: peer_addr.clone(),
                    });
                    let delivered = tokio::select! {
                        r = pipe.in_tx.send(PipeMsg::Connected(info)) => r.is_ok(),
                        () = close.give_up(&pipe) => break,
                    };
                    // A socket that let go of the pipe is not told, but
                    // what it queued before still goes out.
                    if !delivered && !close.may_linger(&pipe) {
                        break;
                    }
                    let codec = ZmtpCodec::new()
                        .with_max_frame_size(opts.max_msg_size)
                        .with_cipher(est.cipher);
                    let sub_log = is_sub_type(opts.socket_type).then_some(&mut subs);
                    let engine = Engine::new(
                        io,
                        rbuf,
                        codec,
                        &mut pipe.out_rx,
                        pipe.in_tx.clone(),
                        cfg,
                        sub_log,
                        token.clone(),
                    );
                    let end = run_engine(engine, &shared).await;
                    shared.monitor.emit(SocketEvent::Disconnected {
                        endpoint: endpoint.clone(),
                        peer: peer_addr,
                        reason: end.to_string(),
                    });
                    // Done when the engine flushed after a close, or when the
                    // socket is gone and nothing is left to deliver (a socket
                    // that closed while the peer was away lingers here).
                    if end.is_local_close() || close.should_stop(&pipe) {
                        break;
                    }
                    if let EngineEnd::PeerError(_) = end {
                        tracing::warn!(target: "oxmq", %endpoint, "peer sent ERROR; reconnecting");
                    }
                    if opts.immediate {
                        // The pipe lives and dies with the connection.
                        let inbound = pipe.inbound.clone();
                        pipe = SessionPipe::new(&opts, &shared, &endpoint, inbound);
                        subs = SubscriptionLog::default();
                    }
                }
                Err(e) => report_handshake_failure(&shared.monitor, &endpoint, &peer_addr, &e),
            }
        }
        let Some(wait) = ivl else { break };
        shared.monitor.emit(SocketEvent::ConnectRetried {
            endpoint: endpoint.clone(),
            interval: wait,
        });
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = close.give_up(&pipe) => break,
        }
        if let (Some(cur), Some(max)) = (ivl, opts.reconnect_ivl_max) {
            if max > cur {
                ivl = Some((cur * 2).min(max));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::{Endpoint, Role};

    fn tcp(endpoint: &str, role: Role) -> TcpEndpoint {
        match Endpoint::parse(endpoint, role) {
            Ok(Endpoint::Tcp(ep)) => ep,
            other => panic!("not a tcp endpoint: {other:?}"),
        }
    }

    fn nodelay(io: &IoStream) -> bool {
        match io {
            IoStream::Tcp(s) => s.nodelay().unwrap(),
            IoStream::Unix(_) => panic!("expected tcp"),
        }
    }

    /// Both ends of a tcp connection turn Nagle's algorithm off. (An
    /// accepted socket that kept it held back the tail of every batch a
    /// bound PUB wrote until the subscriber's delayed ACK came: a PUB with
    /// one subscriber ran at a fortieth of libzmq's rate.)
    #[tokio::test]
    async fn accepted_and_dialed_tcp_sockets_have_nodelay() {
        let opts = TransportOptions::new(SocketType::Pub);
        let (listener, bound) = bind_tcp(&tcp("tcp://127.0.0.1:0", Role::Bind), &opts)
            .await
            .unwrap();
        let target = Target::Tcp(tcp(&bound, Role::Connect));
        let (dialed, accepted) = tokio::join!(dial(&target, &opts), listener.accept(&opts));
        let ((dialed, _), (accepted, _)) = (dialed.unwrap(), accepted.unwrap());
        assert!(nodelay(&dialed), "dialed socket keeps Nagle");
        assert!(nodelay(&accepted), "accepted socket keeps Nagle");
    }
}
