//! PING and PONG: connection heartbeats (RFC 37 "Connection Heartbeating").
//!
//! ```text
//! ping = command-size %d4 "PING" ping-ttl ping-context
//! ping-ttl = 2OCTET
//! ping-context = 0*16OCTET
//! pong = command-size %d4 "PONG" ping-context
//! ```
//!
//! The TTL is in tenths of a second: "a strong hint to the other peer to
//! disconnect if no further traffic is received after that time". A PONG
//! "echoes the ping-context, which may be empty and MUST not exceed 16 octets".
//! Like libzmq, we truncate an over-long context instead of failing.

use std::time::Duration;

use bytes::{Buf, BufMut, Bytes};

use crate::error::ProtocolError;

/// The PING command name.
pub const PING: &[u8] = b"PING";
/// The PONG command name.
pub const PONG: &[u8] = b"PONG";
/// The longest context a PING may carry.
pub const MAX_CONTEXT: usize = 16;

/// A PING command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// Time-to-live in deciseconds (0 = none).
    pub ttl_deciseconds: u16,
    /// Opaque context to echo (at most 16 bytes).
    pub context: Bytes,
}

impl Ping {
    /// A PING with a TTL in deciseconds and a context (truncated to 16 bytes).
    pub fn new(ttl_deciseconds: u16, mut context: Bytes) -> Self {
        context.truncate(MAX_CONTEXT);
        Ping {
            ttl_deciseconds,
            context,
        }
    }

    /// A PING whose TTL is `ttl`, rounded down to deciseconds and saturated.
    pub fn with_ttl(ttl: Duration, context: Bytes) -> Self {
        let ds = (ttl.as_millis() / 100).min(u128::from(u16::MAX)) as u16;
        Ping::new(ds, context)
    }

    /// The TTL as a duration, `None` when zero.
    pub fn ttl(&self) -> Option<Duration> {
        (self.ttl_deciseconds > 0)
            .then(|| Duration::from_millis(100 * u64::from(self.ttl_deciseconds)))
    }

    /// The PONG that answers this PING.
    pub fn pong(&self) -> Pong {
        Pong {
            context: self.context.clone(),
        }
    }

    pub(crate) fn parse(mut data: Bytes) -> Result<Self, ProtocolError> {
        if data.len() < 2 {
            return Err(ProtocolError::MalformedCommand {
                command: "PING",
                reason: "missing TTL",
            });
        }
        let ttl = data.get_u16();
        Ok(Ping::new(ttl, data))
    }

    pub(crate) fn encoded_len(&self) -> usize {
        2 + self.context.len()
    }

    pub(crate) fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u16(self.ttl_deciseconds);
        dst.put_slice(&self.context);
    }
}

/// A PONG command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pong {
    /// The echoed context.
    pub context: Bytes,
}

impl Pong {
    /// A PONG with `context` (truncated to 16 bytes).
    pub fn new(mut context: Bytes) -> Self {
        context.truncate(MAX_CONTEXT);
        Pong { context }
    }

    pub(crate) fn parse(data: Bytes) -> Result<Self, ProtocolError> {
        Ok(Pong::new(data))
    }

    pub(crate) fn encoded_len(&self) -> usize {
        self.context.len()
    }

    pub(crate) fn encode(&self, dst: &mut impl BufMut) {
        dst.put_slice(&self.context);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_and_truncation() {
        let p = Ping::with_ttl(Duration::from_millis(2_599), Bytes::from(vec![7; 20]));
        assert_eq!(p.ttl_deciseconds, 25);
        assert_eq!(p.context.len(), 16);
        assert_eq!(p.ttl(), Some(Duration::from_millis(2_500)));
        assert_eq!(Ping::new(0, Bytes::new()).ttl(), None);
        assert!(Ping::parse(Bytes::from_static(b"\x00")).is_err());
        assert_eq!(p.pong().context, p.context);
    }
}
