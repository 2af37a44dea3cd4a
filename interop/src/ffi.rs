//! Hand-written declarations of the small part of libzmq's C API (`zmq.h`,
//! 4.3.5) that this crate wraps.
//!
//! Nothing here is public: the safe wrappers in the rest of the crate are the
//! only callers. Signatures follow `include/zmq.h` exactly; `void *` handles
//! are spelled `*mut c_void`.

use std::ffi::{c_char, c_int, c_long, c_short, c_void};

/// `zmq_msg_t`: 64 opaque bytes, aligned on a pointer-size boundary as the
/// header demands (`__attribute__ ((aligned (sizeof (void *))))`).
#[repr(C, align(8))]
pub(crate) struct ZmqMsg {
    _opaque: [u8; 64],
}

impl ZmqMsg {
    /// An all-zero value, to be handed to `zmq_msg_init*` before any other
    /// use.
    pub(crate) const fn zeroed() -> Self {
        Self { _opaque: [0; 64] }
    }
}

/// `zmq_pollitem_t` on non-Windows targets (`zmq_fd_t` is `int` there).
#[repr(C)]
pub(crate) struct ZmqPollItem {
    pub(crate) socket: *mut c_void,
    pub(crate) fd: c_int,
    pub(crate) events: c_short,
    pub(crate) revents: c_short,
}

// The symbols come from the static `libzmq.a` that build.rs compiles (and
// which links against the `libsodium.a` of `libsodium-sys-stable`).
extern "C" {
    pub(crate) fn zmq_errno() -> c_int;
    pub(crate) fn zmq_strerror(errnum: c_int) -> *const c_char;
    pub(crate) fn zmq_version(major: *mut c_int, minor: *mut c_int, patch: *mut c_int);
    pub(crate) fn zmq_has(capability: *const c_char) -> c_int;

    pub(crate) fn zmq_ctx_new() -> *mut c_void;
    pub(crate) fn zmq_ctx_term(context: *mut c_void) -> c_int;
    pub(crate) fn zmq_ctx_shutdown(context: *mut c_void) -> c_int;
    pub(crate) fn zmq_ctx_set(context: *mut c_void, option: c_int, optval: c_int) -> c_int;
    pub(crate) fn zmq_ctx_get(context: *mut c_void, option: c_int) -> c_int;

    pub(crate) fn zmq_msg_init(msg: *mut ZmqMsg) -> c_int;
    pub(crate) fn zmq_msg_init_size(msg: *mut ZmqMsg, size: usize) -> c_int;
    pub(crate) fn zmq_msg_init_data(
        msg: *mut ZmqMsg,
        data: *mut c_void,
        size: usize,
        ffn: Option<unsafe extern "C" fn(data: *mut c_void, hint: *mut c_void)>,
        hint: *mut c_void,
    ) -> c_int;
    pub(crate) fn zmq_msg_send(msg: *mut ZmqMsg, socket: *mut c_void, flags: c_int) -> c_int;
    pub(crate) fn zmq_msg_recv(msg: *mut ZmqMsg, socket: *mut c_void, flags: c_int) -> c_int;
    pub(crate) fn zmq_msg_close(msg: *mut ZmqMsg) -> c_int;
    pub(crate) fn zmq_msg_data(msg: *mut ZmqMsg) -> *mut c_void;
    pub(crate) fn zmq_msg_size(msg: *const ZmqMsg) -> usize;
    pub(crate) fn zmq_msg_more(msg: *const ZmqMsg) -> c_int;
    pub(crate) fn zmq_msg_gets(msg: *const ZmqMsg, property: *const c_char) -> *const c_char;

    pub(crate) fn zmq_socket(context: *mut c_void, kind: c_int) -> *mut c_void;
    pub(crate) fn zmq_close(socket: *mut c_void) -> c_int;
    pub(crate) fn zmq_setsockopt(
        socket: *mut c_void,
        option: c_int,
        optval: *const c_void,
        optvallen: usize,
    ) -> c_int;
    pub(crate) fn zmq_getsockopt(
        socket: *mut c_void,
        option: c_int,
        optval: *mut c_void,
        optvallen: *mut usize,
    ) -> c_int;
    pub(crate) fn zmq_bind(socket: *mut c_void, addr: *const c_char) -> c_int;
    pub(crate) fn zmq_connect(socket: *mut c_void, addr: *const c_char) -> c_int;
    pub(crate) fn zmq_unbind(socket: *mut c_void, addr: *const c_char) -> c_int;
    pub(crate) fn zmq_disconnect(socket: *mut c_void, addr: *const c_char) -> c_int;
    pub(crate) fn zmq_socket_monitor(
        socket: *mut c_void,
        addr: *const c_char,
        events: c_int,
    ) -> c_int;

    pub(crate) fn zmq_send(
        socket: *mut c_void,
        buf: *const c_void,
        len: usize,
        flags: c_int,
    ) -> c_int;

    pub(crate) fn zmq_poll(items: *mut ZmqPollItem, nitems: c_int, timeout: c_long) -> c_int;

    pub(crate) fn zmq_proxy(
        frontend: *mut c_void,
        backend: *mut c_void,
        capture: *mut c_void,
    ) -> c_int;
    pub(crate) fn zmq_proxy_steerable(
        frontend: *mut c_void,
        backend: *mut c_void,
        capture: *mut c_void,
        control: *mut c_void,
    ) -> c_int;

    pub(crate) fn zmq_z85_encode(dest: *mut c_char, data: *const u8, size: usize) -> *mut c_char;
    pub(crate) fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8;
    pub(crate) fn zmq_curve_keypair(
        z85_public_key: *mut c_char,
        z85_secret_key: *mut c_char,
    ) -> c_int;
    pub(crate) fn zmq_curve_public(
        z85_public_key: *mut c_char,
        z85_secret_key: *const c_char,
    ) -> c_int;
}
