#![no_main]
//! Fuzz target `lint`: see `consentry_fuzz::lint_message`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::lint_message(data));
