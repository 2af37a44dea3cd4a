//! Target `handshake_plain`: the PLAIN handshake (RFC 24), as the server
//! (HELLO and INITIATE from the peer, the authenticator in between) and as
//! the client (WELCOME and READY from the peer), fed arbitrary peer bytes.
//! See [`handshake`](crate::handshake) for the scenario and what is
//! checked.

use oxmq_zmtp::MechanismConfig;

use crate::handshake::{plain_client, run_family};

/// The mechanisms this target drives.
pub fn family() -> [MechanismConfig; 2] {
    [MechanismConfig::PlainServer, plain_client()]
}

/// The target body.
pub fn run(data: &[u8]) {
    run_family(data, &family());
}
