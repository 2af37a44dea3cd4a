//! libFuzzer entry point of the `handshake_curve_server` target; the body is
//! [`oxmq_fuzz::handshake_curve_server::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oxmq_fuzz::handshake_curve_server::run(data));
