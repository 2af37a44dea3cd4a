//! Connection metadata: the property lists carried by READY, INITIATE and
//! ZAP replies (RFC 37 "Connection Metadata").
//!
//! ```text
//! metadata = *property
//! property = name value
//! name = short-size 1*255name-char
//! value = 4OCTET *OCTET       ; Size in network byte order
//! ```
//!
//! Names are case-insensitive; `X-` names are for applications.

use bytes::{Buf, BufMut, Bytes};

use crate::error::ProtocolError;

/// Property name of the socket type.
pub const SOCKET_TYPE: &str = "Socket-Type";
/// Property name of the routing identity.
pub const IDENTITY: &str = "Identity";
/// Property name of the ZMTP 3.1 resource.
pub const RESOURCE: &str = "Resource";

/// An ordered list of `name → value` properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Metadata {
    props: Vec<(String, Bytes)>,
}

impl Metadata {
    /// An empty property list.
    pub fn new() -> Self {
        Metadata::default()
    }

    /// Appends a property. The name must be 1–255 bytes of `A-Z a-z 0-9 - _ . +`.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<Bytes>) -> &mut Self {
        let name = name.into();
        debug_assert!(
            is_valid_name(name.as_bytes()),
            "invalid property name {name:?}"
        );
        self.props.push((name, value.into()));
        self
    }

    /// The first value whose name matches `name`, case-insensitively.
    pub fn get(&self, name: &str) -> Option<&Bytes> {
        self.props
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Like [`get`](Self::get), as UTF-8 text.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(|v| std::str::from_utf8(v).ok())
    }

    /// Iterates over `(name, value)` pairs in wire order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Bytes)> {
        self.props.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// Number of properties.
    pub fn len(&self) -> usize {
        self.props.len()
    }

    /// Whether there are no properties.
    pub fn is_empty(&self) -> bool {
        self.props.is_empty()
    }

    /// Appends all properties of `other`.
    pub fn extend(&mut self, other: &Metadata) {
        self.props.extend(other.props.iter().cloned());
    }

    /// Size of the wire encoding.
    pub fn encoded_len(&self) -> usize {
        self.props
            .iter()
            .map(|(n, v)| 1 + n.len() + 4 + v.len())
            .sum()
    }

    /// Appends the wire encoding.
    pub fn encode(&self, dst: &mut impl BufMut) {
        for (name, value) in &self.props {
            dst.put_u8(name.len() as u8);
            dst.put_slice(name.as_bytes());
            dst.put_u32(value.len() as u32);
            dst.put_slice(value);
        }
    }

    /// Parses a property list that fills the whole of `src`.
    pub fn decode(mut src: Bytes, command: &'static str) -> Result<Metadata, ProtocolError> {
        let malformed = |reason| ProtocolError::MalformedCommand { command, reason };
        let mut props = Vec::new();
        while src.has_remaining() {
            let name_len = usize::from(src.get_u8());
            if name_len == 0 {
                return Err(malformed("empty property name"));
            }
            if src.remaining() < name_len + 4 {
                return Err(malformed("truncated property"));
            }
            let name = src.split_to(name_len);
            if !is_valid_name(&name) {
                return Err(malformed("invalid property name"));
            }
            let value_len = src.get_u32();
            if value_len > i32::MAX as u32 || src.remaining() < value_len as usize {
                return Err(malformed("truncated property value"));
            }
            let value = src.split_to(value_len as usize);
            // Valid names are ASCII, so this conversion cannot fail.
            let name = String::from_utf8_lossy(&name).into_owned();
            props.push((name, value));
        }
        Ok(Metadata { props })
    }
}

/// `name-char = ALPHA | DIGIT | "-" | "_" | "." | "+"`, 1 to 255 of them.
pub fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name
            .iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.' | b'+'))
}

impl<N: Into<String>, V: Into<Bytes>> FromIterator<(N, V)> for Metadata {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(iter: I) -> Self {
        Metadata {
            props: iter
                .into_iter()
                .map(|(n, v)| (n.into(), v.into()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_case_insensitive_lookup() {
        let mut md = Metadata::new();
        md.insert("Socket-Type", "DEALER").insert("Identity", "");
        let mut buf = Vec::new();
        md.encode(&mut buf);
        assert_eq!(buf.len(), md.encoded_len());
        let back = Metadata::decode(Bytes::from(buf), "READY").unwrap();
        assert_eq!(back, md);
        assert_eq!(back.get_str("socket-type"), Some("DEALER"));
        assert_eq!(back.get("IDENTITY").map(|v| v.len()), Some(0));
    }

    #[test]
    fn rejects_truncation_and_bad_names() {
        for bad in [
            &b"\x00"[..],
            b"\x03abc\x00\x00",
            b"\x03abc\x00\x00\x00\x05ab",
            b"\x03a b\x00\x00\x00\x00",
            b"\x01a\xff\xff\xff\xff",
        ] {
            assert!(
                Metadata::decode(Bytes::copy_from_slice(bad), "READY").is_err(),
                "{bad:?}"
            );
        }
    }
}
