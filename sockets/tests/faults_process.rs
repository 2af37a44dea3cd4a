//! Peer processes killed mid-stream (SIGKILL: no goodbye, the kernel
//! closes the sockets) and restarted on the same endpoint:
//!
//! - a REQ whose request died with its REP recovers the Lazy Pirate way
//!   (time out, close, open a new REQ, resend);
//! - a SUB gets its subscription back to a restarted PUB and receives
//!   again, only what it subscribed to;
//! - a PUSH sends everything to the surviving worker once one is killed,
//!   and every task is processed exactly once.
//!
//! The peer processes are this test binary itself, run again with
//! `OXMQ_FAULT_ROLE` set: the ignored test `fault_peer_process` is their
//! entry point. They report on stdout, in lines containing `OXMQ: `.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use oxmq_sockets::{Pull, Push, Rep, Req, Sub};
use oxmq_transports::{Context, SocketEvent};

const SAFETY: Duration = Duration::from_secs(30);

async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    match tokio::time::timeout(SAFETY, f).await {
        Ok(v) => v,
        Err(_) => panic!("timed out waiting for {what}"),
    }
}

// ------------------------------------------------------- peer processes ----

/// A peer process; killed when dropped, so that a failing test leaves no
/// orphan behind.
struct PeerProcess {
    child: Child,
    lines: tokio::sync::mpsc::UnboundedReceiver<String>,
}

impl PeerProcess {
    /// Starts this binary as a peer playing `role` at `endpoint`.
    fn spawn(role: &str, endpoint: &str, extra: &[(&str, &str)]) -> PeerProcess {
        let exe = std::env::current_exe().expect("current_exe");
        let mut cmd = Command::new(exe);
        cmd.args([
            "fault_peer_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("OXMQ_FAULT_ROLE", role)
        .env("OXMQ_FAULT_ENDPOINT", endpoint)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn the peer process");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = tokio::sync::mpsc::unbounded_channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                // libtest may have printed "test … ... " on the same line.
                if let Some(at) = line.find("OXMQ: ") {
                    if tx.send(line[at + 6..].to_string()).is_err() {
                        break;
                    }
                }
            }
        });
        PeerProcess { child, lines }
    }

    /// The next report that starts with `prefix` (the rest of it).
    async fn report(&mut self, prefix: &str) -> String {
        within(&format!("the peer to report {prefix:?}"), async {
            loop {
                match self.lines.recv().await {
                    Some(l) => {
                        if let Some(rest) = l.strip_prefix(prefix) {
                            return rest.trim().to_string();
                        }
                    }
                    None => panic!("the peer process ended before reporting {prefix:?}"),
                }
            }
        })
        .await
    }

    /// SIGKILL, and reap.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for PeerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Prints a report line for the parent.
fn report(line: String) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "OXMQ: {line}");
    let _ = out.flush();
}

/// The entry point of the peer processes (not a test of its own: the tests
/// below run it in a child process, with `OXMQ_FAULT_ROLE` set).
#[test]
#[ignore = "peer process of the process-kill tests, which run it themselves"]
fn fault_peer_process() {
    let Ok(role) = std::env::var("OXMQ_FAULT_ROLE") else {
        eprintln!("fault_peer_process: OXMQ_FAULT_ROLE not set; nothing to do");
        return;
    };
    let endpoint = std::env::var("OXMQ_FAULT_ENDPOINT").expect("OXMQ_FAULT_ENDPOINT");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        let ctx = Context::new();
        match role.as_str() {
            "rep" => {
                let mut rep = Rep::new(&ctx);
                let bound = rep.bind(&endpoint).await.expect("bind");
                report(format!("bound {bound}"));
                loop {
                    let req = rep.recv().await.expect("recv");
                    let text = String::from_utf8_lossy(&req[0]).into_owned();
                    report(format!("got {text}"));
                    if text.starts_with("hang") {
                        // Keep the request and never answer: the parent
                        // kills us now.
                        std::future::pending::<()>().await;
                    }
                    rep.send(format!("{text}-ok")).await.expect("send");
                }
            }
            "pub" => {
                let mut publisher = oxmq_sockets::Pub::new(&ctx);
                let bound = publisher.bind(&endpoint).await.expect("bind");
                report(format!("bound {bound}"));
                let pid = std::process::id();
                for n in 0u64.. {
                    publisher
                        .send(format!("topic {pid} {n}"))
                        .await
                        .expect("send");
                    publisher
                        .send(format!("other {pid} {n}"))
                        .await
                        .expect("send");
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            "worker" => {
                let id = std::env::var("OXMQ_FAULT_ID").expect("OXMQ_FAULT_ID");
                let sink_ep = std::env::var("OXMQ_FAULT_SINK").expect("OXMQ_FAULT_SINK");
                let mut tasks = Pull::new(&ctx);
                tasks.connect(&endpoint).expect("connect");
                let mut sink = Push::new(&ctx);
                sink.connect(&sink_ep).expect("connect");
                report("started".into());
                loop {
                    let task = tasks.recv().await.expect("recv");
                    let mut done = task.clone();
                    done.push_front(bytes::Bytes::from(id.clone()));
                    sink.send(done).await.expect("send");
                }
            }
            other => panic!("unknown role {other}"),
        }
    });
}

// ---------------------------------------------------------------- tests ----

fn text(m: &oxmq_zmtp::Message, i: usize) -> String {
    String::from_utf8_lossy(&m[i]).into_owned()
}

/// Lazy Pirate: the REP process is killed holding a request; the REQ
/// times out, is closed and replaced, and the resent request is answered
/// by the restarted REP on the same endpoint.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn req_recovers_like_lazy_pirate() {
    let ctx = Context::new();
    let mut server = PeerProcess::spawn("rep", "tcp://127.0.0.1:0", &[]);
    let ep = server.report("bound").await;

    let mut req = Req::new(&ctx);
    req.connect(&ep).expect("connect");
    req.send("first").await.expect("send");
    let reply = within("the first reply", req.recv()).await.expect("recv");
    assert_eq!(text(&reply, 0), "first-ok");
    assert_eq!(server.report("got").await, "first");

    // The server takes the next request and dies with it.
    req.send("hang").await.expect("send");
    assert_eq!(server.report("got").await, "hang");
    server.kill();
    let mut server = PeerProcess::spawn("rep", &ep, &[]);
    assert_eq!(server.report("bound").await, ep);

    // Lazy Pirate: wait a while for the reply, then give up on the socket.
    let request_timeout = Duration::from_millis(500);
    let mut tries = 0;
    let mut pending = Some(req);
    let reply = loop {
        tries += 1;
        assert!(tries <= 5, "no reply after {} tries", tries - 1);
        let mut req = match pending.take() {
            Some(r) => r,
            None => {
                let mut r = Req::new(&ctx);
                r.connect(&ep).expect("connect");
                r.send("retry").await.expect("send");
                r
            }
        };
        match tokio::time::timeout(request_timeout, req.recv()).await {
            Ok(reply) => break reply.expect("recv"),
            // Closed and replaced (Lazy Pirate never reuses the socket).
            Err(_) => drop(req),
        }
    };
    assert_eq!(text(&reply, 0), "retry-ok");
    // The first try was the lost request: it cannot be answered.
    assert!(tries >= 2, "the lost request was answered");
    assert_eq!(server.report("got").await, "retry");
}

/// The PUB process is killed and restarted on the same endpoint: the SUB
/// notices, reconnects, sends its subscription again, and receives from
/// the new process — still only its topic.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sub_resubscribes_after_publisher_restart() {
    let ctx = Context::new();
    let mut publisher = PeerProcess::spawn("pub", "tcp://127.0.0.1:0", &[]);
    let ep = publisher.report("bound").await;
    let first_pid = publisher.child.id().to_string();

    let mut sub = Sub::new(&ctx);
    let mut mon = sub.monitor();
    sub.connect(&ep).expect("connect");
    sub.subscribe("topic").await.expect("subscribe");
    let m = within("a first message", sub.recv()).await.expect("recv");
    let words: Vec<String> = text(&m, 0).split(' ').map(String::from).collect();
    assert_eq!(
        (words[0].as_str(), words[1].as_str()),
        ("topic", first_pid.as_str())
    );

    publisher.kill();
    within("the SUB to notice", async {
        while !matches!(mon.next().await, Some(SocketEvent::Disconnected { .. })) {}
    })
    .await;
    let mut publisher = PeerProcess::spawn("pub", &ep, &[]);
    assert_eq!(publisher.report("bound").await, ep);
    let second_pid = publisher.child.id().to_string();

    // Drain what the first publisher left queued; then the new one's.
    within("a message from the restarted publisher", async {
        loop {
            let m = sub.recv().await.expect("recv");
            let t = text(&m, 0);
            assert!(t.starts_with("topic "), "unsubscribed message {t:?}");
            if t.split(' ').nth(1) == Some(second_pid.as_str()) {
                break;
            }
            assert_eq!(t.split(' ').nth(1), Some(first_pid.as_str()), "{t}");
        }
    })
    .await;
}

/// Two worker processes pull tasks from a PUSH and report to a sink; one
/// is killed. Once the PUSH has seen it go, every later task goes to the
/// survivor, and every task is processed exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_redistributes_when_a_worker_dies() {
    let ctx = Context::new();
    let mut push = Push::new(&ctx);
    let mut push_mon = push.monitor();
    let tasks_ep = push.bind("tcp://127.0.0.1:0").await.expect("bind");
    let mut sink = Pull::new(&ctx);
    let sink_ep = sink.bind("tcp://127.0.0.1:0").await.expect("bind");

    let mut workers = Vec::new();
    for id in ["a", "b"] {
        let mut w = PeerProcess::spawn(
            "worker",
            &tasks_ep,
            &[("OXMQ_FAULT_ID", id), ("OXMQ_FAULT_SINK", &sink_ep)],
        );
        w.report("started").await;
        workers.push(w);
    }
    within("both workers to connect", async {
        let mut n = 0;
        while n < 2 {
            if let Some(SocketEvent::HandshakeSucceeded { .. }) = push_mon.next().await {
                n += 1;
            }
        }
    })
    .await;

    // One task at a time: the PUSH takes a new peer on at its next send
    // after the handshake, so both are in the rotation after a few.
    let mut done = std::collections::HashMap::new();
    for i in 0..100 {
        push.send(format!("task {i}")).await.expect("send");
        let m = within("a result", sink.recv()).await.expect("recv");
        assert!(
            done.insert(text(&m, 1), text(&m, 0)).is_none(),
            "twice: {m:?}"
        );
    }
    for who in ["a", "b"] {
        assert!(done.values().any(|w| w == who), "worker {who} got nothing");
    }

    workers.remove(0).kill();
    within("the PUSH to notice", async {
        while !matches!(
            push_mon.next().await,
            Some(SocketEvent::Disconnected { .. })
        ) {}
    })
    .await;
    for i in 100..200 {
        push.send(format!("task {i}")).await.expect("send");
    }
    for _ in 100..200 {
        let m = within("a result", sink.recv()).await.expect("recv");
        assert_eq!(text(&m, 0), "b", "a task went to the dead worker: {m:?}");
        assert!(
            done.insert(text(&m, 1), text(&m, 0)).is_none(),
            "twice: {m:?}"
        );
    }
    let expected: std::collections::HashSet<String> =
        (0..200).map(|i| format!("task {i}")).collect();
    let got: std::collections::HashSet<String> = done.keys().cloned().collect();
    assert_eq!(got, expected);
}
