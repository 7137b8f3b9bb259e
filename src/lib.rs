#![doc = include_str!("../README.md")]
//!
//! # Modules
//!
//! - [`address`] — [`EmailAddress`], [`TenantId`], [`ListId`], [`Scope`].
//! - [`classify`] — the CAN-SPAM primary-purpose test.
//! - [`consent`] — events, evidence, the ledger policy and the fold.
//! - [`cookie`] — cookie catalogue, visitor choices, GPC, beacons.
//! - [`eligibility`] — send decisions, campaign planning, the pre-send lint.
//! - [`unsubscribe`] — List-Unsubscribe headers and one-click requests.
//! - [`decision`] — [`RuleId`], [`Reason`] and the rule [`CATALOGUE`].
//! - [`disclosure`] — who may see personal data, for what.
//! - [`message`] — [`OutboundMessage`].
//! - [`notice`] — policy versions and change notices.
//! - [`ports`] — [`ConsentStore`] and [`Mailer`], implemented by the host.
//! - [`referral`] — the one-time refer-a-friend invite.
//! - [`retention`] — keep or purge, and erasure that keeps suppressions.
//! - [`driver`] — the sync [`Driver`] over the ports.
//! - [`memory`] — in-memory [`MemoryStore`] and [`RecordingMailer`].
//! - [`conformance`] — the store-conformance suite.
//!
//! # Features
//!
//! Without features the crate is the pure core plus the in-memory
//! reference implementations. Optional integrations:
//!
//! - `sqlite` — `sqlite::SqliteStore`, a [`ConsentStore`] on SQLite
//!   (rusqlite with its bundled SQLite; nothing to install).
//! - `lettre` — `lettre_mailer::LettreMailer`, a [`Mailer`] over any lettre
//!   `Transport`.

pub mod address;
pub mod classify;
pub mod conformance;
pub mod consent;
pub mod cookie;
pub mod decision;
pub mod disclosure;
pub mod driver;
pub mod eligibility;
#[cfg(feature = "lettre")]
pub mod lettre_mailer;
pub mod memory;
pub mod message;
pub mod notice;
pub mod ports;
pub mod referral;
pub mod retention;
#[cfg(feature = "sqlite")]
pub mod sqlite;
mod time;
pub mod unsubscribe;

pub use address::{AddressError, AddressOptions, EmailAddress, IdError, ListId, Scope, TenantId};
pub use consent::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, EventError, EventId, Evidence,
    LedgerPolicy, LedgerPolicyError, OptOutChannel, PendingConfirmation, Permission, Suppression,
    SuppressionReason,
};
pub use decision::{Reason, RuleId, RuleInfo, CATALOGUE};
pub use driver::{
    Campaign, Driver, DriverError, ErasureReceipt, OneClickConfirmation, OneClickError,
    OneClickRequest, SendReport, ServiceError, SubjectExport, UnsubscribeSettings,
};
pub use memory::{MemoryStore, RecordingMailer};
pub use message::{Header, MessageError, OutboundMessage};
pub use ports::{AppendOutcome, ConsentStore, Mailer};
