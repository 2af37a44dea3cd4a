//! The connection engine: moves messages between a socket's pipes and one
//! ZMTP byte stream, after the handshake.
//!
//! It is a single hand-written future (no extra tasks, no locks) that, on
//! every wake-up, does as much work as it can:
//!
//! - **out**: drains up to [`OUT_BATCH`] messages from the outbound pipe at
//!   once (fewer when they are large), encodes them into one [`WireBuf`]
//!   (small frames copied together, large bodies queued by reference) and
//!   writes it with vectored writes, as few syscalls as the kernel allows;
//! - **in**: reads into a buffer grown 64 KiB at a time (or into the room
//!   the codec reserves for a whole large frame once its header is in),
//!   at most [`TCP_READ_MAX`] per read on tcp, decodes every complete frame
//!   in the buffer (bodies are split off the read buffer, not copied), and
//!   hands each message to the inbound pipe without waiting when there is
//!   room;
//!   when the pipe is full (RCVHWM) it stops reading, which pushes back on
//!   the peer through TCP;
//! - **commands**: answers PING with PONG, turns SUBSCRIBE/CANCEL into the
//!   subscription messages PUB/XPUB sockets expect (and back, for SUB/XSUB
//!   towards ZMTP 3.1 peers), ends on ERROR, logs and ignores unknown ones;
//! - **heartbeats**: sends PING every `heartbeat_ivl`, drops the peer when
//!   nothing arrives within `heartbeat_timeout` of a PING or within the TTL
//!   the peer announced;
//! - **closing**: when the socket goes away (or the endpoint is cancelled)
//!   it stops reading, sends what is queued, within the linger time, then
//!   shuts the stream down.

use std::collections::HashSet;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use oxmq_zmtp::codec::WireBuf;
use oxmq_zmtp::command::subscribe;
use oxmq_zmtp::command::Ping;
use oxmq_zmtp::{Command, Inbound, Message, SocketType, Version, ZmtpCodec};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};
use tokio_util::codec::Decoder;
use tokio_util::sync::CancellationToken;
use tokio_util::sync::WaitForCancellationFutureOwned;

use crate::pipe::{PipeMsg, PipeReceiver, PipeSender};

/// Messages taken from the outbound pipe per wake-up.
pub(crate) const OUT_BATCH: usize = 256;
/// Stop pulling from the outbound pipe while this much is unwritten.
const WRITE_HIGH_WATER: usize = 256 * 1024;
/// Read buffer growth step.
const READ_CHUNK: usize = 64 * 1024;
/// Free space below which the read buffer is grown before a read.
const READ_MIN_FREE: usize = 4 * 1024;
/// The most one read asks of a tcp stream. A read holds the kernel's
/// socket lock for as long as it copies; the segments that arrive
/// meanwhile wait for it to end before they are acknowledged. Long reads
/// of a large frame (a whole MiB) stretch the round-trip time the sender's
/// congestion control sees and throttle it; short reads keep the flow
/// going (1 MiB messages over loopback: 3.3 k → 4.7 k msg/s with 64 KiB
/// reads, a quarter less CPU per message). 32 KiB did better still, in
/// three alternating criterion runs per size: means of 5.9 k (16 KiB),
/// 6.1 k (32 KiB), 5.4 k (64 KiB) and 4.1 k (256 KiB) msg/s. ipc streams
/// have no such acknowledgements: their reads are not limited.
pub(crate) const TCP_READ_MAX: usize = 32 * 1024;
/// Loop iterations before yielding to other tasks.
const BUDGET: usize = 64;
/// Bytes read before yielding to other tasks: the socket then takes the
/// messages delivered so far while they are fresh (the memory of their
/// bodies goes back to the allocator in a steady trickle, not in bursts
/// that it returns to the system and faults in again).
const READ_BUDGET: usize = 1024 * 1024;

/// Why an engine stopped.
#[derive(Debug)]
pub(crate) enum EngineEnd {
    /// The peer closed the stream.
    PeerClosed,
    /// We closed after sending everything queued.
    Closed,
    /// We closed with messages left when the linger time ran out.
    LingerExpired,
    /// The context shut down: closed at once, queued messages dropped.
    Aborted,
    /// No traffic within the heartbeat timeout or the peer's TTL.
    HeartbeatTimeout,
    /// The peer sent an ERROR command.
    PeerError(String),
    /// I/O error.
    Io(io::Error),
    /// The peer broke the protocol.
    Protocol(oxmq_zmtp::Error),
}

impl EngineEnd {
    /// Whether the socket side is gone (no reconnection wanted).
    pub(crate) fn is_local_close(&self) -> bool {
        matches!(
            self,
            EngineEnd::Closed | EngineEnd::LingerExpired | EngineEnd::Aborted
        )
    }
}

impl std::fmt::Display for EngineEnd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineEnd::PeerClosed => f.write_str("peer closed the connection"),
            EngineEnd::Closed => f.write_str("closed"),
            EngineEnd::LingerExpired => f.write_str("closed, linger expired"),
            EngineEnd::Aborted => f.write_str("closed, context shut down"),
            EngineEnd::HeartbeatTimeout => f.write_str("heartbeat timeout"),
            EngineEnd::PeerError(r) => write!(f, "peer sent ERROR: {r}"),
            EngineEnd::Io(e) => write!(f, "i/o error: {e}"),
            EngineEnd::Protocol(e) => write!(f, "{e}"),
        }
    }
}

/// Settings of one engine.
#[derive(Debug, Clone)]
pub(crate) struct EngineConfig {
    pub(crate) socket_type: SocketType,
    pub(crate) peer_version: Version,
    pub(crate) heartbeat_ivl: Option<Duration>,
    pub(crate) heartbeat_ttl: Option<Duration>,
    pub(crate) heartbeat_timeout: Option<Duration>,
    pub(crate) linger: Option<Duration>,
    /// The most one read may bring in ([`TCP_READ_MAX`] for tcp).
    pub(crate) read_max: usize,
}

/// The topics a SUB/XSUB connection is subscribed to, so that a
/// reconnection can send them again first. A set, as libzmq's publishers
/// keep: the subscriber sends one CANCEL when its last subscription to a
/// topic goes.
#[derive(Debug, Default)]
pub(crate) struct SubscriptionLog {
    topics: HashSet<Bytes>,
}

impl SubscriptionLog {
    fn apply(&mut self, cmd: &Command) {
        match cmd {
            Command::Subscribe(t) => {
                self.topics.insert(t.clone());
            }
            Command::Cancel(t) => {
                self.topics.remove(t);
            }
            _ => {}
        }
    }

    fn replay(&self) -> impl Iterator<Item = Command> + '_ {
        self.topics.iter().map(|t| Command::Subscribe(t.clone()))
    }
}

struct Timer {
    sleep: Pin<Box<Sleep>>,
    armed: bool,
}

impl Timer {
    fn new() -> Self {
        Timer {
            sleep: Box::pin(tokio::time::sleep_until(Instant::now())),
            armed: false,
        }
    }

    fn arm(&mut self, at: Instant) {
        self.sleep.as_mut().reset(at);
        self.armed = true;
    }

    fn poll_fired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.armed && self.sleep.as_mut().poll(cx).is_ready() {
            self.armed = false;
            return true;
        }
        false
    }
}

/// The engine future. Build with [`Engine::new`], then `.await` it.
pub(crate) struct Engine<'a, S> {
    io: S,
    codec: ZmtpCodec,
    rbuf: BytesMut,
    wbuf: WireBuf,
    out_rx: &'a mut PipeReceiver,
    in_tx: PipeSender,
    pending_in: Option<Message>,
    batch: Vec<PipeMsg>,
    /// Messages to take from the outbound pipe at once: [`OUT_BATCH`],
    /// or fewer when messages are large.
    out_limit: usize,
    cfg: EngineConfig,
    subs: Option<&'a mut SubscriptionLog>,
    cancel: Pin<Box<WaitForCancellationFutureOwned>>,
    closing: bool,
    out_done: bool,
    /// Bytes read in this poll (see [`READ_BUDGET`]).
    read_in_poll: usize,
    linger: Timer,
    ping: Timer,
    dead: Timer,
    ttl: Timer,
}

impl<'a, S: AsyncRead + AsyncWrite + Unpin> Engine<'a, S> {
    /// An engine over `io`. `rbuf` holds bytes already read past the
    /// handshake. For SUB/XSUB, `subs` records subscriptions and replays
    /// them first.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        io: S,
        rbuf: BytesMut,
        codec: ZmtpCodec,
        out_rx: &'a mut PipeReceiver,
        in_tx: PipeSender,
        cfg: EngineConfig,
        subs: Option<&'a mut SubscriptionLog>,
        cancel: CancellationToken,
    ) -> Self {
        let mut engine = Engine {
            io,
            codec,
            rbuf,
            wbuf: WireBuf::with_capacity(8 * 1024),
            out_rx,
            in_tx,
            pending_in: None,
            batch: Vec::with_capacity(OUT_BATCH),
            out_limit: OUT_BATCH,
            cfg,
            subs,
            cancel: Box::pin(cancel.cancelled_owned()),
            closing: false,
            out_done: false,
            read_in_poll: 0,
            linger: Timer::new(),
            ping: Timer::new(),
            dead: Timer::new(),
            ttl: Timer::new(),
        };
        if let Some(ivl) = engine.cfg.heartbeat_ivl {
            engine.ping.arm(Instant::now() + ivl);
        }
        if let Some(log) = engine.subs.as_deref() {
            let replay: Vec<Command> = log.replay().collect();
            for cmd in replay {
                engine.encode_subscription(cmd);
            }
        }
        engine
    }

    fn is_sub_type(&self) -> bool {
        matches!(self.cfg.socket_type, SocketType::Sub | SocketType::Xsub)
    }

    fn encode_subscription(&mut self, cmd: Command) {
        if self.cfg.peer_version.has_commands() {
            // Encoding only fails inside a cipher, which reports through the
            // next encode of a message as well; nothing is lost by ignoring.
            let _ = self.codec.encode_command(&cmd, self.wbuf.tail_mut());
        } else if let Some(frame) = subscribe::to_legacy(&cmd) {
            let _ = self
                .codec
                .encode_message_into(&Message::from(frame), &mut self.wbuf);
        }
    }

    fn encode_out(&mut self, msg: &Message) -> Result<(), oxmq_zmtp::Error> {
        if self.is_sub_type() && msg.len() == 1 {
            if let Some(cmd) = subscribe::from_legacy(&msg[0]) {
                if let Some(log) = self.subs.as_deref_mut() {
                    log.apply(&cmd);
                }
                self.encode_subscription(cmd);
                return Ok(());
            }
        }
        self.codec.encode_message_into(msg, &mut self.wbuf)
    }

    fn start_closing(&mut self) {
        if self.closing {
            return;
        }
        self.closing = true;
        self.out_rx.close();
        self.pending_in = None;
        if let Some(linger) = self.cfg.linger {
            self.linger.arm(Instant::now() + linger);
        }
    }

    /// Handles one inbound command; may produce an item for the socket.
    fn on_command(&mut self, cmd: Command) -> Result<Option<Message>, EngineEnd> {
        match cmd {
            Command::Ping(ping) => {
                if let Some(ttl) = ping.ttl() {
                    if !self.ttl.armed {
                        self.ttl.arm(Instant::now() + ttl);
                    }
                }
                let pong = Command::Pong(ping.pong());
                self.codec
                    .encode_command(&pong, self.wbuf.tail_mut())
                    .map_err(EngineEnd::Protocol)?;
                Ok(None)
            }
            Command::Pong(_) => Ok(None),
            Command::Subscribe(_) | Command::Cancel(_)
                if matches!(self.cfg.socket_type, SocketType::Pub | SocketType::Xpub) =>
            {
                Ok(subscribe::to_legacy(&cmd).map(Message::from))
            }
            Command::Error(e) => Err(EngineEnd::PeerError(e.reason_text())),
            other => {
                tracing::trace!(target: "oxmq", command = ?other, "ignoring command");
                Ok(None)
            }
        }
    }

    /// Hands `msg` to the socket. `Ready(false)`: the socket is gone.
    fn deliver(&mut self, cx: &mut Context<'_>, msg: Message) -> Poll<bool> {
        let msg = match self.in_tx.try_send(PipeMsg::Message(msg)) {
            Ok(()) => return Poll::Ready(true),
            Err(mpsc::error::TrySendError::Full(PipeMsg::Message(m))) => m,
            Err(_) => return Poll::Ready(false),
        };
        match self.in_tx.poll_reserve(cx) {
            Poll::Ready(Ok(())) => Poll::Ready(self.in_tx.send_reserved(msg).is_ok()),
            Poll::Ready(Err(())) => Poll::Ready(false),
            Poll::Pending => {
                self.pending_in = Some(msg);
                Poll::Pending
            }
        }
    }

    /// Inbound side. Returns whether progress was made.
    fn poll_inbound(&mut self, cx: &mut Context<'_>) -> Result<bool, EngineEnd> {
        let mut progress = false;
        if let Some(item) = self.pending_in.take() {
            match self.in_tx.poll_reserve(cx) {
                Poll::Ready(Ok(())) => {
                    if self.in_tx.send_reserved(item).is_err() {
                        self.start_closing();
                        return Ok(true);
                    }
                    progress = true;
                }
                Poll::Ready(Err(_)) => {
                    self.start_closing();
                    return Ok(true);
                }
                Poll::Pending => {
                    self.pending_in = Some(item);
                    return Ok(false);
                }
            }
        }
        loop {
            match self.codec.decode(&mut self.rbuf) {
                Ok(Some(Inbound::Message(msg))) => {
                    progress = true;
                    match self.deliver(cx, msg) {
                        Poll::Ready(true) => {}
                        Poll::Ready(false) => {
                            self.start_closing();
                            return Ok(true);
                        }
                        Poll::Pending => return Ok(progress),
                    }
                }
                Ok(Some(Inbound::Command(cmd))) => {
                    progress = true;
                    if let Some(item) = self.on_command(cmd)? {
                        match self.deliver(cx, item) {
                            Poll::Ready(true) => {}
                            Poll::Ready(false) => {
                                self.start_closing();
                                return Ok(true);
                            }
                            Poll::Pending => return Ok(progress),
                        }
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(EngineEnd::Protocol(e)),
            }
        }
        if self.read_in_poll >= READ_BUDGET {
            return Ok(progress);
        }
        if self.rbuf.capacity() - self.rbuf.len() < READ_MIN_FREE {
            self.rbuf.reserve(READ_CHUNK);
        }
        let mut room = bytes::BufMut::limit(&mut self.rbuf, self.cfg.read_max);
        match tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut room) {
            Poll::Ready(Ok(0)) => Err(EngineEnd::PeerClosed),
            Poll::Ready(Ok(n)) => {
                self.read_in_poll += n;
                // Any traffic is a sign of life.
                self.dead.armed = false;
                self.ttl.armed = false;
                Ok(true)
            }
            Poll::Ready(Err(e)) => Err(EngineEnd::Io(e)),
            Poll::Pending => Ok(progress),
        }
    }

    /// Outbound side. Returns whether progress was made.
    fn poll_outbound(&mut self, cx: &mut Context<'_>) -> Result<bool, EngineEnd> {
        let mut progress = false;
        while !self.out_done && self.wbuf.len() < WRITE_HIGH_WATER {
            match self
                .out_rx
                .poll_recv_many(cx, &mut self.batch, self.out_limit)
            {
                Poll::Ready(0) => {
                    self.out_done = true;
                    self.start_closing();
                    progress = true;
                }
                Poll::Ready(n) => {
                    progress = true;
                    let before = self.wbuf.len();
                    // Encoded in place, then dropped together: no message
                    // is moved.
                    let mut batch = std::mem::take(&mut self.batch);
                    let encoded = batch.iter().try_for_each(|item| match item {
                        PipeMsg::Message(msg) => self.encode_out(msg),
                        _ => Ok(()),
                    });
                    batch.clear();
                    self.batch = batch;
                    encoded.map_err(EngineEnd::Protocol)?;
                    // Take as many next time as fill the write high-water
                    // mark at this batch's average size: large messages
                    // stay in the pipe (under its HWM), not in the engine.
                    let bytes = (self.wbuf.len() - before).max(1);
                    self.out_limit = (WRITE_HIGH_WATER * n / bytes).clamp(1, OUT_BATCH);
                }
                Poll::Pending => break,
            }
        }
        while !self.wbuf.is_empty() {
            match tokio_util::io::poll_write_buf(Pin::new(&mut self.io), cx, &mut self.wbuf) {
                Poll::Ready(Ok(0)) => {
                    return Err(EngineEnd::Io(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(_)) => progress = true,
                Poll::Ready(Err(e)) => return Err(EngineEnd::Io(e)),
                Poll::Pending => break,
            }
        }
        Ok(progress)
    }

    fn poll_timers(&mut self, cx: &mut Context<'_>) -> Result<bool, EngineEnd> {
        let mut progress = false;
        if self.ping.poll_fired(cx) {
            let ttl = self.cfg.heartbeat_ttl.unwrap_or_default();
            let ping = Command::Ping(Ping::with_ttl(ttl, Bytes::new()));
            self.codec
                .encode_command(&ping, self.wbuf.tail_mut())
                .map_err(EngineEnd::Protocol)?;
            if let Some(ivl) = self.cfg.heartbeat_ivl {
                self.ping.arm(Instant::now() + ivl);
            }
            let timeout = self.cfg.heartbeat_timeout.or(self.cfg.heartbeat_ivl);
            if let Some(t) = timeout.filter(|t| !t.is_zero()) {
                if !self.dead.armed {
                    self.dead.arm(Instant::now() + t);
                }
            }
            progress = true;
        }
        if self.dead.poll_fired(cx) || self.ttl.poll_fired(cx) {
            return Err(EngineEnd::HeartbeatTimeout);
        }
        Ok(progress)
    }

    fn poll_engine(&mut self, cx: &mut Context<'_>) -> Poll<EngineEnd> {
        if !self.closing && self.cancel.as_mut().poll(cx).is_ready() {
            self.start_closing();
        }
        if self.closing && self.cfg.linger == Some(Duration::ZERO) {
            return Poll::Ready(EngineEnd::LingerExpired);
        }
        self.read_in_poll = 0;
        for _ in 0..BUDGET {
            if self.closing && self.linger.poll_fired(cx) {
                return Poll::Ready(EngineEnd::LingerExpired);
            }
            let mut progress = false;
            if !self.closing {
                match self.poll_inbound(cx) {
                    Ok(p) => progress |= p,
                    Err(end) => return Poll::Ready(end),
                }
            }
            match self.poll_outbound(cx) {
                Ok(p) => progress |= p,
                Err(end) => return Poll::Ready(end),
            }
            if !self.closing {
                match self.poll_timers(cx) {
                    Ok(p) => progress |= p,
                    Err(end) => return Poll::Ready(end),
                }
            }
            if self.closing && self.out_done && self.wbuf.is_empty() {
                return match ready!(Pin::new(&mut self.io).poll_shutdown(cx)) {
                    Ok(()) => Poll::Ready(EngineEnd::Closed),
                    Err(e) if e.kind() == io::ErrorKind::NotConnected => {
                        Poll::Ready(EngineEnd::Closed)
                    }
                    Err(e) => Poll::Ready(EngineEnd::Io(e)),
                };
            }
            if !progress {
                if self.read_in_poll >= READ_BUDGET {
                    // Reading stopped short, not for want of bytes.
                    break;
                }
                return Poll::Pending;
            }
        }
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for Engine<'_, S> {
    type Output = EngineEnd;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<EngineEnd> {
        self.get_mut().poll_engine(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipe::pipe;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::ReadBuf;

    /// Serves `data` to reads (then ends the stream), swallows writes, and
    /// records the largest read asked of it.
    struct Recorder {
        data: Bytes,
        largest: Arc<AtomicUsize>,
    }

    impl AsyncRead for Recorder {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.largest.fetch_max(buf.remaining(), Ordering::Relaxed);
            let n = buf.remaining().min(self.data.len());
            let chunk = self.data.split_to(n);
            buf.put_slice(&chunk);
            Poll::Ready(Ok(()))
        }
    }

    impl AsyncWrite for Recorder {
        fn poll_write(
            self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &[u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(buf.len()))
        }
        fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
        fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Poll::Ready(Ok(()))
        }
    }

    /// Runs an engine with `read_max` over a stream carrying two 1 MiB
    /// messages, checks that they arrive whole and returns the largest read
    /// asked.
    async fn read_through(read_max: usize) -> usize {
        let size = 1024 * 1024;
        let mut codec = ZmtpCodec::new();
        let mut wire = BytesMut::new();
        let msgs: Vec<Message> = (0..2u8)
            .map(|i| Message::from(Bytes::from(vec![i; size])))
            .collect();
        for m in &msgs {
            codec.encode_message(m, &mut wire).unwrap();
        }
        let largest = Arc::new(AtomicUsize::new(0));
        let io = Recorder {
            data: wire.freeze(),
            largest: largest.clone(),
        };
        let (_out_tx, mut out_rx) = pipe(10);
        let (in_tx, mut in_rx) = pipe(10);
        let cfg = EngineConfig {
            socket_type: SocketType::Pull,
            peer_version: Version::V3_1,
            heartbeat_ivl: None,
            heartbeat_ttl: None,
            heartbeat_timeout: None,
            linger: None,
            read_max,
        };
        let engine = Engine::new(
            io,
            BytesMut::new(),
            ZmtpCodec::new(),
            &mut out_rx,
            in_tx,
            cfg,
            None,
            CancellationToken::new(),
        );
        assert!(matches!(engine.await, EngineEnd::PeerClosed));
        let mut got = Vec::new();
        while let Ok(PipeMsg::Message(m)) = in_rx.try_recv() {
            got.push(m);
        }
        assert_eq!(got, msgs);
        largest.load(Ordering::Relaxed)
    }

    /// A limited engine never asks more of a read than its limit, and the
    /// large messages still arrive whole; an unlimited one reads a large
    /// frame's whole room at once.
    #[tokio::test]
    async fn reads_respect_the_limit() {
        let largest = read_through(TCP_READ_MAX).await;
        assert!(largest <= TCP_READ_MAX, "a read of {largest} bytes");
        let largest = read_through(usize::MAX).await;
        assert!(largest > TCP_READ_MAX, "largest read {largest} bytes");
    }
}
