//! The fold: a consent state derived from an event history.

use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::fmt;
use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use enumset::EnumSetType;
use serde::{Deserialize, Serialize};

use super::event::{Action, Basis, ConsentEvent, ConsentKey, ImpliedGround, OptOutChannel};
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
///
/// The fold records which rule applied to which event as it goes and
/// writes the sentences of [`explain`](Self::explain) only when they are
/// first asked for (a campaign that only asks "may we send?" never pays for
/// them). The serialised form carries the written sentences, as it always
/// has; a state read back from it explains itself with them.
#[derive(Clone)]
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
    explanation: Explanation,
}

/// The rules that applied, in order: noted cheaply during the fold, written
/// as sentences once, when first read.
#[derive(Clone, Default)]
struct Explanation {
    notes: Vec<Note>,
    written: OnceLock<Vec<Reason>>,
}

impl Explanation {
    fn written(written: Vec<Reason>) -> Self {
        Explanation {
            notes: Vec::new(),
            written: OnceLock::from(written),
        }
    }
}

/// One rule that applied, with what its sentence needs (times, names,
/// counts; no formatted text).
#[derive(Clone, Debug)]
enum Note {
    FutureIgnored {
        event: EventId,
        action: &'static str,
        at: DateTime<Utc>,
    },
    OptedOut {
        via: OptOutChannel,
        at: DateTime<Utc>,
        withdrew: Option<DateTime<Utc>>,
    },
    Complained {
        at: DateTime<Utc>,
        withdrew: Option<DateTime<Utc>>,
    },
    HardBounce {
        at: DateTime<Utc>,
    },
    SoftBounceStreak {
        streak: u32,
        threshold: u32,
        at: DateTime<Utc>,
    },
    Cleared {
        by: String,
        at: DateTime<Utc>,
    },
    AccountCancelled {
        at: DateTime<Utc>,
    },
    AccountReopened {
        at: DateTime<Utc>,
    },
    DoubleOptInPending {
        at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    },
    ConfirmationLate {
        at: DateTime<Utc>,
        closed: DateTime<Utc>,
    },
    ConfirmationUnmatched {
        at: DateTime<Utc>,
    },
    SingleOptInRefused {
        at: DateTime<Utc>,
    },
    SoftOptInRefused {
        at: DateTime<Utc>,
    },
    ImpliedRefused {
        ground: &'static str,
        on: DateTime<Utc>,
    },
    ExpressActRequired {
        basis: &'static str,
        at: DateTime<Utc>,
    },
    Granted {
        basis: &'static str,
        confirmed: bool,
        at: DateTime<Utc>,
        lifted: bool,
    },
    ImpliedGranted {
        ground: &'static str,
        on: DateTime<Utc>,
        until: Option<DateTime<Utc>>,
        lifted: bool,
    },
    WeakEvidence {
        at: DateTime<Utc>,
    },
    Lapsed {
        implied: Option<(&'static str, DateTime<Utc>)>,
        lapsed: DateTime<Utc>,
    },
    RequestExpired {
        expired: DateTime<Utc>,
    },
    NoPermission,
}

const LIFTED: &str = "; lifts the earlier opt-out or complaint for this list";

impl Note {
    /// The reason this note stands for, in the words the fold has always
    /// used (the serialised states and the audit trail keep them).
    fn write(&self, key: &ConsentKey, now: DateTime<Utc>) -> Reason {
        let withdrawn = |what: String, withdrew: &Option<DateTime<Utc>>| match withdrew {
            Some(since) => format!("{what}; withdraws the permission granted on {since}"),
            None => what,
        };
        match self {
            Note::FutureIgnored { event, action, at } => Reason::new(
                ids::FUTURE_OPT_IN_IGNORED,
                format!("event `{event}` ({action}) is dated {at} after now ({now}) and was ignored"),
            ),
            Note::OptedOut { via, at, withdrew } => Reason::new(
                ids::OPT_OUT_BEATS_OPT_IN,
                withdrawn(format!("opted out via {via} on {at}"), withdrew),
            ),
            Note::Complained { at, withdrew } => Reason::new(
                ids::COMPLAINT,
                withdrawn(
                    format!(
                        "complained on {at}; suppressed for every list of tenant `{}`",
                        key.tenant
                    ),
                    withdrew,
                ),
            ),
            Note::HardBounce { at } => Reason::new(
                ids::HARD_BOUNCE,
                format!("hard bounce on {at}; suppressed globally until cleared"),
            ),
            Note::SoftBounceStreak {
                streak,
                threshold,
                at,
            } => Reason::new(
                ids::SOFT_BOUNCE_STREAK,
                format!(
                    "{streak} soft bounces in a row by {at} (threshold {threshold}); suppressed globally until cleared"
                ),
            ),
            Note::Cleared { by, at } => Reason::new(
                ids::SUPPRESSION_CLEARED,
                format!("bounce suppression cleared by `{by}` on {at}"),
            ),
            Note::AccountCancelled { at } => Reason::new(
                ids::ACCOUNT_CANCELLED,
                format!(
                    "account cancelled on {at}; all mail from tenant `{}` stops",
                    key.tenant
                ),
            ),
            Note::AccountReopened { at } => Reason::new(
                ids::ACCOUNT_REOPENED,
                format!("account reopened on {at}"),
            ),
            Note::DoubleOptInPending { at, expires_at } => Reason::new(
                ids::DOUBLE_OPT_IN_PENDING,
                format!(
                    "double opt-in requested on {at}; pending until confirmed (by {expires_at})"
                ),
            ),
            Note::ConfirmationLate { at, closed } => Reason::new(
                ids::DOUBLE_OPT_IN_EXPIRED,
                format!("confirmation on {at} came after the window closed on {closed}; ignored"),
            ),
            Note::ConfirmationUnmatched { at } => Reason::new(
                ids::DOUBLE_OPT_IN_EXPIRED,
                format!("confirmation on {at} matches no pending request; ignored"),
            ),
            Note::SingleOptInRefused { at } => Reason::new(
                ids::SINGLE_OPT_IN_NOT_ACCEPTED,
                format!(
                    "form opt-in on {at} grants nothing: the policy requires double opt-in"
                ),
            ),
            Note::SoftOptInRefused { at } => Reason::new(
                ids::SOFT_OPT_IN_NOT_ACCEPTED,
                format!(
                    "existing-customer opt-in on {at} grants nothing: the policy does not accept soft opt-in"
                ),
            ),
            Note::ImpliedRefused { ground, on } => Reason::new(
                ids::IMPLIED_CONSENT_NOT_ACCEPTED,
                format!(
                    "implied consent from {ground} on {on} grants nothing: the policy does not accept implied consent"
                ),
            ),
            Note::ExpressActRequired { basis, at } => Reason::new(
                ids::EXPRESS_ACT_REQUIRED,
                format!(
                    "{basis} opt-in on {at} ignored: after an opt-out or complaint only an express act of the person restores permission"
                ),
            ),
            Note::Granted {
                basis,
                confirmed,
                at,
                lifted,
            } => Reason::new(
                if *confirmed {
                    ids::DOUBLE_OPT_IN_CONFIRMED
                } else {
                    ids::OPT_IN_GRANTED
                },
                format!(
                    "{basis} opt-in on {at} grants permission{}",
                    if *lifted { LIFTED } else { "" }
                ),
            ),
            Note::ImpliedGranted {
                ground,
                on,
                until,
                lifted,
            } => {
                let lifted = if *lifted { LIFTED } else { "" };
                Reason::new(
                    ids::IMPLIED_CONSENT_GRANTED,
                    match until {
                        Some(until) => format!(
                            "implied consent from {ground} on {on} grants permission until it lapses on {until}{lifted}"
                        ),
                        None => format!(
                            "implied consent from {ground} on {on} grants permission; it does not lapse while the ground holds{lifted}"
                        ),
                    },
                )
            }
            Note::WeakEvidence { at } => Reason::new(
                ids::OPT_IN_WEAK_EVIDENCE,
                format!(
                    "the opt-in on {at} was recorded without a policy version or a source; its evidence is weak"
                ),
            ),
            Note::Lapsed { implied, lapsed } => {
                let what = match implied {
                    Some((ground, on)) => format!("implied consent from {ground} on {on}"),
                    None => "the permission".to_owned(),
                };
                Reason::new(
                    ids::IMPLIED_CONSENT_LAPSED,
                    format!(
                        "{what} lapsed on {lapsed}; only an express opt-in restores permission"
                    ),
                )
            }
            Note::RequestExpired { expired } => Reason::new(
                ids::DOUBLE_OPT_IN_EXPIRED,
                format!("the double opt-in request expired unconfirmed on {expired}"),
            ),
            Note::NoPermission => Reason::new(
                ids::NO_PERMISSION,
                "no permission is recorded for this address and list",
            ),
        }
    }
}

/// The serialised form of a state, field for field (written by reference,
/// read into owned values).
#[derive(Serialize)]
struct StateRef<'a> {
    key: &'a ConsentKey,
    as_of: DateTime<Utc>,
    permission: &'a Option<Permission>,
    pending: &'a Option<PendingConfirmation>,
    suppressions: &'a [Suppression],
    account_cancelled: Option<DateTime<Utc>>,
    soft_bounce_streak: u32,
    opted_out_ever: bool,
    events_applied: usize,
    explanation: &'a [Reason],
}

#[derive(Deserialize)]
struct StateOwned {
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

impl Serialize for ConsentState {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        StateRef {
            key: &self.key,
            as_of: self.as_of,
            permission: &self.permission,
            pending: &self.pending,
            suppressions: &self.suppressions,
            account_cancelled: self.account_cancelled,
            soft_bounce_streak: self.soft_bounce_streak,
            opted_out_ever: self.opted_out_ever,
            events_applied: self.events_applied,
            explanation: self.explain(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for ConsentState {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = StateOwned::deserialize(deserializer)?;
        Ok(ConsentState {
            key: s.key,
            as_of: s.as_of,
            permission: s.permission,
            pending: s.pending,
            suppressions: s.suppressions,
            account_cancelled: s.account_cancelled,
            soft_bounce_streak: s.soft_bounce_streak,
            opted_out_ever: s.opted_out_ever,
            events_applied: s.events_applied,
            explanation: Explanation::written(s.explanation),
        })
    }
}

impl PartialEq for ConsentState {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
            && self.as_of == other.as_of
            && self.permission == other.permission
            && self.pending == other.pending
            && self.suppressions == other.suppressions
            && self.account_cancelled == other.account_cancelled
            && self.soft_bounce_streak == other.soft_bounce_streak
            && self.opted_out_ever == other.opted_out_ever
            && self.events_applied == other.events_applied
            && self.explain() == other.explain()
    }
}

impl Eq for ConsentState {}

impl fmt::Debug for ConsentState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConsentState")
            .field("key", &self.key)
            .field("as_of", &self.as_of)
            .field("permission", &self.permission)
            .field("pending", &self.pending)
            .field("suppressions", &self.suppressions)
            .field("account_cancelled", &self.account_cancelled)
            .field("soft_bounce_streak", &self.soft_bounce_streak)
            .field("opted_out_ever", &self.opted_out_ever)
            .field("events_applied", &self.events_applied)
            .field("explanation", &self.explain())
            .finish()
    }
}

/// Events of one key gathered on the stack before any vector is needed.
const INLINE_EVENTS: usize = 32;

/// An event with the head of its fold order packed in one integer.
type Keyed<'a> = (u128, &'a ConsentEvent);

/// The first two keys of [`fold_order`] as one integer: the instant
/// (seconds with the sign bit flipped, so unsigned order is time order,
/// then nanoseconds) and whether the event is opt-out-like (last).
fn order_key(e: &ConsentEvent) -> u128 {
    let secs = (e.at.timestamp() as u64) ^ (1 << 63);
    let nanos = u128::from(e.at.timestamp_subsec_nanos());
    (u128::from(secs) << 64) | (nanos << 1) | u128::from(e.action.is_opt_out_like())
}

/// [`fold_order`] of two keyed events: the packed head first, the rest
/// only when it ties.
fn keyed_order(a: &Keyed<'_>, b: &Keyed<'_>) -> Ordering {
    a.0.cmp(&b.0).then_with(|| fold_order(a.1, b.1))
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

/// Where a suppression the fold holds applies. Every event it folds
/// concerns its key, so the tenant and list are the key's.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reach {
    Global,
    Tenant,
    List,
}

/// A permission while folding: borrowed from its event, owned once, at the
/// end.
#[derive(Clone, Copy)]
struct Held<'a> {
    basis: &'a Basis,
    since: DateTime<Utc>,
    event: &'a EventId,
    weak: bool,
    lapses_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Copy)]
struct Pending<'a> {
    requested_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    event: &'a EventId,
}

#[derive(Clone, Copy)]
struct Active<'a> {
    reach: Reach,
    kind: SuppressionKind,
    since: DateTime<Utc>,
    event: &'a EventId,
}

/// The fold in progress: everything borrowed from the events, nothing
/// allocated per event but a note.
struct Fold<'a> {
    permission: Option<Held<'a>>,
    pending: Option<Pending<'a>>,
    suppressions: Vec<Active<'a>>,
    account_cancelled: Option<DateTime<Utc>>,
    soft_bounce_streak: u32,
    opted_out_ever: bool,
    events_applied: usize,
    notes: Vec<Note>,
}

impl<'a> Fold<'a> {
    /// A fold of `events` events: room for a note each and three more for
    /// what `finish` adds, up to a few kilobytes (a long history grows the
    /// list as it goes rather than asking the system for fresh pages).
    fn new(events: usize) -> Self {
        Fold {
            permission: None,
            pending: None,
            suppressions: Vec::new(),
            account_cancelled: None,
            soft_bounce_streak: 0,
            opted_out_ever: false,
            events_applied: 0,
            notes: Vec::with_capacity(events.saturating_add(3).min(128)),
        }
    }

    fn apply(&mut self, event: &'a ConsentEvent, policy: &LedgerPolicy, now: DateTime<Utc>) {
        if event.at > now && !event.action.is_opt_out_like() {
            self.notes.push(Note::FutureIgnored {
                event: event.id.clone(),
                action: event.action.name(),
                at: event.at,
            });
            return;
        }
        self.events_applied += 1;
        match &event.action {
            Action::OptedIn { basis } => self.opt_in(event, basis, policy),
            Action::OptedOut { via } => {
                let reach = if event.list.is_some() {
                    Reach::List
                } else {
                    Reach::Tenant
                };
                let withdrew = self.block(event, reach, SuppressionKind::OptedOut);
                self.notes.push(Note::OptedOut {
                    via: *via,
                    at: event.at,
                    withdrew,
                });
            }
            Action::Complained => {
                let withdrew = self.block(event, Reach::Tenant, SuppressionKind::Complaint);
                self.notes.push(Note::Complained {
                    at: event.at,
                    withdrew,
                });
            }
            Action::HardBounced => {
                if !self
                    .suppressions
                    .iter()
                    .any(|s| s.kind == SuppressionKind::HardBounce)
                {
                    self.suppressions.push(Active {
                        reach: Reach::Global,
                        kind: SuppressionKind::HardBounce,
                        since: event.at,
                        event: &event.id,
                    });
                    self.notes.push(Note::HardBounce { at: event.at });
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
                    self.suppressions.push(Active {
                        reach: Reach::Global,
                        kind: SuppressionKind::SoftBounceStreak,
                        since: event.at,
                        event: &event.id,
                    });
                    self.notes.push(Note::SoftBounceStreak {
                        streak: self.soft_bounce_streak,
                        threshold,
                        at: event.at,
                    });
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
                    self.notes.push(Note::Cleared {
                        by: by.clone(),
                        at: event.at,
                    });
                }
            }
            Action::AccountCancelled => {
                if self.account_cancelled.is_none() {
                    self.account_cancelled = Some(event.at);
                    self.notes.push(Note::AccountCancelled { at: event.at });
                }
            }
            Action::AccountReopened => {
                if self.account_cancelled.take().is_some() {
                    self.notes.push(Note::AccountReopened { at: event.at });
                }
            }
        }
    }

    /// An opt-out or complaint: withdraws the permission (returning since
    /// when it was held) and suppresses at `reach`.
    fn block(
        &mut self,
        event: &'a ConsentEvent,
        reach: Reach,
        kind: SuppressionKind,
    ) -> Option<DateTime<Utc>> {
        self.opted_out_ever = true;
        self.pending = None;
        let withdrew = self.permission.take().map(|p| p.since);
        // One suppression per scope and reason kind is enough.
        let duplicate = self
            .suppressions
            .iter()
            .any(|s| s.reach == reach && s.kind == kind);
        if !duplicate {
            self.suppressions.push(Active {
                reach,
                kind,
                since: event.at,
                event: &event.id,
            });
        }
        withdrew
    }

    fn opt_in(&mut self, event: &'a ConsentEvent, basis: &'a Basis, policy: &LedgerPolicy) {
        let at = event.at;
        match basis {
            Basis::DoubleOptInRequested => {
                let expires_at = crate::time::add(at, policy.double_opt_in_window());
                self.pending = Some(Pending {
                    requested_at: at,
                    expires_at,
                    event: &event.id,
                });
                self.notes.push(Note::DoubleOptInPending { at, expires_at });
                return;
            }
            Basis::DoubleOptInConfirmed => match self.pending.take() {
                Some(p) if at <= p.expires_at => {}
                Some(p) => {
                    self.notes.push(Note::ConfirmationLate {
                        at,
                        closed: p.expires_at,
                    });
                    return;
                }
                None => {
                    self.notes.push(Note::ConfirmationUnmatched { at });
                    return;
                }
            },
            Basis::ExpressForm if !policy.single_opt_in_allowed() => {
                self.notes.push(Note::SingleOptInRefused { at });
                return;
            }
            Basis::ExistingCustomer if !policy.soft_opt_in_counts() => {
                self.notes.push(Note::SoftOptInRefused { at });
                return;
            }
            Basis::Implied { ground, on } if !policy.implied_consent_counts() => {
                self.notes.push(Note::ImpliedRefused {
                    ground: ground.name(),
                    on: *on,
                });
                return;
            }
            Basis::ExpressForm
            | Basis::ExistingCustomer
            | Basis::Imported { .. }
            | Basis::Implied { .. } => {}
        }
        if self.opted_out_ever && !basis.is_express() {
            self.notes.push(Note::ExpressActRequired {
                basis: basis_name(basis),
                at,
            });
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
                let same_relationship = match (p.basis, basis) {
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
                        > rank(p.lapses_at, p.basis.is_express(), p.weak)
            }
        };
        if !replace {
            return;
        }
        // An express act after an opt-out or complaint lifts them for this key.
        let lifted_before = self.suppressions.len();
        self.suppressions.retain(|s| s.kind.blocks_transactional());
        let lifted = lifted_before != self.suppressions.len();
        self.permission = Some(Held {
            basis,
            since: at,
            event: &event.id,
            weak,
            lapses_at,
        });
        self.notes.push(match basis {
            Basis::Implied { ground, on } => Note::ImpliedGranted {
                ground: ground.name(),
                on: *on,
                until: lapses_at,
                lifted,
            },
            _ => Note::Granted {
                basis: basis_name(basis),
                confirmed: matches!(basis, Basis::DoubleOptInConfirmed),
                at,
                lifted,
            },
        });
        if weak {
            self.notes.push(Note::WeakEvidence { at });
        }
    }

    /// Lapses and expiries as of `now`, then the state, owned.
    fn finish(mut self, key: ConsentKey, now: DateTime<Utc>) -> ConsentState {
        if let Some(p) = self.permission {
            if let Some(lapsed) = p.lapses_at.filter(|at| *at <= now) {
                let implied = match p.basis {
                    Basis::Implied { ground, on } => Some((ground.name(), *on)),
                    _ => None,
                };
                self.permission = None;
                self.notes.push(Note::Lapsed { implied, lapsed });
            }
        }
        if let Some(p) = self.pending {
            if p.expires_at < now {
                self.pending = None;
                self.notes.push(Note::RequestExpired {
                    expired: p.expires_at,
                });
            }
        }
        if self.permission.is_none() && self.pending.is_none() && !self.opted_out_ever {
            self.notes.push(Note::NoPermission);
        }
        let scope = |reach: Reach| match reach {
            Reach::Global => Scope::Global,
            Reach::Tenant => Scope::Tenant(key.tenant.clone()),
            Reach::List => Scope::List(key.tenant.clone(), key.list.clone()),
        };
        let suppressions = self
            .suppressions
            .iter()
            .map(|s| Suppression {
                scope: scope(s.reach),
                kind: s.kind,
                since: s.since,
                event: s.event.clone(),
            })
            .collect();
        ConsentState {
            key,
            as_of: now,
            permission: self.permission.map(|p| Permission {
                basis: p.basis.clone(),
                since: p.since,
                event: p.event.clone(),
                weak_evidence: p.weak,
                lapses_at: p.lapses_at,
            }),
            pending: self.pending.map(|p| PendingConfirmation {
                requested_at: p.requested_at,
                expires_at: p.expires_at,
                event: p.event.clone(),
            }),
            suppressions,
            account_cancelled: self.account_cancelled,
            soft_bounce_streak: self.soft_bounce_streak,
            opted_out_ever: self.opted_out_ever,
            events_applied: self.events_applied,
            explanation: Explanation {
                notes: self.notes,
                written: OnceLock::new(),
            },
        }
    }
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
            explanation: Explanation::default(),
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
    /// Events already in that order with no repeat (a history in time
    /// order, say, as a store that appends events as they happen keeps
    /// it) are folded as they come, without sorting, and so are events in
    /// exactly the reverse of that order (newest first, as a query sorted
    /// by descending time returns them); any other order costs a sort,
    /// never a different answer.
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
        Self::replay_owned(key.clone(), events, policy, now)
    }

    /// [`replay`](Self::replay) with the key handed over rather than
    /// copied (the driver builds a key per recipient).
    pub(crate) fn replay_owned<'a, I>(
        key: ConsentKey,
        events: I,
        policy: &LedgerPolicy,
        now: DateTime<Utc>,
    ) -> Self
    where
        I: IntoIterator<Item = &'a ConsentEvent>,
    {
        let mut events = events
            .into_iter()
            // Fused: the loop below stops at the 33rd event and `extend`
            // takes the rest, so `next` may be called after `None`.
            .fuse()
            .filter(|e| e.concerns(&key))
            .map(|e| (order_key(e), e));
        let Some(first) = events.next() else {
            return Fold::new(0).finish(key, now);
        };
        // A person's history is usually short: gather it on the stack, and
        // in a vector only beyond that. Each event carries the head of its
        // fold order (time, then opt-out-like last) as one integer, so most
        // comparisons below are one integer comparison.
        let mut inline = [first; INLINE_EVENTS];
        let mut count = 1usize;
        let mut spilled: Vec<Keyed<'_>> = Vec::new();
        for event in events.by_ref() {
            match inline.get_mut(count) {
                Some(slot) => {
                    *slot = event;
                    count += 1;
                }
                None => {
                    spilled.reserve(INLINE_EVENTS * 2);
                    spilled.extend_from_slice(&inline);
                    spilled.push(event);
                    break;
                }
            }
        }
        spilled.extend(events);
        let relevant: &mut [Keyed<'_>] = if spilled.is_empty() {
            inline.get_mut(..count).unwrap_or_default()
        } else {
            &mut spilled
        };
        let mut fold = Fold::new(relevant.len());
        // Events in strictly increasing fold order (what a store that keeps
        // them sorted hands over) hold no repeat: fold them as they are.
        if relevant.is_sorted_by(|a, b| keyed_order(a, b) == Ordering::Less) {
            for (_, event) in relevant.iter() {
                fold.apply(event, policy, now);
            }
            return fold.finish(key, now);
        }
        // Strictly decreasing (a store that hands over the newest first)
        // is the same history read backwards: no repeat, no sort.
        if relevant.is_sorted_by(|a, b| keyed_order(a, b) == Ordering::Greater) {
            for (_, event) in relevant.iter().rev() {
                fold.apply(event, policy, now);
            }
            return fold.finish(key, now);
        }
        relevant.sort_by(keyed_order);
        // A repeated event (same id, same content) is applied once. Two
        // events that share an id but differ are both applied: an id
        // collision must never lose an opt-out. Equal events sort next to
        // each other's run of equal fold keys, so each is compared only
        // with the few events of its run (no hashing of whole events).
        let mut run_start = 0usize;
        for (i, (k, event)) in relevant.iter().enumerate() {
            let starts_run = match i.checked_sub(1).and_then(|p| relevant.get(p)) {
                Some(previous) => keyed_order(previous, &(*k, event)) != Ordering::Equal,
                None => true,
            };
            if starts_run {
                run_start = i;
            }
            let repeated = relevant
                .get(run_start..i)
                .is_some_and(|earlier| earlier.iter().any(|(_, e)| *e == *event));
            if repeated {
                continue;
            }
            fold.apply(event, policy, now);
        }
        fold.finish(key, now)
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

    /// The key, the state given up (a send reuses the recipient's address).
    pub(crate) fn into_key(self) -> ConsentKey {
        self.key
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
    ///
    /// The sentences are written on the first call (the fold only noted
    /// which rule applied to what) and kept; later calls return them as
    /// they are.
    pub fn explain(&self) -> &[Reason] {
        self.explanation
            .written
            .get_or_init(|| {
                self.explanation
                    .notes
                    .iter()
                    .map(|n| n.write(&self.key, self.as_of))
                    .collect()
            })
            .as_slice()
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
