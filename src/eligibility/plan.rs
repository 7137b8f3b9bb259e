//! Campaign planning: one pass over an audience against a suppression index.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher};

use foldhash::fast::RandomState;
use serde::Serialize;

use super::{
    evaluate, reasons_of, requirements_for, Cause, Causes, PermissionSummary, Requirement,
    SendContext, RULE_SLOTS,
};
use crate::address::EmailAddress;
use crate::classify::{Classification, MessageClass};
use crate::consent::{ConsentState, SuppressionKind};
use crate::decision::{Reason, RuleId};
use crate::ids::{ListId, Scope, TenantId};
use crate::jurisdiction::Regime;

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

impl Entry {
    /// Whether this entry applies to mail of the campaign's tenant and list.
    #[inline]
    fn covers(&self, scope: CampaignScope) -> bool {
        match self.scope {
            ScopeKey::Global => true,
            ScopeKey::Tenant(t) => Some(t) == scope.tenant,
            ScopeKey::List(t, l) => Some(t) == scope.tenant && Some(l) == scope.list,
        }
    }
}

/// One suppressed address: its canonical key (to confirm a fingerprint
/// match), its entries in the arena, and the next address sharing its
/// fingerprint (almost never any).
#[derive(Clone, Debug)]
struct Record {
    key: Box<str>,
    start: u32,
    len: u32,
    next: u32,
}

const NONE: u32 = u32::MAX;

/// Hashes a `u64` fingerprint to itself: it already is a good hash.
#[derive(Clone, Copy, Debug, Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
    fn finish(&self) -> u64 {
        self.0
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
/// A lookup hashes the canonical key [`EmailAddress`] computed when it was
/// parsed (no allocation, no lowercasing) and probes a table of 64-bit
/// fingerprints, 16 bytes a slot, small enough to stay in cache; a hit is
/// confirmed against the stored key, so the answers are exact whatever the
/// fingerprints. Tenants and lists are interned to `u32`s so checking a
/// hit's scope compares integers.
///
/// Build it from the [`ConsentState`]s of the campaign's (tenant, list) with
/// [`SuppressionIndex::insert_state`] to get exactly the answers of
/// [`SendContext::decide`](super::SendContext::decide); entries inserted by hand from other keys can
/// only make the planner stricter.
#[derive(Clone, Debug, Default)]
pub struct SuppressionIndex {
    seed: foldhash::quality::RandomState,
    map: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    records: Vec<Record>,
    /// The entries of every address, each address's contiguous.
    arena: Vec<Entry>,
    tenants: HashMap<TenantId, u32, RandomState>,
    lists: HashMap<(u32, ListId), u32, RandomState>,
    /// Tests force every fingerprint to collide to exercise the chains.
    #[cfg(test)]
    all_collide: bool,
}

impl SuppressionIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index with room for `n` addresses.
    pub fn with_capacity(n: usize) -> Self {
        SuppressionIndex {
            map: HashMap::with_capacity_and_hasher(n, BuildHasherDefault::default()),
            records: Vec::with_capacity(n),
            arena: Vec::with_capacity(n),
            ..Self::default()
        }
    }

    /// How many addresses carry at least one suppression.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// An estimate of the heap bytes the index holds: the hash table's
    /// slots and control bytes at its current capacity, the records, every
    /// key's text and the entries (allocator overhead not included). For
    /// capacity planning.
    pub fn heap_bytes(&self) -> usize {
        fn table<K, V>(capacity: usize) -> usize {
            if capacity == 0 {
                return 0;
            }
            // hashbrown keeps at most 7/8 of its power-of-two buckets full
            // and one control byte per bucket plus a group's worth.
            let buckets = (capacity.saturating_mul(8) / 7).next_power_of_two();
            buckets * (std::mem::size_of::<(K, V)>() + 1) + 16
        }
        let keys: usize = self.records.iter().map(|r| r.key.len()).sum();
        let tenants: usize = self.tenants.keys().map(|t| t.as_str().len()).sum();
        let lists: usize = self.lists.keys().map(|(_, l)| l.as_str().len()).sum();
        table::<u64, u32>(self.map.capacity())
            + self.records.capacity() * std::mem::size_of::<Record>()
            + keys
            + self.arena.capacity() * std::mem::size_of::<Entry>()
            + table::<TenantId, u32>(self.tenants.capacity())
            + tenants
            + table::<(u32, ListId), u32>(self.lists.capacity())
            + lists
    }

    fn intern_tenant(&mut self, tenant: &TenantId) -> u32 {
        let next = u32::try_from(self.tenants.len()).unwrap_or(u32::MAX);
        *self.tenants.entry(tenant.clone()).or_insert(next)
    }

    fn intern_list(&mut self, tenant: u32, list: &ListId) -> u32 {
        let next = u32::try_from(self.lists.len()).unwrap_or(u32::MAX);
        *self.lists.entry((tenant, list.clone())).or_insert(next)
    }

    #[inline]
    fn fingerprint(&self, canonical: &str) -> u64 {
        #[cfg(test)]
        if self.all_collide {
            return 42;
        }
        self.seed.hash_one(canonical)
    }

    /// The record of a canonical key, if it has one.
    #[inline]
    fn find(&self, canonical: &str) -> Option<usize> {
        let mut i = *self.map.get(&self.fingerprint(canonical))?;
        while i != NONE {
            let record = self.records.get(i as usize)?;
            if &*record.key == canonical {
                return Some(i as usize);
            }
            i = record.next;
        }
        None
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
        let arena_len = u32::try_from(self.arena.len()).unwrap_or(u32::MAX);
        let canonical = address.canonical();
        let Some(i) = self.find(canonical) else {
            let fingerprint = self.fingerprint(canonical);
            let index = u32::try_from(self.records.len()).unwrap_or(NONE);
            let next = self.map.insert(fingerprint, index).unwrap_or(NONE);
            self.arena.push(entry);
            self.records.push(Record {
                key: canonical.into(),
                start: arena_len,
                len: 1,
                next,
            });
            return;
        };
        let Some(record) = self.records.get_mut(i) else {
            return;
        };
        let (start, len) = (record.start as usize, record.len as usize);
        let existing = self.arena.get(start..start + len).unwrap_or_default();
        if existing.contains(&entry) {
            return;
        }
        if start + len == self.arena.len() {
            // The address's entries are last: grow them in place.
            self.arena.push(entry);
            record.len += 1;
        } else {
            // Move them to the end (the old slots are left unused;
            // addresses rarely gain a second suppression).
            let moved: Vec<Entry> = existing.to_vec();
            self.arena.extend(moved);
            self.arena.push(entry);
            record.start = arena_len;
            record.len += 1;
        }
    }

    /// Record every suppression a consent state holds (and its account
    /// cancellation).
    pub fn insert_state(&mut self, state: &ConsentState) {
        let address = &state.key().address;
        for s in state.suppressions() {
            self.insert(address, &s.scope, s.kind);
        }
        if !state.account_open() {
            let scope = Scope::Tenant(state.key().tenant.clone());
            self.insert(address, &scope, SuppressionKind::AccountCancelled);
        }
    }

    #[inline]
    fn entries_of(&self, canonical: &str) -> &[Entry] {
        self.find(canonical)
            .and_then(|i| self.records.get(i))
            .and_then(|r| {
                let start = r.start as usize;
                self.arena.get(start..start + r.len as usize)
            })
            .unwrap_or_default()
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
    #[inline]
    pub(crate) fn causes(&self, address: &EmailAddress, scope: CampaignScope) -> Causes {
        self.entries_of(address.canonical())
            .iter()
            .filter(|e| e.covers(scope))
            .fold(Causes::empty(), |causes, e| {
                causes | Cause::of(e.kind, matches!(e.scope, ScopeKey::List(..)))
            })
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
        self.entries_of(address.canonical())
            .iter()
            .filter(|e| e.covers(scope))
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
    /// The regime of the recipient's jurisdiction, when the host knows it
    /// ([`Jurisdiction::regime`](crate::jurisdiction::Jurisdiction::regime));
    /// the plan then decides as [`SendContext::decide_for`] would.
    pub regime: Option<Regime>,
}

impl<'a> AudienceMember<'a> {
    /// The member a consent state describes (no regime).
    pub fn from_state(state: &'a ConsentState) -> Self {
        AudienceMember {
            address: &state.key().address,
            permission: state.permission().map(PermissionSummary::of),
            regime: None,
        }
    }

    /// The same member under a regime.
    pub fn in_regime(mut self, regime: Option<Regime>) -> Self {
        self.regime = regime;
        self
    }
}

/// A recipient the plan suppresses, with why. The reasons are kept as a
/// few bits and spelled out on demand, so planning a large audience
/// allocates nothing per suppressed recipient either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SuppressedRecipient<'a> {
    /// The recipient.
    pub address: &'a EmailAddress,
    causes: Causes,
}

impl SuppressedRecipient<'_> {
    /// Why, most severe first (the same reasons [`SendContext::decide`](super::SendContext::decide)
    /// gives).
    pub fn reasons(&self) -> Vec<Reason> {
        reasons_of(self.causes).into_vec()
    }

    /// Whether one of the reasons is this rule.
    pub fn has_rule(&self, rule: &str) -> bool {
        self.causes.iter().any(|c| c.reason().rule.as_str() == rule)
    }
}

impl Serialize for SuppressedRecipient<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = serializer.serialize_struct("SuppressedRecipient", 2)?;
        st.serialize_field("address", self.address)?;
        st.serialize_field("reasons", &self.reasons())?;
        st.end()
    }
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
/// Each member is decided exactly as [`SendContext::decide`](super::SendContext::decide) would from
/// its permission and the index's suppressions that cover the campaign's
/// tenant and list. The send path allocates nothing per recipient but the
/// slot in `sendable`. Duplicates in the audience are not removed: pass a
/// unique audience.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::classify::{Classifier, Message};
/// use consentry::eligibility::{plan, AudienceMember, PermissionKind, PermissionSummary, SendContext, SuppressionIndex};
/// use consentry::{EmailAddress, ListId, Scope, SuppressionKind, TenantId};
///
/// let (acme, news) = (TenantId::new("acme")?, ListId::new("news")?);
/// let ann = EmailAddress::parse("ann@example.com")?;
/// let bob = EmailAddress::parse("bob@example.com")?;
/// let mut index = SuppressionIndex::new();
/// index.insert(&bob, &Scope::Global, SuppressionKind::HardBounce);
///
/// let subscribed = Some(PermissionSummary {
///     express: true,
///     weak_evidence: false,
///     kind: PermissionKind::Express,
///     since: chrono::DateTime::UNIX_EPOCH,
///     lapses_at: None,
/// });
/// let audience = [&ann, &bob].map(|a| AudienceMember { address: a, permission: subscribed, regime: None });
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
    let audience = audience.into_iter();
    let mut sendable = Vec::with_capacity(audience.size_hint().0);
    let mut suppressed = Vec::new();
    let summary = run(audience, index, classification, ctx, |members, causes| {
        for (m, c) in members.iter().zip(causes) {
            if c.is_empty() {
                sendable.push(m.address);
            } else {
                suppressed.push(SuppressedRecipient {
                    address: m.address,
                    causes: *c,
                });
            }
        }
    });
    CampaignPlan {
        class: summary.class,
        requirements: summary.requirements,
        sendable,
        suppressed,
        counts: summary.counts,
    }
}

/// Recipients looked up together before their outcomes are handed over.
const CHUNK: usize = 32;

/// One recipient's outcome, as [`plan_each`] hands it over.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Planned<'a> {
    /// May be sent to.
    Send(&'a EmailAddress),
    /// May not, with why.
    Suppress(SuppressedRecipient<'a>),
}

/// The totals of a [`plan_each`] pass.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlanSummary {
    /// The message's class.
    pub class: MessageClass,
    /// What the message must carry for the sendable recipients.
    pub requirements: Vec<Requirement>,
    /// How many may be sent to.
    pub sendable: usize,
    /// How many may not.
    pub suppressed: usize,
    /// How many recipients each rule suppressed.
    pub counts: BTreeMap<RuleId, usize>,
}

/// [`plan`] without collecting: each recipient's outcome goes to `each` as
/// it is decided (to write a send queue directly, say), and the totals come
/// back. Allocates nothing per recipient.
pub fn plan_each<'a, I, F>(
    audience: I,
    index: &SuppressionIndex,
    classification: &Classification,
    ctx: &SendContext,
    mut each: F,
) -> PlanSummary
where
    I: IntoIterator<Item = AudienceMember<'a>>,
    F: FnMut(Planned<'a>),
{
    run(
        audience.into_iter(),
        index,
        classification,
        ctx,
        |members, causes| {
            for (m, c) in members.iter().zip(causes) {
                if c.is_empty() {
                    each(Planned::Send(m.address));
                } else {
                    each(Planned::Suppress(SuppressedRecipient {
                        address: m.address,
                        causes: *c,
                    }));
                }
            }
        },
    )
}

/// The one pass both [`plan`] and [`plan_each`] make: lookups and decisions
/// a chunk at a time in a tight loop with no data-dependent branch (so the
/// processor overlaps the cache misses of several recipients), then the
/// chunk's outcomes to `sink`, then the totals.
fn run<'a, I, F>(
    mut audience: I,
    index: &SuppressionIndex,
    classification: &Classification,
    ctx: &SendContext,
    mut sink: F,
) -> PlanSummary
where
    I: Iterator<Item = AudienceMember<'a>>,
    F: FnMut(&[AudienceMember<'a>], &[Causes]),
{
    let class = *classification.outcome();
    let scope = index.scope_for(&ctx.tenant, &ctx.list);
    let mut counts = [0usize; RULE_SLOTS];
    let mut all_express = true;
    let mut regimes: Vec<Regime> = Vec::new();
    let (mut n_send, mut n_suppress) = (0usize, 0usize);
    let mut chunk: Vec<AudienceMember<'a>> = Vec::with_capacity(CHUNK);
    let mut causes = [Causes::empty(); CHUNK];
    loop {
        chunk.clear();
        chunk.extend(audience.by_ref().take(CHUNK));
        if chunk.is_empty() {
            break;
        }
        for (slot, member) in causes.iter_mut().zip(&chunk) {
            let found = index.causes(member.address, scope);
            *slot = evaluate(class, member.permission, found, ctx, member.regime);
        }
        let decided = causes.get(..chunk.len()).unwrap_or_default();
        for (member, c) in chunk.iter().zip(decided) {
            let send = c.is_empty();
            n_send += usize::from(send);
            all_express &= !send
                || member
                    .permission
                    .is_some_and(|p| p.express && !p.weak_evidence);
            if let Some(r) = member.regime.filter(|r| send && !regimes.contains(r)) {
                regimes.push(r);
            }
            if !send {
                n_suppress += 1;
                let mut slots = 0u16;
                for cause in *c {
                    slots |= 1 << cause.rule_slot();
                }
                for (i, n) in counts.iter_mut().enumerate() {
                    if slots & (1 << i) != 0 {
                        *n += 1;
                    }
                }
            }
        }
        sink(&chunk, decided);
    }
    let mut by_rule: BTreeMap<RuleId, usize> = BTreeMap::new();
    for cause in Causes::all() {
        let n = counts.get(cause.rule_slot()).copied().unwrap_or(0);
        if n > 0 {
            by_rule.insert(cause.reason().rule, n);
        }
    }
    let requirements = if n_send == 0 {
        Vec::new()
    } else {
        requirements_for(ctx.treats_as_promotional(class), all_express, regimes)
    };
    PlanSummary {
        class,
        requirements,
        sendable: n_send,
        suppressed: n_suppress,
        counts: by_rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colliding_fingerprints_still_give_exact_answers() {
        let mut index = SuppressionIndex {
            all_collide: true,
            ..SuppressionIndex::default()
        };
        let t = TenantId::new("t").unwrap();
        let l = ListId::new("l").unwrap();
        let a = EmailAddress::parse("a@example.com").unwrap();
        let b = EmailAddress::parse("b@example.com").unwrap();
        let c = EmailAddress::parse("c@example.com").unwrap();
        index.insert(&a, &Scope::Global, SuppressionKind::HardBounce);
        index.insert(
            &b,
            &Scope::List(t.clone(), l.clone()),
            SuppressionKind::OptedOut,
        );
        index.insert(&a, &Scope::Tenant(t.clone()), SuppressionKind::Complaint);
        index.insert(
            &b,
            &Scope::List(t.clone(), l.clone()),
            SuppressionKind::OptedOut,
        );
        assert_eq!(index.len(), 2);
        assert_eq!(
            index.lookup(&a, &t, &l),
            [SuppressionKind::HardBounce, SuppressionKind::Complaint]
        );
        assert_eq!(index.lookup(&b, &t, &l), [SuppressionKind::OptedOut]);
        assert!(index.lookup(&c, &t, &l).is_empty());
        assert!(index.heap_bytes() > 0);
    }
}
