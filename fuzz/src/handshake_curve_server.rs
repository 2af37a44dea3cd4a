//! Target `handshake_curve_server`: the CURVE server (RFC 25/26) as a
//! sans-IO [`Handshake`](oxmq_zmtp::Handshake), facing a genuine CURVE
//! client whose HELLO and INITIATE the input, read as a script, passes on,
//! mutates, replays, drops or replaces, while also choosing the
//! authenticator's answers; then the message phase's ciphers, fed genuine,
//! reordered, tampered, replayed and arbitrary frames. See
//! [`curve`](crate::curve) for the script and what is checked.

use crate::curve::{run_script, Role};

/// The target body.
pub fn run(data: &[u8]) {
    run_script(Role::Server, data);
}
