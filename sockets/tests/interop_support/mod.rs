//! Harness for the libzmq interoperability tests (`interop_matrix.rs`,
//! `interop_protocol.rs`).
//!
//! * The oxmq side runs on a tokio runtime built per cell; the libzmq side
//!   (`oxmq_interop`, blocking) runs on a plain `std::thread` started with
//!   [`spawn_libzmq`], so a stuck libzmq call can never block the runtime's
//!   shutdown (tokio waits for `spawn_blocking` tasks when it is dropped).
//! * Every wait is bounded: libzmq sockets get `RCVTIMEO`/`SNDTIMEO` of
//!   [`SAFETY`], oxmq awaits go through [`within`], and a whole cell has
//!   [`CELL_BUDGET`]. These are safety nets only: healthy runs end every
//!   wait on an event (a message, a monitor event, a gate).
//! * Endpoints: `tcp://127.0.0.1:0` (both libraries resolve port 0 to an
//!   ephemeral port, read back from the bind result or `ZMQ_LAST_ENDPOINT`)
//!   and a fresh `ipc://` path per cell.
//! * [`run_cell`] runs one cell, records its outcome as a row file under
//!   `target/tmp/interop-matrix/<test binary>/<cell>.row` (one file per
//!   cell, so parallel tests never share a file), then re-raises any panic.
//!   `cargo run -p oxmq-sockets --example interop_table` turns the rows of
//!   the latest build into `INTEROP.md`.

// Each test binary uses a different subset of the helpers.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures::FutureExt;
use oxmq_interop as lz;
use oxmq_sockets::{Dealer, Pair, Pub, Pull, Push, Rep, Req, Router, SocketError, Sub, Xpub, Xsub};
use oxmq_transports::{Context, MonitorStream, SocketEvent, TransportOptions};
use oxmq_zmtp::Message;

/// Upper bound of any single wait. Only a safety net.
pub const SAFETY: Duration = Duration::from_secs(20);
/// [`SAFETY`] in milliseconds, for libzmq's `RCVTIMEO` / `SNDTIMEO`.
pub const SAFETY_MS: i32 = 20_000;
/// Upper bound of a whole cell (several waits in a row).
pub const CELL_BUDGET: Duration = Duration::from_secs(60);

// ---------------------------------------------------------------------------
// Matrix dimensions
// ---------------------------------------------------------------------------

/// The transports both libraries speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    Tcp,
    Ipc,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Tcp => "tcp",
            Transport::Ipc => "ipc",
        }
    }

    /// An endpoint to bind: an ephemeral tcp port or a fresh ipc path.
    pub fn bind_endpoint(self) -> String {
        match self {
            Transport::Tcp => "tcp://127.0.0.1:0".to_string(),
            Transport::Ipc => lz::unique_ipc_endpoint(),
        }
    }
}

/// Which side binds (the other connects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binder {
    Oxmq,
    Libzmq,
}

impl Binder {
    pub fn name(self) -> &'static str {
        match self {
            Binder::Oxmq => "oxmq",
            Binder::Libzmq => "libzmq",
        }
    }
}

// ---------------------------------------------------------------------------
// oxmq sockets behind small traits, so flows can be written once
// ---------------------------------------------------------------------------

/// What every oxmq socket type offers. Implement it for a new type with
/// [`ox_socket!`].
#[allow(async_fn_in_trait)]
pub trait OxSocket: Sized {
    /// The ZMTP name, e.g. `"PUSH"`.
    const NAME: &'static str;
    fn create(ctx: &Context) -> Self;
    async fn bind_to(&mut self, endpoint: &str) -> Result<String, SocketError>;
    fn connect_to(&mut self, endpoint: &str) -> Result<(), SocketError>;
    fn options(&mut self, f: impl FnOnce(&mut TransportOptions));
    fn events(&self) -> MonitorStream;
}

/// An oxmq socket that can send.
#[allow(async_fn_in_trait)]
pub trait OxSend: OxSocket {
    async fn send_msg(&mut self, msg: Message) -> Result<(), SocketError>;
}

/// An oxmq socket that can receive.
#[allow(async_fn_in_trait)]
pub trait OxRecv: OxSocket {
    async fn recv_msg(&mut self) -> Result<Message, SocketError>;
}

/// `ox_socket!(Type, "NAME", send, recv)`: implements [`OxSocket`] and the
/// listed capabilities by forwarding to the inherent methods (which may take
/// `&self` or `&mut self`: `&mut Self` coerces).
macro_rules! ox_socket {
    ($ty:ty, $name:literal $(, $cap:ident)*) => {
        impl OxSocket for $ty {
            const NAME: &'static str = $name;
            fn create(ctx: &Context) -> Self {
                <$ty>::new(ctx)
            }
            async fn bind_to(&mut self, endpoint: &str) -> Result<String, SocketError> {
                <$ty>::bind(self, endpoint).await
            }
            fn connect_to(&mut self, endpoint: &str) -> Result<(), SocketError> {
                <$ty>::connect(self, endpoint)
            }
            fn options(&mut self, f: impl FnOnce(&mut TransportOptions)) {
                <$ty>::set_options(self, f)
            }
            fn events(&self) -> MonitorStream {
                <$ty>::monitor(self)
            }
        }
        $(ox_socket!(@cap $ty, $cap);)*
    };
    (@cap $ty:ty, send) => {
        impl OxSend for $ty {
            async fn send_msg(&mut self, msg: Message) -> Result<(), SocketError> {
                <$ty>::send(self, msg).await
            }
        }
    };
    (@cap $ty:ty, recv) => {
        impl OxRecv for $ty {
            async fn recv_msg(&mut self) -> Result<Message, SocketError> {
                <$ty>::recv(self).await
            }
        }
    };
}

ox_socket!(Push, "PUSH", send);
ox_socket!(Pull, "PULL", recv);
ox_socket!(Pair, "PAIR", send, recv);
ox_socket!(Pub, "PUB", send);
ox_socket!(Sub, "SUB", recv);
ox_socket!(Xpub, "XPUB", send, recv);
ox_socket!(Xsub, "XSUB", send, recv);
ox_socket!(Req, "REQ", send, recv);
ox_socket!(Rep, "REP", send, recv);
ox_socket!(Dealer, "DEALER", send, recv);
ox_socket!(Router, "ROUTER", send, recv);

/// An oxmq subscriber (SUB, XSUB) that can subscribe to everything.
#[allow(async_fn_in_trait)]
pub trait OxSubscribe: OxRecv {
    async fn subscribe_all(&mut self);
}

impl OxSubscribe for Sub {
    async fn subscribe_all(&mut self) {
        within("SUB subscribe", Sub::subscribe(self, ""))
            .await
            .expect("SUB subscribe");
    }
}

impl OxSubscribe for Xsub {
    async fn subscribe_all(&mut self) {
        within("XSUB subscribe", Xsub::send(self, vec![1u8]))
            .await
            .expect("XSUB subscribe");
    }
}

/// Makes a libzmq SUB or XSUB subscribe to everything.
pub fn lz_subscribe_all(s: &lz::Socket) {
    match s.socket_type() {
        lz::SocketType::Sub => s.subscribe(b"").expect("ZMQ_SUBSCRIBE"),
        lz::SocketType::XSub => s.send(&[1], 0).expect("XSUB subscribe"),
        other => panic!("{other:?} does not subscribe"),
    }
}

// ---------------------------------------------------------------------------
// libzmq side
// ---------------------------------------------------------------------------

/// A libzmq socket with bounded blocking calls: `RCVTIMEO` and `SNDTIMEO` of
/// [`SAFETY`], and `LINGER` 0 (tests always wait for the peer to confirm
/// receipt before closing, so nothing is ever left to linger for; a
/// premature close shows up as a lost message rather than being masked).
pub fn lz_socket(ctx: &lz::Context, kind: lz::SocketType) -> lz::Socket {
    let s = ctx.socket(kind).expect("zmq_socket");
    s.set_rcvtimeo(SAFETY_MS).expect("RCVTIMEO");
    s.set_sndtimeo(SAFETY_MS).expect("SNDTIMEO");
    s.set_linger(0).expect("LINGER");
    s
}

/// The endpoint two sockets were linked on. Dropping it removes an ipc
/// socket file: libzmq 4.3.5 only unlinks the files of `ipc://*` wildcard
/// binds when it closes a listener, so named ones would pile up in /tmp.
#[derive(Debug)]
pub struct Linked {
    pub endpoint: String,
}

impl Drop for Linked {
    fn drop(&mut self) {
        if let Some(path) = self.endpoint.strip_prefix("ipc://") {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Links an oxmq socket and a libzmq socket over `transport`; `binder`
/// binds first, then the other side connects to the resolved endpoint.
/// Keep the result alive until the end of the test.
pub async fn link<S: OxSocket>(
    ox: &mut S,
    lzs: &lz::Socket,
    transport: Transport,
    binder: Binder,
) -> Linked {
    let wanted = transport.bind_endpoint();
    let endpoint = match binder {
        Binder::Oxmq => {
            let ep = within("oxmq bind", ox.bind_to(&wanted))
                .await
                .unwrap_or_else(|e| panic!("oxmq bind {wanted}: {e}"));
            lzs.connect(&ep)
                .unwrap_or_else(|e| panic!("libzmq connect {ep}: {e}"));
            ep
        }
        Binder::Libzmq => {
            lzs.bind(&wanted)
                .unwrap_or_else(|e| panic!("libzmq bind {wanted}: {e}"));
            let ep = lzs.last_endpoint().expect("ZMQ_LAST_ENDPOINT");
            ox.connect_to(&ep)
                .unwrap_or_else(|e| panic!("oxmq connect {ep}: {e}"));
            ep
        }
    };
    Linked { endpoint }
}

/// A libzmq peer running on its own thread.
#[derive(Debug)]
pub struct LibzmqPeer<T> {
    name: String,
    rx: tokio::sync::oneshot::Receiver<std::thread::Result<T>>,
}

/// Runs `f` (blocking libzmq code) on a new thread.
pub fn spawn_libzmq<T, F>(name: &str, f: F) -> LibzmqPeer<T>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name(format!("libzmq-{name}"))
        .spawn(move || {
            let _ = tx.send(catch_unwind(AssertUnwindSafe(f)));
        })
        .expect("spawn libzmq thread");
    LibzmqPeer {
        name: name.to_string(),
        rx,
    }
}

impl<T> LibzmqPeer<T> {
    /// Waits (bounded) for the thread's result; re-raises its panic.
    pub async fn join(self) -> T {
        let what = format!("libzmq peer {}", self.name);
        match within(&what, self.rx).await {
            Ok(Ok(v)) => v,
            Ok(Err(panic)) => resume_unwind(panic),
            Err(_) => panic!("{what}: thread vanished"),
        }
    }
}

/// A one-shot signal from the test (async) to a libzmq thread (blocking).
pub fn gate() -> (GateOpener, GateWaiter) {
    let (tx, rx) = mpsc::channel();
    (
        GateOpener(tx),
        GateWaiter {
            rx,
            open: std::cell::Cell::new(false),
        },
    )
}

#[derive(Debug)]
pub struct GateOpener(mpsc::Sender<()>);

impl GateOpener {
    pub fn open(self) {
        let _ = self.0.send(());
    }
}

#[derive(Debug)]
pub struct GateWaiter {
    rx: mpsc::Receiver<()>,
    open: std::cell::Cell<bool>,
}

impl GateWaiter {
    /// Whether the gate is open (or its opener gone), without waiting.
    pub fn is_open(&self) -> bool {
        if !self.open.get() && !matches!(self.rx.try_recv(), Err(mpsc::TryRecvError::Empty)) {
            self.open.set(true);
        }
        self.open.get()
    }

    /// Blocks until the gate opens (or its opener is dropped, which happens
    /// when the test failed), at most [`SAFETY`].
    pub fn wait(self) {
        if self.open.get() {
            return;
        }
        match self.rx.recv_timeout(SAFETY) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("gate not opened within {SAFETY:?}"),
        }
    }
}

/// Receives one message from libzmq within [`SAFETY`], or panics with `what`.
pub fn lz_recv(s: &lz::Socket, what: &str) -> Vec<Vec<u8>> {
    s.recv_multipart_timeout(SAFETY)
        .unwrap_or_else(|e| panic!("libzmq recv ({what}): {e}"))
}

/// Sends one message through libzmq (bounded by `SNDTIMEO`).
pub fn lz_send(s: &lz::Socket, frames: &[Vec<u8>], what: &str) {
    s.send_multipart(frames)
        .unwrap_or_else(|e| panic!("libzmq send ({what}): {e}"));
}

/// Queues a message on a libzmq client whose connection is about to be
/// refused, if it still can: libzmq tears down the pipe of a session whose
/// handshake failed (and does not reconnect), so when the refusal comes
/// first there is nowhere to queue it and that is not a failure. Returns
/// whether it was queued.
pub fn lz_send_unless_refused(s: &lz::Socket, frames: &[Vec<u8>]) -> bool {
    match s.send_multipart_flags(frames, lz::flags::DONTWAIT) {
        Ok(()) => true,
        Err(e) if e.is_again() => false,
        Err(e) => panic!("libzmq send: {e}"),
    }
}

/// libzmq monitor events already queued (no waiting).
pub fn lz_drain(mon: &lz::Monitor) -> Vec<lz::MonitorEvent> {
    std::iter::from_fn(|| mon.next_event(Duration::ZERO).ok()).collect()
}

/// Waits for a libzmq monitor event in `mask`, returning it with the events
/// skipped on the way.
pub fn lz_wait_event(mon: &lz::Monitor, mask: u16) -> lz::MonitorEvent {
    let deadline = Instant::now() + SAFETY;
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match mon.next_event(left) {
            Ok(ev) if ev.event & mask != 0 => return ev,
            Ok(ev) => seen.push(ev.name()),
            Err(e) => panic!("no libzmq event in mask {mask:#06x} ({e}); saw {seen:?}"),
        }
    }
}

// ---------------------------------------------------------------------------
// oxmq side
// ---------------------------------------------------------------------------

/// Awaits `fut` for at most [`SAFETY`]; panics naming `what` on expiry.
pub async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    match tokio::time::timeout(SAFETY, fut).await {
        Ok(v) => v,
        Err(_) => panic!("timed out after {SAFETY:?}: {what}"),
    }
}

/// Sends through oxmq, bounded.
pub async fn ox_send<S: OxSend>(s: &mut S, frames: &[Vec<u8>], what: &str) {
    within(
        &format!("oxmq send ({what})"),
        s.send_msg(to_message(frames)),
    )
    .await
    .unwrap_or_else(|e| panic!("oxmq send ({what}): {e}"));
}

/// Receives through oxmq, bounded.
pub async fn ox_recv<S: OxRecv>(s: &mut S, what: &str) -> Vec<Vec<u8>> {
    let m = within(&format!("oxmq recv ({what})"), s.recv_msg())
        .await
        .unwrap_or_else(|e| panic!("oxmq recv ({what}): {e}"));
    from_message(m)
}

/// A message oxmq has already received, if any (no waiting).
pub fn ox_try_recv<S: OxRecv>(s: &mut S) -> Option<Vec<Vec<u8>>> {
    s.recv_msg()
        .now_or_never()
        .map(|r| from_message(r.expect("oxmq recv")))
}

/// oxmq monitor events already emitted (no waiting).
pub fn ox_drain(mon: &mut MonitorStream) -> Vec<SocketEvent> {
    std::iter::from_fn(|| mon.next().now_or_never().flatten()).collect()
}

/// Waits for an oxmq monitor event matching `pred`, bounded.
pub async fn ox_wait_event(
    mon: &mut MonitorStream,
    what: &str,
    pred: impl Fn(&SocketEvent) -> bool,
) -> SocketEvent {
    let mut seen = Vec::new();
    let found = tokio::time::timeout(SAFETY, async {
        while let Some(ev) = mon.next().await {
            if pred(&ev) {
                return Some(ev);
            }
            seen.push(ev);
        }
        None
    })
    .await;
    match found {
        Ok(Some(ev)) => ev,
        Ok(None) => panic!("oxmq monitor ended before {what}; saw {seen:#?}"),
        Err(_) => panic!("no oxmq event {what} within {SAFETY:?}; saw {seen:#?}"),
    }
}

// ---------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------

pub fn to_message(frames: &[Vec<u8>]) -> Message {
    frames.iter().cloned().collect()
}

pub fn from_message(m: Message) -> Vec<Vec<u8>> {
    m.into_frames().map(|b| b.to_vec()).collect()
}

/// One message of the corpus.
#[derive(Debug, Clone)]
pub struct CorpusItem {
    pub name: &'static str,
    pub frames: Vec<Vec<u8>>,
}

/// Deterministic, non-repeating-looking bytes (so a shifted or truncated
/// frame cannot compare equal by accident).
pub fn pattern_bytes(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i.wrapping_mul(31) as u8) ^ seed.wrapping_add((i >> 8) as u8))
        .collect()
}

/// The messages every matrix cell exchanges, in this order.
pub fn corpus() -> Vec<CorpusItem> {
    vec![
        CorpusItem {
            name: "single frame \"hello\"",
            frames: vec![b"hello".to_vec()],
        },
        CorpusItem {
            name: "multipart [\"a\", \"\", \"c\"]",
            frames: vec![b"a".to_vec(), Vec::new(), b"c".to_vec()],
        },
        CorpusItem {
            name: "one empty frame",
            frames: vec![Vec::new()],
        },
        CorpusItem {
            name: "255 bytes (largest SHORT frame)",
            frames: vec![pattern_bytes(255, 1)],
        },
        CorpusItem {
            name: "binary 0..=255 (256 bytes, LONG)",
            frames: vec![(0..=255u8).collect()],
        },
        CorpusItem {
            name: "300 bytes (LONG)",
            frames: vec![pattern_bytes(300, 2)],
        },
        CorpusItem {
            name: "1 MiB",
            frames: vec![pattern_bytes(1 << 20, 3)],
        },
        CorpusItem {
            name: "multipart with a 70000-byte middle frame",
            frames: vec![b"head".to_vec(), pattern_bytes(70_000, 4), Vec::new()],
        },
    ]
}

/// Short description of a message for failure messages (no megabyte dumps).
pub fn describe(frames: &[Vec<u8>]) -> String {
    let parts: Vec<String> = frames
        .iter()
        .map(|f| {
            if f.len() <= 16 {
                format!("{:?}", String::from_utf8_lossy(f))
            } else {
                format!("<{} bytes {:02x?}…>", f.len(), &f[..8])
            }
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// The corpus as a sentence, for the table's notes.
pub fn corpus_summary() -> String {
    let names: Vec<&str> = corpus().iter().map(|c| c.name).collect();
    format!(
        "Each cell sends the {}-message corpus and checks every frame of every message, in order: {}.",
        names.len(),
        names.join("; ")
    )
}

/// Asserts that `got` is exactly the corpus, in order.
pub fn assert_corpus(direction: &str, got: &[Vec<Vec<u8>>]) {
    let expected = corpus();
    for (i, item) in expected.iter().enumerate() {
        let Some(g) = got.get(i) else {
            panic!(
                "{direction}: message {i} ({}) missing; got {} messages",
                item.name,
                got.len()
            );
        };
        if *g != item.frames {
            let first_diff = g
                .iter()
                .zip(&item.frames)
                .position(|(a, b)| a != b)
                .map_or_else(
                    || "frame count differs".to_string(),
                    |k| format!("frame {k} differs"),
                );
            panic!(
                "{direction}: message {i} ({}) wrong ({first_diff}): expected {}, got {}",
                item.name,
                describe(&item.frames),
                describe(g)
            );
        }
    }
    assert_eq!(
        got.len(),
        expected.len(),
        "{direction}: extra messages received"
    );
}

// ---------------------------------------------------------------------------
// Recording outcomes
// ---------------------------------------------------------------------------

/// The description of one cell, written to its row file.
#[derive(Debug, Clone)]
pub struct Row {
    /// Table the row belongs to, e.g. `"Socket patterns"`.
    pub section: &'static str,
    /// Sort key of the section among sections.
    pub section_rank: u32,
    /// A sentence shown under the section's heading.
    pub note: String,
    /// Sort key of the row within its section.
    pub rank: u32,
    /// The test's name, unique within the test binary.
    pub cell: String,
    /// Column name → value, in display order.
    pub columns: Vec<(&'static str, String)>,
    /// For a test kept `#[ignore]`d because of a known oxmq bug: the bug.
    /// Its failure is then shown as "known bug" rather than a regression
    /// (when run with `--include-ignored`).
    pub known_bug: Option<&'static str>,
}

/// Where row files go: `target/tmp/interop-matrix/<test binary>/`.
pub fn rows_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("interop-matrix")
        .join(env!("CARGO_CRATE_NAME"))
}

/// Identifies the build of this test binary (its modification time), so
/// the table generator can ignore rows left by older builds.
fn build_id() -> String {
    std::env::current_exe()
        .and_then(std::fs::metadata)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map_or_else(|| "unknown".to_string(), |d| d.as_nanos().to_string())
}

fn one_line(s: &str) -> String {
    s.replace(['\n', '\r', '\t'], " ")
}

fn write_row(row: &Row, passed: bool, elapsed: Duration, detail: &str) {
    let dir = rows_dir();
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("cannot create {}: {e}", dir.display());
        return;
    }
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut text = format!(
        "section={}\nsection_rank={}\nnote={}\nrank={}\ncell={}\nresult={}\nmillis={}\nbuild={}\nfinished={now}\n",
        row.section,
        row.section_rank,
        one_line(&row.note),
        row.rank,
        row.cell,
        if passed { "pass" } else { "FAIL" },
        elapsed.as_millis(),
        build_id(),
    );
    for (k, v) in &row.columns {
        text.push_str(&format!("col.{k}={}\n", one_line(v)));
    }
    if let Some(bug) = row.known_bug {
        text.push_str(&format!("known_bug={}\n", one_line(bug)));
    }
    text.push_str(&format!("detail={}\n", one_line(detail)));
    let file = dir.join(format!("{}.row", row.cell.replace("::", "__")));
    // Write then rename, so the generator never reads half a file.
    let tmp = file.with_extension(format!("row.{}.tmp", std::process::id()));
    if let Err(e) = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, &file)) {
        eprintln!("cannot write {}: {e}", file.display());
    }
}

fn panic_text(p: &(dyn std::any::Any + Send)) -> String {
    p.downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| p.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic".to_string())
}

/// Runs one cell on a fresh 2-worker tokio runtime within [`CELL_BUDGET`],
/// records its row (pass or fail, with the panic message), and re-raises a
/// failure so the `#[test]` fails.
pub fn run_cell<F, Fut>(row: Row, body: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = ()>,
{
    let start = Instant::now();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime");
        rt.block_on(async {
            if tokio::time::timeout(CELL_BUDGET, body()).await.is_err() {
                panic!("cell exceeded its budget of {CELL_BUDGET:?}");
            }
        });
    }));
    let elapsed = start.elapsed();
    match outcome {
        Ok(()) => write_row(&row, true, elapsed, ""),
        Err(p) => {
            write_row(&row, false, elapsed, &panic_text(&*p));
            resume_unwind(p);
        }
    }
}

/// The name of the calling test function, e.g.
/// `oxmq_push_libzmq_pull::oxmq_binds::tcp` (module path below the crate).
macro_rules! cell_name {
    () => {{
        fn f() {}
        let name = std::any::type_name_of_val(&f);
        let name = name.strip_suffix("::f").unwrap_or(name);
        name.split_once("::")
            .map_or(name, |(_, rest)| rest)
            .to_string()
    }};
}
