//! The NULL mechanism (RFC 37 "The NULL Security Mechanism").
//!
//! ```text
//! null = ready *message | error
//! ```
//!
//! Both peers send READY with their metadata and wait for the other's; like
//! libzmq, neither waits before sending its own. When the application asked
//! for authentication of NULL peers (a ZAP domain is set on the accepting
//! socket), our READY is held back until the authenticator answers, and a
//! refusal is sent as an ERROR whose reason is the status code.

use std::collections::VecDeque;

use bytes::Bytes;

use super::{
    auth_verdict, check_peer_or_error, peer_error, AuthReply, AuthRequest, LocalInfo, Mechanism,
    MechanismName, MechanismOutcome,
};
use crate::command::Command;
use crate::error::{Error, ProtocolError};
use crate::greeting::Version;
use crate::metadata::Metadata;
use crate::socket_type::SocketType;

/// The NULL mechanism.
#[derive(Debug)]
pub struct NullMechanism {
    local: LocalInfo,
    authenticate: bool,
    auth: AuthState,
    queue: VecDeque<Bytes>,
    ready_sent: bool,
    peer: Option<(Metadata, SocketType)>,
    auth_reply: Option<AuthReply>,
}

#[derive(Debug, PartialEq, Eq)]
enum AuthState {
    NotNeeded,
    ToAsk,
    Asked,
    Answered,
}

impl NullMechanism {
    /// A NULL mechanism for a socket described by `local`. With
    /// `authenticate`, the peer is submitted to the authenticator first.
    pub fn new(local: LocalInfo, authenticate: bool) -> Self {
        NullMechanism {
            local,
            authenticate,
            auth: AuthState::NotNeeded,
            queue: VecDeque::new(),
            ready_sent: false,
            peer: None,
            auth_reply: None,
        }
    }

    fn send_ready_if_allowed(&mut self) {
        if !self.ready_sent && matches!(self.auth, AuthState::NotNeeded | AuthState::Answered) {
            self.queue
                .push_back(Command::Ready(self.local.metadata.clone()).to_body());
            self.ready_sent = true;
        }
    }

    fn fail_with_queue(&mut self, mut queue: Vec<Bytes>, e: Error) -> Error {
        self.queue.extend(queue.drain(..));
        e
    }
}

impl Mechanism for NullMechanism {
    fn name(&self) -> MechanismName {
        MechanismName::NULL
    }

    fn as_server(&self) -> bool {
        false
    }

    fn start(&mut self, _peer_version: Version) -> Result<(), Error> {
        self.auth = if self.authenticate {
            AuthState::ToAsk
        } else {
            AuthState::NotNeeded
        };
        self.send_ready_if_allowed();
        Ok(())
    }

    fn poll_command(&mut self) -> Option<Bytes> {
        self.queue.pop_front()
    }

    fn handle_command(&mut self, body: Bytes) -> Result<(), Error> {
        match Command::parse(body)? {
            Command::Ready(md) if self.peer.is_none() => {
                let mut q = Vec::new();
                match check_peer_or_error(&self.local, &md, &mut q) {
                    Ok(ty) => {
                        self.peer = Some((md, ty));
                        Ok(())
                    }
                    Err(e) => Err(self.fail_with_queue(q, e)),
                }
            }
            Command::Error(e) => Err(peer_error(&e)),
            other => Err(ProtocolError::UnexpectedCommand {
                expected: "READY",
                got: String::from_utf8_lossy(other.name()).into(),
            }
            .into()),
        }
    }

    fn poll_auth_request(&mut self) -> Option<AuthRequest> {
        if self.auth == AuthState::ToAsk {
            self.auth = AuthState::Asked;
            return Some(AuthRequest {
                mechanism: MechanismName::NULL,
                credentials: Vec::new(),
            });
        }
        None
    }

    fn handle_auth_reply(&mut self, reply: AuthReply) -> Result<(), Error> {
        if self.auth != AuthState::Asked {
            return Err(ProtocolError::Mechanism("unexpected authentication reply").into());
        }
        self.auth = AuthState::Answered;
        let mut q = Vec::new();
        if let Err(e) = auth_verdict(&reply, &mut q, false) {
            return Err(self.fail_with_queue(q, e));
        }
        self.auth_reply = Some(reply);
        self.send_ready_if_allowed();
        Ok(())
    }

    fn is_complete(&self) -> bool {
        self.ready_sent && self.queue.is_empty() && self.peer.is_some()
    }

    fn finish(self: Box<Self>) -> Result<MechanismOutcome, Error> {
        let (peer_metadata, peer_socket_type) = self
            .peer
            .ok_or(ProtocolError::Mechanism("NULL handshake not complete"))?;
        let (user_id, auth_metadata) = match self.auth_reply {
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
