#![no_main]
//! Fuzz target `ad_opt_out_cookie`: see `consentry_fuzz::ad_opt_out_cookie`.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| consentry_fuzz::ad_opt_out_cookie(data));
