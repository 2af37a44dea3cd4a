//! Messages to lines and lines to messages.

use std::fmt::Write as _;

use bytes::Bytes;
use oxmq::Message;

/// How messages are printed and read.
#[derive(Debug, Clone)]
pub(crate) struct Format {
    /// Splits input lines into frames (`None`: a line is one frame).
    pub(crate) split: Option<Vec<u8>>,
    /// Joins printed frames.
    pub(crate) join: String,
    /// Every frame as hex, in and out.
    pub(crate) hex: bool,
}

impl Format {
    /// The format of `--delimiter` / `--hex`.
    pub(crate) fn new(delimiter: Option<&str>, hex: bool) -> Self {
        Format {
            split: delimiter.map(|d| d.as_bytes().to_vec()),
            join: delimiter.unwrap_or(" ").to_string(),
            hex,
        }
    }

    /// One printed line (without the newline) for `msg`.
    pub(crate) fn line(&self, msg: &Message) -> String {
        let mut out = String::new();
        for (i, frame) in msg.iter().enumerate() {
            if i > 0 {
                out.push_str(&self.join);
            }
            self.push_frame(&mut out, frame);
        }
        out
    }

    fn push_frame(&self, out: &mut String, frame: &[u8]) {
        if self.hex {
            push_hex(out, frame);
            return;
        }
        match std::str::from_utf8(frame) {
            // Control characters (a newline above all) would break the
            // one-message-per-line output: such frames are shown in hex too.
            Ok(s) if !s.chars().any(char::is_control) => out.push_str(s),
            _ => {
                out.push_str("0x");
                push_hex(out, frame);
            }
        }
    }

    /// The message for one input line (without its line ending).
    pub(crate) fn message(&self, line: &[u8]) -> Result<Message, String> {
        let pieces: Vec<&[u8]> = match &self.split {
            Some(d) if !d.is_empty() => split(line, d),
            _ => vec![line],
        };
        pieces
            .into_iter()
            .map(|p| {
                if self.hex {
                    parse_hex(p).map(Bytes::from)
                } else {
                    Ok(Bytes::copy_from_slice(p))
                }
            })
            .collect()
    }
}

fn push_hex(out: &mut String, bytes: &[u8]) {
    out.reserve(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
}

fn split<'a>(line: &'a [u8], delimiter: &[u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.windows(delimiter.len()).position(|w| w == delimiter) {
        pieces.push(&rest[..at]);
        rest = &rest[at + delimiter.len()..];
    }
    pieces.push(rest);
    pieces
}

/// Hex digits (an optional `0x` in front) to bytes.
fn parse_hex(text: &[u8]) -> Result<Vec<u8>, String> {
    let digits = text
        .strip_prefix(b"0x")
        .or_else(|| text.strip_prefix(b"0X"))
        .unwrap_or(text);
    let shown = String::from_utf8_lossy(text);
    if digits.len() % 2 != 0 {
        return Err(format!("{shown:?} is not hex: odd number of digits"));
    }
    digits
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
                _ => Err(format!("{shown:?} is not hex")),
            }
        })
        .collect()
}

/// Strips a trailing `\n` or `\r\n`.
pub(crate) fn chomp(mut line: Vec<u8>) -> Vec<u8> {
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(frames: &[&[u8]]) -> Message {
        frames.iter().map(|f| Bytes::copy_from_slice(f)).collect()
    }

    #[test]
    fn frames_are_joined_by_a_space_by_default() {
        let f = Format::new(None, false);
        assert_eq!(f.line(&msg(&[b"a", b"bc", b""])), "a bc ");
    }

    #[test]
    fn non_utf8_and_control_frames_are_hex() {
        let f = Format::new(Some("|"), false);
        assert_eq!(
            f.line(&msg(&[b"ok", b"\xff\x00", b"a\nb"])),
            "ok|0xff00|0x610a62"
        );
        assert_eq!(f.line(&msg(&[b"\x00\x01\x02\x03\x04"])), "0x0001020304");
        assert_eq!(f.line(&msg(&["héllo".as_bytes()])), "héllo");
    }

    #[test]
    fn hex_prints_every_frame() {
        let f = Format::new(None, true);
        assert_eq!(f.line(&msg(&[b"AB", b""])), "4142 ");
    }

    #[test]
    fn lines_split_on_the_delimiter_only_when_given() {
        let whole = Format::new(None, false);
        assert_eq!(whole.message(b"a b c").unwrap(), msg(&[b"a b c"]));
        let split = Format::new(Some("::"), false);
        assert_eq!(split.message(b"a::b::").unwrap(), msg(&[b"a", b"b", b""]));
        assert_eq!(split.message(b"").unwrap(), msg(&[b""]));
    }

    #[test]
    fn hex_input_is_decoded() {
        let f = Format::new(Some(","), true);
        assert_eq!(f.message(b"0xff00,41").unwrap(), msg(&[b"\xff\x00", b"A"]));
        assert!(f.message(b"abc").is_err());
        assert!(f.message(b"zz").is_err());
    }

    #[test]
    fn chomp_strips_one_line_ending() {
        assert_eq!(chomp(b"a\r\n".to_vec()), b"a");
        assert_eq!(chomp(b"a\n".to_vec()), b"a");
        assert_eq!(chomp(b"a".to_vec()), b"a");
        assert_eq!(chomp(b"a\n\n".to_vec()), b"a\n");
    }
}
