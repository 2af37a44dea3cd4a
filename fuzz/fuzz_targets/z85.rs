//! libFuzzer entry point of the `z85` target; the body is
//! [`oxmq_fuzz::z85::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oxmq_fuzz::z85::run(data));
