//! The command line, as clap parses it. The spellings here are a contract
//! (scripts depend on them): change them only together with the README.

use clap::{Args, Parser, Subcommand, ValueEnum};
use oxmq::SocketType;

const USAGE: &str = "\
oxmq <TYPE> [--bind EP]... [--connect EP]... [OPTIONS]
       oxmq proxy <TYPE> <EP> <TYPE> <EP> [--frontend-connect] [--backend-connect]
       oxmq perf <local-thr|remote-thr|local-lat|remote-lat> <EP> <SIZE> <COUNT>
       oxmq perf <inproc-thr|inproc-lat> <SIZE> <COUNT>
       oxmq bench [--count N] [--size B] [--transport T]... [--threads N]";

const AFTER_HELP: &str = "\
Modes: push and pub default to --send; pull, sub and xsub to --recv; the other
types need --send, --recv or --echo. --send and --recv together (pair, dealer,
router, xpub, xsub) send stdin lines while printing what arrives. req --send
prints each reply before sending the next line; rep --send prints each request
and answers it with the next line.

Output: one line per message, frames joined by --delimiter (default a space).
A frame that is not printable UTF-8 is shown as 0x followed by lowercase hex;
--hex shows every frame as hex (and reads --send frames as hex).

Exit status: 0 on success; 1 with a one-line error on stderr when something
fails (bad endpoint, bind in use, authentication refused, timeout); 2 for a
usage error.

Examples:
  oxmq pull --bind tcp://127.0.0.1:5557 --recv -n 3
  printf 'a\\nb\\nc\\n' | oxmq push --connect tcp://127.0.0.1:5557
  oxmq rep --bind ipc:///tmp/echo --echo
  echo hello | oxmq req --connect ipc:///tmp/echo --send
  oxmq sub --connect tcp://127.0.0.1:5556 --subscribe weather
  oxmq proxy router tcp://*:5559 dealer tcp://*:5560
  oxmq perf local-thr tcp://127.0.0.1:5555 100 100000
  oxmq bench";

/// oxmq: send, receive, proxy and measure ZeroMQ messages from the shell,
/// interoperable with libzmq and every ZeroMQ binding.
#[derive(Debug, Parser)]
#[command(
    name = "oxmq",
    version,
    override_usage = USAGE,
    after_help = AFTER_HELP,
    args_conflicts_with_subcommands = true,
    subcommand_value_name = "COMMAND",
    disable_help_subcommand = true
)]
pub(crate) struct Cli {
    /// A tool instead of a socket.
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
    /// The socket to run.
    #[command(flatten)]
    pub(crate) socket: SocketArgs,
}

/// The eleven standard socket types, as spelled on the command line (any
/// case).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Kind {
    /// PAIR: one peer, both directions.
    Pair,
    /// PUB: publish to matching subscribers.
    Pub,
    /// SUB: receive what matches --subscribe.
    Sub,
    /// XPUB: PUB that also receives subscriptions.
    Xpub,
    /// XSUB: SUB that sends raw subscriptions.
    Xsub,
    /// REQ: request, then wait for the reply.
    Req,
    /// REP: receive a request, then reply.
    Rep,
    /// DEALER: asynchronous, load-balanced.
    Dealer,
    /// ROUTER: addresses peers by routing id.
    Router,
    /// PUSH: upstream of a pipeline.
    Push,
    /// PULL: downstream of a pipeline.
    Pull,
}

impl Kind {
    /// The library's socket type.
    pub(crate) fn socket_type(self) -> SocketType {
        match self {
            Kind::Pair => SocketType::Pair,
            Kind::Pub => SocketType::Pub,
            Kind::Sub => SocketType::Sub,
            Kind::Xpub => SocketType::Xpub,
            Kind::Xsub => SocketType::Xsub,
            Kind::Req => SocketType::Req,
            Kind::Rep => SocketType::Rep,
            Kind::Dealer => SocketType::Dealer,
            Kind::Router => SocketType::Router,
            Kind::Push => SocketType::Push,
            Kind::Pull => SocketType::Pull,
        }
    }

    /// Whether this type can send.
    pub(crate) fn can_send(self) -> bool {
        !matches!(self, Kind::Sub | Kind::Pull)
    }

    /// Whether this type can receive.
    pub(crate) fn can_recv(self) -> bool {
        !matches!(self, Kind::Pub | Kind::Push)
    }

    /// The lowercase name used in messages.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Pair => "pair",
            Kind::Pub => "pub",
            Kind::Sub => "sub",
            Kind::Xpub => "xpub",
            Kind::Xsub => "xsub",
            Kind::Req => "req",
            Kind::Rep => "rep",
            Kind::Dealer => "dealer",
            Kind::Router => "router",
            Kind::Push => "push",
            Kind::Pull => "pull",
        }
    }
}

/// Options of the socket command (`oxmq <TYPE> ...`).
#[derive(Debug, Args)]
pub(crate) struct SocketArgs {
    /// Socket type: pair, pub, sub, xpub, xsub, req, rep, dealer, router, push, pull (any case).
    #[arg(
        value_enum,
        ignore_case = true,
        value_name = "TYPE",
        hide_possible_values = true
    )]
    pub(crate) kind: Option<Kind>,

    /// Bind to an endpoint (tcp://HOST:PORT, ipc://PATH, inproc://NAME); repeatable.
    #[arg(long, value_name = "EP", help_heading = "Endpoints")]
    pub(crate) bind: Vec<String>,

    /// Connect to an endpoint; repeatable. Connections are made, and remade, in the background.
    #[arg(long, value_name = "EP", help_heading = "Endpoints")]
    pub(crate) connect: Vec<String>,

    /// Read standard input line by line and send each line as one message.
    #[arg(long, help_heading = "Mode")]
    pub(crate) send: bool,

    /// Print each received message on one line.
    #[arg(long, help_heading = "Mode")]
    pub(crate) recv: bool,

    /// Send every received message back unchanged (add --recv to print it too).
    #[arg(long, conflicts_with = "send", help_heading = "Mode")]
    pub(crate) echo: bool,

    /// Exit 0 after N messages received (--recv, --echo) or sent (--send).
    #[arg(short = 'n', long, value_name = "N", help_heading = "Mode")]
    pub(crate) count: Option<u64>,

    /// Exit non-zero if no message arrives (or a send cannot proceed) within MS milliseconds.
    #[arg(long, value_name = "MS", help_heading = "Mode")]
    pub(crate) timeout: Option<u64>,

    /// Frame separator: splits --send lines into frames, joins printed frames (default: a space).
    #[arg(long, value_name = "STR", help_heading = "Format")]
    pub(crate) delimiter: Option<String>,

    /// Print every frame as lowercase hex; read --send frames as hex.
    #[arg(long, help_heading = "Format")]
    pub(crate) hex: bool,

    /// Subscribe to messages starting with PREFIX (sub, xsub); repeatable. A sub with none
    /// subscribes to everything.
    #[arg(long, value_name = "PREFIX", help_heading = "Socket options")]
    pub(crate) subscribe: Vec<String>,

    /// Routing id announced to peers (ZMQ_ROUTING_ID).
    #[arg(long, value_name = "ID", help_heading = "Socket options")]
    pub(crate) identity: Option<String>,

    /// Outbound queue length per peer, in messages (ZMQ_SNDHWM; 0 = unlimited).
    #[arg(long, value_name = "N", help_heading = "Socket options")]
    pub(crate) sndhwm: Option<usize>,

    /// Inbound queue length per peer, in messages (ZMQ_RCVHWM; 0 = unlimited).
    #[arg(long, value_name = "N", help_heading = "Socket options")]
    pub(crate) rcvhwm: Option<usize>,

    /// How long unsent messages may take to leave at exit (ZMQ_LINGER; -1 = no limit, the
    /// default; pub and xpub: 1000).
    #[arg(
        long,
        value_name = "MS",
        allow_negative_numbers = true,
        help_heading = "Socket options"
    )]
    pub(crate) linger: Option<i64>,

    /// Send a ZMTP PING this often and drop silent peers (ZMQ_HEARTBEAT_IVL).
    #[arg(long, value_name = "MS", help_heading = "Socket options")]
    pub(crate) heartbeat_ivl: Option<u64>,

    /// PLAIN client: user name (with --plain-password).
    #[arg(
        long,
        value_name = "U",
        requires = "plain_password",
        help_heading = "Security"
    )]
    pub(crate) plain_user: Option<String>,

    /// PLAIN client: password (with --plain-user).
    #[arg(
        long,
        value_name = "P",
        requires = "plain_user",
        help_heading = "Security"
    )]
    pub(crate) plain_password: Option<String>,

    /// PLAIN server accepting exactly this user and password.
    #[arg(
        long,
        value_name = "U:P",
        conflicts_with = "plain_user",
        help_heading = "Security"
    )]
    pub(crate) plain_server: Option<String>,

    /// CURVE server with this secret key (40 Z85 characters, e.g. from
    /// `oxmq keygen`; a key may start with '-'). Without --curve-allow, any client that knows the
    /// server's public key gets in (libzmq without a ZAP handler).
    #[arg(
        long,
        value_name = "Z85",
        allow_hyphen_values = true,
        conflicts_with_all = ["curve_server_public", "plain_user", "plain_server"],
        help_heading = "Security"
    )]
    pub(crate) curve_server_secret: Option<String>,

    /// CURVE server: only let in clients with this public key (repeatable).
    #[arg(
        long,
        value_name = "Z85",
        allow_hyphen_values = true,
        requires = "curve_server_secret",
        help_heading = "Security"
    )]
    pub(crate) curve_allow: Vec<String>,

    /// CURVE client of a server with this public key.
    #[arg(
        long,
        value_name = "Z85",
        allow_hyphen_values = true,
        conflicts_with_all = ["plain_user", "plain_server"],
        help_heading = "Security"
    )]
    pub(crate) curve_server_public: Option<String>,

    /// CURVE client secret key (a fresh key pair is made when not given).
    #[arg(
        long,
        value_name = "Z85",
        allow_hyphen_values = true,
        requires = "curve_server_public",
        help_heading = "Security"
    )]
    pub(crate) curve_secret: Option<String>,

    /// CURVE client public key: checked against --curve-secret.
    #[arg(
        long,
        value_name = "Z85",
        allow_hyphen_values = true,
        requires = "curve_secret",
        help_heading = "Security"
    )]
    pub(crate) curve_public: Option<String>,

    /// Print socket events (connections, handshakes, failures) on stderr.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// The tools.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Forward messages both ways between a frontend and a backend socket.
    Proxy(ProxyArgs),
    /// libzmq's perf tools (local_thr, remote_thr, local_lat, remote_lat, inproc_thr,
    /// inproc_lat), same arguments and output.
    Perf {
        /// Which test.
        #[command(subcommand)]
        test: PerfTest,
    },
    /// The quick-start tour: every pattern over inproc, ipc and tcp, with throughput and latency.
    Bench(BenchArgs),
    /// Generate a CURVE key pair and print it in Z85 (`public: ...`, `secret: ...`).
    Keygen,
}

/// `oxmq proxy`.
#[derive(Debug, Args)]
pub(crate) struct ProxyArgs {
    /// Frontend socket type (e.g. router, xsub, pull).
    #[arg(
        value_enum,
        ignore_case = true,
        value_name = "TYPE",
        hide_possible_values = true
    )]
    pub(crate) frontend_type: Kind,
    /// Frontend endpoint (bound unless --frontend-connect).
    #[arg(value_name = "EP")]
    pub(crate) frontend: String,
    /// Backend socket type (e.g. dealer, xpub, push).
    #[arg(
        value_enum,
        ignore_case = true,
        value_name = "TYPE",
        hide_possible_values = true
    )]
    pub(crate) backend_type: Kind,
    /// Backend endpoint (bound unless --backend-connect).
    #[arg(value_name = "EP")]
    pub(crate) backend: String,
    /// Connect the frontend instead of binding it.
    #[arg(long)]
    pub(crate) frontend_connect: bool,
    /// Connect the backend instead of binding it.
    #[arg(long)]
    pub(crate) backend_connect: bool,
    /// Print socket events on stderr.
    #[arg(short, long)]
    pub(crate) verbose: bool,
}

/// `oxmq perf`: the same arguments as libzmq's perf programs.
#[derive(Debug, Subcommand)]
pub(crate) enum PerfTest {
    /// Bind a PULL, receive COUNT messages of SIZE bytes, print the throughput (local_thr).
    LocalThr(RemotePerf),
    /// Connect a PUSH and send COUNT messages of SIZE bytes (remote_thr).
    RemoteThr(RemotePerf),
    /// Bind a REP and echo COUNT messages of SIZE bytes (local_lat).
    LocalLat(RemotePerf),
    /// Connect a REQ, make COUNT round trips of SIZE bytes, print the latency (remote_lat).
    RemoteLat(RemotePerf),
    /// PUSH to PULL over inproc inside this process (inproc_thr).
    InprocThr(InprocPerf),
    /// REQ to REP over inproc inside this process (inproc_lat).
    InprocLat(InprocPerf),
}

/// Arguments of the two-process perf tests.
#[derive(Debug, Args)]
pub(crate) struct RemotePerf {
    /// Endpoint to bind (local-*) or connect (remote-*).
    #[arg(value_name = "EP")]
    pub(crate) endpoint: String,
    /// Message size in bytes.
    #[arg(value_name = "SIZE")]
    pub(crate) size: usize,
    /// Message (or round-trip) count.
    #[arg(value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: u64,
}

/// Arguments of the in-process perf tests.
#[derive(Debug, Args)]
pub(crate) struct InprocPerf {
    /// Message size in bytes.
    #[arg(value_name = "SIZE")]
    pub(crate) size: usize,
    /// Message (or round-trip) count.
    #[arg(value_name = "COUNT", value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) count: u64,
}

/// `oxmq bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Messages per throughput run (REQ/REP makes a tenth as many round trips).
    #[arg(short = 'n', long, value_name = "N", default_value_t = 200_000,
          value_parser = clap::value_parser!(u64).range(10..))]
    pub(crate) count: u64,
    /// Message size in bytes.
    #[arg(long, value_name = "B", default_value_t = 100)]
    pub(crate) size: usize,
    /// Runtime worker threads (1: a single-threaded runtime, as every other command uses).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) threads: u16,
    /// Only these transports (inproc, ipc, tcp); repeatable. Default: all three.
    #[arg(long, value_enum, value_name = "T")]
    pub(crate) transport: Vec<Transport>,
}

/// A transport of `oxmq bench`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Transport {
    /// In-process.
    Inproc,
    /// Unix domain socket.
    Ipc,
    /// TCP on the loopback interface.
    Tcp,
}

impl Transport {
    /// The lowercase name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Transport::Inproc => "inproc",
            Transport::Ipc => "ipc",
            Transport::Tcp => "tcp",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_parser_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn socket_types_ignore_case() {
        let cli = Cli::try_parse_from(["oxmq", "PuSh", "--connect", "tcp://x:1"]).unwrap();
        assert_eq!(cli.socket.kind, Some(Kind::Push));
        assert!(cli.command.is_none());
    }

    #[test]
    fn tools_are_subcommands() {
        let cli = Cli::try_parse_from(["oxmq", "perf", "local-thr", "tcp://*:5555", "100", "10"])
            .unwrap();
        match cli.command {
            Some(Command::Perf {
                test: PerfTest::LocalThr(p),
            }) => {
                assert_eq!(
                    (p.endpoint.as_str(), p.size, p.count),
                    ("tcp://*:5555", 100, 10)
                );
            }
            other => panic!("{other:?}"),
        }
        let cli = Cli::try_parse_from(["oxmq", "proxy", "ROUTER", "a", "dealer", "b"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Proxy(p)) if p.backend_type == Kind::Dealer));
    }

    #[test]
    fn repeated_options_accumulate() {
        let cli = Cli::try_parse_from([
            "oxmq",
            "sub",
            "--connect",
            "a",
            "--connect",
            "b",
            "--subscribe",
            "x",
            "--subscribe",
            "y",
            "--linger",
            "-1",
        ])
        .unwrap();
        assert_eq!(cli.socket.connect, ["a", "b"]);
        assert_eq!(cli.socket.subscribe, ["x", "y"]);
        assert_eq!(cli.socket.linger, Some(-1));
    }
}
