//! The crate's error type.

use oxmq_transports::TransportError;

/// Errors returned by socket operations.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SocketError {
    /// bind/connect/unbind/disconnect failed. (The transport's
    /// [`TransportError::Closed`] becomes [`SocketError::Closed`].)
    #[error(transparent)]
    Transport(TransportError),
    /// A message must have at least one frame.
    #[error("cannot send a message with no frames")]
    EmptyMessage,
    /// `try_send`/`try_recv` could not complete without waiting.
    #[error("the operation would block")]
    WouldBlock,
    /// The call is not valid in the socket's current state (libzmq's
    /// `EFSM`), e.g. two sends in a row on a REQ socket.
    #[error("invalid in the current state: {0}")]
    State(&'static str),
    /// ROUTER with `mandatory` set: no peer has this routing id.
    #[error("no peer with routing id {0:?}")]
    HostUnreachable(bytes::Bytes),
    /// The socket type does not support this operation.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    /// The socket's context was shut down (libzmq's `ETERM`): after
    /// `Context::shutdown`, every call on the socket fails with this, and
    /// so do the calls that were waiting (see the crate docs, "Shutdown").
    #[error("the socket's context was shut down")]
    Closed,
}

impl From<TransportError> for SocketError {
    fn from(e: TransportError) -> Self {
        match e {
            TransportError::Closed => SocketError::Closed,
            other => SocketError::Transport(other),
        }
    }
}
