//! The message phase: every frame travels as a MESSAGE command.
//!
//! ```text
//! MESSAGE = [7]"MESSAGE" nonce(8) Box[flags(1) + frame-body](C'<->S')
//! ```
//!
//! `flags` carries MORE (bit 0) and COMMAND (bit 1): libzmq 4.3 writes its
//! own message flags there, which are not the ZMTP frame flags (where
//! COMMAND is bit 2 and bit 1 means LONG).
//!
//! The outer frame is a single frame *without* the COMMAND flag (flags
//! 0x00, or 0x02 when long), as libzmq 4.3 sends it: libzmq ORs the outer
//! frame's flags into the decrypted message's, so a MESSAGE in a COMMAND
//! frame would reach it as a command and be silently dropped. Incoming
//! frames are accepted with any outer flags.

use std::fmt;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use crypto_box::aead::AeadInPlace;
use crypto_box::{SalsaBox, Tag};

use super::{read_u64, short_nonce, MESSAGE, MESSAGE_MIN_LEN, TAG_LEN};
use crate::error::ProtocolError;
use crate::frame::{header_len, put_header, FLAG_COMMAND, FLAG_MORE};
use crate::mechanism::FrameCipher;

/// MORE inside a MESSAGE box.
pub(crate) const BOX_MORE: u8 = 0x01;
/// COMMAND inside a MESSAGE box (libzmq's `msg_t::command`).
pub(crate) const BOX_COMMAND: u8 = 0x02;

/// ZMTP frame flags → the flags octet of a MESSAGE box.
fn to_box_flags(frame_flags: u8) -> u8 {
    let mut flags = 0;
    if frame_flags & FLAG_MORE != 0 {
        flags |= BOX_MORE;
    }
    if frame_flags & FLAG_COMMAND != 0 {
        flags |= BOX_COMMAND;
    }
    flags
}

/// The flags octet of a MESSAGE box → ZMTP frame flags. Other bits are
/// ignored, as libzmq masks them.
fn from_box_flags(box_flags: u8) -> u8 {
    let mut flags = 0;
    if box_flags & BOX_MORE != 0 {
        flags |= FLAG_MORE;
    }
    if box_flags & BOX_COMMAND != 0 {
        flags |= FLAG_COMMAND;
    }
    flags
}

/// Octets a MESSAGE adds around a frame body: name, nonce, tag, flags.
pub(crate) const MESSAGE_OVERHEAD: usize = MESSAGE.len() + 8 + TAG_LEN + 1;

/// The per-connection CURVE frame cipher.
pub(crate) struct CurveCipher {
    session: SalsaBox,
    send_prefix: &'static [u8; 16],
    recv_prefix: &'static [u8; 16],
    /// The short nonce of our next MESSAGE.
    next_send: u64,
    /// The last short nonce received from the peer.
    last_recv: u64,
}

impl CurveCipher {
    /// A cipher over the precomputed transient `session` key.
    pub(crate) fn new(
        session: SalsaBox,
        send_prefix: &'static [u8; 16],
        recv_prefix: &'static [u8; 16],
        next_send: u64,
        last_recv: u64,
    ) -> Self {
        CurveCipher {
            session,
            send_prefix,
            recv_prefix,
            next_send,
            last_recv,
        }
    }
}

impl fmt::Debug for CurveCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurveCipher")
            .field("send_prefix", &String::from_utf8_lossy(self.send_prefix))
            .field("next_send", &self.next_send)
            .field("last_recv", &self.last_recv)
            .finish_non_exhaustive()
    }
}

impl FrameCipher for CurveCipher {
    fn encrypt(&mut self, flags: u8, body: &[u8], dst: &mut BytesMut) -> Result<(), ProtocolError> {
        // RFC 26: no more than 2^64 - 1 commands on one connection.
        if self.next_send == u64::MAX {
            return Err(ProtocolError::Mechanism("CURVE nonces exhausted"));
        }
        let nonce = self.next_send;
        let size = MESSAGE_OVERHEAD + body.len();
        let start = dst.len();
        dst.reserve(header_len(size) + size);
        put_header(dst, 0, size);
        dst.put_slice(MESSAGE);
        dst.put_u64(nonce);
        let tag_at = dst.len();
        dst.put_bytes(0, TAG_LEN);
        let plain_at = dst.len();
        dst.put_u8(to_box_flags(flags));
        dst.put_slice(body);
        let full_nonce = short_nonce(self.send_prefix, nonce);
        match self
            .session
            .encrypt_in_place_detached(&full_nonce, b"", &mut dst[plain_at..])
        {
            Ok(tag) => {
                dst[tag_at..plain_at].copy_from_slice(&tag);
                self.next_send += 1;
                Ok(())
            }
            Err(_) => {
                dst.truncate(start);
                Err(ProtocolError::Mechanism("CURVE encryption failed"))
            }
        }
    }

    fn decrypt(&mut self, frame_body: Bytes) -> Result<(u8, Bytes), ProtocolError> {
        if !frame_body.starts_with(MESSAGE) {
            return Err(ProtocolError::UnexpectedCommand {
                expected: "MESSAGE",
                got: super::name_of(&frame_body),
            });
        }
        if frame_body.len() < MESSAGE_MIN_LEN {
            return Err(ProtocolError::MalformedCommand {
                command: "MESSAGE",
                reason: "shorter than 33 octets",
            });
        }
        let nonce = read_u64(&frame_body, MESSAGE.len());
        if nonce <= self.last_recv {
            return Err(ProtocolError::Mechanism(
                "CURVE MESSAGE nonce does not increase (replay)",
            ));
        }
        let tag_at = MESSAGE.len() + 8;
        let tag = Tag::clone_from_slice(&frame_body[tag_at..tag_at + TAG_LEN]);
        // Decrypt in place when the frame body is ours alone (the codec
        // splits it off its read buffer): no copy of the payload.
        let mut plain = match frame_body.try_into_mut() {
            Ok(mut owned) => {
                owned.advance(tag_at + TAG_LEN);
                owned
            }
            Err(shared) => BytesMut::from(&shared[tag_at + TAG_LEN..]),
        };
        let full_nonce = short_nonce(self.recv_prefix, nonce);
        self.session
            .decrypt_in_place_detached(&full_nonce, b"", &mut plain, &tag)
            .map_err(|_| ProtocolError::Mechanism("CURVE MESSAGE box does not open"))?;
        self.last_recv = nonce;
        let flags = from_box_flags(plain.get_u8());
        Ok((flags, plain.freeze()))
    }
}
