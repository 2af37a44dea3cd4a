//! # oxmq-interop: a real libzmq 4.3.5 peer for oxmq's tests
//!
//! **Test-only.** This crate exists so that oxmq's tests can talk to the
//! reference implementation, libzmq, byte for byte. It must only ever appear
//! under `[dev-dependencies]`; it must **never** become a (normal or build)
//! dependency of the library crates (`oxmq`, `oxmq-zmtp`,
//! `oxmq-transports`, `oxmq-sockets`), which stay pure Rust and free of
//! `unsafe`. It is `publish = false`.
//!
//! ## How libzmq gets here
//!
//! Nothing needs to be installed besides the Rust toolchain and a C/C++
//! compiler (gcc):
//!
//! * `libsodium-sys-stable` builds libsodium from the source tarball shipped
//!   inside that crate (`./configure && make`) and exports its location to
//!   our build script as `DEP_SODIUM_LIB` / `DEP_SODIUM_INCLUDE`;
//! * `build.rs` compiles the libzmq 4.3.5 sources vendored in `zeromq-src`
//!   with the `cc` crate (no cmake), with the DRAFT API and CURVE (via that
//!   libsodium) enabled, into a static `libzmq.a` linked into this crate.
//!
//! [`version()`] therefore always reports `(4, 3, 5)`, and [`has`]`("curve")`
//! and [`has`]`("draft")` are `true`.
//!
//! ## Layout
//!
//! * `ffi` (private): hand-written `extern "C"` declarations for the
//!   subset of `zmq.h` used here. It is the only place that talks to C.
//! * [`Context`], [`Socket`]: safe owners of `void *` handles. The API is
//!   **blocking**, like libzmq's; bound waits with
//!   [`Socket::set_rcvtimeo`] (a timeout is an [`Error`] whose
//!   [`is_again`](Error::is_again) is true), [`Socket::recv_multipart_timeout`]
//!   or [`poll()`]. A `Socket` is `Send` (not `Sync`), so a libzmq peer runs
//!   on a `std::thread` or in `tokio::task::spawn_blocking` while oxmq runs
//!   on tokio.
//! * [`MessageBuf`]: one reused `zmq_msg_t` for [`Socket::recv_into`] /
//!   [`Socket::send_buf`], and [`Socket::send_static`] for constant
//!   messages — libzmq's copy-free paths, as its perf tools use them (the
//!   benchmarks in `benches/` do).
//! * [`Monitor`] / [`MonitorEvent`]: `zmq_socket_monitor` events (handshake
//!   succeeded / failed, connected, …).
//! * [`ZapHandler`]: a ZAP handler thread deciding PLAIN / CURVE logins
//!   with a closure, needed for libzmq servers to check credentials.
//! * [`proxy()`] / [`proxy_steerable`]: `zmq_proxy` and friends.
//! * Constants from `zmq.h`: [`SocketType`], [`opt`] (socket options),
//!   [`ctx_opt`], [`flags`], [`poll`](mod@poll) bits, [`event`],
//!   [`protocol_error`], [`mechanism`], [`notify`], [`errno`].
//! * Free functions: [`version`], [`has`], [`curve_keypair`],
//!   [`curve_public`], [`z85_encode`], [`z85_decode`], and
//!   [`unique_ipc_endpoint`] / [`unique_inproc_endpoint`] to keep parallel
//!   tests apart.
//!
//! ## Example
//!
//! ```
//! use oxmq_interop::{Context, SocketType};
//!
//! let ctx = Context::new();
//! let rep = ctx.socket(SocketType::Rep)?;
//! let endpoint = rep.bind_tcp_ephemeral()?; // "tcp://127.0.0.1:<port>"
//!
//! let req = ctx.socket(SocketType::Req)?;
//! req.set_rcvtimeo(5_000)?;
//! req.connect(&endpoint)?;
//! req.send_multipart(["hello"])?;
//! assert_eq!(rep.recv_multipart()?, vec![b"hello".to_vec()]);
//! rep.send_multipart(["world"])?;
//! assert_eq!(req.recv_multipart()?, vec![b"world".to_vec()]);
//! # Ok::<(), oxmq_interop::Error>(())
//! ```
//!
//! ## Safety
//!
//! The `unsafe` code of this crate is all FFI (the workspace lints deny it
//! elsewhere, but for the pipes' lock-free queue in `oxmq-transports`);
//! every block carries a `// SAFETY:` comment and clippy's
//! `undocumented_unsafe_blocks` is denied.

// `libsodium-sys-stable` is linked for its `libsodium.a` (which libzmq's
// CURVE code calls) and for the DEP_SODIUM_* variables its build script
// exports to ours; no Rust item of it is used.
use libsodium_sys as _;

mod consts;
mod context;
mod error;
mod ffi;
mod monitor;
mod msg;
mod socket;
mod zap;

use std::ffi::{c_char, CStr};
use std::sync::atomic::{AtomicU64, Ordering};

pub use consts::{
    ctx_opt, errno, event, flags, mechanism, notify, opt, poll, protocol_error, SocketType,
};
pub use context::Context;
pub use error::{Error, Result};
pub use monitor::{event_name, Monitor, MonitorEvent};
pub use msg::{Frame, MessageBuf, Received};
pub use socket::{poll, PollItem, Socket, DEFAULT_LINGER_MS};
pub use zap::{ZapHandler, ZapReply, ZapRequest, ZAP_ENDPOINT};

use error::check;
use msg::c_string;

/// The linked libzmq's version (`zmq_version`): `(4, 3, 5)`.
pub fn version() -> (i32, i32, i32) {
    let (mut major, mut minor, mut patch) = (0, 0, 0);
    // SAFETY: the three pointers are valid for writes of one int each.
    unsafe { ffi::zmq_version(&mut major, &mut minor, &mut patch) };
    (major, minor, patch)
}

/// Whether libzmq was built with `capability` (`zmq_has`): `"ipc"`, `"curve"`,
/// `"draft"`, … (`"pgm"`, `"tipc"`, `"norm"`, `"gssapi"` are not compiled in).
pub fn has(capability: &str) -> bool {
    let Ok(c) = c_string("capability", capability) else {
        return false;
    };
    // SAFETY: `c` is NUL-terminated and outlives the call.
    unsafe { ffi::zmq_has(c.as_ptr()) != 0 }
}

/// Generates a CURVE key pair (`zmq_curve_keypair`) and returns
/// `(public, secret)`, each as 40 Z85 characters.
///
/// # Panics
///
/// If libzmq has no CURVE support, which cannot happen with this crate's
/// build (libzmq is always built against libsodium).
pub fn curve_keypair() -> (String, String) {
    let mut public = [0 as c_char; 41];
    let mut secret = [0 as c_char; 41];
    // SAFETY: both buffers have the 41 bytes (40 Z85 characters + NUL) the
    // function writes.
    let rc = unsafe { ffi::zmq_curve_keypair(public.as_mut_ptr(), secret.as_mut_ptr()) };
    if let Err(e) = check(rc) {
        panic!("zmq_curve_keypair failed: {e}");
    }
    (z85_buf_to_string(&public), z85_buf_to_string(&secret))
}

/// Derives the Z85 public key from a Z85 secret key (`zmq_curve_public`).
pub fn curve_public(secret_z85: &str) -> Result<String> {
    if secret_z85.len() != 40 {
        return Err(Error::invalid("a Z85 CURVE secret key has 40 characters"));
    }
    let secret = c_string("secret key", secret_z85)?;
    let mut public = [0 as c_char; 41];
    // SAFETY: `secret` is a NUL-terminated 40-character string as required,
    // and `public` has room for 40 characters + NUL.
    check(unsafe { ffi::zmq_curve_public(public.as_mut_ptr(), secret.as_ptr()) })?;
    Ok(z85_buf_to_string(&public))
}

/// Z85-encodes `data` (`zmq_z85_encode`, ZeroMQ RFC 32); its length must be
/// a multiple of 4.
pub fn z85_encode(data: &[u8]) -> Result<String> {
    if data.len() % 4 != 0 {
        return Err(Error::invalid("Z85 input length must be a multiple of 4"));
    }
    let mut out = vec![0 as c_char; data.len() / 4 * 5 + 1];
    // SAFETY: `data` is readable for `data.len()` bytes and `out` has room
    // for the `len * 5 / 4` characters plus the NUL that libzmq writes.
    let ret = unsafe { ffi::zmq_z85_encode(out.as_mut_ptr(), data.as_ptr(), data.len()) };
    if ret.is_null() {
        return Err(Error::invalid("zmq_z85_encode failed"));
    }
    Ok(z85_buf_to_string(&out))
}

/// Decodes Z85 text (`zmq_z85_decode`); its length must be a multiple of 5.
pub fn z85_decode(text: &str) -> Result<Vec<u8>> {
    if text.len() % 5 != 0 {
        return Err(Error::invalid("Z85 text length must be a multiple of 5"));
    }
    let c = c_string("Z85 text", text)?;
    let mut out = vec![0u8; text.len() / 5 * 4];
    // SAFETY: `c` is NUL-terminated; `out` has room for the `len * 4 / 5`
    // bytes libzmq writes. NULL (invalid characters) is checked.
    let ret = unsafe { ffi::zmq_z85_decode(out.as_mut_ptr(), c.as_ptr()) };
    if ret.is_null() {
        return Err(Error::invalid(format!("invalid Z85 text: {text:?}")));
    }
    Ok(out)
}

/// Copies a NUL-terminated Z85 buffer (ASCII) into a `String`.
fn z85_buf_to_string(buf: &[c_char]) -> String {
    let bytes: Vec<u8> = buf.iter().map(|&c| c as u8).collect();
    CStr::from_bytes_until_nul(&bytes)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Runs `zmq_proxy(frontend, backend, capture)` on the calling thread.
///
/// It only returns when the context is shut down ([`Context::shutdown`]),
/// with an `ETERM` error. Since sockets are not `Sync`, run it on a thread
/// that owns the sockets.
pub fn proxy(frontend: &Socket, backend: &Socket, capture: Option<&Socket>) -> Result<()> {
    let capture = capture.map_or(std::ptr::null_mut(), Socket::as_ptr);
    // SAFETY: all non-null pointers are live sockets borrowed for the whole
    // call, and (not being `Sync`) used by no other thread meanwhile.
    check(unsafe { ffi::zmq_proxy(frontend.as_ptr(), backend.as_ptr(), capture) }).map(drop)
}

/// Runs `zmq_proxy_steerable` on the calling thread: like [`proxy()`], but the
/// `control` socket accepts the commands `PAUSE`, `RESUME`, `TERMINATE` (after
/// which this returns `Ok(())`) and `STATISTICS`.
pub fn proxy_steerable(
    frontend: &Socket,
    backend: &Socket,
    capture: Option<&Socket>,
    control: Option<&Socket>,
) -> Result<()> {
    let capture = capture.map_or(std::ptr::null_mut(), Socket::as_ptr);
    let control = control.map_or(std::ptr::null_mut(), Socket::as_ptr);
    // SAFETY: as in `proxy`.
    check(unsafe {
        ffi::zmq_proxy_steerable(frontend.as_ptr(), backend.as_ptr(), capture, control)
    })
    .map(drop)
}

static ENDPOINT_COUNTER: AtomicU64 = AtomicU64::new(0);

fn next_unique_id() -> u64 {
    ENDPOINT_COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// A fresh `ipc://` endpoint under [`std::env::temp_dir`], unique within the
/// machine for the life of this process (it embeds the process id and a
/// counter), e.g. `"ipc:///tmp/oxmq-interop-4242-7.sock"`.
///
/// libzmq removes the socket file when the binding socket unbinds or closes.
pub fn unique_ipc_endpoint() -> String {
    let path = std::env::temp_dir().join(format!(
        "oxmq-interop-{}-{}.sock",
        std::process::id(),
        next_unique_id()
    ));
    format!("ipc://{}", path.display())
}

/// A fresh `inproc://` endpoint name, unique within this process, e.g.
/// `"inproc://oxmq-interop-test-3"`.
pub fn unique_inproc_endpoint(label: &str) -> String {
    format!("inproc://oxmq-interop-{label}-{}", next_unique_id())
}
