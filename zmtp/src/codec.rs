//! The traffic codec: frames ⇄ [`Message`]s and [`Command`]s, after the handshake.
//!
//! [`ZmtpCodec`] implements tokio-util's [`Decoder`] and [`Encoder`]. It
//!
//! - checks every announced frame size against the configured maximum
//!   *before* reserving any memory for it, and never pre-allocates more than
//!   [`PREALLOC_LIMIT`] on a peer's word (a huge LONG frame without a limit
//!   is accepted, as libzmq does, but beyond that memory grows only as
//!   bytes arrive, at most doubling what has arrived);
//! - reserves room for a whole frame (up to [`PREALLOC_LIMIT`]) as soon as
//!   its header is in, so a large body is read straight into place and
//!   handed out as [`Bytes`] split off the read buffer: a body is never
//!   copied on the way in; the buffers of large frames are used again
//!   once the bodies split off them are dropped (no fresh memory per
//!   large frame);
//! - on the way out, copies small frames into one buffer but queues large
//!   bodies ([`VECTORED_MIN`] bytes or more) by reference, for one vectored
//!   write ([`WireBuf`]);
//! - assembles multipart messages, accepting commands between their frames
//!   (libzmq may emit a PONG there);
//! - surfaces every command, known or not: deciding what is fatal is the
//!   caller's business, and unknown commands never are;
//! - batches on the way out: [`ZmtpCodec::encode_batch`] encodes many
//!   messages into one buffer for one write;
//! - passes each frame through a [`FrameCipher`] when the mechanism set one.
//!
//! Like libzmq's `ZMQ_MAXMSGSIZE`, the limit applies to each frame.

use std::collections::VecDeque;

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::command::Command;
use crate::error::{Error, ProtocolError};
use crate::frame::{header_len, put_header, FrameHeader, FLAG_COMMAND, FLAG_MORE};
use crate::mechanism::FrameCipher;
use crate::message::Message;

/// The most the decoder reserves at once for a frame that has not arrived
/// yet: a frame up to this size gets all its room as soon as its header is
/// in; a bigger one grows the buffer as its bytes come in, each step at
/// most doubling what has arrived. (Room reserved and not yet written to
/// is address space, not resident memory.)
pub const PREALLOC_LIMIT: usize = 8 * 1024 * 1024;

/// Room the decoder leaves after a frame it allocates a buffer for, where
/// the bytes that follow it are read. Small: what lands there of a next
/// large frame is copied into that frame's own buffer.
const ROOM_AFTER: usize = 8 * 1024;

/// Bodies at least this large are not copied by
/// [`ZmtpCodec::encode_message_into`]: they are queued by reference in the
/// [`WireBuf`], written from where they are by a vectored write.
pub const VECTORED_MIN: usize = 8 * 1024;

/// Slack allowed on the wire size of encrypted frames (CURVE adds a command
/// name, a nonce and a MAC); the decrypted size is then checked exactly.
const CIPHER_SLACK: u64 = 64;

/// Where the body of a large frame starts in the buffer the decoder gives
/// it: on a cache-line boundary. The kernel copies a read into place with
/// `rep movsb`, which on the benchmark machine (AMD EPYC) ran at a fraction
/// of its speed into a destination off the source's alignment: with the
/// body 9 bytes into its buffer (after a long frame's header), a 1 MiB
/// REQ/REP round trip over tcp took 1.15-1.36 ms, 2.3x libzmq's, and
/// `_copy_to_iter` was half of the profile; with the body aligned, 478 µs.
const BODY_ALIGN: usize = 64;

/// Large receive buffers kept for reuse: at most this many…
const SPARES: usize = 3;
/// …holding at most this much memory together.
const SPARE_BYTES: usize = 4 * 1024 * 1024;

/// The buffers the decoder allocated for large frames and moved on from,
/// kept so that one whose bodies have all been dropped is used again for
/// the next large frame instead of a fresh allocation. A spare is an
/// empty handle on its allocation; it is reusable once it is the last
/// one ([`BytesMut::try_reclaim`]). Memory that is already mapped (and
/// likely still in cache) spares the page faults and cache misses of
/// fresh memory, which the allocator may have returned to the system.
#[derive(Debug, Default)]
struct Spares {
    /// Spares and the sizes of their allocations, oldest first.
    bufs: Vec<(BytesMut, usize)>,
    /// The size of the buffer handed out last (the decoder's current
    /// one), 0 if none.
    current: usize,
}

impl Spares {
    /// Moves what `src` holds into an empty buffer with room for `size`
    /// bytes — a reclaimed spare if one is free and large enough, else a
    /// fresh one — and keeps the old buffer as a spare. The bytes are
    /// placed so that the one at `body_at` (where the frame's body will
    /// start) is on a [`BODY_ALIGN`] boundary.
    fn renew(&mut self, src: &mut BytesMut, size: usize, body_at: usize) {
        let size = size + BODY_ALIGN;
        // Newest first: recently used memory is the likeliest to be in
        // cache.
        let reclaimed = (0..self.bufs.len())
            .rev()
            .find(|&i| self.bufs[i].0.try_reclaim(size));
        let (mut room, room_size) = match reclaimed {
            Some(i) => self.bufs.remove(i),
            None => (BytesMut::with_capacity(size), size),
        };
        // Start the body on a cache line (see [`BODY_ALIGN`]).
        let misaligned = (room.as_ptr() as usize + body_at) % BODY_ALIGN;
        if misaligned != 0 {
            let pad = BODY_ALIGN - misaligned;
            room.resize(pad, 0);
            room.advance(pad);
        }
        room.extend_from_slice(src);
        let mut old = std::mem::replace(src, room);
        old.clear();
        let old_size = std::mem::replace(&mut self.current, room_size);
        if old_size == 0 || old_size > SPARE_BYTES {
            return;
        }
        let mut held: usize = self.bufs.iter().map(|(_, n)| n).sum();
        while !self.bufs.is_empty() && (self.bufs.len() == SPARES || held + old_size > SPARE_BYTES)
        {
            held -= self.bufs.remove(0).1;
        }
        self.bufs.push((old, old_size));
    }
}

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
    spares: Spares,
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
            if total <= PREALLOC_LIMIT {
                // All the room at once for a frame that is not huge, so its
                // body is read into place, never moved: a buffer of the
                // frame's size plus [`ROOM_AFTER`] for what follows (so the
                // next read needs no buffer of its own), the memory of an
                // earlier large frame whose bodies are gone if there is
                // one (see [`Spares`]).
                if src.capacity() < total {
                    self.spares
                        .renew(src, total + ROOM_AFTER, header.header_len);
                }
            } else {
                // A huge one grows with what arrives, at most doubling it.
                let missing = total - src.len();
                src.reserve(missing.min(src.len().max(PREALLOC_LIMIT)));
            }
            return Ok(None);
        }
        // One split for header and body, then skip the header in the
        // frozen frame (cheaper than advancing the buffer past it first).
        let mut body = src.split_to(total).freeze();
        body.advance(header.header_len);
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

    /// Appends one message's frames to `dst` like
    /// [`encode_message`](Self::encode_message), except that bodies of
    /// [`VECTORED_MIN`] bytes or more are queued by reference, not copied
    /// (unless a cipher transforms the frames).
    pub fn encode_message_into(&mut self, msg: &Message, dst: &mut WireBuf) -> Result<(), Error> {
        if self.cipher.is_some() {
            return self.encode_message(msg, &mut dst.tail);
        }
        let last = msg.len().saturating_sub(1);
        for (i, frame) in msg.iter().enumerate() {
            let flags = if i < last { FLAG_MORE } else { 0 };
            if frame.len() >= VECTORED_MIN {
                put_header(&mut dst.tail, flags, frame.len());
                dst.push_bytes(frame.clone());
            } else if frame.len() <= 255 {
                let tail = &mut dst.tail;
                tail.reserve(2 + frame.len());
                tail.extend_from_slice(&[flags, frame.len() as u8]);
                tail.extend_from_slice(frame);
            } else {
                let tail = &mut dst.tail;
                tail.reserve(9 + frame.len());
                put_header(tail, flags, frame.len());
                tail.extend_from_slice(frame);
            }
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

/// Bytes waiting to be written: a queue of buffers, copied small frames
/// and large bodies by reference, read out with [`Buf`] (whose
/// [`chunks_vectored`](Buf::chunks_vectored) gives them all to one vectored
/// write).
#[derive(Debug, Default)]
pub struct WireBuf {
    /// Buffers queued before `tail`, oldest first (none empty).
    sealed: VecDeque<Bytes>,
    /// Bytes in `sealed`.
    sealed_len: usize,
    /// Where the next bytes are appended.
    tail: BytesMut,
}

impl WireBuf {
    /// An empty queue whose copy buffer starts with `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        WireBuf {
            sealed: VecDeque::new(),
            sealed_len: 0,
            tail: BytesMut::with_capacity(capacity),
        }
    }

    /// The buffer bytes are copied into, after everything queued so far.
    pub fn tail_mut(&mut self) -> &mut BytesMut {
        &mut self.tail
    }

    /// Queues `bytes` by reference after everything queued so far.
    pub fn push_bytes(&mut self, bytes: Bytes) {
        if bytes.is_empty() {
            return;
        }
        if !self.tail.is_empty() {
            // What was copied so far goes first; the tail goes on in the
            // rest of the same allocation.
            let copied = self.tail.split().freeze();
            self.sealed_len += copied.len();
            self.sealed.push_back(copied);
        }
        self.sealed_len += bytes.len();
        self.sealed.push_back(bytes);
    }

    /// Bytes waiting.
    pub fn len(&self) -> usize {
        self.sealed_len + self.tail.len()
    }

    /// Whether nothing is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Buf for WireBuf {
    fn remaining(&self) -> usize {
        self.len()
    }

    fn chunk(&self) -> &[u8] {
        match self.sealed.front() {
            Some(first) => first,
            None => &self.tail,
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [std::io::IoSlice<'a>]) -> usize {
        let mut n = 0;
        let bufs = self
            .sealed
            .iter()
            .map(|b| &b[..])
            .chain(std::iter::once(&self.tail[..]));
        for (slot, buf) in dst.iter_mut().zip(bufs.filter(|b| !b.is_empty())) {
            *slot = std::io::IoSlice::new(buf);
            n += 1;
        }
        n
    }

    fn advance(&mut self, mut cnt: usize) {
        while cnt > 0 {
            let Some(first) = self.sealed.front_mut() else {
                break;
            };
            if cnt < first.len() {
                first.advance(cnt);
                self.sealed_len -= cnt;
                return;
            }
            cnt -= first.len();
            self.sealed_len -= first.len();
            self.sealed.pop_front();
        }
        self.tail.advance(cnt);
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
            if flags & FLAG_MORE == 0 && self.partial.is_empty() {
                // A single-frame message: nothing to assemble.
                return Ok(Some(Inbound::Message(Message::from(body))));
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

    /// A frame that is not huge gets all its room when its header is in:
    /// the rest of it lands in place, and the body is handed out from
    /// there, never moved.
    #[test]
    fn large_frame_is_read_into_place() {
        let size = 300 * 1024;
        let mut wire = BytesMut::new();
        put_header(&mut wire, 0, size);
        wire.extend((0..size).map(|i| i as u8));
        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::from(&wire[..1000]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        assert!(buf.capacity() >= wire.len());
        let base = buf.as_ptr() as usize;
        // The rest arrives in pieces, as reads would bring it.
        for piece in wire[1000..].chunks(64 * 1024) {
            assert!(codec.decode(&mut buf).unwrap().is_none());
            buf.extend_from_slice(piece);
            assert_eq!(buf.as_ptr() as usize, base, "the buffer moved");
        }
        let Some(Inbound::Message(m)) = codec.decode(&mut buf).unwrap() else {
            panic!("expected a message")
        };
        assert_eq!(m[0].as_ptr() as usize, base + 9);
        assert_eq!(
            m[0].as_ptr() as usize % BODY_ALIGN,
            0,
            "body not on a cache line"
        );
        assert_eq!(&m[0][..], &wire[9..]);
        assert!(buf.is_empty());
    }

    /// Appends `rest` (the end of a frame whose room the decoder reserved,
    /// and maybe the start of the next) to `buf`, and decodes the frame's
    /// body.
    fn feed_frame(codec: &mut ZmtpCodec, buf: &mut BytesMut, rest: &[u8]) -> Bytes {
        buf.extend_from_slice(rest);
        match codec.decode(buf).unwrap() {
            Some(Inbound::Message(m)) => m[0].clone(),
            other => panic!("expected a message, got {other:?}"),
        }
    }

    /// The buffer of a large frame is used again for a later one once
    /// every body split off it is gone, and never while one is alive.
    #[test]
    fn large_frame_buffers_are_recycled() {
        let size = 300 * 1024;
        let frame = |fill: u8| {
            let mut f = BytesMut::new();
            put_header(&mut f, 0, size);
            f.extend(std::iter::repeat_n(fill, size));
            f.freeze()
        };
        let (f1, f2, f3, f4) = (frame(1), frame(2), frame(3), frame(4));
        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::from(&f1[..100]);
        assert!(codec.decode(&mut buf).unwrap().is_none());
        // Frame 1, then the start of frame 2 in the room after it.
        let mut rest = f1[100..].to_vec();
        rest.extend_from_slice(&f2[..100]);
        let b1 = feed_frame(&mut codec, &mut buf, &rest);
        assert!(b1.iter().all(|&b| b == 1));
        assert!(codec.decode(&mut buf).unwrap().is_none());
        let mut rest = f2[100..].to_vec();
        rest.extend_from_slice(&f3[..100]);
        let b2 = feed_frame(&mut codec, &mut buf, &rest);
        assert!(b2.iter().all(|&b| b == 2));
        // Body 1 is gone: frame 3 lands in its buffer.
        let b1_at = b1.as_ptr() as usize;
        drop(b1);
        // Were its memory freed, an allocation of its size made now would
        // likely take it.
        let other = vec![7u8; size + ROOM_AFTER + 64];
        assert!(codec.decode(&mut buf).unwrap().is_none());
        let mut rest = f3[100..].to_vec();
        rest.extend_from_slice(&f4[..100]);
        let b3 = feed_frame(&mut codec, &mut buf, &rest);
        assert!(b3.iter().all(|&b| b == 3));
        assert_eq!(b3.as_ptr() as usize, b1_at, "the buffer was not reused");
        for body in [&b2, &b3] {
            assert_eq!(
                body.as_ptr() as usize % BODY_ALIGN,
                0,
                "body not on a cache line"
            );
        }
        assert!(other.iter().all(|&b| b == 7));
        // Bodies 2 and 3 are alive: frame 4 gets a buffer of its own.
        assert!(codec.decode(&mut buf).unwrap().is_none());
        let b4 = feed_frame(&mut codec, &mut buf, &f4[100..]);
        assert!(b4.iter().all(|&b| b == 4));
        assert!(b2.iter().all(|&b| b == 2), "a live body was overwritten");
        assert!(b3.iter().all(|&b| b == 3), "a live body was overwritten");
        let ends = |b: &Bytes| (b.as_ptr() as usize, b.as_ptr() as usize + b.len());
        for other in [&b2, &b3] {
            let (s4, e4) = ends(&b4);
            let (s, e) = ends(other);
            assert!(e4 <= s || e <= s4, "bodies overlap");
        }
    }

    /// Spares are bounded in number and in memory, however many large
    /// frames stay alive.
    #[test]
    fn spares_are_bounded() {
        let mut spares = Spares::default();
        let mut src = BytesMut::new();
        let mut alive = Vec::new();
        for size in [
            100,
            3 << 20,
            1 << 20,
            5 << 20,
            1 << 20,
            1 << 20,
            2 << 20,
            1 << 20,
        ] {
            spares.renew(&mut src, size, 0);
            assert!(src.capacity() >= size);
            src.extend_from_slice(&[1, 2, 3]);
            alive.push(src.split().freeze());
            assert!(spares.bufs.len() <= SPARES);
            let held: usize = spares.bufs.iter().map(|(_, n)| n).sum();
            assert!(held <= SPARE_BYTES, "{held} bytes held");
        }
        // None was reused while its bytes were alive.
        for (i, b) in alive.iter().enumerate() {
            assert_eq!(&b[..], &[1, 2, 3], "body {i} was overwritten");
        }
    }

    /// Beyond the preallocation limit, room grows with what arrives.
    #[test]
    fn huge_frame_room_follows_what_arrived() {
        let size = 64 * PREALLOC_LIMIT;
        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::new();
        put_header(&mut buf, 0, size);
        let mut arrived = 0;
        while arrived < 4 * PREALLOC_LIMIT {
            assert!(codec.decode(&mut buf).unwrap().is_none());
            let room = buf.capacity() - buf.len();
            assert!(
                room <= (buf.len() + PREALLOC_LIMIT) * 2,
                "room {room} for {arrived} bytes"
            );
            let piece = room.min(PREALLOC_LIMIT / 2);
            buf.extend_from_slice(&vec![7u8; piece]);
            arrived += piece;
        }
    }

    /// Small frames are copied together; large bodies are queued by
    /// reference between them, in order, for one vectored write.
    #[test]
    fn wire_buf_queues_large_bodies_by_reference() {
        let big = Bytes::from(vec![5u8; VECTORED_MIN]);
        let msgs = [
            Message::from("small"),
            Message::from(vec![Bytes::from_static(b"id"), big.clone()]),
            Message::from("after"),
        ];
        let mut codec = ZmtpCodec::new();
        let mut wire = WireBuf::with_capacity(64);
        for m in &msgs {
            codec.encode_message_into(m, &mut wire).unwrap();
        }
        let mut slices = [std::io::IoSlice::new(&[]); 8];
        let n = wire.chunks_vectored(&mut slices);
        assert_eq!(n, 3);
        assert_eq!(
            slices[1].as_ptr(),
            big.as_ptr(),
            "the large body was copied"
        );
        // What goes out, in any split of writes, is the plain encoding.
        let mut plain = BytesMut::new();
        for m in &msgs {
            codec.encode_message(m, &mut plain).unwrap();
        }
        assert_eq!(wire.len(), plain.len());
        let mut out = Vec::new();
        while wire.has_remaining() {
            let take = wire.chunk().len().min(7);
            out.extend_from_slice(&wire.chunk()[..take]);
            wire.advance(take);
        }
        assert_eq!(out, plain);
        assert!(wire.is_empty());
    }

    /// With a cipher, nothing is queued by reference: every frame is
    /// transformed into the copy buffer.
    #[test]
    fn wire_buf_with_cipher_copies_everything() {
        #[derive(Debug)]
        struct Upper;
        impl FrameCipher for Upper {
            fn encrypt(
                &mut self,
                flags: u8,
                body: &[u8],
                dst: &mut BytesMut,
            ) -> Result<(), ProtocolError> {
                put_header(dst, flags, body.len());
                dst.extend(body.iter().map(u8::to_ascii_uppercase));
                Ok(())
            }
            fn decrypt(&mut self, body: Bytes) -> Result<(u8, Bytes), ProtocolError> {
                Ok((0, body))
            }
        }
        let mut codec = ZmtpCodec::new().with_cipher(Some(Box::new(Upper)));
        let mut wire = WireBuf::with_capacity(64);
        let big = Bytes::from(vec![b'a'; VECTORED_MIN * 2]);
        codec
            .encode_message_into(&Message::from(big), &mut wire)
            .unwrap();
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        assert_eq!(wire.chunks_vectored(&mut slices), 1);
        assert!(wire.chunk()[9..].iter().all(|&b| b == b'A'));
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
