//! The per-socket settings the transports need (a subset of libzmq's socket
//! options). A snapshot is taken at each `bind`/`connect`, as libzmq does for
//! its sessions: changing an option later affects later endpoints only.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use oxmq_zmtp::{MechanismConfig, Message, Metadata, SocketType};

use crate::auth::Authenticator;

/// Produces the messages a socket wants written first into every new pipe
/// towards a peer (see [`TransportOptions::primer`]).
pub type Primer = Arc<dyn Fn() -> Vec<Message> + Send + Sync>;

/// Transport-level options of one socket.
#[derive(Clone)]
pub struct TransportOptions {
    /// The socket's type (sent in the handshake, checked against peers).
    pub socket_type: SocketType,
    /// `ZMQ_ROUTING_ID`: the identity announced to peers.
    pub routing_id: Option<Bytes>,
    /// `ZMQ_METADATA`: application properties (`X-` names) sent in the handshake.
    pub metadata: Metadata,
    /// The security mechanism and its credentials.
    pub mechanism: MechanismConfig,
    /// Who authenticates peers when we are a mechanism server (ZAP).
    pub authenticator: Option<Arc<dyn Authenticator>>,
    /// `ZMQ_ZAP_DOMAIN`. On a NULL socket, a non-empty domain makes every
    /// handshake consult the authenticator, as in libzmq.
    pub zap_domain: String,
    /// `ZMQ_ZAP_ENFORCE_DOMAIN`: with a ZAP domain set, refuse peers when
    /// nobody is there to authenticate them (NULL, CURVE), and with no
    /// domain, never ask for CURVE. See [`auth`](crate::auth) for the rules.
    pub zap_enforce_domain: bool,
    /// `ZMQ_SNDHWM`: outbound queue length per peer in messages (0 = unlimited).
    pub sndhwm: usize,
    /// `ZMQ_RCVHWM`: inbound queue length per peer in messages (0 = unlimited).
    pub rcvhwm: usize,
    /// `ZMQ_LINGER`: how long queued messages may take to leave after the
    /// socket closes (`None` = no limit while the peer is connected).
    pub linger: Option<Duration>,
    /// `ZMQ_RECONNECT_IVL` (`None` = never reconnect; libzmq's −1).
    pub reconnect_ivl: Option<Duration>,
    /// `ZMQ_RECONNECT_IVL_MAX`: cap of the exponential backoff (`None`: no backoff).
    pub reconnect_ivl_max: Option<Duration>,
    /// `ZMQ_HANDSHAKE_IVL` (`None` = no limit).
    pub handshake_ivl: Option<Duration>,
    /// `ZMQ_HEARTBEAT_IVL`: send a PING this often (`None` = off).
    pub heartbeat_ivl: Option<Duration>,
    /// `ZMQ_HEARTBEAT_TTL`: TTL announced in our PINGs.
    pub heartbeat_ttl: Option<Duration>,
    /// `ZMQ_HEARTBEAT_TIMEOUT`: drop the peer if nothing arrives this long
    /// after a PING (defaults to the heartbeat interval).
    pub heartbeat_timeout: Option<Duration>,
    /// `ZMQ_MAXMSGSIZE`: largest frame accepted (`None` = no limit).
    pub max_msg_size: Option<u64>,
    /// `ZMQ_IMMEDIATE`: only create a peer pipe once the connection is up.
    pub immediate: bool,
    /// `ZMQ_TCP_KEEPALIVE` (`None` = system default, `Some(false)` = off).
    pub tcp_keepalive: Option<bool>,
    /// `ZMQ_TCP_KEEPALIVE_IDLE`.
    pub tcp_keepalive_idle: Option<Duration>,
    /// `ZMQ_TCP_KEEPALIVE_INTVL`.
    pub tcp_keepalive_intvl: Option<Duration>,
    /// `ZMQ_TCP_KEEPALIVE_CNT`.
    pub tcp_keepalive_cnt: Option<u32>,
    /// `ZMQ_BACKLOG`: listen queue length.
    pub backlog: u32,
    /// `ZMQ_CONFLATE`: the socket's pipes keep only the newest message and
    /// ignore the HWMs. Effective for the types libzmq honours it for
    /// (DEALER, PULL, PUSH, PUB, SUB), and only in the direction data flows
    /// (see [`conflate_in`](Self::conflate_in)).
    pub conflate: bool,
    /// Called by the transport whenever it makes a pipe towards a peer
    /// (at `connect`, on each accepted connection, for each inproc peer):
    /// the messages it returns are queued first in that pipe, before the
    /// socket sees the peer, and listed in [`Peer::primed`](crate::Peer::primed).
    /// This is how a DEALER's `PROBE_ROUTER` and a SUB's subscriptions leave
    /// as soon as a peer exists, as libzmq sends them when it attaches a
    /// pipe, although oxmq's sockets only act when they are polled.
    pub primer: Option<Primer>,
}

impl TransportOptions {
    /// libzmq's defaults for a socket of type `socket_type`.
    pub fn new(socket_type: SocketType) -> Self {
        TransportOptions {
            socket_type,
            routing_id: None,
            metadata: Metadata::new(),
            mechanism: MechanismConfig::Null,
            authenticator: None,
            zap_domain: String::new(),
            zap_enforce_domain: false,
            sndhwm: 1000,
            rcvhwm: 1000,
            linger: None,
            reconnect_ivl: Some(Duration::from_millis(100)),
            reconnect_ivl_max: None,
            handshake_ivl: Some(Duration::from_secs(30)),
            heartbeat_ivl: None,
            heartbeat_ttl: None,
            heartbeat_timeout: None,
            max_msg_size: None,
            immediate: false,
            tcp_keepalive: None,
            tcp_keepalive_idle: None,
            tcp_keepalive_intvl: None,
            tcp_keepalive_cnt: None,
            backlog: 100,
            conflate: false,
            primer: None,
        }
    }

    /// Whether pipes *from* peers conflate: `conflate` on a type that
    /// receives data (DEALER, PULL, SUB). A PUB's inbound pipes carry
    /// subscriptions and never conflate (libzmq conflates them too, which
    /// loses all but the last of quick successive subscriptions).
    pub fn conflate_in(&self) -> bool {
        self.conflate
            && matches!(
                self.socket_type,
                SocketType::Dealer | SocketType::Pull | SocketType::Sub
            )
    }

    /// Whether pipes *to* peers conflate: `conflate` on a type that sends
    /// data (DEALER, PUSH, PUB). A SUB's outbound pipes carry subscriptions
    /// and never conflate.
    pub fn conflate_out(&self) -> bool {
        self.conflate
            && matches!(
                self.socket_type,
                SocketType::Dealer | SocketType::Push | SocketType::Pub
            )
    }

    /// Capacity of a pipe of `hwm` messages (0 means unlimited).
    pub fn capacity(hwm: usize) -> usize {
        if hwm == 0 {
            tokio::sync::Semaphore::MAX_PERMITS
        } else {
            hwm.min(tokio::sync::Semaphore::MAX_PERMITS)
        }
    }

    /// The heartbeat timeout in force (the interval when not set).
    pub fn effective_heartbeat_timeout(&self) -> Option<Duration> {
        self.heartbeat_timeout.or(self.heartbeat_ivl)
    }
}

impl fmt::Debug for TransportOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportOptions")
            .field("socket_type", &self.socket_type)
            .field("routing_id", &self.routing_id)
            .field("mechanism", &self.mechanism.name())
            .field("sndhwm", &self.sndhwm)
            .field("rcvhwm", &self.rcvhwm)
            .field("linger", &self.linger)
            .field("reconnect_ivl", &self.reconnect_ivl)
            .field("heartbeat_ivl", &self.heartbeat_ivl)
            .field("max_msg_size", &self.max_msg_size)
            .field("immediate", &self.immediate)
            .field("conflate", &self.conflate)
            .field("primer", &self.primer.is_some())
            .finish_non_exhaustive()
    }
}
