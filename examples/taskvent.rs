//! Task ventilator (ZeroMQ guide, chapters 1 and 2): sends a batch of tasks
//! to the workers over PUSH, after telling the sink that a batch starts.
//!
//! ```text
//! cargo run --example taskvent [-- TASKS_ENDPOINT SINK_ENDPOINT [TASKS]]
//! ```
//!
//! Binds `tcp://*:5557` for the workers (`taskwork`), connects to the sink
//! (`tasksink`) at `tcp://localhost:5558`, waits for Enter, then sends 100
//! tasks, each a workload of 1 to 100 ms.

use oxmq::{Context, Push, SocketError};

/// A small xorshift generator: the example needs noise, not quality.
struct Noise(u64);

impl Noise {
    fn new() -> Self {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Noise(seed | 1)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u32) -> u32 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % u64::from(n.max(1))) as u32
    }
}

/// Signals the start of a batch to the sink, then sends `tasks` workloads
/// of 1 to `max_ms` milliseconds. Returns the total expected cost in ms.
pub async fn run(
    ctx: &Context,
    tasks_endpoint: &str,
    sink_endpoint: &str,
    tasks: u32,
    max_ms: u32,
) -> Result<u64, SocketError> {
    let mut sender = Push::new(ctx);
    sender.bind(tasks_endpoint).await?;
    let mut sink = Push::new(ctx);
    sink.connect(sink_endpoint)?;

    println!("Sending tasks to workers...");
    // The first message is "0" and signals the start of the batch.
    sink.send("0").await?;
    let mut noise = Noise::new();
    let mut total_ms = 0;
    for _ in 0..tasks {
        let workload = noise.below(max_ms) + 1;
        total_ms += u64::from(workload);
        // A bound PUSH waits until a worker is connected, then deals the
        // tasks round-robin among the workers connected at the time.
        sender.send(workload.to_string()).await?;
    }
    println!("Total expected cost: {total_ms} msec");
    Ok(total_ms)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let tasks_endpoint = args.first().map_or("tcp://*:5557", String::as_str);
    let sink_endpoint = args.get(1).map_or("tcp://localhost:5558", String::as_str);
    let tasks = args.get(2).map(|n| n.parse()).transpose()?.unwrap_or(100);

    println!("Press Enter when the workers are ready: ");
    std::io::stdin().read_line(&mut String::new())?;
    let ctx = Context::new();
    run(&ctx, tasks_endpoint, sink_endpoint, tasks, 100).await?;
    // The sockets are gone; this returns once what they queued has been
    // delivered (the guide's C code sleeps a second instead).
    ctx.term().await;
    Ok(())
}
