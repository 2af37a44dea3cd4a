//! Target `endpoint`: [`Endpoint::parse`] of arbitrary strings, for both
//! roles.
//!
//! Input: one byte picks the role; the rest, if it is UTF-8, is the
//! endpoint string (endpoints are `&str` in the API).
//!
//! Checked for every input:
//!
//! - parsing never panics, and neither do the `Display` of the result or
//!   of the error;
//! - an accepted endpoint's canonical form parses back to the same value,
//!   and is a fixed point of parse-then-display;
//! - a refusal quotes the endpoint exactly as given.

use oxmq_transports::endpoint::Role;
use oxmq_transports::Endpoint;

use crate::Input;

/// The target body.
pub fn run(data: &[u8]) {
    let mut input = Input::new(data);
    let role = if input.byte() & 1 == 0 {
        Role::Bind
    } else {
        Role::Connect
    };
    let Ok(s) = std::str::from_utf8(input.rest()) else {
        return;
    };
    match Endpoint::parse(s, role) {
        Ok(ep) => {
            let canonical = ep.to_string();
            match Endpoint::parse(&canonical, role) {
                Ok(again) => {
                    assert_eq!(again, ep, "{s:?} → {canonical:?} parses differently");
                    assert_eq!(again.to_string(), canonical, "not a fixed point");
                }
                Err(e) => panic!("{s:?} → {canonical:?} is refused: {e}"),
            }
            let _ = ep.transport();
        }
        Err(e) => {
            assert_eq!(e.endpoint(), s, "the error does not quote the endpoint");
            assert!(!e.to_string().is_empty());
        }
    }
}
