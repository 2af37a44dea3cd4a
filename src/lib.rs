//! # oxmq — ZeroMQ, rebuilt natively for async Rust on Tokio
//!
//! oxmq speaks ZMTP 3.1 byte for byte like libzmq, with no C underneath.
//! Everything hangs off an explicit [`Context`]; sockets are plain values
//! whose `send`/`recv` are `async` and run the pattern logic in your task.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use oxmq::{Context, Rep, Req};
//!
//! let ctx = Context::new();
//! let mut server = Rep::new(&ctx);
//! let endpoint = server.bind("tcp://127.0.0.1:0").await?;
//! let mut client = Req::new(&ctx);
//! client.connect(&endpoint)?;
//!
//! client.send("hello").await?;
//! let request = server.recv().await?;
//! server.send(format!("{} world", String::from_utf8_lossy(&request[0]))).await?;
//! assert_eq!(&client.recv().await?[0][..], b"hello world");
//! # Ok(())
//! # }
//! ```
//!
//! # Layers
//!
//! - [`zmtp`] (`oxmq-zmtp`): the wire protocol — frames, commands, the
//!   sans-IO handshake (NULL, PLAIN), the codec.
//! - [`transports`] (`oxmq-transports`): `tcp://`, `ipc://`, `inproc://`,
//!   the [`Context`], reconnection, the batching connection engine, monitor
//!   events.
//! - [`sockets`] (`oxmq-sockets`): the patterns — [`Pair`], [`Pub`],
//!   [`Sub`], [`Xpub`], [`Xsub`], [`Req`], [`Rep`], [`Dealer`], [`Router`],
//!   [`Push`], [`Pull`], the run-time typed [`AnySocket`] and [`proxy`].

pub use oxmq_sockets as sockets;
pub use oxmq_transports as transports;
pub use oxmq_zmtp as zmtp;

pub use oxmq_sockets::{
    proxy, proxy_steerable, AnySocket, Dealer, Pair, Pub, Pull, Push, Rep, Req, Router,
    SocketError, Sub, Xpub, Xsub,
};
pub use oxmq_transports::{Context, SocketEvent, TransportError, TransportOptions};
pub use oxmq_zmtp::{Message, SocketType};
