//! Target `frame_decoder`: [`ZmtpCodec`] decoding arbitrary traffic bytes,
//! with and without a frame size limit (`ZMQ_MAXMSGSIZE`).
//!
//! Input: one byte picks the limit (none, or one of a few sizes read from
//! the next bytes), one byte the chunking; the rest is the byte stream.
//!
//! Checked for every input:
//!
//! - decoding never panics;
//! - the outcome (items, then the error or the bytes left over) is the same
//!   whether the stream arrives whole or in small chunks;
//! - with a limit, no decoded frame is larger than the limit;
//! - the read buffer never grows far beyond what actually arrived, whatever
//!   size a header announces (the limit is checked before reserving, and
//!   without one the reservation is capped);
//! - what decodes re-encodes to bytes that decode to the same items.

use bytes::BytesMut;
use oxmq_zmtp::codec::PREALLOC_LIMIT;
use oxmq_zmtp::{Inbound, ZmtpCodec};
use tokio_util::codec::{Decoder, Encoder};

use crate::{chunk_sizes, chunks, Input};

/// What decoding a whole stream produced.
#[derive(Debug, PartialEq)]
pub struct Outcome {
    /// Every item decoded, in order.
    pub items: Vec<Inbound>,
    /// The error that stopped decoding (as text), or the number of bytes
    /// left undecoded at the end.
    pub end: Result<usize, String>,
}

/// Decodes `bytes` fed in pieces of `sizes`, with frame limit `max`.
/// Panics if the read buffer ever grows unreasonably.
pub fn decode(bytes: &[u8], max: Option<u64>, sizes: &[usize]) -> Outcome {
    let mut codec = ZmtpCodec::new().with_max_frame_size(max);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    // Generous: buffers double as they grow, but never by what a peer
    // merely announces.
    let cap_bound = 4 * (bytes.len() + PREALLOC_LIMIT + 64);
    let mut pieces = chunks(bytes, sizes);
    loop {
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        items,
                        end: Err(e.to_string()),
                    }
                }
            }
            assert!(
                buf.capacity() <= cap_bound,
                "read buffer grew to {} for {} input bytes",
                buf.capacity(),
                bytes.len()
            );
        }
        assert!(
            buf.capacity() <= cap_bound,
            "read buffer grew to {} for {} input bytes",
            buf.capacity(),
            bytes.len()
        );
        match pieces.next() {
            Some(piece) => buf.extend_from_slice(piece),
            None => {
                return Outcome {
                    items,
                    end: Ok(buf.len()),
                }
            }
        }
    }
}

/// The limit an input asks for.
fn limit(input: &mut Input<'_>) -> Option<u64> {
    match input.byte() % 5 {
        0 => None,
        1 => Some(0),
        2 => Some(u64::from(input.byte())),
        3 => Some(u64::from(input.u16())),
        _ => Some(u64::from(input.u32())),
    }
}

/// The target body.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let max = limit(&mut input);
    let sizes = chunk_sizes(input.byte());
    let stream = input.rest();

    let whole = decode(stream, max, &[usize::MAX]);
    let chunked = decode(stream, max, &sizes);
    assert_eq!(whole, chunked, "the outcome depends on the chunking");

    if let Some(max) = max {
        for item in &whole.items {
            if let Inbound::Message(m) = item {
                for frame in m.iter() {
                    assert!(
                        frame.len() as u64 <= max,
                        "a {}-byte frame passed a limit of {max}",
                        frame.len()
                    );
                }
            }
        }
    }

    // Re-encoding what was decoded gives bytes that decode to the same.
    let mut codec = ZmtpCodec::new();
    let mut wire = BytesMut::new();
    for item in &whole.items {
        if let Err(e) = codec.encode(item.clone(), &mut wire) {
            panic!("re-encoding {item:?} failed: {e}");
        }
    }
    let again = decode(&wire, None, &[usize::MAX]);
    assert_eq!(again.end, Ok(0), "re-encoded stream did not decode cleanly");
    assert_eq!(
        again.items, whole.items,
        "re-encoded items decode differently"
    );
}
