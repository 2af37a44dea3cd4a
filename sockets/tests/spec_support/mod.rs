//! Shared helpers for the `spec_*` behaviour tests (ports of libzmq's
//! `tests/test_spec_*.cpp` and friends): the three transports' endpoints,
//! a macro generating one `#[tokio::test]` per transport, and timeouts used
//! as safety nets only.
//!
//! Each `spec_*.rs` test crate uses a subset of this module.
#![allow(dead_code, unused_macros, unreachable_pub)]

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use oxmq_transports::{MonitorStream, SocketEvent};

/// Safety net for anything that should happen: a test waits on events, and
/// only fails after this long.
pub const SAFETY: Duration = Duration::from_secs(20);

/// How long "nothing arrives" checks wait (libzmq's tests use SETTLE_TIME
/// or a 250 ms receive timeout for the same purpose).
pub const QUIET: Duration = Duration::from_millis(200);

/// The transport a parametrised test runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// `inproc://` — pipes joined in memory.
    Inproc,
    /// `ipc://` — Unix domain sockets.
    Ipc,
    /// `tcp://` — loopback TCP.
    Tcp,
}

fn unique() -> usize {
    static N: AtomicUsize = AtomicUsize::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

impl Transport {
    /// A fresh endpoint to bind: a unique inproc name, a unique ipc path
    /// under /tmp, or `tcp://127.0.0.1:0` (use what `bind` returns).
    pub fn endpoint(self) -> String {
        let n = unique();
        let pid = std::process::id();
        match self {
            Transport::Inproc => format!("inproc://spec-{pid}-{n}"),
            Transport::Ipc => format!("ipc:///tmp/oxmq-spec-{pid}-{n}.sock"),
            Transport::Tcp => "tcp://127.0.0.1:0".to_string(),
        }
    }

    /// An endpoint whose address is known before anything binds it (for
    /// connect-before-bind tests). For tcp, a port the kernel just handed
    /// out and that was released again.
    pub fn fixed_endpoint(self) -> String {
        match self {
            Transport::Tcp => {
                let l = std::net::TcpListener::bind("127.0.0.1:0").expect("free tcp port");
                let port = l.local_addr().expect("local addr").port();
                format!("tcp://127.0.0.1:{port}")
            }
            other => other.endpoint(),
        }
    }

    /// A listener that accepts connections at the OS level but never
    /// speaks ZMTP: a peer whose handshake never completes, so nothing
    /// ever leaves a pipe connected to it. `None` for inproc.
    pub fn stalled_listener(self) -> Option<(StalledListener, String)> {
        match self {
            Transport::Inproc => None,
            Transport::Tcp => {
                let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
                let port = l.local_addr().expect("local addr").port();
                Some((StalledListener::Tcp(l), format!("tcp://127.0.0.1:{port}")))
            }
            Transport::Ipc => {
                let path = format!(
                    "/tmp/oxmq-spec-stalled-{}-{}.sock",
                    std::process::id(),
                    unique()
                );
                let _ = std::fs::remove_file(&path);
                let l = std::os::unix::net::UnixListener::bind(&path).expect("bind ipc");
                Some((
                    StalledListener::Ipc(l, path.clone()),
                    format!("ipc://{path}"),
                ))
            }
        }
    }
}

/// See [`Transport::stalled_listener`]; closes (and removes its path) on drop.
#[derive(Debug)]
pub enum StalledListener {
    /// A TCP listener nobody accepts on.
    Tcp(std::net::TcpListener),
    /// A Unix listener nobody accepts on, and its path.
    Ipc(std::os::unix::net::UnixListener, String),
}

impl Drop for StalledListener {
    fn drop(&mut self) {
        if let StalledListener::Ipc(_, path) = self {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Awaits `f` (a socket operation), failing the test if it takes longer
/// than [`SAFETY`] or returns an error.
pub async fn within<T, E: std::fmt::Debug>(f: impl Future<Output = Result<T, E>>) -> T {
    match tokio::time::timeout(SAFETY, f).await {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => panic!("socket operation failed: {e:?}"),
        Err(_) => panic!("socket operation did not complete within {SAFETY:?}"),
    }
}

/// Polls `f` once, outside tokio's cooperative budget: `Some` if it
/// completed without waiting (libzmq's `ZMQ_DONTWAIT` succeeding), `None`
/// if it would block. (A plain `now_or_never` can also see `Pending` when
/// the test task used up its budget.)
pub fn immediately<F: Future>(f: F) -> Option<F::Output> {
    use futures::FutureExt;
    tokio::task::unconstrained(f).now_or_never()
}

/// Asserts that `f` does not complete within [`QUIET`] (the future is
/// dropped: use it with cancel-safe operations such as `recv`).
pub async fn stays_pending<F: Future>(f: F, what: &str)
where
    F::Output: std::fmt::Debug,
{
    if let Ok(v) = tokio::time::timeout(QUIET, f).await {
        panic!("{what}: expected nothing, got {v:?}");
    }
}

/// Waits for a monitor event that `pred` accepts.
pub async fn wait_event(mon: &mut MonitorStream, pred: impl Fn(&SocketEvent) -> bool) {
    let found = tokio::time::timeout(SAFETY, async {
        while let Some(ev) = mon.next().await {
            if pred(&ev) {
                return true;
            }
        }
        false
    })
    .await;
    assert!(
        matches!(found, Ok(true)),
        "monitor event not seen within {SAFETY:?}"
    );
}

/// Waits until `n` handshakes (or inproc connections) have completed on
/// the socket that owns `mon`.
pub async fn wait_connections(mon: &mut MonitorStream, n: usize) {
    for _ in 0..n {
        wait_event(mon, |ev| {
            matches!(
                ev,
                SocketEvent::HandshakeSucceeded { endpoint, .. } if !endpoint.starts_with("inproc")
            ) || matches!(
                ev,
                SocketEvent::Accepted { endpoint, .. } | SocketEvent::Connected { endpoint, .. }
                    if endpoint.starts_with("inproc")
            )
        })
        .await;
    }
}

/// A message of one frame holding `n` as 4 big-endian octets.
pub fn numbered(n: u32) -> oxmq_zmtp::Message {
    oxmq_zmtp::Message::from(n.to_be_bytes().to_vec())
}

/// The number in the frame `frame` of a message built by [`numbered`].
pub fn number_of(frame: &[u8]) -> u32 {
    u32::from_be_bytes(frame.try_into().expect("4-octet number frame"))
}

/// One `#[tokio::test]` per transport for each named `async fn
/// name(t: Transport)`: the tests are `name::inproc`, `name::ipc` and
/// `name::tcp`. Extra attributes (e.g. `#[ignore = "…"]`) can be given per
/// transport with the long form:
///
/// ```ignore
/// per_transport!(a, b);
/// per_transport!(c, inproc: [#[ignore = "why"]], ipc: [], tcp: []);
/// per_transport!(d, ipc_and_tcp_only);
/// ```
macro_rules! per_transport {
    ($name:ident, inproc: [$(#[$i:meta])*], ipc: [$(#[$p:meta])*], tcp: [$(#[$t:meta])*]) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$i])*
            async fn inproc() {
                super::$name($crate::spec_support::Transport::Inproc).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$p])*
            async fn ipc() {
                super::$name($crate::spec_support::Transport::Ipc).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            $(#[$t])*
            async fn tcp() {
                super::$name($crate::spec_support::Transport::Tcp).await
            }
        }
    };
    ($name:ident, ipc_and_tcp_only) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn ipc() {
                super::$name($crate::spec_support::Transport::Ipc).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn tcp() {
                super::$name($crate::spec_support::Transport::Tcp).await
            }
        }
    };
    ($($name:ident),+ $(,)?) => {
        $( per_transport!($name, inproc: [], ipc: [], tcp: []); )+
    };
}
