//! `oxmq <TYPE> ...`: one socket, fed from stdin and/or printing to stdout.

use std::io::{BufRead, Write};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use oxmq::transports::{Authenticator, ZapRequest, Zauth};
use oxmq::zmtp::{AuthReply, CurveKeyPair, CurvePublicKey, CurveSecretKey, MechanismConfig};
use oxmq::{AnySocket, Context, Message};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::args::{Kind, SocketArgs};
use crate::error::CliError;
use crate::format::{chomp, Format};
use crate::watch::{sleep_until, Guard};

/// What the socket does with stdin and stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// Each stdin line is sent.
    Send,
    /// Each received message is printed.
    Recv,
    /// Each received message is sent back (and printed with `--recv`).
    Echo { print: bool },
    /// Stdin lines are sent while received messages are printed.
    Duplex,
    /// REQ: send a line, print its reply, repeat.
    Request,
    /// REP: print a request, reply with the next line, repeat.
    Reply,
}

fn usage(msg: impl Into<String>) -> CliError {
    CliError::Usage(msg.into())
}

/// Chooses the plan from the mode flags, or explains why they do not fit.
fn plan(kind: Kind, send: bool, recv: bool, echo: bool) -> Result<Plan, CliError> {
    let name = kind.name();
    let send_only = matches!(kind, Kind::Push | Kind::Pub);
    let recv_only = matches!(kind, Kind::Pull | Kind::Sub);
    if send_only && (recv || echo) {
        return Err(usage(format!("{name} can only send (use --send)")));
    }
    if recv_only && (send || echo) {
        return Err(usage(format!("{name} can only receive (use --recv)")));
    }
    Ok(match kind {
        Kind::Req if send => Plan::Request,
        Kind::Req => return Err(usage(
            "req must send first: use --send (each stdin line is a request, each reply is printed)",
        )),
        Kind::Rep if echo => Plan::Echo { print: recv },
        Kind::Rep if send => Plan::Reply,
        Kind::Rep => {
            return Err(usage(
                "rep must reply: use --echo, or --send to answer each request with a stdin line",
            ))
        }
        _ if echo => Plan::Echo { print: recv },
        _ if send && recv => Plan::Duplex,
        _ if send => Plan::Send,
        _ if recv => Plan::Recv,
        Kind::Push | Kind::Pub => Plan::Send,
        Kind::Pull | Kind::Sub | Kind::Xsub => Plan::Recv,
        _ => {
            return Err(usage(format!(
                "{name}: choose --send, --recv (or both) or --echo"
            )))
        }
    })
}

/// The linger of pub and xpub when `--linger` is not given.
const PUB_LINGER: Duration = Duration::from_secs(1);

fn millis(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

/// Lines of stdin, read on a thread of their own: a blocking read cannot be
/// cancelled, and the tool may finish while stdin is still open.
fn stdin_lines() -> mpsc::Receiver<std::io::Result<Vec<u8>>> {
    let (tx, rx) = mpsc::channel(64);
    std::thread::spawn(move || {
        let mut stdin = std::io::stdin().lock();
        loop {
            let mut line = Vec::new();
            match stdin.read_until(b'\n', &mut line) {
                Ok(0) => return,
                Ok(_) => {
                    if tx.blocking_send(Ok(chomp(line))).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    rx
}

/// Prints messages, one per line, flushing each.
#[derive(Debug)]
struct Printer {
    format: Format,
}

impl Printer {
    fn print(&self, msg: &Message) -> Result<(), CliError> {
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", self.format.line(msg))?;
        out.flush()?;
        Ok(())
    }
}

/// Reads the next stdin line as a message; `None` at end of input.
async fn next_message(
    lines: &mut mpsc::Receiver<std::io::Result<Vec<u8>>>,
    format: &Format,
) -> Result<Option<Message>, CliError> {
    match lines.recv().await {
        None => Ok(None),
        Some(line) => Ok(Some(format.message(&line?).map_err(CliError::Other)?)),
    }
}

/// Applies the socket options of the command line.
fn configure(socket: &AnySocket, kind: Kind, args: &SocketArgs) -> Result<bool, CliError> {
    let identity = match &args.identity {
        Some(id) if id.is_empty() || id.len() > 255 => {
            return Err(usage("--identity must be 1 to 255 bytes long"))
        }
        Some(id) => Some(Bytes::copy_from_slice(id.as_bytes())),
        None => None,
    };
    let mechanism = match (&args.plain_user, &args.plain_password, &args.plain_server) {
        (Some(user), Some(password), _) => {
            if user.len() > 255 || password.len() > 255 {
                return Err(usage(
                    "PLAIN user names and passwords are at most 255 bytes",
                ));
            }
            Some((
                MechanismConfig::PlainClient {
                    username: Bytes::copy_from_slice(user.as_bytes()),
                    password: Bytes::copy_from_slice(password.as_bytes()),
                },
                None,
            ))
        }
        (_, _, Some(spec)) => {
            let Some((user, password)) = spec.split_once(':') else {
                return Err(usage("--plain-server takes USER:PASSWORD"));
            };
            let (user, password) = (
                Bytes::copy_from_slice(user.as_bytes()),
                Bytes::copy_from_slice(password.as_bytes()),
            );
            let check = move |req: &ZapRequest| -> AuthReply {
                match &req.credentials[..] {
                    [u, p] if *u == user && *p == password => AuthReply::allow(user.clone()),
                    _ => AuthReply::deny(400, "invalid user name or password"),
                }
            };
            let auth: Arc<dyn Authenticator> = Arc::new(check);
            Some((MechanismConfig::PlainServer, Some(auth)))
        }
        _ => curve_mechanism(args)?,
    };
    let auth_client = matches!(
        mechanism,
        Some((
            MechanismConfig::PlainClient { .. } | MechanismConfig::CurveClient { .. },
            _
        ))
    );
    let linger = match args.linger {
        // A publisher's messages to a subscriber that went away would wait
        // for it forever (libzmq's default, which the other types keep): a
        // publishing tool gives up on them after a second.
        None if matches!(kind, Kind::Pub | Kind::Xpub) => Some(Some(PUB_LINGER)),
        None => None,
        Some(ms) if ms < 0 => Some(None),
        Some(ms) => Some(Some(millis(ms as u64))),
    };
    socket.set_options(|o| {
        if let Some(id) = identity {
            o.routing_id = Some(id);
        }
        if let Some(n) = args.sndhwm {
            o.sndhwm = n;
        }
        if let Some(n) = args.rcvhwm {
            o.rcvhwm = n;
        }
        if let Some(l) = linger {
            o.linger = l;
        }
        if let Some(ms) = args.heartbeat_ivl {
            o.heartbeat_ivl = (ms > 0).then(|| millis(ms));
        }
        if let Some((m, auth)) = mechanism {
            o.mechanism = m;
            o.authenticator = auth;
        }
    });
    Ok(auth_client)
}

/// A mechanism and, for a server, who authenticates its peers.
type Security = (MechanismConfig, Option<Arc<dyn Authenticator>>);

/// A CURVE key given on the command line.
fn z85_key(option: &str, text: &str) -> Result<[u8; 32], CliError> {
    let bytes = oxmq::zmtp::z85::decode(text)
        .map_err(|e| usage(format!("{option}: not a Z85 key: {e}")))?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| {
        usage(format!(
            "{option}: a CURVE key is 40 Z85 characters (32 bytes), got {} bytes",
            bytes.len()
        ))
    })
}

/// The CURVE options: a server (`--curve-server-secret`, optionally with an
/// allow list) or a client (`--curve-server-public`).
fn curve_mechanism(args: &SocketArgs) -> Result<Option<Security>, CliError> {
    if let Some(secret) = &args.curve_server_secret {
        let secret = CurveSecretKey::from_bytes(z85_key("--curve-server-secret", secret)?);
        let keypair = CurveKeyPair::from_secret(secret);
        let auth: Option<Arc<dyn Authenticator>> = if args.curve_allow.is_empty() {
            None
        } else {
            let zauth = Zauth::new();
            for key in &args.curve_allow {
                zauth.allow_curve_key(z85_key("--curve-allow", key)?);
            }
            Some(Arc::new(zauth))
        };
        return Ok(Some((MechanismConfig::CurveServer { keypair }, auth)));
    }
    let Some(server) = &args.curve_server_public else {
        return Ok(None);
    };
    let server_key = CurvePublicKey::from_bytes(z85_key("--curve-server-public", server)?);
    let keypair = match &args.curve_secret {
        Some(secret) => {
            let pair = CurveKeyPair::from_secret(CurveSecretKey::from_bytes(z85_key(
                "--curve-secret",
                secret,
            )?));
            if let Some(public) = &args.curve_public {
                if pair.public.0 != z85_key("--curve-public", public)? {
                    return Err(usage(
                        "--curve-public is not the public key of --curve-secret",
                    ));
                }
            }
            pair
        }
        None => CurveKeyPair::try_generate()
            .map_err(|e| CliError::Other(format!("cannot generate a key pair: {e}")))?,
    };
    Ok(Some((
        MechanismConfig::CurveClient {
            server_key,
            keypair,
        },
        None,
    )))
}

/// Runs the socket command.
pub(crate) async fn run(args: SocketArgs) -> Result<(), CliError> {
    let ctx = Context::new();
    let result = run_in(&ctx, args).await;
    if result.is_err() {
        // Close at once, but give the listeners a moment to clean up (an
        // ipc listener removes its socket file).
        ctx.shutdown();
        let _ = tokio::time::timeout(Duration::from_millis(500), ctx.term()).await;
    }
    result
}

async fn run_in(ctx: &Context, args: SocketArgs) -> Result<(), CliError> {
    let Some(kind) = args.kind else {
        return Err(usage(
            "missing TYPE (pair, pub, sub, xpub, xsub, req, rep, dealer, router, push, pull) \
             or command (proxy, perf, bench); see 'oxmq --help'",
        ));
    };
    if args.bind.is_empty() && args.connect.is_empty() {
        return Err(usage(format!(
            "{}: give at least one --bind or --connect endpoint",
            kind.name()
        )));
    }
    if args.delimiter.as_deref() == Some("") {
        return Err(usage("--delimiter must not be empty"));
    }
    if !args.subscribe.is_empty() && !matches!(kind, Kind::Sub | Kind::Xsub) {
        return Err(usage("--subscribe is for sub and xsub sockets"));
    }
    let plan = plan(kind, args.send, args.recv, args.echo)?;
    let format = Format::new(args.delimiter.as_deref(), args.hex);

    let mut socket = AnySocket::new(ctx, kind.socket_type())?;
    let auth_client = configure(&socket, kind, &args)?;
    let mut guard = Guard::new(
        socket.monitor(),
        auth_client,
        args.verbose,
        args.timeout.map(millis),
    );
    match kind {
        Kind::Sub if args.subscribe.is_empty() => socket.subscribe(Bytes::new()).await?,
        Kind::Sub | Kind::Xsub => {
            for topic in &args.subscribe {
                socket
                    .subscribe(Bytes::copy_from_slice(topic.as_bytes()))
                    .await?;
            }
        }
        _ => {}
    }
    for endpoint in &args.bind {
        socket.bind(endpoint).await?;
    }
    for endpoint in &args.connect {
        socket.connect(endpoint)?;
    }

    let session = Session {
        socket: &mut socket,
        guard: &mut guard,
        printer: Printer {
            format: format.clone(),
        },
        format,
        count: args.count,
    };
    session.run(plan).await?;

    // Like zmq_close + zmq_ctx_term: what was queued leaves within the
    // linger time, or until --timeout runs out.
    drop(socket);
    let deadline = guard.timeout.map(|t| Instant::now() + t);
    let after = guard.timeout.unwrap_or_default();
    tokio::select! {
        () = ctx.term() => Ok(()),
        e = guard.fatal() => Err(e),
        () = sleep_until(deadline) => {
            ctx.shutdown();
            Err(CliError::Timeout { what: "queued messages were not delivered", after })
        }
    }
}

/// One run of a plan.
struct Session<'a> {
    socket: &'a mut AnySocket,
    guard: &'a mut Guard,
    printer: Printer,
    format: Format,
    count: Option<u64>,
}

const NO_MESSAGE: &str = "no message arrived";
const NO_REPLY: &str = "no reply arrived";
const CANNOT_SEND: &str = "could not send";

impl Session<'_> {
    fn done(&self, n: u64) -> bool {
        self.count.is_some_and(|c| n >= c)
    }

    async fn run(self, plan: Plan) -> Result<(), CliError> {
        match plan {
            Plan::Send | Plan::Request => self.send(plan == Plan::Request).await,
            Plan::Recv => self.recv(false, true).await,
            Plan::Echo { print } => self.recv(true, print).await,
            Plan::Reply => self.reply().await,
            Plan::Duplex => self.duplex().await,
        }
    }

    /// Sends stdin lines (REQ: printing each reply before the next line).
    async fn send(self, await_reply: bool) -> Result<(), CliError> {
        let mut lines = stdin_lines();
        let mut n = 0;
        while !self.done(n) {
            let Some(msg) = next_message(&mut lines, &self.format).await? else {
                break;
            };
            self.guard.run(CANNOT_SEND, self.socket.send(msg)).await?;
            if await_reply {
                let reply = self.guard.run(NO_REPLY, self.socket.recv()).await?;
                self.printer.print(&reply)?;
            }
            n += 1;
        }
        Ok(())
    }

    /// Receives, printing and/or echoing.
    async fn recv(self, echo: bool, print: bool) -> Result<(), CliError> {
        let mut n = 0;
        while !self.done(n) {
            let msg = self.guard.run(NO_MESSAGE, self.socket.recv()).await?;
            if print {
                self.printer.print(&msg)?;
            }
            if echo {
                self.guard.run(CANNOT_SEND, self.socket.send(msg)).await?;
            }
            n += 1;
        }
        Ok(())
    }

    /// REP: prints each request and answers it with the next stdin line.
    /// Lines are read while waiting for requests, so that the end of input
    /// ends the tool at once rather than after one more request.
    async fn reply(self) -> Result<(), CliError> {
        let mut lines = stdin_lines();
        let mut next_reply: Option<Message> = None;
        let mut stdin_open = true;
        let mut n = 0;
        let timeout = self.guard.timeout;
        let mut deadline = timeout.map(|t| Instant::now() + t);
        while !self.done(n) && (stdin_open || next_reply.is_some()) {
            tokio::select! {
                line = next_message(&mut lines, &self.format), if stdin_open && next_reply.is_none() => {
                    match line? {
                        Some(msg) => next_reply = Some(msg),
                        None => stdin_open = false,
                    }
                }
                request = self.socket.recv() => {
                    self.printer.print(&request?)?;
                    let reply = match next_reply.take() {
                        Some(msg) => msg,
                        None => match next_message(&mut lines, &self.format).await? {
                            Some(msg) => msg,
                            None => break,
                        },
                    };
                    self.guard.run(CANNOT_SEND, self.socket.send(reply)).await?;
                    n += 1;
                    deadline = timeout.map(|t| Instant::now() + t);
                }
                e = self.guard.fatal() => return Err(e),
                () = sleep_until(deadline) => {
                    return Err(CliError::Timeout { what: NO_MESSAGE, after: timeout.unwrap_or_default() });
                }
            }
        }
        Ok(())
    }

    /// Sends stdin lines and prints what arrives, at the same time; `-n`
    /// counts received messages. Goes on receiving after end of input.
    async fn duplex(self) -> Result<(), CliError> {
        let mut lines = stdin_lines();
        let mut stdin_open = true;
        let mut n = 0;
        let timeout = self.guard.timeout;
        let mut deadline = timeout.map(|t| Instant::now() + t);
        while !self.done(n) {
            tokio::select! {
                line = next_message(&mut lines, &self.format), if stdin_open => match line? {
                    Some(msg) => self.guard.run(CANNOT_SEND, self.socket.send(msg)).await?,
                    None => stdin_open = false,
                },
                msg = self.socket.recv() => {
                    self.printer.print(&msg?)?;
                    n += 1;
                    deadline = timeout.map(|t| Instant::now() + t);
                }
                e = self.guard.fatal() => return Err(e),
                () = sleep_until(deadline) => {
                    return Err(CliError::Timeout { what: NO_MESSAGE, after: timeout.unwrap_or_default() });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_way_types_have_a_default_mode() {
        assert_eq!(plan(Kind::Push, false, false, false).unwrap(), Plan::Send);
        assert_eq!(plan(Kind::Pub, false, false, false).unwrap(), Plan::Send);
        assert_eq!(plan(Kind::Pull, false, false, false).unwrap(), Plan::Recv);
        assert_eq!(plan(Kind::Sub, false, false, false).unwrap(), Plan::Recv);
        assert_eq!(plan(Kind::Xsub, false, false, false).unwrap(), Plan::Recv);
        assert!(plan(Kind::Dealer, false, false, false).is_err());
    }

    #[test]
    fn modes_must_fit_the_type() {
        assert!(plan(Kind::Push, false, true, false).is_err());
        assert!(plan(Kind::Sub, true, false, false).is_err());
        assert!(plan(Kind::Pull, false, false, true).is_err());
        assert!(plan(Kind::Req, false, true, false).is_err());
        assert!(plan(Kind::Req, false, false, true).is_err());
        assert!(plan(Kind::Rep, false, true, false).is_err());
    }

    #[test]
    fn request_reply_alternate() {
        assert_eq!(plan(Kind::Req, true, false, false).unwrap(), Plan::Request);
        assert_eq!(plan(Kind::Req, true, true, false).unwrap(), Plan::Request);
        assert_eq!(plan(Kind::Rep, true, false, false).unwrap(), Plan::Reply);
        assert_eq!(
            plan(Kind::Rep, false, true, true).unwrap(),
            Plan::Echo { print: true }
        );
    }

    #[test]
    fn bidirectional_types() {
        assert_eq!(plan(Kind::Dealer, true, true, false).unwrap(), Plan::Duplex);
        assert_eq!(plan(Kind::Router, false, true, false).unwrap(), Plan::Recv);
        assert_eq!(
            plan(Kind::Pair, false, false, true).unwrap(),
            Plan::Echo { print: false }
        );
    }
}
