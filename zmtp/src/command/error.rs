//! ERROR: a fatal error during the handshake (RFC 37 "Error Handling").
//!
//! ```text
//! error = command-size %d5 "ERROR" error-reason
//! error-reason = short-size 0*255VCHAR
//! ```
//!
//! "The peer SHALL treat an incoming ERROR command as fatal, and act by
//! closing the connection, and not re-connecting using the same security
//! credentials." libzmq puts the three-digit ZAP status code in the reason
//! when authentication fails.

use bytes::{Buf, BufMut, Bytes};

use crate::error::ProtocolError;

/// The command name.
pub const NAME: &[u8] = b"ERROR";

/// How libzmq 4.3.5's PLAIN server starts the body of its ERROR command: an
/// escape-sequence slip in its C source turns `\x05E` into one byte, 0x5E.
/// The reason (`\x03400`) follows as usual.
pub const LIBZMQ_PLAIN_QUIRK: &[u8] = b"\x5eRROR";

/// Whether `body` is libzmq's misspelt ERROR: it starts with the quirk and
/// is too short to hold the 94-octet name its first octet announces (so it
/// cannot be a genuine command with such a name).
pub fn is_libzmq_plain_quirk(body: &[u8]) -> bool {
    body.starts_with(LIBZMQ_PLAIN_QUIRK) && body.len() <= usize::from(LIBZMQ_PLAIN_QUIRK[0])
}

/// The body of an ERROR command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorCommand {
    /// The reason, at most 255 bytes.
    pub reason: Bytes,
}

impl ErrorCommand {
    /// An ERROR with `reason`, truncated to 255 bytes.
    pub fn new(reason: impl Into<Bytes>) -> Self {
        let mut reason = reason.into();
        reason.truncate(255);
        ErrorCommand { reason }
    }

    /// The reason as (lossy) text.
    pub fn reason_text(&self) -> String {
        String::from_utf8_lossy(&self.reason).into_owned()
    }

    /// The ZAP status code carried in the reason, if it is one (`"400"` → 400).
    pub fn status_code(&self) -> Option<u16> {
        match &self.reason[..] {
            [a @ b'2'..=b'5', b'0', b'0'] => Some(u16::from(a - b'0') * 100),
            _ => None,
        }
    }

    pub(crate) fn parse(mut data: Bytes) -> Result<Self, ProtocolError> {
        let malformed = |reason| ProtocolError::MalformedCommand {
            command: "ERROR",
            reason,
        };
        if data.is_empty() {
            return Err(malformed("missing reason size"));
        }
        let len = usize::from(data.get_u8());
        if data.len() < len {
            return Err(malformed("truncated reason"));
        }
        Ok(ErrorCommand {
            reason: data.split_to(len),
        })
    }

    pub(crate) fn encoded_len(&self) -> usize {
        1 + self.reason.len()
    }

    pub(crate) fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u8(self.reason.len() as u8);
        dst.put_slice(&self.reason);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        assert_eq!(ErrorCommand::new("400").status_code(), Some(400));
        assert_eq!(ErrorCommand::new("300").status_code(), Some(300));
        assert_eq!(ErrorCommand::new("Invalid").status_code(), None);
        assert_eq!(ErrorCommand::new(vec![b'x'; 300]).reason.len(), 255);
        assert!(ErrorCommand::parse(Bytes::from_static(b"\x05ab")).is_err());
    }
}
