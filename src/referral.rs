//! Refer-a-friend: may a referrer's friend get the one-time invite?

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::address::{EmailAddress, ListId, TenantId};
use crate::consent::ConsentState;
use crate::decision::{ids, Reason, RuleId};
use crate::eligibility::Requirement;
use crate::retention::{RecordKind, RetainedRecord, RetentionDecision, RetentionPolicy};

/// A referrer asks the tenant to invite a friend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralRequest {
    /// The tenant that would send the invite.
    pub tenant: TenantId,
    /// The list the invite is about.
    pub list: ListId,
    /// Who refers.
    pub referrer: EmailAddress,
    /// The friend's address.
    pub friend: EmailAddress,
    /// When the invite would go out.
    pub at: DateTime<Utc>,
}

/// Rule: one invite per friend address per tenant.
pub const REFERRAL_ONCE: RuleId = ids::REFERRAL_ONCE;
/// Rule: never to a suppressed address.
pub const REFERRAL_SUPPRESSED: RuleId = ids::REFERRAL_SUPPRESSED;
/// Rule: a referrer cannot refer themselves.
pub const REFERRAL_SELF: RuleId = ids::REFERRAL_SELF;
/// Rule: the invite may go out; it creates no consent.
pub const REFERRAL_PERMITTED: RuleId = ids::REFERRAL_PERMITTED;
/// Rule: the friend's state belongs to another tenant, list or address.
pub const REFERRAL_MISMATCH: RuleId = ids::REFERRAL_MISMATCH;

/// The answer for a referral invite. Deliberately exhaustive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ReferralDecision {
    /// Send the one invite. It creates no consent for the friend (record
    /// nothing in the ledger for it) and must carry an opt-out.
    Send {
        /// What the invite must carry.
        requirements: Vec<Requirement>,
        /// The retention rule that now applies to the friend's address.
        friend_address_retention: RetentionDecision,
        /// Why.
        reasons: Vec<Reason>,
    },
    /// Do not send.
    Refuse {
        /// Why.
        reasons: Vec<Reason>,
    },
}

impl ReferralDecision {
    /// Whether the invite may go out.
    pub fn is_send(&self) -> bool {
        matches!(self, ReferralDecision::Send { .. })
    }
}

/// Decide whether the one-time invite may go to the friend.
///
/// `already_invited` says whether this tenant ever sent an invite to this
/// friend address (by canonical key); `friend` is the friend's consent
/// state for the tenant and list. Refused when already invited, when the
/// friend is suppressed at any scope or ever opted out, or when the
/// referrer names themselves.
pub fn decide_referral(
    request: &ReferralRequest,
    already_invited: bool,
    friend: &ConsentState,
    retention: &RetentionPolicy,
) -> ReferralDecision {
    let mut reasons = Vec::new();
    let key = friend.key();
    if key.address != request.friend || key.tenant != request.tenant || key.list != request.list {
        reasons.push(Reason::new(
            REFERRAL_MISMATCH,
            "the friend's consent state is for another address, tenant or list",
        ));
    }
    if request.friend == request.referrer {
        reasons.push(Reason::new(
            REFERRAL_SELF,
            "a referrer cannot refer themselves",
        ));
    }
    if already_invited {
        reasons.push(Reason::new(
            REFERRAL_ONCE,
            "this tenant already sent its one invite to this address",
        ));
    }
    if !friend.suppressions().is_empty() || friend.has_opted_out() || !friend.account_open() {
        reasons.push(Reason::new(
            REFERRAL_SUPPRESSED,
            "the friend's address is suppressed or opted out",
        ));
    }
    if !reasons.is_empty() {
        return ReferralDecision::Refuse { reasons };
    }
    let record = RetainedRecord {
        kind: RecordKind::ReferralAddress {
            invite_sent_at: Some(request.at),
        },
        created_at: request.at,
    };
    ReferralDecision::Send {
        requirements: vec![Requirement::UnsubscribeLink, Requirement::PostalAddress],
        friend_address_retention: retention.due(&record, request.at),
        reasons: vec![Reason::new(
            REFERRAL_PERMITTED,
            "one invite may go out; it subscribes the friend to nothing and carries an opt-out",
        )],
    }
}
