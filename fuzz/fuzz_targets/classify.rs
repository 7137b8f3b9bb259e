#![no_main]
//! Fuzz target `classify`: see `consentry_fuzz::classify`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::classify(data));
