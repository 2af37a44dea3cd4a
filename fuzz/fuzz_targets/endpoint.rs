//! libFuzzer entry point of the `endpoint` target; the body is
//! [`oxmq_fuzz::endpoint::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oxmq_fuzz::endpoint::run(data));
