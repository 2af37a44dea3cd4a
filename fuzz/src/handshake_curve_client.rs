//! Target `handshake_curve_client`: the CURVE client (RFC 25/26) as a
//! sans-IO [`Handshake`](oxmq_zmtp::Handshake), facing a genuine CURVE
//! server whose WELCOME, READY and ERROR the input, read as a script,
//! passes on, mutates, replays, drops or replaces, while also choosing the
//! server's authenticator's answers; then the message phase's ciphers.
//! See [`curve`](crate::curve) for the script and what is checked.

use crate::curve::{run_script, Role};

/// The target body.
pub fn run(data: &[u8]) {
    run_script(Role::Client, data);
}
