//! [`Guard`]: watches a socket's monitor events for failures that must end
//! the tool, and bounds waits by `--timeout`.

use std::collections::HashSet;
use std::future::Future;
use std::time::Duration;

use oxmq::transports::MonitorStream;
use oxmq::{SocketError, SocketEvent};
use tokio::time::Instant;

use crate::error::CliError;

/// Turns monitor events into errors, and waits into timeouts.
#[derive(Debug)]
pub(crate) struct Guard {
    monitor: MonitorStream,
    /// Endpoints we connect to (learnt from `ConnectDelayed` events).
    connects: HashSet<String>,
    /// We are a PLAIN client: a refusal is final.
    auth_client: bool,
    verbose: bool,
    /// `--timeout`.
    pub(crate) timeout: Option<Duration>,
}

impl Guard {
    /// Watches `monitor` (subscribe to it before the first bind/connect).
    pub(crate) fn new(
        monitor: MonitorStream,
        auth_client: bool,
        verbose: bool,
        timeout: Option<Duration>,
    ) -> Self {
        Guard {
            monitor,
            connects: HashSet::new(),
            auth_client,
            verbose,
            timeout,
        }
    }

    /// Completes with the first event that ends the tool: our credentials
    /// refused, or a handshake on a connect endpoint failing for a reason
    /// reconnecting cannot fix (wrong socket type or mechanism). Other
    /// events are printed on stderr with `--verbose`. Cancel-safe.
    pub(crate) async fn fatal(&mut self) -> CliError {
        loop {
            let Some(event) = self.monitor.next().await else {
                // The socket is gone; nothing more can go wrong here.
                return std::future::pending().await;
            };
            if self.verbose {
                eprintln!("oxmq: event: {event:?}");
            }
            match event {
                SocketEvent::ConnectDelayed { endpoint } => {
                    self.connects.insert(endpoint);
                }
                SocketEvent::HandshakeFailedAuth {
                    endpoint,
                    peer,
                    status_code,
                } if self.auth_client => {
                    return CliError::AuthRefused {
                        endpoint,
                        peer,
                        status: status_code,
                    }
                }
                SocketEvent::HandshakeFailedProtocol {
                    endpoint,
                    peer,
                    error,
                } if self.connects.contains(&endpoint) => {
                    return CliError::Handshake {
                        endpoint,
                        peer,
                        error,
                    }
                }
                _ => {}
            }
        }
    }

    /// Runs `op`, failing on a fatal event or after `--timeout`.
    pub(crate) async fn run<T>(
        &mut self,
        what: &'static str,
        op: impl Future<Output = Result<T, SocketError>>,
    ) -> Result<T, CliError> {
        let deadline = self.timeout.map(|t| Instant::now() + t);
        self.run_until(what, deadline, op).await
    }

    /// Runs `op`, failing on a fatal event or at `deadline`.
    pub(crate) async fn run_until<T>(
        &mut self,
        what: &'static str,
        deadline: Option<Instant>,
        op: impl Future<Output = Result<T, SocketError>>,
    ) -> Result<T, CliError> {
        let after = self.timeout.unwrap_or_default();
        tokio::select! {
            r = op => Ok(r?),
            e = self.fatal() => Err(e),
            () = sleep_until(deadline) => Err(CliError::Timeout { what, after }),
        }
    }
}

/// Sleeps until `deadline`, or forever when there is none.
pub(crate) async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}
