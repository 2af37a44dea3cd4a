//! Weather update server (ZeroMQ guide, chapter 1): a PUB socket that
//! publishes random "zipcode temperature relhumidity" updates as fast as it
//! can.
//!
//! ```text
//! cargo run --example wuserver [-- ENDPOINT [ZIPCODES]]
//! ```
//!
//! Binds `tcp://*:5556` by default and publishes forever, for zip codes
//! `00000` to `ZIPCODES - 1` (100000). Pair it with `wuclient`.

use oxmq::{Context, Pub, SocketError};

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

/// Publishes `count` updates (forever with `None`) for `zipcodes`
/// different zip codes. Returns how many it sent.
pub async fn run(
    ctx: &Context,
    endpoint: &str,
    zipcodes: u32,
    count: Option<u64>,
) -> Result<u64, SocketError> {
    let mut publisher = Pub::new(ctx);
    publisher.bind(endpoint).await?;
    let mut noise = Noise::new();
    let mut sent = 0;
    while count.is_none_or(|c| sent < c) {
        let zipcode = noise.below(zipcodes);
        let temperature = i64::from(noise.below(215)) - 80;
        let relhumidity = noise.below(50) + 10;
        publisher
            .send(format!("{zipcode:05} {temperature} {relhumidity}"))
            .await?;
        sent += 1;
        // A publisher never waits for its subscribers (a slow one misses
        // updates): give the rest of the program a turn now and then.
        if sent % 1000 == 0 {
            tokio::task::yield_now().await;
        }
    }
    Ok(sent)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let endpoint = args.first().map_or("tcp://*:5556", String::as_str);
    let zipcodes = args
        .get(1)
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(100_000);
    let ctx = Context::new();
    run(&ctx, endpoint, zipcodes, None).await?;
    Ok(())
}
