#![no_main]
//! Fuzz target `mailto`: see `consentry_fuzz::mailto`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::mailto(data));
