//! [`Socket`]: an owned libzmq socket with blocking send/receive, socket
//! options, monitoring and polling.

use std::cell::RefCell;
use std::ffi::{c_int, c_long, c_void};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::consts::{flags, opt, poll as poll_bits, SocketType};
use crate::context::RawContext;
use crate::error::{check, Error, Result};
use crate::ffi;
use crate::monitor::Monitor;
use crate::msg::{c_string, Frame, MessageBuf, Msg, Received};

/// `ZMQ_LINGER` (ms) given to every socket this crate creates.
///
/// libzmq's own default is -1 (wait forever for unsent messages when the
/// context terminates), which turns a vanished peer into a hung test. One
/// second is ample for queued messages to reach a connected peer (so "send a
/// reply, then drop the socket" still delivers), yet bounds the wait when the
/// peer is gone. Override per socket with [`Socket::set_linger`].
pub const DEFAULT_LINGER_MS: i32 = 1000;

/// Capacity used by [`Socket::get_sockopt_bytes`]: larger than any binary or
/// string option libzmq returns (endpoints are limited by `PATH_MAX`-ish
/// sizes, routing ids to 255 bytes).
const SOCKOPT_BUF_LEN: usize = 4096;

/// A libzmq socket (`zmq_socket`), closed (`zmq_close`) on drop.
///
/// Calls block like the C API does; bound them with
/// [`set_rcvtimeo`](Socket::set_rcvtimeo) / [`set_sndtimeo`](Socket::set_sndtimeo)
/// (a timeout surfaces as an [`Error`] with [`is_again`](Error::is_again)),
/// with [`flags::DONTWAIT`], or with [`poll`](Socket::poll).
///
/// A `Socket` is [`Send`] but not [`Sync`]: libzmq sockets may migrate between
/// threads (with a full memory barrier, which moving a value to another thread
/// provides) but must never be used from two threads at once. Run a libzmq
/// peer on a `std::thread` or in `tokio::task::spawn_blocking` by moving the
/// socket into it.
///
/// The socket keeps its [`Context`](crate::Context) alive.
#[derive(Debug)]
pub struct Socket {
    ptr: *mut c_void,
    kind: SocketType,
    /// The readers of this socket's monitors, kept open until the socket
    /// has stopped monitoring and closed (see [`Monitor`]).
    monitors: RefCell<Vec<Arc<Mutex<Socket>>>>,
    // Declared after `ptr` and released after `Drop::drop` has closed the
    // socket, so the context is only terminated once the socket is closed.
    ctx: Arc<RawContext>,
}

// SAFETY: libzmq sockets are not thread safe but may be moved to another
// thread (zmq_socket(3): "ØMQ sockets are not thread safe ... migrating a
// socket from one thread to another requires a full memory barrier"). Moving a
// Rust value across threads (spawn, channels, join) implies such a barrier,
// and `Socket` is not `Sync`, so two threads can never use it concurrently.
unsafe impl Send for Socket {}

impl Socket {
    pub(crate) fn new(ctx: Arc<RawContext>, kind: SocketType) -> Result<Socket> {
        // SAFETY: `ctx.ptr` is a live context (kept alive by the Arc); NULL is
        // returned (and checked) on failure, e.g. after zmq_ctx_shutdown.
        let ptr = unsafe { ffi::zmq_socket(ctx.ptr, kind.raw()) };
        if ptr.is_null() {
            return Err(Error::last());
        }
        let socket = Socket {
            ptr,
            kind,
            monitors: RefCell::new(Vec::new()),
            ctx,
        };
        socket.set_linger(DEFAULT_LINGER_MS)?;
        Ok(socket)
    }

    /// The raw `void *` handle, for calls this wrapper does not cover.
    pub(crate) fn as_ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// The socket's type.
    pub fn socket_type(&self) -> SocketType {
        self.kind
    }

    // ----------------------------------------------------------------------
    // Endpoints
    // ----------------------------------------------------------------------

    /// Binds to `endpoint` (`zmq_bind`), e.g. `"tcp://127.0.0.1:0"`,
    /// `"ipc:///tmp/x.sock"`, `"inproc://name"`. Use
    /// [`last_endpoint`](Socket::last_endpoint) to learn an ephemeral port.
    pub fn bind(&self, endpoint: &str) -> Result<()> {
        let c = c_string("endpoint", endpoint)?;
        // SAFETY: live socket; `c` is NUL-terminated and outlives the call.
        check(unsafe { ffi::zmq_bind(self.ptr, c.as_ptr()) }).map(drop)
    }

    /// Binds to an ephemeral TCP port on 127.0.0.1 and returns the resolved
    /// endpoint (`"tcp://127.0.0.1:<port>"`).
    pub fn bind_tcp_ephemeral(&self) -> Result<String> {
        self.bind("tcp://127.0.0.1:0")?;
        self.last_endpoint()
    }

    /// Connects to `endpoint` (`zmq_connect`). Like libzmq this succeeds
    /// before any connection exists; the connection is made (and retried) in
    /// the background.
    pub fn connect(&self, endpoint: &str) -> Result<()> {
        let c = c_string("endpoint", endpoint)?;
        // SAFETY: live socket; `c` is NUL-terminated and outlives the call.
        check(unsafe { ffi::zmq_connect(self.ptr, c.as_ptr()) }).map(drop)
    }

    /// Stops listening on `endpoint` (`zmq_unbind`). For an ephemeral bind,
    /// pass the resolved endpoint from [`last_endpoint`](Socket::last_endpoint).
    pub fn unbind(&self, endpoint: &str) -> Result<()> {
        let c = c_string("endpoint", endpoint)?;
        // SAFETY: live socket; `c` is NUL-terminated and outlives the call.
        check(unsafe { ffi::zmq_unbind(self.ptr, c.as_ptr()) }).map(drop)
    }

    /// Drops the connection made by [`connect`](Socket::connect) to
    /// `endpoint` (`zmq_disconnect`).
    pub fn disconnect(&self, endpoint: &str) -> Result<()> {
        let c = c_string("endpoint", endpoint)?;
        // SAFETY: live socket; `c` is NUL-terminated and outlives the call.
        check(unsafe { ffi::zmq_disconnect(self.ptr, c.as_ptr()) }).map(drop)
    }

    /// `ZMQ_LAST_ENDPOINT`: the endpoint of the last bind or connect, with
    /// wildcard ports resolved (e.g. `"tcp://127.0.0.1:41234"`).
    pub fn last_endpoint(&self) -> Result<String> {
        self.get_sockopt_string(opt::LAST_ENDPOINT)
    }

    // ----------------------------------------------------------------------
    // Sending and receiving
    // ----------------------------------------------------------------------

    /// Sends one frame (`zmq_send`, which copies `data`); `flags` is a
    /// combination of [`flags::SNDMORE`] and [`flags::DONTWAIT`].
    pub fn send(&self, data: &[u8], flags: i32) -> Result<()> {
        // SAFETY: live socket; `data` is valid for `data.len()` bytes for the
        // whole call (libzmq copies it before returning). An empty slice's
        // dangling-but-aligned pointer is never read with length 0.
        check(unsafe { ffi::zmq_send(self.ptr, data.as_ptr().cast(), data.len(), flags) }).map(drop)
    }

    /// Sends a whole multipart message: every frame but the last with
    /// `ZMQ_SNDMORE`.
    ///
    /// Accepts anything iterable over byte-ish items, e.g.
    /// `sock.send_multipart(["hello", "world"])`,
    /// `sock.send_multipart([&id[..], b"", b"payload"])` or a
    /// `Vec<Vec<u8>>`. An empty message (no frames) is rejected with
    /// `EINVAL`. If a later frame fails (e.g. `EAGAIN` from `ZMQ_SNDTIMEO`),
    /// the frames already queued stay queued, as in the C API.
    pub fn send_multipart<I>(&self, frames: I) -> Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        self.send_multipart_flags(frames, 0)
    }

    /// [`send_multipart`](Socket::send_multipart) with extra `flags` (e.g.
    /// [`flags::DONTWAIT`]) applied to every frame.
    pub fn send_multipart_flags<I>(&self, frames: I, flags: i32) -> Result<()>
    where
        I: IntoIterator,
        I::Item: AsRef<[u8]>,
    {
        let mut frames = frames.into_iter().peekable();
        if frames.peek().is_none() {
            return Err(Error::invalid("a message needs at least one frame"));
        }
        while let Some(frame) = frames.next() {
            let more = if frames.peek().is_some() {
                flags::SNDMORE
            } else {
                0
            };
            self.send(frame.as_ref(), flags | more)?;
        }
        Ok(())
    }

    /// Receives one frame (`zmq_msg_recv`); `flags` may be
    /// [`flags::DONTWAIT`].
    pub fn recv_frame(&self, flags: i32) -> Result<Frame> {
        let mut msg = self.recv_msg(flags)?;
        Ok(Frame {
            more: msg.more(),
            data: msg.data().to_vec(),
        })
    }

    /// Receives a whole multipart message (all frames up to the one without
    /// `ZMQ_RCVMORE`), blocking up to `ZMQ_RCVTIMEO`.
    pub fn recv_multipart(&self) -> Result<Vec<Vec<u8>>> {
        self.recv_multipart_flags(0)
    }

    /// [`recv_multipart`](Socket::recv_multipart) with `flags` (e.g.
    /// [`flags::DONTWAIT`]) for the first frame. Later frames of the same
    /// message are already queued (libzmq delivers messages atomically).
    pub fn recv_multipart_flags(&self, flags: i32) -> Result<Vec<Vec<u8>>> {
        Ok(self.recv_with(flags, &[])?.frames)
    }

    /// Receives a whole multipart message, waiting at most `timeout`; on
    /// expiry the error is `EAGAIN` ([`Error::is_timeout`]). Independent of
    /// `ZMQ_RCVTIMEO`.
    pub fn recv_multipart_timeout(&self, timeout: Duration) -> Result<Vec<Vec<u8>>> {
        if self.poll(poll_bits::POLLIN, timeout)? & poll_bits::POLLIN == 0 {
            return Err(Error::from_errno(crate::errno::EAGAIN));
        }
        self.recv_multipart_flags(flags::DONTWAIT)
    }

    /// Receives a whole multipart message and the given metadata
    /// `properties` of the connection it arrived on (`zmq_msg_gets` on the
    /// first frame), e.g. `&["Socket-Type", "Routing-Id", "User-Id",
    /// "Peer-Address", "X-Foo"]`.
    ///
    /// libzmq knows `Socket-Type`, `Identity` (when the peer sent one),
    /// `Peer-Address`, `User-Id` (set by a ZAP handler) and any property the
    /// peer's handshake metadata (e.g. `X-*` from `ZMQ_METADATA`) or the ZAP
    /// reply carried. Lookups are case-sensitive (libzmq keeps the names as
    /// received). Unknown names are simply left out of
    /// [`Received::properties`].
    pub fn recv_multipart_with_props(&self, properties: &[&str]) -> Result<Received> {
        self.recv_with(0, properties)
    }

    fn recv_with(&self, flags: i32, properties: &[&str]) -> Result<Received> {
        let names = properties
            .iter()
            .map(|p| c_string("property name", p).map(|c| (p.to_string(), c)))
            .collect::<Result<Vec<_>>>()?;
        let mut received = Received::default();
        let mut first = true;
        loop {
            let mut msg = self.recv_msg(if first { flags } else { 0 })?;
            if first {
                for (name, c) in &names {
                    if let Some(v) = msg.property(c) {
                        received.properties.insert(name.clone(), v);
                    }
                }
                first = false;
            }
            received.frames.push(msg.data().to_vec());
            if !msg.more() {
                return Ok(received);
            }
        }
    }

    fn recv_msg(&self, flags: i32) -> Result<Msg> {
        let mut msg = Msg::empty();
        // SAFETY: live socket and an initialised message, which libzmq fills
        // in (releasing its previous empty content).
        check(unsafe { ffi::zmq_msg_recv(msg.as_mut_ptr(), self.ptr, flags) })?;
        Ok(msg)
    }

    /// Sends one frame through a `zmq_msg_t` (`zmq_msg_send`) rather than
    /// `zmq_send`; behaves the same, but exercises libzmq's message path.
    pub fn send_msg(&self, data: &[u8], flags: i32) -> Result<()> {
        let mut msg = Msg::with_data(data)?;
        // SAFETY: live socket and an initialised message; on success libzmq
        // takes the content and leaves an empty message for `Msg` to close.
        check(unsafe { ffi::zmq_msg_send(msg.as_mut_ptr(), self.ptr, flags) }).map(drop)
    }

    /// Receives one frame into `buf` (`zmq_msg_recv`; the previous content
    /// is released) and returns its size. No copy, no allocation for the
    /// message itself; see [`MessageBuf::more`] for multipart messages.
    pub fn recv_into(&self, buf: &mut MessageBuf, flags: i32) -> Result<usize> {
        // SAFETY: live socket and an initialised message, which libzmq
        // closes and refills.
        check(unsafe { ffi::zmq_msg_recv(buf.msg.as_mut_ptr(), self.ptr, flags) })?;
        Ok(buf.len())
    }

    /// Sends the content of `buf` as one frame (`zmq_msg_send`, zero-copy);
    /// on success `buf` is left empty, on failure (e.g. `EAGAIN` with
    /// [`flags::DONTWAIT`]) it keeps its content.
    pub fn send_buf(&self, buf: &mut MessageBuf, flags: i32) -> Result<()> {
        // SAFETY: live socket and an initialised message; on success libzmq
        // takes the content and re-initialises the message as empty.
        check(unsafe { ffi::zmq_msg_send(buf.msg.as_mut_ptr(), self.ptr, flags) }).map(drop)
    }

    /// Sends `data` as one frame without copying or allocating: the
    /// message borrows the `'static` bytes (`zmq_msg_init_data` with no
    /// free function, a libzmq "constant" message).
    pub fn send_static(&self, data: &'static [u8], flags: i32) -> Result<()> {
        let mut msg = Msg::borrowing_static(data)?;
        // SAFETY: live socket and an initialised message; on success libzmq
        // takes the content and leaves an empty message for `Msg` to close.
        check(unsafe { ffi::zmq_msg_send(msg.as_mut_ptr(), self.ptr, flags) }).map(drop)
    }

    /// Waits until the socket is ready for `events` (`zmq_poll` on this
    /// socket alone; [`poll::POLLIN`](crate::poll::POLLIN) and/or
    /// [`poll::POLLOUT`](crate::poll::POLLOUT)) or `timeout` passes, and
    /// returns the ready bits (0 on timeout).
    pub fn poll(&self, events: i16, timeout: Duration) -> Result<i16> {
        let mut items = [PollItem::new(self, events)];
        poll(&mut items, timeout)?;
        Ok(items[0].revents())
    }

    // ----------------------------------------------------------------------
    // Monitoring
    // ----------------------------------------------------------------------

    /// Starts a socket monitor (`zmq_socket_monitor`) for the
    /// [`event`](crate::event) bits in `events` and returns the receiving end.
    ///
    /// Call it **before** `bind` / `connect`: libzmq drops events while no
    /// monitor reader is attached.
    ///
    /// The reader stays open as long as this socket, whatever happens to
    /// the returned [`Monitor`]: libzmq's blocking event sends would
    /// otherwise stall its I/O thread once the reader is gone.
    pub fn monitor(&self, events: u16) -> Result<Monitor> {
        let endpoint = crate::unique_inproc_endpoint("monitor");
        let c = c_string("endpoint", &endpoint)?;
        // SAFETY: live socket; `c` is NUL-terminated and outlives the call.
        check(unsafe { ffi::zmq_socket_monitor(self.ptr, c.as_ptr(), c_int::from(events)) })?;
        let reader = Socket::new(Arc::clone(&self.ctx), SocketType::Pair)?;
        // Unread events queue without limit instead of blocking libzmq.
        reader.set_rcvhwm(0)?;
        reader.connect(&endpoint)?;
        let reader = Arc::new(Mutex::new(reader));
        self.monitors.borrow_mut().push(Arc::clone(&reader));
        Ok(Monitor::new(reader))
    }

    // ----------------------------------------------------------------------
    // Generic socket options
    // ----------------------------------------------------------------------

    /// Sets an `int` option (see [`opt`](crate::opt)).
    pub fn set_sockopt_int(&self, option: i32, value: i32) -> Result<()> {
        let v: c_int = value;
        // SAFETY: live socket; `v` is a valid int for the duration of the
        // call and its exact size is passed.
        check(unsafe {
            ffi::zmq_setsockopt(
                self.ptr,
                option,
                (&v as *const c_int).cast(),
                std::mem::size_of::<c_int>(),
            )
        })
        .map(drop)
    }

    /// Sets an `int64_t` / `uint64_t` option (e.g. [`opt::MAXMSGSIZE`],
    /// [`opt::AFFINITY`]).
    pub fn set_sockopt_i64(&self, option: i32, value: i64) -> Result<()> {
        // SAFETY: live socket; `value` is a valid 8-byte integer for the
        // duration of the call and its exact size is passed.
        check(unsafe {
            ffi::zmq_setsockopt(
                self.ptr,
                option,
                (&value as *const i64).cast(),
                std::mem::size_of::<i64>(),
            )
        })
        .map(drop)
    }

    /// Sets a binary or string option (strings without a trailing NUL), e.g.
    /// [`opt::SUBSCRIBE`], [`opt::ROUTING_ID`], [`opt::PLAIN_USERNAME`].
    pub fn set_sockopt_bytes(&self, option: i32, value: &[u8]) -> Result<()> {
        // SAFETY: live socket; `value` is readable for `value.len()` bytes
        // during the call and libzmq copies it.
        check(unsafe { ffi::zmq_setsockopt(self.ptr, option, value.as_ptr().cast(), value.len()) })
            .map(drop)
    }

    /// Reads an `int` option.
    pub fn get_sockopt_int(&self, option: i32) -> Result<i32> {
        let mut v: c_int = 0;
        let mut len = std::mem::size_of::<c_int>();
        // SAFETY: live socket; `v`/`len` are valid for writes and `len`
        // holds the size of `v`, which libzmq checks before writing.
        check(unsafe {
            ffi::zmq_getsockopt(self.ptr, option, (&mut v as *mut c_int).cast(), &mut len)
        })?;
        Ok(v)
    }

    /// Reads an `int64_t` / `uint64_t` option.
    pub fn get_sockopt_i64(&self, option: i32) -> Result<i64> {
        let mut v: i64 = 0;
        let mut len = std::mem::size_of::<i64>();
        // SAFETY: as in `get_sockopt_int`, with an 8-byte integer.
        check(unsafe {
            ffi::zmq_getsockopt(self.ptr, option, (&mut v as *mut i64).cast(), &mut len)
        })?;
        Ok(v)
    }

    /// Reads a binary or string option as raw bytes, exactly as libzmq
    /// returns them (string options include their trailing NUL; see
    /// [`get_sockopt_string`](Socket::get_sockopt_string)).
    ///
    /// CURVE keys need an exact buffer size; use
    /// [`get_sockopt_bytes_sized`](Socket::get_sockopt_bytes_sized) with 32
    /// (binary) or 41 (Z85 + NUL) for them.
    pub fn get_sockopt_bytes(&self, option: i32) -> Result<Vec<u8>> {
        self.get_sockopt_bytes_sized(option, SOCKOPT_BUF_LEN)
    }

    /// Reads a binary or string option into a buffer of exactly `capacity`
    /// bytes, returning the bytes libzmq reported.
    pub fn get_sockopt_bytes_sized(&self, option: i32, capacity: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; capacity];
        let mut len = buf.len();
        // SAFETY: live socket; `buf` is writable for `len` bytes, and libzmq
        // writes at most `len` bytes and stores the used length in `len`.
        check(unsafe { ffi::zmq_getsockopt(self.ptr, option, buf.as_mut_ptr().cast(), &mut len) })?;
        buf.truncate(len);
        Ok(buf)
    }

    /// Reads a string option, without its trailing NUL.
    pub fn get_sockopt_string(&self, option: i32) -> Result<String> {
        let mut bytes = self.get_sockopt_bytes(option)?;
        if bytes.last() == Some(&0) {
            bytes.pop();
        }
        String::from_utf8(bytes).map_err(|e| Error::invalid(format!("option {option}: {e}")))
    }

    fn set_bool(&self, option: i32, value: bool) -> Result<()> {
        self.set_sockopt_int(option, i32::from(value))
    }

    // ----------------------------------------------------------------------
    // Typed socket options
    // ----------------------------------------------------------------------

    /// `ZMQ_LINGER` in ms (-1 = forever, 0 = drop unsent messages at once).
    pub fn set_linger(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::LINGER, ms)
    }

    /// `ZMQ_RCVTIMEO` in ms (-1 = block forever, 0 = never block). An
    /// expired receive fails with `EAGAIN`.
    pub fn set_rcvtimeo(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::RCVTIMEO, ms)
    }

    /// `ZMQ_SNDTIMEO` in ms (-1 = block forever, 0 = never block). An
    /// expired send fails with `EAGAIN`.
    pub fn set_sndtimeo(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::SNDTIMEO, ms)
    }

    /// `ZMQ_SNDHWM` in messages (0 = unlimited).
    pub fn set_sndhwm(&self, messages: i32) -> Result<()> {
        self.set_sockopt_int(opt::SNDHWM, messages)
    }

    /// `ZMQ_RCVHWM` in messages (0 = unlimited).
    pub fn set_rcvhwm(&self, messages: i32) -> Result<()> {
        self.set_sockopt_int(opt::RCVHWM, messages)
    }

    /// `ZMQ_ROUTING_ID` (1..=255 bytes, not starting with a zero byte):
    /// the identity announced to peers in the handshake. Set before
    /// `connect`/`bind`.
    pub fn set_routing_id(&self, id: &[u8]) -> Result<()> {
        self.set_sockopt_bytes(opt::ROUTING_ID, id)
    }

    /// Reads `ZMQ_ROUTING_ID`.
    pub fn routing_id(&self) -> Result<Vec<u8>> {
        self.get_sockopt_bytes_sized(opt::ROUTING_ID, 255)
    }

    /// `ZMQ_CONNECT_ROUTING_ID`: the routing id a ROUTER assigns to the peer
    /// of its next `connect`.
    pub fn set_connect_routing_id(&self, id: &[u8]) -> Result<()> {
        self.set_sockopt_bytes(opt::CONNECT_ROUTING_ID, id)
    }

    /// `ZMQ_SUBSCRIBE` (SUB/XSUB): receive messages starting with `prefix`
    /// (empty = everything).
    pub fn subscribe(&self, prefix: &[u8]) -> Result<()> {
        self.set_sockopt_bytes(opt::SUBSCRIBE, prefix)
    }

    /// `ZMQ_UNSUBSCRIBE` (SUB/XSUB): undo one matching `subscribe`.
    pub fn unsubscribe(&self, prefix: &[u8]) -> Result<()> {
        self.set_sockopt_bytes(opt::UNSUBSCRIBE, prefix)
    }

    /// `ZMQ_HEARTBEAT_IVL` in ms: send a ZMTP PING this often (0 = off).
    pub fn set_heartbeat_ivl(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::HEARTBEAT_IVL, ms)
    }

    /// `ZMQ_HEARTBEAT_TTL` in ms (sent in the PING, rounded down to
    /// deciseconds): how long the peer should wait for traffic before timing
    /// the connection out.
    pub fn set_heartbeat_ttl(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::HEARTBEAT_TTL, ms)
    }

    /// `ZMQ_HEARTBEAT_TIMEOUT` in ms: close the connection if no traffic
    /// arrives this long after a PING.
    pub fn set_heartbeat_timeout(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::HEARTBEAT_TIMEOUT, ms)
    }

    /// `ZMQ_HANDSHAKE_IVL` in ms (0 = no limit, libzmq default 30000).
    pub fn set_handshake_ivl(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::HANDSHAKE_IVL, ms)
    }

    /// `ZMQ_RECONNECT_IVL` in ms (-1 = never reconnect).
    pub fn set_reconnect_ivl(&self, ms: i32) -> Result<()> {
        self.set_sockopt_int(opt::RECONNECT_IVL, ms)
    }

    /// `ZMQ_MAXMSGSIZE` in bytes (-1 = unlimited): a peer sending a bigger
    /// frame is disconnected.
    pub fn set_maxmsgsize(&self, bytes: i64) -> Result<()> {
        self.set_sockopt_i64(opt::MAXMSGSIZE, bytes)
    }

    /// `ZMQ_IMMEDIATE`: queue messages only to completed connections.
    pub fn set_immediate(&self, on: bool) -> Result<()> {
        self.set_bool(opt::IMMEDIATE, on)
    }

    /// `ZMQ_IPV6`: allow IPv6 addresses (and dual-stack wildcards).
    pub fn set_ipv6(&self, on: bool) -> Result<()> {
        self.set_bool(opt::IPV6, on)
    }

    /// `ZMQ_ROUTER_MANDATORY` (ROUTER): fail with `EHOSTUNREACH` instead of
    /// silently dropping messages to unknown routing ids.
    pub fn set_router_mandatory(&self, on: bool) -> Result<()> {
        self.set_bool(opt::ROUTER_MANDATORY, on)
    }

    /// `ZMQ_ROUTER_HANDOVER` (ROUTER): a new connection with a known routing
    /// id takes it over instead of being refused.
    pub fn set_router_handover(&self, on: bool) -> Result<()> {
        self.set_bool(opt::ROUTER_HANDOVER, on)
    }

    /// `ZMQ_PROBE_ROUTER`: send an empty message right after connecting.
    pub fn set_probe_router(&self, on: bool) -> Result<()> {
        self.set_bool(opt::PROBE_ROUTER, on)
    }

    /// `ZMQ_REQ_CORRELATE` (REQ): prefix requests with a request id frame.
    pub fn set_req_correlate(&self, on: bool) -> Result<()> {
        self.set_bool(opt::REQ_CORRELATE, on)
    }

    /// `ZMQ_REQ_RELAXED` (REQ): allow sending again without a reply.
    pub fn set_req_relaxed(&self, on: bool) -> Result<()> {
        self.set_bool(opt::REQ_RELAXED, on)
    }

    /// `ZMQ_XPUB_VERBOSE` (XPUB): pass on duplicate subscriptions too.
    pub fn set_xpub_verbose(&self, on: bool) -> Result<()> {
        self.set_bool(opt::XPUB_VERBOSE, on)
    }

    /// `ZMQ_CONFLATE`: keep only the last message.
    pub fn set_conflate(&self, on: bool) -> Result<()> {
        self.set_bool(opt::CONFLATE, on)
    }

    /// `ZMQ_INVERT_MATCHING` (PUB/SUB/XPUB): deliver what does *not* match.
    pub fn set_invert_matching(&self, on: bool) -> Result<()> {
        self.set_bool(opt::INVERT_MATCHING, on)
    }

    /// `ZMQ_METADATA` (DRAFT): adds property `name` (which must start with
    /// `"X-"`) with `value` to this socket's handshake metadata.
    pub fn set_metadata(&self, name: &str, value: &str) -> Result<()> {
        self.set_sockopt_bytes(opt::METADATA, format!("{name}:{value}").as_bytes())
    }

    /// `ZMQ_ROUTER_NOTIFY` (DRAFT, ROUTER): bit set of
    /// [`notify`](crate::notify) values; the ROUTER then receives
    /// `[routing id, ""]` when a peer connects / disconnects.
    pub fn set_router_notify(&self, bits: i32) -> Result<()> {
        self.set_sockopt_int(opt::ROUTER_NOTIFY, bits)
    }

    /// `ZMQ_ZAP_DOMAIN`: the domain sent in ZAP requests. Setting a domain
    /// also makes a NULL-mechanism server consult the ZAP handler.
    pub fn set_zap_domain(&self, domain: &str) -> Result<()> {
        self.set_sockopt_bytes(opt::ZAP_DOMAIN, domain.as_bytes())
    }

    /// `ZMQ_PLAIN_SERVER`: act as PLAIN server (credentials are checked by
    /// the context's ZAP handler, see [`ZapHandler`](crate::ZapHandler)).
    pub fn set_plain_server(&self, on: bool) -> Result<()> {
        self.set_bool(opt::PLAIN_SERVER, on)
    }

    /// `ZMQ_PLAIN_USERNAME`: makes this socket a PLAIN client.
    pub fn set_plain_username(&self, username: &str) -> Result<()> {
        self.set_sockopt_bytes(opt::PLAIN_USERNAME, username.as_bytes())
    }

    /// `ZMQ_PLAIN_PASSWORD`: makes this socket a PLAIN client.
    pub fn set_plain_password(&self, password: &str) -> Result<()> {
        self.set_sockopt_bytes(opt::PLAIN_PASSWORD, password.as_bytes())
    }

    /// `ZMQ_CURVE_SERVER`: act as CURVE server (needs
    /// [`set_curve_secretkey`](Socket::set_curve_secretkey)).
    pub fn set_curve_server(&self, on: bool) -> Result<()> {
        self.set_bool(opt::CURVE_SERVER, on)
    }

    /// `ZMQ_CURVE_PUBLICKEY`: this socket's long-term public key, as 40 Z85
    /// characters (e.g. from [`curve_keypair`](crate::curve_keypair)) or 32
    /// raw bytes.
    pub fn set_curve_publickey(&self, key: impl AsRef<[u8]>) -> Result<()> {
        self.set_sockopt_bytes(opt::CURVE_PUBLICKEY, key.as_ref())
    }

    /// `ZMQ_CURVE_SECRETKEY`: this socket's long-term secret key (40 Z85
    /// characters or 32 raw bytes).
    pub fn set_curve_secretkey(&self, key: impl AsRef<[u8]>) -> Result<()> {
        self.set_sockopt_bytes(opt::CURVE_SECRETKEY, key.as_ref())
    }

    /// `ZMQ_CURVE_SERVERKEY`: the server's public key, which makes this
    /// socket a CURVE client (40 Z85 characters or 32 raw bytes).
    pub fn set_curve_serverkey(&self, key: impl AsRef<[u8]>) -> Result<()> {
        self.set_sockopt_bytes(opt::CURVE_SERVERKEY, key.as_ref())
    }

    /// Reads `ZMQ_CURVE_PUBLICKEY` as Z85 text.
    pub fn curve_publickey(&self) -> Result<String> {
        self.get_curve_key_z85(opt::CURVE_PUBLICKEY)
    }

    /// Reads `ZMQ_CURVE_SERVERKEY` as Z85 text.
    pub fn curve_serverkey(&self) -> Result<String> {
        self.get_curve_key_z85(opt::CURVE_SERVERKEY)
    }

    fn get_curve_key_z85(&self, option: i32) -> Result<String> {
        // libzmq returns Z85 text when the buffer is exactly 41 bytes.
        let mut bytes = self.get_sockopt_bytes_sized(option, 41)?;
        if bytes.last() == Some(&0) {
            bytes.pop();
        }
        String::from_utf8(bytes).map_err(|e| Error::invalid(format!("option {option}: {e}")))
    }

    /// `ZMQ_MECHANISM`: the configured security mechanism (see
    /// [`mechanism`](crate::mechanism)).
    pub fn mechanism(&self) -> Result<i32> {
        self.get_sockopt_int(opt::MECHANISM)
    }

    /// `ZMQ_RCVMORE`: the last received frame has more frames after it.
    pub fn rcvmore(&self) -> Result<bool> {
        Ok(self.get_sockopt_int(opt::RCVMORE)? != 0)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        if !self.monitors.borrow().is_empty() {
            // Stop monitoring while the readers are still open, so that no
            // event of the socket's shutdown waits for a reader that is gone.
            // SAFETY: `ptr` is a live socket; a NULL endpoint stops the
            // monitor.
            unsafe {
                ffi::zmq_socket_monitor(self.ptr, std::ptr::null(), 0);
            }
        }
        // SAFETY: `ptr` is a live socket, closed exactly once, here, on the
        // thread that owns it. zmq_close does not block (lingering happens in
        // the context's reaper thread).
        unsafe {
            ffi::zmq_close(self.ptr);
        }
        // The readers close when their `Monitor`s are gone too.
        self.monitors.get_mut().clear();
    }
}

/// One entry for [`poll`]: a socket and the events of interest.
#[derive(Debug)]
pub struct PollItem<'a> {
    socket: &'a Socket,
    events: i16,
    revents: i16,
}

impl<'a> PollItem<'a> {
    /// Waits for `events` ([`poll::POLLIN`](crate::poll::POLLIN) /
    /// [`poll::POLLOUT`](crate::poll::POLLOUT)) on `socket`.
    pub fn new(socket: &'a Socket, events: i16) -> PollItem<'a> {
        PollItem {
            socket,
            events,
            revents: 0,
        }
    }

    /// The events found ready by the last [`poll`].
    pub fn revents(&self) -> i16 {
        self.revents
    }

    /// `POLLIN` was ready.
    pub fn is_readable(&self) -> bool {
        self.revents & poll_bits::POLLIN != 0
    }

    /// `POLLOUT` was ready.
    pub fn is_writable(&self) -> bool {
        self.revents & poll_bits::POLLOUT != 0
    }
}

/// Waits until at least one item is ready or `timeout` passes (`zmq_poll`),
/// filling in each item's [`revents`](PollItem::revents) and returning the
/// number of ready items (0 on timeout).
///
/// An interrupted wait (`EINTR`) is resumed with the remaining time.
pub fn poll(items: &mut [PollItem<'_>], timeout: Duration) -> Result<usize> {
    let mut raw: Vec<ffi::ZmqPollItem> = items
        .iter()
        .map(|item| ffi::ZmqPollItem {
            socket: item.socket.as_ptr(),
            fd: 0,
            events: item.events,
            revents: 0,
        })
        .collect();
    let nitems = c_int::try_from(raw.len()).map_err(|_| Error::invalid("too many poll items"))?;
    // `None`: the timeout is too large to represent, i.e. wait forever.
    let deadline = Instant::now().checked_add(timeout);
    let ready = loop {
        let ms: c_long = match deadline {
            Some(d) => {
                let left = d.saturating_duration_since(Instant::now());
                c_long::try_from(left.as_millis()).unwrap_or(c_long::MAX)
            }
            None => -1,
        };
        // SAFETY: `raw` holds `nitems` initialised entries whose sockets are
        // live (borrowed from `items` for the duration of the call).
        let rc = unsafe { ffi::zmq_poll(raw.as_mut_ptr(), nitems, ms) };
        match check(rc) {
            Ok(n) => break n,
            Err(e) if e.errno == crate::errno::EINTR => continue,
            Err(e) => return Err(e),
        }
    };
    for (item, r) in items.iter_mut().zip(&raw) {
        item.revents = r.revents;
    }
    Ok(usize::try_from(ready).unwrap_or(0))
}
