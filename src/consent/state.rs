//! The fold: a consent state derived from an event history.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};
use enumset::EnumSetType;
use serde::{Deserialize, Serialize};

use super::event::{Action, Basis, ConsentEvent, ConsentKey, ImpliedGround};
use super::policy::LedgerPolicy;
use crate::address::EmailAddress;
use crate::catalogue::ids;
use crate::decision::Reason;
use crate::ids::EventId;
use crate::ids::{ListId, Scope, TenantId};

/// A permission to send promotional mail.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Permission {
    /// The basis of the opt-in that granted it.
    pub basis: Basis,
    /// When it was granted.
    pub since: DateTime<Utc>,
    /// The event that granted it.
    pub event: EventId,
    /// Whether its evidence is weak (no policy version or no source).
    pub weak_evidence: bool,
    /// When it lapses (an implied consent, [`Basis::Implied`]); `None`
    /// for express consent, which never lapses until withdrawn. The state
    /// holds no lapsed permission: replayed at or after this instant it
    /// has none, and [`explain`](ConsentState::explain) says when it lapsed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lapses_at: Option<DateTime<Utc>>,
}

/// A double opt-in request waiting for its confirmation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingConfirmation {
    /// When the request was made.
    pub requested_at: DateTime<Utc>,
    /// The last moment a confirmation is accepted.
    pub expires_at: DateTime<Utc>,
    /// The request event.
    pub event: EventId,
}

/// What a suppression is for: the one vocabulary the state, the campaign
/// index, erasure and the send decision share. Deliberately exhaustive.
#[derive(Debug, Hash, PartialOrd, Ord, Serialize, Deserialize, EnumSetType)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    /// The person opted out (list or tenant scope).
    OptedOut,
    /// The person complained, marking mail as spam (tenant scope).
    Complaint,
    /// A hard bounce (global).
    #[serde(alias = "bounce")]
    HardBounce,
    /// Soft bounces in a row reached the policy's threshold (global).
    SoftBounceStreak,
    /// The person's account was cancelled (tenant scope); stops
    /// transactional mail too.
    AccountCancelled,
}

impl SuppressionKind {
    /// Whether this kind stops transactional mail too: deliverability
    /// problems and a cancelled account do; opt-outs and complaints are
    /// about marketing.
    pub fn blocks_transactional(self) -> bool {
        match self {
            SuppressionKind::HardBounce
            | SuppressionKind::SoftBounceStreak
            | SuppressionKind::AccountCancelled => true,
            SuppressionKind::OptedOut | SuppressionKind::Complaint => false,
        }
    }

    /// Whether a suppression-cleared event lifts it (bounces only).
    pub fn is_bounce(self) -> bool {
        match self {
            SuppressionKind::HardBounce | SuppressionKind::SoftBounceStreak => true,
            SuppressionKind::OptedOut
            | SuppressionKind::Complaint
            | SuppressionKind::AccountCancelled => false,
        }
    }

    /// The kind's stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionKind::OptedOut => "opted_out",
            SuppressionKind::Complaint => "complaint",
            SuppressionKind::HardBounce => "hard_bounce",
            SuppressionKind::SoftBounceStreak => "soft_bounce_streak",
            SuppressionKind::AccountCancelled => "account_cancelled",
        }
    }
}

impl fmt::Display for SuppressionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An active suppression.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Where it applies.
    pub scope: Scope,
    /// What for.
    pub kind: SuppressionKind,
    /// Since when.
    pub since: DateTime<Utc>,
    /// The event that caused it.
    pub event: EventId,
}

impl Suppression {
    /// Whether this suppression blocks transactional mail too (only
    /// deliverability problems do; opt-outs and complaints are about
    /// marketing).
    pub fn blocks_transactional(&self) -> bool {
        self.kind.blocks_transactional()
    }
}

/// The consent state of one (tenant, list, address): the fold of its events.
///
/// Build it with [`ConsentState::replay`]; it never changes afterwards. It
/// holds no clock: `now` was fixed when it was built.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentState {
    key: ConsentKey,
    as_of: DateTime<Utc>,
    permission: Option<Permission>,
    pending: Option<PendingConfirmation>,
    suppressions: Vec<Suppression>,
    account_cancelled: Option<DateTime<Utc>>,
    soft_bounce_streak: u32,
    opted_out_ever: bool,
    events_applied: usize,
    explanation: Vec<Reason>,
}

/// Sort order of the fold: by time; at equal times opt-in-like events
/// first (so the opt-out wins); then by id; a total order for the rare
/// same-id ties so the fold never depends on input order.
pub(crate) fn fold_order(a: &ConsentEvent, b: &ConsentEvent) -> Ordering {
    a.at.cmp(&b.at)
        .then_with(|| a.action.is_opt_out_like().cmp(&b.action.is_opt_out_like()))
        .then_with(|| a.id.cmp(&b.id))
        .then_with(|| a.action.cmp(&b.action))
        .then_with(|| a.list.cmp(&b.list))
        .then_with(|| a.address.as_str().cmp(b.address.as_str()))
        .then_with(|| a.evidence.cmp(&b.evidence))
}

impl ConsentState {
    /// The state of a key with no history: no permission, nothing suppressed.
    pub fn empty(key: ConsentKey, now: DateTime<Utc>) -> Self {
        ConsentState {
            key,
            as_of: now,
            permission: None,
            pending: None,
            suppressions: Vec::new(),
            account_cancelled: None,
            soft_bounce_streak: 0,
            opted_out_ever: false,
            events_applied: 0,
            explanation: Vec::new(),
        }
    }

    /// Fold `events` into the state of `key` as of `now`.
    ///
    /// The events may come in any order and may include events about other
    /// keys (they are skipped, see [`ConsentEvent::concerns`]) and repeated
    /// ids (applied once). They are sorted by time; at an equal time
    /// opt-out-like events apply after opt-in-like ones, so the opt-out wins.
    /// Opt-in-like events dated after `now` are ignored; opt-out-like ones
    /// apply whatever their date.
    ///
    /// The rules, each named in [`explain`](Self::explain) when it applies:
    /// an opt-out beats every earlier opt-in; after an opt-out or complaint
    /// only a later express act restores permission; a double opt-in request
    /// is pending until confirmed within the window; a hard bounce or a run
    /// of soft bounces suppresses globally until cleared; a complaint
    /// suppresses the tenant; a cancelled account stops all mail.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::{
    ///     Action, Basis, ConsentEvent, ConsentKey, ConsentState, EmailAddress, EventId,
    ///     Evidence, LedgerPolicy, ListId, OptOutChannel, TenantId,
    /// };
    ///
    /// let key = ConsentKey::new(
    ///     TenantId::new("acme")?,
    ///     ListId::new("news")?,
    ///     EmailAddress::parse("ann@example.com")?,
    /// );
    /// let at = |h| Utc.with_ymd_and_hms(2026, 1, 1, h, 0, 0).unwrap();
    /// let event = |id: &str, h, action| ConsentEvent {
    ///     id: EventId::new(id).unwrap(),
    ///     at: at(h),
    ///     tenant: key.tenant.clone(),
    ///     list: Some(key.list.clone()),
    ///     address: key.address.clone(),
    ///     action,
    ///     evidence: Evidence::default(),
    /// };
    /// let events = [
    ///     event("2", 2, Action::OptedOut { via: OptOutChannel::OneClick }),
    ///     event("1", 1, Action::OptedIn { basis: Basis::ExpressForm }),
    ///     event("3", 3, Action::OptedIn {
    ///         basis: Basis::Imported { attestation: "CRM export".into() },
    ///     }),
    /// ];
    /// let state = ConsentState::replay(&key, &events, &LedgerPolicy::default(), at(4));
    /// assert!(!state.permits_promotional());
    /// assert!(state.permits_transactional());
    /// assert!(state
    ///     .explain()
    ///     .iter()
    ///     .any(|r| r.rule.as_str() == "consent.opt_out.express_act_required"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn replay<'a, I>(
        key: &ConsentKey,
        events: I,
        policy: &LedgerPolicy,
        now: DateTime<Utc>,
    ) -> Self
    where
        I: IntoIterator<Item = &'a ConsentEvent>,
    {
        let mut relevant: Vec<&ConsentEvent> =
            events.into_iter().filter(|e| e.concerns(key)).collect();
        relevant.sort_by(|a, b| fold_order(a, b));
        // A repeated event (same id, same content) is applied once. Two
        // events that share an id but differ are both applied: an id
        // collision must never lose an opt-out. Equal events sort next to
        // each other's run of equal fold keys, so each is compared only
        // with the few events of its run (no hashing of whole events).
        let mut state = ConsentState::empty(key.clone(), now);
        let mut run_start = 0usize;
        for (i, event) in relevant.iter().enumerate() {
            let starts_run = match i.checked_sub(1).and_then(|p| relevant.get(p)) {
                Some(previous) => fold_order(previous, event) != Ordering::Equal,
                None => true,
            };
            if starts_run {
                run_start = i;
            }
            let repeated = relevant
                .get(run_start..i)
                .is_some_and(|earlier| earlier.contains(event));
            if repeated {
                continue;
            }
            state.apply(event, policy, now);
        }
        state.finish(now);
        state
    }

    fn note(&mut self, reason: Reason) {
        self.explanation.push(reason);
    }

    fn list_scope(&self, event: &ConsentEvent) -> Scope {
        match &event.list {
            Some(list) => Scope::List(event.tenant.clone(), list.clone()),
            None => Scope::Tenant(event.tenant.clone()),
        }
    }

    fn apply(&mut self, event: &ConsentEvent, policy: &LedgerPolicy, now: DateTime<Utc>) {
        if event.at > now && !event.action.is_opt_out_like() {
            self.note(Reason::new(
                ids::FUTURE_OPT_IN_IGNORED,
                format!(
                    "event `{}` ({}) is dated {} after now ({}) and was ignored",
                    event.id,
                    event.action.name(),
                    event.at,
                    now
                ),
            ));
            return;
        }
        self.events_applied += 1;
        match &event.action {
            Action::OptedIn { basis } => self.opt_in(event, basis, policy),
            Action::OptedOut { via } => {
                let scope = self.list_scope(event);
                self.block(
                    event,
                    scope,
                    SuppressionKind::OptedOut,
                    format!("opted out via {via} on {}", event.at),
                );
            }
            Action::Complained => {
                let scope = Scope::Tenant(event.tenant.clone());
                self.block(
                    event,
                    scope,
                    SuppressionKind::Complaint,
                    format!(
                        "complained on {}; suppressed for every list of tenant `{}`",
                        event.at, event.tenant
                    ),
                );
            }
            Action::HardBounced => {
                if !self
                    .suppressions
                    .iter()
                    .any(|s| s.kind == SuppressionKind::HardBounce)
                {
                    self.suppressions.push(Suppression {
                        scope: Scope::Global,
                        kind: SuppressionKind::HardBounce,
                        since: event.at,
                        event: event.id.clone(),
                    });
                    self.note(Reason::new(
                        ids::HARD_BOUNCE,
                        format!(
                            "hard bounce on {}; suppressed globally until cleared",
                            event.at
                        ),
                    ));
                }
            }
            Action::SoftBounced => {
                self.soft_bounce_streak = self.soft_bounce_streak.saturating_add(1);
                let threshold = policy.soft_bounce_threshold();
                let already = self
                    .suppressions
                    .iter()
                    .any(|s| s.kind == SuppressionKind::SoftBounceStreak);
                if self.soft_bounce_streak >= threshold && !already {
                    self.suppressions.push(Suppression {
                        scope: Scope::Global,
                        kind: SuppressionKind::SoftBounceStreak,
                        since: event.at,
                        event: event.id.clone(),
                    });
                    self.note(Reason::new(
                        ids::SOFT_BOUNCE_STREAK,
                        format!(
                            "{} soft bounces in a row by {} (threshold {threshold}); suppressed globally until cleared",
                            self.soft_bounce_streak, event.at
                        ),
                    ));
                }
            }
            Action::Delivered => {
                self.soft_bounce_streak = 0;
            }
            Action::SuppressionCleared { by } => {
                self.soft_bounce_streak = 0;
                let before = self.suppressions.len();
                self.suppressions.retain(|s| !s.kind.is_bounce());
                if self.suppressions.len() != before {
                    self.note(Reason::new(
                        ids::SUPPRESSION_CLEARED,
                        format!("bounce suppression cleared by `{by}` on {}", event.at),
                    ));
                }
            }
            Action::AccountCancelled => {
                if self.account_cancelled.is_none() {
                    self.account_cancelled = Some(event.at);
                    self.note(Reason::new(
                        ids::ACCOUNT_CANCELLED,
                        format!(
                            "account cancelled on {}; all mail from tenant `{}` stops",
                            event.at, event.tenant
                        ),
                    ));
                }
            }
            Action::AccountReopened => {
                if self.account_cancelled.take().is_some() {
                    self.note(Reason::new(
                        ids::ACCOUNT_REOPENED,
                        format!("account reopened on {}", event.at),
                    ));
                }
            }
        }
    }

    fn block(&mut self, event: &ConsentEvent, scope: Scope, kind: SuppressionKind, what: String) {
        self.opted_out_ever = true;
        self.pending = None;
        let rule = if kind == SuppressionKind::Complaint {
            ids::COMPLAINT
        } else {
            ids::OPT_OUT_BEATS_OPT_IN
        };
        let sentence = match self.permission.take() {
            Some(p) => format!("{what}; withdraws the permission granted on {}", p.since),
            None => what,
        };
        self.note(Reason::new(rule, sentence));
        // One suppression per scope and reason kind is enough.
        let duplicate = self
            .suppressions
            .iter()
            .any(|s| s.scope == scope && s.kind == kind);
        if !duplicate {
            self.suppressions.push(Suppression {
                scope,
                kind,
                since: event.at,
                event: event.id.clone(),
            });
        }
    }

    fn opt_in(&mut self, event: &ConsentEvent, basis: &Basis, policy: &LedgerPolicy) {
        match basis {
            Basis::DoubleOptInRequested => {
                let expires_at = crate::time::add(event.at, policy.double_opt_in_window());
                self.pending = Some(PendingConfirmation {
                    requested_at: event.at,
                    expires_at,
                    event: event.id.clone(),
                });
                self.note(Reason::new(
                    ids::DOUBLE_OPT_IN_PENDING,
                    format!(
                        "double opt-in requested on {}; pending until confirmed (by {expires_at})",
                        event.at
                    ),
                ));
                return;
            }
            Basis::DoubleOptInConfirmed => match self.pending.take() {
                Some(p) if event.at <= p.expires_at => {}
                Some(p) => {
                    self.note(Reason::new(
                        ids::DOUBLE_OPT_IN_EXPIRED,
                        format!(
                            "confirmation on {} came after the window closed on {}; ignored",
                            event.at, p.expires_at
                        ),
                    ));
                    return;
                }
                None => {
                    self.note(Reason::new(
                        ids::DOUBLE_OPT_IN_EXPIRED,
                        format!(
                            "confirmation on {} matches no pending request; ignored",
                            event.at
                        ),
                    ));
                    return;
                }
            },
            Basis::ExpressForm if !policy.single_opt_in_allowed() => {
                self.note(Reason::new(
                    ids::SINGLE_OPT_IN_NOT_ACCEPTED,
                    format!(
                        "form opt-in on {} grants nothing: the policy requires double opt-in",
                        event.at
                    ),
                ));
                return;
            }
            Basis::ExistingCustomer if !policy.soft_opt_in_counts() => {
                self.note(Reason::new(
                    ids::SOFT_OPT_IN_NOT_ACCEPTED,
                    format!(
                        "existing-customer opt-in on {} grants nothing: the policy does not accept soft opt-in",
                        event.at
                    ),
                ));
                return;
            }
            Basis::Implied { ground, on } if !policy.implied_consent_counts() => {
                self.note(Reason::new(
                    ids::IMPLIED_CONSENT_NOT_ACCEPTED,
                    format!(
                        "implied consent from {ground} on {on} grants nothing: the policy does not accept implied consent"
                    ),
                ));
                return;
            }
            Basis::ExpressForm
            | Basis::ExistingCustomer
            | Basis::Imported { .. }
            | Basis::Implied { .. } => {}
        }
        if self.opted_out_ever && !basis.is_express() {
            self.note(Reason::new(
                ids::EXPRESS_ACT_REQUIRED,
                format!(
                    "{} opt-in on {} ignored: after an opt-out or complaint only an express act of the person restores permission",
                    basis_name(basis),
                    event.at
                ),
            ));
            return;
        }
        let weak = event.evidence.is_weak();
        let lapses_at = match basis {
            Basis::Implied { ground, on } => ground.lapses_at(*on),
            _ => None,
        };
        // Which permission the state holds: one that lasts longer (express
        // consent never lapses), then an express act over any other basis,
        // then strong evidence over weak. News about the same implied
        // relationship (a contract's or subscription's end date) replaces
        // what was known of it.
        let rank = |lapse: Option<DateTime<Utc>>, express: bool, weak: bool| {
            (lapse.unwrap_or(DateTime::<Utc>::MAX_UTC), express, !weak)
        };
        let replace = match &self.permission {
            None => true,
            Some(p) => {
                let same_relationship = match (&p.basis, basis) {
                    (Basis::Implied { ground: old, .. }, Basis::Implied { ground: new, .. }) => {
                        matches!(
                            (old, new),
                            (
                                ImpliedGround::Contract { .. },
                                ImpliedGround::Contract { .. }
                            ) | (
                                ImpliedGround::Subscription { .. },
                                ImpliedGround::Subscription { .. }
                            )
                        )
                    }
                    _ => false,
                };
                same_relationship
                    || rank(lapses_at, basis.is_express(), weak)
                        > rank(p.lapses_at, p.basis.is_express(), p.weak_evidence)
            }
        };
        if !replace {
            return;
        }
        // An express act after an opt-out or complaint lifts them for this key.
        let lifted_before = self.suppressions.len();
        self.suppressions.retain(|s| s.blocks_transactional());
        let lifted = lifted_before != self.suppressions.len();
        self.permission = Some(Permission {
            basis: basis.clone(),
            since: event.at,
            event: event.id.clone(),
            weak_evidence: weak,
            lapses_at,
        });
        let rule = match basis {
            Basis::DoubleOptInConfirmed => ids::DOUBLE_OPT_IN_CONFIRMED,
            Basis::Implied { .. } => ids::IMPLIED_CONSENT_GRANTED,
            _ => ids::OPT_IN_GRANTED,
        };
        let mut sentence = match basis {
            Basis::Implied { ground, on } => match lapses_at {
                Some(until) => format!(
                    "implied consent from {ground} on {on} grants permission until it lapses on {until}"
                ),
                None => format!(
                    "implied consent from {ground} on {on} grants permission; it does not lapse while the ground holds"
                ),
            },
            _ => format!(
                "{} opt-in on {} grants permission",
                basis_name(basis),
                event.at
            ),
        };
        if lifted {
            sentence.push_str("; lifts the earlier opt-out or complaint for this list");
        }
        self.note(Reason::new(rule, sentence));
        if weak {
            self.note(Reason::new(
                ids::OPT_IN_WEAK_EVIDENCE,
                format!(
                    "the opt-in on {} was recorded without a policy version or a source; its evidence is weak",
                    event.at
                ),
            ));
        }
    }

    fn finish(&mut self, now: DateTime<Utc>) {
        if let Some(p) = &self.permission {
            if let Some(lapsed) = p.lapses_at.filter(|at| *at <= now) {
                let what = match &p.basis {
                    Basis::Implied { ground, on } => {
                        format!("implied consent from {ground} on {on}")
                    }
                    _ => "the permission".to_owned(),
                };
                self.permission = None;
                self.note(Reason::new(
                    ids::IMPLIED_CONSENT_LAPSED,
                    format!(
                        "{what} lapsed on {lapsed}; only an express opt-in restores permission"
                    ),
                ));
            }
        }
        if let Some(p) = &self.pending {
            if p.expires_at < now {
                let expired = p.expires_at;
                self.pending = None;
                self.note(Reason::new(
                    ids::DOUBLE_OPT_IN_EXPIRED,
                    format!("the double opt-in request expired unconfirmed on {expired}"),
                ));
            }
        }
        if self.permission.is_none() && self.pending.is_none() && !self.opted_out_ever {
            self.note(Reason::new(
                ids::NO_PERMISSION,
                "no permission is recorded for this address and list",
            ));
        }
    }

    /// Every state of one person: one per (tenant, list) that their events
    /// name, in (tenant, list) order, each replayed over all of `events`
    /// (tenant-wide events count for every list). Events about other
    /// addresses are ignored. What a subject export and a policy-change
    /// notice are built from.
    pub fn replay_person(
        address: &EmailAddress,
        events: &[ConsentEvent],
        policy: &LedgerPolicy,
        now: DateTime<Utc>,
    ) -> Vec<ConsentState> {
        let keys: BTreeSet<(&TenantId, &ListId)> = events
            .iter()
            .filter(|e| e.address == *address)
            .filter_map(|e| e.list.as_ref().map(|l| (&e.tenant, l)))
            .collect();
        keys.into_iter()
            .map(|(tenant, list)| {
                let key = ConsentKey::new(tenant.clone(), list.clone(), address.clone());
                ConsentState::replay(&key, events, policy, now)
            })
            .collect()
    }

    /// The key this state is about.
    pub fn key(&self) -> &ConsentKey {
        &self.key
    }

    /// The `now` the state was computed at.
    pub fn as_of(&self) -> DateTime<Utc> {
        self.as_of
    }

    /// Whether promotional mail may be sent: a permission is held, nothing
    /// is suppressed at any scope, and the account is not cancelled.
    ///
    /// Weak evidence does not change this answer; the eligibility decision
    /// looks at [`Permission::weak_evidence`] itself.
    pub fn permits_promotional(&self) -> bool {
        self.permission.is_some() && self.suppressions.is_empty() && self.account_open()
    }

    /// Whether transactional mail may be sent: the address is deliverable
    /// (no bounce suppression) and the account is not cancelled. Opt-outs
    /// and complaints do not stop transactional mail.
    pub fn permits_transactional(&self) -> bool {
        self.account_open() && !self.suppressions.iter().any(|s| s.blocks_transactional())
    }

    /// The permission held, with its basis and since-when.
    pub fn permission(&self) -> Option<&Permission> {
        self.permission.as_ref()
    }

    /// A double opt-in request still waiting (and not yet expired at `now`).
    pub fn pending_confirmation(&self) -> Option<&PendingConfirmation> {
        self.pending.as_ref()
    }

    /// The active suppressions, with scope and reason.
    pub fn suppressions(&self) -> &[Suppression] {
        &self.suppressions
    }

    /// When the account was cancelled, if it is cancelled now.
    pub fn account_cancelled_since(&self) -> Option<DateTime<Utc>> {
        self.account_cancelled
    }

    /// Whether the account is open (never cancelled, or reopened).
    pub fn account_open(&self) -> bool {
        self.account_cancelled.is_none()
    }

    /// Whether the person has ever opted out or complained for this key.
    pub fn has_opted_out(&self) -> bool {
        self.opted_out_ever
    }

    /// Soft bounces since the last delivery or clearing.
    pub fn soft_bounce_streak(&self) -> u32 {
        self.soft_bounce_streak
    }

    /// How many distinct events shaped the state.
    pub fn events_applied(&self) -> usize {
        self.events_applied
    }

    /// The rules that shaped the state, in the order they applied.
    pub fn explain(&self) -> &[Reason] {
        &self.explanation
    }
}

fn basis_name(basis: &Basis) -> &'static str {
    match basis {
        Basis::ExpressForm => "form",
        Basis::DoubleOptInRequested => "double opt-in request",
        Basis::DoubleOptInConfirmed => "confirmed double",
        Basis::ExistingCustomer => "existing-customer (soft)",
        Basis::Imported { .. } => "imported",
        Basis::Implied { .. } => "implied",
    }
}
