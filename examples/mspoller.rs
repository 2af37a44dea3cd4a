//! Reading from several sockets (ZeroMQ guide, chapter 2): takes tasks from
//! the ventilator and weather updates from the weather server at the same
//! time. The guide's `zmq_poll` loop becomes `tokio::select!`: each `recv`
//! is cancel-safe, so the branch that loses the race loses nothing.
//!
//! ```text
//! cargo run --example mspoller [-- TASKS_ENDPOINT WEATHER_ENDPOINT [COUNT]]
//! ```
//!
//! Connects to `taskvent` at `tcp://localhost:5557` and to `wuserver` at
//! `tcp://localhost:5556` (zip code 10001), and runs until it has COUNT of
//! each (forever by default).

use oxmq::{Context, Pull, SocketError, Sub};

/// Receives from both sockets until it has `count` messages of each
/// (forever with `None`); returns how many tasks and updates it got.
pub async fn run(
    ctx: &Context,
    tasks_endpoint: &str,
    weather_endpoint: &str,
    filter: &str,
    count: Option<u64>,
) -> Result<(u64, u64), SocketError> {
    let mut receiver = Pull::new(ctx);
    receiver.connect(tasks_endpoint)?;
    let mut subscriber = Sub::new(ctx);
    subscriber.connect(weather_endpoint)?;
    subscriber.subscribe(filter.to_string()).await?;

    let (mut tasks, mut updates) = (0, 0);
    while count.is_none_or(|c| tasks < c || updates < c) {
        tokio::select! {
            task = receiver.recv() => {
                let task = task?;
                println!("Task: {}", String::from_utf8_lossy(&task[0]));
                tasks += 1;
            }
            update = subscriber.recv() => {
                let update = update?;
                println!("Weather update: {}", String::from_utf8_lossy(&update[0]));
                updates += 1;
            }
        }
    }
    Ok((tasks, updates))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tasks_endpoint = args.first().map_or("tcp://localhost:5557", String::as_str);
    let weather_endpoint = args.get(1).map_or("tcp://localhost:5556", String::as_str);
    let count = args.get(2).map(|n| n.parse()).transpose()?;
    let ctx = Context::new();
    run(&ctx, tasks_endpoint, weather_endpoint, "10001 ", count).await?;
    Ok(())
}
