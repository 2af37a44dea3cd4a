//! `oxmq perf`: libzmq's perf programs (`perf/local_thr.cpp` and friends in
//! libzmq 4.3.5), with the same arguments, socket types, message sizes,
//! timing and output lines, so that each side can be swapped for libzmq's:
//!
//! | oxmq | libzmq | socket | role |
//! |---|---|---|---|
//! | `local-thr EP SIZE COUNT` | `local_thr` | PULL, binds | times COUNT−1 messages after the first |
//! | `remote-thr EP SIZE COUNT` | `remote_thr` | PUSH, connects | sends COUNT messages of SIZE zero bytes |
//! | `local-lat EP SIZE COUNT` | `local_lat` | REP, binds | echoes COUNT messages |
//! | `remote-lat EP SIZE COUNT` | `remote_lat` | REQ, connects | times COUNT round trips, reports half of one |
//! | `inproc-thr SIZE COUNT` | `inproc_thr` | PULL binds, PUSH task connects | over `inproc://thr_test` |
//! | `inproc-lat SIZE COUNT` | `inproc_lat` | REQ binds, REP task connects | over `inproc://lat_test` |
//!
//! Times are whole microseconds, as libzmq's stopwatch gives them, and the
//! arithmetic (including where libzmq rounds to an integer) is the same.

use std::time::Instant;

use bytes::Bytes;
use oxmq::{Context, Message, Pull, Push, Rep, Req};

use crate::args::{InprocPerf, PerfTest, RemotePerf};
use crate::error::CliError;

/// Runs one perf test.
pub(crate) async fn run(test: PerfTest) -> Result<(), CliError> {
    match test {
        PerfTest::LocalThr(p) => local_thr(p).await,
        PerfTest::RemoteThr(p) => remote_thr(p).await,
        PerfTest::LocalLat(p) => local_lat(p).await,
        PerfTest::RemoteLat(p) => remote_lat(p).await,
        PerfTest::InprocThr(p) => inproc_thr(p).await,
        PerfTest::InprocLat(p) => inproc_lat(p).await,
    }
}

/// libzmq checks `zmq_msg_size` of each (single-part) message.
fn check_size(msg: &Message, size: usize) -> Result<(), CliError> {
    if msg.len() == 1 && msg[0].len() == size {
        Ok(())
    } else {
        Err(CliError::Other(
            "message of incorrect size received".to_string(),
        ))
    }
}

/// Elapsed whole microseconds (`zmq_stopwatch_stop`).
fn micros(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

fn payload(size: usize) -> Bytes {
    Bytes::from(vec![0u8; size])
}

fn join_error(e: tokio::task::JoinError) -> CliError {
    CliError::Other(format!("perf task failed: {e}"))
}

/// Receives `count` messages; returns the microseconds from the first to
/// the last (libzmq starts its stopwatch after the first message).
async fn receive_timed(pull: &mut Pull, size: usize, count: u64) -> Result<u64, CliError> {
    check_size(&pull.recv().await?, size)?;
    let start = Instant::now();
    for _ in 1..count {
        check_size(&pull.recv().await?, size)?;
    }
    Ok(micros(start).max(1))
}

/// Makes `count` round trips; returns the elapsed microseconds.
async fn request_timed(req: &mut Req, size: usize, count: u64) -> Result<u64, CliError> {
    let body = payload(size);
    let start = Instant::now();
    for _ in 0..count {
        req.send(body.clone()).await?;
        check_size(&req.recv().await?, size)?;
    }
    Ok(micros(start))
}

async fn echo(rep: &mut Rep, size: Option<usize>, count: u64) -> Result<(), CliError> {
    for _ in 0..count {
        let msg = rep.recv().await?;
        if let Some(size) = size {
            check_size(&msg, size)?;
        }
        rep.send(msg).await?;
    }
    Ok(())
}

async fn send_all(push: &mut Push, size: usize, count: u64) -> Result<(), CliError> {
    let body = payload(size);
    for _ in 0..count {
        push.send(body.clone()).await?;
    }
    Ok(())
}

async fn local_thr(p: RemotePerf) -> Result<(), CliError> {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.bind(&p.endpoint).await?;
    let elapsed = receive_timed(&mut pull, p.size, p.count).await?;
    let throughput = p.count as f64 / elapsed as f64 * 1_000_000.0;
    let megabits = throughput * p.size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {} [B]", p.size);
    println!("message count: {}", p.count);
    println!("mean throughput: {} [msg/s]", throughput as i64);
    println!("mean throughput: {megabits:.3} [Mb/s]");
    drop(pull);
    ctx.term().await;
    Ok(())
}

async fn remote_thr(p: RemotePerf) -> Result<(), CliError> {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    push.connect(&p.endpoint)?;
    send_all(&mut push, p.size, p.count).await?;
    // zmq_close + zmq_ctx_term: everything queued is delivered first.
    drop(push);
    ctx.term().await;
    Ok(())
}

async fn local_lat(p: RemotePerf) -> Result<(), CliError> {
    let ctx = Context::new();
    let mut rep = Rep::new(&ctx);
    rep.bind(&p.endpoint).await?;
    echo(&mut rep, Some(p.size), p.count).await?;
    drop(rep);
    ctx.term().await;
    Ok(())
}

async fn remote_lat(p: RemotePerf) -> Result<(), CliError> {
    let ctx = Context::new();
    let mut req = Req::new(&ctx);
    req.connect(&p.endpoint)?;
    let elapsed = request_timed(&mut req, p.size, p.count).await?;
    let latency = elapsed as f64 / (p.count * 2) as f64;
    println!("message size: {} [B]", p.size);
    println!("roundtrip count: {}", p.count);
    println!("average latency: {latency:.3} [us]");
    drop(req);
    ctx.term().await;
    Ok(())
}

async fn inproc_thr(p: InprocPerf) -> Result<(), CliError> {
    let ctx = Context::new();
    let mut pull = Pull::new(&ctx);
    pull.bind("inproc://thr_test").await?;
    let worker_ctx = ctx.clone();
    let (size, count) = (p.size, p.count);
    let worker = tokio::spawn(async move {
        let mut push = Push::new(&worker_ctx);
        push.connect("inproc://thr_test")?;
        send_all(&mut push, size, count).await
    });
    println!("message size: {} [B]", p.size);
    println!("message count: {}", p.count);
    let elapsed = receive_timed(&mut pull, p.size, p.count).await?;
    worker.await.map_err(join_error)??;
    drop(pull);
    ctx.term().await;
    // inproc_thr rounds the rate to an integer before deriving megabits.
    let throughput = (p.count as f64 / elapsed as f64 * 1_000_000.0) as u64;
    let megabits = throughput.saturating_mul(p.size as u64 * 8) as f64 / 1_000_000.0;
    println!("mean throughput: {throughput} [msg/s]");
    println!("mean throughput: {megabits:.3} [Mb/s]");
    Ok(())
}

async fn inproc_lat(p: InprocPerf) -> Result<(), CliError> {
    let ctx = Context::new();
    let mut req = Req::new(&ctx);
    req.bind("inproc://lat_test").await?;
    let worker_ctx = ctx.clone();
    let count = p.count;
    let worker = tokio::spawn(async move {
        let mut rep = Rep::new(&worker_ctx);
        rep.connect("inproc://lat_test")?;
        echo(&mut rep, None, count).await
    });
    println!("message size: {} [B]", p.size);
    println!("roundtrip count: {}", p.count);
    let elapsed = request_timed(&mut req, p.size, p.count).await?;
    let latency = elapsed as f64 / (p.count * 2) as f64;
    worker.await.map_err(join_error)??;
    println!("average latency: {latency:.3} [us]");
    drop(req);
    ctx.term().await;
    Ok(())
}
