//! SUBSCRIBE and CANCEL: subscription management sent by SUB and XSUB peers
//! (RFC 37 "The Publish-Subscribe Pattern").
//!
//! ```text
//! subscribe = command-size %d9 "SUBSCRIBE" subscription
//! cancel = command-size %d6 "CANCEL" subscription
//! subscription = *OCTET
//! ```
//!
//! ZMTP 3.0 peers do not know these commands: they send and expect a message
//! whose single frame is `%x01` + topic (subscribe) or `%x00` + topic (cancel).
//! [`to_legacy`] and [`from_legacy`] convert between the two forms.

use bytes::{BufMut, Bytes, BytesMut};

use super::Command;

/// The SUBSCRIBE command name.
pub const SUBSCRIBE: &[u8] = b"SUBSCRIBE";
/// The CANCEL command name.
pub const CANCEL: &[u8] = b"CANCEL";

/// Converts a SUBSCRIBE/CANCEL command to the ZMTP 3.0 message frame.
pub fn to_legacy(command: &Command) -> Option<Bytes> {
    let (flag, topic) = match command {
        Command::Subscribe(t) => (1u8, t),
        Command::Cancel(t) => (0u8, t),
        _ => return None,
    };
    let mut b = BytesMut::with_capacity(1 + topic.len());
    b.put_u8(flag);
    b.put_slice(topic);
    Some(b.freeze())
}

/// Reads a ZMTP 3.0 subscription frame (`%x01`/`%x00` + topic) as a command.
pub fn from_legacy(frame: &Bytes) -> Option<Command> {
    match frame.first() {
        Some(1) => Some(Command::Subscribe(frame.slice(1..))),
        Some(0) => Some(Command::Cancel(frame.slice(1..))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_roundtrip() {
        let c = Command::Subscribe(Bytes::from_static(b"weather"));
        let f = to_legacy(&c).unwrap();
        assert_eq!(&f[..], b"\x01weather");
        assert_eq!(from_legacy(&f), Some(c));
        assert_eq!(
            from_legacy(&Bytes::from_static(b"\x00")),
            Some(Command::Cancel(Bytes::new()))
        );
        assert_eq!(from_legacy(&Bytes::from_static(b"x")), None);
        assert_eq!(from_legacy(&Bytes::new()), None);
    }
}
