//! Refer-a-friend: may a referrer's friend get the one-time invite?

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::address::EmailAddress;
use crate::catalogue::ids;
use crate::consent::ConsentState;
use crate::decision::{Decision, Reason, Reasons};
use crate::eligibility::Requirement;
use crate::ids::{ListId, TenantId};
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

/// The answer for a referral invite. Deliberately exhaustive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ReferralOutcome {
    /// Send the one invite. It creates no consent for the friend (record
    /// nothing in the ledger for it) and must carry an opt-out.
    Send {
        /// What the invite must carry.
        requirements: Vec<Requirement>,
        /// The retention rule that now applies to the friend's address.
        friend_address_retention: RetentionDecision,
    },
    /// Do not send.
    Refuse,
}

impl std::fmt::Display for ReferralOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ReferralOutcome::Send { .. } => "send",
            ReferralOutcome::Refuse => "refuse",
        })
    }
}

/// A referral decision.
pub type ReferralDecision = Decision<ReferralOutcome>;

impl Decision<ReferralOutcome> {
    /// Whether the invite may go out.
    pub fn is_send(&self) -> bool {
        matches!(self.outcome(), ReferralOutcome::Send { .. })
    }
}

/// The rules of refer-a-friend: one invite per friend address per tenant,
/// never to a suppressed or opted-out address, never to the referrer, and
/// how long the friend's address is kept ([`RetentionPolicy`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReferralPolicy {
    /// How long the friend's address is kept.
    pub retention: RetentionPolicy,
}

impl ReferralPolicy {
    /// Decide whether the one-time invite may go to the friend.
    ///
    /// `already_invited` says whether this tenant ever sent an invite to this
    /// friend address (by canonical key); `friend` is the friend's consent
    /// state for the tenant and list. Refused when already invited, when the
    /// friend is suppressed at any scope or ever opted out, or when the
    /// referrer names themselves.
    pub fn decide(
        &self,
        request: &ReferralRequest,
        already_invited: bool,
        friend: &ConsentState,
    ) -> ReferralDecision {
        let mut reasons = Reasons::new();
        let key = friend.key();
        if key.address != request.friend || key.tenant != request.tenant || key.list != request.list
        {
            reasons.push(Reason::new(
                ids::REFERRAL_MISMATCH,
                "the friend's consent state is for another address, tenant or list",
            ));
        }
        if request.friend == request.referrer {
            reasons.push(Reason::new(
                ids::REFERRAL_SELF,
                "a referrer cannot refer themselves",
            ));
        }
        if already_invited {
            reasons.push(Reason::new(
                ids::REFERRAL_ONCE,
                "this tenant already sent its one invite to this address",
            ));
        }
        if !friend.suppressions().is_empty() || friend.has_opted_out() || !friend.account_open() {
            reasons.push(Reason::new(
                ids::REFERRAL_SUPPRESSED,
                "the friend's address is suppressed or opted out",
            ));
        }
        if let Some(refused) = Decision::with_reasons(ReferralOutcome::Refuse, reasons) {
            return refused;
        }
        let record = RetainedRecord {
            kind: RecordKind::ReferralAddress {
                invite_sent_at: Some(request.at),
            },
            created_at: request.at,
        };
        Decision::new(
            ReferralOutcome::Send {
                requirements: vec![Requirement::UnsubscribeLink, Requirement::PostalAddress],
                friend_address_retention: self.retention.decide(&record, request.at),
            },
            Reason::new(
                ids::REFERRAL_PERMITTED,
                "one invite may go out; it subscribes the friend to nothing and carries an opt-out",
            ),
        )
    }
}
