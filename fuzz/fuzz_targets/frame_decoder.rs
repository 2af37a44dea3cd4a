//! libFuzzer entry point of the `frame_decoder` target; the body is
//! [`oxmq_fuzz::frame_decoder::run`].
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| oxmq_fuzz::frame_decoder::run(data));
