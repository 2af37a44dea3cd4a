//! Request-reply broker (ZeroMQ guide, chapter 2): a ROUTER for the
//! clients and a DEALER for the workers, shuttling messages both ways. The
//! guide polls both sockets with `zmq_poll`; here `tokio::select!` waits on
//! both.
//!
//! ```text
//! cargo run --example rrbroker [-- FRONTEND BACKEND]
//! ```
//!
//! Binds `tcp://*:5559` for `rrclient` and `tcp://*:5560` for `rrworker`.

use oxmq::{Context, Dealer, Router, SocketError};

/// Runs the broker until a socket fails.
pub async fn run(ctx: &Context, frontend: &str, backend: &str) -> Result<(), SocketError> {
    let mut frontend_socket = Router::new(ctx);
    frontend_socket.bind(frontend).await?;
    let mut backend_socket = Dealer::new(ctx);
    backend_socket.bind(backend).await?;
    loop {
        // The ROUTER puts the client's routing id in front of each request
        // and the DEALER passes that envelope through to a worker; on the
        // way back the ROUTER uses it to find the client.
        tokio::select! {
            request = frontend_socket.recv() => backend_socket.send(request?).await?,
            reply = backend_socket.recv() => frontend_socket.send(reply?).await?,
        }
    }
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
