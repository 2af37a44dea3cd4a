//! # oxmq — ZeroMQ, rebuilt natively for async Rust on Tokio
//!
//! oxmq speaks ZMTP 3.1 byte for byte like libzmq, with no C underneath.
//! This facade re-exports the layers:
//!
//! - [`zmtp`] (`oxmq-zmtp`): the wire protocol — frames, commands, the
//!   sans-IO handshake (NULL, PLAIN), the codec.
//! - [`transports`] (`oxmq-transports`): `tcp://`, `ipc://`, `inproc://`,
//!   the [`Context`], reconnection, the batching connection engine, monitor
//!   events.
//!
//! The socket patterns (PUSH/PULL, PUB/SUB, REQ/REP, DEALER/ROUTER, …) are
//! being built on top of [`transports::SocketTransport`]; until they land,
//! `examples/tour.rs` shows the transport layer moving messages.

pub use oxmq_transports as transports;
pub use oxmq_zmtp as zmtp;

pub use oxmq_transports::{Context, SocketEvent, TransportError};
pub use oxmq_zmtp::{Message, SocketType};
