//! libFuzzer entry point of the `handshake_plain` target; the body is
//! [`oxmq_fuzz::handshake_plain::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oxmq_fuzz::handshake_plain::run(data));
