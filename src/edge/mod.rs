//! The host edge: everything that touches the outside world.
//!
//! The pure core (the rest of the crate) takes values and `now` and returns
//! decisions; it never reads a clock, a file or a socket. This module is
//! the thin layer that does: the [`ports`] a host implements (persistence
//! of events, mail delivery), the [`driver`] that reads through them, calls
//! the core and writes its effects back, the in-memory reference
//! implementations in [`memory`], the store [`conformance`] suite, and the
//! optional adapters (`sqlite`, `lettre_mailer`) behind features.
//!
//! The core never imports from here; the edge imports the core.

#[cfg(feature = "async")]
pub mod async_driver;
#[cfg(feature = "async")]
pub mod async_ports;
pub mod conformance;
pub mod driver;
mod engine;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "lettre")]
pub mod lettre_mailer;
pub mod memory;
pub mod ports;
#[cfg(feature = "postgres")]
pub mod postgres;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod rows;
#[cfg(feature = "sqlite")]
pub mod sqlite;
