//! PAIR (RFC 31 EXPAIR): one peer at a time, both directions; sends wait
//! at the HWM or while no peer is connected.

use std::future::poll_fn;
use std::task::Poll;

use oxmq_transports::{Context, MonitorStream, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{check_message, poll_message, socket_common, Base};
use crate::error::SocketError;

/// A PAIR socket.
#[derive(Debug)]
pub struct Pair {
    base: Base,
}

socket_common!(Pair);

impl Pair {
    /// A PAIR socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Pair {
            base: Base::new(ctx, TransportOptions::new(SocketType::Pair), Some(1)),
        }
    }

    /// Sends a message to the peer; waits at the HWM or for a peer.
    ///
    /// Cancel safety: if dropped before completion, the message was not queued.
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        let msg = msg.into();
        check_message(&msg)?;
        let mut slot = Some(msg);
        let peers = &mut self.base.peers;
        poll_fn(|cx| peers.poll_send_lb(cx, &mut slot).map(|_| ())).await;
        Ok(())
    }

    /// Receives the next message from the peer. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message, SocketError> {
        let peers = &mut self.base.peers;
        Ok(poll_fn(|cx| match poll_message(peers, cx) {
            Poll::Ready((_, m)) => Poll::Ready(m),
            Poll::Pending => Poll::Pending,
        })
        .await)
    }
}
