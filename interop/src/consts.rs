//! Numeric constants of libzmq 4.3.5, taken from its `include/zmq.h`.
//!
//! They are grouped in small modules (`opt`, `ctx_opt`, `event`, …) so that a
//! test reads like the C API it mirrors: `sock.set_sockopt_int(opt::LINGER, 0)`.
//! Values marked *DRAFT* only exist because this crate builds libzmq with the
//! DRAFT API enabled.

use std::fmt;

/// The kind of a libzmq socket (`ZMQ_PAIR`, `ZMQ_PUB`, …).
///
/// Types marked *DRAFT* are the thread-safe / UDP socket types that libzmq
/// only compiles with its DRAFT API, which this crate enables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// `ZMQ_PAIR` (0).
    Pair,
    /// `ZMQ_PUB` (1).
    Pub,
    /// `ZMQ_SUB` (2).
    Sub,
    /// `ZMQ_REQ` (3).
    Req,
    /// `ZMQ_REP` (4).
    Rep,
    /// `ZMQ_DEALER` (5).
    Dealer,
    /// `ZMQ_ROUTER` (6).
    Router,
    /// `ZMQ_PULL` (7).
    Pull,
    /// `ZMQ_PUSH` (8).
    Push,
    /// `ZMQ_XPUB` (9).
    XPub,
    /// `ZMQ_XSUB` (10).
    XSub,
    /// `ZMQ_STREAM` (11).
    Stream,
    /// `ZMQ_SERVER` (12), DRAFT.
    Server,
    /// `ZMQ_CLIENT` (13), DRAFT.
    Client,
    /// `ZMQ_RADIO` (14), DRAFT.
    Radio,
    /// `ZMQ_DISH` (15), DRAFT.
    Dish,
    /// `ZMQ_GATHER` (16), DRAFT.
    Gather,
    /// `ZMQ_SCATTER` (17), DRAFT.
    Scatter,
    /// `ZMQ_DGRAM` (18), DRAFT.
    Dgram,
    /// `ZMQ_PEER` (19), DRAFT.
    Peer,
    /// `ZMQ_CHANNEL` (20), DRAFT.
    Channel,
}

impl SocketType {
    /// Every socket type, in numeric order.
    pub const ALL: [SocketType; 21] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::XPub,
        SocketType::XSub,
        SocketType::Stream,
        SocketType::Server,
        SocketType::Client,
        SocketType::Radio,
        SocketType::Dish,
        SocketType::Gather,
        SocketType::Scatter,
        SocketType::Dgram,
        SocketType::Peer,
        SocketType::Channel,
    ];

    /// The `ZMQ_*` number libzmq uses for this type.
    pub const fn raw(self) -> i32 {
        match self {
            SocketType::Pair => 0,
            SocketType::Pub => 1,
            SocketType::Sub => 2,
            SocketType::Req => 3,
            SocketType::Rep => 4,
            SocketType::Dealer => 5,
            SocketType::Router => 6,
            SocketType::Pull => 7,
            SocketType::Push => 8,
            SocketType::XPub => 9,
            SocketType::XSub => 10,
            SocketType::Stream => 11,
            SocketType::Server => 12,
            SocketType::Client => 13,
            SocketType::Radio => 14,
            SocketType::Dish => 15,
            SocketType::Gather => 16,
            SocketType::Scatter => 17,
            SocketType::Dgram => 18,
            SocketType::Peer => 19,
            SocketType::Channel => 20,
        }
    }

    /// The socket type with libzmq number `raw`, if there is one.
    pub fn from_raw(raw: i32) -> Option<SocketType> {
        usize::try_from(raw)
            .ok()
            .and_then(|i| SocketType::ALL.get(i).copied())
    }

    /// The name a ZMTP 3.x peer announces in its `Socket-Type` metadata
    /// property (e.g. `"DEALER"`), which is also what libzmq reports through
    /// `zmq_msg_gets(msg, "Socket-Type")`.
    pub const fn zmtp_name(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::XPub => "XPUB",
            SocketType::XSub => "XSUB",
            SocketType::Stream => "STREAM",
            SocketType::Server => "SERVER",
            SocketType::Client => "CLIENT",
            SocketType::Radio => "RADIO",
            SocketType::Dish => "DISH",
            SocketType::Gather => "GATHER",
            SocketType::Scatter => "SCATTER",
            SocketType::Dgram => "DGRAM",
            SocketType::Peer => "PEER",
            SocketType::Channel => "CHANNEL",
        }
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.zmtp_name())
    }
}

/// Socket option numbers (`ZMQ_*` arguments of `zmq_setsockopt` /
/// `zmq_getsockopt`).
///
/// The comment on each constant gives the C type libzmq expects, which
/// decides the [`Socket`](crate::Socket) accessor to use: `int` →
/// `*_sockopt_int`, `int64_t`/`uint64_t` → `*_sockopt_i64`, binary or string
/// → `*_sockopt_bytes`.
pub mod opt {
    /// `ZMQ_AFFINITY` (uint64).
    pub const AFFINITY: i32 = 4;
    /// `ZMQ_ROUTING_ID` (binary, 1..=255 bytes); alias `ZMQ_IDENTITY`.
    pub const ROUTING_ID: i32 = 5;
    /// `ZMQ_SUBSCRIBE` (binary prefix; SUB/XSUB).
    pub const SUBSCRIBE: i32 = 6;
    /// `ZMQ_UNSUBSCRIBE` (binary prefix; SUB/XSUB).
    pub const UNSUBSCRIBE: i32 = 7;
    /// `ZMQ_RATE` (int, kbit/s; multicast).
    pub const RATE: i32 = 8;
    /// `ZMQ_RECOVERY_IVL` (int, ms; multicast).
    pub const RECOVERY_IVL: i32 = 9;
    /// `ZMQ_SNDBUF` (int, bytes; kernel buffer).
    pub const SNDBUF: i32 = 11;
    /// `ZMQ_RCVBUF` (int, bytes; kernel buffer).
    pub const RCVBUF: i32 = 12;
    /// `ZMQ_RCVMORE` (int, read-only).
    pub const RCVMORE: i32 = 13;
    /// `ZMQ_FD` (int file descriptor, read-only).
    pub const FD: i32 = 14;
    /// `ZMQ_EVENTS` (int bit set of `POLLIN`/`POLLOUT`, read-only).
    pub const EVENTS: i32 = 15;
    /// `ZMQ_TYPE` (int, read-only).
    pub const TYPE: i32 = 16;
    /// `ZMQ_LINGER` (int, ms; -1 = forever).
    pub const LINGER: i32 = 17;
    /// `ZMQ_RECONNECT_IVL` (int, ms).
    pub const RECONNECT_IVL: i32 = 18;
    /// `ZMQ_BACKLOG` (int).
    pub const BACKLOG: i32 = 19;
    /// `ZMQ_RECONNECT_IVL_MAX` (int, ms).
    pub const RECONNECT_IVL_MAX: i32 = 21;
    /// `ZMQ_MAXMSGSIZE` (int64, bytes; -1 = unlimited).
    pub const MAXMSGSIZE: i32 = 22;
    /// `ZMQ_SNDHWM` (int, messages).
    pub const SNDHWM: i32 = 23;
    /// `ZMQ_RCVHWM` (int, messages).
    pub const RCVHWM: i32 = 24;
    /// `ZMQ_MULTICAST_HOPS` (int).
    pub const MULTICAST_HOPS: i32 = 25;
    /// `ZMQ_RCVTIMEO` (int, ms; -1 = block forever).
    pub const RCVTIMEO: i32 = 27;
    /// `ZMQ_SNDTIMEO` (int, ms; -1 = block forever).
    pub const SNDTIMEO: i32 = 28;
    /// `ZMQ_IPV4ONLY` (int, deprecated in favour of [`IPV6`]).
    pub const IPV4ONLY: i32 = 31;
    /// `ZMQ_LAST_ENDPOINT` (string, read-only).
    pub const LAST_ENDPOINT: i32 = 32;
    /// `ZMQ_ROUTER_MANDATORY` (int bool).
    pub const ROUTER_MANDATORY: i32 = 33;
    /// `ZMQ_TCP_KEEPALIVE` (int: -1, 0, 1).
    pub const TCP_KEEPALIVE: i32 = 34;
    /// `ZMQ_TCP_KEEPALIVE_CNT` (int).
    pub const TCP_KEEPALIVE_CNT: i32 = 35;
    /// `ZMQ_TCP_KEEPALIVE_IDLE` (int, s).
    pub const TCP_KEEPALIVE_IDLE: i32 = 36;
    /// `ZMQ_TCP_KEEPALIVE_INTVL` (int, s).
    pub const TCP_KEEPALIVE_INTVL: i32 = 37;
    /// `ZMQ_TCP_ACCEPT_FILTER` (string, deprecated).
    pub const TCP_ACCEPT_FILTER: i32 = 38;
    /// `ZMQ_IMMEDIATE` (int bool); alias `ZMQ_DELAY_ATTACH_ON_CONNECT`.
    pub const IMMEDIATE: i32 = 39;
    /// `ZMQ_XPUB_VERBOSE` (int bool).
    pub const XPUB_VERBOSE: i32 = 40;
    /// `ZMQ_ROUTER_RAW` (int bool, deprecated).
    pub const ROUTER_RAW: i32 = 41;
    /// `ZMQ_IPV6` (int bool).
    pub const IPV6: i32 = 42;
    /// `ZMQ_MECHANISM` (int, read-only; see [`mechanism`](super::mechanism)).
    pub const MECHANISM: i32 = 43;
    /// `ZMQ_PLAIN_SERVER` (int bool).
    pub const PLAIN_SERVER: i32 = 44;
    /// `ZMQ_PLAIN_USERNAME` (string).
    pub const PLAIN_USERNAME: i32 = 45;
    /// `ZMQ_PLAIN_PASSWORD` (string).
    pub const PLAIN_PASSWORD: i32 = 46;
    /// `ZMQ_CURVE_SERVER` (int bool).
    pub const CURVE_SERVER: i32 = 47;
    /// `ZMQ_CURVE_PUBLICKEY` (32 binary bytes or 40 Z85 characters).
    pub const CURVE_PUBLICKEY: i32 = 48;
    /// `ZMQ_CURVE_SECRETKEY` (32 binary bytes or 40 Z85 characters).
    pub const CURVE_SECRETKEY: i32 = 49;
    /// `ZMQ_CURVE_SERVERKEY` (32 binary bytes or 40 Z85 characters).
    pub const CURVE_SERVERKEY: i32 = 50;
    /// `ZMQ_PROBE_ROUTER` (int bool).
    pub const PROBE_ROUTER: i32 = 51;
    /// `ZMQ_REQ_CORRELATE` (int bool).
    pub const REQ_CORRELATE: i32 = 52;
    /// `ZMQ_REQ_RELAXED` (int bool).
    pub const REQ_RELAXED: i32 = 53;
    /// `ZMQ_CONFLATE` (int bool).
    pub const CONFLATE: i32 = 54;
    /// `ZMQ_ZAP_DOMAIN` (string).
    pub const ZAP_DOMAIN: i32 = 55;
    /// `ZMQ_ROUTER_HANDOVER` (int bool).
    pub const ROUTER_HANDOVER: i32 = 56;
    /// `ZMQ_TOS` (int).
    pub const TOS: i32 = 57;
    /// `ZMQ_IPC_FILTER_PID` (deprecated).
    pub const IPC_FILTER_PID: i32 = 58;
    /// `ZMQ_IPC_FILTER_UID` (deprecated).
    pub const IPC_FILTER_UID: i32 = 59;
    /// `ZMQ_IPC_FILTER_GID` (deprecated).
    pub const IPC_FILTER_GID: i32 = 60;
    /// `ZMQ_CONNECT_ROUTING_ID` (binary); alias `ZMQ_CONNECT_RID`.
    pub const CONNECT_ROUTING_ID: i32 = 61;
    /// `ZMQ_GSSAPI_SERVER` (int bool; GSSAPI is not compiled in).
    pub const GSSAPI_SERVER: i32 = 62;
    /// `ZMQ_GSSAPI_PRINCIPAL` (string; GSSAPI is not compiled in).
    pub const GSSAPI_PRINCIPAL: i32 = 63;
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL` (string; GSSAPI is not compiled in).
    pub const GSSAPI_SERVICE_PRINCIPAL: i32 = 64;
    /// `ZMQ_GSSAPI_PLAINTEXT` (int bool; GSSAPI is not compiled in).
    pub const GSSAPI_PLAINTEXT: i32 = 65;
    /// `ZMQ_HANDSHAKE_IVL` (int, ms; 0 = no limit).
    pub const HANDSHAKE_IVL: i32 = 66;
    /// `ZMQ_SOCKS_PROXY` (string).
    pub const SOCKS_PROXY: i32 = 68;
    /// `ZMQ_XPUB_NODROP` (int bool).
    pub const XPUB_NODROP: i32 = 69;
    /// `ZMQ_BLOCKY` (int bool).
    pub const BLOCKY: i32 = 70;
    /// `ZMQ_XPUB_MANUAL` (int bool).
    pub const XPUB_MANUAL: i32 = 71;
    /// `ZMQ_XPUB_WELCOME_MSG` (binary).
    pub const XPUB_WELCOME_MSG: i32 = 72;
    /// `ZMQ_STREAM_NOTIFY` (int bool).
    pub const STREAM_NOTIFY: i32 = 73;
    /// `ZMQ_INVERT_MATCHING` (int bool).
    pub const INVERT_MATCHING: i32 = 74;
    /// `ZMQ_HEARTBEAT_IVL` (int, ms; 0 = off).
    pub const HEARTBEAT_IVL: i32 = 75;
    /// `ZMQ_HEARTBEAT_TTL` (int, ms, sent to the peer in deciseconds).
    pub const HEARTBEAT_TTL: i32 = 76;
    /// `ZMQ_HEARTBEAT_TIMEOUT` (int, ms).
    pub const HEARTBEAT_TIMEOUT: i32 = 77;
    /// `ZMQ_XPUB_VERBOSER` (int bool).
    pub const XPUB_VERBOSER: i32 = 78;
    /// `ZMQ_CONNECT_TIMEOUT` (int, ms).
    pub const CONNECT_TIMEOUT: i32 = 79;
    /// `ZMQ_TCP_MAXRT` (int, ms).
    pub const TCP_MAXRT: i32 = 80;
    /// `ZMQ_THREAD_SAFE` (int bool, read-only).
    pub const THREAD_SAFE: i32 = 81;
    /// `ZMQ_MULTICAST_MAXTPDU` (int).
    pub const MULTICAST_MAXTPDU: i32 = 84;
    /// `ZMQ_VMCI_BUFFER_SIZE` (uint64).
    pub const VMCI_BUFFER_SIZE: i32 = 85;
    /// `ZMQ_VMCI_BUFFER_MIN_SIZE` (uint64).
    pub const VMCI_BUFFER_MIN_SIZE: i32 = 86;
    /// `ZMQ_VMCI_BUFFER_MAX_SIZE` (uint64).
    pub const VMCI_BUFFER_MAX_SIZE: i32 = 87;
    /// `ZMQ_VMCI_CONNECT_TIMEOUT` (int).
    pub const VMCI_CONNECT_TIMEOUT: i32 = 88;
    /// `ZMQ_USE_FD` (int).
    pub const USE_FD: i32 = 89;
    /// `ZMQ_GSSAPI_PRINCIPAL_NAMETYPE` (int).
    pub const GSSAPI_PRINCIPAL_NAMETYPE: i32 = 90;
    /// `ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE` (int).
    pub const GSSAPI_SERVICE_PRINCIPAL_NAMETYPE: i32 = 91;
    /// `ZMQ_BINDTODEVICE` (string).
    pub const BINDTODEVICE: i32 = 92;
    /// `ZMQ_ZAP_ENFORCE_DOMAIN` (int bool), DRAFT.
    pub const ZAP_ENFORCE_DOMAIN: i32 = 93;
    /// `ZMQ_LOOPBACK_FASTPATH` (int bool, Windows only), DRAFT.
    pub const LOOPBACK_FASTPATH: i32 = 94;
    /// `ZMQ_METADATA` (string `"X-Name:value"`, adds a handshake property),
    /// DRAFT.
    pub const METADATA: i32 = 95;
    /// `ZMQ_MULTICAST_LOOP` (int bool), DRAFT.
    pub const MULTICAST_LOOP: i32 = 96;
    /// `ZMQ_ROUTER_NOTIFY` (int bit set of `NOTIFY_*`), DRAFT.
    pub const ROUTER_NOTIFY: i32 = 97;
    /// `ZMQ_XPUB_MANUAL_LAST_VALUE` (int bool), DRAFT.
    pub const XPUB_MANUAL_LAST_VALUE: i32 = 98;
    /// `ZMQ_SOCKS_USERNAME` (string), DRAFT.
    pub const SOCKS_USERNAME: i32 = 99;
    /// `ZMQ_SOCKS_PASSWORD` (string), DRAFT.
    pub const SOCKS_PASSWORD: i32 = 100;
    /// `ZMQ_IN_BATCH_SIZE` (int), DRAFT.
    pub const IN_BATCH_SIZE: i32 = 101;
    /// `ZMQ_OUT_BATCH_SIZE` (int), DRAFT.
    pub const OUT_BATCH_SIZE: i32 = 102;
    /// `ZMQ_WSS_KEY_PEM` (string; WSS is not compiled in), DRAFT.
    pub const WSS_KEY_PEM: i32 = 103;
    /// `ZMQ_WSS_CERT_PEM` (string; WSS is not compiled in), DRAFT.
    pub const WSS_CERT_PEM: i32 = 104;
    /// `ZMQ_WSS_TRUST_PEM` (string; WSS is not compiled in), DRAFT.
    pub const WSS_TRUST_PEM: i32 = 105;
    /// `ZMQ_WSS_HOSTNAME` (string; WSS is not compiled in), DRAFT.
    pub const WSS_HOSTNAME: i32 = 106;
    /// `ZMQ_WSS_TRUST_SYSTEM` (int bool; WSS is not compiled in), DRAFT.
    pub const WSS_TRUST_SYSTEM: i32 = 107;
    /// `ZMQ_ONLY_FIRST_SUBSCRIBE` (int bool), DRAFT.
    pub const ONLY_FIRST_SUBSCRIBE: i32 = 108;
    /// `ZMQ_RECONNECT_STOP` (int bit set of `RECONNECT_STOP_*`), DRAFT.
    pub const RECONNECT_STOP: i32 = 109;
    /// `ZMQ_HELLO_MSG` (binary), DRAFT.
    pub const HELLO_MSG: i32 = 110;
    /// `ZMQ_DISCONNECT_MSG` (binary), DRAFT.
    pub const DISCONNECT_MSG: i32 = 111;
    /// `ZMQ_PRIORITY` (int), DRAFT.
    pub const PRIORITY: i32 = 112;
    /// `ZMQ_BUSY_POLL` (int bool), DRAFT.
    pub const BUSY_POLL: i32 = 113;
    /// `ZMQ_HICCUP_MSG` (binary), DRAFT.
    pub const HICCUP_MSG: i32 = 114;
    /// `ZMQ_XSUB_VERBOSE_UNSUBSCRIBE` (int bool), DRAFT.
    pub const XSUB_VERBOSE_UNSUBSCRIBE: i32 = 115;
    /// `ZMQ_TOPICS_COUNT` (int, read-only), DRAFT.
    pub const TOPICS_COUNT: i32 = 116;
}

/// Context option numbers (`zmq_ctx_set` / `zmq_ctx_get`).
pub mod ctx_opt {
    /// `ZMQ_IO_THREADS` (default 1).
    pub const IO_THREADS: i32 = 1;
    /// `ZMQ_MAX_SOCKETS` (default 1023).
    pub const MAX_SOCKETS: i32 = 2;
    /// `ZMQ_SOCKET_LIMIT` (read-only).
    pub const SOCKET_LIMIT: i32 = 3;
    /// `ZMQ_THREAD_PRIORITY`.
    pub const THREAD_PRIORITY: i32 = 3;
    /// `ZMQ_THREAD_SCHED_POLICY`.
    pub const THREAD_SCHED_POLICY: i32 = 4;
    /// `ZMQ_MAX_MSGSZ` (read-only).
    pub const MAX_MSGSZ: i32 = 5;
    /// `ZMQ_MSG_T_SIZE` (read-only).
    pub const MSG_T_SIZE: i32 = 6;
    /// `ZMQ_THREAD_AFFINITY_CPU_ADD`.
    pub const THREAD_AFFINITY_CPU_ADD: i32 = 7;
    /// `ZMQ_THREAD_AFFINITY_CPU_REMOVE`.
    pub const THREAD_AFFINITY_CPU_REMOVE: i32 = 8;
    /// `ZMQ_THREAD_NAME_PREFIX`.
    pub const THREAD_NAME_PREFIX: i32 = 9;
    /// `ZMQ_BLOCKY` (bool; when false, new sockets default to linger 0).
    pub const BLOCKY: i32 = 70;
    /// `ZMQ_ZERO_COPY_RECV`, DRAFT.
    pub const ZERO_COPY_RECV: i32 = 10;
}

/// Send / receive flags (`flags` argument of `zmq_send`, `zmq_recv`, …).
pub mod flags {
    /// `ZMQ_DONTWAIT`: fail with `EAGAIN` instead of blocking.
    pub const DONTWAIT: i32 = 1;
    /// `ZMQ_SNDMORE`: more frames of the same message follow.
    pub const SNDMORE: i32 = 2;
}

/// `zmq_poll` event bits.
pub mod poll {
    /// `ZMQ_POLLIN`: a message can be received without blocking.
    pub const POLLIN: i16 = 1;
    /// `ZMQ_POLLOUT`: a message can be sent without blocking.
    pub const POLLOUT: i16 = 2;
    /// `ZMQ_POLLERR`: only meaningful for raw file descriptors.
    pub const POLLERR: i16 = 4;
    /// `ZMQ_POLLPRI`: only meaningful for raw file descriptors.
    pub const POLLPRI: i16 = 8;
}

/// Security mechanisms, as returned by the `ZMQ_MECHANISM` option.
pub mod mechanism {
    /// `ZMQ_NULL`.
    pub const NULL: i32 = 0;
    /// `ZMQ_PLAIN`.
    pub const PLAIN: i32 = 1;
    /// `ZMQ_CURVE`.
    pub const CURVE: i32 = 2;
    /// `ZMQ_GSSAPI` (not compiled in).
    pub const GSSAPI: i32 = 3;
}

/// Socket monitor event bits (`ZMQ_EVENT_*`), for
/// [`Socket::monitor`](crate::Socket::monitor) and
/// [`MonitorEvent::event`](crate::MonitorEvent::event).
pub mod event {
    /// `ZMQ_EVENT_CONNECTED`; value = the new connection's fd.
    pub const CONNECTED: u16 = 0x0001;
    /// `ZMQ_EVENT_CONNECT_DELAYED`; value unused.
    pub const CONNECT_DELAYED: u16 = 0x0002;
    /// `ZMQ_EVENT_CONNECT_RETRIED`; value = reconnect interval (ms).
    pub const CONNECT_RETRIED: u16 = 0x0004;
    /// `ZMQ_EVENT_LISTENING`; value = the listening fd.
    pub const LISTENING: u16 = 0x0008;
    /// `ZMQ_EVENT_BIND_FAILED`; value = errno.
    pub const BIND_FAILED: u16 = 0x0010;
    /// `ZMQ_EVENT_ACCEPTED`; value = the accepted fd.
    pub const ACCEPTED: u16 = 0x0020;
    /// `ZMQ_EVENT_ACCEPT_FAILED`; value = errno.
    pub const ACCEPT_FAILED: u16 = 0x0040;
    /// `ZMQ_EVENT_CLOSED`; value = the closed fd.
    pub const CLOSED: u16 = 0x0080;
    /// `ZMQ_EVENT_CLOSE_FAILED`; value = errno.
    pub const CLOSE_FAILED: u16 = 0x0100;
    /// `ZMQ_EVENT_DISCONNECTED`; value = the fd.
    pub const DISCONNECTED: u16 = 0x0200;
    /// `ZMQ_EVENT_MONITOR_STOPPED`.
    pub const MONITOR_STOPPED: u16 = 0x0400;
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL`; value = errno.
    pub const HANDSHAKE_FAILED_NO_DETAIL: u16 = 0x0800;
    /// `ZMQ_EVENT_HANDSHAKE_SUCCEEDED`; value = 0.
    pub const HANDSHAKE_SUCCEEDED: u16 = 0x1000;
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL`; value = a
    /// [`protocol_error`](super::protocol_error) code.
    pub const HANDSHAKE_FAILED_PROTOCOL: u16 = 0x2000;
    /// `ZMQ_EVENT_HANDSHAKE_FAILED_AUTH`; value = the ZAP status code
    /// (300, 400 or 500).
    pub const HANDSHAKE_FAILED_AUTH: u16 = 0x4000;
    /// `ZMQ_EVENT_ALL`: every v1 event.
    pub const ALL: u16 = 0xFFFF;
}

/// Values carried by [`event::HANDSHAKE_FAILED_PROTOCOL`]
/// (`ZMQ_PROTOCOL_ERROR_*`).
pub mod protocol_error {
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED`.
    pub const ZMTP_UNSPECIFIED: u32 = 0x1000_0000;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND`.
    pub const ZMTP_UNEXPECTED_COMMAND: u32 = 0x1000_0001;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE`.
    pub const ZMTP_INVALID_SEQUENCE: u32 = 0x1000_0002;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE`.
    pub const ZMTP_KEY_EXCHANGE: u32 = 0x1000_0003;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED`.
    pub const ZMTP_MALFORMED_COMMAND_UNSPECIFIED: u32 = 0x1000_0011;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE`.
    pub const ZMTP_MALFORMED_COMMAND_MESSAGE: u32 = 0x1000_0012;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO`.
    pub const ZMTP_MALFORMED_COMMAND_HELLO: u32 = 0x1000_0013;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE`.
    pub const ZMTP_MALFORMED_COMMAND_INITIATE: u32 = 0x1000_0014;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR`.
    pub const ZMTP_MALFORMED_COMMAND_ERROR: u32 = 0x1000_0015;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY`.
    pub const ZMTP_MALFORMED_COMMAND_READY: u32 = 0x1000_0016;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME`.
    pub const ZMTP_MALFORMED_COMMAND_WELCOME: u32 = 0x1000_0017;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA`.
    pub const ZMTP_INVALID_METADATA: u32 = 0x1000_0018;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC`.
    pub const ZMTP_CRYPTOGRAPHIC: u32 = 0x1100_0001;
    /// `ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH`.
    pub const ZMTP_MECHANISM_MISMATCH: u32 = 0x1100_0002;
    /// `ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED`.
    pub const ZAP_UNSPECIFIED: u32 = 0x2000_0000;
    /// `ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY`.
    pub const ZAP_MALFORMED_REPLY: u32 = 0x2000_0001;
    /// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID`.
    pub const ZAP_BAD_REQUEST_ID: u32 = 0x2000_0002;
    /// `ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION`.
    pub const ZAP_BAD_VERSION: u32 = 0x2000_0003;
    /// `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE`.
    pub const ZAP_INVALID_STATUS_CODE: u32 = 0x2000_0004;
    /// `ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA`.
    pub const ZAP_INVALID_METADATA: u32 = 0x2000_0005;
    /// `ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED`.
    pub const WS_UNSPECIFIED: u32 = 0x3000_0000;
}

/// Bits of the DRAFT [`opt::ROUTER_NOTIFY`] option.
pub mod notify {
    /// `ZMQ_NOTIFY_CONNECT`.
    pub const CONNECT: i32 = 1;
    /// `ZMQ_NOTIFY_DISCONNECT`.
    pub const DISCONNECT: i32 = 2;
}

/// Error numbers that [`Error::errno`](crate::Error::errno) may hold.
///
/// POSIX numbers are the Linux values (from the `libc` crate); the `E*`
/// numbers libzmq invents are `ZMQ_HAUSNUMERO` (156384712) plus an offset.
pub mod errno {
    /// `EAGAIN`: non-blocking call would block, or a send/receive timeout
    /// (`ZMQ_SNDTIMEO` / `ZMQ_RCVTIMEO`) expired.
    pub const EAGAIN: i32 = libc::EAGAIN;
    /// `EINTR`: interrupted by a signal.
    pub const EINTR: i32 = libc::EINTR;
    /// `EINVAL`: invalid argument (bad option value, malformed endpoint, …).
    pub const EINVAL: i32 = libc::EINVAL;
    /// `ENOENT`: e.g. unbinding/disconnecting an endpoint that is not bound.
    pub const ENOENT: i32 = libc::ENOENT;
    /// `EADDRINUSE`: the bind address is taken.
    pub const EADDRINUSE: i32 = libc::EADDRINUSE;
    /// `EPROTONOSUPPORT`: unknown transport in an endpoint.
    pub const EPROTONOSUPPORT: i32 = libc::EPROTONOSUPPORT;
    /// `ENOTSUP`: operation not supported by this socket type.
    pub const ENOTSUP: i32 = libc::ENOTSUP;
    /// `EHOSTUNREACH`: e.g. ROUTER with `ZMQ_ROUTER_MANDATORY` and an unknown
    /// routing id.
    pub const EHOSTUNREACH: i32 = libc::EHOSTUNREACH;
    /// `EMSGSIZE`.
    pub const EMSGSIZE: i32 = libc::EMSGSIZE;
    /// `ZMQ_HAUSNUMERO`, the base of libzmq's own error numbers.
    pub const HAUSNUMERO: i32 = 156_384_712;
    /// `EFSM`: operation not valid in the socket's current state (e.g. REQ
    /// sending twice).
    pub const EFSM: i32 = HAUSNUMERO + 51;
    /// `ENOCOMPATPROTO`.
    pub const ENOCOMPATPROTO: i32 = HAUSNUMERO + 52;
    /// `ETERM`: the context was shut down or terminated.
    pub const ETERM: i32 = HAUSNUMERO + 53;
    /// `EMTHREAD`.
    pub const EMTHREAD: i32 = HAUSNUMERO + 54;
}
