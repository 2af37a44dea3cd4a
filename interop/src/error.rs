//! The crate's error type: an `errno` value plus libzmq's description of it.

use std::ffi::CStr;
use std::fmt;

use crate::consts::errno;
use crate::ffi;

/// A failed libzmq call.
///
/// `errno` is the value of `zmq_errno()` right after the failing call (or an
/// `EINVAL` produced by this wrapper for arguments libzmq could not accept,
/// such as an endpoint with an interior NUL byte). `message` is
/// `zmq_strerror(errno)`, or a more specific text for wrapper-side errors.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The `errno` value; compare with the constants in [`errno`](crate::errno).
    pub errno: i32,
    /// Human-readable description.
    pub message: String,
}

impl Error {
    /// Builds an error for `errno`, described by `zmq_strerror`.
    pub fn from_errno(errno: i32) -> Error {
        // SAFETY: zmq_strerror accepts any int and returns a pointer to a
        // static, NUL-terminated string (libzmq's own table or the C
        // library's strerror buffer), which we copy before returning.
        let text = unsafe { ffi::zmq_strerror(errno) };
        let message = if text.is_null() {
            format!("errno {errno}")
        } else {
            // SAFETY: non-null and NUL-terminated, see above.
            unsafe { CStr::from_ptr(text) }
                .to_string_lossy()
                .into_owned()
        };
        Error { errno, message }
    }

    /// Captures `zmq_errno()` after a libzmq call reported failure.
    ///
    /// Must be called on the same thread, before any other libzmq call.
    pub(crate) fn last() -> Error {
        // SAFETY: zmq_errno only reads the calling thread's errno.
        Error::from_errno(unsafe { ffi::zmq_errno() })
    }

    /// An `EINVAL` error raised by this wrapper, with its own explanation.
    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error {
            errno: errno::EINVAL,
            message: message.into(),
        }
    }

    /// `true` for `EAGAIN`: the call would have blocked (`DONTWAIT`), or the
    /// socket's `ZMQ_RCVTIMEO` / `ZMQ_SNDTIMEO` expired.
    pub fn is_again(&self) -> bool {
        self.errno == errno::EAGAIN
    }

    /// Alias of [`is_again`](Error::is_again) that reads better in tests
    /// waiting with a receive timeout.
    pub fn is_timeout(&self) -> bool {
        self.is_again()
    }

    /// `true` for `ETERM`: the socket's context was shut down.
    pub fn is_term(&self) -> bool {
        self.errno == errno::ETERM
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "libzmq error {}: {}", self.errno, self.message)
    }
}

impl std::error::Error for Error {}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Turns a libzmq `int` return code (-1 = failure) into a `Result`.
pub(crate) fn check(rc: i32) -> Result<i32> {
    if rc == -1 {
        Err(Error::last())
    } else {
        Ok(rc)
    }
}
