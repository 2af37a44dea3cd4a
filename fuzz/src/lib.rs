//! # oxmq-fuzz — the bodies of oxmq's fuzz targets
//!
//! Each module holds one target's body, `run(data: &[u8])`: it feeds the
//! bytes to a parser or state machine that faces the network (or the user,
//! for endpoints) and checks, besides "no panic", the properties that must
//! hold for *any* input — a decoder that does not depend on how its input
//! is split, what it accepts re-encoding to itself, limits enforced before
//! memory is reserved, a handshake that ends exactly once. A violated
//! property panics, which is what libFuzzer reports as a crash.
//!
//! The same bodies run in three places:
//!
//! - `fuzz_targets/<target>.rs`: the libFuzzer binary (`cargo fuzz run
//!   <target>`), one line around `run`;
//! - `tests/props.rs`: stable-Rust property tests that call `run` on
//!   generated inputs, part of the normal test suite;
//! - `tests/replay.rs`: every file of `seeds/<target>/` (the committed
//!   corpus) and of `regressions/<target>/` (inputs of past findings)
//!   through `run` and through the built binary.
//!
//! Targets: [`frame_decoder`], [`greeting`], [`handshake_null`],
//! [`handshake_plain`], [`handshake_curve_server`],
//! [`handshake_curve_client`], [`endpoint`], [`z85`]. The first bytes of an
//! input are used as choices (a size limit, a chunk size, a socket type…) by
//! [`Input`], so that one byte string describes one whole scenario; the
//! CURVE targets read the whole input as a script (see [`curve`]), since
//! random bytes cannot forge the boxes a CURVE handshake is made of.

pub mod curve;
pub mod curve_seeds;
pub mod endpoint;
pub mod frame_decoder;
pub mod greeting;
pub mod handshake;
pub mod handshake_curve_client;
pub mod handshake_curve_server;
pub mod handshake_null;
pub mod handshake_plain;
pub mod z85;

/// A target's body.
pub type Body = fn(&[u8]);

/// Every target: its name (that of its binary, its seed directory and
/// its module) and its body.
pub const TARGETS: &[(&str, Body)] = &[
    ("frame_decoder", frame_decoder::run),
    ("greeting", greeting::run),
    ("handshake_null", handshake_null::run),
    ("handshake_plain", handshake_plain::run),
    ("handshake_curve_server", handshake_curve_server::run),
    ("handshake_curve_client", handshake_curve_client::run),
    ("endpoint", endpoint::run),
    ("z85", z85::run),
];

/// Reads choices off the front of a fuzz input. Once the input is used up
/// every choice is zero, so any byte string is a valid scenario.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    data: &'a [u8],
}

impl<'a> Input<'a> {
    /// Wraps a fuzz input.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data }
    }

    /// The next byte (0 once the input is used up).
    pub fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&b, rest)) => {
                self.data = rest;
                b
            }
            None => 0,
        }
    }

    /// The next two bytes, big-endian.
    pub fn u16(&mut self) -> u16 {
        u16::from_be_bytes([self.byte(), self.byte()])
    }

    /// The next four bytes, big-endian.
    pub fn u32(&mut self) -> u32 {
        u32::from_be_bytes([self.byte(), self.byte(), self.byte(), self.byte()])
    }

    /// The next `n` bytes, or fewer if the input ends first.
    pub fn take(&mut self, n: usize) -> &'a [u8] {
        let (head, rest) = self.data.split_at(n.min(self.data.len()));
        self.data = rest;
        head
    }

    /// Whether the input is used up.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Whatever is left.
    pub fn rest(self) -> &'a [u8] {
        self.data
    }
}

/// The sizes in which a target feeds its input: all at once when `seed` is
/// zero, else chunks of 1 to 16 bytes cycling through a pattern derived from
/// `seed` (so that headers and bodies get cut in every place).
pub fn chunk_sizes(seed: u8) -> Vec<usize> {
    if seed == 0 {
        return vec![usize::MAX];
    }
    let mut s = u32::from(seed);
    (0..8)
        .map(|_| {
            // A small LCG: deterministic, and varied enough.
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345) & 0x7fff_ffff;
            1 + (s >> 16) as usize % 16
        })
        .collect()
}

/// Splits `bytes` into consecutive pieces of the given sizes (cycled).
pub fn chunks<'a>(bytes: &'a [u8], sizes: &'a [usize]) -> impl Iterator<Item = &'a [u8]> + 'a {
    let mut pos = 0;
    let mut turn = 0;
    std::iter::from_fn(move || {
        if pos >= bytes.len() {
            return None;
        }
        let n = sizes[turn % sizes.len()].max(1).min(bytes.len() - pos);
        turn += 1;
        let piece = &bytes[pos..pos + n];
        pos += n;
        Some(piece)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_reads_then_zeroes() {
        let mut i = Input::new(&[1, 2, 3]);
        assert_eq!(i.byte(), 1);
        assert_eq!(i.u16(), 0x0203);
        assert_eq!(i.u32(), 0);
        assert!(i.is_empty());
        assert_eq!(i.rest(), &[] as &[u8]);
        let mut i = Input::new(&[1, 2, 3]);
        assert_eq!(i.take(2), &[1, 2]);
        assert_eq!(i.take(5), &[3]);
        assert_eq!(i.take(1), &[] as &[u8]);
    }

    #[test]
    fn chunks_cover_the_input_in_order() {
        let data: Vec<u8> = (0..=255).collect();
        for seed in 0..=255u8 {
            let sizes = chunk_sizes(seed);
            assert!(sizes.iter().all(|&n| n >= 1));
            let joined: Vec<u8> = chunks(&data, &sizes).flatten().copied().collect();
            assert_eq!(joined, data, "seed {seed}");
        }
        assert_eq!(chunks(&[], &[3]).count(), 0);
    }
}
