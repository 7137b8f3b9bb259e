#![no_main]
//! Fuzz target `token`: see `consentry_fuzz::token`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::token(data));
