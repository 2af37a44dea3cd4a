//! # oxmq-transports — tcp, ipc and inproc, and the connection engine
//!
//! This crate turns endpoints into peers. A socket's pattern logic (in
//! `oxmq-sockets`) owns a [`SocketTransport`]; it calls `bind`/`connect` and
//! receives a [`Peer`] — a pair of bounded pipes — for every connection.
//! What happens behind a pipe is this crate's business: for tcp and ipc a
//! tokio task per connection runs the ZMTP handshake from `oxmq-zmtp` and
//! then the batching engine (`engine.rs`); for inproc the two sockets' pipes are joined
//! directly and messages are never encoded.
//!
//! # Layout
//!
//! - [`endpoint`]: parsing and validating `tcp://`, `ipc://`, `inproc://`.
//! - [`context`]: [`Context`], the home of the inproc namespace and of all
//!   background tasks (no global state).
//! - [`socket`]: [`SocketTransport`], bind/connect/unbind/disconnect/close.
//! - [`pipe`](mod@pipe): [`Peer`] and [`PipeMsg`], what the pattern logic sees;
//!   `blockq` (private): the lock-free queue inside each pipe.
//! - `connection` (private): listeners, reconnecting sessions, the handshake
//!   driver; `inproc` (private): the inproc rendezvous.
//! - `engine` (private): the per-connection engine future (batching, heartbeats,
//!   subscriptions, linger).
//! - [`monitor`]: socket events as a `Stream` and as `tracing` events.
//! - [`auth`]: the [`Authenticator`] hook used by mechanism servers, and
//!   who is asked when (libzmq's rules without a ZAP handler).
//! - [`zap`]: ZAP (RFC 27) on the wire, for handler sockets bound to
//!   `inproc://zeromq.zap.01`.
//! - [`zauth`]: [`Zauth`], a ready-made authenticator like czmq's `zauth`.
//! - [`options`]: [`TransportOptions`], libzmq's transport options.
//!
//! # High-water marks
//!
//! Pipes are lock-free queues of blocks (built like libzmq's `ypipe`; the
//! private `blockq` module, the one place of the crate with `unsafe` code)
//! whose message count is bounded by the HWM
//! (0 = unlimited) with counters, so that the in-band
//! [`PipeMsg::Connected`] markers do not count (see [`pipe`](mod@pipe)). An
//! inproc pipe holds the sender's SNDHWM plus the receiver's RCVHWM, as in
//! libzmq. A conflating pipe (`ZMQ_CONFLATE`) holds only the newest message
//! and has no HWM.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod auth;
mod blockq;
mod connection;
pub mod context;
pub mod endpoint;
mod engine;
pub mod error;
mod inproc;
pub mod monitor;
pub mod options;
pub mod pipe;
pub mod socket;
mod stream;
pub mod zap;
pub mod zauth;

pub use auth::{
    zap_channel, Authenticator, ChannelAuthenticator, ZapRequest, ZapRequests, ZapResponder,
};
pub use context::Context;
pub use endpoint::{Endpoint, EndpointError};
pub use error::TransportError;
pub use monitor::{MonitorStream, SocketEvent};
pub use options::TransportOptions;
pub use pipe::{pipe, ConnectionInfo, Peer, PeerId, PipeMsg, PipePermit, PipeReceiver, PipeSender};
pub use socket::SocketTransport;
pub use zauth::{Zauth, ZauthError, ZauthRules};
