#![no_main]
//! Fuzz target `consent_cookie`: see `consentry_fuzz::consent_cookie`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::consent_cookie(data));
