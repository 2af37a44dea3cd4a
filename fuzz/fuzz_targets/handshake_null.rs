//! libFuzzer entry point of the `handshake_null` target; the body is
//! [`oxmq_fuzz::handshake_null::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oxmq_fuzz::handshake_null::run(data));
