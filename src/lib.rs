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
//! - [`message`] — [`OutboundMessage`].
//! - [`ports`] — [`ConsentStore`] and [`Mailer`], implemented by the host.
//! - [`driver`] — the sync [`Driver`] over the ports.
//! - [`memory`] — in-memory [`MemoryStore`] and [`RecordingMailer`].
//! - [`conformance`] — the store-conformance suite.
//!
//! # Features
//!
//! None yet: the crate is the pure core plus the in-memory reference
//! implementations.

pub mod address;
pub mod classify;
pub mod conformance;
pub mod consent;
pub mod cookie;
pub mod decision;
pub mod driver;
pub mod eligibility;
pub mod memory;
pub mod message;
pub mod ports;
pub mod unsubscribe;

pub use address::{AddressError, AddressOptions, EmailAddress, IdError, ListId, Scope, TenantId};
pub use consent::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, EventError, EventId, Evidence,
    LedgerPolicy, LedgerPolicyError, OptOutChannel, PendingConfirmation, Permission, Suppression,
    SuppressionReason,
};
pub use decision::{Reason, RuleId, RuleInfo, CATALOGUE};
pub use driver::{
    Campaign, Driver, DriverError, OneClickConfirmation, OneClickError, OneClickRequest,
    SendReport, ServiceError, SubjectExport, UnsubscribeSettings,
};
pub use memory::{MemoryStore, RecordingMailer};
pub use message::{Header, MessageError, OutboundMessage};
pub use ports::{AppendOutcome, ConsentStore, Mailer};
