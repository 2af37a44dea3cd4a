//! The crate's error type.

use std::io;

use crate::endpoint::EndpointError;

/// Errors of bind/connect/unbind/disconnect.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The endpoint string is malformed.
    #[error(transparent)]
    Endpoint(#[from] EndpointError),
    /// Binding failed (address in use, permission, …).
    #[error("cannot bind {endpoint}: {source}")]
    Bind {
        /// The endpoint.
        endpoint: String,
        /// The system error.
        source: io::Error,
    },
    /// An inproc name is already bound in this context.
    #[error("inproc endpoint {0} is already bound")]
    InprocInUse(String),
    /// unbind/disconnect of an endpoint this socket did not bind/connect.
    #[error("endpoint {0} is not bound or connected on this socket")]
    NotFound(String),
    /// The socket or its context is closed.
    #[error("the socket or its context is closed")]
    Closed,
}
