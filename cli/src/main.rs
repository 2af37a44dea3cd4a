//! # `oxmq` — ZeroMQ from the shell, on oxmq
//!
//! ```text
//! oxmq <TYPE> [--bind EP]... [--connect EP]... [OPTIONS]   one socket: stdin in, stdout out
//! oxmq proxy <TYPE> <EP> <TYPE> <EP>                         zmq_proxy between two sockets
//! oxmq perf local-thr|remote-thr|local-lat|remote-lat ...   libzmq's perf tools, interoperable
//! oxmq perf inproc-thr|inproc-lat <SIZE> <COUNT>
//! oxmq bench                                                 the quick-start tour
//! oxmq keygen                                                a CURVE key pair in Z85
//! ```
//!
//! Every failure ends with one line on stderr (`oxmq: error: ...`) and a
//! non-zero exit status: 2 for usage errors, 1 for everything else.
//!
//! # Layout
//!
//! - `args`: the clap definitions (the command line is a contract).
//! - `socket_cmd`: `oxmq <TYPE>`: the plans (send, recv, echo, duplex,
//!   REQ and REP alternation).
//! - `format`: messages to lines (hex for binary frames) and back.
//! - `watch`: the monitor-event guard (authentication refused, handshake
//!   failures) and `--timeout`.
//! - `proxy`, `perf`, `bench`: the tools.
//! - `error`: `CliError` and the exit codes.

mod args;
mod bench;
mod error;
mod format;
mod perf;
mod proxy;
mod socket_cmd;
mod watch;

use clap::error::ErrorKind;
use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::CliError;

async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command {
        Some(Command::Proxy(p)) => proxy::run(p).await,
        Some(Command::Perf { test }) => perf::run(test).await,
        Some(Command::Bench(b)) => bench::run(b).await,
        Some(Command::Keygen) => keygen(),
        None => socket_cmd::run(cli.socket).await,
    }
}

/// `oxmq keygen`: a fresh CURVE key pair, one `name: key` line each, in
/// the order libzmq's `curve_keygen` prints them.
fn keygen() -> Result<(), CliError> {
    let pair = oxmq::zmtp::CurveKeyPair::try_generate()
        .map_err(|e| CliError::Other(format!("cannot generate a key pair: {e}")))?;
    println!("public: {}", pair.public.to_z85());
    println!("secret: {}", &*pair.secret.to_z85());
    Ok(())
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            e.exit()
        }
        Err(e) => {
            // clap explains over several lines; the contract is one line.
            let rendered = e.render().to_string();
            let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
            let first = lines.next().unwrap_or("invalid arguments");
            let first = first.strip_prefix("error: ").unwrap_or(first);
            // "… not provided:" lists the arguments on the next lines.
            let first = match (first.ends_with(':'), lines.next()) {
                (true, Some(next)) => format!("{first} {next}"),
                _ => first.to_string(),
            };
            let hint = if first.contains("TYPE>'") || first.contains("TYPE]'") {
                ": expected pair, pub, sub, xpub, xsub, req, rep, dealer, router, push or pull"
            } else {
                ""
            };
            eprintln!("oxmq: error: {first}{hint} (see 'oxmq --help')");
            std::process::exit(2);
        }
    };
    // One thread by default: on small machines the hand-offs between
    // worker threads cost more than they give (on two cores, an inproc
    // REQ/REP round trip took 10x longer on a multi-threaded runtime).
    let threads = match &cli.command {
        Some(Command::Bench(b)) => usize::from(b.threads),
        _ => 1,
    };
    let mut builder = if threads > 1 {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(threads);
        b
    } else {
        tokio::runtime::Builder::new_current_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("oxmq: error: cannot start the runtime: {e}");
            std::process::exit(1);
        }
    };
    let result = runtime.block_on(run(cli));
    // The stdin reader may still be blocked in a read: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(()) => std::process::exit(0),
        // `oxmq ... | head -1`: the reader has seen enough.
        Err(CliError::Io(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("oxmq: error: {e}");
            std::process::exit(e.exit_code());
        }
    }
}
