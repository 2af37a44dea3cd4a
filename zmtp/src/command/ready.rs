//! READY: the NULL mechanism's handshake command, and the last command of
//! PLAIN (RFC 37 "The NULL Security Mechanism").
//!
//! ```text
//! ready = command-size %d5 "READY" metadata
//! ```
//!
//! The body is the sender's [`Metadata`](crate::metadata::Metadata); see
//! [`Command::Ready`](super::Command::Ready).

/// The command name.
pub const NAME: &[u8] = b"READY";
