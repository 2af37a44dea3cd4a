//! # oxmq-sockets — ZeroMQ socket patterns on oxmq's transports
//!
//! Each socket type is a plain struct whose `send`/`recv` run the pattern
//! logic in the caller's task, directly on the pipes the transport hands
//! over: no extra task or channel hop per message.
//!
//! # Layout
//!
//! - `peers` (private): the peer table — fair-queued inbound pipes (a
//!   rotation of the pipes known to hold items, each woken back in by its
//!   own waker), round-robin outbound pipes with HWM backpressure through
//!   pipe reservations.
//!
//! # Acting without being polled
//!
//! The socket types run only when their owner polls them (`send`, `recv`,
//! …): new peers reach them through an intake channel read at that point.
//! What libzmq writes into a pipe as soon as it attaches it — a DEALER's or
//! ROUTER's `PROBE_ROUTER` probe, a SUB's or XSUB's subscriptions, an
//! XPUB's welcome message — is therefore handed to the transport as a
//! *primer* (`TransportOptions::primer`): the transport queues those
//! messages first in every pipe it makes, at `connect`, on each accepted
//! connection and for each inproc peer, and tells the socket what it
//! queued (`Peer::primed`), so that the socket, when it takes the peer in,
//! sends only what changed since and nothing twice.
//! - `base` (private): what every type shares (endpoints, monitor, options).
//! - `io` (private): `send`/`recv`/`try_send`/`try_recv` and the `Stream`
//!   and `Sink` implementations, generated from one poll function per type.
//! - `trie` (private): the counted prefix trie of subscriptions.
//! - [`pipeline`]: [`Push`], [`Pull`] (RFC 30).
//! - [`pair`]: [`Pair`] (RFC 31).
//! - [`pubsub`]: [`Pub`], [`Sub`], [`Xpub`], [`Xsub`] (RFC 29).
//! - [`reqrep`]: [`Req`], [`Rep`] (RFC 28).
//! - [`routing`]: [`Dealer`], [`Router`] (RFC 28).
//! - [`split`]: [`SendHalf`] and [`RecvHalf`], to send and receive from two
//!   tasks at once on DEALER, ROUTER, PAIR, XPUB and XSUB.
//! - [`any`]: [`AnySocket`] (type chosen at run time), [`proxy`] and
//!   [`proxy_steerable`].
//! - [`error`]: [`SocketError`], the crate's error type.
//!
//! # Shutdown
//!
//! After `Context::shutdown` (libzmq's `zmq_ctx_shutdown`), every
//! operation of the context's sockets fails with [`SocketError::Closed`]
//! (libzmq's `ETERM`): `send`, `recv`, REQ/REP's, `subscribe`, the split
//! halves, [`AnySocket`], and `bind`, `connect`, `unbind`, `disconnect`.
//! That holds for calls already waiting — a `recv` waiting for a message,
//! a `send` waiting for a peer or for room wakes up and fails — and for
//! later calls even if messages are still queued: as in libzmq, they are
//! not delivered any more. `try_recv` and `try_send` fail with `Closed`
//! too (`TrySendError::Socket`; the message is dropped). Each socket's
//! `Stream` yields `Err(Closed)` once and then ends (`None`; it is a
//! `FusedStream`), its `Sink` fails every call with `Closed` and drops
//! the message it buffered; [`proxy`] returns `Err(Closed)`.
//!
//! The check costs two atomic loads per call (no lock, no allocation); a
//! socket registers for the shutdown only when a call is about to wait,
//! and only when the waiting task changes.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

pub mod any;
mod base;
pub mod error;
mod io;
pub mod pair;
mod peers;
pub mod pipeline;
pub mod pubsub;
pub mod reqrep;
pub mod routing;
pub mod split;
mod trie;

pub use any::{proxy, proxy_steerable, AnySocket, ProxyStats};
pub use error::SocketError;
pub use io::TrySendError;
pub use pair::Pair;
pub use pipeline::{Pull, Push};
pub use pubsub::{Pub, Sub, Xpub, Xsub};
pub use reqrep::{Rep, Req};
pub use routing::{Dealer, Router};
pub use split::{Duplex, RecvHalf, SendHalf};
