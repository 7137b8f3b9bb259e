#![no_main]
//! Fuzz target `one_click_request`: see `consentry_fuzz::one_click_request`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::one_click_request(data));
