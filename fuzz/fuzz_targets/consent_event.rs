#![no_main]
//! Fuzz target `consent_event`: see `consentry_fuzz::consent_event`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::consent_event(data));
