//! Property tests of the traffic codec and of the command/metadata parsers:
//! round trips, robustness against arbitrary bytes, independence from how
//! the byte stream is split, and size limits enforced before allocating.

use bytes::{Bytes, BytesMut};
use oxmq_zmtp::command::{ErrorCommand, Ping, Pong};
use oxmq_zmtp::{Command, Error, Inbound, Message, Metadata, ProtocolError, ZmtpCodec};
use proptest::prelude::*;
use tokio_util::codec::{Decoder, Encoder};

// ----------------------------------------------------------- strategies ----

fn frame_body() -> impl Strategy<Value = Bytes> {
    prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..8),
        2 => prop::collection::vec(any::<u8>(), 0..300),
        1 => prop::collection::vec(any::<u8>(), 250..700),
    ]
    .prop_map(Bytes::from)
}

fn message() -> impl Strategy<Value = Message> {
    prop::collection::vec(frame_body(), 1..6).prop_map(Message::from)
}

fn bytes_up_to(max: usize) -> impl Strategy<Value = Bytes> {
    prop::collection::vec(any::<u8>(), 0..=max).prop_map(Bytes::from)
}

fn metadata() -> impl Strategy<Value = Metadata> {
    prop::collection::vec(("[A-Za-z0-9._+-]{1,40}", bytes_up_to(300)), 0..5)
        .prop_map(|props| props.into_iter().collect())
}

const KNOWN: [&str; 6] = ["READY", "ERROR", "SUBSCRIBE", "CANCEL", "PING", "PONG"];

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        metadata().prop_map(Command::Ready),
        bytes_up_to(255).prop_map(|r| Command::Error(ErrorCommand::new(r))),
        bytes_up_to(300).prop_map(Command::Subscribe),
        bytes_up_to(300).prop_map(Command::Cancel),
        (any::<u16>(), bytes_up_to(16)).prop_map(|(t, c)| Command::Ping(Ping::new(t, c))),
        bytes_up_to(16).prop_map(|c| Command::Pong(Pong::new(c))),
        (
            "[A-Z][A-Z0-9-]{0,19}".prop_filter("known name", |n| !KNOWN.contains(&n.as_str())),
            bytes_up_to(300)
        )
            .prop_map(|(name, data)| Command::Unknown {
                name: Bytes::from(name),
                data
            }),
    ]
}

fn item() -> impl Strategy<Value = Inbound> {
    prop_oneof![
        message().prop_map(Inbound::Message),
        command().prop_map(Inbound::Command),
    ]
}

fn chunk_sizes() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(1usize..80, 1..40)
}

fn max_frame_size() -> impl Strategy<Value = Option<u64>> {
    prop_oneof![Just(None), (0u64..1024).prop_map(Some)]
}

// -------------------------------------------------------------- drivers ----

/// What decoding a whole stream produced: the items, then either the
/// error that stopped it (as text) or the number of bytes left over.
#[derive(Debug, PartialEq)]
struct Outcome {
    items: Vec<Inbound>,
    end: Result<usize, String>,
}

fn decode_chunked(bytes: &[u8], sizes: &[usize], max: Option<u64>) -> Outcome {
    let mut codec = ZmtpCodec::new().with_max_frame_size(max);
    let mut buf = BytesMut::new();
    let mut items = Vec::new();
    let mut pos = 0;
    let mut turn = 0;
    loop {
        // Decode everything currently decodable.
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
        }
        if pos == bytes.len() {
            return Outcome {
                items,
                end: Ok(buf.len()),
            };
        }
        let n = sizes[turn % sizes.len()].min(bytes.len() - pos);
        turn += 1;
        buf.extend_from_slice(&bytes[pos..pos + n]);
        pos += n;
    }
}

fn decode_whole(bytes: &[u8], max: Option<u64>) -> Outcome {
    decode_chunked(bytes, &[usize::MAX], max)
}

fn encode_items(items: &[Inbound]) -> Vec<u8> {
    let mut codec = ZmtpCodec::new();
    let mut buf = BytesMut::new();
    for item in items {
        codec.encode(item.clone(), &mut buf).unwrap();
    }
    buf.to_vec()
}

// ------------------------------------------------------------ properties ----

proptest! {
    /// Any message encodes and decodes to itself, using every byte, with
    /// short headers for bodies up to 255 bytes and long headers above.
    #[test]
    fn message_roundtrip(msg in message()) {
        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::new();
        codec.encode(&msg, &mut buf).unwrap();
        let expected_len: usize = msg
            .iter()
            .map(|f| if f.len() <= 255 { 2 } else { 9 } + f.len())
            .sum();
        prop_assert_eq!(buf.len(), expected_len);
        // First frame's flags: MORE iff more frames, LONG iff > 255 bytes.
        let more = if msg.len() > 1 { 0x01 } else { 0 };
        let long = if msg[0].len() > 255 { 0x02 } else { 0 };
        prop_assert_eq!(buf[0], more | long);
        prop_assert_eq!(codec.decode(&mut buf).unwrap(), Some(Inbound::Message(msg)));
        prop_assert!(buf.is_empty());
    }

    /// Any command encodes and decodes to itself, through Command::parse and
    /// through the codec, and its body length is what body_len says.
    #[test]
    fn command_roundtrip(cmd in command()) {
        let body = cmd.to_body();
        prop_assert_eq!(body.len(), cmd.body_len());
        prop_assert_eq!(&Command::parse(body).unwrap(), &cmd);

        let mut codec = ZmtpCodec::new();
        let mut buf = BytesMut::new();
        codec.encode(cmd.clone(), &mut buf).unwrap();
        prop_assert_eq!(buf[0] & 0x04, 0x04, "COMMAND flag");
        prop_assert_eq!(codec.decode(&mut buf).unwrap(), Some(Inbound::Command(cmd)));
        prop_assert!(buf.is_empty());
    }

    /// A stream of messages and commands decodes to the same items whether
    /// it arrives whole or in arbitrary chunks.
    #[test]
    fn stream_roundtrip_is_split_invariant(
        items in prop::collection::vec(item(), 0..8),
        sizes in chunk_sizes(),
    ) {
        let bytes = encode_items(&items);
        let whole = decode_whole(&bytes, None);
        prop_assert_eq!(&whole, &Outcome { items: items.clone(), end: Ok(0) });
        prop_assert_eq!(decode_chunked(&bytes, &sizes, None), whole);
    }

    /// A batch encodes to exactly the concatenation of its messages.
    #[test]
    fn batch_equals_concatenation(msgs in prop::collection::vec(message(), 0..6)) {
        let mut codec = ZmtpCodec::new();
        let mut batch = BytesMut::new();
        codec.encode_batch(&msgs, &mut batch).unwrap();
        let one_by_one: Vec<Inbound> = msgs.into_iter().map(Inbound::Message).collect();
        prop_assert_eq!(batch.to_vec(), encode_items(&one_by_one));
    }

    /// Arbitrary bytes never panic the decoder, whatever the size limit, and
    /// the result does not depend on how the bytes are split.
    #[test]
    fn arbitrary_bytes_never_panic_and_are_split_invariant(
        bytes in prop::collection::vec(any::<u8>(), 0..1500),
        sizes in chunk_sizes(),
        max in max_frame_size(),
    ) {
        let whole = decode_whole(&bytes, max);
        prop_assert_eq!(decode_chunked(&bytes, &sizes, max), whole);
    }

    /// The same, for byte soup built from valid frame headers (to get past
    /// the flags check more often than uniform bytes do).
    #[test]
    fn frame_soup_never_panics_and_is_split_invariant(
        frames in prop::collection::vec(
            (prop::sample::select(vec![0u8, 1, 4, 0x44]), bytes_up_to(40)),
            0..12,
        ),
        sizes in chunk_sizes(),
        max in max_frame_size(),
    ) {
        let mut bytes = Vec::new();
        for (flags, body) in &frames {
            bytes.push(*flags & 0x05);
            bytes.push(body.len() as u8);
            bytes.extend_from_slice(body);
        }
        let whole = decode_whole(&bytes, max);
        prop_assert_eq!(decode_chunked(&bytes, &sizes, max), whole);
    }

    /// A frame announcing more than the maximum is rejected from its header
    /// alone, and the read buffer does not grow.
    #[test]
    fn oversized_frame_rejected_without_allocation(
        max in 0u64..2_000_000,
        excess in prop_oneof![1u64..1000, 1u64..=(i64::MAX as u64 - 2_000_000)],
        command in any::<bool>(),
        long in any::<bool>(),
    ) {
        let size = max + excess;
        let mut buf = BytesMut::with_capacity(32);
        let flags = if command { 0x04 } else { 0x00 };
        if size <= 255 && !long {
            buf.extend_from_slice(&[flags, size as u8]);
        } else {
            buf.extend_from_slice(&[flags | 0x02]);
            buf.extend_from_slice(&size.to_be_bytes());
        }
        buf.extend_from_slice(b"some body bytes");
        let cap = buf.capacity();
        let mut codec = ZmtpCodec::new().with_max_frame_size(Some(max));
        match codec.decode(&mut buf) {
            Err(Error::Protocol(ProtocolError::TooLarge { size: s, max: m })) => {
                prop_assert_eq!((s, m), (size, max));
            }
            other => prop_assert!(false, "expected TooLarge, got {:?}", other),
        }
        prop_assert!(buf.capacity() <= cap, "buffer grew from {} to {}", cap, buf.capacity());
    }

    /// Without a limit, a huge announced frame is accepted but memory is
    /// only reserved a bounded amount at a time.
    #[test]
    fn unlimited_huge_frame_reserves_boundedly(size in (1u64 << 20)..=(i64::MAX as u64)) {
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[0x02]);
        buf.extend_from_slice(&size.to_be_bytes());
        let mut codec = ZmtpCodec::new();
        prop_assert!(codec.decode(&mut buf).unwrap().is_none());
        prop_assert!(buf.capacity() <= oxmq_zmtp::codec::PREALLOC_LIMIT + 64);
    }

    /// Arbitrary command bodies never panic the parser; bodies that start
    /// with a known command name exercise each command's own grammar.
    #[test]
    fn command_parse_never_panics(
        name in prop::sample::select(vec![
            "", "READY", "ERROR", "SUBSCRIBE", "CANCEL", "PING", "PONG",
            "HELLO", "WELCOME", "INITIATE", "\u{5e}RROR",
        ]),
        with_size in any::<bool>(),
        rest in prop::collection::vec(any::<u8>(), 0..300),
    ) {
        let mut body = Vec::new();
        if !name.is_empty() {
            if with_size {
                body.push(name.len() as u8);
            }
            body.extend_from_slice(name.as_bytes());
        }
        body.extend_from_slice(&rest);
        let _ = Command::parse(Bytes::from(body));
    }

    /// Arbitrary bytes never panic Command::parse or Metadata::decode, and a
    /// successfully decoded property list re-encodes to the same bytes.
    #[test]
    fn metadata_decode_never_panics_and_is_canonical(
        bytes in prop::collection::vec(any::<u8>(), 0..400),
    ) {
        let _ = Command::parse(Bytes::from(bytes.clone()));
        if let Ok(md) = Metadata::decode(Bytes::from(bytes.clone()), "READY") {
            let mut out = Vec::new();
            md.encode(&mut out);
            prop_assert_eq!(out, bytes);
        }
    }

    /// Well-formed property lists decode to what was encoded, and a list cut
    /// short anywhere is rejected.
    #[test]
    fn metadata_roundtrip_and_truncation(md in metadata(), cut in any::<prop::sample::Index>()) {
        let mut wire = Vec::new();
        md.encode(&mut wire);
        prop_assert_eq!(wire.len(), md.encoded_len());
        prop_assert_eq!(&Metadata::decode(Bytes::from(wire.clone()), "READY").unwrap(), &md);
        if !wire.is_empty() {
            let at = cut.index(wire.len());
            // Cutting at a property boundary leaves a valid (shorter) list.
            let mut boundaries = vec![0];
            for (name, value) in md.iter() {
                let last = *boundaries.last().unwrap();
                boundaries.push(last + 1 + name.len() + 4 + value.len());
            }
            let result = Metadata::decode(Bytes::copy_from_slice(&wire[..at]), "READY");
            prop_assert_eq!(result.is_ok(), boundaries.contains(&at));
        }
    }
}
