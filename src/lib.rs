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
//!   sans-IO handshake (NULL, PLAIN, CURVE), CURVE keys and Z85, the codec.
//! - [`transports`] (`oxmq-transports`): `tcp://`, `ipc://`, `inproc://`,
//!   the [`Context`], reconnection, the batching connection engine, monitor
//!   events, and authentication: the [`Authenticator`] hook, ZAP handler
//!   sockets on `inproc://zeromq.zap.01`, the ready-made [`Zauth`].
//! - [`sockets`] (`oxmq-sockets`): the patterns — [`Pair`], [`Pub`],
//!   [`Sub`], [`Xpub`], [`Xsub`], [`Req`], [`Rep`], [`Dealer`], [`Router`],
//!   [`Push`], [`Pull`], the run-time typed [`AnySocket`] and [`proxy`].

//!
//! # One example per pattern
//!
//! These run as doctests (over `inproc://`, so they need no network).
//!
//! **Pipeline** — PUSH round-robins, PULL fair-queues:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oxmq::SocketError> {
//! let ctx = oxmq::Context::new();
//! let mut sink = oxmq::Pull::new(&ctx);
//! sink.bind("inproc://pipeline").await?;
//! let mut source = oxmq::Push::new(&ctx);
//! source.connect("inproc://pipeline")?;
//! source.send("task 1").await?;
//! assert_eq!(&sink.recv().await?[0][..], b"task 1");
//! # Ok(()) }
//! ```
//!
//! **Publish-subscribe** — the publisher filters by prefix:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oxmq::SocketError> {
//! let ctx = oxmq::Context::new();
//! let mut publisher = oxmq::Pub::new(&ctx);
//! publisher.bind("inproc://weather").await?;
//! let mut subscriber = oxmq::Sub::new(&ctx);
//! subscriber.connect("inproc://weather")?;
//! subscriber.subscribe("10001 ").await?;
//! publisher.send("90210 hot").await?; // filtered out at the publisher
//! publisher.send("10001 cold").await?;
//! assert_eq!(&subscriber.recv().await?[0][..], b"10001 cold");
//! # Ok(()) }
//! ```
//!
//! **XPUB/XSUB** — subscriptions become messages (what a proxy forwards):
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oxmq::SocketError> {
//! let ctx = oxmq::Context::new();
//! let mut xpub = oxmq::Xpub::new(&ctx);
//! xpub.bind("inproc://x").await?;
//! let mut xsub = oxmq::Xsub::new(&ctx);
//! xsub.connect("inproc://x")?;
//! xsub.send(&b"\x01news"[..]).await?; // subscribe to "news"
//! assert_eq!(&xpub.recv().await?[0][..], b"\x01news");
//! xpub.send("news flash").await?;
//! assert_eq!(&xsub.recv().await?[0][..], b"news flash");
//! # Ok(()) }
//! ```
//!
//! **DEALER/ROUTER** — the ROUTER sees who sent what, and replies by id:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oxmq::SocketError> {
//! let ctx = oxmq::Context::new();
//! let mut router = oxmq::Router::new(&ctx);
//! router.bind("inproc://broker").await?;
//! let mut dealer = oxmq::Dealer::new(&ctx);
//! dealer.set_options(|o| o.routing_id = Some("worker-1".into()));
//! dealer.connect("inproc://broker")?;
//! dealer.send("ready").await?;
//! let msg = router.recv().await?; // [routing id, body]
//! assert_eq!(&msg[0][..], b"worker-1");
//! router.send(oxmq::Message::from(["worker-1", "job"])).await?;
//! assert_eq!(&dealer.recv().await?[0][..], b"job");
//! # Ok(()) }
//! ```
//!
//! **PAIR** — exclusive, both directions:
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oxmq::SocketError> {
//! let ctx = oxmq::Context::new();
//! let mut a = oxmq::Pair::new(&ctx);
//! a.bind("inproc://pair").await?;
//! let mut b = oxmq::Pair::new(&ctx);
//! b.connect("inproc://pair")?;
//! b.send("ping").await?;
//! assert_eq!(&a.recv().await?[0][..], b"ping");
//! a.send("pong").await?;
//! assert_eq!(&b.recv().await?[0][..], b"pong");
//! # Ok(()) }
//! ```
//!
//! # Security
//!
//! A socket's mechanism is an option ([`MechanismConfig`]): NULL (the
//! default), PLAIN or CURVE. A server asks an [`Authenticator`] about each
//! peer: a closure, the ready-made [`Zauth`] (address lists, PLAIN
//! passwords, CURVE key lists), a [`zap_channel`], or, as in libzmq, a
//! socket bound to `inproc://zeromq.zap.01`. Without one, oxmq does what
//! libzmq does without a ZAP handler: NULL and CURVE peers get in, PLAIN
//! peers do not.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), oxmq::SocketError> {
//! use oxmq::{CurveKeyPair, MechanismConfig, Zauth};
//! use std::sync::Arc;
//!
//! let ctx = oxmq::Context::new();
//! let server_keys = CurveKeyPair::generate();
//! let client_keys = CurveKeyPair::generate();
//!
//! // The server only lets in the client's public key.
//! let zauth = Arc::new(Zauth::new());
//! zauth.allow_curve_key(client_keys.public);
//! let mut rep = oxmq::Rep::new(&ctx);
//! rep.set_options(|o| {
//!     o.mechanism = MechanismConfig::CurveServer { keypair: server_keys.clone() };
//!     o.authenticator = Some(zauth);
//! });
//! let endpoint = rep.bind("tcp://127.0.0.1:0").await?;
//!
//! let mut req = oxmq::Req::new(&ctx);
//! req.set_options(|o| {
//!     o.mechanism = MechanismConfig::CurveClient {
//!         server_key: server_keys.public,
//!         keypair: client_keys.clone(),
//!     }
//! });
//! req.connect(&endpoint)?;
//! req.send("encrypted hello").await?;
//! let request = rep.recv().await?;
//! // The authenticator's user id (Zauth: the client key in Z85).
//! let user = request.property("User-Id").map(|v| v.to_vec());
//! assert_eq!(user, Some(client_keys.public.to_z85().into_bytes()));
//! rep.send("encrypted world").await?;
//! assert_eq!(&req.recv().await?[0][..], b"encrypted world");
//! # Ok(()) }
//! ```
//!
//! Keys are usually exchanged as 40-character Z85 text
//! ([`CurvePublicKey::from_z85`], [`zmtp::z85`]); `oxmq keygen` prints a
//! fresh pair.
//!
//! # Timeouts
//!
//! There are no `SNDTIMEO`/`RCVTIMEO` options: every `send`/`recv` is a
//! future, so wrap it in `tokio::time::timeout` (or race it in
//! `tokio::select!`). `recv` is cancel-safe (a message is only taken off its
//! pipe when `recv` returns it); a `send` that is cancelled did not queue
//! its message. `try_send`/`try_recv` are the `ZMQ_DONTWAIT` equivalents.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::time::Duration;
//! let ctx = oxmq::Context::new();
//! let mut pull = oxmq::Pull::new(&ctx);
//! pull.bind("inproc://quiet").await.unwrap();
//! let waited = tokio::time::timeout(Duration::from_millis(10), pull.recv()).await;
//! assert!(waited.is_err(), "nothing was sent");
//! # }
//! ```

pub use oxmq_sockets as sockets;
pub use oxmq_transports as transports;
pub use oxmq_zmtp as zmtp;

pub use oxmq_sockets::{
    proxy, proxy_steerable, AnySocket, Dealer, Pair, Pub, Pull, Push, Rep, Req, Router,
    SocketError, Sub, Xpub, Xsub,
};
pub use oxmq_transports::{Context, SocketEvent, TransportError, TransportOptions};
// Authentication (ZAP, RFC 27): see `transports::auth`, `transports::zap`
// and `transports::zauth`.
pub use oxmq_transports::{zap_channel, Authenticator, ZapRequest, Zauth};
pub use oxmq_zmtp::{
    AuthReply, CurveKeyPair, CurvePublicKey, CurveSecretKey, MechanismConfig, Message, SocketType,
};
