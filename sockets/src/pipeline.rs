//! PUSH and PULL (RFC 30 PIPELINE).
//!
//! PUSH round-robins messages over its peers, skipping peers whose pipe is
//! full, and waits when all are full or none is connected yet (it never
//! drops). PULL fair-queues messages from its peers.

use std::future::poll_fn;
use std::task::Poll;

use oxmq_transports::{Context, MonitorStream, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{check_message, poll_discard, poll_message, socket_common, Base};
use crate::error::SocketError;

/// A PUSH socket: the upstream end of a pipeline.
#[derive(Debug)]
pub struct Push {
    base: Base,
}

socket_common!(Push);

impl Push {
    /// A PUSH socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Push {
            base: Base::new(ctx, TransportOptions::new(SocketType::Push), None),
        }
    }

    /// Sends a message to the next peer with room.
    ///
    /// Waits while every peer's pipe is full (SNDHWM) or no peer exists yet.
    /// Cancel safety: if the future is dropped before it completes, the
    /// message was not queued anywhere (and is dropped with the future).
    pub async fn send(&mut self, msg: impl Into<Message>) -> Result<(), SocketError> {
        let msg = msg.into();
        check_message(&msg)?;
        let mut slot = Some(msg);
        let peers = &mut self.base.peers;
        poll_fn(|cx| {
            poll_discard(peers, cx);
            peers.poll_send_lb(cx, &mut slot).map(|_| ())
        })
        .await;
        Ok(())
    }

    /// Number of peers (connected or, for connect endpoints, pending).
    pub fn peer_count(&self) -> usize {
        self.base.peers.len()
    }
}

/// A PULL socket: the downstream end of a pipeline.
#[derive(Debug)]
pub struct Pull {
    base: Base,
}

socket_common!(Pull);

impl Pull {
    /// A PULL socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Pull {
            base: Base::new(ctx, TransportOptions::new(SocketType::Pull), None),
        }
    }

    /// Receives the next message, fair-queued across peers.
    ///
    /// Cancel safety: cancel-safe; a message is taken off its pipe only when
    /// this returns it.
    pub async fn recv(&mut self) -> Result<Message, SocketError> {
        let peers = &mut self.base.peers;
        Ok(poll_fn(|cx| match poll_message(peers, cx) {
            Poll::Ready((_, m)) => Poll::Ready(m),
            Poll::Pending => Poll::Pending,
        })
        .await)
    }
}
