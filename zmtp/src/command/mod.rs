//! ZMTP commands: single frames with the COMMAND flag, whose body is a
//! length-prefixed name followed by data (RFC 23 "Commands").
//!
//! ```text
//! command-body = command-name command-data
//! command-name = short-size 1*255command-name-char
//! ```
//!
//! Each command of the core protocol lives in its own file next to its grammar:
//! [`ready`] (READY, the NULL handshake), [`error`] (ERROR), [`subscribe`]
//! (SUBSCRIBE and CANCEL, ZMTP 3.1), [`ping`] (PING and PONG, ZMTP 3.1).
//! Mechanism commands (HELLO, WELCOME, INITIATE, MESSAGE) are parsed by their
//! mechanism; outside of it they surface as [`Command::Unknown`], which is
//! never fatal.

pub mod error;
pub mod ping;
pub mod ready;
pub mod subscribe;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use crate::error::ProtocolError;
use crate::frame::{put_header, FLAG_COMMAND};
use crate::metadata::Metadata;

pub use error::ErrorCommand;
pub use ping::{Ping, Pong};

/// A decoded ZMTP command.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Command {
    /// READY with the sender's metadata (NULL handshake, and PLAIN's last step).
    Ready(Metadata),
    /// ERROR with a reason; fatal for the connection.
    Error(ErrorCommand),
    /// SUBSCRIBE to a topic prefix (ZMTP 3.1).
    Subscribe(Bytes),
    /// CANCEL a subscription (ZMTP 3.1).
    Cancel(Bytes),
    /// PING heartbeat (ZMTP 3.1).
    Ping(Ping),
    /// PONG heartbeat reply (ZMTP 3.1).
    Pong(Pong),
    /// Any other command: kept whole so a caller may inspect or ignore it.
    Unknown {
        /// The command's name.
        name: Bytes,
        /// The bytes after the name.
        data: Bytes,
    },
}

/// Splits a command body into its name and its data.
pub fn split_name(mut body: Bytes) -> Result<(Bytes, Bytes), ProtocolError> {
    if body.is_empty() {
        return Err(ProtocolError::MalformedCommand {
            command: "?",
            reason: "empty command body",
        });
    }
    let len = usize::from(body.get_u8());
    if len == 0 || body.len() < len {
        return Err(ProtocolError::MalformedCommand {
            command: "?",
            reason: "bad command name size",
        });
    }
    let name = body.split_to(len);
    Ok((name, body))
}

impl Command {
    /// Parses a command from the body of a command frame.
    ///
    /// libzmq 4.3's PLAIN server writes its ERROR command with a broken name
    /// (`"\x05ERROR"` in C source reads as the byte 0x5E then `RROR`), so
    /// the body starts `^RROR`. Such a body is read as the ERROR it means.
    pub fn parse(body: Bytes) -> Result<Command, ProtocolError> {
        if error::is_libzmq_plain_quirk(&body) {
            let data = body.slice(error::LIBZMQ_PLAIN_QUIRK.len()..);
            return Ok(Command::Error(ErrorCommand::parse(data)?));
        }
        let (name, data) = split_name(body)?;
        Ok(match &name[..] {
            ready::NAME => Command::Ready(Metadata::decode(data, "READY")?),
            error::NAME => Command::Error(ErrorCommand::parse(data)?),
            subscribe::SUBSCRIBE => Command::Subscribe(data),
            subscribe::CANCEL => Command::Cancel(data),
            ping::PING => Command::Ping(Ping::parse(data)?),
            ping::PONG => Command::Pong(Pong::parse(data)?),
            _ => Command::Unknown { name, data },
        })
    }

    /// The command's name, e.g. `b"PING"`.
    pub fn name(&self) -> &[u8] {
        match self {
            Command::Ready(_) => ready::NAME,
            Command::Error(_) => error::NAME,
            Command::Subscribe(_) => subscribe::SUBSCRIBE,
            Command::Cancel(_) => subscribe::CANCEL,
            Command::Ping(_) => ping::PING,
            Command::Pong(_) => ping::PONG,
            Command::Unknown { name, .. } => name,
        }
    }

    /// Length of the command body (name-size octet, name, data).
    pub fn body_len(&self) -> usize {
        1 + self.name().len()
            + match self {
                Command::Ready(md) => md.encoded_len(),
                Command::Error(e) => e.encoded_len(),
                Command::Subscribe(t) | Command::Cancel(t) => t.len(),
                Command::Ping(p) => p.encoded_len(),
                Command::Pong(p) => p.encoded_len(),
                Command::Unknown { data, .. } => data.len(),
            }
    }

    /// Appends the command body (without frame header).
    pub fn encode_body(&self, dst: &mut impl BufMut) {
        let name = self.name();
        dst.put_u8(name.len() as u8);
        dst.put_slice(name);
        match self {
            Command::Ready(md) => md.encode(dst),
            Command::Error(e) => e.encode(dst),
            Command::Subscribe(t) | Command::Cancel(t) => dst.put_slice(t),
            Command::Ping(p) => p.encode(dst),
            Command::Pong(p) => p.encode(dst),
            Command::Unknown { data, .. } => dst.put_slice(data),
        }
    }

    /// Appends the whole command frame (header and body).
    pub fn encode(&self, dst: &mut BytesMut) {
        let len = self.body_len();
        dst.reserve(len + 9);
        put_header(dst, FLAG_COMMAND, len);
        self.encode_body(dst);
    }

    /// The body as a standalone buffer.
    pub fn to_body(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(self.body_len());
        self.encode_body(&mut b);
        b.freeze()
    }
}

/// Appends a command frame made of `name` and `data` parts.
pub fn encode_raw(dst: &mut BytesMut, name: &[u8], data: &[&[u8]]) {
    let len = 1 + name.len() + data.iter().map(|d| d.len()).sum::<usize>();
    dst.reserve(len + 9);
    put_header(dst, FLAG_COMMAND, len);
    dst.put_u8(name.len() as u8);
    dst.put_slice(name);
    for d in data {
        dst.put_slice(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(c: Command) {
        let body = c.to_body();
        assert_eq!(body.len(), c.body_len());
        assert_eq!(Command::parse(body).unwrap(), c);
    }

    #[test]
    fn all_commands_roundtrip() {
        roundtrip(Command::Ready(
            [("Socket-Type", "PUB")].into_iter().collect(),
        ));
        roundtrip(Command::Error(ErrorCommand::new("400")));
        roundtrip(Command::Subscribe(Bytes::from_static(b"weather")));
        roundtrip(Command::Cancel(Bytes::new()));
        roundtrip(Command::Ping(Ping::new(25, Bytes::from_static(b"ctx"))));
        roundtrip(Command::Pong(Pong::new(Bytes::from_static(b"ctx"))));
        roundtrip(Command::Unknown {
            name: Bytes::from_static(b"JOIN"),
            data: Bytes::from_static(b"group"),
        });
    }

    #[test]
    fn libzmq_plain_error_quirk_is_an_error_command() {
        // Bytes libzmq 4.3.5 sends after a refused PLAIN HELLO (fixture
        // plain_server_error_bad_password.bin, minus the frame header).
        let body = Bytes::from_static(b"\x5eRROR\x03400");
        let Command::Error(e) = Command::parse(body).unwrap() else {
            panic!("not an ERROR")
        };
        assert_eq!(e.status_code(), Some(400));
        // A genuine command whose 94-octet name starts with RROR is not it.
        let mut genuine = b"\x5eRROR".to_vec();
        genuine.extend_from_slice(&[b'A'; 90]);
        assert!(matches!(
            Command::parse(Bytes::from(genuine)).unwrap(),
            Command::Unknown { .. }
        ));
    }

    #[test]
    fn bad_names_are_errors_not_panics() {
        for bad in [&b""[..], b"\x00", b"\x05READ"] {
            assert!(Command::parse(Bytes::copy_from_slice(bad)).is_err());
        }
    }
}
