//! The consent ledger: events, evidence, the ledger policy and the fold.
//!
//! Consent is never an overwritable boolean. Opt-ins, confirmations,
//! opt-outs, bounces, complaints and account changes are [`ConsentEvent`]s
//! with [`Evidence`]; the current [`ConsentState`] of a (tenant, list,
//! address) is a pure fold over them ([`ConsentState::replay`]). The history
//! is the proof of every consent and of every honoured opt-out.

mod event;
mod policy;
pub(crate) mod state;

pub use event::{
    Action, Basis, ConsentEvent, ConsentKey, EventError, Evidence, ImpliedGround, OptOutChannel,
    MAX_TEXT_BYTES, MAX_USER_AGENT_BYTES,
};
pub use policy::{LedgerPolicy, LedgerPolicyBuilder, LedgerPolicyError, LedgerPolicyProblem};
pub use state::{ConsentState, PendingConfirmation, Permission, Suppression, SuppressionKind};
