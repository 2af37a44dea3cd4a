//! The 64-octet greeting (RFC 23/37 "Formal Grammar", "Version Negotiation").
//!
//! ```text
//! greeting = signature version mechanism as-server filler
//! signature = %xFF padding %x7F      ; padding = 8OCTET, not significant
//! version = version-major version-minor
//! mechanism = 20mechanism-char       ; null padded
//! as-server = %x00 | %x01
//! filler = 31%x00
//! ```
//!
//! oxmq sends its whole greeting at once, which includes the 11 octets
//! (signature and major version) that libzmq waits for before sending the
//! rest of its own; a peer that waited for all 64 octets before sending
//! anything would deadlock against libzmq. On the receiving side the greeting
//! is read progressively so that a ZMTP 1.0 or 2.0 peer is detected from its
//! first octets and refused.

use bytes::BufMut;

use crate::error::{LegacyVersion, ProtocolError};
use crate::mechanism::MechanismName;

/// Size of a ZMTP 3.x greeting.
pub const GREETING_LEN: usize = 64;
/// Octets that identify a ZMTP ≥ 2.0 peer (signature).
pub const SIGNATURE_LEN: usize = 10;

/// A ZMTP protocol version, as negotiated with a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version {
    /// Major version (3).
    pub major: u8,
    /// Minor version (0 or 1; higher minors are treated as 1).
    pub minor: u8,
}

impl Version {
    /// ZMTP 3.0 (RFC 23): no SUBSCRIBE/CANCEL/PING/PONG commands.
    pub const V3_0: Version = Version { major: 3, minor: 0 };
    /// ZMTP 3.1 (RFC 37), what oxmq speaks.
    pub const V3_1: Version = Version { major: 3, minor: 1 };

    /// Whether the peer understands SUBSCRIBE/CANCEL and PING/PONG commands.
    pub fn has_commands(self) -> bool {
        self >= Version::V3_1
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ZMTP {}.{}", self.major, self.minor)
    }
}

/// A ZMTP 3.x greeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Greeting {
    /// The sender's protocol version.
    pub version: Version,
    /// The sender's security mechanism.
    pub mechanism: MechanismName,
    /// Whether the sender is the server of the mechanism handshake.
    pub as_server: bool,
}

impl Greeting {
    /// Our greeting: ZMTP 3.1 with the given mechanism and role.
    pub fn new(mechanism: MechanismName, as_server: bool) -> Self {
        Greeting {
            version: Version::V3_1,
            mechanism,
            as_server,
        }
    }

    /// Appends the 64 octets of this greeting (padding set to zero, as the
    /// RFC asks of a peer that sends its whole greeting at once).
    pub fn encode(&self, dst: &mut impl BufMut) {
        dst.put_u8(0xFF);
        dst.put_bytes(0, 8);
        dst.put_u8(0x7F);
        dst.put_u8(self.version.major);
        dst.put_u8(self.version.minor);
        dst.put_slice(self.mechanism.as_bytes());
        dst.put_u8(u8::from(self.as_server));
        dst.put_bytes(0, 31);
    }

    /// Checks the first octets of a peer's greeting as they arrive.
    ///
    /// Returns an error as soon as the octets reveal a ZMTP 1.0 or 2.0 peer.
    pub fn check_prefix(prefix: &[u8]) -> Result<(), ProtocolError> {
        // A ZMTP 1.0 peer starts with a length, not %xFF.
        if prefix.first().is_some_and(|&b| b != 0xFF) {
            return Err(ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp10));
        }
        // A 1.0 long length has bit 0 of octet 10 clear; 2.0+ sends %x7F.
        if prefix.get(9).is_some_and(|&b| b & 1 == 0) {
            return Err(ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp10));
        }
        // Revision 1 or 2: ZMTP 2.0 (and revision 0 is not a thing).
        if prefix.get(10).is_some_and(|&b| b < 3) {
            return Err(ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp20));
        }
        Ok(())
    }

    /// Parses a complete 64-octet greeting.
    pub fn decode(buf: &[u8; GREETING_LEN]) -> Result<Greeting, ProtocolError> {
        Greeting::check_prefix(buf)?;
        let major = buf[10];
        let minor = buf[11];
        // "A peer MUST accept higher protocol versions as valid."
        let version = if major == 3 && minor == 0 {
            Version::V3_0
        } else {
            Version::V3_1
        };
        let mut mech = [0u8; 20];
        mech.copy_from_slice(&buf[12..32]);
        Ok(Greeting {
            version,
            mechanism: MechanismName::from_raw(mech),
            as_server: buf[32] == 1,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_layout() {
        let mut v = Vec::new();
        Greeting::new(MechanismName::PLAIN, true).encode(&mut v);
        assert_eq!(v.len(), GREETING_LEN);
        assert_eq!(&v[..12], b"\xff\0\0\0\0\0\0\0\0\x7f\x03\x01");
        assert_eq!(&v[12..17], b"PLAIN");
        assert!(v[17..32].iter().all(|&b| b == 0));
        assert_eq!(v[32], 1);
        assert!(v[33..].iter().all(|&b| b == 0));
        let back = Greeting::decode(&v.try_into().unwrap()).unwrap();
        assert_eq!(back, Greeting::new(MechanismName::PLAIN, true));
    }

    #[test]
    fn version_detection() {
        let mut g = [0u8; 64];
        Greeting::new(MechanismName::NULL, false).encode(&mut &mut g[..]);
        g[11] = 0;
        assert_eq!(Greeting::decode(&g).unwrap().version, Version::V3_0);
        g[10] = 4;
        g[11] = 0;
        assert_eq!(Greeting::decode(&g).unwrap().version, Version::V3_1);
        g[10] = 1;
        assert_eq!(
            Greeting::check_prefix(&g[..11]),
            Err(ProtocolError::UnsupportedVersion(LegacyVersion::Zmtp20))
        );
        assert!(Greeting::check_prefix(b"\x05hello").is_err());
        assert!(Greeting::check_prefix(b"\xff\0\0\0\0\0\0\0\x01\x00").is_err());
        assert!(Greeting::check_prefix(b"\xff\0\0").is_ok());
    }
}
