//! Frame headers (RFC 23 "Framing").
//!
//! A frame is a flags octet, a size (one octet for a *short* frame of up to
//! 255 bytes, eight octets in network order for a *long* frame), then the body.
//! Flags: bit 0 MORE, bit 1 LONG, bit 2 COMMAND; bits 7–3 are reserved and
//! MUST be zero.

use bytes::{Buf, BufMut};

use crate::error::ProtocolError;

/// Bit 0: more frames of this message follow.
pub const FLAG_MORE: u8 = 0x01;
/// Bit 1: the size field is eight octets.
pub const FLAG_LONG: u8 = 0x02;
/// Bit 2: the frame is a command.
pub const FLAG_COMMAND: u8 = 0x04;
const RESERVED: u8 = !(FLAG_MORE | FLAG_LONG | FLAG_COMMAND);

/// The largest size a long frame may announce (2^63 − 1).
pub const MAX_FRAME_SIZE: u64 = i64::MAX as u64;

/// The largest header: flags + 8-octet size.
pub const MAX_HEADER_LEN: usize = 9;

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The flags octet with the LONG bit cleared (only MORE and COMMAND remain).
    pub flags: u8,
    /// Size of the body in bytes.
    pub size: u64,
    /// Size of the header on the wire (2 or 9).
    pub header_len: usize,
}

impl FrameHeader {
    /// Whether the MORE flag is set.
    pub fn more(&self) -> bool {
        self.flags & FLAG_MORE != 0
    }

    /// Whether this is a command frame.
    pub fn is_command(&self) -> bool {
        self.flags & FLAG_COMMAND != 0
    }

    /// Parses a header from the start of `buf` without consuming it.
    ///
    /// Returns `Ok(None)` when `buf` does not yet hold a whole header.
    pub fn peek(buf: &[u8]) -> Result<Option<FrameHeader>, ProtocolError> {
        let Some(&flags) = buf.first() else {
            return Ok(None);
        };
        // "Bits 7-3 are reserved for future use and MUST be zero."
        if flags & RESERVED != 0 {
            return Err(ProtocolError::ReservedFlags(flags));
        }
        // "This bit [MORE] SHALL be zero on command frames."
        if flags & FLAG_COMMAND != 0 && flags & FLAG_MORE != 0 {
            return Err(ProtocolError::CommandWithMore);
        }
        let (size, header_len) = if flags & FLAG_LONG != 0 {
            if buf.len() < 9 {
                return Ok(None);
            }
            let mut size_bytes = &buf[1..9];
            let size = size_bytes.get_u64();
            // "A long frame has a body of 0 to 2^63-1 octets."
            if size > MAX_FRAME_SIZE {
                return Err(ProtocolError::SizeOutOfRange(size));
            }
            (size, 9)
        } else {
            match buf.get(1) {
                Some(&s) => (u64::from(s), 2),
                None => return Ok(None),
            }
        };
        Ok(Some(FrameHeader {
            flags: flags & !FLAG_LONG,
            size,
            header_len,
        }))
    }
}

/// Writes a frame header for a body of `len` bytes with `flags` (MORE and/or
/// COMMAND); picks the short form when the body fits in 255 bytes.
pub fn put_header(dst: &mut impl BufMut, flags: u8, len: usize) {
    if len <= 255 {
        dst.put_u8(flags);
        dst.put_u8(len as u8);
    } else {
        dst.put_u8(flags | FLAG_LONG);
        dst.put_u64(len as u64);
    }
}

/// Length of the header [`put_header`] writes for a body of `len` bytes.
pub fn header_len(len: usize) -> usize {
    if len <= 255 {
        2
    } else {
        9
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_headers() {
        let mut v = Vec::new();
        put_header(&mut v, FLAG_MORE, 5);
        assert_eq!(v, [0x01, 5]);
        v.clear();
        put_header(&mut v, 0, 300);
        assert_eq!(v, [0x02, 0, 0, 0, 0, 0, 0, 1, 44]);
        let h = FrameHeader::peek(&v).unwrap().unwrap();
        assert_eq!((h.flags, h.size, h.header_len), (0, 300, 9));
        assert_eq!(FrameHeader::peek(&v[..8]), Ok(None));
    }

    #[test]
    fn rejects_bad_headers() {
        assert_eq!(
            FrameHeader::peek(&[0x08, 0]),
            Err(ProtocolError::ReservedFlags(8))
        );
        assert_eq!(
            FrameHeader::peek(&[0x05, 0]),
            Err(ProtocolError::CommandWithMore)
        );
        let huge = [0x02, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            FrameHeader::peek(&huge),
            Err(ProtocolError::SizeOutOfRange(1 << 63))
        );
    }
}
