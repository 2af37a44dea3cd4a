//! Z85 (RFC 32): binary data as printable text, the way CURVE keys are
//! written in configuration files and on command lines.
//!
//! Every 4 octets, read as a big-endian 32-bit number, become 5 characters
//! of a 85-character alphabet, most significant first. Binary input must be
//! a multiple of 4 octets and text a multiple of 5 characters: padding is
//! the application's business (RFC 32).
//!
//! # Layout
//!
//! - [`encode`]: octets → text; fails with [`Z85Error::BadBinaryLength`].
//! - [`decode`]: text → octets; fails with a [`Z85Error`] saying what was
//!   wrong and where. It never panics, whatever the input.
//!
//! ```
//! use oxmq_zmtp::z85;
//!
//! let bytes = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];
//! assert_eq!(z85::encode(&bytes).unwrap(), "HelloWorld");
//! assert_eq!(z85::decode("HelloWorld").unwrap(), bytes);
//! ```
//!
//! Unlike libzmq's `zmq_z85_decode`, the empty string decodes to no octets
//! (RFC 32 only asks for a multiple of 5; libzmq refuses it).

/// The 85 characters, value 0 first (RFC 32 "Formal Specification").
const ALPHABET: &[u8; 85] =
    b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

/// Marks a byte that is not in the alphabet.
const INVALID: u8 = 0xFF;

/// Byte → value, [`INVALID`] for bytes outside the alphabet.
const DECODER: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

/// Why a Z85 conversion failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Z85Error {
    /// The binary input is not a multiple of 4 octets.
    #[error("binary length {0} is not a multiple of 4")]
    BadBinaryLength(usize),
    /// The text is not a multiple of 5 characters (counted in octets).
    #[error("text length {0} is not a multiple of 5")]
    BadTextLength(usize),
    /// A character outside the Z85 alphabet (or a non-ASCII octet).
    #[error("invalid Z85 character {byte:#04x} at offset {offset}")]
    InvalidCharacter {
        /// The offending octet of the text.
        byte: u8,
        /// Its offset in the text, in octets.
        offset: usize,
    },
    /// A group of 5 characters stands for a number above 2^32 - 1.
    #[error("Z85 group at offset {offset} exceeds 32 bits")]
    Overflow {
        /// Offset of the group's first character.
        offset: usize,
    },
}

/// Encodes `data` (a multiple of 4 octets) as Z85 text.
pub fn encode(data: &[u8]) -> Result<String, Z85Error> {
    if data.len() % 4 != 0 {
        return Err(Z85Error::BadBinaryLength(data.len()));
    }
    let mut out = String::with_capacity(data.len() / 4 * 5);
    for chunk in data.chunks_exact(4) {
        let mut value = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let mut group = [0u8; 5];
        for slot in group.iter_mut().rev() {
            *slot = ALPHABET[(value % 85) as usize];
            value /= 85;
        }
        // Every alphabet character is ASCII.
        out.extend(group.iter().map(|&b| char::from(b)));
    }
    Ok(out)
}

/// Decodes Z85 `text` (a multiple of 5 characters) into octets.
pub fn decode(text: &str) -> Result<Vec<u8>, Z85Error> {
    decode_bytes(text.as_bytes())
}

/// Decodes Z85 given as raw octets (for text that may not be UTF-8).
pub fn decode_bytes(text: &[u8]) -> Result<Vec<u8>, Z85Error> {
    if text.len() % 5 != 0 {
        return Err(Z85Error::BadTextLength(text.len()));
    }
    let mut out = Vec::with_capacity(text.len() / 5 * 4);
    for (group_index, group) in text.chunks_exact(5).enumerate() {
        let start = group_index * 5;
        let mut value: u64 = 0;
        for (i, &byte) in group.iter().enumerate() {
            let digit = DECODER[usize::from(byte)];
            if digit == INVALID {
                return Err(Z85Error::InvalidCharacter {
                    byte,
                    offset: start + i,
                });
            }
            // 85^5 < 2^33: five digits always fit in a u64.
            value = value * 85 + u64::from(digit);
        }
        let value = u32::try_from(value).map_err(|_| Z85Error::Overflow { offset: start })?;
        out.extend_from_slice(&value.to_be_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_is_85_distinct_printable_characters() {
        let mut seen = [false; 256];
        for &c in ALPHABET {
            assert!(c.is_ascii_graphic(), "{c}");
            assert!(!seen[usize::from(c)], "duplicate {c}");
            seen[usize::from(c)] = true;
        }
        // Quote characters and backslash are left out, so Z85 fits in strings.
        for c in [b'"', b'\'', b'\\', b'`', b',', b';', b'_', b'|', b'~'] {
            assert_eq!(DECODER[usize::from(c)], INVALID, "{}", char::from(c));
        }
    }

    #[test]
    fn largest_group_and_first_overflow() {
        assert_eq!(decode("%nSc0").unwrap(), [0xFF; 4]);
        assert_eq!(encode(&[0xFF; 4]).unwrap(), "%nSc0");
        assert_eq!(decode("%nSc1"), Err(Z85Error::Overflow { offset: 0 }));
        assert_eq!(decode("00000####$"), Err(Z85Error::Overflow { offset: 5 }));
    }
}
