//! [`Message`]: one ZeroMQ message, made of one or more [`Bytes`] frames.
//!
//! A message is delivered atomically: all of its frames or none (RFC 23).
//! Frames are reference-counted [`Bytes`], so cloning a message (PUB fan-out)
//! or moving it between sockets (inproc) never copies a body, and a frame
//! decoded from the wire shares the read buffer it arrived in.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Index;
use std::sync::Arc;

use bytes::Bytes;
use smallvec::SmallVec;

use crate::metadata::Metadata;

/// Inline capacity: one frame. A single-frame message needs no heap
/// allocation for its frame list; a multipart one (an envelope, a topic
/// frame) allocates its list once.
///
/// One frame, not two, because a message is moved several times on its way
/// through a socket and a pipe: at one inline frame a [`Message`] is 48
/// bytes (80 with two) and a pipe slot holding one is a single 64-byte
/// cache line. That took inproc PUSH/PULL of 100-byte messages from about
/// 14 to about 17 M messages/s on the 2-core benchmark machine, while
/// ROUTER/DEALER over tcp (two frames a message) stayed within the noise.
type Frames = SmallVec<[Bytes; 1]>;

/// A ZeroMQ message: an ordered list of frames, sent and received as a unit.
///
/// A message may be empty (zero frames) while it is being built, but sockets
/// refuse to send an empty message: the smallest message on the wire is one
/// frame of zero bytes.
///
/// ```
/// use oxmq_zmtp::Message;
/// let mut msg = Message::from("world");
/// msg.push_front("hello");
/// assert_eq!(msg.len(), 2);
/// assert_eq!(&msg[0][..], b"hello");
/// ```
///
/// A received message may carry the *properties* of the connection it came
/// from (libzmq's `zmq_msg_gets`): `Socket-Type`, `Identity`, `Peer-Address`,
/// `User-Id` and the peer's `X-` metadata. They are shared, not copied, and
/// do not take part in equality.
#[derive(Clone, Default)]
pub struct Message {
    frames: Frames,
    properties: Option<Arc<Metadata>>,
}

impl PartialEq for Message {
    fn eq(&self, other: &Message) -> bool {
        self.frames == other.frames
    }
}

impl Eq for Message {}

impl Hash for Message {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.frames.hash(state);
    }
}

impl Message {
    /// An empty message (no frames).
    #[inline]
    pub fn new() -> Self {
        Message {
            frames: Frames::new(),
            properties: None,
        }
    }

    /// A message with room for `n` frames.
    pub fn with_capacity(n: usize) -> Self {
        Message {
            frames: Frames::with_capacity(n),
            properties: None,
        }
    }

    /// A connection property of a received message (case-insensitive name),
    /// e.g. `"Socket-Type"`, `"Peer-Address"`, `"User-Id"`, `"X-Color"`.
    #[inline]
    pub fn property(&self, name: &str) -> Option<&Bytes> {
        self.properties.as_ref().and_then(|p| p.get(name))
    }

    /// All connection properties of a received message, if any.
    #[inline]
    pub fn properties(&self) -> Option<&Metadata> {
        self.properties.as_deref()
    }

    /// Attaches connection properties (done by sockets on receive).
    #[inline]
    pub fn set_properties(&mut self, properties: Option<Arc<Metadata>>) {
        self.properties = properties;
    }

    /// Number of frames.
    #[inline]
    pub fn len(&self) -> usize {
        self.frames.len()
    }

    /// Whether the message has no frames at all.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Appends a frame at the end.
    pub fn push_back(&mut self, frame: impl Into<Bytes>) {
        self.frames.push(frame.into());
    }

    /// Inserts a frame at the front (used to add envelopes).
    pub fn push_front(&mut self, frame: impl Into<Bytes>) {
        self.frames.insert(0, frame.into());
    }

    /// Removes and returns the first frame (used to strip envelopes).
    pub fn pop_front(&mut self) -> Option<Bytes> {
        if self.frames.is_empty() {
            None
        } else {
            Some(self.frames.remove(0))
        }
    }

    /// Removes and returns the last frame.
    pub fn pop_back(&mut self) -> Option<Bytes> {
        self.frames.pop()
    }

    /// The frames, in order.
    #[inline]
    pub fn frames(&self) -> &[Bytes] {
        &self.frames
    }

    /// The frames, mutably (to edit a frame in place).
    pub fn frames_mut(&mut self) -> &mut [Bytes] {
        &mut self.frames
    }

    /// The frame at `index`, if any.
    #[inline]
    pub fn get(&self, index: usize) -> Option<&Bytes> {
        self.frames.get(index)
    }

    /// The first frame, if any.
    #[inline]
    pub fn first(&self) -> Option<&Bytes> {
        self.frames.first()
    }

    /// The last frame, if any.
    #[inline]
    pub fn last(&self) -> Option<&Bytes> {
        self.frames.last()
    }

    /// Iterates over the frames.
    #[inline]
    pub fn iter(&self) -> std::slice::Iter<'_, Bytes> {
        self.frames.iter()
    }

    /// Splits off the frames from `at` onwards into a new message.
    pub fn split_off(&mut self, at: usize) -> Message {
        let tail: Frames = self.frames.drain(at.min(self.frames.len())..).collect();
        Message {
            frames: tail,
            properties: self.properties.clone(),
        }
    }

    /// Inserts all frames of `prefix` in front of this message's frames.
    pub fn prepend(&mut self, prefix: Message) {
        self.frames.insert_many(0, prefix.frames);
    }

    /// Appends all frames of `other`.
    pub fn extend_from(&mut self, other: Message) {
        self.frames.extend(other.frames);
    }

    /// Sum of the frame sizes, in bytes.
    pub fn byte_len(&self) -> usize {
        self.frames.iter().map(Bytes::len).sum()
    }

    /// Consumes the message, returning its frames.
    pub fn into_frames(self) -> impl DoubleEndedIterator<Item = Bytes> + ExactSizeIterator {
        self.frames.into_iter()
    }

    /// Consumes the message, returning its frames as a `Vec`.
    pub fn into_vec(self) -> Vec<Bytes> {
        self.frames.into_vec()
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        for frame in &self.frames {
            match std::str::from_utf8(frame) {
                Ok(s) if frame.len() <= 64 => list.entry(&s),
                _ if frame.len() <= 32 => list.entry(&HexFrame(frame)),
                _ => list.entry(&format_args!("<{} bytes>", frame.len())),
            };
        }
        list.finish()
    }
}

struct HexFrame<'a>(&'a [u8]);

impl fmt::Debug for HexFrame<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Index<usize> for Message {
    type Output = Bytes;
    #[inline]
    fn index(&self, index: usize) -> &Bytes {
        &self.frames[index]
    }
}

impl<'a> IntoIterator for &'a Message {
    type Item = &'a Bytes;
    type IntoIter = std::slice::Iter<'a, Bytes>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames.iter()
    }
}

impl IntoIterator for Message {
    type Item = Bytes;
    type IntoIter = smallvec::IntoIter<[Bytes; 1]>;
    fn into_iter(self) -> Self::IntoIter {
        self.frames.into_iter()
    }
}

impl<T: Into<Bytes>> FromIterator<T> for Message {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        Message {
            frames: iter.into_iter().map(Into::into).collect(),
            properties: None,
        }
    }
}

impl From<Bytes> for Message {
    #[inline]
    fn from(frame: Bytes) -> Self {
        let mut frames = Frames::new();
        frames.push(frame);
        Message {
            frames,
            properties: None,
        }
    }
}

macro_rules! single_frame_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Message {
            fn from(frame: $t) -> Self {
                Message::from(Bytes::from(frame))
            }
        }
    )*};
}
single_frame_from!(Vec<u8>, String, &'static str, &'static [u8]);

impl From<Vec<Bytes>> for Message {
    fn from(frames: Vec<Bytes>) -> Self {
        Message {
            frames: Frames::from_vec(frames),
            properties: None,
        }
    }
}

impl<const N: usize> From<[&'static str; N]> for Message {
    fn from(frames: [&'static str; N]) -> Self {
        frames.into_iter().collect()
    }
}

impl<const N: usize> From<[Bytes; N]> for Message {
    fn from(frames: [Bytes; N]) -> Self {
        frames.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_operations() {
        let mut m = Message::from(["a", "b"]);
        m.push_front("id");
        assert_eq!(m.pop_front().as_deref(), Some(&b"id"[..]));
        let tail = m.split_off(1);
        assert_eq!(m, Message::from("a"));
        assert_eq!(tail, Message::from("b"));
        m.prepend(Message::from(["x", ""]));
        assert_eq!(m, Message::from(["x", "", "a"]));
        assert_eq!(m.byte_len(), 2);
    }

    #[test]
    fn debug_is_readable() {
        let m = Message::from(vec![
            Bytes::from_static(b"hi"),
            Bytes::from_static(&[0, 255]),
        ]);
        assert_eq!(format!("{m:?}"), r#"["hi", 0x00ff]"#);
    }
}
