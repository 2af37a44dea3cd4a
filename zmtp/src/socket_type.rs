//! ZeroMQ socket types as they appear in the `Socket-Type` metadata property,
//! and which types may talk to which (RFC 37 "The Socket-Type Property";
//! libzmq `mechanism.cpp`, `check_socket_type`).

use std::fmt;
use std::str::FromStr;

/// A ZeroMQ socket type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SocketType {
    /// Exclusive pair (RFC 31).
    Pair,
    /// Publisher (RFC 29).
    Pub,
    /// Subscriber (RFC 29).
    Sub,
    /// Requester (RFC 28).
    Req,
    /// Replier (RFC 28).
    Rep,
    /// Asynchronous requester (RFC 28).
    Dealer,
    /// Asynchronous replier with addressing (RFC 28).
    Router,
    /// Pipeline sink (RFC 30).
    Pull,
    /// Pipeline source (RFC 30).
    Push,
    /// Publisher that sees subscriptions (RFC 29).
    Xpub,
    /// Subscriber that sends raw subscriptions (RFC 29).
    Xsub,
    /// Draft: server of CLIENT/SERVER (RFC 41).
    Server,
    /// Draft: client of CLIENT/SERVER (RFC 41).
    Client,
    /// Draft: group publisher (RFC 48).
    Radio,
    /// Draft: group subscriber (RFC 48).
    Dish,
    /// Draft: fan-in (RFC 49).
    Gather,
    /// Draft: fan-out (RFC 49).
    Scatter,
    /// Draft: peer-to-peer (RFC 51).
    Peer,
    /// Draft: thread-safe pair (RFC 52).
    Channel,
}

impl SocketType {
    /// The eleven standard (non-draft) types.
    pub const STANDARD: [SocketType; 11] = [
        SocketType::Pair,
        SocketType::Pub,
        SocketType::Sub,
        SocketType::Req,
        SocketType::Rep,
        SocketType::Dealer,
        SocketType::Router,
        SocketType::Pull,
        SocketType::Push,
        SocketType::Xpub,
        SocketType::Xsub,
    ];

    /// The name used on the wire (`Socket-Type` property), e.g. `"DEALER"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SocketType::Pair => "PAIR",
            SocketType::Pub => "PUB",
            SocketType::Sub => "SUB",
            SocketType::Req => "REQ",
            SocketType::Rep => "REP",
            SocketType::Dealer => "DEALER",
            SocketType::Router => "ROUTER",
            SocketType::Pull => "PULL",
            SocketType::Push => "PUSH",
            SocketType::Xpub => "XPUB",
            SocketType::Xsub => "XSUB",
            SocketType::Server => "SERVER",
            SocketType::Client => "CLIENT",
            SocketType::Radio => "RADIO",
            SocketType::Dish => "DISH",
            SocketType::Gather => "GATHER",
            SocketType::Scatter => "SCATTER",
            SocketType::Peer => "PEER",
            SocketType::Channel => "CHANNEL",
        }
    }

    /// Parses a wire name exactly as libzmq does (case-sensitive, upper case).
    pub fn from_wire(name: &[u8]) -> Option<SocketType> {
        Some(match name {
            b"PAIR" => SocketType::Pair,
            b"PUB" => SocketType::Pub,
            b"SUB" => SocketType::Sub,
            b"REQ" => SocketType::Req,
            b"REP" => SocketType::Rep,
            b"DEALER" => SocketType::Dealer,
            b"ROUTER" => SocketType::Router,
            b"PULL" => SocketType::Pull,
            b"PUSH" => SocketType::Push,
            b"XPUB" => SocketType::Xpub,
            b"XSUB" => SocketType::Xsub,
            b"SERVER" => SocketType::Server,
            b"CLIENT" => SocketType::Client,
            b"RADIO" => SocketType::Radio,
            b"DISH" => SocketType::Dish,
            b"GATHER" => SocketType::Gather,
            b"SCATTER" => SocketType::Scatter,
            b"PEER" => SocketType::Peer,
            b"CHANNEL" => SocketType::Channel,
            _ => return None,
        })
    }

    /// The socket types a peer of this type may be, per RFC 37 and libzmq.
    pub fn compatible_peers(self) -> &'static [SocketType] {
        use SocketType::*;
        match self {
            Req => &[Rep, Router],
            Rep => &[Req, Dealer],
            Dealer => &[Rep, Dealer, Router],
            Router => &[Req, Dealer, Router],
            Pub | Xpub => &[Sub, Xsub],
            Sub | Xsub => &[Pub, Xpub],
            Push => &[Pull],
            Pull => &[Push],
            Pair => &[Pair],
            Server => &[Client],
            Client => &[Server],
            Radio => &[Dish],
            Dish => &[Radio],
            Gather => &[Scatter],
            Scatter => &[Gather],
            Peer => &[Peer],
            Channel => &[Channel],
        }
    }

    /// Whether a socket of this type accepts a peer of type `peer`.
    pub fn is_compatible_with(self, peer: SocketType) -> bool {
        self.compatible_peers().contains(&peer)
    }

    /// Whether this type announces an `Identity` property in its handshake
    /// metadata (libzmq does so for REQ, DEALER and ROUTER only).
    pub fn sends_identity(self) -> bool {
        matches!(
            self,
            SocketType::Req | SocketType::Dealer | SocketType::Router
        )
    }
}

impl fmt::Display for SocketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Error returned when parsing an unknown socket type name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown socket type {0:?}")]
pub struct UnknownSocketType(pub String);

impl FromStr for SocketType {
    type Err = UnknownSocketType;

    /// Parses a type name, case-insensitively (`"dealer"`, `"DEALER"`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SocketType::from_wire(s.to_ascii_uppercase().as_bytes())
            .ok_or_else(|| UnknownSocketType(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compatibility_is_symmetric() {
        let all = [
            SocketType::Pair,
            SocketType::Pub,
            SocketType::Sub,
            SocketType::Req,
            SocketType::Rep,
            SocketType::Dealer,
            SocketType::Router,
            SocketType::Pull,
            SocketType::Push,
            SocketType::Xpub,
            SocketType::Xsub,
            SocketType::Server,
            SocketType::Client,
            SocketType::Radio,
            SocketType::Dish,
            SocketType::Gather,
            SocketType::Scatter,
            SocketType::Peer,
            SocketType::Channel,
        ];
        for a in all {
            assert_eq!(SocketType::from_wire(a.as_str().as_bytes()), Some(a));
            for b in all {
                assert_eq!(a.is_compatible_with(b), b.is_compatible_with(a), "{a} {b}");
            }
        }
    }

    #[test]
    fn table_matches_rfc37() {
        use SocketType::*;
        assert!(Req.is_compatible_with(Router));
        assert!(!Req.is_compatible_with(Req));
        assert!(Dealer.is_compatible_with(Dealer));
        assert!(Xpub.is_compatible_with(Xsub));
        assert!(!Pub.is_compatible_with(Pub));
        assert!(!Push.is_compatible_with(Push));
        assert!(!Pair.is_compatible_with(Dealer));
        assert_eq!("xPub".parse::<SocketType>(), Ok(Xpub));
        assert!("STREAM".parse::<SocketType>().is_err());
    }
}
