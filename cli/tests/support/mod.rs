//! Running the built `oxmq` binary from tests: spawn, feed stdin, collect
//! output, with a generous time limit as a safety net only.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The binary under test.
pub const OXMQ: &str = env!("CARGO_BIN_EXE_oxmq");

/// How long any one process may run before the test fails. Never reached
/// when things work; it only turns a hang into a failure.
pub const LIMIT: Duration = Duration::from_secs(90);

/// A fresh `ipc://` endpoint for this test process. On Linux it is in the
/// abstract namespace, so processes the tests kill leave no socket files.
pub fn ipc(label: &str) -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = format!("oxmq-cli-{}-{label}-{n}", std::process::id());
    if cfg!(target_os = "linux") {
        return format!("ipc://@{name}");
    }
    let path = std::env::temp_dir().join(format!("{name}.sock"));
    let _ = std::fs::remove_file(&path);
    format!("ipc://{}", path.display())
}

/// A running `oxmq`.
#[derive(Debug)]
pub struct Proc {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Option<JoinHandle<String>>,
    stderr: Option<JoinHandle<String>>,
    what: String,
}

/// How a process ended.
#[derive(Debug)]
pub struct Done {
    /// The exit status.
    pub status: ExitStatus,
    /// Everything printed on stdout.
    pub stdout: String,
    /// Everything printed on stderr.
    pub stderr: String,
}

impl Done {
    /// Asserts a zero exit status.
    pub fn ok(self) -> Self {
        assert!(self.status.success(), "expected success: {self:?}");
        self
    }

    /// Asserts failure with exactly one line on stderr containing `needle`.
    pub fn fails_with(self, needle: &str) -> Self {
        assert!(!self.status.success(), "expected failure: {self:?}");
        assert_eq!(self.stderr.lines().count(), 1, "one error line: {self:?}");
        assert!(
            self.stderr.contains(needle),
            "stderr should mention {needle:?}: {self:?}"
        );
        self
    }

    /// Stdout lines.
    pub fn lines(&self) -> Vec<&str> {
        self.stdout.lines().collect()
    }
}

fn reader(mut r: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut s = String::new();
        let _ = r.read_to_string(&mut s);
        s
    })
}

/// Starts `oxmq ARGS` with stdin piped (close it with [`Proc::close`]).
pub fn start(args: &[&str]) -> Proc {
    let mut child = Command::new(OXMQ)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn oxmq");
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().map(reader);
    let stderr = child.stderr.take().map(reader);
    Proc {
        child,
        stdin,
        stdout,
        stderr,
        what: format!("oxmq {}", args.join(" ")),
    }
}

/// Runs `oxmq ARGS` with `input` on stdin, to completion.
pub fn run(args: &[&str], input: &str) -> Done {
    let mut p = start(args);
    p.write(input);
    p.close();
    p.finish()
}

impl Proc {
    /// Writes to stdin (ignores a closed pipe: the process may be done).
    pub fn write(&mut self, text: &str) {
        if let Some(stdin) = self.stdin.as_mut() {
            let _ = stdin.write_all(text.as_bytes());
            let _ = stdin.flush();
        }
    }

    /// Closes stdin (end of input).
    pub fn close(&mut self) {
        self.stdin = None;
    }

    /// Whether the process has exited.
    pub fn exited(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(Some(_)))
    }

    /// Waits for the process to exit (failing the test after [`LIMIT`]).
    /// Stdin stays open: close it first for a process that reads it to the end.
    pub fn finish(mut self) -> Done {
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("{} did not finish within {LIMIT:?}", self.what);
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        Done {
            status,
            stdout: self
                .stdout
                .take()
                .map(|h| h.join().unwrap())
                .unwrap_or_default(),
            stderr: self
                .stderr
                .take()
                .map(|h| h.join().unwrap())
                .unwrap_or_default(),
        }
    }

    /// Stops a process that would run forever (a server, a proxy).
    pub fn kill(mut self) -> Done {
        let _ = self.child.kill();
        self.close();
        self.finish()
    }

    /// Feeds `line` every `every` until the process exits (PUB/SUB slow
    /// joiners: a publisher's first messages go nowhere until the
    /// subscription arrives). Bounded by [`LIMIT`].
    pub fn feed_until_exit(&mut self, other: &mut Proc, line: &str, every: Duration) {
        let deadline = Instant::now() + LIMIT;
        while !other.exited() {
            assert!(Instant::now() < deadline, "{} never finished", other.what);
            self.write(line);
            std::thread::sleep(every);
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The perf output lines, with the numbers replaced by `N`.
pub fn shape(out: &str) -> Vec<String> {
    out.lines()
        .map(|l| {
            l.split(' ')
                .map(|w| if w.parse::<f64>().is_ok() { "N" } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// The output of libzmq's `local_thr` and `inproc_thr`, numbers as `N`.
pub const THR_LINES: [&str; 4] = [
    "message size: N [B]",
    "message count: N",
    "mean throughput: N [msg/s]",
    "mean throughput: N [Mb/s]",
];

/// The output of libzmq's `remote_lat` and `inproc_lat`, numbers as `N`.
pub const LAT_LINES: [&str; 3] = [
    "message size: N [B]",
    "roundtrip count: N",
    "average latency: N [us]",
];
