#![no_main]
//! Fuzz target `cookie_policy`: see `consentry_fuzz::cookie_policy`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::cookie_policy(data));
