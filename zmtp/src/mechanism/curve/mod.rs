//! The CURVE mechanism (RFC 25 ZMTP-CURVE, RFC 26 CurveZMQ): an
//! authenticated, encrypted connection with perfect forward secrecy.
//!
//! Each side has a permanent key pair (C, S); the client knows S in
//! advance. Each connection makes two transient key pairs (C', S'), and
//! everything after the handshake is boxed (X25519 + XSalsa20-Poly1305,
//! NaCl's `crypto_box`) between them.
//!
//! ```text
//! C:HELLO    ( S:WELCOME | S:ERROR )
//! C:INITIATE ( S:READY   | S:ERROR )
//! *( C:MESSAGE | S:MESSAGE )
//! ```
//!
//! The byte layouts follow libzmq 4.3.5 (`curve_client_tools.hpp`,
//! `curve_server.cpp`, `curve_mechanism_base.cpp`) where it differs from the
//! RFC text:
//!
//! - HELLO carries 72 octets of padding, not 70: with the two version
//!   octets, HELLO is the 200 octets both the RFC and libzmq require.
//! - MESSAGE travels in an ordinary frame, flags 0x00 (0x02 when long),
//!   not in a COMMAND frame: libzmq 4.3.5 sends it so, and ORs the outer
//!   frame's flags into the decrypted message's, so it would take a
//!   MESSAGE in a COMMAND frame for a command and drop it. Incoming
//!   MESSAGEs are accepted with any outer flags.
//! - A MESSAGE box holds one flags octet whose bit 0 is MORE *and bit 1 is
//!   COMMAND* (0x02, libzmq's message flag, not the 0x04 of a ZMTP frame
//!   header): after the handshake every ZMTP frame, commands included
//!   (PING, PONG, SUBSCRIBE, CANCEL), travels as a MESSAGE. Other flag bits
//!   are ignored, as libzmq masks them. (RFC 26 reserves bits 7-1.)
//! - Short nonces count from 1 in each direction and are shared by the
//!   handshake and the messages: the client uses 1 for HELLO, 2 for
//!   INITIATE, then 3, 4, … for MESSAGEs; the server uses 1 for READY, then
//!   2, 3, … . A received MESSAGE nonce must exceed the last one seen from
//!   that peer (READY's or INITIATE's to begin with); otherwise it is a
//!   replay and the connection fails.
//! - The server sends ERROR (in clear, with the ZAP status code as reason)
//!   only for authentication refusals (400, 500) and, like the other oxmq
//!   mechanisms, for an incompatible socket type; a 300 closes silently.
//!   Malformed or undecryptable commands close without ERROR, as in libzmq.
//!   The client never sends ERROR (RFC 26: "A client peer SHALL NOT send
//!   ERROR to the server").
//!
//! oxmq is stricter than libzmq in a few checks that every conforming peer
//! passes: the HELLO signature box must hold 64 zero octets, INITIATE's
//! short nonce must exceed HELLO's, and the vouch must name our permanent
//! key as well as the client's transient key.
//!
//! # Layout
//!
//! ```text
//! HELLO    (200)  [5]"HELLO" 0x01 0x00  72*0x00  C'(32)  nonce(8)
//!                 Box[64*0x00](C'->S)  "CurveZMQHELLO---"+nonce      (80)
//! WELCOME  (168)  [7]"WELCOME"  nonce(16)
//!                 Box[S'(32) + cookie(96)](S->C')  "WELCOME-"+nonce  (144)
//! cookie   (96)   nonce(16)  SecretBox[C'(32) + s'(32)](K)  "COOKIE--"+nonce (80)
//! INITIATE (257+) [8]"INITIATE"  cookie(96)  nonce(8)
//!                 Box[C(32) + vouch(96) + metadata](C'->S')  "CurveZMQINITIATE"+nonce
//! vouch    (96)   nonce(16)  Box[C'(32) + S(32)](C->S')  "VOUCH---"+nonce (80)
//! READY    (30+)  [5]"READY"  nonce(8)  Box[metadata](S'->C')  "CurveZMQREADY---"+nonce
//! MESSAGE  (33+)  [7]"MESSAGE"  nonce(8)  Box[flags(1) + frame](…), in a
//!                 frame whose flags are 0x00 (short) or 0x02 (long)
//!                 "CurveZMQMESSAGEC"+nonce (client to server)
//!                 "CurveZMQMESSAGES"+nonce (server to client)
//! ERROR    (7+)   [5]"ERROR"  reason, in clear
//! ```
//!
//! A box is the 16-octet Poly1305 tag followed by the ciphertext (NaCl's
//! `crypto_box` without its zero padding); its 24-octet nonce is the prefix
//! shown followed by the nonce field (short nonces are big-endian u64).
//! The cookie key K is random, made for each WELCOME and wiped as soon as
//! INITIATE is checked.
//!
//! Code:
//!
//! - [`keys`] holds [`CurvePublicKey`], [`CurveSecretKey`], [`CurveKeyPair`];
//! - [`client`] holds [`CurveClient`], [`server`] holds [`CurveServer`];
//! - the private `cipher` module holds the
//!   [`FrameCipher`](super::FrameCipher) of the message phase.

pub mod client;
pub mod keys;
pub mod server;

mod cipher;

pub use client::CurveClient;
pub use keys::{CurveKeyPair, CurvePublicKey, CurveSecretKey, KeyError};
pub use server::CurveServer;

use std::io;

use bytes::{BufMut, BytesMut};
use crypto_box::aead::consts::{U16, U24};
use crypto_box::aead::AeadInPlace;
use crypto_box::{Nonce, SalsaBox, Tag};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::{Error, ProtocolError};

/// HELLO command name, with its size octet.
pub const HELLO: &[u8] = b"\x05HELLO";
/// WELCOME command name, with its size octet.
pub const WELCOME: &[u8] = b"\x07WELCOME";
/// INITIATE command name, with its size octet.
pub const INITIATE: &[u8] = b"\x08INITIATE";
/// READY command name, with its size octet.
pub const READY: &[u8] = b"\x05READY";
/// MESSAGE command name, with its size octet.
pub const MESSAGE: &[u8] = b"\x07MESSAGE";

/// Size of a HELLO command body.
pub const HELLO_LEN: usize = 200;
/// Size of a WELCOME command body.
pub const WELCOME_LEN: usize = 168;
/// Smallest INITIATE command body (no metadata).
pub const INITIATE_MIN_LEN: usize = 257;
/// Smallest READY command body (no metadata).
pub const READY_MIN_LEN: usize = 30;
/// Smallest MESSAGE command body (an empty frame).
pub const MESSAGE_MIN_LEN: usize = 33;

/// Nonce prefix of the HELLO signature box.
pub const HELLO_PREFIX: &[u8; 16] = b"CurveZMQHELLO---";
/// Nonce prefix of the WELCOME box.
pub const WELCOME_PREFIX: &[u8; 8] = b"WELCOME-";
/// Nonce prefix of the cookie box.
pub const COOKIE_PREFIX: &[u8; 8] = b"COOKIE--";
/// Nonce prefix of the INITIATE box.
pub const INITIATE_PREFIX: &[u8; 16] = b"CurveZMQINITIATE";
/// Nonce prefix of the vouch box.
pub const VOUCH_PREFIX: &[u8; 8] = b"VOUCH---";
/// Nonce prefix of the READY box.
pub const READY_PREFIX: &[u8; 16] = b"CurveZMQREADY---";
/// Nonce prefix of MESSAGE boxes sent by the client.
pub const MESSAGE_CLIENT_PREFIX: &[u8; 16] = b"CurveZMQMESSAGEC";
/// Nonce prefix of MESSAGE boxes sent by the server.
pub const MESSAGE_SERVER_PREFIX: &[u8; 16] = b"CurveZMQMESSAGES";

/// Size of a box's authentication tag.
pub(crate) const TAG_LEN: usize = 16;

/// The 24-octet nonce of a short-nonce box: 16-octet prefix + big-endian u64.
pub(crate) fn short_nonce(prefix: &[u8; 16], n: u64) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[..16].copy_from_slice(prefix);
    nonce[16..].copy_from_slice(&n.to_be_bytes());
    nonce
}

/// The 24-octet nonce of a long-nonce box: 8-octet prefix + 16 octets.
pub(crate) fn long_nonce(prefix: &[u8; 8], tail: &[u8]) -> Nonce {
    let mut nonce = Nonce::default();
    nonce[..8].copy_from_slice(prefix);
    nonce[8..].copy_from_slice(&tail[..16]);
    nonce
}

/// Reads the big-endian u64 at `at` (the caller checked the length).
pub(crate) fn read_u64(data: &[u8], at: usize) -> u64 {
    let mut raw = [0u8; 8];
    raw.copy_from_slice(&data[at..at + 8]);
    u64::from_be_bytes(raw)
}

/// Appends `Box[plaintext]` (tag then ciphertext) to `dst`.
pub(crate) fn seal_into(
    cipher: &impl AeadInPlace<NonceSize = U24, TagSize = U16>,
    nonce: &Nonce,
    plaintext: &[u8],
    dst: &mut BytesMut,
) -> Result<(), Error> {
    let start = dst.len();
    dst.reserve(TAG_LEN + plaintext.len());
    dst.put_bytes(0, TAG_LEN);
    dst.put_slice(plaintext);
    match cipher.encrypt_in_place_detached(nonce, b"", &mut dst[start + TAG_LEN..]) {
        Ok(tag) => {
            dst[start..start + TAG_LEN].copy_from_slice(&tag);
            Ok(())
        }
        Err(_) => {
            dst.truncate(start);
            Err(ProtocolError::Mechanism("CURVE encryption failed").into())
        }
    }
}

/// Opens `boxed` (tag then ciphertext) into a plaintext that is wiped when
/// dropped; `None` when the box is too short or does not authenticate.
pub(crate) fn open(
    cipher: &impl AeadInPlace<NonceSize = U24, TagSize = U16>,
    nonce: &Nonce,
    boxed: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    if boxed.len() < TAG_LEN {
        return None;
    }
    let tag = Tag::clone_from_slice(&boxed[..TAG_LEN]);
    let mut plain = Zeroizing::new(boxed[TAG_LEN..].to_vec());
    cipher
        .decrypt_in_place_detached(nonce, b"", &mut plain, &tag)
        .ok()?;
    Some(plain)
}

/// `Box[…](A->B)` with full keys: A's secret and B's public key.
pub(crate) fn box_between(theirs: &CurvePublicKey, ours: &CurveSecretKey) -> SalsaBox {
    SalsaBox::new(&theirs.to_box_key(), &ours.to_box_key())
}

/// Random octets from the operating system, as a mechanism error.
pub(crate) fn random(dst: &mut [u8]) -> Result<(), Error> {
    keys::random_bytes(dst).map_err(rng_error)
}

/// A fresh transient key pair, as a mechanism error.
pub(crate) fn transient_pair() -> Result<CurveKeyPair, Error> {
    CurveKeyPair::try_generate().map_err(rng_error)
}

fn rng_error(e: KeyError) -> Error {
    Error::Io(io::Error::other(e))
}

/// A CURVE command that does not have the expected form.
pub(crate) fn malformed(command: &'static str, reason: &'static str) -> Error {
    ProtocolError::MalformedCommand { command, reason }.into()
}

/// A box that does not open (wrong key, tampering).
pub(crate) fn crypto_failure(what: &'static str) -> Error {
    ProtocolError::Mechanism(what).into()
}

/// The name of a command body, for error messages (lossy, may be empty).
pub(crate) fn name_of(body: &[u8]) -> String {
    match body.split_first() {
        Some((&len, rest)) => {
            String::from_utf8_lossy(&rest[..usize::from(len).min(rest.len())]).into_owned()
        }
        None => String::new(),
    }
}

/// The error for a command that is not the one expected now.
pub(crate) fn unexpected(expected: &'static str, body: &[u8]) -> Error {
    ProtocolError::UnexpectedCommand {
        expected,
        got: name_of(body),
    }
    .into()
}

/// Whether two keys are equal, in constant time.
pub(crate) fn same_key(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
