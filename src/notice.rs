//! Policy versions and change notices.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::address::EmailAddress;
use crate::catalogue::ids;
use crate::consent::{Action, Basis, ConsentEvent, ConsentState, LedgerPolicy};
use crate::decision::Reason;

/// One version of the privacy policy.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// Its id, as recorded in consent evidence (`Evidence::policy_version`).
    pub id: String,
    /// When it takes effect.
    pub effective_from: DateTime<Utc>,
    /// Whether the change is material (changes how personal data is used).
    pub material: bool,
    /// What changed, for the notice.
    pub summary: String,
}

/// One person as the notice plan needs them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeRecipient {
    /// The person.
    pub address: EmailAddress,
    /// Whether they have an active relationship (a permission on any list,
    /// or an open customer account).
    pub active_relationship: bool,
    /// The policy version their latest consent was recorded under.
    pub consent_policy_version: Option<String>,
}

impl NoticeRecipient {
    /// Derive a recipient from their whole history (all tenants and lists).
    pub fn from_history(
        address: &EmailAddress,
        events: &[ConsentEvent],
        policy: &LedgerPolicy,
        now: DateTime<Utc>,
    ) -> Self {
        let states = ConsentState::replay_person(address, events, policy, now);
        let subscribed = states.iter().any(ConsentState::permits_promotional);
        let customer = events.iter().any(|e| {
            matches!(
                e.action,
                Action::OptedIn {
                    basis: Basis::ExistingCustomer
                } | Action::AccountReopened
            )
        }) && states.iter().all(ConsentState::account_open);
        let consent_policy_version = events
            .iter()
            .filter(|e| matches!(e.action, Action::OptedIn { .. }) && e.at <= now)
            .max_by_key(|e| (e.at, e.id.clone()))
            .and_then(|e| e.evidence.policy_version.clone());
        NoticeRecipient {
            address: address.clone(),
            active_relationship: subscribed || customer,
            consent_policy_version,
        }
    }
}

/// Who must be told of a policy change, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticePlan {
    /// The new version.
    pub version: String,
    /// Whether the change is material.
    pub material: bool,
    /// Put a notice on the home page (always).
    pub home_page_notice: bool,
    /// Email these people (a material change: everyone with an active
    /// relationship; otherwise nobody).
    pub email: Vec<EmailAddress>,
    /// People whose consent was recorded under a version older than this
    /// material change: they need fresh notice before their consent is
    /// relied on for the new uses.
    pub needs_fresh_notice: Vec<EmailAddress>,
    /// Notices should reach people before this.
    pub notify_before: DateTime<Utc>,
    /// Why.
    pub reasons: Vec<Reason>,
}

/// Why a notice plan cannot be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NoticeError {
    /// The next version does not take effect after the previous one.
    #[error("version `{next}` must take effect after `{previous}`")]
    NotNewer {
        /// The previous version.
        previous: String,
        /// The next version.
        next: String,
    },
}

/// Plan the notice of a change from `previous` to `next`.
///
/// # Errors
///
/// [`NoticeError::NotNewer`] when `next` does not take effect after
/// `previous`.
pub fn notice_plan<'a, I>(
    previous: &PolicyVersion,
    next: &PolicyVersion,
    audience: I,
) -> Result<NoticePlan, NoticeError>
where
    I: IntoIterator<Item = &'a NoticeRecipient>,
{
    if next.effective_from <= previous.effective_from || next.id == previous.id {
        return Err(NoticeError::NotNewer {
            previous: previous.id.clone(),
            next: next.id.clone(),
        });
    }
    let mut reasons = vec![Reason::new(
        ids::NOTICE_HOME_PAGE,
        format!(
            "every policy change is announced on the home page: {}",
            next.summary
        ),
    )];
    let mut email = Vec::new();
    let mut fresh = Vec::new();
    if next.material {
        reasons.push(Reason::new(
            ids::NOTICE_MATERIAL,
            "a material change is emailed to everyone with an active relationship",
        ));
        for r in audience {
            if r.active_relationship {
                email.push(r.address.clone());
                if r.consent_policy_version.as_deref() != Some(next.id.as_str()) {
                    fresh.push(r.address.clone());
                }
            }
        }
    }
    Ok(NoticePlan {
        version: next.id.clone(),
        material: next.material,
        home_page_notice: true,
        email,
        needs_fresh_notice: fresh,
        notify_before: next.effective_from,
        reasons,
    })
}
