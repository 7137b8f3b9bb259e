#![no_main]
//! Fuzz target `privacy_signals`: see `consentry_fuzz::privacy_signals`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::privacy_signals(data));
