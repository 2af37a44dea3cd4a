//! What every bench shares: the three implementations, the transports,
//! endpoints, the one tokio runtime, the payloads, and the [`Rig`] that
//! drives persistent sender/receiver workers so that criterion only times
//! message traffic (sockets, connections and handshakes are set up once,
//! outside the timed loop).
//!
//! Settings shared by oxmq, libzmq and zmq.rs:
//!
//! - **Threads.** libzmq gets one I/O thread (`ZMQ_IO_THREADS` = 1, its
//!   default) and the application threads the scenario needs. oxmq and
//!   zmq.rs run on one tokio multi-thread runtime of [`WORKERS`] = 2 worker
//!   threads — one for "I/O", one for "the application", the same core
//!   count libzmq keeps busy with one I/O thread plus one application
//!   thread (and the number of cores of the machines this is meant for).
//! - **HWM.** [`HWM`] = 1000 messages (libzmq's default) on both sides of
//!   every oxmq and libzmq socket. zmq.rs has no HWM option: its per-peer
//!   queues hold 100,000 messages.
//! - **Payload.** One constant buffer of `b'x'`: libzmq sends it as a
//!   constant message (`zmq_msg_init_data` without a free function — no
//!   copy, no allocation), oxmq and zmq.rs as `Bytes::from_static` (the
//!   same). Receivers look at every message's size.
//! - **Linger.** 0 everywhere; every rig tears down between benchmarks.

#![allow(dead_code)] // each bench target uses its own subset

use std::any::Any;
use std::error::Error;
use std::fmt::Display;
use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, OnceLock};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Criterion};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

/// Errors of worker bodies.
pub(crate) type BoxError = Box<dyn Error + Send + Sync>;

/// Worker threads of the tokio runtime oxmq and zmq.rs run on.
pub(crate) const WORKERS: usize = 2;

/// High-water mark (messages) for oxmq and libzmq sockets, both directions.
pub(crate) const HWM: usize = 1000;

/// How long one order may take before the bench gives up (a safety net
/// against hangs; never a measured limit).
const ORDER_LIMIT: Duration = Duration::from_secs(120);

/// The message sizes of the PUSH/PULL and REQ/REP matrices.
pub(crate) const SIZES: [usize; 5] = [8, 100, 1024, 64 * 1024, 1024 * 1024];

/// `8B`, `100B`, `1KiB`, `64KiB`, `1MiB`.
pub(crate) fn size_label(size: usize) -> String {
    if size >= 1024 * 1024 && size % (1024 * 1024) == 0 {
        format!("{}MiB", size / (1024 * 1024))
    } else if size >= 1024 && size % 1024 == 0 {
        format!("{}KiB", size / 1024)
    } else {
        format!("{size}B")
    }
}

/// The implementations compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Imp {
    /// This crate.
    Oxmq,
    /// libzmq 4.3.5 through the test-only `oxmq-interop` crate.
    Libzmq,
    /// zmq.rs (crate `zeromq`) on tokio.
    ZmqRs,
}

impl Imp {
    pub(crate) const ALL: [Imp; 3] = [Imp::Oxmq, Imp::Libzmq, Imp::ZmqRs];

    /// The criterion function id (and report column).
    pub(crate) fn id(self) -> &'static str {
        match self {
            Imp::Oxmq => "oxmq",
            Imp::Libzmq => "libzmq",
            Imp::ZmqRs => "zmqrs",
        }
    }

    /// Whether the implementation has `transport`: zmq.rs has no inproc.
    pub(crate) fn supports(self, transport: Transport) -> bool {
        !(self == Imp::ZmqRs && transport == Transport::Inproc)
    }
}

/// The transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Transport {
    Inproc,
    Ipc,
    Tcp,
}

impl Transport {
    pub(crate) const ALL: [Transport; 3] = [Transport::Inproc, Transport::Ipc, Transport::Tcp];

    pub(crate) fn name(self) -> &'static str {
        match self {
            Transport::Inproc => "inproc",
            Transport::Ipc => "ipc",
            Transport::Tcp => "tcp",
        }
    }
}

static PLACE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// An endpoint to bind, and the ipc socket file to remove afterwards.
#[derive(Debug)]
pub(crate) struct Place {
    /// What to bind (`tcp://127.0.0.1:0`, `ipc:///tmp/…`, `inproc://…`).
    pub(crate) endpoint: String,
    path: Option<PathBuf>,
}

impl Place {
    pub(crate) fn new(transport: Transport, label: &str) -> Place {
        let n = PLACE_COUNTER.fetch_add(1, Ordering::Relaxed);
        let pid = std::process::id();
        match transport {
            Transport::Inproc => Place {
                endpoint: format!("inproc://bench-{label}-{n}"),
                path: None,
            },
            Transport::Ipc => {
                let path = std::env::temp_dir().join(format!("oxmq-bench-{pid}-{label}-{n}.sock"));
                let _ = std::fs::remove_file(&path);
                Place {
                    endpoint: format!("ipc://{}", path.display()),
                    path: Some(path),
                }
            }
            Transport::Tcp => Place {
                endpoint: "tcp://127.0.0.1:0".to_string(),
                path: None,
            },
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The tokio runtime of oxmq and zmq.rs: [`WORKERS`] worker threads, built
/// once, outside every timed loop.
pub(crate) fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(WORKERS)
            .enable_all()
            .build()
            .expect("tokio runtime")
    })
}

/// The options of every oxmq socket of the benches: [`HWM`] both ways,
/// linger 0.
pub(crate) fn oxmq_options(o: &mut oxmq::TransportOptions) {
    o.sndhwm = HWM;
    o.rcvhwm = HWM;
    o.linger = Some(Duration::ZERO);
}

/// `size` bytes of `b'x'`, living for the whole run.
pub(crate) fn payload(size: usize) -> &'static [u8] {
    static PAYLOAD: OnceLock<Vec<u8>> = OnceLock::new();
    let all = PAYLOAD.get_or_init(|| vec![b'x'; 1024 * 1024]);
    assert!(size <= all.len(), "payloads are at most 1 MiB");
    &all[..size]
}

/// Checks a received frame's size.
pub(crate) fn expect_size(got: usize, want: usize) -> Result<(), BoxError> {
    if got == want {
        Ok(())
    } else {
        Err(format!("received {got} bytes, expected {want}").into())
    }
}

/// Raises the soft limit of open files to the hard limit (1,000 TCP
/// subscribers need about 4,000 descriptors with libzmq).
pub(crate) fn raise_fd_limit() -> u64 {
    rlimit::increase_nofile_limit(u64::MAX).unwrap_or(0)
}

/// Whether this process runs as `cargo bench` (criterion's benchmark mode)
/// rather than `cargo test` (test mode: every bench once, tiny).
pub(crate) fn bench_mode() -> bool {
    let args: Vec<String> = std::env::args().collect();
    args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--test")
}

/// The criterion settings of every bench: small samples so the whole
/// matrix takes minutes (command-line options such as `--sample-size`,
/// `--warm-up-time` and `--measurement-time` override them).
pub(crate) fn config() -> Criterion {
    raise_fd_limit();
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

// ---------------------------------------------------------------------------
// Workers and orders
// ---------------------------------------------------------------------------

/// The worker's side of a [`Remote`]: orders ("do `n` units") come in,
/// `done` reports go out.
#[derive(Debug)]
pub(crate) struct Orders {
    rx: mpsc::UnboundedReceiver<u64>,
    done: std_mpsc::Sender<Result<(), String>>,
}

impl Orders {
    /// The next order; `None` when the rig is being torn down.
    pub(crate) async fn next(&mut self) -> Option<u64> {
        self.rx.recv().await
    }

    /// The next order, from a plain thread.
    pub(crate) fn next_blocking(&mut self) -> Option<u64> {
        self.rx.blocking_recv()
    }

    /// Reports the end of set-up (once) or of an order.
    pub(crate) fn done(&self) {
        let _ = self.done.send(Ok(()));
    }
}

/// A worker (task or thread) owned by a [`Rig`].
#[derive(Debug)]
pub(crate) struct Remote {
    label: String,
    orders: Option<mpsc::UnboundedSender<u64>>,
    done: std_mpsc::Receiver<Result<(), String>>,
    task: Option<tokio::task::JoinHandle<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn channel(label: &str) -> (Remote, Orders) {
    let (orders_tx, orders_rx) = mpsc::unbounded_channel();
    let (done_tx, done_rx) = std_mpsc::channel();
    (
        Remote {
            label: label.to_string(),
            orders: Some(orders_tx),
            done: done_rx,
            task: None,
            thread: None,
        },
        Orders {
            rx: orders_rx,
            done: done_tx,
        },
    )
}

fn failure(label: &str, e: impl Display) -> Result<(), String> {
    Err(format!("{label}: {e}"))
}

/// Runs `body` as a task on [`runtime`]. It must call [`Orders::done`]
/// once when set up, then once per order.
pub(crate) fn spawn_task<F, Fut>(label: &str, body: F) -> Remote
where
    F: FnOnce(Orders) -> Fut,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    let (mut remote, orders) = channel(label);
    let report = orders.done.clone();
    let name = label.to_string();
    let fut = body(orders);
    remote.task = Some(runtime().spawn(async move {
        if let Err(e) = fut.await {
            let _ = report.send(failure(&name, e));
        }
    }));
    remote
}

/// Runs `body` on a thread of its own (libzmq application threads).
pub(crate) fn spawn_thread<F>(label: &str, body: F) -> Remote
where
    F: FnOnce(Orders) -> Result<(), BoxError> + Send + 'static,
{
    let (mut remote, orders) = channel(label);
    let report = orders.done.clone();
    let name = label.to_string();
    remote.thread = Some(
        std::thread::Builder::new()
            .name(label.to_string())
            .spawn(move || {
                if let Err(e) = body(orders) {
                    let _ = report.send(failure(&name, e));
                }
            })
            .expect("spawn a bench thread"),
    );
    remote
}

impl Remote {
    /// Orders `n` units.
    pub(crate) fn order(&self, n: u64) {
        if let Some(tx) = &self.orders {
            tx.send(n)
                .unwrap_or_else(|_| panic!("{}: worker is gone", self.label));
        }
    }

    /// Waits for the next `done` report.
    pub(crate) fn wait(&self) {
        match self.done.recv_timeout(ORDER_LIMIT) {
            Ok(Ok(())) => {}
            Ok(Err(e)) => panic!("{e}"),
            Err(e) => panic!("{}: no report ({e})", self.label),
        }
    }
}

impl Drop for Remote {
    fn drop(&mut self) {
        // Closing the order channel ends the worker's loop.
        self.orders = None;
        if std::thread::panicking() {
            // A worker may be stuck mid-order: do not wait for it.
            if let Some(task) = self.task.take() {
                task.abort();
            }
            return;
        }
        if let Some(task) = self.task.take() {
            let _ = runtime().block_on(task);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Ok(Err(e)) = self.done.try_recv() {
            panic!("{e}");
        }
    }
}

/// How a rig splits `n` timed units among its workers: the order for each
/// worker, and how many units that really is (for splits that round up).
pub(crate) type Plan = Box<dyn Fn(u64) -> (Vec<u64>, u64) + Send>;

/// Every worker gets `n`.
pub(crate) fn plan_all(workers: usize) -> Plan {
    Box::new(move |n| (vec![n; workers], n))
}

/// Persistent workers for one benchmark, set up once; [`Rig::run`] is
/// what criterion times.
pub(crate) struct Rig {
    workers: Vec<Remote>,
    plan: Plan,
    teardown: Option<Box<dyn FnOnce() + Send>>,
    keep: Vec<Box<dyn Any + Send>>,
}

impl Rig {
    /// Waits for every worker to report its set-up done.
    pub(crate) fn new(workers: Vec<Remote>, plan: Plan) -> Rig {
        for w in &workers {
            w.wait();
        }
        Rig {
            workers,
            plan,
            teardown: None,
            keep: Vec::new(),
        }
    }

    /// Runs `f` after every worker has ended (e.g. `Context::term`).
    pub(crate) fn on_teardown(mut self, f: impl FnOnce() + Send + 'static) -> Rig {
        self.teardown = Some(Box::new(f));
        self
    }

    /// Keeps `value` (a [`Place`], a libzmq context…) until after teardown.
    pub(crate) fn keep(mut self, value: impl Any + Send) -> Rig {
        self.keep.push(Box::new(value));
        self
    }

    /// Orders `n` units and returns the wall time until every worker is
    /// done, scaled to exactly `n` units.
    pub(crate) fn run(&mut self, n: u64) -> Duration {
        let (orders, actual) = (self.plan)(n);
        let start = Instant::now();
        for (w, &units) in self.workers.iter().zip(&orders) {
            w.order(units);
        }
        for w in &self.workers {
            w.wait();
        }
        let elapsed = start.elapsed();
        if actual == n {
            elapsed
        } else {
            elapsed.mul_f64(n as f64 / actual.max(1) as f64)
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.workers.clear();
        if let Some(f) = self.teardown.take() {
            f();
        }
        self.keep.clear();
    }
}

/// Registers one benchmark whose rig is built by `make` the first time
/// criterion runs it (so filtered-out benchmarks build nothing) and kept
/// for all its samples; one iteration is one unit of the rig's plan.
pub(crate) fn bench_rig(
    group: &mut BenchmarkGroup<'_, WallTime>,
    id: BenchmarkId,
    make: impl FnOnce() -> Rig,
) {
    let mut make = Some(make);
    let mut rig: Option<Rig> = None;
    group.bench_function(id, |b| {
        if rig.is_none() {
            if let Some(make) = make.take() {
                rig = Some(make());
            }
        }
        let rig = rig.as_mut().expect("rig built");
        b.iter_custom(|n| rig.run(n));
    });
}

/// The arrival side of a fan-out: lets a sender keep at most two batches
/// of messages in flight to many receivers (so that no PUB ever reaches
/// its HWM and drops). Receivers report each batch they complete; the
/// sender waits, before sending batch `k + 2`, until every receiver has
/// completed batch `k`.
#[derive(Debug)]
pub(crate) struct Credit {
    receivers: u64,
    /// Receivers that completed batch `k`, at `k % 3`.
    completed: [AtomicU64; 3],
    notify: tokio::sync::Notify,
}

impl Credit {
    pub(crate) fn new(receivers: usize) -> Arc<Credit> {
        Arc::new(Credit {
            receivers: receivers as u64,
            completed: Default::default(),
            notify: tokio::sync::Notify::new(),
        })
    }

    /// A receiver completed batch `k`.
    pub(crate) fn complete(&self, k: u64) {
        let slot = &self.completed[(k % 3) as usize];
        if slot.fetch_add(1, Ordering::AcqRel) + 1 == self.receivers {
            self.notify.notify_one();
        }
    }

    /// Waits until every receiver completed batch `k`, then recycles its
    /// slot (for batch `k + 3`, which cannot have been sent yet).
    pub(crate) async fn wait(&self, k: u64) {
        let slot = &self.completed[(k % 3) as usize];
        while slot.load(Ordering::Acquire) < self.receivers {
            self.notify.notified().await;
        }
        slot.store(0, Ordering::Release);
    }

    /// Before sending batch `k`: waits until batch `k - 2` is complete.
    pub(crate) async fn before_batch(&self, k: u64) {
        if k >= 2 {
            self.wait(k - 2).await;
        }
    }

    /// After sending all `n` messages of an order: waits until the last
    /// (at most two) batches are complete, i.e. everything is delivered
    /// (and every slot is clean for the next order).
    pub(crate) async fn finish(&self, n: u64) {
        let sent = n.div_ceil(BATCH);
        for k in sent.saturating_sub(2)..sent {
            self.wait(k).await;
        }
    }
}

/// Messages per fan-out batch. Two batches in flight stay well under
/// [`HWM`]: libzmq's writer learns what its reader consumed only every
/// HWM/2 messages, so its view of a pipe can lag by that much.
pub(crate) const BATCH: u64 = (HWM / 4) as u64;

/// The batches of an order of `n` messages: `(index, size)`.
pub(crate) fn batches(n: u64) -> impl Iterator<Item = (u64, u64)> {
    (0..n.div_ceil(BATCH)).map(move |k| (k, BATCH.min(n - k * BATCH)))
}

/// After a receiver's `received`-th message of an order of `n`: the batch
/// that message completed, if any.
pub(crate) fn completed_batch(received: u64, n: u64) -> Option<u64> {
    (received % BATCH == 0 || received == n).then(|| (received - 1) / BATCH)
}

/// What a publisher sends until every subscriber is listening (payloads
/// are `b'x'`, so a leading zero octet tells a probe apart).
pub(crate) const PROBE: &[u8] = b"\0probe";

/// Whether a received frame is a [`PROBE`].
pub(crate) fn is_probe(frame: &[u8]) -> bool {
    frame.first() == Some(&0)
}

/// One oxmq PUSH streaming `size`-byte messages to one PULL bound at
/// `place` (pipeline.rs, curve.rs). Both get [`oxmq_options`], then
/// `pull_opts` / `push_opts` (e.g. a CURVE mechanism); `label` names the
/// workers.
pub(crate) fn oxmq_pushpull_rig(
    place: Place,
    size: usize,
    label: &str,
    pull_opts: impl FnOnce(&mut oxmq::TransportOptions),
    push_opts: impl FnOnce(&mut oxmq::TransportOptions),
) -> Rig {
    let ctx = oxmq::Context::new();
    let (mut pull, mut push) = runtime()
        .block_on(async {
            let pull = oxmq::Pull::new(&ctx);
            pull.set_options(|o| {
                oxmq_options(o);
                pull_opts(o);
            });
            let endpoint = pull.bind(&place.endpoint).await?;
            let push = oxmq::Push::new(&ctx);
            push.set_options(|o| {
                oxmq_options(o);
                push_opts(o);
            });
            push.connect(&endpoint)?;
            Ok::<_, BoxError>((pull, push))
        })
        .expect("oxmq set-up");
    let receiver = spawn_task(&format!("{label} PULL"), move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                let msg = pull.recv().await?;
                expect_size(msg[0].len(), size)?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = bytes::Bytes::from_static(payload(size));
    let sender = spawn_task(&format!("{label} PUSH"), move |mut orders| async move {
        orders.done();
        while let Some(n) = orders.next().await {
            for _ in 0..n {
                push.send(body.clone()).await?;
            }
            orders.done();
        }
        Ok(())
    });
    let term = ctx.clone();
    Rig::new(vec![receiver, sender], plan_all(2))
        .on_teardown(move || runtime().block_on(term.term()))
        .keep(place)
}

/// The libzmq twin of [`oxmq_pushpull_rig`]: one I/O thread, a thread per
/// socket; `pull_opts` runs before the bind, `push_opts` before the
/// connect.
pub(crate) fn libzmq_pushpull_rig(
    place: Place,
    size: usize,
    label: &str,
    pull_opts: impl FnOnce(&oxmq_interop::Socket),
    push_opts: impl FnOnce(&oxmq_interop::Socket),
) -> Rig {
    use oxmq_interop::{MessageBuf, SocketType};
    let ctx = oxmq_interop::Context::new();
    ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)
        .expect("ZMQ_IO_THREADS");
    let pull = ctx.socket(SocketType::Pull).expect("PULL");
    pull.set_linger(0).expect("linger");
    pull.set_rcvhwm(HWM as i32).expect("rcvhwm");
    pull_opts(&pull);
    pull.bind(&place.endpoint).expect("bind");
    let endpoint = pull.last_endpoint().expect("endpoint");
    let push = ctx.socket(SocketType::Push).expect("PUSH");
    push.set_linger(0).expect("linger");
    push.set_sndhwm(HWM as i32).expect("sndhwm");
    push_opts(&push);
    push.connect(&endpoint).expect("connect");
    let receiver = spawn_thread(&format!("{label} PULL"), move |mut orders| {
        let mut buf = MessageBuf::new();
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for _ in 0..n {
                let len = pull.recv_into(&mut buf, 0)?;
                expect_size(len, size)?;
            }
            orders.done();
        }
        Ok(())
    });
    let body = payload(size);
    let sender = spawn_thread(&format!("{label} PUSH"), move |mut orders| {
        orders.done();
        while let Some(n) = orders.next_blocking() {
            for _ in 0..n {
                push.send_static(body, 0)?;
            }
            orders.done();
        }
        Ok(())
    });
    Rig::new(vec![receiver, sender], plan_all(2))
        .keep(ctx)
        .keep(place)
}
