//! Message queue broker (ZeroMQ guide, chapter 2): `rrbroker` again, with
//! the loop replaced by [`oxmq::proxy`], oxmq's `zmq_proxy`.
//!
//! ```text
//! cargo run --example msgqueue [-- FRONTEND BACKEND]
//! ```
//!
//! Binds `tcp://*:5559` for `rrclient` and `tcp://*:5560` for `rrworker`.
//! The `oxmq` tool does the same: `oxmq proxy router tcp://*:5559 dealer tcp://*:5560`.

use oxmq::{AnySocket, Context, Dealer, Router, SocketError};

/// Runs the proxy until a socket fails.
pub async fn run(ctx: &Context, frontend: &str, backend: &str) -> Result<(), SocketError> {
    let mut frontend_socket = AnySocket::Router(Router::new(ctx));
    frontend_socket.bind(frontend).await?;
    let mut backend_socket = AnySocket::Dealer(Dealer::new(ctx));
    backend_socket.bind(backend).await?;
    oxmq::proxy(&mut frontend_socket, &mut backend_socket, None).await
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let frontend = args.first().map_or("tcp://*:5559", String::as_str);
    let backend = args.get(1).map_or("tcp://*:5560", String::as_str);
    let ctx = Context::new();
    run(&ctx, frontend, backend).await?;
    Ok(())
}
