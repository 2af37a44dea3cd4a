//! Target `z85`: [`oxmq_zmtp::z85`] decoding arbitrary text (RFC 32, the
//! encoding of CURVE keys in configuration).
//!
//! Input: the text, as raw octets (it need not be UTF-8).
//!
//! Checked for every input:
//!
//! - decoding never panics;
//! - it succeeds exactly when the length is a multiple of 5, every octet
//!   is in the alphabet and no group exceeds 32 bits, and then yields 4
//!   octets per 5 characters;
//! - what decodes re-encodes to the same text (the encoding is a
//!   bijection), and the input read as binary survives a round trip.

use oxmq_zmtp::z85::{self, Z85Error};

/// The target body.
pub fn run(data: &[u8]) {
    match z85::decode_bytes(data) {
        Ok(bytes) => {
            assert_eq!(bytes.len(), data.len() / 5 * 4);
            match z85::encode(&bytes) {
                Ok(text) => assert_eq!(text.as_bytes(), data, "decode then encode"),
                Err(e) => panic!("decoded {} octets do not encode: {e}", bytes.len()),
            }
        }
        Err(Z85Error::BadTextLength(n)) => {
            assert_eq!(n, data.len());
            assert_ne!(n % 5, 0, "a multiple of 5 refused for its length");
        }
        Err(Z85Error::InvalidCharacter { byte, offset }) => {
            assert_eq!(data.get(offset), Some(&byte), "the error names the octet");
            assert!(
                z85::decode_bytes(&[byte; 5]).is_err(),
                "{byte:#04x} is valid"
            );
        }
        Err(Z85Error::Overflow { offset }) => {
            assert_eq!(offset % 5, 0);
            let group = &data[offset..offset + 5];
            assert!(matches!(
                z85::decode_bytes(group),
                Err(Z85Error::Overflow { offset: 0 })
            ));
        }
        Err(e) => panic!("unexpected error {e}"),
    }

    // Any octets, cut to a multiple of 4, survive encode then decode.
    let whole = &data[..data.len() - data.len() % 4];
    match z85::encode(whole) {
        Ok(text) => {
            assert_eq!(text.len(), whole.len() / 4 * 5);
            assert_eq!(z85::decode(&text).as_deref(), Ok(whole), "round trip");
        }
        Err(e) => panic!("{} octets do not encode: {e}", whole.len()),
    }
    if data.len() % 4 != 0 {
        assert_eq!(
            z85::encode(data),
            Err(Z85Error::BadBinaryLength(data.len()))
        );
    }
}
