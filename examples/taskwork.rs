//! Task worker with a kill signal (ZeroMQ guide, chapter 2): pulls tasks
//! from the ventilator, "works" for each, pushes a result to the sink, and
//! stops when the sink publishes KILL. Waits on both sockets at once with
//! `tokio::select!`.
//!
//! ```text
//! cargo run --example taskwork [-- TASKS_ENDPOINT SINK_ENDPOINT CONTROL_ENDPOINT]
//! ```
//!
//! Connects to `tcp://localhost:5557` (`taskvent`), `tcp://localhost:5558`
//! and `tcp://localhost:5559` (`tasksink`). Start as many as you like.

use std::io::Write;
use std::time::Duration;

use oxmq::{Context, Pull, Push, SocketError, SocketEvent, Sub};

/// Works until KILL arrives; returns how many tasks it did.
pub async fn run(
    ctx: &Context,
    tasks_endpoint: &str,
    sink_endpoint: &str,
    control_endpoint: &str,
) -> Result<u64, SocketError> {
    // The controller first: a worker that cannot hear the KILL yet must not
    // take tasks (a subscriber that joins late misses what was published
    // before its subscription arrived).
    let mut controller = Sub::new(ctx);
    let mut events = controller.monitor();
    controller.connect(control_endpoint)?;
    controller.subscribe("").await?;
    while let Some(event) = events.next().await {
        if let SocketEvent::HandshakeSucceeded { .. } = event {
            break;
        }
    }

    let mut receiver = Pull::new(ctx);
    receiver.connect(tasks_endpoint)?;
    let mut sender = Push::new(ctx);
    sender.connect(sink_endpoint)?;

    let mut done = 0;
    loop {
        tokio::select! {
            task = receiver.recv() => {
                let task = task?;
                let workload: u64 = String::from_utf8_lossy(&task[0]).trim().parse().unwrap_or(0);
                // Do the work, then tell the sink.
                tokio::time::sleep(Duration::from_millis(workload)).await;
                sender.send("").await?;
                done += 1;
                print!(".");
                let _ = std::io::stdout().flush();
            }
            // Any message from the controller is the kill signal.
            _ = controller.recv() => break,
        }
    }
    Ok(done)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tasks_endpoint = args.first().map_or("tcp://localhost:5557", String::as_str);
    let sink_endpoint = args.get(1).map_or("tcp://localhost:5558", String::as_str);
    let control_endpoint = args.get(2).map_or("tcp://localhost:5559", String::as_str);
    let ctx = Context::new();
    let done = run(&ctx, tasks_endpoint, sink_endpoint, control_endpoint).await?;
    println!("\nKilled after {done} tasks");
    ctx.term().await;
    Ok(())
}
