#![no_main]
//! Fuzz target `message_headers`: see `consentry_fuzz::message_headers`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::message_headers(data));
