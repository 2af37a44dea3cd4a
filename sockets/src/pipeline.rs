//! PUSH and PULL (RFC 30 PIPELINE).
//!
//! PUSH round-robins messages over its peers, skipping peers whose pipe is
//! full, and waits when all are full or none is connected yet (it never
//! drops). PULL fair-queues messages from its peers.
//!
//! `ZMQ_CONFLATE` (either type) makes the pipes of later endpoints keep
//! only the newest message, with no HWM: a conflating PULL never pushes
//! back on its senders, a conflating PUSH never waits once it has a peer.

use std::task::{Context as TaskContext, Poll};

use oxmq_transports::{Context, MonitorStream, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{poll_discard, poll_message, set_conflate, socket_common, Base};
use crate::error::SocketError;
use crate::io::{impl_recv, impl_send, PollRecv, PollSend};

/// A PUSH socket: the upstream end of a pipeline.
#[derive(Debug)]
pub struct Push {
    base: Base,
    sink: Option<Message>,
}

socket_common!(Push);

impl Push {
    /// A PUSH socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Push {
            base: Base::new(ctx, TransportOptions::new(SocketType::Push), None),
            sink: None,
        }
    }

    /// Number of peers (connected or, for connect endpoints, pending).
    pub fn peer_count(&self) -> usize {
        self.base.peers.len()
    }

    /// `ZMQ_CONFLATE`: each peer's pipe, for endpoints bound or connected
    /// afterwards, keeps only the newest message not sent yet, and SNDHWM
    /// no longer applies: `send` never waits once a peer exists.
    pub fn set_conflate(&mut self, on: bool) {
        set_conflate(&self.base, on);
    }
}

impl PollSend for Push {
    #[inline]
    fn poll_send_msg(
        &mut self,
        cx: &mut TaskContext<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>> {
        if slot.is_none() {
            return Poll::Ready(Ok(()));
        }
        poll_discard(&mut self.base.peers, cx);
        self.base.peers.poll_send_lb(cx, slot, wait).map(|_| Ok(()))
    }

    fn sink_slot(&mut self) -> &mut Option<Message> {
        &mut self.sink
    }
}

impl_send!(
    Push,
    "Sends a message to the next peer with room; waits while every peer's \
     pipe is full (SNDHWM) or no peer exists yet."
);

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

    /// `ZMQ_CONFLATE`: each peer's pipe, for endpoints bound or connected
    /// afterwards, keeps only the newest message (older ones are dropped)
    /// and RCVHWM no longer applies, so a sender is never held back by
    /// this socket. As in libzmq, that is per peer: with several peers,
    /// `recv` gets the newest message of each. (libzmq keeps only one part
    /// of a multipart message; oxmq keeps whole messages.)
    pub fn set_conflate(&mut self, on: bool) {
        set_conflate(&self.base, on);
    }
}

impl PollRecv for Pull {
    #[inline]
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        poll_message(&mut self.base.peers, cx).map(|(_, m)| m)
    }
}

impl_recv!(Pull);
