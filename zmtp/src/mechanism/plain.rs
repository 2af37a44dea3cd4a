//! The PLAIN mechanism (RFC 24): clear-text user name and password.
//!
//! ```text
//! plain = C:hello ( S:welcome | S:error )
//!         C:initiate ( S:ready | S:error )
//!      *( C:message | S:message )
//! hello = command-size %d5 "HELLO" username password
//! username = OCTET *VCHAR
//! password = OCTET *VCHAR
//! welcome = command-size %d7 "WELCOME"
//! initiate = command-size %d8 "INITIATE" metadata
//! ready = command-size %d5 "READY" metadata
//! ```
//!
//! The server hands the credentials to the application's authenticator (ZAP)
//! through an [`AuthRequest`]; the handshake waits for the answer. A refusal
//! is sent the way libzmq 4.3 sends it (`^RROR`, byte for byte), because
//! libzmq's PLAIN client recognises nothing else; both spellings are read.

use std::collections::VecDeque;

use bytes::{Buf, BufMut, Bytes, BytesMut};

use super::{
    auth_verdict, check_peer_or_error, error_in, AuthReply, AuthRequest, LocalInfo, Mechanism,
    MechanismName, MechanismOutcome,
};
use crate::command::{self, Command};
use crate::error::{Error, ProtocolError};
use crate::greeting::Version;
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

/// HELLO command name.
pub const HELLO: &[u8] = b"HELLO";
/// WELCOME command name.
pub const WELCOME: &[u8] = b"WELCOME";
/// INITIATE command name.
pub const INITIATE: &[u8] = b"INITIATE";

/// PLAIN, client side: sends a user name and password.
#[derive(Debug)]
pub struct PlainClient {
    local: LocalInfo,
    username: Bytes,
    password: Bytes,
    state: ClientState,
    queue: VecDeque<Bytes>,
    peer: Option<(Metadata, SocketType)>,
}

#[derive(Debug, PartialEq, Eq)]
enum ClientState {
    Idle,
    WaitWelcome,
    WaitReady,
    Done,
}

impl PlainClient {
    /// A PLAIN client; user name and password are at most 255 bytes each.
    pub fn new(local: LocalInfo, username: impl Into<Bytes>, password: impl Into<Bytes>) -> Self {
        let mut username = username.into();
        let mut password = password.into();
        username.truncate(255);
        password.truncate(255);
        PlainClient {
            local,
            username,
            password,
            state: ClientState::Idle,
            queue: VecDeque::new(),
            peer: None,
        }
    }

    fn hello(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(8 + self.username.len() + self.password.len());
        b.put_u8(HELLO.len() as u8);
        b.put_slice(HELLO);
        b.put_u8(self.username.len() as u8);
        b.put_slice(&self.username);
        b.put_u8(self.password.len() as u8);
        b.put_slice(&self.password);
        b.freeze()
    }

    fn initiate(&self) -> Bytes {
        let mut b = BytesMut::with_capacity(9 + self.local.metadata.encoded_len());
        b.put_u8(INITIATE.len() as u8);
        b.put_slice(INITIATE);
        self.local.metadata.encode(&mut b);
        b.freeze()
    }
}

fn unexpected(expected: &'static str, name: &[u8]) -> Error {
    ProtocolError::UnexpectedCommand {
        expected,
        got: String::from_utf8_lossy(name).into(),
    }
    .into()
}

impl Mechanism for PlainClient {
    fn name(&self) -> MechanismName {
        MechanismName::PLAIN
    }

    fn as_server(&self) -> bool {
        false
    }

    fn start(&mut self, _peer_version: Version) -> Result<(), Error> {
        self.queue.push_back(self.hello());
        self.state = ClientState::WaitWelcome;
        Ok(())
    }

    fn poll_command(&mut self) -> Option<Bytes> {
        self.queue.pop_front()
    }

    fn handle_command(&mut self, body: Bytes) -> Result<(), Error> {
        if let Some(e) = error_in(&body) {
            return Err(e);
        }
        let (name, data) = command::split_name(body)?;
        match (&self.state, &name[..]) {
            (ClientState::WaitWelcome, WELCOME) => {
                if !data.is_empty() {
                    return Err(ProtocolError::MalformedCommand {
                        command: "WELCOME",
                        reason: "trailing data",
                    }
                    .into());
                }
                self.queue.push_back(self.initiate());
                self.state = ClientState::WaitReady;
                Ok(())
            }
            (ClientState::WaitReady, command::ready::NAME) => {
                let md = Metadata::decode(data, "READY")?;
                let mut q = Vec::new();
                match check_peer_or_error(&self.local, &md, &mut q) {
                    Ok(ty) => {
                        self.peer = Some((md, ty));
                        self.state = ClientState::Done;
                        Ok(())
                    }
                    Err(e) => {
                        self.queue.extend(q);
                        Err(e)
                    }
                }
            }
            (ClientState::WaitWelcome, _) => Err(unexpected("WELCOME", &name)),
            (_, _) => Err(unexpected("READY", &name)),
        }
    }

    fn is_complete(&self) -> bool {
        self.state == ClientState::Done && self.queue.is_empty()
    }

    fn finish(self: Box<Self>) -> Result<MechanismOutcome, Error> {
        let (peer_metadata, peer_socket_type) = self
            .peer
            .ok_or(ProtocolError::Mechanism("PLAIN handshake not complete"))?;
        Ok(MechanismOutcome {
            peer_metadata,
            peer_socket_type,
            user_id: None,
            auth_metadata: Metadata::new(),
            cipher: None,
        })
    }
}

/// PLAIN, server side: checks the client's credentials with the authenticator.
#[derive(Debug)]
pub struct PlainServer {
    local: LocalInfo,
    state: ServerState,
    queue: VecDeque<Bytes>,
    pending_auth: Option<AuthRequest>,
    reply: Option<AuthReply>,
    peer: Option<(Metadata, SocketType)>,
}

#[derive(Debug, PartialEq, Eq)]
enum ServerState {
    WaitHello,
    WaitAuth,
    WaitInitiate,
    Done,
}

impl PlainServer {
    /// A PLAIN server for a socket described by `local`.
    pub fn new(local: LocalInfo) -> Self {
        PlainServer {
            local,
            state: ServerState::WaitHello,
            queue: VecDeque::new(),
            pending_auth: None,
            reply: None,
            peer: None,
        }
    }
}

/// Parses HELLO data: `username password`, each a short-size string, and
/// nothing after.
fn parse_hello(mut data: Bytes) -> Result<(Bytes, Bytes), ProtocolError> {
    let malformed = |reason| ProtocolError::MalformedCommand {
        command: "HELLO",
        reason,
    };
    if data.is_empty() {
        return Err(malformed("missing user name"));
    }
    let ulen = usize::from(data.get_u8());
    if data.len() < ulen + 1 {
        return Err(malformed("truncated user name"));
    }
    let username = data.split_to(ulen);
    let plen = usize::from(data.get_u8());
    if data.len() != plen {
        return Err(malformed("bad password size"));
    }
    Ok((username, data))
}

impl Mechanism for PlainServer {
    fn name(&self) -> MechanismName {
        MechanismName::PLAIN
    }

    fn as_server(&self) -> bool {
        true
    }

    fn start(&mut self, _peer_version: Version) -> Result<(), Error> {
        Ok(())
    }

    fn poll_command(&mut self) -> Option<Bytes> {
        self.queue.pop_front()
    }

    fn handle_command(&mut self, body: Bytes) -> Result<(), Error> {
        if let Some(e) = error_in(&body) {
            return Err(e);
        }
        let (name, data) = command::split_name(body)?;
        match (&self.state, &name[..]) {
            (ServerState::WaitHello, HELLO) => {
                let (username, password) = parse_hello(data)?;
                self.pending_auth = Some(AuthRequest {
                    mechanism: MechanismName::PLAIN,
                    credentials: vec![username, password],
                });
                self.state = ServerState::WaitAuth;
                Ok(())
            }
            (ServerState::WaitInitiate, INITIATE) => {
                let md = Metadata::decode(data, "INITIATE")?;
                let mut q = Vec::new();
                match check_peer_or_error(&self.local, &md, &mut q) {
                    Ok(ty) => {
                        self.peer = Some((md, ty));
                        self.queue
                            .push_back(Command::Ready(self.local.metadata.clone()).to_body());
                        self.state = ServerState::Done;
                        Ok(())
                    }
                    Err(e) => {
                        self.queue.extend(q);
                        Err(e)
                    }
                }
            }
            (ServerState::WaitHello, _) => Err(unexpected("HELLO", &name)),
            (ServerState::WaitAuth, _) => Err(unexpected("nothing (authenticating)", &name)),
            (_, _) => Err(unexpected("INITIATE", &name)),
        }
    }

    fn poll_auth_request(&mut self) -> Option<AuthRequest> {
        self.pending_auth.take()
    }

    fn handle_auth_reply(&mut self, reply: AuthReply) -> Result<(), Error> {
        if self.state != ServerState::WaitAuth {
            return Err(ProtocolError::Mechanism("unexpected authentication reply").into());
        }
        let mut q = Vec::new();
        if let Err(e) = auth_verdict(&reply, &mut q, true) {
            self.queue.extend(q);
            return Err(e);
        }
        let mut welcome = BytesMut::with_capacity(8);
        welcome.put_u8(WELCOME.len() as u8);
        welcome.put_slice(WELCOME);
        self.queue.push_back(welcome.freeze());
        self.reply = Some(reply);
        self.state = ServerState::WaitInitiate;
        Ok(())
    }

    fn is_complete(&self) -> bool {
        self.state == ServerState::Done && self.queue.is_empty()
    }

    fn finish(self: Box<Self>) -> Result<MechanismOutcome, Error> {
        let (peer_metadata, peer_socket_type) = self
            .peer
            .ok_or(ProtocolError::Mechanism("PLAIN handshake not complete"))?;
        let (user_id, auth_metadata) = match self.reply {
            Some(r) => (Some(r.user_id), r.metadata),
            None => (None, Metadata::new()),
        };
        Ok(MechanismOutcome {
            peer_metadata,
            peer_socket_type,
            user_id,
            auth_metadata,
            cipher: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_parsing() {
        let (u, p) = parse_hello(Bytes::from_static(b"\x05admin\x06secret")).unwrap();
        assert_eq!((&u[..], &p[..]), (&b"admin"[..], &b"secret"[..]));
        assert!(parse_hello(Bytes::from_static(b"\x05admin\x06secre")).is_err());
        assert!(parse_hello(Bytes::from_static(b"\x05admin")).is_err());
        assert!(parse_hello(Bytes::from_static(b"\x05adm")).is_err());
        assert!(parse_hello(Bytes::from_static(b"\x00\x00extra")).is_err());
        assert!(parse_hello(Bytes::new()).is_err());
    }
}
