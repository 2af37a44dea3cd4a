//! libFuzzer entry point of the `greeting` target; the body is
//! [`oxmq_fuzz::greeting::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oxmq_fuzz::greeting::run(data));
