//! Campaign planning: one pass over an audience against a suppression index.

use std::collections::{BTreeMap, HashMap};

use foldhash::fast::RandomState;
use serde::Serialize;

use super::{
    cause_of, evaluate, requirements_for, Causes, PermissionSummary, Requirement, SendContext,
};
use crate::address::{EmailAddress, ListId, Scope, TenantId};
use crate::classify::{Classification, MessageClass};
use crate::consent::{ConsentState, SuppressionReason};
use crate::decision::{Reason, RuleId};

/// What a suppression entry is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionKind {
    /// An opt-out (list or tenant scope).
    OptedOut,
    /// A complaint (tenant scope).
    Complaint,
    /// A hard bounce (global).
    HardBounce,
    /// A run of soft bounces (global).
    SoftBounceStreak,
    /// A cancelled account (tenant scope); stops transactional mail too.
    AccountCancelled,
}

/// A scope with its tenant and list interned to small numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ScopeKey {
    Global,
    Tenant(u32),
    List(u32, u32),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    scope: ScopeKey,
    kind: SuppressionKind,
}

/// Most addresses carry one suppression; only the rest pay for a second
/// allocation.
#[derive(Clone, Debug)]
enum Entries {
    One(Entry),
    Many(Box<[Entry]>),
}

impl Entries {
    fn as_slice(&self) -> &[Entry] {
        match self {
            Entries::One(e) => std::slice::from_ref(e),
            Entries::Many(es) => es,
        }
    }
}

/// The campaign's tenant and list resolved against an index's interned ids,
/// once per campaign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CampaignScope {
    tenant: Option<u32>,
    list: Option<u32>,
}

/// Suppressions at mixed scopes, keyed by canonical address, for planning
/// large campaigns.
///
/// Keys are the canonical form [`EmailAddress`] computed when it was
/// parsed, so a lookup allocates nothing and lowercases nothing. Tenants and
/// lists are interned to `u32`s so checking a hit's scope compares
/// integers. Build it from the [`ConsentState`]s of the campaign's (tenant,
/// list) with [`SuppressionIndex::insert_state`] to get exactly the answers
/// of [`decide`](super::decide); entries inserted by hand from other keys
/// can only make the planner stricter.
#[derive(Clone, Debug, Default)]
pub struct SuppressionIndex {
    map: HashMap<Box<str>, Entries, RandomState>,
    tenants: HashMap<TenantId, u32, RandomState>,
    lists: HashMap<(u32, ListId), u32, RandomState>,
}

impl SuppressionIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index with room for `n` addresses.
    pub fn with_capacity(n: usize) -> Self {
        SuppressionIndex {
            map: HashMap::with_capacity_and_hasher(n, RandomState::default()),
            ..Self::default()
        }
    }

    /// How many addresses carry at least one suppression.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    fn intern_tenant(&mut self, tenant: &TenantId) -> u32 {
        let next = u32::try_from(self.tenants.len()).unwrap_or(u32::MAX);
        *self.tenants.entry(tenant.clone()).or_insert(next)
    }

    fn intern_list(&mut self, tenant: u32, list: &ListId) -> u32 {
        let next = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
        *self.lists.entry((tenant, list.clone())).or_insert(next)
    }

    /// Record a suppression of `address` at `scope`. Inserting the same
    /// entry twice keeps one.
    pub fn insert(&mut self, address: &EmailAddress, scope: &Scope, kind: SuppressionKind) {
        let scope = match scope {
            Scope::Global => ScopeKey::Global,
            Scope::Tenant(t) => ScopeKey::Tenant(self.intern_tenant(t)),
            Scope::List(t, l) => {
                let t = self.intern_tenant(t);
                ScopeKey::List(t, self.intern_list(t, l))
            }
        };
        let entry = Entry { scope, kind };
        match self.map.get_mut(address.canonical()) {
            None => {
                self.map
                    .insert(address.canonical().into(), Entries::One(entry));
            }
            Some(existing) => {
                if existing.as_slice().contains(&entry) {
                    return;
                }
                let mut all = existing.as_slice().to_vec();
                all.push(entry);
                *existing = Entries::Many(all.into_boxed_slice());
            }
        }
    }

    /// Record every suppression a consent state holds (and its account
    /// cancellation).
    pub fn insert_state(&mut self, state: &ConsentState) {
        let address = &state.key().address;
        for s in state.suppressions() {
            let kind = match s.reason {
                SuppressionReason::OptedOut { .. } => SuppressionKind::OptedOut,
                SuppressionReason::Complaint => SuppressionKind::Complaint,
                SuppressionReason::HardBounce => SuppressionKind::HardBounce,
                SuppressionReason::SoftBounceStreak { .. } => SuppressionKind::SoftBounceStreak,
            };
            self.insert(address, &s.scope, kind);
        }
        if !state.account_open() {
            let scope = Scope::Tenant(state.key().tenant.clone());
            self.insert(address, &scope, SuppressionKind::AccountCancelled);
        }
    }

    /// Resolve a campaign's tenant and list once, before the per-recipient
    /// loop.
    pub fn scope_for(&self, tenant: &TenantId, list: &ListId) -> CampaignScope {
        let tenant = self.tenants.get(tenant).copied();
        let list = tenant.and_then(|t| self.lists.get(&(t, list.clone())).copied());
        CampaignScope { tenant, list }
    }

    /// The cause bits of every suppression of `address` that covers the
    /// campaign. Zero when nothing applies.
    pub(crate) fn causes(&self, address: &EmailAddress, scope: CampaignScope) -> u16 {
        let Some(entries) = self.map.get(address.canonical()) else {
            return 0;
        };
        let mut bits = 0;
        for e in entries.as_slice() {
            let (covers, is_list) = match e.scope {
                ScopeKey::Global => (true, false),
                ScopeKey::Tenant(t) => (Some(t) == scope.tenant, false),
                ScopeKey::List(t, l) => (Some(t) == scope.tenant && Some(l) == scope.list, true),
            };
            if covers {
                bits |= cause_of(e.kind, is_list);
            }
        }
        bits
    }

    /// The kinds of suppression of `address` that apply to mail from
    /// `tenant` on `list`.
    pub fn lookup(
        &self,
        address: &EmailAddress,
        tenant: &TenantId,
        list: &ListId,
    ) -> Vec<SuppressionKind> {
        let scope = self.scope_for(tenant, list);
        let Some(entries) = self.map.get(address.canonical()) else {
            return Vec::new();
        };
        entries
            .as_slice()
            .iter()
            .filter(|e| match e.scope {
                ScopeKey::Global => true,
                ScopeKey::Tenant(t) => Some(t) == scope.tenant,
                ScopeKey::List(t, l) => Some(t) == scope.tenant && Some(l) == scope.list,
            })
            .map(|e| e.kind)
            .collect()
    }
}

/// One member of an audience: the address and what the host's subscriber
/// record says of the permission (`None`: no permission recorded).
#[derive(Clone, Copy, Debug)]
pub struct AudienceMember<'a> {
    /// The recipient.
    pub address: &'a EmailAddress,
    /// The permission held for the campaign's list, if any.
    pub permission: Option<PermissionSummary>,
}

impl<'a> AudienceMember<'a> {
    /// The member a consent state describes.
    pub fn from_state(state: &'a ConsentState) -> Self {
        AudienceMember {
            address: &state.key().address,
            permission: state.permission().map(PermissionSummary::of),
        }
    }
}

/// A recipient the plan suppresses, with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SuppressedRecipient<'a> {
    /// The recipient.
    pub address: &'a EmailAddress,
    /// Why, most severe first.
    pub reasons: Vec<Reason>,
}

/// The plan for a whole audience.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CampaignPlan<'a> {
    /// The message's class.
    pub class: MessageClass,
    /// What the message must carry for the sendable recipients (the union
    /// over them: one template serves all).
    pub requirements: Vec<Requirement>,
    /// The recipients that may be sent to, in audience order.
    pub sendable: Vec<&'a EmailAddress>,
    /// The recipients that may not, in audience order, with reasons.
    pub suppressed: Vec<SuppressedRecipient<'a>>,
    /// How many recipients each rule suppressed (a recipient with two
    /// reasons counts under both).
    pub counts: BTreeMap<RuleId, usize>,
}

/// Plan a send for a whole audience in one pass.
///
/// Each member is decided exactly as [`decide`](super::decide) would from
/// its permission and the index's suppressions that cover the campaign's
/// tenant and list. The send path allocates nothing per recipient but the
/// slot in `sendable`. Duplicates in the audience are not removed: pass a
/// unique audience.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::classify::{Classifier, Message};
/// use consentry::eligibility::{plan, AudienceMember, PermissionSummary, SendContext, SuppressionIndex, SuppressionKind};
/// use consentry::{EmailAddress, ListId, Scope, TenantId};
///
/// let (acme, news) = (TenantId::new("acme")?, ListId::new("news")?);
/// let ann = EmailAddress::parse("ann@example.com")?;
/// let bob = EmailAddress::parse("bob@example.com")?;
/// let mut index = SuppressionIndex::new();
/// index.insert(&bob, &Scope::Global, SuppressionKind::HardBounce);
///
/// let subscribed = Some(PermissionSummary { express: true, weak_evidence: false });
/// let audience = [&ann, &bob].map(|a| AudienceMember { address: a, permission: subscribed });
/// let newsletter = Classifier::default().classify(&Message::text("New arrivals", "Shop now"));
/// let ctx = SendContext::new(acme, news, Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap());
///
/// let p = plan(audience, &index, &newsletter, &ctx);
/// assert_eq!(p.sendable, [&ann]);
/// assert_eq!(p.counts.get("eligibility.undeliverable"), Some(&1));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn plan<'a, I>(
    audience: I,
    index: &SuppressionIndex,
    classification: &Classification,
    ctx: &SendContext,
) -> CampaignPlan<'a>
where
    I: IntoIterator<Item = AudienceMember<'a>>,
{
    let class = classification.class;
    let scope = index.scope_for(&ctx.tenant, &ctx.list);
    let audience = audience.into_iter();
    let mut sendable = Vec::with_capacity(audience.size_hint().0);
    let mut suppressed = Vec::new();
    let mut counts = [0usize; Causes::RULE_SLOTS];
    let mut any_implied = false;
    for member in audience {
        let bits = index.causes(member.address, scope);
        let causes = evaluate(class, member.permission, bits, ctx);
        if causes.bits() == 0 {
            sendable.push(member.address);
            any_implied |= !member.permission.is_some_and(|p| p.express);
        } else {
            let mut slots = 0u16;
            for bit in Causes::ALL {
                if causes.bits() & bit != 0 {
                    slots |= 1 << Causes::rule_slot(bit);
                }
            }
            for (i, c) in counts.iter_mut().enumerate() {
                if slots & (1 << i) != 0 {
                    *c += 1;
                }
            }
            suppressed.push(SuppressedRecipient {
                address: member.address,
                reasons: causes.reasons(),
            });
        }
    }
    let mut by_rule: BTreeMap<RuleId, usize> = BTreeMap::new();
    for bit in Causes::ALL {
        let n = counts.get(Causes::rule_slot(bit)).copied().unwrap_or(0);
        if n > 0 {
            let (rule, _) = Causes::reason_of(bit);
            by_rule.insert(rule, n);
        }
    }
    let requirements = if sendable.is_empty() {
        Vec::new()
    } else {
        requirements_for(class, !any_implied)
    };
    CampaignPlan {
        class,
        requirements,
        sendable,
        suppressed,
        counts: by_rule,
    }
}
