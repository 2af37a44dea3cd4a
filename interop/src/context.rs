//! [`Context`]: an owned libzmq context (`zmq_ctx_new` / `zmq_ctx_term`).

use std::ffi::c_void;
use std::sync::Arc;

use crate::consts::{errno, SocketType};
use crate::error::{check, Error, Result};
use crate::ffi;
use crate::socket::Socket;

/// The raw context pointer, terminated when the last owner (the [`Context`]
/// handles and every [`Socket`] created from them) goes away.
#[derive(Debug)]
pub(crate) struct RawContext {
    pub(crate) ptr: *mut c_void,
}

// SAFETY: a libzmq context is thread safe: zmq_ctx_* and zmq_socket may be
// called on it from any thread concurrently (documented in zmq_ctx_new(3)).
unsafe impl Send for RawContext {}
// SAFETY: as above; the pointer itself is never mutated after creation.
unsafe impl Sync for RawContext {}

impl Drop for RawContext {
    fn drop(&mut self) {
        loop {
            // SAFETY: `ptr` came from zmq_ctx_new and is terminated exactly
            // once, here. Every socket holds an `Arc<RawContext>`, so all of
            // them have been closed already and zmq_ctx_term only waits for
            // their linger periods.
            let rc = unsafe { ffi::zmq_ctx_term(self.ptr) };
            // zmq_ctx_term may be interrupted by a signal; it must then be
            // called again.
            if rc == 0 || Error::last().errno != errno::EINTR {
                break;
            }
        }
    }
}

/// A libzmq context: the owner of libzmq's I/O thread(s) and the namespace of
/// `inproc://` endpoints (including the ZAP endpoint `inproc://zeromq.zap.01`).
///
/// Cloning is cheap and yields another handle to the same context. The
/// underlying `zmq_ctx_term` runs when the last handle **and** the last socket
/// created from it are dropped, so a context can never block forever waiting
/// for a socket that is still alive. Termination does wait for the sockets'
/// linger periods (see [`Socket::set_linger`]; this crate sets a default of
/// [`DEFAULT_LINGER_MS`](crate::DEFAULT_LINGER_MS)).
#[derive(Debug, Clone)]
pub struct Context {
    raw: Arc<RawContext>,
}

impl Context {
    /// Creates a new context.
    ///
    /// # Panics
    ///
    /// If libzmq cannot create a context (it only fails when it cannot create
    /// its internal signalling file descriptors); see [`Context::try_new`].
    pub fn new() -> Context {
        Context::try_new().expect("zmq_ctx_new failed")
    }

    /// Creates a new context, reporting failure instead of panicking.
    pub fn try_new() -> Result<Context> {
        // SAFETY: zmq_ctx_new has no preconditions; it returns NULL on
        // failure, which is checked.
        let ptr = unsafe { ffi::zmq_ctx_new() };
        if ptr.is_null() {
            return Err(Error::last());
        }
        Ok(Context {
            raw: Arc::new(RawContext { ptr }),
        })
    }

    /// Creates a socket of type `kind` in this context (`zmq_socket`).
    ///
    /// The new socket's `ZMQ_LINGER` is set to
    /// [`DEFAULT_LINGER_MS`](crate::DEFAULT_LINGER_MS) instead of libzmq's
    /// default of "forever", so that dropping a context whose peer vanished
    /// cannot hang a test.
    pub fn socket(&self, kind: SocketType) -> Result<Socket> {
        Socket::new(Arc::clone(&self.raw), kind)
    }

    /// Sets a context option (`zmq_ctx_set`); see [`ctx_opt`](crate::ctx_opt).
    ///
    /// `ZMQ_IO_THREADS` only takes effect before the first socket is created.
    pub fn set(&self, option: i32, value: i32) -> Result<()> {
        // SAFETY: the context pointer is live for as long as `self` is;
        // zmq_ctx_set validates `option` and `value` itself.
        check(unsafe { ffi::zmq_ctx_set(self.raw.ptr, option, value) }).map(drop)
    }

    /// Reads a context option (`zmq_ctx_get`).
    pub fn get(&self, option: i32) -> Result<i32> {
        // SAFETY: as in `set`.
        check(unsafe { ffi::zmq_ctx_get(self.raw.ptr, option) })
    }

    /// Shuts the context down (`zmq_ctx_shutdown`): every blocking call on its
    /// sockets, current or future (including a running
    /// [`proxy`](crate::proxy)), fails with `ETERM`. The sockets must still be
    /// dropped; the context is terminated when the last handle goes away.
    pub fn shutdown(&self) -> Result<()> {
        // SAFETY: the context pointer is live for as long as `self` is;
        // shutting down is allowed from any thread and more than once.
        check(unsafe { ffi::zmq_ctx_shutdown(self.raw.ptr) }).map(drop)
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}
