//! Soak: a mixed workload run for a long time, watching throughput,
//! resident memory, descriptors, tasks and errors.
//!
//! ```text
//! cargo run --release --example soak -- [--secs N] [--report-secs N] [--transport tcp|ipc]
//! ```
//!
//! Runs until `--secs` (default 60) have passed, printing a line every
//! `--report-secs` (default 5), then a summary; exits with status 1 if any
//! error was counted. The workload, all in this process:
//!
//! - **ROUTER/DEALER**: a ROUTER echoes; 4 DEALERs keep 16 requests in
//!   flight each and check every reply comes back, in order; every 100 ms a
//!   short-lived DEALER, in a context of its own, joins, does 50 round
//!   trips and leaves.
//! - **PUB/SUB**: a PUB publishes on topics `A` and `B` with a sequence
//!   number per topic; 3 SUBs (two on `A`, one on `B`) check they only get
//!   their topic and that numbers only go up (PUB may drop for a slow
//!   subscriber: gaps are counted, not errors); every 300 ms a short-lived
//!   SUB joins, takes 100 messages and leaves.
//! - **PUSH/PULL**: a ventilator PUSH feeds 2 workers, which pass the tasks
//!   to a sink; at the end every task must have arrived exactly once; every
//!   200 ms a short-lived PUSH, in a context of its own, sends 1,000
//!   messages to a collector and is dropped at once (the default linger
//!   delivers them): the collector must get all of them, in order.
//!
//! An error is any failed send or receive, a reply or message that is
//! wrong, missing, duplicated or out of order, or a wait of more than 5 s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxmq::{Context, Dealer, Message, Pub, Pull, Push, Router, SocketError, Sub};
use tokio::sync::watch;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long to run.
    pub duration: Duration,
    /// How often to print a report line.
    pub report_every: Duration,
    /// `tcp` or `ipc`.
    pub transport: String,
}

/// The longest any single wait may take before it counts as an error.
const STALL: Duration = Duration::from_secs(5);

/// Counters shared by every part of the workload.
#[derive(Debug, Default)]
pub struct Counters {
    /// ROUTER/DEALER round trips.
    pub round_trips: AtomicU64,
    /// Short-lived DEALER sessions completed.
    pub dealer_sessions: AtomicU64,
    /// Messages published.
    pub published: AtomicU64,
    /// Messages received by subscribers.
    pub delivered: AtomicU64,
    /// Messages a PUB dropped for a slow subscriber (gaps seen).
    pub pub_gaps: AtomicU64,
    /// Short-lived SUB sessions completed.
    pub sub_sessions: AtomicU64,
    /// Tasks sent by the ventilator.
    pub tasks_sent: AtomicU64,
    /// Tasks that reached the sink.
    pub tasks_done: AtomicU64,
    /// Messages from short-lived PUSH sockets that reached the collector.
    pub collected: AtomicU64,
    /// Short-lived PUSH sockets whose 1,000 messages all arrived.
    pub producers_done: AtomicU64,
    /// Errors.
    pub errors: AtomicU64,
    first_errors: Mutex<Vec<String>>,
}

impl Counters {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_errors.lock().unwrap_or_else(|p| p.into_inner());
        if first.len() < 20 {
            first.push(what);
        }
    }

    /// The first errors seen (at most 20).
    pub fn first_errors(&self) -> Vec<String> {
        self.first_errors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// One report line's figures.
#[derive(Debug, Clone)]
pub struct Sample {
    /// Seconds since the start.
    pub at: f64,
    /// Resident memory, KiB.
    pub rss_kib: u64,
    /// Open file descriptors.
    pub fds: usize,
    /// Background tasks of the servers' context.
    pub tasks: usize,
}

/// What a run measured.
#[derive(Debug)]
pub struct Report {
    /// The periodic samples.
    pub samples: Vec<Sample>,
    /// The final counters.
    pub counters: Arc<Counters>,
    /// How long it ran.
    pub elapsed: Duration,
}

/// Resident memory of this process in KiB (0 where /proc is missing).
pub fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

fn seq_bytes(n: u64) -> Bytes {
    Bytes::copy_from_slice(&n.to_be_bytes())
}

fn read_seq(frame: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(frame.get(..8)?.try_into().ok()?))
}

/// Endpoints for one run.
struct Endpoints {
    transport: String,
    dir: std::path::PathBuf,
}

impl Endpoints {
    fn new(transport: &str) -> Self {
        // One directory per run: two runs in one process (the tcp and ipc
        // smoke tests) must not remove each other's socket files.
        static RUNS: AtomicU64 = AtomicU64::new(0);
        let run = RUNS.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "oxmq-soak-{}-{}-{run}",
            std::process::id(),
            transport
        ));
        if transport == "ipc" {
            let _ = std::fs::create_dir_all(&dir);
        }
        Endpoints {
            transport: transport.to_string(),
            dir,
        }
    }

    fn bind(&self, name: &str) -> String {
        match self.transport.as_str() {
            "ipc" => format!("ipc://{}", self.dir.join(name).display()),
            _ => "tcp://127.0.0.1:0".to_string(),
        }
    }
}

impl Drop for Endpoints {
    fn drop(&mut self) {
        if self.transport == "ipc" {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs `f` until `stop` turns true; returns what `f` returned, or `None`.
async fn until_stop<T>(
    stop: &mut watch::Receiver<bool>,
    f: impl std::future::Future<Output = T>,
) -> Option<T> {
    tokio::select! {
        biased;
        _ = stop.wait_for(|s| *s) => None,
        v = f => Some(v),
    }
}

/// Awaits `f` with the stall limit; counts an error naming `what` if it
/// takes longer or fails.
async fn checked<T>(
    c: &Counters,
    what: &str,
    f: impl std::future::Future<Output = Result<T, oxmq::SocketError>>,
) -> Option<T> {
    match tokio::time::timeout(STALL, f).await {
        Ok(Ok(v)) => Some(v),
        Ok(Err(e)) => {
            c.error(format!("{what}: {e}"));
            None
        }
        Err(_) => {
            c.error(format!("{what}: stalled for {STALL:?}"));
            None
        }
    }
}

// ------------------------------------------------------- ROUTER/DEALER ----

/// Echoes until aborted or the context is shut down (the DEALERs may
/// still wait for replies after the stop signal).
async fn router_echo(mut router: Router, c: Arc<Counters>) {
    loop {
        match router.recv().await {
            Ok(m) => match router.send(m).await {
                Ok(()) => {}
                Err(SocketError::Closed) => return,
                Err(e) => c.error(format!("router send: {e}")),
            },
            // The end of the run: the context was shut down.
            Err(SocketError::Closed) => return,
            Err(e) => {
                c.error(format!("router recv: {e}"));
                return;
            }
        }
    }
}

/// `rounds` windows of `window` requests (forever when `rounds` is None).
async fn dealer_client(
    dealer: &mut Dealer,
    c: &Counters,
    stop: &mut watch::Receiver<bool>,
    window: u64,
    rounds: Option<u64>,
) {
    let mut next = 0u64;
    let mut round = 0;
    while rounds.is_none_or(|r| round < r) {
        round += 1;
        if *stop.borrow() {
            return;
        }
        for i in 0..window {
            if checked(c, "dealer send", dealer.send(seq_bytes(next + i)))
                .await
                .is_none()
            {
                return;
            }
        }
        for i in 0..window {
            let Some(reply) = checked(c, "dealer recv", dealer.recv()).await else {
                return;
            };
            if reply.len() != 1 || read_seq(&reply[0]) != Some(next + i) {
                c.error(format!(
                    "dealer: expected reply {}, got {reply:?}",
                    next + i
                ));
                return;
            }
            c.round_trips.fetch_add(1, Ordering::Relaxed);
        }
        next += window;
    }
}

// -------------------------------------------------------------- PUB/SUB ----

async fn publisher(mut publisher: Pub, c: Arc<Counters>, mut stop: watch::Receiver<bool>) {
    let mut seq = [0u64; 2];
    while !*stop.borrow() {
        for _ in 0..50 {
            for (t, topic) in [(0, b'A'), (1, b'B')] {
                let mut frame = vec![topic];
                frame.extend_from_slice(&seq[t].to_be_bytes());
                seq[t] += 1;
                if let Err(e) = publisher.send(frame).await {
                    c.error(format!("pub send: {e}"));
                    return;
                }
                c.published.fetch_add(1, Ordering::Relaxed);
            }
        }
        // ~100,000 messages a second at most: leave CPU to the rest.
        let _ = until_stop(&mut stop, tokio::time::sleep(Duration::from_millis(1))).await;
    }
}

/// Receives `limit` messages (forever when None), checking topic and order.
async fn subscriber(
    sub: &mut Sub,
    topic: u8,
    c: &Counters,
    stop: &mut watch::Receiver<bool>,
    limit: Option<u64>,
) {
    let mut last: Option<u64> = None;
    let mut n = 0;
    while limit.is_none_or(|l| n < l) {
        let Some(r) = until_stop(stop, checked(c, "sub recv", sub.recv())).await else {
            return;
        };
        let Some(m) = r else { return };
        n += 1;
        let frame = &m[0];
        if frame.first() != Some(&topic) {
            c.error(format!("sub {}: got {frame:?}", topic as char));
            return;
        }
        let Some(seq) = read_seq(&frame[1..]) else {
            c.error(format!("sub: short message {frame:?}"));
            return;
        };
        if let Some(prev) = last {
            if seq <= prev {
                c.error(format!("sub: {seq} after {prev}"));
                return;
            }
            c.pub_gaps.fetch_add(seq - prev - 1, Ordering::Relaxed);
        }
        last = Some(seq);
        c.delivered.fetch_add(1, Ordering::Relaxed);
    }
}

// ------------------------------------------------------------ PUSH/PULL ----

async fn worker(mut tasks: Pull, mut results: Push, c: Arc<Counters>) {
    // Ends when the run's context shuts down under it (`Closed`).
    loop {
        let task = match tasks.recv().await {
            Ok(t) => t,
            Err(SocketError::Closed) => return,
            Err(e) => {
                c.error(format!("worker recv: {e}"));
                return;
            }
        };
        match results.send(task).await {
            Ok(()) => {}
            Err(SocketError::Closed) => return,
            Err(e) => {
                c.error(format!("worker send: {e}"));
                return;
            }
        }
    }
}

/// The sink: counts tasks, and their sum (a cheap exactly-once check).
async fn sink(mut pull: Pull, c: Arc<Counters>, sum: Arc<AtomicU64>) {
    loop {
        match pull.recv().await {
            Ok(m) => match read_seq(&m[0]) {
                Some(seq) => {
                    sum.fetch_add(seq, Ordering::Relaxed);
                    c.tasks_done.fetch_add(1, Ordering::Relaxed);
                }
                None => c.error(format!("sink: bad task {m:?}")),
            },
            Err(SocketError::Closed) => return,
            Err(e) => {
                c.error(format!("sink recv: {e}"));
                return;
            }
        }
    }
}

/// The collector of the short-lived producers: each sends [id, seq] for
/// seq in 0..1000, in order.
async fn collector(mut pull: Pull, c: Arc<Counters>, open: Arc<Mutex<HashMap<u64, u64>>>) {
    loop {
        let m = match pull.recv().await {
            Ok(m) => m,
            Err(SocketError::Closed) => return,
            Err(e) => {
                c.error(format!("collector recv: {e}"));
                return;
            }
        };
        let (Some(id), Some(seq)) = (read_seq(&m[0]), m.get(1).and_then(|f| read_seq(f))) else {
            c.error(format!("collector: bad message {m:?}"));
            continue;
        };
        let mut open = open.lock().unwrap_or_else(|p| p.into_inner());
        let next = open.entry(id).or_insert(0);
        if seq != *next {
            c.error(format!(
                "collector: producer {id} sent {seq}, expected {next}"
            ));
        }
        *next = seq + 1;
        c.collected.fetch_add(1, Ordering::Relaxed);
        if *next == 1000 {
            open.remove(&id);
            c.producers_done.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Spawns `f` every `every` until stop.
fn churn<F, Fut>(
    every: Duration,
    mut stop: watch::Receiver<bool>,
    mut f: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut(u64) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut n = 0u64;
        let mut live = tokio::task::JoinSet::new();
        let mut tick = tokio::time::interval(every);
        loop {
            if until_stop(&mut stop, tick.tick()).await.is_none() {
                break;
            }
            live.spawn(f(n));
            n += 1;
            while live.try_join_next().is_some() {}
        }
        // Let the last ones finish (each is bounded by STALL waits).
        while live.join_next().await.is_some() {}
    })
}

/// Runs the soak.
pub async fn run(cfg: Config) -> Report {
    let c = Arc::new(Counters::default());
    let eps = Endpoints::new(&cfg.transport);
    let (stop_tx, stop) = watch::channel(false);
    let ctx = Context::new();
    let mut tasks = Vec::new();

    // ROUTER/DEALER.
    let router = Router::new(&ctx);
    let router_ep = router.bind(&eps.bind("router")).await.expect("bind router");
    let mut background = vec![tokio::spawn(router_echo(router, c.clone()))];
    for _ in 0..4 {
        let mut dealer = Dealer::new(&ctx);
        dealer.connect(&router_ep).expect("connect");
        let (c, mut stop) = (c.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            dealer_client(&mut dealer, &c, &mut stop, 16, None).await;
        }));
    }
    let dealer_churn = {
        let (c, stop, ep) = (c.clone(), stop.clone(), router_ep.clone());
        churn(Duration::from_millis(100), stop.clone(), move |_| {
            let (c, mut stop, ep) = (c.clone(), stop.clone(), ep.clone());
            async move {
                let ctx = Context::new();
                let mut dealer = Dealer::new(&ctx);
                if let Err(e) = dealer.connect(&ep) {
                    c.error(format!("dealer connect: {e}"));
                    return;
                }
                dealer_client(&mut dealer, &c, &mut stop, 10, Some(5)).await;
                c.dealer_sessions.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    // PUB/SUB.
    let publisher_socket = Pub::new(&ctx);
    let pub_ep = publisher_socket
        .bind(&eps.bind("pub"))
        .await
        .expect("bind pub");
    for topic in [b'A', b'A', b'B'] {
        let mut sub = Sub::new(&ctx);
        sub.connect(&pub_ep).expect("connect");
        sub.subscribe(vec![topic]).await.expect("subscribe");
        let (c, mut stop) = (c.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            subscriber(&mut sub, topic, &c, &mut stop, None).await;
        }));
    }
    tasks.push(tokio::spawn(publisher(
        publisher_socket,
        c.clone(),
        stop.clone(),
    )));
    let sub_churn = {
        let (c, stop, ep) = (c.clone(), stop.clone(), pub_ep.clone());
        churn(Duration::from_millis(300), stop.clone(), move |_| {
            let (c, mut stop, ep) = (c.clone(), stop.clone(), ep.clone());
            async move {
                let ctx = Context::new();
                let mut sub = Sub::new(&ctx);
                if let Err(e) = sub.connect(&ep) {
                    c.error(format!("sub connect: {e}"));
                    return;
                }
                if let Err(e) = sub.subscribe(&b"A"[..]).await {
                    c.error(format!("subscribe: {e}"));
                    return;
                }
                subscriber(&mut sub, b'A', &c, &mut stop, Some(100)).await;
                c.sub_sessions.fetch_add(1, Ordering::Relaxed);
            }
        })
    };

    // PUSH/PULL: ventilator, workers, sink.
    let mut vent = Push::new(&ctx);
    let tasks_ep = vent.bind(&eps.bind("tasks")).await.expect("bind tasks");
    let sink_socket = Pull::new(&ctx);
    let sink_ep = sink_socket
        .bind(&eps.bind("sink"))
        .await
        .expect("bind sink");
    let sum = Arc::new(AtomicU64::new(0));
    background.push(tokio::spawn(sink(sink_socket, c.clone(), sum.clone())));
    for _ in 0..2 {
        let pull = Pull::new(&ctx);
        pull.connect(&tasks_ep).expect("connect");
        let push = Push::new(&ctx);
        push.connect(&sink_ep).expect("connect");
        background.push(tokio::spawn(worker(pull, push, c.clone())));
    }
    let vent_task = {
        let (c, mut stop) = (c.clone(), stop.clone());
        tokio::spawn(async move {
            let mut seq = 0u64;
            let mut sent_sum = 0u64;
            'outer: while !*stop.borrow() {
                for _ in 0..100 {
                    if checked(&c, "ventilator send", vent.send(seq_bytes(seq)))
                        .await
                        .is_none()
                    {
                        break 'outer;
                    }
                    sent_sum += seq;
                    seq += 1;
                    c.tasks_sent.fetch_add(1, Ordering::Relaxed);
                }
                let _ = until_stop(&mut stop, tokio::time::sleep(Duration::from_millis(1))).await;
            }
            (vent, sent_sum)
        })
    };

    // Short-lived producers and their collector.
    let collector_socket = Pull::new(&ctx);
    let collect_ep = collector_socket
        .bind(&eps.bind("collect"))
        .await
        .expect("bind collector");
    let open = Arc::new(Mutex::new(HashMap::new()));
    background.push(tokio::spawn(collector(
        collector_socket,
        c.clone(),
        open.clone(),
    )));
    let producer_churn = {
        let (c, ep) = (c.clone(), collect_ep.clone());
        churn(Duration::from_millis(200), stop.clone(), move |id| {
            let (c, ep) = (c.clone(), ep.clone());
            async move {
                let ctx = Context::new();
                let mut push = Push::new(&ctx);
                if let Err(e) = push.connect(&ep) {
                    c.error(format!("producer connect: {e}"));
                    return;
                }
                for seq in 0..1000u64 {
                    let msg = Message::from(vec![seq_bytes(id), seq_bytes(seq)]);
                    if checked(&c, "producer send", push.send(msg)).await.is_none() {
                        return;
                    }
                }
                // Dropped at once: the default linger delivers the rest.
                drop(push);
                if tokio::time::timeout(STALL, ctx.term()).await.is_err() {
                    c.error("producer: context did not terminate".into());
                }
            }
        })
    };

    // Reports.
    let start = Instant::now();
    let mut samples = Vec::new();
    let mut last = Snapshot::take(&c);
    let mut last_at = start;
    println!(
        "{:>6} {:>9} {:>5} {:>5} | {:>9} {:>9} {:>9} {:>9} | {:>6}",
        "secs", "rss KiB", "fds", "tasks", "rt/s", "pubsub/s", "tasks/s", "churn/s", "errors"
    );
    while start.elapsed() < cfg.duration {
        let left = cfg.duration.saturating_sub(start.elapsed());
        tokio::time::sleep(cfg.report_every.min(left)).await;
        let now = Snapshot::take(&c);
        let dt = last_at.elapsed().as_secs_f64().max(1e-9);
        let sample = Sample {
            at: start.elapsed().as_secs_f64(),
            rss_kib: rss_kib(),
            fds: open_fds(),
            tasks: ctx.task_count(),
        };
        println!(
            "{:>6.0} {:>9} {:>5} {:>5} | {:>9.0} {:>9.0} {:>9.0} {:>9.0} | {:>6}",
            sample.at,
            sample.rss_kib,
            sample.fds,
            sample.tasks,
            (now.round_trips - last.round_trips) as f64 / dt,
            (now.delivered - last.delivered) as f64 / dt,
            (now.tasks_done - last.tasks_done) as f64 / dt,
            (now.collected - last.collected) as f64 / dt,
            now.errors,
        );
        samples.push(sample);
        last = now;
        last_at = Instant::now();
    }

    // Stop, and check that nothing was lost on the way.
    stop_tx.send_replace(true);
    for t in [dealer_churn, sub_churn, producer_churn] {
        let _ = t.await;
    }
    for t in tasks {
        let _ = t.await;
    }
    let (vent, sent_sum) = vent_task.await.expect("ventilator");
    let sent = c.tasks_sent.load(Ordering::Relaxed);
    let drained = tokio::time::timeout(Duration::from_secs(10), async {
        while c.tasks_done.load(Ordering::Relaxed) < sent {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let done = c.tasks_done.load(Ordering::Relaxed);
    if drained.is_err() || done != sent {
        c.error(format!("pipeline: {sent} tasks sent, {done} done"));
    } else if sum.load(Ordering::Relaxed) != sent_sum {
        c.error("pipeline: a task was duplicated or lost (sums differ)".into());
    }
    let pending_producers = tokio::time::timeout(Duration::from_secs(10), async {
        while !open.lock().unwrap_or_else(|p| p.into_inner()).is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    if pending_producers.is_err() {
        let open = open.lock().unwrap_or_else(|p| p.into_inner());
        c.error(format!(
            "collector: {} producers incomplete: {open:?}",
            open.len()
        ));
    }
    drop(vent);
    ctx.shutdown();
    for t in background {
        t.abort();
        let _ = t.await;
    }
    if tokio::time::timeout(STALL, ctx.term()).await.is_err() {
        c.error("the servers' context did not terminate".into());
    }
    Report {
        samples,
        counters: c,
        elapsed: start.elapsed(),
    }
}

/// The counters at one moment.
struct Snapshot {
    round_trips: u64,
    delivered: u64,
    tasks_done: u64,
    collected: u64,
    errors: u64,
}

impl Snapshot {
    fn take(c: &Counters) -> Self {
        Snapshot {
            round_trips: c.round_trips.load(Ordering::Relaxed),
            delivered: c.delivered.load(Ordering::Relaxed),
            tasks_done: c.tasks_done.load(Ordering::Relaxed),
            collected: c.collected.load(Ordering::Relaxed),
            errors: c.errors.load(Ordering::Relaxed),
        }
    }
}

/// Prints the summary of `report`.
pub fn print_summary(report: &Report) {
    let c = &report.counters;
    let secs = report.elapsed.as_secs_f64();
    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
    println!("--- soak summary: {secs:.0} s");
    println!(
        "ROUTER/DEALER: {} round trips ({:.0}/s), {} short-lived DEALERs",
        get(&c.round_trips),
        get(&c.round_trips) as f64 / secs,
        get(&c.dealer_sessions)
    );
    println!(
        "PUB/SUB: {} published, {} delivered ({:.0}/s), {} dropped by PUB for slow subscribers, {} short-lived SUBs",
        get(&c.published),
        get(&c.delivered),
        get(&c.delivered) as f64 / secs,
        get(&c.pub_gaps),
        get(&c.sub_sessions)
    );
    println!(
        "PUSH/PULL: {} tasks sent, {} done ({:.0}/s); {} short-lived PUSHes delivered {} messages",
        get(&c.tasks_sent),
        get(&c.tasks_done),
        get(&c.tasks_done) as f64 / secs,
        get(&c.producers_done),
        get(&c.collected)
    );
    // Memory after warm-up: the first sample is left out.
    let steady: Vec<&Sample> = report.samples.iter().skip(1).collect();
    if let (Some(first), Some(last)) = (steady.first(), steady.last()) {
        let min = steady.iter().map(|s| s.rss_kib).min().unwrap_or(0);
        let max = steady.iter().map(|s| s.rss_kib).max().unwrap_or(0);
        println!(
            "RSS after warm-up: {} KiB at {:.0} s, {} KiB at {:.0} s (min {min}, max {max}); fds {}..{}",
            first.rss_kib,
            first.at,
            last.rss_kib,
            last.at,
            steady.iter().map(|s| s.fds).min().unwrap_or(0),
            steady.iter().map(|s| s.fds).max().unwrap_or(0),
        );
    }
    println!("errors: {}", get(&c.errors));
    for e in c.first_errors() {
        println!("  {e}");
    }
}

fn parse_args() -> Result<Config, String> {
    let mut cfg = Config {
        duration: Duration::from_secs(60),
        report_every: Duration::from_secs(5),
        transport: "tcp".into(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--secs" => {
                let v: f64 = value()?.parse().map_err(|e| format!("--secs: {e}"))?;
                cfg.duration = Duration::from_secs_f64(v);
            }
            "--report-secs" => {
                let v: f64 = value()?
                    .parse()
                    .map_err(|e| format!("--report-secs: {e}"))?;
                cfg.report_every = Duration::from_secs_f64(v.max(0.1));
            }
            "--transport" => {
                let t = value()?;
                if t != "tcp" && t != "ipc" {
                    return Err(format!("--transport: tcp or ipc, not {t}"));
                }
                cfg.transport = t;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(cfg)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let cfg = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("soak: {e}\nusage: soak [--secs N] [--report-secs N] [--transport tcp|ipc]");
            std::process::exit(2);
        }
    };
    println!(
        "soak: {:?} over {}, reporting every {:?}",
        cfg.duration, cfg.transport, cfg.report_every
    );
    let report = run(cfg).await;
    print_summary(&report);
    if report.counters.errors.load(Ordering::Relaxed) > 0 {
        std::process::exit(1);
    }
}
