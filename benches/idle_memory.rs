//! Memory of idle connections: resident set size (`VmRSS`) of a process
//! holding N established tcp connections, for oxmq, libzmq and zmq.rs.
//!
//! Not a criterion bench: it measures bytes, not time. For each
//! implementation this binary runs itself twice more, as a **server** (one
//! ROUTER bound to L tcp listeners) and as a **client** (N / L DEALERs,
//! each connected to every listener: N connections). Each DEALER then
//! sends one message per connection (its round-robin over the L pipes);
//! once the ROUTER has seen N distinct routing ids every handshake on both
//! sides is done and every connection has carried a message. After a
//! short settle both processes read `VmRSS` from `/proc/self/status`; the
//! figures are the increase over each process's own baseline, taken after
//! its runtime / context (and, on the server, the bound ROUTER) existed
//! but before any connection. Fresh processes per implementation keep one
//! allocator's leftovers out of the other's figures.
//!
//! `cargo bench --bench idle_memory` uses N = 10,000 and L = 100 (each
//! process then needs a little over 10,000 file descriptors; the soft
//! limit is raised to the hard one, and N is lowered if even that is too
//! small). `cargo test` runs N = 200, L = 10. `OXMQ_IDLE_CONNECTIONS`
//! overrides N. With `OXMQ_BENCH_RESULTS=<dir>` the results also go to
//! `<dir>/idle_memory.tsv` for `scripts/bench-report`.

mod common;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{bench_mode, payload, raise_fd_limit, BoxError, Imp};
use oxmq_interop::{MessageBuf, SocketType};
use zeromq::{Socket as _, SocketRecv as _, SocketSend as _};

/// How long both sides wait, once everything is connected, before reading
/// their RSS.
const SETTLE: Duration = Duration::from_millis(500);
/// Safety net for the whole exchange of one implementation.
const LIMIT: Duration = Duration::from_secs(300);
/// The one-message-per-connection body.
const HELLO: usize = 8;

/// `VmRSS` of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn imp_from(name: &str) -> Imp {
    Imp::ALL
        .into_iter()
        .find(|i| i.id() == name)
        .unwrap_or_else(|| panic!("unknown implementation {name}"))
}

/// Which child a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Server,
    Client,
}

/// A line from a child, or `None` when its stdout closed.
type Said = (Role, Option<String>);

struct ChildProc {
    child: Child,
    stdin: Option<ChildStdin>,
}

/// Starts a child playing `role`; its stdout lines go to `lines`.
fn spawn_role(role: Role, args: &[String], lines: &mpsc::Sender<Said>) -> ChildProc {
    let exe = std::env::current_exe().expect("current exe");
    let name = if role == Role::Server {
        "server"
    } else {
        "client"
    };
    let mut child = Command::new(exe)
        .arg(name)
        .args(args)
        .env("OXMQ_IDLE_ROLE", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn a child");
    let stdin = child.stdin.take();
    let stdout = BufReader::new(child.stdout.take().expect("child stdout"));
    let lines = lines.clone();
    std::thread::spawn(move || {
        for line in stdout.lines() {
            let Ok(line) = line else { break };
            if lines.send((role, Some(line))).is_err() {
                return;
            }
        }
        let _ = lines.send((role, None));
    });
    ChildProc { child, stdin }
}

/// The coordinator's view of a server/client pair.
struct Pair {
    lines: mpsc::Receiver<Said>,
    children: Vec<ChildProc>,
    deadline: Instant,
}

impl Pair {
    /// The next line of `role`, of the form `<key> …`; everything after the
    /// key is returned. Any other line, an early exit or the deadline end
    /// the measurement (killing both children).
    fn expect(&mut self, role: Role, key: &str) -> String {
        let left = self.deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok((r, Some(line))) if r == role => match line.strip_prefix(key) {
                Some(rest) => rest.trim().to_string(),
                None => self.fail(&format!("{role:?}: expected `{key} …`, got {line:?}")),
            },
            Ok((r, Some(line))) => self.fail(&format!("{r:?} said {line:?} out of turn")),
            Ok((r, None)) => self.fail(&format!("{r:?} exited early")),
            Err(_) => self.fail(&format!("no `{key}` from {role:?} in time")),
        }
    }

    fn fail(&mut self, why: &str) -> ! {
        for c in &mut self.children {
            let _ = c.child.kill();
            let _ = c.child.wait();
        }
        panic!("idle_memory: {why}");
    }
}

/// One implementation's figures, in KiB.
#[derive(Debug)]
struct Figures {
    server_base: u64,
    server_after: u64,
    client_base: u64,
    client_after: u64,
}

/// Coordinates one server/client pair.
fn measure(imp: Imp, connections: usize, listeners: usize) -> Figures {
    let (tx, rx) = mpsc::channel();
    let server = spawn_role(
        Role::Server,
        &[
            imp.id().into(),
            connections.to_string(),
            listeners.to_string(),
        ],
        &tx,
    );
    let mut pair = Pair {
        lines: rx,
        children: vec![server],
        deadline: Instant::now() + LIMIT,
    };
    let endpoints = pair.expect(Role::Server, "endpoints");
    let server_base = kib(&pair.expect(Role::Server, "base"));
    let mut client_args = vec![imp.id().to_string(), connections.to_string()];
    client_args.extend(endpoints.split_whitespace().map(String::from));
    pair.children
        .push(spawn_role(Role::Client, &client_args, &tx));
    drop(tx);
    let client_base = kib(&pair.expect(Role::Client, "base"));
    let server_after = kib(&pair.expect(Role::Server, "after"));
    if let Some(stdin) = pair.children[1].stdin.as_mut() {
        writeln!(stdin, "measure").expect("tell the client");
    }
    let client_after = kib(&pair.expect(Role::Client, "after"));
    // Closing their stdin lets both exit.
    for c in &mut pair.children {
        c.stdin = None;
        let status = c.child.wait().expect("child exit");
        assert!(status.success(), "{} child failed: {status}", imp.id());
    }
    Figures {
        server_base,
        server_after,
        client_base,
        client_after,
    }
}

fn kib(text: &str) -> u64 {
    text.parse()
        .unwrap_or_else(|_| panic!("expected a KiB figure, got {text:?}"))
}

/// Blocks until the coordinator closes our stdin (or says something).
fn wait_for_coordinator() -> String {
    let mut line = String::new();
    let _ = std::io::stdin().read_line(&mut line);
    line
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("stdout");
    out.flush().expect("stdout");
}

// ---------------------------------------------------------------------------
// Server: a ROUTER bound to `listeners` endpoints, until it has heard from
// `connections` distinct peers.
// ---------------------------------------------------------------------------

fn server(imp: Imp, connections: usize, listeners: usize) -> Result<(), BoxError> {
    let deadline = Instant::now() + LIMIT;
    match imp {
        Imp::Oxmq | Imp::ZmqRs => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(common::WORKERS)
                .enable_all()
                .build()?;
            rt.block_on(async {
                if imp == Imp::Oxmq {
                    let ctx = oxmq::Context::new();
                    let mut router = oxmq::Router::new(&ctx);
                    let mut eps = Vec::new();
                    for _ in 0..listeners {
                        eps.push(router.bind("tcp://127.0.0.1:0").await?);
                    }
                    announce(&eps);
                    let mut seen = HashSet::new();
                    while seen.len() < connections {
                        let msg = tokio::time::timeout_at(deadline.into(), router.recv()).await??;
                        seen.insert(msg[0].clone());
                    }
                    settle_and_report("after").await;
                    tokio::task::spawn_blocking(wait_for_coordinator).await?;
                    std::process::exit(0);
                } else {
                    let mut router = zeromq::RouterSocket::new();
                    let mut eps = Vec::new();
                    for _ in 0..listeners {
                        eps.push(router.bind("tcp://127.0.0.1:0").await?.to_string());
                    }
                    announce(&eps);
                    let mut seen = HashSet::new();
                    while seen.len() < connections {
                        let msg = tokio::time::timeout_at(deadline.into(), router.recv()).await??;
                        seen.insert(msg.get(0).cloned().unwrap_or_default());
                    }
                    settle_and_report("after").await;
                    tokio::task::spawn_blocking(wait_for_coordinator).await?;
                    std::process::exit(0);
                }
            })
        }
        Imp::Libzmq => {
            let ctx = oxmq_interop::Context::new();
            ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)?;
            let router = ctx.socket(SocketType::Router)?;
            router.set_linger(0)?;
            router.set_rcvtimeo(LIMIT.as_millis() as i32)?;
            let mut eps = Vec::new();
            for _ in 0..listeners {
                eps.push(router.bind_tcp_ephemeral()?);
            }
            announce(&eps);
            let (mut id, mut body) = (MessageBuf::new(), MessageBuf::new());
            let mut seen = HashSet::new();
            while seen.len() < connections {
                router.recv_into(&mut id, 0)?;
                router.recv_into(&mut body, 0)?;
                seen.insert(id.data().to_vec());
            }
            std::thread::sleep(SETTLE);
            say(&format!("after {}", rss_kib()));
            wait_for_coordinator();
            std::process::exit(0);
        }
    }
}

fn announce(endpoints: &[String]) {
    say(&format!("endpoints {}", endpoints.join(" ")));
    say(&format!("base {}", rss_kib()));
}

async fn settle_and_report(key: &str) {
    tokio::time::sleep(SETTLE).await;
    say(&format!("{key} {}", rss_kib()));
}

// ---------------------------------------------------------------------------
// Client: connections / listeners DEALERs, each connected to every listener,
// each sending one message per connection.
// ---------------------------------------------------------------------------

fn client(imp: Imp, connections: usize, endpoints: &[String]) -> Result<(), BoxError> {
    let sockets = connections.div_ceil(endpoints.len());
    let hello = payload(HELLO);
    match imp {
        Imp::Oxmq | Imp::ZmqRs => {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(common::WORKERS)
                .enable_all()
                .build()?;
            rt.block_on(async {
                say(&format!("base {}", rss_kib()));
                if imp == Imp::Oxmq {
                    let ctx = oxmq::Context::new();
                    let mut dealers = Vec::with_capacity(sockets);
                    for _ in 0..sockets {
                        let mut dealer = oxmq::Dealer::new(&ctx);
                        for ep in endpoints {
                            dealer.connect(ep)?;
                        }
                        for _ in endpoints {
                            dealer.send(Bytes::from_static(hello)).await?;
                        }
                        dealers.push(dealer);
                    }
                    tokio::task::spawn_blocking(wait_for_coordinator).await?;
                    settle_and_report("after").await;
                    tokio::task::spawn_blocking(wait_for_coordinator).await?;
                    std::process::exit(0);
                } else {
                    let mut dealers = Vec::with_capacity(sockets);
                    for _ in 0..sockets {
                        let mut dealer = zeromq::DealerSocket::new();
                        for ep in endpoints {
                            dealer.connect(ep).await?;
                        }
                        for _ in endpoints {
                            dealer.send(Bytes::from_static(hello).into()).await?;
                        }
                        dealers.push(dealer);
                    }
                    tokio::task::spawn_blocking(wait_for_coordinator).await?;
                    settle_and_report("after").await;
                    tokio::task::spawn_blocking(wait_for_coordinator).await?;
                    std::process::exit(0);
                }
            })
        }
        Imp::Libzmq => {
            let ctx = oxmq_interop::Context::new();
            ctx.set(oxmq_interop::ctx_opt::IO_THREADS, 1)?;
            say(&format!("base {}", rss_kib()));
            let mut dealers = Vec::with_capacity(sockets);
            for _ in 0..sockets {
                let dealer = ctx.socket(SocketType::Dealer)?;
                dealer.set_linger(0)?;
                for ep in endpoints {
                    dealer.connect(ep)?;
                }
                for _ in endpoints {
                    dealer.send_static(hello, 0)?;
                }
                dealers.push(dealer);
            }
            wait_for_coordinator();
            std::thread::sleep(SETTLE);
            say(&format!("after {}", rss_kib()));
            wait_for_coordinator();
            std::process::exit(0);
        }
    }
}

/// Lowers `wanted` to what the descriptor limit allows (each process holds
/// one descriptor per connection plus its sockets' own).
fn affordable(wanted: usize, listeners: usize) -> usize {
    let limit = raise_fd_limit() as usize;
    let spare = 3 * (wanted / listeners + listeners) + 256;
    if limit == 0 || wanted + spare <= limit {
        wanted
    } else {
        let fit = limit.saturating_sub(spare) / listeners * listeners;
        eprintln!(
            "idle_memory: open-file limit {limit}: measuring {fit} connections, not {wanted}"
        );
        fit.max(listeners)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if std::env::var_os("OXMQ_IDLE_ROLE").is_some() {
        raise_fd_limit();
        let imp = imp_from(&args[1]);
        let connections: usize = args[2].parse().expect("connections");
        let result = match args[0].as_str() {
            "server" => server(imp, connections, args[3].parse().expect("listeners")),
            "client" => client(imp, connections, &args[3..]),
            other => panic!("unknown role {other}"),
        };
        if let Err(e) = result {
            eprintln!("idle_memory {} {}: {e}", args[0], imp.id());
            std::process::exit(1);
        }
        return;
    }
    let (wanted, listeners) = if bench_mode() {
        (10_000, 100)
    } else {
        (200, 10)
    };
    let wanted = std::env::var("OXMQ_IDLE_CONNECTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(wanted);
    let connections = affordable(wanted, listeners);
    println!(
        "idle_memory: {connections} idle tcp connections (DEALER -> ROUTER, {listeners} listeners, \
         {} DEALERs); RSS increase over each process's baseline",
        connections.div_ceil(listeners)
    );
    println!(
        "{:<8} {:>14} {:>14} {:>16} {:>16}",
        "impl", "server KiB", "client KiB", "server B/conn", "client B/conn"
    );
    let mut tsv = String::from(
        "impl\tconnections\tserver_base_kib\tserver_after_kib\tclient_base_kib\tclient_after_kib\n",
    );
    for imp in Imp::ALL {
        let f = measure(imp, connections, listeners);
        let server = f.server_after.saturating_sub(f.server_base);
        let client = f.client_after.saturating_sub(f.client_base);
        println!(
            "{:<8} {:>14} {:>14} {:>16} {:>16}",
            imp.id(),
            server,
            client,
            server * 1024 / connections as u64,
            client * 1024 / connections as u64
        );
        tsv.push_str(&format!(
            "{}\t{connections}\t{}\t{}\t{}\t{}\n",
            imp.id(),
            f.server_base,
            f.server_after,
            f.client_base,
            f.client_after
        ));
    }
    if let Some(dir) = std::env::var_os("OXMQ_BENCH_RESULTS") {
        let dir = std::path::PathBuf::from(dir);
        std::fs::create_dir_all(&dir).expect("results dir");
        std::fs::write(dir.join("idle_memory.tsv"), tsv).expect("write idle_memory.tsv");
    }
}
