//! PUSH and PULL (RFC 30 PIPELINE).
//!
//! PUSH round-robins messages over its peers, skipping peers whose pipe is
//! full, and waits when all are full or none is connected yet (it never
//! drops). PULL fair-queues messages from its peers.

use std::task::{Context as TaskContext, Poll};

use oxmq_transports::{Context, MonitorStream, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{conflate, poll_discard, poll_message, socket_common, Base};
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
}

impl PollSend for Push {
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
    conflate: bool,
}

socket_common!(Pull);

impl Pull {
    /// A PULL socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Pull {
            base: Base::new(ctx, TransportOptions::new(SocketType::Pull), None),
            conflate: false,
        }
    }

    /// `ZMQ_CONFLATE`: `recv` returns only the newest of the messages queued
    /// (older ones are dropped). For single-part messages, as in libzmq.
    pub fn set_conflate(&mut self, on: bool) {
        self.conflate = on;
    }
}

impl PollRecv for Pull {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        let peers = &mut self.base.peers;
        if self.conflate {
            return conflate(cx, |cx| poll_message(peers, cx).map(|(_, m)| m));
        }
        poll_message(peers, cx).map(|(_, m)| m)
    }
}

impl_recv!(Pull);
