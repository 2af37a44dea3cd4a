//! # oxmq-sockets — ZeroMQ socket patterns on oxmq's transports
//!
//! Each socket type is a plain struct whose `send`/`recv` run the pattern
//! logic in the caller's task, directly on the pipes the transport hands
//! over: no extra task or channel hop per message.
//!
//! # Layout
//!
//! - `peers` (private): the peer table — fair-queued inbound pipes
//!   (`futures::stream::SelectAll`), round-robin outbound pipes with
//!   HWM backpressure through `PollSender`.
//! - `base` (private): what every type shares (endpoints, monitor, options).
//! - [`pipeline`]: [`Push`], [`Pull`] (RFC 30).
//! - [`pair`]: [`Pair`] (RFC 31).
//! - [`error`]: [`SocketError`].
//!
//! Work in progress: PUB/SUB, XPUB/XSUB, REQ/REP, DEALER/ROUTER come next.

#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::panic))]

mod base;
pub mod error;
pub mod pair;
mod peers;
pub mod pipeline;

pub use error::SocketError;
pub use pair::Pair;
pub use pipeline::{Pull, Push};
