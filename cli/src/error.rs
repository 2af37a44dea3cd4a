//! The tool's error type: every failure ends as one line on stderr and a
//! non-zero exit status.

use std::time::Duration;

use oxmq::SocketError;

/// Why the tool stopped.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// The command line is valid for clap but not for oxmq (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// A socket operation failed (bad endpoint, bind in use, …).
    #[error("{0}")]
    Socket(#[from] SocketError),
    /// Nothing happened within `--timeout`.
    #[error("timeout: {what} within {} ms", .after.as_millis())]
    Timeout {
        /// What did not happen.
        what: &'static str,
        /// The timeout.
        after: Duration,
    },
    /// A peer refused our credentials.
    #[error("{endpoint}: authentication refused by {peer} (ZAP status {status})")]
    AuthRefused {
        /// Our endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// The ZAP status code the server sent.
        status: u16,
    },
    /// A handshake on a connect endpoint failed for a reason that will not
    /// go away by reconnecting (wrong socket type, wrong mechanism).
    #[error("{endpoint}: handshake with {peer} failed: {error}")]
    Handshake {
        /// Our endpoint.
        endpoint: String,
        /// The peer's address.
        peer: String,
        /// The protocol error.
        error: String,
    },
    /// Standard input or output failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Anything else, already phrased.
    #[error("{0}")]
    Other(String),
}

impl CliError {
    /// The process exit status for this error.
    pub(crate) fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) => 2,
            _ => 1,
        }
    }
}
