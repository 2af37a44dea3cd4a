//! `oxmq perf` cross-checked against libzmq's perf tools.
//!
//! libzmq's `perf/local_thr`, `remote_thr`, `local_lat`, `remote_lat`,
//! `inproc_thr` and `inproc_lat` are not built by `zeromq-src`, so this
//! binary carries stand-ins: the same programs (socket types, message
//! handling — one reused `zmq_msg_t` on the receiving side, a fresh message
//! of SIZE bytes per send in `remote_thr` — stopwatch placement and output
//! lines) written against libzmq 4.3.5 through `oxmq-interop`. Each role
//! runs in a process of its own, as with the real tools, and each pairing
//! of libzmq and oxmq roles is run:
//!
//! | local (binds) | remote (connects) |
//! |---|---|
//! | libzmq | libzmq |
//! | oxmq | libzmq |
//! | libzmq | oxmq |
//! | oxmq | oxmq |
//!
//! The oxmq side is the `oxmq` binary of `oxmq-cli` (`oxmq perf …`): from
//! `OXMQ_CLI`, else next to this binary's directory (`target/<profile>/oxmq`,
//! built by `cargo build [--release] -p oxmq-cli`, and by `cargo test
//! --workspace`). Without it only the libzmq pairing runs.
//!
//! `cargo bench --bench perf_crosscheck`: 100 B over tcp, 1,000,000
//! messages / 20,000 round trips (`OXMQ_PERF_COUNT` / `OXMQ_PERF_ROUNDS`
//! override); `cargo test`: a few hundred. With `OXMQ_BENCH_RESULTS=<dir>`
//! the table also goes to `<dir>/perf_crosscheck.tsv`.

mod common;

use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{bench_mode, BoxError};
use oxmq_interop::{MessageBuf, SocketType};

/// Message size of every run.
const SIZE: usize = 100;
/// How long a local side may take to start listening.
const LISTEN_LIMIT: Duration = Duration::from_secs(30);
/// How long one perf program may run (a safety net against hangs).
const RUN_LIMIT: Duration = Duration::from_secs(600);

// ---------------------------------------------------------------------------
// The libzmq perf programs (4.3.5), through oxmq-interop
// ---------------------------------------------------------------------------

fn zmq_context() -> Result<oxmq_interop::Context, BoxError> {
    let ctx = oxmq_interop::Context::new();
    ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)?;
    Ok(ctx)
}

fn check(len: usize, size: usize) -> Result<(), BoxError> {
    if len == size {
        Ok(())
    } else {
        Err("message of incorrect size received".into())
    }
}

/// Microseconds since `start`, at least 1 (`zmq_stopwatch_stop`).
fn micros(start: Instant) -> u64 {
    (start.elapsed().as_micros() as u64).max(1)
}

fn print_thr(size: usize, count: u64, elapsed_us: u64) {
    let throughput = count as f64 / elapsed_us as f64 * 1_000_000.0;
    let megabits = throughput * size as f64 * 8.0 / 1_000_000.0;
    println!("message size: {size} [B]");
    println!("message count: {count}");
    println!("mean throughput: {} [msg/s]", throughput as i64);
    println!("mean throughput: {megabits:.3} [Mb/s]");
}

fn print_lat(size: usize, rounds: u64, elapsed_us: u64) {
    println!("message size: {size} [B]");
    println!("roundtrip count: {rounds}");
    println!(
        "average latency: {:.3} [us]",
        elapsed_us as f64 / (rounds * 2) as f64
    );
}

/// PULL side: receives `count` messages, timed after the first.
fn receive_timed(s: &oxmq_interop::Socket, size: usize, count: u64) -> Result<u64, BoxError> {
    let mut msg = MessageBuf::new();
    check(s.recv_into(&mut msg, 0)?, size)?;
    let start = Instant::now();
    for _ in 1..count {
        check(s.recv_into(&mut msg, 0)?, size)?;
    }
    Ok(micros(start))
}

/// PUSH side: a fresh message of `size` bytes per send.
fn send_all(s: &oxmq_interop::Socket, size: usize, count: u64) -> Result<(), BoxError> {
    let body = vec![0u8; size];
    for _ in 0..count {
        s.send_msg(&body, 0)?;
    }
    Ok(())
}

/// REQ side: `rounds` round trips reusing one message, timed.
fn request_timed(s: &oxmq_interop::Socket, size: usize, rounds: u64) -> Result<u64, BoxError> {
    let mut msg = MessageBuf::new();
    let first = vec![0u8; size];
    let start = Instant::now();
    for i in 0..rounds {
        if i == 0 {
            s.send_msg(&first, 0)?;
        } else {
            s.send_buf(&mut msg, 0)?;
        }
        check(s.recv_into(&mut msg, 0)?, size)?;
    }
    Ok(micros(start))
}

/// REP side: echoes `rounds` messages.
fn echo(s: &oxmq_interop::Socket, size: Option<usize>, rounds: u64) -> Result<(), BoxError> {
    let mut msg = MessageBuf::new();
    for _ in 0..rounds {
        let len = s.recv_into(&mut msg, 0)?;
        if let Some(size) = size {
            check(len, size)?;
        }
        s.send_buf(&mut msg, 0)?;
    }
    Ok(())
}

fn libzmq_role(role: &str, args: &[String]) -> Result<(), BoxError> {
    let num = |i: usize| -> Result<u64, BoxError> { Ok(args[i].parse()?) };
    let ctx = zmq_context()?;
    match role {
        "local_thr" => {
            let (size, count) = (num(1)? as usize, num(2)?);
            let s = ctx.socket(SocketType::Pull)?;
            s.bind(&args[0])?;
            let elapsed = receive_timed(&s, size, count)?;
            print_thr(size, count, elapsed);
        }
        "remote_thr" => {
            let s = ctx.socket(SocketType::Push)?;
            // zmq_close + zmq_ctx_term deliver everything first.
            s.set_linger(-1)?;
            s.connect(&args[0])?;
            send_all(&s, num(1)? as usize, num(2)?)?;
        }
        "local_lat" => {
            let s = ctx.socket(SocketType::Rep)?;
            s.bind(&args[0])?;
            echo(&s, Some(num(1)? as usize), num(2)?)?;
        }
        "remote_lat" => {
            let (size, rounds) = (num(1)? as usize, num(2)?);
            let s = ctx.socket(SocketType::Req)?;
            s.connect(&args[0])?;
            let elapsed = request_timed(&s, size, rounds)?;
            print_lat(size, rounds, elapsed);
        }
        "inproc_thr" => {
            let (size, count) = (num(0)? as usize, num(1)?);
            let s = ctx.socket(SocketType::Pull)?;
            s.bind("inproc://thr_test")?;
            let worker_ctx = ctx.clone();
            let worker = std::thread::spawn(move || -> Result<(), BoxError> {
                let s = worker_ctx.socket(SocketType::Push)?;
                s.set_linger(-1)?;
                s.connect("inproc://thr_test")?;
                send_all(&s, size, count)
            });
            let elapsed = receive_timed(&s, size, count)?;
            worker.join().map_err(|_| "worker panicked")??;
            // inproc_thr rounds the rate before deriving megabits.
            let throughput = (count as f64 / elapsed as f64 * 1_000_000.0) as u64;
            println!("message size: {size} [B]");
            println!("message count: {count}");
            println!("mean throughput: {throughput} [msg/s]");
            println!(
                "mean throughput: {:.3} [Mb/s]",
                (throughput * size as u64 * 8) as f64 / 1_000_000.0
            );
        }
        "inproc_lat" => {
            let (size, rounds) = (num(0)? as usize, num(1)?);
            let s = ctx.socket(SocketType::Req)?;
            s.bind("inproc://lat_test")?;
            let worker_ctx = ctx.clone();
            let worker = std::thread::spawn(move || -> Result<(), BoxError> {
                let s = worker_ctx.socket(SocketType::Rep)?;
                s.connect("inproc://lat_test")?;
                echo(&s, None, rounds)
            });
            let elapsed = request_timed(&s, size, rounds)?;
            worker.join().map_err(|_| "worker panicked")??;
            print_lat(size, rounds, elapsed);
        }
        other => return Err(format!("unknown role {other}").into()),
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The coordinator
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    Libzmq,
    Oxmq,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Libzmq => "libzmq",
            Side::Oxmq => "oxmq",
        }
    }
}

/// The command running `role` (`local_thr` …) on `side`.
fn command(side: Side, cli: Option<&PathBuf>, role: &str, args: &[String]) -> Command {
    match side {
        Side::Libzmq => {
            let mut c = Command::new(std::env::current_exe().expect("current exe"));
            c.arg("--role").arg(role).args(args);
            c
        }
        Side::Oxmq => {
            let mut c = Command::new(cli.expect("the oxmq binary"));
            c.arg("perf").arg(role.replace('_', "-")).args(args);
            c
        }
    }
}

/// Runs a local (binding) and a remote (connecting) role and returns the
/// output of the one that prints (local for thr, remote for lat). A local
/// side that cannot bind (its port taken in the meantime) is retried on
/// another port.
fn pair(
    local: Side,
    remote: Side,
    cli: Option<&PathBuf>,
    test: &str,
    count: u64,
) -> Result<String, BoxError> {
    for _attempt in 0..3 {
        if let Some(out) = try_pair(local, remote, cli, test, count)? {
            return Ok(out);
        }
    }
    Err(format!("{} local_{test} could not bind", local.name()).into())
}

/// One attempt of [`pair`]; `None` when the local side exited before
/// listening.
fn try_pair(
    local: Side,
    remote: Side,
    cli: Option<&PathBuf>,
    test: &str,
    count: u64,
) -> Result<Option<String>, BoxError> {
    // A free port: bind, read it, let it go. The local side binds it next.
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let endpoint = format!("tcp://127.0.0.1:{port}");
    let args = vec![endpoint, SIZE.to_string(), count.to_string()];
    let mut local_child = command(local, cli, &format!("local_{test}"), &args)
        .stdout(Stdio::piped())
        .spawn()?;
    // The remote starts once the local side listens (a REQ that connected
    // early would time its first round trip across a reconnect).
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let start = Instant::now();
    while TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_err() {
        if local_child.try_wait()?.is_some() {
            return Ok(None);
        }
        if start.elapsed() > LISTEN_LIMIT {
            let _ = local_child.kill();
            return Err(format!("{} local_{test} did not listen", local.name()).into());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let remote_child = command(remote, cli, &format!("remote_{test}"), &args)
        .stdout(Stdio::piped())
        .spawn()?;
    let remote_out = finish(remote_child, &format!("{} remote_{test}", remote.name()));
    let local_out = finish(local_child, &format!("{} local_{test}", local.name()))?;
    let remote_out = remote_out?;
    Ok(Some(if test == "thr" { local_out } else { remote_out }))
}

/// Waits (at most [`RUN_LIMIT`]) for a child to exit successfully and
/// returns its stdout; kills it on expiry.
fn finish(mut child: Child, what: &str) -> Result<String, BoxError> {
    let mut stdout = child.stdout.take().ok_or("no stdout")?;
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stdout.read_to_string(&mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if start.elapsed() > RUN_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{what} did not finish within {RUN_LIMIT:?}").into());
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let text = reader.join().map_err(|_| "reader panicked")?;
    if status.success() {
        Ok(text)
    } else {
        Err(format!("{what} failed ({status}): {text}").into())
    }
}

fn inproc(side: Side, cli: Option<&PathBuf>, test: &str, count: u64) -> Result<String, BoxError> {
    let args = vec![SIZE.to_string(), count.to_string()];
    let child = command(side, cli, &format!("inproc_{test}"), &args)
        .stdout(Stdio::piped())
        .spawn()?;
    finish(child, &format!("{} inproc_{test}", side.name()))
}

/// The figure a perf program printed: msg/s or µs (half a round trip).
fn figure(output: &str) -> Result<f64, BoxError> {
    for line in output.lines() {
        if let Some(rest) = line
            .strip_prefix("mean throughput: ")
            .filter(|r| r.ends_with("[msg/s]"))
            .or_else(|| line.strip_prefix("average latency: "))
        {
            let number = rest.split_whitespace().next().unwrap_or("");
            return Ok(number.parse()?);
        }
    }
    Err(format!("no figure in {output:?}").into())
}

fn find_cli() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("OXMQ_CLI") {
        return Some(PathBuf::from(p));
    }
    // target/<profile>/deps/perf_crosscheck-… → target/<profile>/oxmq
    let exe = std::env::current_exe().ok()?;
    let candidate = exe.parent()?.parent()?.join("oxmq");
    candidate.is_file().then_some(candidate)
}

fn env_count(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--role") {
        if let Err(e) = libzmq_role(&args[1], &args[2..]) {
            println!("error in {}: {e}", args[1]);
            std::process::exit(1);
        }
        return;
    }
    let (count, rounds) = if bench_mode() {
        (
            env_count("OXMQ_PERF_COUNT", 1_000_000),
            env_count("OXMQ_PERF_ROUNDS", 20_000),
        )
    } else {
        (500, 200)
    };
    let cli = find_cli();
    let sides: Vec<Side> = match &cli {
        Some(path) => {
            println!("perf_crosscheck: oxmq perf = {}", path.display());
            vec![Side::Libzmq, Side::Oxmq]
        }
        None => {
            println!("perf_crosscheck: no oxmq binary (set OXMQ_CLI): libzmq only");
            vec![Side::Libzmq]
        }
    };
    println!(
        "{SIZE} B messages; thr: {count} messages (msg/s, local side); \
         lat: {rounds} round trips (us, half a round trip, remote side)"
    );
    let mut tsv = String::from("test\tlocal\tremote\tcount\tfigure\tunit\n");
    let mut row = |test: &str, local: Side, remote: Side, n: u64, out: Result<String, BoxError>| {
        let out = out.unwrap_or_else(|e| panic!("{test} {}/{}: {e}", local.name(), remote.name()));
        let value = figure(&out).unwrap_or_else(|e| panic!("{test}: {e}"));
        let unit = if test.ends_with("thr") { "msg/s" } else { "us" };
        println!(
            "{test:<11} local {:<7} remote {:<7} {value:>14.3} {unit}",
            local.name(),
            remote.name()
        );
        tsv.push_str(&format!(
            "{test}\t{}\t{}\t{n}\t{value}\t{unit}\n",
            local.name(),
            remote.name()
        ));
    };
    for (test, n) in [("thr", count), ("lat", rounds)] {
        for &local in &sides {
            for &remote in &sides {
                let out = pair(local, remote, cli.as_ref(), test, n);
                row(&format!("tcp_{test}"), local, remote, n, out);
            }
        }
    }
    for (test, n) in [("thr", count), ("lat", rounds)] {
        for &side in &sides {
            let out = inproc(side, cli.as_ref(), test, n);
            row(&format!("inproc_{test}"), side, side, n, out);
        }
    }
    if let Some(dir) = std::env::var_os("OXMQ_BENCH_RESULTS") {
        let dir = PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("results dir");
        std::fs::write(dir.join("perf_crosscheck.tsv"), tsv).expect("write perf_crosscheck.tsv");
    }
}
