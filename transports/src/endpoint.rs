//! Endpoint strings: parsing, validation, canonical formatting and resolution.
//!
//! ZeroMQ names the peer of a `bind` or `connect` with a URI-like string,
//! `transport://address`. This module turns such a string into an [`Endpoint`]
//! and checks it against the rules libzmq applies, so that mistakes are reported
//! up front with an [`EndpointError`] that quotes the endpoint and says what is
//! wrong with it.
//!
//! Supported transports (names are case-sensitive, as in libzmq):
//!
//! | form | meaning |
//! | --- | --- |
//! | `tcp://127.0.0.1:5555` | IPv4 literal and port |
//! | `tcp://[::1]:5555` | IPv6 literal; brackets are required because a port follows |
//! | `tcp://localhost:5555` | host name, resolved asynchronously ([`TcpEndpoint::resolve`]) |
//! | `tcp://*:5555`, `tcp://*:*`, `tcp://*:0`, `tcp://0.0.0.0:0` | bind only: any interface and/or an ephemeral port |
//! | `tcp://192.168.1.2:0;example.com:5555` | connect only: source address, then `;`, then destination |
//! | `ipc:///tmp/x.sock`, `ipc://relative/path` | Unix domain socket at a filesystem path |
//! | `ipc://@name` | Linux abstract-namespace Unix domain socket |
//! | `inproc://name` | in-process transport; any non-empty name |
//!
//! Differences from libzmq, chosen for simplicity and stricter error reporting:
//!
//! * Network interface names (`tcp://eth0:5555`) are not supported: any host that
//!   is not an IP literal is a [`Host::Name`] and is resolved as a host name.
//! * Source host names (before the `;`) are also resolved as host names, whereas
//!   libzmq accepts only literals and interface names there.
//! * IPv6 zone ids (`[fe80::1%eth0]`) are rejected.
//! * Brackets are accepted only around IPv6 literals, and an IPv6 literal must be
//!   bracketed.
//! * A port must be all decimal digits (libzmq ignores trailing garbage such as
//!   `5555abc`), and connecting to port 0 is rejected.
//! * `ipc://*` (libzmq's "pick a random path" form) is rejected as unsupported.
//! * The transports `udp`, `pgm`, `epgm`, `ws`, `wss`, `tipc`, `norm` and `vmci`
//!   are recognised but not supported.
//!
//! [`Endpoint`]'s [`Display`](fmt::Display) gives the canonical form, which
//! [`Endpoint::parse`] reads back to an equal value. There is deliberately no
//! `FromStr` implementation: what is valid depends on the [`Role`].

use std::fmt;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

/// The longest `ipc://` path, or abstract name after the `@`, in bytes.
///
/// `sockaddr_un.sun_path` is 108 bytes on Linux (104 on macOS and the BSDs);
/// one byte is kept for the terminating NUL of a path, or the leading NUL that
/// marks an abstract name.
#[cfg(any(target_os = "linux", target_os = "android"))]
pub const MAX_IPC_PATH_LEN: usize = 107;

/// The longest `ipc://` path, or abstract name after the `@`, in bytes.
///
/// `sockaddr_un.sun_path` is 108 bytes on Linux (104 on macOS and the BSDs);
/// one byte is kept for the terminating NUL of a path, or the leading NUL that
/// marks an abstract name.
#[cfg(not(any(target_os = "linux", target_os = "android")))]
pub const MAX_IPC_PATH_LEN: usize = 103;

/// The longest host name accepted, in bytes (the DNS limit), not counting one
/// trailing `.`.
pub const MAX_HOSTNAME_LEN: usize = 253;

/// Transports that libzmq knows but oxmq does not implement.
const UNSUPPORTED_TRANSPORTS: &[&str] =
    &["udp", "pgm", "epgm", "ws", "wss", "tipc", "norm", "vmci"];

/// A parsed endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// `tcp://host:port`, optionally with a source address (`tcp://src:port;host:port`).
    Tcp(TcpEndpoint),
    /// `ipc://path` or `ipc://@abstract-name`.
    Ipc(IpcEndpoint),
    /// `inproc://name`: the (non-empty) name after `inproc://`.
    Inproc(String),
}

/// A `tcp://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TcpEndpoint {
    /// What to bind to or connect to.
    pub host: Host,
    /// The port: `None` is `*` (any port, bind only); `Some(0)` also asks for an
    /// ephemeral port when binding.
    pub port: Option<u16>,
    /// The local address to bind before connecting, from the
    /// `tcp://src:port;host:port` form (connect only). Its port is `None` for `*`.
    pub source: Option<(Host, Option<u16>)>,
}

/// The host part of a `tcp://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// `*`: every interface, `0.0.0.0` (bind, and source addresses, only).
    Any,
    /// An IP literal: `127.0.0.1`, or `[::1]` (IPv6 in brackets).
    Ip(IpAddr),
    /// A host name to resolve asynchronously. Interface names such as `eth0`
    /// are not supported and are resolved as host names too.
    Name(String),
}

/// An `ipc://` endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IpcEndpoint {
    /// A filesystem path: `ipc:///tmp/x.sock` (absolute) or `ipc://relative/path`.
    Path(PathBuf),
    /// A Linux abstract-namespace name: `ipc://@name` holds `name`.
    Abstract(String),
}

/// Whether an endpoint is to be bound (listened on) or connected to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// `bind`: wildcards (`*` host, `*` or `0` port) are allowed.
    Bind,
    /// `connect`: a concrete host and a non-zero port are required; a source
    /// address may be given.
    Connect,
}

/// Why an endpoint string was rejected. Each variant carries the whole
/// endpoint string as given, and its message quotes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// There is no `://` between the transport and the address (`"127.0.0.1:5555"`).
    #[error(
        "endpoint \"{endpoint}\": missing \"://\" between the transport and the address \
         (expected e.g. \"tcp://127.0.0.1:5555\")"
    )]
    MissingScheme {
        /// The endpoint as given.
        endpoint: String,
    },

    /// The transport is not one ZeroMQ knows (`"http://x"`, `"TCP://x:1"`, `"://x"`).
    #[error(
        "endpoint \"{endpoint}\": unknown transport \"{transport}\" \
         (expected \"tcp\", \"ipc\" or \"inproc\")"
    )]
    UnknownTransport {
        /// The endpoint as given.
        endpoint: String,
        /// The text before `://`.
        transport: String,
    },

    /// The transport exists in libzmq but oxmq does not implement it
    /// (`"udp://..."`, `"pgm://..."`, `"ws://..."`).
    #[error(
        "endpoint \"{endpoint}\": transport \"{transport}\" is not supported \
         (supported: \"tcp\", \"ipc\", \"inproc\")"
    )]
    UnsupportedTransport {
        /// The endpoint as given.
        endpoint: String,
        /// The text before `://`.
        transport: String,
    },

    /// Nothing follows `://` (`"tcp://"`, `"ipc://"`, `"inproc://"`).
    #[error("endpoint \"{endpoint}\": the {transport} address after \"://\" is empty")]
    EmptyAddress {
        /// The endpoint as given.
        endpoint: String,
        /// The transport: `"tcp"`, `"ipc"` or `"inproc"`.
        transport: &'static str,
    },

    /// A tcp address has no `:port` (`"tcp://localhost"`, `"tcp://[::1]"`,
    /// `"tcp://localhost:"`).
    #[error("endpoint \"{endpoint}\": missing port (expected \"host:port\")")]
    MissingPort {
        /// The endpoint as given.
        endpoint: String,
    },

    /// The port is not a decimal number from 0 to 65535, or has trailing
    /// characters (`"tcp://h:http"`, `"tcp://h:65536"`, `"tcp://h:5555x"`).
    #[error(
        "endpoint \"{endpoint}\": invalid port \"{port}\" \
         (expected a decimal number from 0 to 65535, or \"*\" when binding)"
    )]
    InvalidPort {
        /// The endpoint as given.
        endpoint: String,
        /// The text after the last `:`.
        port: String,
    },

    /// A connect endpoint uses the `*` port (`"tcp://127.0.0.1:*"`).
    #[error(
        "endpoint \"{endpoint}\": port \"*\" is only valid when binding; connect needs a port"
    )]
    WildcardPortOnConnect {
        /// The endpoint as given.
        endpoint: String,
    },

    /// A connect endpoint uses port 0 (`"tcp://127.0.0.1:0"`).
    #[error("endpoint \"{endpoint}\": cannot connect to port 0")]
    ZeroPortOnConnect {
        /// The endpoint as given.
        endpoint: String,
    },

    /// A connect endpoint uses the `*` host (`"tcp://*:5555"`).
    #[error(
        "endpoint \"{endpoint}\": host \"*\" is only valid when binding; connect needs a host"
    )]
    WildcardHostOnConnect {
        /// The endpoint as given.
        endpoint: String,
    },

    /// Bad bracketed IPv6 syntax: missing `]`, characters between `]` and `:`,
    /// empty brackets, a zone id, or text that is not an IPv6 address
    /// (`"tcp://[::1:5555"`, `"tcp://[::1]x:5555"`, `"tcp://[1.2.3.4]:5555"`).
    #[error("endpoint \"{endpoint}\": invalid IPv6 address: {reason}")]
    InvalidIpv6 {
        /// The endpoint as given.
        endpoint: String,
        /// What exactly is wrong.
        reason: &'static str,
    },

    /// An IPv6 literal is not in brackets, so its colons are ambiguous with
    /// the port separator (`"tcp://::1:5555"`).
    #[error(
        "endpoint \"{endpoint}\": IPv6 addresses must be written in brackets, \
         e.g. \"tcp://[::1]:5555\""
    )]
    UnbracketedIpv6 {
        /// The endpoint as given.
        endpoint: String,
    },

    /// A host made only of digits and dots is not a valid IPv4 address
    /// (`"tcp://256.0.0.1:5555"`, `"tcp://1.2.3:5555"`).
    #[error("endpoint \"{endpoint}\": \"{host}\" is not a valid IPv4 address")]
    InvalidIpv4 {
        /// The endpoint as given.
        endpoint: String,
        /// The host part.
        host: String,
    },

    /// The host is empty (`"tcp://:5555"`).
    #[error("endpoint \"{endpoint}\": empty host (expected \"host:port\")")]
    EmptyHost {
        /// The endpoint as given.
        endpoint: String,
    },

    /// A host name contains characters other than ASCII letters, digits, `-`,
    /// `.` and `_`, or does not start with a letter or digit
    /// (`"tcp://exa mple:5555"`, `"tcp://-host:5555"`).
    #[error(
        "endpoint \"{endpoint}\": invalid host name \"{host}\" (only ASCII letters, digits, \
         '-', '.' and '_' are allowed, and it must start with a letter or digit)"
    )]
    InvalidHostname {
        /// The endpoint as given.
        endpoint: String,
        /// The host part.
        host: String,
    },

    /// A host name is longer than [`MAX_HOSTNAME_LEN`] bytes.
    #[error(
        "endpoint \"{endpoint}\": host name is {len} bytes long, \
         more than the limit of {MAX_HOSTNAME_LEN}"
    )]
    HostnameTooLong {
        /// The endpoint as given.
        endpoint: String,
        /// The host name's length in bytes.
        len: usize,
    },

    /// A source address (`src;dst`) is given on a bind endpoint
    /// (`"tcp://127.0.0.1:0;127.0.0.1:5555"` when binding).
    #[error(
        "endpoint \"{endpoint}\": a source address (\"src;dst\") is only valid when connecting"
    )]
    SourceOnBind {
        /// The endpoint as given.
        endpoint: String,
    },

    /// The source address before `;` is empty (`"tcp://;127.0.0.1:5555"`).
    #[error("endpoint \"{endpoint}\": empty source address before ';' (expected \"src:port;host:port\")")]
    EmptySource {
        /// The endpoint as given.
        endpoint: String,
    },

    /// A tcp address has more than one `;` (`"tcp://a:1;b:2;c:3"`).
    #[error(
        "endpoint \"{endpoint}\": more than one ';' (expected at most one source address, \
         \"src:port;host:port\")"
    )]
    ExtraSemicolon {
        /// The endpoint as given.
        endpoint: String,
    },

    /// `ipc://*`, libzmq's "random path" form, which oxmq does not support.
    #[error(
        "endpoint \"{endpoint}\": \"ipc://*\" (a randomly chosen path) is not supported; \
         give an explicit path"
    )]
    IpcWildcardUnsupported {
        /// The endpoint as given.
        endpoint: String,
    },

    /// `ipc://@` with no name after the `@`.
    #[error("endpoint \"{endpoint}\": empty abstract socket name after '@'")]
    EmptyAbstractName {
        /// The endpoint as given.
        endpoint: String,
    },

    /// An ipc path or abstract name does not fit in `sun_path`
    /// (more than [`MAX_IPC_PATH_LEN`] bytes).
    #[error(
        "endpoint \"{endpoint}\": ipc path is {len} bytes long, \
         more than the limit of {max} bytes (sun_path)"
    )]
    IpcPathTooLong {
        /// The endpoint as given.
        endpoint: String,
        /// The path's (or abstract name's) length in bytes.
        len: usize,
        /// The limit, [`MAX_IPC_PATH_LEN`].
        max: usize,
    },

    /// An ipc path or abstract name contains a NUL byte (`"ipc:///tmp/a\0b"`).
    #[error("endpoint \"{endpoint}\": ipc path contains a NUL byte")]
    IpcPathContainsNul {
        /// The endpoint as given.
        endpoint: String,
    },
}

impl EndpointError {
    /// The endpoint string that was rejected.
    pub fn endpoint(&self) -> &str {
        match self {
            Self::MissingScheme { endpoint }
            | Self::UnknownTransport { endpoint, .. }
            | Self::UnsupportedTransport { endpoint, .. }
            | Self::EmptyAddress { endpoint, .. }
            | Self::MissingPort { endpoint }
            | Self::InvalidPort { endpoint, .. }
            | Self::WildcardPortOnConnect { endpoint }
            | Self::ZeroPortOnConnect { endpoint }
            | Self::WildcardHostOnConnect { endpoint }
            | Self::InvalidIpv6 { endpoint, .. }
            | Self::UnbracketedIpv6 { endpoint }
            | Self::InvalidIpv4 { endpoint, .. }
            | Self::EmptyHost { endpoint }
            | Self::InvalidHostname { endpoint, .. }
            | Self::HostnameTooLong { endpoint, .. }
            | Self::SourceOnBind { endpoint }
            | Self::EmptySource { endpoint }
            | Self::ExtraSemicolon { endpoint }
            | Self::IpcWildcardUnsupported { endpoint }
            | Self::EmptyAbstractName { endpoint }
            | Self::IpcPathTooLong { endpoint, .. }
            | Self::IpcPathContainsNul { endpoint } => endpoint,
        }
    }
}

impl Endpoint {
    /// Parses and validates for the given role (bind or connect).
    ///
    /// ```text
    /// tcp://127.0.0.1:5555   tcp://[::1]:5555   tcp://localhost:5555
    /// tcp://*:*              (bind only)        tcp://0.0.0.0:0 (bind only)
    /// tcp://10.0.0.1:0;example.com:5555         (connect only: source;destination)
    /// ipc:///tmp/x.sock      ipc://@name        inproc://name
    /// ```
    ///
    /// Host names are not resolved here; see [`TcpEndpoint::resolve`].
    pub fn parse(s: &str, role: Role) -> Result<Endpoint, EndpointError> {
        let Some((transport, address)) = s.split_once("://") else {
            return Err(EndpointError::MissingScheme {
                endpoint: s.to_owned(),
            });
        };
        let p = Parser { endpoint: s, role };
        match transport {
            "tcp" => p.tcp(address).map(Endpoint::Tcp),
            "ipc" => p.ipc(address).map(Endpoint::Ipc),
            "inproc" => {
                if address.is_empty() {
                    Err(p.empty_address("inproc"))
                } else {
                    Ok(Endpoint::Inproc(address.to_owned()))
                }
            }
            t if UNSUPPORTED_TRANSPORTS.contains(&t) => Err(EndpointError::UnsupportedTransport {
                endpoint: s.to_owned(),
                transport: t.to_owned(),
            }),
            t => Err(EndpointError::UnknownTransport {
                endpoint: s.to_owned(),
                transport: t.to_owned(),
            }),
        }
    }

    /// The transport name: `"tcp"`, `"ipc"` or `"inproc"`.
    pub fn transport(&self) -> &'static str {
        match self {
            Endpoint::Tcp(_) => "tcp",
            Endpoint::Ipc(_) => "ipc",
            Endpoint::Inproc(_) => "inproc",
        }
    }
}

/// The canonical form: `tcp://127.0.0.1:5555`, `tcp://[::1]:5555`, `tcp://*:*`,
/// `tcp://src:port;host:port`, `ipc:///tmp/x`, `ipc://@name`, `inproc://name`.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Endpoint::Tcp(tcp) => tcp.fmt(f),
            Endpoint::Ipc(ipc) => ipc.fmt(f),
            Endpoint::Inproc(name) => write!(f, "inproc://{name}"),
        }
    }
}

/// The host as it appears in an endpoint: `*`, `127.0.0.1`, `[::1]` or the name.
impl fmt::Display for Host {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Any => f.write_str("*"),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
            Host::Name(name) => f.write_str(name),
        }
    }
}

/// The canonical `tcp://[src:port;]host:port` form, with `*` for a `None` port.
impl fmt::Display for TcpEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("tcp://")?;
        if let Some((host, port)) = &self.source {
            write!(f, "{host}:{};", PortDisplay(*port))?;
        }
        write!(f, "{}:{}", self.host, PortDisplay(self.port))
    }
}

/// The canonical `ipc://path` or `ipc://@name` form.
impl fmt::Display for IpcEndpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IpcEndpoint::Path(path) => write!(f, "ipc://{}", path.display()),
            IpcEndpoint::Abstract(name) => write!(f, "ipc://@{name}"),
        }
    }
}

/// Formats an optional port, `None` as `*`.
struct PortDisplay(Option<u16>);

impl fmt::Display for PortDisplay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(port) => write!(f, "{port}"),
            None => f.write_str("*"),
        }
    }
}

impl TcpEndpoint {
    /// Resolves host:port to socket addresses (async DNS via
    /// `tokio::net::lookup_host` for [`Host::Name`]; [`Host::Any`] → `0.0.0.0`;
    /// port `None` → 0).
    ///
    /// A name that resolves to no address gives an [`io::ErrorKind::NotFound`] error.
    pub async fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        resolve_host(&self.host, self.port).await
    }

    /// Resolves the source address, if any, the same way as [`resolve`](Self::resolve).
    pub async fn resolve_source(&self) -> io::Result<Option<Vec<SocketAddr>>> {
        match &self.source {
            Some((host, port)) => resolve_host(host, *port).await.map(Some),
            None => Ok(None),
        }
    }
}

/// Resolves one host and optional port (`None` → 0) to socket addresses.
async fn resolve_host(host: &Host, port: Option<u16>) -> io::Result<Vec<SocketAddr>> {
    let port = port.unwrap_or(0);
    match host {
        Host::Any => Ok(vec![SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port,
        )]),
        Host::Ip(ip) => Ok(vec![SocketAddr::new(*ip, port)]),
        Host::Name(name) => {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name.as_str(), port))
                .await?
                .collect();
            if addrs.is_empty() {
                Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("host name \"{name}\" resolved to no address"),
                ))
            } else {
                Ok(addrs)
            }
        }
    }
}

/// Formats a bound/connected socket address the way libzmq's
/// `ZMQ_LAST_ENDPOINT` does: `"tcp://127.0.0.1:5555"`, `"tcp://[::1]:5555"`.
///
/// An IPv6 scope id is left out (libzmq would append `%interface`), so that the
/// result can be parsed back with [`Endpoint::parse`].
pub fn tcp_endpoint_string(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => format!("tcp://{}:{}", a.ip(), a.port()),
        SocketAddr::V6(a) => format!("tcp://[{}]:{}", a.ip(), a.port()),
    }
}

/// The state shared by the parsing helpers: the whole endpoint (for error
/// messages) and the role.
struct Parser<'a> {
    endpoint: &'a str,
    role: Role,
}

impl Parser<'_> {
    fn ep(&self) -> String {
        self.endpoint.to_owned()
    }

    fn empty_address(&self, transport: &'static str) -> EndpointError {
        EndpointError::EmptyAddress {
            endpoint: self.ep(),
            transport,
        }
    }

    /// Parses the part after `tcp://`.
    fn tcp(&self, address: &str) -> Result<TcpEndpoint, EndpointError> {
        if address.is_empty() {
            return Err(self.empty_address("tcp"));
        }
        let (source, dest) = match address.split_once(';') {
            Some((source, dest)) => {
                if self.role == Role::Bind {
                    return Err(EndpointError::SourceOnBind {
                        endpoint: self.ep(),
                    });
                }
                if source.is_empty() {
                    return Err(EndpointError::EmptySource {
                        endpoint: self.ep(),
                    });
                }
                if dest.contains(';') {
                    return Err(EndpointError::ExtraSemicolon {
                        endpoint: self.ep(),
                    });
                }
                // The source is bound locally, so wildcards are fine there.
                (Some(self.host_port(source)?), dest)
            }
            None => (None, address),
        };
        let (host, port) = self.host_port(dest)?;
        if self.role == Role::Connect {
            if host == Host::Any {
                return Err(EndpointError::WildcardHostOnConnect {
                    endpoint: self.ep(),
                });
            }
            match port {
                None => {
                    return Err(EndpointError::WildcardPortOnConnect {
                        endpoint: self.ep(),
                    })
                }
                Some(0) => {
                    return Err(EndpointError::ZeroPortOnConnect {
                        endpoint: self.ep(),
                    })
                }
                Some(_) => {}
            }
        }
        Ok(TcpEndpoint { host, port, source })
    }

    /// Parses `host:port`, `[v6]:port`, with `*` allowed for either part.
    fn host_port(&self, s: &str) -> Result<(Host, Option<u16>), EndpointError> {
        let (host, port) = if let Some(rest) = s.strip_prefix('[') {
            let Some((inner, after)) = rest.split_once(']') else {
                return Err(self.invalid_ipv6("missing closing ']'"));
            };
            let host = self.ipv6(inner)?;
            if after.is_empty() {
                return Err(EndpointError::MissingPort {
                    endpoint: self.ep(),
                });
            }
            let Some(port) = after.strip_prefix(':') else {
                return Err(self.invalid_ipv6("unexpected characters between ']' and ':port'"));
            };
            (host, port)
        } else {
            let Some((host, port)) = s.rsplit_once(':') else {
                return Err(EndpointError::MissingPort {
                    endpoint: self.ep(),
                });
            };
            if host.contains(':') {
                return Err(EndpointError::UnbracketedIpv6 {
                    endpoint: self.ep(),
                });
            }
            (self.plain_host(host)?, port)
        };
        Ok((host, self.port(port)?))
    }

    fn invalid_ipv6(&self, reason: &'static str) -> EndpointError {
        EndpointError::InvalidIpv6 {
            endpoint: self.ep(),
            reason,
        }
    }

    /// Parses the text between `[` and `]`.
    fn ipv6(&self, inner: &str) -> Result<Host, EndpointError> {
        if inner.is_empty() {
            return Err(self.invalid_ipv6("empty brackets"));
        }
        if inner.contains('%') {
            return Err(self.invalid_ipv6("zone ids ('%...') are not supported"));
        }
        inner
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| self.invalid_ipv6("the text in brackets is not an IPv6 address"))
    }

    /// Parses an unbracketed host: `*`, an IPv4 literal or a host name.
    fn plain_host(&self, host: &str) -> Result<Host, EndpointError> {
        if host.is_empty() {
            return Err(EndpointError::EmptyHost {
                endpoint: self.ep(),
            });
        }
        if host == "*" {
            return Ok(Host::Any);
        }
        if host.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return host
                .parse::<Ipv4Addr>()
                .map(|ip| Host::Ip(IpAddr::V4(ip)))
                .map_err(|_| EndpointError::InvalidIpv4 {
                    endpoint: self.ep(),
                    host: host.to_owned(),
                });
        }
        let starts_ok = host.as_bytes()[0].is_ascii_alphanumeric();
        let chars_ok = host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !starts_ok || !chars_ok {
            return Err(EndpointError::InvalidHostname {
                endpoint: self.ep(),
                host: host.to_owned(),
            });
        }
        let len = host.strip_suffix('.').unwrap_or(host).len();
        if len > MAX_HOSTNAME_LEN {
            return Err(EndpointError::HostnameTooLong {
                endpoint: self.ep(),
                len,
            });
        }
        Ok(Host::Name(host.to_owned()))
    }

    /// Parses a port: `*` → `None`, or a decimal number.
    fn port(&self, port: &str) -> Result<Option<u16>, EndpointError> {
        if port.is_empty() {
            return Err(EndpointError::MissingPort {
                endpoint: self.ep(),
            });
        }
        if port == "*" {
            return Ok(None);
        }
        if !port.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.invalid_port(port));
        }
        port.parse::<u16>()
            .map(Some)
            .map_err(|_| self.invalid_port(port))
    }

    fn invalid_port(&self, port: &str) -> EndpointError {
        EndpointError::InvalidPort {
            endpoint: self.ep(),
            port: port.to_owned(),
        }
    }

    /// Parses the part after `ipc://`.
    fn ipc(&self, address: &str) -> Result<IpcEndpoint, EndpointError> {
        if address.is_empty() {
            return Err(self.empty_address("ipc"));
        }
        if address == "*" {
            return Err(EndpointError::IpcWildcardUnsupported {
                endpoint: self.ep(),
            });
        }
        let (text, is_abstract) = match address.strip_prefix('@') {
            Some("") => {
                return Err(EndpointError::EmptyAbstractName {
                    endpoint: self.ep(),
                })
            }
            Some(name) => (name, true),
            None => (address, false),
        };
        if text.contains('\0') {
            return Err(EndpointError::IpcPathContainsNul {
                endpoint: self.ep(),
            });
        }
        if text.len() > MAX_IPC_PATH_LEN {
            return Err(EndpointError::IpcPathTooLong {
                endpoint: self.ep(),
                len: text.len(),
                max: MAX_IPC_PATH_LEN,
            });
        }
        Ok(if is_abstract {
            IpcEndpoint::Abstract(text.to_owned())
        } else {
            IpcEndpoint::Path(PathBuf::from(text))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{SocketAddrV4, SocketAddrV6};

    fn bind(s: &str) -> Result<Endpoint, EndpointError> {
        Endpoint::parse(s, Role::Bind)
    }

    fn connect(s: &str) -> Result<Endpoint, EndpointError> {
        Endpoint::parse(s, Role::Connect)
    }

    fn tcp(host: Host, port: Option<u16>) -> Endpoint {
        Endpoint::Tcp(TcpEndpoint {
            host,
            port,
            source: None,
        })
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> Host {
        Host::Ip(IpAddr::V4(Ipv4Addr::new(a, b, c, d)))
    }

    fn v6(s: &str) -> Host {
        Host::Ip(IpAddr::V6(s.parse().unwrap()))
    }

    fn name(s: &str) -> Host {
        Host::Name(s.to_owned())
    }

    /// Parses `s` for `role`, checks the canonical string, and that it parses back.
    fn canonical(s: &str, role: Role) -> String {
        let ep = Endpoint::parse(s, role).unwrap_or_else(|e| panic!("{s}: {e}"));
        let out = ep.to_string();
        assert_eq!(Endpoint::parse(&out, role), Ok(ep), "{s} -> {out}");
        out
    }

    #[test]
    fn tcp_ipv4() {
        assert_eq!(
            connect("tcp://127.0.0.1:5555"),
            Ok(tcp(v4(127, 0, 0, 1), Some(5555)))
        );
        assert_eq!(
            bind("tcp://127.0.0.1:5555"),
            Ok(tcp(v4(127, 0, 0, 1), Some(5555)))
        );
        assert_eq!(
            connect("tcp://10.1.2.3:65535"),
            Ok(tcp(v4(10, 1, 2, 3), Some(65535)))
        );
        assert_eq!(
            connect("tcp://1.2.3.4:0001"),
            Ok(tcp(v4(1, 2, 3, 4), Some(1)))
        );
    }

    #[test]
    fn tcp_bind_wildcards() {
        assert_eq!(bind("tcp://*:*"), Ok(tcp(Host::Any, None)));
        assert_eq!(bind("tcp://*:0"), Ok(tcp(Host::Any, Some(0))));
        assert_eq!(bind("tcp://*:5555"), Ok(tcp(Host::Any, Some(5555))));
        assert_eq!(bind("tcp://0.0.0.0:0"), Ok(tcp(v4(0, 0, 0, 0), Some(0))));
        assert_eq!(bind("tcp://127.0.0.1:*"), Ok(tcp(v4(127, 0, 0, 1), None)));
        assert_eq!(bind("tcp://[::]:*"), Ok(tcp(v6("::"), None)));
    }

    #[test]
    fn tcp_ipv6() {
        assert_eq!(connect("tcp://[::1]:5555"), Ok(tcp(v6("::1"), Some(5555))));
        assert_eq!(
            connect("tcp://[2001:db8::17]:80"),
            Ok(tcp(v6("2001:db8::17"), Some(80)))
        );
        assert_eq!(
            connect("tcp://[::ffff:127.0.0.1]:1"),
            Ok(tcp(v6("::ffff:127.0.0.1"), Some(1)))
        );
        assert_eq!(bind("tcp://[::]:0"), Ok(tcp(v6("::"), Some(0))));
    }

    #[test]
    fn tcp_hostnames() {
        assert_eq!(
            connect("tcp://localhost:5555"),
            Ok(tcp(name("localhost"), Some(5555)))
        );
        assert_eq!(
            connect("tcp://my-host_1.example.com:1"),
            Ok(tcp(name("my-host_1.example.com"), Some(1)))
        );
        assert_eq!(
            connect("tcp://example.com.:1"),
            Ok(tcp(name("example.com."), Some(1)))
        );
        assert_eq!(connect("tcp://1host:1"), Ok(tcp(name("1host"), Some(1))));
        // Interface names are plain names to resolve.
        assert_eq!(bind("tcp://eth0:5555"), Ok(tcp(name("eth0"), Some(5555))));
        // Case is kept as written.
        assert_eq!(
            connect("tcp://LocalHost:2"),
            Ok(tcp(name("LocalHost"), Some(2)))
        );
        let longest = format!("tcp://{}:1", "a".repeat(MAX_HOSTNAME_LEN));
        assert!(connect(&longest).is_ok());
        let longest_dot = format!("tcp://{}.:1", "a".repeat(MAX_HOSTNAME_LEN));
        assert!(connect(&longest_dot).is_ok());
    }

    #[test]
    fn tcp_source_form() {
        let ep = connect("tcp://192.168.1.2:0;example.com:5555").unwrap();
        assert_eq!(
            ep,
            Endpoint::Tcp(TcpEndpoint {
                host: name("example.com"),
                port: Some(5555),
                source: Some((v4(192, 168, 1, 2), Some(0))),
            })
        );
        let ep = connect("tcp://*:*;[::1]:5555").unwrap();
        assert_eq!(
            ep,
            Endpoint::Tcp(TcpEndpoint {
                host: v6("::1"),
                port: Some(5555),
                source: Some((Host::Any, None)),
            })
        );
        let ep = connect("tcp://[::1]:6000;localhost:5555").unwrap();
        assert_eq!(
            ep,
            Endpoint::Tcp(TcpEndpoint {
                host: name("localhost"),
                port: Some(5555),
                source: Some((v6("::1"), Some(6000))),
            })
        );
        // The destination still follows connect rules.
        assert!(matches!(
            connect("tcp://127.0.0.1:0;*:5555"),
            Err(EndpointError::WildcardHostOnConnect { .. })
        ));
        // The source needs a port, like in libzmq.
        assert!(matches!(
            connect("tcp://127.0.0.1;127.0.0.1:5555"),
            Err(EndpointError::MissingPort { .. })
        ));
    }

    #[test]
    fn ipc() {
        assert_eq!(
            bind("ipc:///tmp/x.sock"),
            Ok(Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from(
                "/tmp/x.sock"
            ))))
        );
        assert_eq!(
            connect("ipc://relative/path"),
            Ok(Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from(
                "relative/path"
            ))))
        );
        assert_eq!(
            connect("ipc://@name"),
            Ok(Endpoint::Ipc(IpcEndpoint::Abstract("name".to_owned())))
        );
        assert_eq!(
            bind("ipc://@with space/and:colon"),
            Ok(Endpoint::Ipc(IpcEndpoint::Abstract(
                "with space/and:colon".to_owned()
            )))
        );
        let longest = format!("ipc:///{}", "a".repeat(MAX_IPC_PATH_LEN - 1));
        assert!(bind(&longest).is_ok());
        let longest = format!("ipc://@{}", "a".repeat(MAX_IPC_PATH_LEN));
        assert!(bind(&longest).is_ok());
    }

    #[test]
    fn inproc() {
        assert_eq!(
            connect("inproc://name"),
            Ok(Endpoint::Inproc("name".to_owned()))
        );
        assert_eq!(
            bind("inproc://a://b;c:*"),
            Ok(Endpoint::Inproc("a://b;c:*".to_owned()))
        );
        assert_eq!(bind("inproc://*"), Ok(Endpoint::Inproc("*".to_owned())));
    }

    #[test]
    fn transport_names() {
        assert_eq!(connect("tcp://h:1").unwrap().transport(), "tcp");
        assert_eq!(connect("ipc://x").unwrap().transport(), "ipc");
        assert_eq!(connect("inproc://x").unwrap().transport(), "inproc");
    }

    #[test]
    fn canonical_display() {
        use Role::{Bind, Connect};
        assert_eq!(
            canonical("tcp://127.0.0.1:5555", Connect),
            "tcp://127.0.0.1:5555"
        );
        assert_eq!(canonical("tcp://[::1]:5555", Connect), "tcp://[::1]:5555");
        assert_eq!(
            canonical("tcp://[2001:0db8:0000::0017]:80", Connect),
            "tcp://[2001:db8::17]:80"
        );
        assert_eq!(
            canonical("tcp://localhost:00080", Connect),
            "tcp://localhost:80"
        );
        assert_eq!(canonical("tcp://*:*", Bind), "tcp://*:*");
        assert_eq!(canonical("tcp://*:0", Bind), "tcp://*:0");
        assert_eq!(canonical("tcp://0.0.0.0:0", Bind), "tcp://0.0.0.0:0");
        assert_eq!(
            canonical("tcp://10.0.0.1:*;[::1]:5555", Connect),
            "tcp://10.0.0.1:*;[::1]:5555"
        );
        assert_eq!(
            canonical("tcp://*:0;example.com:5555", Connect),
            "tcp://*:0;example.com:5555"
        );
        assert_eq!(canonical("ipc:///tmp/x", Bind), "ipc:///tmp/x");
        assert_eq!(canonical("ipc://rel/x.sock", Bind), "ipc://rel/x.sock");
        assert_eq!(canonical("ipc://@name", Connect), "ipc://@name");
        assert_eq!(canonical("inproc://name", Connect), "inproc://name");
    }

    #[test]
    fn host_display() {
        assert_eq!(Host::Any.to_string(), "*");
        assert_eq!(v4(1, 2, 3, 4).to_string(), "1.2.3.4");
        assert_eq!(v6("::1").to_string(), "[::1]");
        assert_eq!(name("example.com").to_string(), "example.com");
    }

    #[test]
    fn tcp_endpoint_strings() {
        let a = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 5555));
        assert_eq!(tcp_endpoint_string(a), "tcp://127.0.0.1:5555");
        let a = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 5555, 0, 0));
        assert_eq!(tcp_endpoint_string(a), "tcp://[::1]:5555");
        let a = SocketAddr::V6(SocketAddrV6::new("fe80::1".parse().unwrap(), 7, 0, 3));
        assert_eq!(tcp_endpoint_string(a), "tcp://[fe80::1]:7");
        let a = SocketAddr::V6(SocketAddrV6::new(
            "::ffff:10.0.0.1".parse().unwrap(),
            9,
            0,
            0,
        ));
        assert_eq!(tcp_endpoint_string(a), "tcp://[::ffff:10.0.0.1]:9");
        let a = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0));
        assert_eq!(tcp_endpoint_string(a), "tcp://0.0.0.0:0");
        // What it produces parses back, for both roles (non-zero port for connect).
        for s in [
            "tcp://127.0.0.1:5555",
            "tcp://[::1]:5555",
            "tcp://[fe80::1]:7",
        ] {
            let addr: SocketAddr = s["tcp://".len()..].parse().unwrap();
            assert_eq!(tcp_endpoint_string(addr), s);
            let ep = connect(s).unwrap();
            assert_eq!(ep, bind(s).unwrap());
            assert_eq!(ep.to_string(), s);
        }
    }

    /// One concrete string per error variant, with the role it fails for.
    fn error_cases() -> Vec<(&'static str, Role, EndpointError)> {
        use EndpointError as E;
        use Role::{Bind, Connect};
        let s = |x: &str| x.to_owned();
        let long_host: &'static str =
            Box::leak(format!("tcp://{}:1", "a".repeat(MAX_HOSTNAME_LEN + 1)).into_boxed_str());
        let long_path: &'static str =
            Box::leak(format!("ipc:///{}", "a".repeat(MAX_IPC_PATH_LEN)).into_boxed_str());
        let long_abstract: &'static str =
            Box::leak(format!("ipc://@{}", "a".repeat(MAX_IPC_PATH_LEN + 1)).into_boxed_str());
        vec![
            (
                "127.0.0.1:5555",
                Connect,
                E::MissingScheme {
                    endpoint: s("127.0.0.1:5555"),
                },
            ),
            (
                "http://x",
                Connect,
                E::UnknownTransport {
                    endpoint: s("http://x"),
                    transport: s("http"),
                },
            ),
            (
                "udp://127.0.0.1:5555",
                Bind,
                E::UnsupportedTransport {
                    endpoint: s("udp://127.0.0.1:5555"),
                    transport: s("udp"),
                },
            ),
            (
                "tcp://",
                Bind,
                E::EmptyAddress {
                    endpoint: s("tcp://"),
                    transport: "tcp",
                },
            ),
            (
                "tcp://localhost",
                Connect,
                E::MissingPort {
                    endpoint: s("tcp://localhost"),
                },
            ),
            (
                "tcp://localhost:http",
                Connect,
                E::InvalidPort {
                    endpoint: s("tcp://localhost:http"),
                    port: s("http"),
                },
            ),
            (
                "tcp://127.0.0.1:*",
                Connect,
                E::WildcardPortOnConnect {
                    endpoint: s("tcp://127.0.0.1:*"),
                },
            ),
            (
                "tcp://127.0.0.1:0",
                Connect,
                E::ZeroPortOnConnect {
                    endpoint: s("tcp://127.0.0.1:0"),
                },
            ),
            (
                "tcp://*:5555",
                Connect,
                E::WildcardHostOnConnect {
                    endpoint: s("tcp://*:5555"),
                },
            ),
            (
                "tcp://[::1:5555",
                Connect,
                E::InvalidIpv6 {
                    endpoint: s("tcp://[::1:5555"),
                    reason: "missing closing ']'",
                },
            ),
            (
                "tcp://::1:5555",
                Connect,
                E::UnbracketedIpv6 {
                    endpoint: s("tcp://::1:5555"),
                },
            ),
            (
                "tcp://256.0.0.1:5555",
                Connect,
                E::InvalidIpv4 {
                    endpoint: s("tcp://256.0.0.1:5555"),
                    host: s("256.0.0.1"),
                },
            ),
            (
                "tcp://:5555",
                Bind,
                E::EmptyHost {
                    endpoint: s("tcp://:5555"),
                },
            ),
            (
                "tcp://exa mple:5555",
                Connect,
                E::InvalidHostname {
                    endpoint: s("tcp://exa mple:5555"),
                    host: s("exa mple"),
                },
            ),
            (
                long_host,
                Connect,
                E::HostnameTooLong {
                    endpoint: s(long_host),
                    len: MAX_HOSTNAME_LEN + 1,
                },
            ),
            (
                "tcp://127.0.0.1:0;127.0.0.1:5555",
                Bind,
                E::SourceOnBind {
                    endpoint: s("tcp://127.0.0.1:0;127.0.0.1:5555"),
                },
            ),
            (
                "tcp://;127.0.0.1:5555",
                Connect,
                E::EmptySource {
                    endpoint: s("tcp://;127.0.0.1:5555"),
                },
            ),
            (
                "tcp://a:1;b:2;c:3",
                Connect,
                E::ExtraSemicolon {
                    endpoint: s("tcp://a:1;b:2;c:3"),
                },
            ),
            (
                "ipc://*",
                Bind,
                E::IpcWildcardUnsupported {
                    endpoint: s("ipc://*"),
                },
            ),
            (
                "ipc://@",
                Bind,
                E::EmptyAbstractName {
                    endpoint: s("ipc://@"),
                },
            ),
            (
                long_path,
                Bind,
                E::IpcPathTooLong {
                    endpoint: s(long_path),
                    len: MAX_IPC_PATH_LEN + 1,
                    max: MAX_IPC_PATH_LEN,
                },
            ),
            (
                long_abstract,
                Connect,
                E::IpcPathTooLong {
                    endpoint: s(long_abstract),
                    len: MAX_IPC_PATH_LEN + 1,
                    max: MAX_IPC_PATH_LEN,
                },
            ),
            (
                "ipc:///tmp/a\0b",
                Bind,
                E::IpcPathContainsNul {
                    endpoint: s("ipc:///tmp/a\0b"),
                },
            ),
        ]
    }

    #[test]
    fn every_error_variant() {
        for (input, role, expected) in error_cases() {
            let err = Endpoint::parse(input, role).expect_err(input);
            assert_eq!(err, expected, "{input}");
            assert_eq!(err.endpoint(), input);
            let msg = err.to_string();
            assert!(
                msg.contains(&format!("\"{input}\"")),
                "message does not quote: {msg}"
            );
        }
    }

    /// The name of an error's variant, from its `Debug` form.
    fn variant(e: &EndpointError) -> String {
        let debug = format!("{e:?}");
        debug
            .split([' ', '{'])
            .next()
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn more_errors() {
        use Role::{Bind, Connect};
        let cases: &[(&str, Role, &str)] = &[
            ("", Bind, "MissingScheme"),
            ("tcp:/127.0.0.1:1", Bind, "MissingScheme"),
            ("://x", Bind, "UnknownTransport"),
            ("TCP://127.0.0.1:1", Bind, "UnknownTransport"),
            (" tcp://127.0.0.1:1", Bind, "UnknownTransport"),
            ("pgm://eth0;239.192.1.1:5555", Bind, "UnsupportedTransport"),
            ("epgm://x", Bind, "UnsupportedTransport"),
            ("ws://127.0.0.1:80", Connect, "UnsupportedTransport"),
            ("wss://x", Connect, "UnsupportedTransport"),
            ("tipc://x", Connect, "UnsupportedTransport"),
            ("norm://x", Connect, "UnsupportedTransport"),
            ("vmci://x", Connect, "UnsupportedTransport"),
            ("ipc://", Bind, "EmptyAddress"),
            ("inproc://", Bind, "EmptyAddress"),
            ("tcp://[::1]", Connect, "MissingPort"),
            ("tcp://[::1]:", Connect, "MissingPort"),
            ("tcp://localhost:", Connect, "MissingPort"),
            ("tcp://127.0.0.1;127.0.0.1:5555", Connect, "MissingPort"),
            ("tcp://127.0.0.1:65536", Connect, "InvalidPort"),
            ("tcp://127.0.0.1:99999999999999999999", Bind, "InvalidPort"),
            ("tcp://127.0.0.1:5555x", Connect, "InvalidPort"),
            ("tcp://127.0.0.1:5555 ", Connect, "InvalidPort"),
            ("tcp://127.0.0.1:+5555", Connect, "InvalidPort"),
            ("tcp://127.0.0.1:-1", Connect, "InvalidPort"),
            ("tcp://127.0.0.1:**", Bind, "InvalidPort"),
            ("tcp://[::1]:5555/x", Connect, "InvalidPort"),
            ("tcp://*:*", Connect, "WildcardHostOnConnect"),
            ("tcp://127.0.0.1:0;*:5555", Connect, "WildcardHostOnConnect"),
            ("tcp://[::1]:0", Connect, "ZeroPortOnConnect"),
            ("tcp://[::1]x:5555", Bind, "InvalidIpv6"),
            ("tcp://[]:5555", Bind, "InvalidIpv6"),
            ("tcp://[1.2.3.4]:5555", Bind, "InvalidIpv6"),
            ("tcp://[fe80::1%eth0]:5555", Bind, "InvalidIpv6"),
            ("tcp://[::g]:5555", Bind, "InvalidIpv6"),
            ("tcp://[localhost]:5555", Bind, "InvalidIpv6"),
            ("tcp://fe80::1:5555", Bind, "UnbracketedIpv6"),
            ("tcp://::1", Bind, "UnbracketedIpv6"),
            ("tcp://::1]:5555", Bind, "UnbracketedIpv6"),
            ("tcp://1.2.3:5555", Bind, "InvalidIpv4"),
            ("tcp://1234:5555", Bind, "InvalidIpv4"),
            ("tcp://01.2.3.4:5555", Bind, "InvalidIpv4"),
            ("tcp://1.2.3.4.:5555", Bind, "InvalidIpv4"),
            ("tcp://127.0.0.1:0;:5555", Connect, "EmptyHost"),
            ("tcp://-host:5555", Connect, "InvalidHostname"),
            ("tcp://.host:5555", Connect, "InvalidHostname"),
            ("tcp://_host:5555", Connect, "InvalidHostname"),
            ("tcp://ho*st:5555", Bind, "InvalidHostname"),
            ("tcp://**:5555", Bind, "InvalidHostname"),
            ("tcp://host]:5555", Bind, "InvalidHostname"),
            ("tcp://h\u{e9}llo:5555", Bind, "InvalidHostname"),
            ("tcp://a/b:5555", Bind, "InvalidHostname"),
            ("tcp://;:5555", Bind, "SourceOnBind"),
            ("tcp://a:1;b:2;c:3", Bind, "SourceOnBind"),
            ("tcp://;", Connect, "EmptySource"),
            ("tcp://a:1;b:2;", Connect, "ExtraSemicolon"),
            ("ipc://@a\0b", Bind, "IpcPathContainsNul"),
        ];
        for &(input, role, expected) in cases {
            match Endpoint::parse(input, role) {
                Err(e) => {
                    assert_eq!(variant(&e), expected, "{input:?} ({role:?}): {e}");
                    assert_eq!(e.endpoint(), input);
                }
                Ok(ep) => panic!("{input:?} ({role:?}): unexpectedly parsed as {ep:?}"),
            }
        }
    }

    #[test]
    fn error_messages() {
        let msg = |s: &str, role| Endpoint::parse(s, role).unwrap_err().to_string();
        assert_eq!(
            msg("udp://127.0.0.1:5555", Role::Bind),
            "endpoint \"udp://127.0.0.1:5555\": transport \"udp\" is not supported \
             (supported: \"tcp\", \"ipc\", \"inproc\")"
        );
        assert_eq!(
            msg("tcp://h:65536", Role::Connect),
            "endpoint \"tcp://h:65536\": invalid port \"65536\" \
             (expected a decimal number from 0 to 65535, or \"*\" when binding)"
        );
        assert_eq!(
            msg("tcp://[::1:5555", Role::Connect),
            "endpoint \"tcp://[::1:5555\": invalid IPv6 address: missing closing ']'"
        );
        let long = format!("ipc:///{}", "a".repeat(MAX_IPC_PATH_LEN));
        assert_eq!(
            msg(&long, Role::Bind),
            format!(
                "endpoint \"{long}\": ipc path is {} bytes long, \
                 more than the limit of {MAX_IPC_PATH_LEN} bytes (sun_path)",
                MAX_IPC_PATH_LEN + 1
            )
        );
    }

    #[tokio::test]
    async fn resolve_ip_and_any() {
        let Endpoint::Tcp(ep) = connect("tcp://127.0.0.1:5555").unwrap() else {
            unreachable!()
        };
        assert_eq!(
            ep.resolve().await.unwrap(),
            vec!["127.0.0.1:5555".parse().unwrap()]
        );
        assert_eq!(ep.resolve_source().await.unwrap(), None);

        let Endpoint::Tcp(ep) = connect("tcp://[::1]:7").unwrap() else {
            unreachable!()
        };
        assert_eq!(
            ep.resolve().await.unwrap(),
            vec!["[::1]:7".parse().unwrap()]
        );

        let Endpoint::Tcp(ep) = bind("tcp://*:*").unwrap() else {
            unreachable!()
        };
        assert_eq!(
            ep.resolve().await.unwrap(),
            vec!["0.0.0.0:0".parse().unwrap()]
        );

        let Endpoint::Tcp(ep) = connect("tcp://*:*;127.0.0.1:9").unwrap() else {
            unreachable!()
        };
        assert_eq!(
            ep.resolve_source().await.unwrap(),
            Some(vec!["0.0.0.0:0".parse().unwrap()])
        );
    }

    #[tokio::test]
    async fn resolve_localhost() {
        let Endpoint::Tcp(ep) = connect("tcp://localhost:5555").unwrap() else {
            unreachable!()
        };
        let addrs = ep.resolve().await.unwrap();
        assert!(!addrs.is_empty());
        for addr in addrs {
            assert!(addr.ip().is_loopback(), "{addr}");
            assert_eq!(addr.port(), 5555);
        }
    }

    #[tokio::test]
    async fn resolve_unknown_name_fails() {
        let Endpoint::Tcp(ep) = connect("tcp://no-such-host.invalid:1").unwrap() else {
            unreachable!()
        };
        assert!(ep.resolve().await.is_err());
    }

    // ---- property tests ----

    fn arb_role() -> impl Strategy<Value = Role> {
        prop_oneof![Just(Role::Bind), Just(Role::Connect)]
    }

    /// Strings built from the characters that matter to the parser.
    fn arb_endpointish() -> impl Strategy<Value = String> {
        let prefix = prop_oneof![
            Just(""),
            Just("tcp://"),
            Just("ipc://"),
            Just("ipc://@"),
            Just("inproc://"),
            Just("udp://"),
        ];
        (prefix, "[\\[\\]:;*@%./a-f0-9 \\-_\u{0}é]{0,40}").prop_map(|(p, s)| format!("{p}{s}"))
    }

    fn arb_ip() -> impl Strategy<Value = IpAddr> {
        prop_oneof![
            any::<[u8; 4]>().prop_map(|b| IpAddr::V4(Ipv4Addr::from(b))),
            any::<[u8; 16]>().prop_map(|b| IpAddr::V6(Ipv6Addr::from(b))),
        ]
    }

    fn arb_name() -> impl Strategy<Value = String> {
        "[a-zA-Z][a-zA-Z0-9._-]{0,30}"
    }

    /// A host valid for connecting (no `*`).
    fn arb_concrete_host() -> impl Strategy<Value = Host> {
        prop_oneof![arb_ip().prop_map(Host::Ip), arb_name().prop_map(Host::Name)]
    }

    fn arb_bind_host() -> impl Strategy<Value = Host> {
        prop_oneof![Just(Host::Any), arb_concrete_host()]
    }

    /// A valid endpoint together with a role it is valid for.
    fn arb_valid() -> impl Strategy<Value = (Endpoint, Role)> {
        let tcp_bind = (arb_bind_host(), any::<Option<u16>>()).prop_map(|(host, port)| {
            (
                Endpoint::Tcp(TcpEndpoint {
                    host,
                    port,
                    source: None,
                }),
                Role::Bind,
            )
        });
        let tcp_connect = (
            arb_concrete_host(),
            1..=u16::MAX,
            proptest::option::of((arb_bind_host(), any::<Option<u16>>())),
        )
            .prop_map(|(host, port, source)| {
                (
                    Endpoint::Tcp(TcpEndpoint {
                        host,
                        port: Some(port),
                        source,
                    }),
                    Role::Connect,
                )
            });
        let ipc_path = "/?[a-zA-Z0-9._-][a-zA-Z0-9/._ -]{0,90}"
            .prop_map(|p| Endpoint::Ipc(IpcEndpoint::Path(PathBuf::from(p))));
        let ipc_abstract = "[^\u{0}]{1,25}".prop_map(|n| Endpoint::Ipc(IpcEndpoint::Abstract(n)));
        let inproc = ".{1,40}".prop_map(Endpoint::Inproc);
        prop_oneof![
            tcp_bind,
            tcp_connect,
            (prop_oneof![ipc_path, ipc_abstract, inproc], arb_role()),
        ]
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in any::<String>(), role in arb_role()) {
            let _ = Endpoint::parse(&s, role);
        }

        #[test]
        fn parse_never_panics_endpointish(s in arb_endpointish(), role in arb_role()) {
            if let Ok(ep) = Endpoint::parse(&s, role) {
                // Whatever is accepted round-trips through its canonical form.
                prop_assert_eq!(Endpoint::parse(&ep.to_string(), role), Ok(ep));
            } else if let Err(e) = Endpoint::parse(&s, role) {
                prop_assert_eq!(e.endpoint(), s.as_str());
            }
        }

        #[test]
        fn display_round_trips((ep, role) in arb_valid()) {
            let s = ep.to_string();
            prop_assert_eq!(Endpoint::parse(&s, role), Ok(ep));
        }

        #[test]
        fn tcp_endpoint_string_parses(ip in arb_ip(), port in 1..=u16::MAX) {
            let s = tcp_endpoint_string(SocketAddr::new(ip, port));
            let ep = Endpoint::parse(&s, Role::Connect).unwrap();
            prop_assert_eq!(
                &ep,
                &Endpoint::Tcp(TcpEndpoint { host: Host::Ip(ip), port: Some(port), source: None })
            );
            prop_assert_eq!(ep.to_string(), s);
        }
    }
}
