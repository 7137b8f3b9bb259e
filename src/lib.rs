#![doc = include_str!("../README.md")]
//!
//! # Map
//!
//! consentry is a pure core with a thin edge (see `ARCHITECTURE.md`).
//! The **core** takes values and `now` and returns a [`Decision`]: an
//! outcome plus the rules that produced it. It reads no clock, does no I/O
//! and keeps no global state. The **edge** ([`edge`]) holds the ports a
//! host implements, the driver that calls the core through them, and the
//! reference and optional adapters.
//!
//! Core, vocabulary:
//! - [`address`] — [`EmailAddress`]; [`ids`] — [`TenantId`], [`ListId`],
//!   [`EventId`], [`Scope`].
//! - [`decision`] — [`Decision`], [`Reason`], [`RuleId`]: the one shape of
//!   every answer; [`catalogue`] — every rule id with its source.
//! - [`message`] — [`OutboundMessage`], the mail the edge delivers.
//!
//! Core, decisions (each `decide` on the value that holds the rules):
//! - [`consent`] — events, evidence, the ledger policy and the fold.
//! - [`classify`] — the CAN-SPAM primary-purpose test (`classify`).
//! - [`eligibility`] — send decisions, campaign planning, the pre-send lint.
//! - [`unsubscribe`] — tokens, List-Unsubscribe headers, one-click
//!   requests, opt-out deadlines.
//! - [`cookie`] — cookie catalogue, visitor choices, GPC, beacons.
//! - [`jurisdiction`] — the recipient's law (CAN-SPAM, CASL, GDPR and
//!   ePrivacy, PECR) beside the organisation's policy, strictest wins.
//! - [`disclosure`] — who may see personal data, for what.
//! - [`retention`], [`referral`], [`notice`] — what to keep, the one-time
//!   friend invite, policy-change notices.
//!
//! Edge:
//! - [`edge::ports`] — [`ConsentStore`] and [`Mailer`], implemented by the
//!   host; [`edge::driver`] — the sync [`Driver`]; [`edge::memory`] —
//!   [`MemoryStore`] and [`RecordingMailer`]; [`edge::conformance`] — the
//!   store-conformance suite (sync and async); behind features:
//!   `edge::async_ports` and `edge::async_driver` (`async`: the ports with
//!   `Send` futures, `AsyncDriver`, `Blocking`), `edge::http` (`http`: the
//!   one-click URL, the preference page and the cookie banner on `http`
//!   types), `edge::sqlite`, `edge::postgres` (`postgres`: `PgStore`,
//!   `SyncPgStore`) and `edge::lettre_mailer`.
//!
//! # One decision shape
//!
//! Every family answers with [`Decision<O>`](Decision), where `O` is the
//! family's exhaustive outcome enum:
//!
//! | question | verb | outcome |
//! |---|---|---|
//! | is this message an ad? | [`Classifier::classify`](classify::Classifier::classify) | [`MessageClass`](classify::MessageClass) |
//! | may it go to this person? | [`SendContext::decide`](eligibility::SendContext::decide) | [`SendOutcome`](eligibility::SendOutcome) |
//! | may this cookie be set? | [`CookiePolicy::decide`](cookie::CookiePolicy::decide) | [`CookieOutcome`](cookie::CookieOutcome) |
//! | may this ad impression / beacon be recorded? | [`AdOptOut::decide`](cookie::AdOptOut::decide), [`BeaconPolicy::decide`](cookie::BeaconPolicy::decide) | [`Tracking`](cookie::Tracking) |
//! | may this data go to this recipient? | [`DisclosurePolicy::decide`](disclosure::DisclosurePolicy::decide) | [`DisclosureOutcome`](disclosure::DisclosureOutcome) |
//! | may this form collect this data? | [`CollectionPolicy::decide`](disclosure::CollectionPolicy::decide) | [`CollectionOutcome`](disclosure::CollectionOutcome) |
//! | keep or purge this record? | [`RetentionPolicy::decide`](retention::RetentionPolicy::decide) | [`RetentionAction`](retention::RetentionAction) |
//! | may the friend get the invite? | [`ReferralPolicy::decide`](referral::ReferralPolicy::decide) | [`ReferralOutcome`](referral::ReferralOutcome) |
//! | by when must this opt-out take effect? | [`OptOutDeadlines::decide`](unsubscribe::OptOutDeadlines::decide) | [`Deadline`](unsubscribe::Deadline) |
//!
//! ```
//! use consentry::disclosure::{DataCategory, DataSet, DisclosureOutcome, DisclosurePolicy, DisclosureRequest, Purpose, Recipient};
//!
//! let d = DisclosurePolicy::default().decide(&DisclosureRequest::new(
//!     Recipient::OtherThirdParty,
//!     Purpose::SaleOrRental,
//!     DataSet::from([DataCategory::Email]),
//! ));
//! assert_eq!(d.outcome(), &DisclosureOutcome::Deny);
//! assert_eq!(d.rule().as_str(), "disclosure.never_sell");
//! for reason in d.reasons() {
//!     println!("{reason}"); // [disclosure.never_sell] ...
//! }
//! ```
//!
//! # Stored events are a compatibility contract
//!
//! Events ([`ConsentEvent`]) are the proof of consent and of every honoured
//! opt-out; hosts keep them for years. Their JSON form (and that of
//! exports, states, policies, the consent cookie value and the unsubscribe
//! token) is guarded by golden snapshot tests (`tests/wire.rs`): a renamed
//! field or variant fails the build. Enums are tagged one way throughout:
//! internally, with a snake_case `"kind"` field for data-carrying enums and
//! a plain snake_case string for unit-only enums. A change to a stored
//! format ships with a reader for the old form (serde `alias` or an
//! upcasting `TryFrom`), is marked in the CHANGELOG, and never re-interprets
//! old data silently.
//!
//! # Features
//!
//! Without features the crate is the pure core plus the in-memory
//! reference implementations. Optional integrations:
//!
//! - `sqlite` — `edge::sqlite::SqliteStore`, a [`ConsentStore`] on SQLite
//!   (rusqlite with its bundled SQLite; nothing to install).
//! - `lettre` — `edge::lettre_mailer::LettreMailer`, a [`Mailer`] over any
//!   lettre `Transport`.
//! - `toml` — load cookie and disclosure policies from TOML.

// Core: vocabulary.
pub mod address;
pub mod catalogue;
pub mod decision;
pub mod ids;
pub mod message;
mod time;
mod unicode;

// Core: decisions.
pub mod classify;
pub mod consent;
pub mod cookie;
pub mod disclosure;
pub mod eligibility;
pub mod jurisdiction;
pub mod notice;
pub mod referral;
pub mod retention;
pub mod unsubscribe;

// Edge: ports, driver, stores and mailers.
pub mod edge;

pub use address::{AddressError, AddressOptions, EmailAddress};
pub use catalogue::{RuleInfo, CATALOGUE};
pub use consent::{
    Action, Basis, ConsentEvent, ConsentKey, ConsentState, EventError, Evidence, ImpliedGround,
    LedgerPolicy, LedgerPolicyBuilder, LedgerPolicyError, LedgerPolicyProblem, OptOutChannel,
    PendingConfirmation, Permission, Suppression, SuppressionKind,
};
pub use decision::{Decision, Reason, RuleId, Text};
#[cfg(feature = "async")]
pub use edge::async_driver::{AsyncDriver, AsyncDriverError};
#[cfg(feature = "async")]
pub use edge::async_ports::{AsyncConsentStore, AsyncMailer, Blocking, BlockingError};
pub use edge::driver::{
    Campaign, Driver, DriverError, ErasureReceipt, JurisdictionOf, OneClickConfirmation,
    OneClickError, OneClickRequest, SendReport, ServiceError, SubjectExport, UnsubscribeSettings,
};
pub use edge::memory::{MemoryStore, RecordingMailer, RefusedDelivery};
pub use edge::ports::{AppendOutcome, ConsentStore, EraseOutcome, Mailer};
pub use ids::{EventId, IdError, ListId, Scope, TenantId};
pub use message::{Header, MessageBuilder, MessageError, OutboundMessage};
