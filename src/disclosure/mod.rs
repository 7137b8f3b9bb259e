//! Disclosure: may we hand this data to this recipient, for this purpose?
//!
//! A [`DisclosurePolicy`] is data: rules with stable ids, an [`Effect`]
//! (permit or forbid) and conditions over the recipient, the purpose, the
//! data categories, legal process, contract terms and cross-border
//! transfer. [`DisclosurePolicy::decide`] is forbid-overrides with a default
//! of deny and answers with a [`Decision<DisclosureOutcome>`](Decision)
//! naming the rules that made it. Policies load from JSON (or TOML, with
//! the `toml` feature) and are validated on load (unknown names,
//! unreachable rules, duplicate ids); rules are compiled to bit masks.
//!
//! [`DisclosurePolicy::default`] encodes the privacy statement: never sell,
//! rent or share personal data for a third party's own marketing; contracted
//! service providers get what the service needs; the partner who introduced
//! a customer gets limited account facts; legal process is permitted and
//! flagged for audit; ad partners get anonymous data only; payment card data
//! goes to the payment processor alone; credentials go to nobody; personal
//! data of people in the EU, EEA or Switzerland leaves only under a recorded
//! transfer mechanism.
//!
//! The module's files: [`vocabulary`](self) of a request
//! (`vocabulary.rs`), rules and their compilation (`rules.rs`), the default
//! policy (`default.rs`), collection points (`collection.rs`), and the
//! decision and its log record (here).
//!
//! ```
//! use consentry::disclosure::{
//!     DataCategory, DataSet, DisclosureOutcome, DisclosurePolicy, DisclosureRequest, Purpose,
//!     Recipient,
//! };
//!
//! let policy = DisclosurePolicy::default();
//! let list_buyer = DisclosureRequest::new(
//!     Recipient::OtherThirdParty,
//!     Purpose::SaleOrRental,
//!     DataSet::from([DataCategory::Email, DataCategory::Name]),
//! );
//! let d = policy.decide(&list_buyer);
//! assert_eq!(d.outcome(), &DisclosureOutcome::Deny);
//! assert_eq!(d.rule().as_str(), "disclosure.never_sell");
//! ```

mod collection;
mod default;
mod rules;
mod vocabulary;

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::address::EmailAddress;
use crate::decision::{Decision, RuleId};

pub use collection::{CollectionOutcome, CollectionPolicy};
pub use default::default_rules;
pub use rules::{
    Condition, DisclosureLoadError, DisclosurePolicy, DisclosurePolicyError,
    DisclosurePolicyProblem, DisclosureRule, DisclosureVerdict, Effect, MAX_RULES,
};
pub use vocabulary::{
    DataCategory, DataSet, DisclosureRequest, LegalProcess, Purpose, Recipient, RecipientKind,
    SubjectRegion, Transfer, TransferMechanism,
};

/// The answer to a disclosure request. Deliberately exhaustive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisclosureOutcome {
    /// The data may be handed over.
    Permit,
    /// It may not.
    Deny,
}

impl fmt::Display for DisclosureOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DisclosureOutcome::Permit => "permit",
            DisclosureOutcome::Deny => "deny",
        })
    }
}

/// A disclosure decision.
pub type DisclosureDecision = Decision<DisclosureOutcome>;

impl Decision<DisclosureOutcome> {
    /// Whether the disclosure is permitted.
    pub fn is_permitted(&self) -> bool {
        *self.outcome() == DisclosureOutcome::Permit
    }

    /// A log record of this decision about a person, for the audit trail
    /// and subject access.
    pub fn record(
        &self,
        subject: &EmailAddress,
        request: &DisclosureRequest,
        at: DateTime<Utc>,
    ) -> DisclosureRecord {
        DisclosureRecord {
            subject: subject.clone(),
            at,
            request: request.clone(),
            outcome: *self.outcome(),
            rules: self.reasons().iter().map(|r| r.rule.clone()).collect(),
            audit: self.requires_audit(),
        }
    }
}

/// A logged disclosure decision about one person.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DisclosureRecord {
    /// Whose data.
    pub subject: EmailAddress,
    /// When.
    pub at: DateTime<Utc>,
    /// What was asked.
    pub request: DisclosureRequest,
    /// What was decided.
    pub outcome: DisclosureOutcome,
    /// The deciding rules.
    pub rules: Vec<RuleId>,
    /// Whether it was flagged for audit.
    pub audit: bool,
}
