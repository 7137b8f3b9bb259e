#![no_main]
//! Fuzz target `address`: see `consentry_fuzz::address`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::address(data));
