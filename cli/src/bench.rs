//! `oxmq bench`: the quick-start tour. Runs every pattern over inproc, ipc
//! and tcp inside this process and prints a table of throughput and
//! latency; progress goes to stderr.
//!
//! - PUSH/PULL: one-way throughput, timed from the first message received
//!   to the last (as libzmq's `local_thr`).
//! - REQ/REP: synchronous round trips; latency is half a round trip (as
//!   libzmq's `remote_lat` reports it).
//! - PUB/SUB: one publisher, three subscribers, every message to each; the
//!   rate counts deliveries. HWMs are unlimited so nothing is dropped.
//! - DEALER/ROUTER: two dealers keep 100 requests each in flight; the
//!   router echoes each back to its sender; the rate counts round trips.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bytes::Bytes;
use oxmq::{Context, Dealer, Pub, Pull, Push, Rep, Req, Router, SocketError, Sub};
use tokio::sync::{mpsc, Barrier};
use tokio::task::JoinSet;

use crate::args::{BenchArgs, Transport};
use crate::error::CliError;

/// How long one run may take before the bench gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(120);
/// Subscribers in the PUB/SUB run.
const SUBSCRIBERS: usize = 3;
/// Dealers in the DEALER/ROUTER run, and requests each keeps in flight.
const DEALERS: u64 = 2;
const WINDOW: u64 = 100;
/// What the publisher sends until every subscriber is listening (data
/// frames never start with a zero octet).
const PROBE: &[u8] = b"\0probe";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    PushPull,
    ReqRep,
    PubSub,
    DealerRouter,
}

impl Pattern {
    const ALL: [Pattern; 4] = [
        Pattern::PushPull,
        Pattern::ReqRep,
        Pattern::PubSub,
        Pattern::DealerRouter,
    ];

    fn label(self) -> &'static str {
        match self {
            Pattern::PushPull => "PUSH/PULL",
            Pattern::ReqRep => "REQ/REP",
            Pattern::PubSub => "PUB/SUB 1->3",
            Pattern::DealerRouter => "DEALER/ROUTER 2->1",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Pattern::PushPull => "pushpull",
            Pattern::ReqRep => "reqrep",
            Pattern::PubSub => "pubsub",
            Pattern::DealerRouter => "dealerrouter",
        }
    }
}

/// One line of the table.
#[derive(Debug)]
struct Row {
    pattern: Pattern,
    transport: Transport,
    /// Messages (or round trips) timed.
    messages: u64,
    /// Per second.
    rate: f64,
    /// Half a round trip, in microseconds.
    latency_us: Option<f64>,
}

/// The endpoint to bind for one run, and what to clean up after it.
struct Place {
    bind: String,
    ipc_path: Option<PathBuf>,
}

impl Place {
    fn new(transport: Transport, pattern: Pattern) -> Self {
        let pid = std::process::id();
        match transport {
            Transport::Inproc => Place {
                bind: format!("inproc://bench-{}", pattern.slug()),
                ipc_path: None,
            },
            Transport::Ipc => {
                let path =
                    std::env::temp_dir().join(format!("oxmq-bench-{pid}-{}.sock", pattern.slug()));
                let _ = std::fs::remove_file(&path);
                Place {
                    bind: format!("ipc://{}", path.display()),
                    ipc_path: Some(path),
                }
            }
            Transport::Tcp => Place {
                bind: "tcp://127.0.0.1:0".to_string(),
                ipc_path: None,
            },
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        if let Some(path) = &self.ipc_path {
            let _ = std::fs::remove_file(path);
        }
    }
}

fn task_failed(e: tokio::task::JoinError) -> CliError {
    CliError::Other(format!("bench task failed: {e}"))
}

fn per_second(n: u64, elapsed: Duration) -> f64 {
    n as f64 / elapsed.as_secs_f64().max(1e-9)
}

async fn push_pull(endpoint: &str, count: u64, body: Bytes) -> Result<(u64, f64), CliError> {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    let endpoint = pull.bind(endpoint).await?;
    let mut push = Push::new(&ctx);
    push.connect(&endpoint)?;
    let sender = tokio::spawn(async move {
        for _ in 0..count {
            push.send(body.clone()).await?;
        }
        Ok::<_, SocketError>(push)
    });
    pull.recv().await?;
    let start = Instant::now();
    for _ in 1..count {
        pull.recv().await?;
    }
    let elapsed = start.elapsed();
    drop(sender.await.map_err(task_failed)??);
    drop(pull);
    ctx.term().await;
    Ok((count - 1, per_second(count - 1, elapsed)))
}

async fn req_rep(endpoint: &str, rounds: u64, body: Bytes) -> Result<(f64, f64), CliError> {
    let ctx = Context::new();
    let mut rep = Rep::new(&ctx);
    let endpoint = rep.bind(endpoint).await?;
    // One extra round trip warms the connection up, off the clock.
    let server = tokio::spawn(async move {
        for _ in 0..=rounds {
            let msg = rep.recv().await?;
            rep.send(msg).await?;
        }
        Ok::<_, SocketError>(rep)
    });
    let mut req = Req::new(&ctx);
    req.connect(&endpoint)?;
    req.send(body.clone()).await?;
    req.recv().await?;
    let start = Instant::now();
    for _ in 0..rounds {
        req.send(body.clone()).await?;
        req.recv().await?;
    }
    let elapsed = start.elapsed();
    drop(server.await.map_err(task_failed)??);
    drop(req);
    ctx.term().await;
    let latency = elapsed.as_secs_f64() * 1e6 / (rounds * 2) as f64;
    Ok((per_second(rounds, elapsed), latency))
}

async fn pub_sub(endpoint: &str, count: u64, body: Bytes) -> Result<(u64, f64), CliError> {
    let ctx = Context::new();
    let mut publisher = Pub::new(&ctx);
    publisher.set_options(|o| o.sndhwm = 0);
    let endpoint = publisher.bind(endpoint).await?;
    let (ready_tx, mut ready_rx) = mpsc::channel(SUBSCRIBERS);
    let mut subscribers = JoinSet::new();
    for _ in 0..SUBSCRIBERS {
        let mut sub = Sub::new(&ctx);
        sub.set_options(|o| o.rcvhwm = 0);
        sub.subscribe(Bytes::new()).await?;
        sub.connect(&endpoint)?;
        let ready = ready_tx.clone();
        subscribers.spawn(async move {
            while sub.recv().await?[0] != PROBE {}
            let _ = ready.send(()).await;
            let mut got = 0;
            while got < count {
                if sub.recv().await?[0] != PROBE {
                    got += 1;
                }
            }
            Ok::<_, SocketError>(sub)
        });
    }
    drop(ready_tx);
    // Slow joiners: a subscription reaches the publisher some time after
    // the connection; probe (bounded) until every subscriber hears us.
    let mut ready = 0;
    let give_up = Instant::now() + Duration::from_secs(10);
    while ready < SUBSCRIBERS {
        if Instant::now() > give_up {
            return Err(CliError::Other(
                "bench: subscribers did not join within 10 s".into(),
            ));
        }
        publisher.send(Bytes::from_static(PROBE)).await?;
        let tick = tokio::time::sleep(Duration::from_millis(1));
        tokio::select! {
            r = ready_rx.recv() => ready += usize::from(r.is_some()),
            () = tick => {}
        }
    }
    let start = Instant::now();
    for i in 0..count {
        publisher.send(body.clone()).await?;
        // A publisher never waits; let the subscribers' tasks run now and
        // then on a busy worker.
        if i % 1024 == 1023 {
            tokio::task::yield_now().await;
        }
    }
    while let Some(done) = subscribers.join_next().await {
        drop(done.map_err(task_failed)??);
    }
    let elapsed = start.elapsed();
    drop(publisher);
    ctx.term().await;
    let delivered = count * SUBSCRIBERS as u64;
    Ok((delivered, per_second(delivered, elapsed)))
}

async fn dealer_router(endpoint: &str, count: u64, body: Bytes) -> Result<(u64, f64), CliError> {
    let ctx = Context::new();
    let mut router = Router::new(&ctx);
    let endpoint = router.bind(endpoint).await?;
    let per_dealer = (count / DEALERS).max(1);
    let total = per_dealer * DEALERS;
    // Each dealer first makes one round trip off the clock.
    let server = tokio::spawn(async move {
        for _ in 0..total + DEALERS {
            let msg = router.recv().await?;
            router.send(msg).await?;
        }
        Ok::<_, SocketError>(router)
    });
    let start_line = std::sync::Arc::new(Barrier::new(DEALERS as usize + 1));
    let mut dealers = JoinSet::new();
    for _ in 0..DEALERS {
        let mut dealer = Dealer::new(&ctx);
        dealer.connect(&endpoint)?;
        let body = body.clone();
        let start_line = start_line.clone();
        dealers.spawn(async move {
            dealer.send(body.clone()).await?;
            dealer.recv().await?;
            start_line.wait().await;
            let window = WINDOW.min(per_dealer);
            let mut sent = 0;
            while sent < window {
                dealer.send(body.clone()).await?;
                sent += 1;
            }
            for _ in 0..per_dealer {
                dealer.recv().await?;
                if sent < per_dealer {
                    dealer.send(body.clone()).await?;
                    sent += 1;
                }
            }
            Ok::<_, SocketError>(dealer)
        });
    }
    start_line.wait().await;
    let start = Instant::now();
    while let Some(done) = dealers.join_next().await {
        drop(done.map_err(task_failed)??);
    }
    let elapsed = start.elapsed();
    drop(server.await.map_err(task_failed)??);
    ctx.term().await;
    Ok((total, per_second(total, elapsed)))
}

async fn run_one(
    pattern: Pattern,
    transport: Transport,
    count: u64,
    body: Bytes,
) -> Result<Row, CliError> {
    let place = Place::new(transport, pattern);
    let endpoint = place.bind.as_str();
    let (messages, rate, latency_us) = match pattern {
        Pattern::PushPull => {
            let (n, rate) = push_pull(endpoint, count, body).await?;
            (n, rate, None)
        }
        Pattern::ReqRep => {
            let rounds = (count / 10).max(10);
            let (rate, latency) = req_rep(endpoint, rounds, body).await?;
            (rounds, rate, Some(latency))
        }
        Pattern::PubSub => {
            let (n, rate) = pub_sub(endpoint, count, body).await?;
            (n, rate, None)
        }
        Pattern::DealerRouter => {
            let (n, rate) = dealer_router(endpoint, count, body).await?;
            (n, rate, None)
        }
    };
    Ok(Row {
        pattern,
        transport,
        messages,
        rate,
        latency_us,
    })
}

/// Progress on stderr: one rewritten line on a terminal, else one line per run.
struct Progress {
    terminal: bool,
}

impl Progress {
    fn step(&self, i: usize, total: usize, pattern: Pattern, transport: Transport) {
        let text = format!(
            "[{i:>2}/{total}] {} over {}",
            pattern.label(),
            transport.name()
        );
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r{text:<50}");
        } else {
            let _ = writeln!(err, "{text}");
        }
        let _ = err.flush();
    }

    fn finish(&self, elapsed: Duration) {
        let mut err = std::io::stderr().lock();
        if self.terminal {
            let _ = write!(err, "\r{:<50}\r", "");
        }
        let _ = writeln!(err, "done in {:.1} s", elapsed.as_secs_f64());
    }
}

fn print_table(rows: &[Row], size: usize) {
    println!(
        "{:<20} {:<9} {:>9} {:>13} {:>10} {:>12}",
        "pattern", "transport", "messages", "msg/s", "Mb/s", "latency"
    );
    for row in rows {
        let megabits = row.rate * size as f64 * 8.0 / 1e6;
        let latency = match row.latency_us {
            Some(us) => format!("{us:.2} us"),
            None => "-".to_string(),
        };
        println!(
            "{:<20} {:<9} {:>9} {:>13.0} {:>10.1} {:>12}",
            row.pattern.label(),
            row.transport.name(),
            row.messages,
            row.rate,
            megabits,
            latency
        );
    }
}

/// Runs the tour.
pub(crate) async fn run(args: BenchArgs) -> Result<(), CliError> {
    let transports = if args.transport.is_empty() {
        vec![Transport::Inproc, Transport::Ipc, Transport::Tcp]
    } else {
        args.transport.clone()
    };
    let body = Bytes::from(vec![b'x'; args.size]);
    let runs: Vec<(Pattern, Transport)> = Pattern::ALL
        .iter()
        .flat_map(|&p| transports.iter().map(move |&t| (p, t)))
        .collect();
    println!(
        "oxmq bench: {} messages of {} B per run (REQ/REP: {} round trips); \
         latency is half a round trip",
        args.count,
        args.size,
        (args.count / 10).max(10)
    );
    println!();
    let progress = Progress {
        terminal: std::io::stderr().is_terminal(),
    };
    let started = Instant::now();
    let mut rows = Vec::with_capacity(runs.len());
    for (i, &(pattern, transport)) in runs.iter().enumerate() {
        progress.step(i + 1, runs.len(), pattern, transport);
        let run = run_one(pattern, transport, args.count, body.clone());
        let row = tokio::time::timeout(RUN_LIMIT, run).await.map_err(|_| {
            CliError::Other(format!(
                "bench: {} over {} did not finish within {} s",
                pattern.label(),
                transport.name(),
                RUN_LIMIT.as_secs()
            ))
        })??;
        rows.push(row);
    }
    progress.finish(started.elapsed());
    print_table(&rows, args.size);
    Ok(())
}
