//! The traffic codec: frames ⇄ [`Message`]s and [`Command`]s, after the handshake.
//!
//! [`ZmtpCodec`] implements tokio-util's [`Decoder`] and [`Encoder`]. It
//!
//! - checks every announced frame size against the configured maximum
//!   *before* reserving any memory for it, and never pre-allocates more than
//!   [`PREALLOC_LIMIT`] on a peer's word (a huge LONG frame without a limit
//!   is accepted, as libzmq does, but memory grows only as bytes arrive);
//! - hands out frame bodies as [`Bytes`] split off the read buffer, so a
//!   body is never copied on the way in;
//! - assembles multipart messages, accepting commands between their frames
//!   (libzmq may emit a PONG there);
//! - surfaces every command, known or not: deciding what is fatal is the
//!   caller's business, and unknown commands never are;
//! - batches on the way out: [`ZmtpCodec::encode_batch`] encodes many
//!   messages into one buffer for one write;
//! - passes each frame through a [`FrameCipher`] when the mechanism set one.
//!
//! Like libzmq's `ZMQ_MAXMSGSIZE`, the limit applies to each frame.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::command::Command;
use crate::error::{Error, ProtocolError};
use crate::frame::{header_len, put_header, FrameHeader, FLAG_COMMAND, FLAG_MORE};
use crate::mechanism::FrameCipher;
use crate::message::Message;

/// The most the decoder reserves at once for a frame that has not arrived
/// yet; bigger frames grow the buffer as their bytes come in.
pub const PREALLOC_LIMIT: usize = 256 * 1024;

/// Slack allowed on the wire size of encrypted frames (CURVE adds a command
/// name, a nonce and a MAC); the decrypted size is then checked exactly.
const CIPHER_SLACK: u64 = 64;

/// What the decoder yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// A complete (possibly multipart) message.
    Message(Message),
    /// A command frame.
    Command(Command),
}

/// The ZMTP 3.x traffic codec. See the [module docs](self).
#[derive(Debug, Default)]
pub struct ZmtpCodec {
    max_frame_size: Option<u64>,
    cipher: Option<Box<dyn FrameCipher>>,
    partial: Message,
}

impl ZmtpCodec {
    /// A codec with no size limit and no cipher.
    pub fn new() -> Self {
        ZmtpCodec::default()
    }

    /// Sets the largest frame accepted from the peer (`None`: no limit).
    pub fn with_max_frame_size(mut self, max: Option<u64>) -> Self {
        self.max_frame_size = max;
        self
    }

    /// Sets the per-frame transform negotiated by the mechanism.
    pub fn with_cipher(mut self, cipher: Option<Box<dyn FrameCipher>>) -> Self {
        self.cipher = cipher;
        self
    }

    /// The configured frame size limit.
    pub fn max_frame_size(&self) -> Option<u64> {
        self.max_frame_size
    }

    /// Whether a cipher transforms the frames.
    pub fn has_cipher(&self) -> bool {
        self.cipher.is_some()
    }

    fn check_size(&self, size: u64, slack: u64) -> Result<(), ProtocolError> {
        match self.max_frame_size {
            Some(max) if size > max.saturating_add(slack) => {
                Err(ProtocolError::TooLarge { size, max })
            }
            _ => Ok(()),
        }
    }

    /// Takes one complete frame off `src`: `Ok(None)` when more bytes are needed.
    fn next_frame(&mut self, src: &mut BytesMut) -> Result<Option<(u8, Bytes)>, Error> {
        let Some(header) = FrameHeader::peek(src)? else {
            src.reserve(crate::frame::MAX_HEADER_LEN);
            return Ok(None);
        };
        let slack = if self.cipher.is_some() {
            CIPHER_SLACK
        } else {
            0
        };
        self.check_size(header.size, slack)?;
        // The size fits in usize: it is below 2^63 and, on 32-bit targets,
        // a frame that does not fit in memory cannot have arrived yet.
        let Ok(size) = usize::try_from(header.size) else {
            return Err(ProtocolError::SizeOutOfRange(header.size).into());
        };
        let total = header.header_len.saturating_add(size);
        if src.len() < total {
            src.reserve((total - src.len()).min(PREALLOC_LIMIT));
            return Ok(None);
        }
        src.advance(header.header_len);
        let body = src.split_to(size).freeze();
        if let Some(cipher) = self.cipher.as_mut() {
            // Every frame goes to the cipher, whatever its flags: libzmq 4.3
            // carries CURVE's MESSAGE commands in frames without the COMMAND
            // flag, and the cipher refuses anything that is not its own.
            let (flags, plain) = cipher.decrypt(body)?;
            self.check_size(plain.len() as u64, 0)?;
            return Ok(Some((flags, plain)));
        }
        Ok(Some((header.flags, body)))
    }

    /// Appends one message's frames to `dst`.
    pub fn encode_message(&mut self, msg: &Message, dst: &mut BytesMut) -> Result<(), Error> {
        let last = msg.len().saturating_sub(1);
        if let Some(cipher) = self.cipher.as_mut() {
            for (i, frame) in msg.iter().enumerate() {
                let flags = if i < last { FLAG_MORE } else { 0 };
                cipher.encrypt(flags, frame, dst)?;
            }
            return Ok(());
        }
        dst.reserve(msg.iter().map(|f| header_len(f.len()) + f.len()).sum());
        for (i, frame) in msg.iter().enumerate() {
            let flags = if i < last { FLAG_MORE } else { 0 };
            put_header(dst, flags, frame.len());
            dst.extend_from_slice(frame);
        }
        Ok(())
    }

    /// Appends many messages to `dst`, for one write.
    pub fn encode_batch<'a>(
        &mut self,
        msgs: impl IntoIterator<Item = &'a Message>,
        dst: &mut BytesMut,
    ) -> Result<(), Error> {
        for msg in msgs {
            self.encode_message(msg, dst)?;
        }
        Ok(())
    }

    /// Appends one command frame to `dst`.
    pub fn encode_command(&mut self, cmd: &Command, dst: &mut BytesMut) -> Result<(), Error> {
        if let Some(cipher) = self.cipher.as_mut() {
            cipher.encrypt(FLAG_COMMAND, &cmd.to_body(), dst)?;
        } else {
            cmd.encode(dst);
        }
        Ok(())
    }
}

impl Decoder for ZmtpCodec {
    type Item = Inbound;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Inbound>, Error> {
        loop {
            let Some((flags, body)) = self.next_frame(src)? else {
                return Ok(None);
            };
            if flags & FLAG_COMMAND != 0 {
                return Ok(Some(Inbound::Command(Command::parse(body)?)));
            }
            self.partial.push_back(body);
            if flags & FLAG_MORE == 0 {
                return Ok(Some(Inbound::Message(std::mem::take(&mut self.partial))));
            }
        }
    }
}

impl Encoder<Message> for ZmtpCodec {
    type Error = Error;

    fn encode(&mut self, msg: Message, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_message(&msg, dst)
    }
}

impl Encoder<&Message> for ZmtpCodec {
    type Error = Error;

    fn encode(&mut self, msg: &Message, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_message(msg, dst)
    }
}

impl Encoder<Command> for ZmtpCodec {
    type Error = Error;

    fn encode(&mut self, cmd: Command, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode_command(&cmd, dst)
    }
}

impl Encoder<Inbound> for ZmtpCodec {
    type Error = Error;

    fn encode(&mut self, item: Inbound, dst: &mut BytesMut) -> Result<(), Error> {
        match item {
            Inbound::Message(m) => self.encode_message(&m, dst),
            Inbound::Command(c) => self.encode_command(&c, dst),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::Ping;

    fn decode_all(codec: &mut ZmtpCodec, bytes: &[u8]) -> Vec<Inbound> {
        let mut buf = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(item) = codec.decode(&mut buf).unwrap() {
            out.push(item);
        }
        assert!(buf.is_empty());
        out
    }

    #[test]
    fn multipart_with_command_in_between() {
        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(b"\x01\x05hello");
        Command::Pong(crate::command::Pong::new(Bytes::new())).encode(&mut buf);
        buf.extend_from_slice(b"\x00\x05world");
        let items = decode_all(&mut codec, &buf);
        assert_eq!(items.len(), 2);
        assert!(matches!(&items[0], Inbound::Command(Command::Pong(_))));
        assert_eq!(
            items[1],
            Inbound::Message(Message::from(["hello", "world"]))
        );
    }

    #[test]
    fn bodies_are_not_copied() {
        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::from(&b"\x00\x03abc\x00\x03def"[..]);
        let base = buf.as_ptr() as usize;
        let Some(Inbound::Message(m)) = codec.decode(&mut buf).unwrap() else {
            panic!("expected a message")
        };
        assert_eq!(m[0].as_ptr() as usize, base + 2);
    }

    #[test]
    fn limit_is_checked_before_reserving() {
        let mut codec = ZmtpCodec::new().with_max_frame_size(Some(1000));
        let mut buf = BytesMut::from(&b"\x02\x00\x00\x00\x00\x00\x00\x10\x00"[..]);
        let cap = buf.capacity();
        let err = codec.decode(&mut buf).unwrap_err();
        assert!(matches!(
            err,
            Error::Protocol(ProtocolError::TooLarge {
                size: 4096,
                max: 1000
            })
        ));
        assert_eq!(buf.capacity(), cap);
    }

    #[test]
    fn unlimited_long_frame_grows_gradually() {
        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::from(&b"\x02\x00\x00\x10\x00\x00\x00\x00\x00"[..]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() <= PREALLOC_LIMIT + 64);
    }

    #[test]
    fn batch_encoding_roundtrips() {
        let mut codec = ZmtpCodec::new();
        let msgs = vec![
            Message::from("a"),
            Message::from(vec![Bytes::new(), Bytes::from(vec![9u8; 300])]),
        ];
        let mut buf = BytesMut::new();
        codec.encode_batch(&msgs, &mut buf).unwrap();
        codec
            .encode_command(&Command::Ping(Ping::new(10, Bytes::new())), &mut buf)
            .unwrap();
        let items = decode_all(&mut codec, &buf);
        assert_eq!(items[0], Inbound::Message(msgs[0].clone()));
        assert_eq!(items[1], Inbound::Message(msgs[1].clone()));
        assert!(matches!(items[2], Inbound::Command(Command::Ping(_))));
    }
}
