//! PAIR (RFC 31 EXPAIR): one peer at a time, both directions; sends wait
//! at the HWM or while no peer is connected.

use std::task::{Context as TaskContext, Poll};

use oxmq_transports::{Context, MonitorStream, TransportOptions};
use oxmq_zmtp::{Message, SocketType};

use crate::base::{poll_message, socket_common, Base};
use crate::error::SocketError;
use crate::io::{impl_recv, impl_send, PollRecv, PollSend};

/// A PAIR socket.
#[derive(Debug)]
pub struct Pair {
    base: Base,
    sink: Option<Message>,
}

socket_common!(Pair);

impl Pair {
    /// A PAIR socket with libzmq's default options.
    pub fn new(ctx: &Context) -> Self {
        Pair {
            base: Base::new(ctx, TransportOptions::new(SocketType::Pair), Some(1)),
            sink: None,
        }
    }
}

impl PollSend for Pair {
    fn poll_send_msg(
        &mut self,
        cx: &mut TaskContext<'_>,
        slot: &mut Option<Message>,
        wait: bool,
    ) -> Poll<Result<(), SocketError>> {
        if slot.is_none() {
            return Poll::Ready(Ok(()));
        }
        self.base.peers.poll_send_lb(cx, slot, wait).map(|_| Ok(()))
    }

    fn sink_slot(&mut self) -> &mut Option<Message> {
        &mut self.sink
    }
}

impl_send!(
    Pair,
    "Sends a message to the peer; waits at the HWM or while no peer is connected."
);

impl PollRecv for Pair {
    fn poll_recv_msg(&mut self, cx: &mut TaskContext<'_>) -> Poll<Message> {
        poll_message(&mut self.base.peers, cx).map(|(_, m)| m)
    }
}

impl_recv!(Pair);

crate::split::impl_split!(Pair);
