#![no_main]
//! Fuzz target `list_unsubscribe`: see `consentry_fuzz::list_unsubscribe`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::list_unsubscribe(data));
