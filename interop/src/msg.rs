//! `Msg`: an owned, heap-pinned `zmq_msg_t` (crate-internal), and [`Frame`] /
//! [`Received`], the owned results handed to callers.

use std::collections::BTreeMap;
use std::ffi::{CStr, CString};

use crate::error::{check, Error, Result};
use crate::ffi;

/// An initialised `zmq_msg_t`, closed on drop.
///
/// The `zmq_msg_t` lives in a `Box` so that it never moves between
/// `zmq_msg_init*` and `zmq_msg_close`, as libzmq's documentation asks.
pub(crate) struct Msg {
    raw: Box<ffi::ZmqMsg>,
}

impl Msg {
    /// An empty message (`zmq_msg_init`), ready for `zmq_msg_recv`.
    pub(crate) fn empty() -> Msg {
        let mut raw = Box::new(ffi::ZmqMsg::zeroed());
        // SAFETY: `raw` points to writable, suitably aligned storage for a
        // zmq_msg_t; zmq_msg_init cannot fail (always returns 0).
        let rc = unsafe { ffi::zmq_msg_init(&mut *raw) };
        debug_assert_eq!(rc, 0);
        Msg { raw }
    }

    /// A message holding a copy of `data` (`zmq_msg_init_size` + copy).
    pub(crate) fn with_data(data: &[u8]) -> Result<Msg> {
        let mut raw = Box::new(ffi::ZmqMsg::zeroed());
        // SAFETY: as in `empty`; failure (ENOMEM) is checked before the
        // message is used or wrapped (so it is never closed uninitialised).
        check(unsafe { ffi::zmq_msg_init_size(&mut *raw, data.len()) })?;
        let mut msg = Msg { raw };
        if !data.is_empty() {
            // SAFETY: the message was initialised with exactly `data.len()`
            // bytes, so zmq_msg_data points to that many writable bytes that
            // cannot overlap `data` (freshly allocated by libzmq).
            unsafe {
                let dst = ffi::zmq_msg_data(&mut *msg.raw).cast::<u8>();
                std::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len());
            }
        }
        Ok(msg)
    }

    /// A message whose body is `data` itself (`zmq_msg_init_data` without
    /// a free function): libzmq neither copies nor frees it, and never
    /// writes to it.
    pub(crate) fn borrowing_static(data: &'static [u8]) -> Result<Msg> {
        let mut raw = Box::new(ffi::ZmqMsg::zeroed());
        // SAFETY: `raw` is writable storage for a zmq_msg_t. With no free
        // function libzmq makes a "constant" message that only reads `data`,
        // which is `'static`, so it outlives every copy of the message
        // (including ones queued in libzmq's pipes). Failure is checked.
        check(unsafe {
            ffi::zmq_msg_init_data(
                &mut *raw,
                data.as_ptr().cast_mut().cast(),
                data.len(),
                None,
                std::ptr::null_mut(),
            )
        })?;
        Ok(Msg { raw })
    }

    /// `zmq_msg_size`.
    pub(crate) fn len(&self) -> usize {
        // SAFETY: the message is initialised (invariant of `Msg`).
        unsafe { ffi::zmq_msg_size(&*self.raw) }
    }

    /// Pointer for `zmq_msg_send` / `zmq_msg_recv`.
    pub(crate) fn as_mut_ptr(&mut self) -> *mut ffi::ZmqMsg {
        &mut *self.raw
    }

    /// The message body.
    pub(crate) fn data(&mut self) -> &[u8] {
        // SAFETY: the message is initialised (invariant of `Msg`).
        let len = unsafe { ffi::zmq_msg_size(&*self.raw) };
        if len == 0 {
            return &[];
        }
        // SAFETY: for an initialised message zmq_msg_data points to
        // `zmq_msg_size` readable bytes that stay valid and unchanged until
        // the message is closed or reused, both of which need `&mut self`,
        // which the returned borrow prevents.
        unsafe {
            let ptr = ffi::zmq_msg_data(&mut *self.raw).cast::<u8>().cast_const();
            std::slice::from_raw_parts(ptr, len)
        }
    }

    /// `zmq_msg_more`: another frame of the same message follows.
    pub(crate) fn more(&self) -> bool {
        // SAFETY: the message is initialised (invariant of `Msg`).
        unsafe { ffi::zmq_msg_more(&*self.raw) != 0 }
    }

    /// `zmq_msg_gets`: a metadata property of a received message, or `None`
    /// when the peer's connection did not carry it.
    pub(crate) fn property(&self, name: &CStr) -> Option<Vec<u8>> {
        // SAFETY: the message is initialised and `name` is NUL-terminated.
        // The returned string (if any) belongs to the message's metadata and
        // stays valid while the message is alive; it is copied at once.
        unsafe {
            let value = ffi::zmq_msg_gets(&*self.raw, name.as_ptr());
            if value.is_null() {
                None
            } else {
                Some(CStr::from_ptr(value).to_bytes().to_vec())
            }
        }
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        // SAFETY: the message is initialised and closed exactly once, here.
        // (After a successful zmq_msg_send libzmq has re-initialised it as an
        // empty message, which may and should still be closed.)
        unsafe {
            ffi::zmq_msg_close(&mut *self.raw);
        }
    }
}

/// A reusable libzmq message (`zmq_msg_t`): receive into it with
/// [`Socket::recv_into`](crate::Socket::recv_into) and send its content back
/// with [`Socket::send_buf`](crate::Socket::send_buf), without copying the
/// body or allocating per message — the way libzmq's own `perf/local_thr`
/// and `perf/local_lat` do.
///
/// ```
/// use oxmq_interop::{Context, MessageBuf, SocketType};
///
/// let ctx = Context::new();
/// let pull = ctx.socket(SocketType::Pull)?;
/// let push = ctx.socket(SocketType::Push)?;
/// let endpoint = oxmq_interop::unique_inproc_endpoint("doc");
/// pull.bind(&endpoint)?;
/// push.connect(&endpoint)?;
/// push.send_static(b"first", 0)?;
/// push.send_static(b"second", 0)?;
/// let mut buf = MessageBuf::new();
/// assert_eq!(pull.recv_into(&mut buf, 0)?, 5);
/// assert_eq!(buf.data(), b"first");
/// assert_eq!(pull.recv_into(&mut buf, 0)?, 6);
/// assert!(!buf.more());
/// assert_eq!(buf.data(), b"second");
/// // Echo it back over another pair without copying.
/// let back = ctx.socket(SocketType::Pull)?;
/// let forth = ctx.socket(SocketType::Push)?;
/// let endpoint = oxmq_interop::unique_inproc_endpoint("doc");
/// back.bind(&endpoint)?;
/// forth.connect(&endpoint)?;
/// forth.send_buf(&mut buf, 0)?;
/// assert!(buf.is_empty());
/// assert_eq!(back.recv_frame(0)?.data, b"second");
/// # Ok::<(), oxmq_interop::Error>(())
/// ```
pub struct MessageBuf {
    pub(crate) msg: Msg,
}

impl MessageBuf {
    /// An empty message.
    pub fn new() -> MessageBuf {
        MessageBuf { msg: Msg::empty() }
    }

    /// The body's length in bytes (`zmq_msg_size`).
    pub fn len(&self) -> usize {
        self.msg.len()
    }

    /// Whether the body is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The body.
    pub fn data(&mut self) -> &[u8] {
        self.msg.data()
    }

    /// `zmq_msg_more`: more frames of the same message follow this one.
    pub fn more(&self) -> bool {
        self.msg.more()
    }
}

impl Default for MessageBuf {
    fn default() -> Self {
        MessageBuf::new()
    }
}

impl std::fmt::Debug for MessageBuf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageBuf")
            .field("len", &self.len())
            .field("more", &self.more())
            .finish()
    }
}

/// One received frame (message part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The frame's bytes.
    pub data: Vec<u8>,
    /// `true` when more frames of the same message follow (`ZMQ_RCVMORE`).
    pub more: bool,
}

/// A received multipart message together with connection metadata
/// properties, as returned by
/// [`Socket::recv_multipart_with_props`](crate::Socket::recv_multipart_with_props).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Received {
    /// The message's frames, in order.
    pub frames: Vec<Vec<u8>>,
    /// The requested properties the first frame carried (`zmq_msg_gets`);
    /// names that libzmq did not know for this connection are absent.
    ///
    /// Values are raw bytes: libzmq hands them over as C strings, so they end
    /// at the first NUL byte.
    pub properties: BTreeMap<String, Vec<u8>>,
}

impl Received {
    /// The value of property `name`, if present and valid UTF-8.
    pub fn property(&self, name: &str) -> Option<&str> {
        self.properties
            .get(name)
            .and_then(|v| std::str::from_utf8(v).ok())
    }
}

/// Converts a Rust string into a C string for libzmq, refusing interior NULs.
pub(crate) fn c_string(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|_| Error::invalid(format!("{what} contains a NUL byte: {s:?}")))
}
