//! Helpers shared by the integration tests: unique endpoints for each
//! transport, waiting on peers, messages and monitor events with a safety
//! timeout, and raw ZMTP bytes for hand-driven peers.

// Each test file uses a different subset of these helpers.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use oxmq_transports::{
    ConnectionInfo, Context, MonitorStream, Peer, PipeMsg, SocketEvent, SocketTransport,
    TransportOptions,
};
use oxmq_zmtp::{Message, SocketType};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;

/// How long any single wait may take before the test fails. Only a safety
/// net: every wait ends on an event long before this on a healthy run.
pub const SAFETY: Duration = Duration::from_secs(20);

/// The transports a test can run over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ipc,
    Inproc,
}

/// Every transport, for tests that run the same body over each.
pub const ALL: [Transport; 3] = [Transport::Tcp, Transport::Ipc, Transport::Inproc];

/// The transports that go through the ZMTP engine.
pub const STREAMS: [Transport; 2] = [Transport::Tcp, Transport::Ipc];

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn next_n() -> usize {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A unique `ipc://` endpoint under the temporary directory.
pub fn unique_ipc() -> String {
    let path = std::env::temp_dir().join(format!(
        "oxmq-test-{}-{}.sock",
        std::process::id(),
        next_n()
    ));
    format!("ipc://{}", path.display())
}

/// The filesystem path of an `ipc://` endpoint.
pub fn ipc_path(endpoint: &str) -> std::path::PathBuf {
    endpoint
        .strip_prefix("ipc://")
        .expect("an ipc endpoint")
        .into()
}

/// A unique `inproc://` endpoint.
pub fn unique_inproc() -> String {
    format!("inproc://test-{}", next_n())
}

/// A tcp port that was free a moment ago (bound to port 0, read, released).
pub fn free_tcp_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

impl Transport {
    /// An endpoint to bind: an ephemeral tcp port, a fresh ipc path, a
    /// fresh inproc name. Connect to what `bind` returns.
    pub fn bind_endpoint(self) -> String {
        match self {
            Transport::Tcp => "tcp://127.0.0.1:0".into(),
            Transport::Ipc => unique_ipc(),
            Transport::Inproc => unique_inproc(),
        }
    }

    /// A concrete endpoint that can be connected to before anything binds
    /// it (tcp: a port that was free a moment ago).
    pub fn fixed_endpoint(self) -> String {
        match self {
            Transport::Tcp => format!("tcp://127.0.0.1:{}", free_tcp_port()),
            Transport::Ipc => unique_ipc(),
            Transport::Inproc => unique_inproc(),
        }
    }
}

/// Runs `fut` with the [`SAFETY`] timeout; panics naming `what` if it
/// does not finish.
pub async fn within<F: Future>(what: &str, fut: F) -> F::Output {
    match tokio::time::timeout(SAFETY, fut).await {
        Ok(out) => out,
        Err(_) => panic!("timed out after {SAFETY:?} waiting for {what}"),
    }
}

/// A transport of `socket_type` with default options.
pub fn socket(ctx: &Context, socket_type: SocketType) -> (SocketTransport, Peers) {
    socket_with(ctx, TransportOptions::new(socket_type))
}

/// A transport with `options`.
pub fn socket_with(ctx: &Context, options: TransportOptions) -> (SocketTransport, Peers) {
    let (t, rx) = SocketTransport::new(ctx, options);
    (t, Peers(rx))
}

/// The stream of peers of one transport.
#[derive(Debug)]
pub struct Peers(pub mpsc::UnboundedReceiver<Peer>);

impl Peers {
    /// The next peer handed to the socket.
    pub async fn next(&mut self) -> Peer {
        within("a new peer", self.0.recv())
            .await
            .expect("the transport is gone")
    }

    /// The next peer, and its first item, which must be `Connected`.
    pub async fn next_connected(&mut self) -> (Peer, Arc<ConnectionInfo>) {
        let mut peer = self.next().await;
        let info = expect_connected(&mut peer).await;
        (peer, info)
    }
}

/// The next item of `peer`, which must be `Connected`.
pub async fn expect_connected(peer: &mut Peer) -> Arc<ConnectionInfo> {
    match within("a Connected marker", peer.rx.recv()).await {
        Some(PipeMsg::Connected(info)) => info,
        other => panic!("expected Connected, got {other:?}"),
    }
}

/// The next item of `peer`, which must be a message.
pub async fn recv_msg(peer: &mut Peer) -> Message {
    match within("a message", peer.rx.recv()).await {
        Some(PipeMsg::Message(m)) => m,
        other => panic!("expected a message, got {other:?}"),
    }
}

/// Sends `msg` to `peer` (waiting for room).
pub async fn send_msg(peer: &Peer, msg: impl Into<Message>) {
    within(
        "room in the pipe",
        peer.tx.send(PipeMsg::Message(msg.into())),
    )
    .await
    .expect("the pipe is closed");
}

/// A one-frame message.
pub fn msg(body: impl Into<Vec<u8>>) -> Message {
    Message::from(body.into())
}

/// The body of a one-frame message.
pub fn body(m: &Message) -> &[u8] {
    assert_eq!(m.len(), 1, "expected a one-frame message, got {m:?}");
    &m[0]
}

/// Waits for the first event of `mon` that `pred` accepts; panics after
/// [`SAFETY`] or when the monitor ends.
pub async fn wait_event(
    mon: &mut MonitorStream,
    what: &str,
    pred: impl Fn(&SocketEvent) -> bool,
) -> SocketEvent {
    within(what, async {
        loop {
            match mon.next().await {
                Some(ev) if pred(&ev) => return ev,
                Some(_) => {}
                None => panic!("monitor ended while waiting for {what}"),
            }
        }
    })
    .await
}

/// Polls `cond` every few milliseconds until it holds. Only for conditions
/// that have no event to wait on.
pub async fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    within(what, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}

/// Number of open file descriptors of this process (Linux).
pub fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .expect("/proc/self/fd")
        .count()
}

// ----- raw ZMTP, for peers driven by hand -----

/// The flag bits of a ZMTP frame header.
pub const FLAG_MORE: u8 = 0x01;
pub const FLAG_LONG: u8 = 0x02;
pub const FLAG_COMMAND: u8 = 0x04;

/// A 64-byte ZMTP 3.1 greeting for the NULL mechanism, as a client.
pub fn null_greeting() -> Vec<u8> {
    let mut g = vec![0xFF, 0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 3, 1];
    let mut mech = [0u8; 20];
    mech[..4].copy_from_slice(b"NULL");
    g.extend_from_slice(&mech);
    g.push(0);
    g.extend_from_slice(&[0u8; 31]);
    assert_eq!(g.len(), 64);
    g
}

/// A frame with `flags` and `body`, short or long as needed.
pub fn frame(flags: u8, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(body.len() + 9);
    if body.len() <= 255 {
        f.push(flags);
        f.push(body.len() as u8);
    } else {
        f.push(flags | FLAG_LONG);
        f.extend_from_slice(&(body.len() as u64).to_be_bytes());
    }
    f.extend_from_slice(body);
    f
}

/// A command frame: `name` then `data`.
pub fn command_frame(name: &[u8], data: &[u8]) -> Vec<u8> {
    let mut body = vec![name.len() as u8];
    body.extend_from_slice(name);
    body.extend_from_slice(data);
    frame(FLAG_COMMAND, &body)
}

/// A READY command announcing `socket_type` and nothing else.
pub fn ready_frame(socket_type: &str) -> Vec<u8> {
    let mut props = Vec::new();
    let name = b"Socket-Type";
    props.push(name.len() as u8);
    props.extend_from_slice(name);
    props.extend_from_slice(&(socket_type.len() as u32).to_be_bytes());
    props.extend_from_slice(socket_type.as_bytes());
    command_frame(b"READY", &props)
}

/// One frame read off a raw stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawFrame {
    pub flags: u8,
    pub body: Vec<u8>,
}

impl RawFrame {
    /// The command name, if this is a command frame.
    pub fn command_name(&self) -> Option<&[u8]> {
        if self.flags & FLAG_COMMAND == 0 {
            return None;
        }
        let n = usize::from(*self.body.first()?);
        self.body.get(1..1 + n)
    }

    /// The bytes after the command name.
    pub fn command_data(&self) -> &[u8] {
        let n = usize::from(self.body[0]);
        &self.body[1 + n..]
    }
}

/// Reads one frame from `s`.
pub async fn read_frame(s: &mut TcpStream) -> io::Result<RawFrame> {
    let flags = s.read_u8().await?;
    let len = if flags & FLAG_LONG != 0 {
        usize::try_from(s.read_u64().await?).expect("frame size fits usize")
    } else {
        usize::from(s.read_u8().await?)
    };
    let mut body = vec![0; len];
    s.read_exact(&mut body).await?;
    Ok(RawFrame { flags, body })
}

/// Completes a NULL handshake by hand as a `socket_type` peer, on either
/// side of a connection (NULL is symmetric): sends greeting + READY, reads
/// the other side's greeting and READY.
pub async fn raw_null_handshake(s: &mut TcpStream, socket_type: &str) {
    let mut hello = null_greeting();
    hello.extend_from_slice(&ready_frame(socket_type));
    s.write_all(&hello).await.expect("raw write");
    let mut greeting = [0u8; 64];
    within("the other side's greeting", s.read_exact(&mut greeting))
        .await
        .expect("read greeting");
    assert_eq!(greeting[0], 0xFF, "greeting signature");
    assert_eq!(&greeting[12..16], b"NULL", "greeting mechanism");
    let ready = within("the other side's READY", read_frame(s))
        .await
        .expect("read READY");
    assert_eq!(ready.command_name(), Some(&b"READY"[..]), "got {ready:?}");
}

/// Connects a raw tcp client to `endpoint` (`tcp://ip:port`) and completes
/// a NULL handshake as a `socket_type` peer. Returns the stream, ready for
/// traffic.
pub async fn raw_null_client(endpoint: &str, socket_type: &str) -> TcpStream {
    let addr = endpoint.strip_prefix("tcp://").expect("a tcp endpoint");
    let mut s = TcpStream::connect(addr).await.expect("raw connect");
    raw_null_handshake(&mut s, socket_type).await;
    s
}

/// How a stream was closed by its peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// An orderly close: `read` returned 0.
    Eof,
    /// A reset (the kernel resets a closed socket that had unread input).
    Reset,
}

/// Reads (and discards) until the peer closes the stream. Panics if
/// anything else happens or it takes longer than [`SAFETY`].
pub async fn wait_closed(s: &mut TcpStream) -> Closed {
    within("the connection to close", async {
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf).await {
                Ok(0) => return Closed::Eof,
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return Closed::Reset,
                Err(e) => panic!("unexpected error while waiting for close: {e}"),
            }
        }
    })
    .await
}

/// Generates one `#[tokio::test]` per transport from an `async fn(Transport)`:
/// `per_transport!(body, tcp, ipc, inproc)` makes `body::tcp`, `body::ipc`
/// and `body::inproc`.
#[macro_export]
macro_rules! per_transport {
    ($body:ident $(, $t:ident)+) => {
        mod $body {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $t() {
                    super::$body($crate::per_transport!(@variant $t)).await
                }
            )+
        }
    };
    (@variant tcp) => { $crate::support::Transport::Tcp };
    (@variant ipc) => { $crate::support::Transport::Ipc };
    (@variant inproc) => { $crate::support::Transport::Inproc };
}
