//! The fuzz targets' harness: the same file the stable generated-input
//! test runs (`tests/harness/mod.rs` in the library's repository).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/harness/mod.rs"]
mod harness;

pub use harness::*;
