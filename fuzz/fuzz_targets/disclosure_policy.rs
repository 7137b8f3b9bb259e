#![no_main]
//! Fuzz target `disclosure_policy`: see `consentry_fuzz::disclosure_policy`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::disclosure_policy(data));
