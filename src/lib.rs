//! # oxmq — ZeroMQ, rebuilt natively for async Rust on Tokio
//!
//! This facade re-exports the pieces of oxmq. Work in progress: today it
//! exposes the ZMTP wire core ([`zmtp`]).

pub use oxmq_zmtp as zmtp;
pub use oxmq_zmtp::{Message, SocketType};
