//! Target `handshake_null`: the NULL handshake (RFC 37), without and with
//! authentication of the peer, fed arbitrary peer bytes. See
//! [`handshake`](crate::handshake) for the scenario and what is checked.

use oxmq_zmtp::MechanismConfig;

use crate::handshake::run_family;

/// The mechanisms this target drives.
pub fn family() -> [MechanismConfig; 2] {
    [MechanismConfig::Null, MechanismConfig::NullAuthenticated]
}

/// The target body.
pub fn run(data: &[u8]) {
    run_family(data, &family());
}
