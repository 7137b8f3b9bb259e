//! Campaign planning: one pass over an audience against a suppression index.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use foldhash::fast::RandomState;
use serde::Serialize;

use super::{
    evaluate_promotional, reasons_of, requirements_for, Cause, Causes, PermissionSummary,
    Requirement, SendContext, BLOCKS_TRANSACTIONAL, RULE_SLOTS,
};
use crate::address::EmailAddress;
use crate::classify::{Classification, MessageClass};
use crate::consent::{ConsentState, SuppressionKind};
use crate::decision::{Reason, RuleId};
use crate::ids::{ListId, Scope, TenantId};
use crate::jurisdiction::Regime;

/// One suppression, packed in 32 bits: its scope's kind (2 bits), the
/// suppression kind (3 bits) and the interned tenant (for a tenant scope) or
/// (tenant, list) pair (for a list scope), 27 bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry(u32);

const SCOPE_GLOBAL: u32 = 0;
const SCOPE_TENANT: u32 = 1;
const SCOPE_LIST: u32 = 2;
/// Interned ids above this do not pack; an address with one is kept in the
/// overflow map (134 million tenants or lists).
const MAX_ID: u32 = (1 << 27) - 1;

fn kind_code(kind: SuppressionKind) -> u32 {
    match kind {
        SuppressionKind::OptedOut => 0,
        SuppressionKind::Complaint => 1,
        SuppressionKind::HardBounce => 2,
        SuppressionKind::SoftBounceStreak => 3,
        SuppressionKind::AccountCancelled => 4,
    }
}

fn kind_of(code: u32) -> SuppressionKind {
    match code {
        0 => SuppressionKind::OptedOut,
        1 => SuppressionKind::Complaint,
        2 => SuppressionKind::HardBounce,
        3 => SuppressionKind::SoftBounceStreak,
        // 4, the only other code ever written.
        _ => SuppressionKind::AccountCancelled,
    }
}

impl Entry {
    fn new(scope: u32, id: u32, kind: SuppressionKind) -> Self {
        Entry(scope << 30 | kind_code(kind) << 27 | (id & MAX_ID))
    }
    #[inline]
    fn scope(self) -> u32 {
        self.0 >> 30
    }
    #[inline]
    fn id(self) -> u32 {
        self.0 & MAX_ID
    }
    #[inline]
    fn kind(self) -> SuppressionKind {
        kind_of((self.0 >> 27) & 7)
    }
}

/// An entry outside the arena (an address past its limits, or an interned
/// id wider than 27 bits), unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Wide {
    scope: u32,
    id: u32,
    kind: SuppressionKind,
}

impl Wide {
    #[inline]
    fn covers(self, scope: CampaignScope) -> bool {
        match self.scope {
            SCOPE_GLOBAL => true,
            SCOPE_TENANT => Some(self.id) == scope.tenant,
            _ => Some(self.id) == scope.list,
        }
    }
}

impl From<Entry> for Wide {
    fn from(e: Entry) -> Self {
        Wide {
            scope: e.scope(),
            id: e.id(),
            kind: e.kind(),
        }
    }
}

/// The causes of unpacked entries that cover the campaign.
#[cold]
fn wide_causes(entries: &[Wide], scope: CampaignScope) -> Causes {
    entries
        .iter()
        .filter(|e| e.covers(scope))
        .fold(Causes::empty(), |causes, e| {
            causes | Cause::of(e.kind, e.scope == SCOPE_LIST)
        })
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
/// Every suppressed address is one record in a byte arena: the key's
/// length (1 byte), the number of entries (2 bytes), the canonical key, then
/// its entries, 4 bytes each (scope, kind and interned tenant or list).
/// A hash table of 4-byte arena offsets finds a record: a lookup hashes the
/// canonical key [`EmailAddress`] computed when it was parsed (no
/// allocation, no lowercasing), probes the table and compares the key
/// bytes in place, so a hit is one dependent load and the answers are exact
/// whatever the hashes. About 14 bytes per address beyond its key's text
/// (3 of header, 4 per entry, ~7 of table at a typical load): see
/// [`heap_bytes`](Self::heap_bytes).
///
/// Build it from the [`ConsentState`]s of the campaign's (tenant, list) with
/// [`SuppressionIndex::insert_state`] to get exactly the answers of
/// [`SendContext::decide`](super::SendContext::decide); entries inserted by hand from other keys can
/// only make the planner stricter.
#[derive(Clone, Default)]
pub struct SuppressionIndex {
    seed: foldhash::fast::RandomState,
    /// The records' slots: a record's offset in `arena` in 4-byte units
    /// (28 bits) and 4 more bits of its key's hash, so a probe that lands
    /// on another key rarely touches the arena.
    table: hashbrown::HashTable<u32>,
    /// The records, back to back (a record that gains an entry when it is
    /// not the last is copied to the end; addresses rarely gain a second).
    arena: Vec<u8>,
    tenants: HashMap<TenantId, u32, RandomState>,
    lists: HashMap<(u32, ListId), u32, RandomState>,
    /// Addresses the arena cannot hold (past its addressable gigabyte, more
    /// than 65,535 entries, or an interned id wider than 27 bits), kept here
    /// whole rather than dropped.
    overflow: HashMap<Box<str>, Vec<Wide>, RandomState>,
    /// Bytes of records copied away from (reclaimed by `shrink_to_fit`).
    stale: usize,
    /// Tests force every hash to collide to exercise the probing.
    #[cfg(test)]
    all_collide: bool,
    /// Tests lower the widest packable id to exercise the overflow map.
    #[cfg(test)]
    id_limit: Option<u32>,
    /// Tests lower the most entries a record counts, likewise.
    #[cfg(test)]
    count_limit: Option<usize>,
}

impl std::fmt::Debug for SuppressionIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuppressionIndex")
            .field("addresses", &self.table.len())
            .field("arena_bytes", &self.arena.len())
            .field("stale_bytes", &self.stale)
            .field("overflow", &self.overflow.len())
            .field("tenants", &self.tenants.len())
            .field("lists", &self.lists.len())
            .finish()
    }
}

/// The hash of a key's bytes (no length prefix: one `write`).
#[inline]
fn hash_key(seed: &foldhash::fast::RandomState, key: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = seed.build_hasher();
    h.write(key);
    h.finish()
}

/// A slot: the record's offset in 4-byte units, and 4 bits of the hash.
#[inline]
fn slot(offset: u32, hash: u64) -> u32 {
    (offset / 4) << 4 | ((hash >> 40) & 0xF) as u32
}

/// The arena offset a slot points at.
#[inline]
fn slot_offset(slot: u32) -> u32 {
    (slot >> 4) * 4
}

/// Whether a slot's hash bits agree with a hash.
#[inline]
fn slot_tag_matches(slot: u32, hash: u64) -> bool {
    slot & 0xF == ((hash >> 40) & 0xF) as u32
}

/// Records start on 4-byte boundaries below this (28 bits of 4-byte units).
const ARENA_LIMIT: usize = 1 << 30;

/// Bytes of a record's header: key length (1) and entry count (2).
const HEADER: usize = 3;

impl SuppressionIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty index with room for `n` addresses (with one suppression and
    /// a key of about 24 bytes each).
    pub fn with_capacity(n: usize) -> Self {
        SuppressionIndex {
            table: hashbrown::HashTable::with_capacity(n),
            arena: Vec::with_capacity(n.saturating_mul(HEADER + 24 + 4)),
            ..Self::default()
        }
    }

    /// How many addresses carry at least one suppression.
    pub fn len(&self) -> usize {
        self.table.len() + self.overflow.len()
    }

    /// Give back the arena's and the table's spare capacity once the index
    /// is built (for a campaign, before planning): memory then holds the
    /// records and a table sized for them.
    pub fn shrink_to_fit(&mut self) {
        if self.stale > 0 {
            // Compact: copy the live records into a new arena, in table
            // order, and point their slots (whose hash bits do not change)
            // at the new offsets.
            let old = std::mem::take(&mut self.arena);
            let mut arena = Vec::with_capacity(old.len().saturating_sub(self.stale));
            for s in self.table.iter_mut() {
                let o = slot_offset(*s) as usize;
                let len = old.get(o).copied().map_or(0, usize::from);
                let n = match old.get(o + 1..o + 3) {
                    Some(&[a, b]) => usize::from(u16::from_le_bytes([a, b])),
                    _ => 0,
                };
                let record = old.get(o..o + HEADER + len + n * 4).unwrap_or_default();
                arena.resize(arena.len().next_multiple_of(4), 0);
                let at = u32::try_from(arena.len()).unwrap_or(u32::MAX);
                arena.extend_from_slice(record);
                *s = (at / 4) << 4 | (*s & 0xF);
            }
            self.arena = arena;
            self.stale = 0;
        }
        self.arena.shrink_to_fit();
        let (arena, seed) = (&self.arena, &self.seed);
        #[cfg(test)]
        let collide = self.all_collide;
        self.table.shrink_to_fit(|&s| {
            #[cfg(test)]
            if collide {
                return 42;
            }
            hash_key(seed, Self::key_at(arena, slot_offset(s)))
        });
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An estimate of the heap bytes the index holds: the arena (keys,
    /// headers and entries) and the hash table's slots and control bytes at
    /// their current capacities, and the interned tenants and lists
    /// (allocator overhead not included). For capacity planning.
    pub fn heap_bytes(&self) -> usize {
        fn table<T>(capacity: usize) -> usize {
            if capacity == 0 {
                return 0;
            }
            // hashbrown keeps at most 7/8 of its power-of-two buckets full
            // and one control byte per bucket plus a group's worth.
            let buckets = (capacity.saturating_mul(8) / 7).next_power_of_two();
            buckets * (std::mem::size_of::<T>() + 1) + 16
        }
        let tenants: usize = self.tenants.keys().map(|t| t.as_str().len()).sum();
        let lists: usize = self.lists.keys().map(|(_, l)| l.as_str().len()).sum();
        let overflow: usize = self
            .overflow
            .iter()
            .map(|(k, v)| k.len() + v.capacity() * std::mem::size_of::<Wide>())
            .sum();
        table::<u32>(self.table.capacity())
            + self.arena.capacity()
            + table::<(Box<str>, Vec<Wide>)>(self.overflow.capacity())
            + overflow
            + table::<(TenantId, u32)>(self.tenants.capacity())
            + tenants
            + table::<((u32, ListId), u32)>(self.lists.capacity())
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
    fn hash(&self, canonical: &[u8]) -> u64 {
        #[cfg(test)]
        if self.all_collide {
            return 42;
        }
        hash_key(&self.seed, canonical)
    }

    /// The key bytes of the record at `offset`.
    #[inline]
    fn key_at(arena: &[u8], offset: u32) -> &[u8] {
        let o = offset as usize;
        let len = arena.get(o).copied().map_or(0, usize::from);
        arena.get(o + HEADER..o + HEADER + len).unwrap_or_default()
    }

    /// The entry count and the entries' bytes of the record at `offset`.
    #[inline]
    fn entries_at(arena: &[u8], offset: u32) -> &[u8] {
        let o = offset as usize;
        let len = arena.get(o).copied().map_or(0, usize::from);
        let n = match arena.get(o + 1..o + 3) {
            Some(&[a, b]) => usize::from(u16::from_le_bytes([a, b])),
            _ => 0,
        };
        let start = o + HEADER + len;
        arena.get(start..start + n * 4).unwrap_or_default()
    }

    fn entries(bytes: &[u8]) -> impl Iterator<Item = Entry> + '_ {
        bytes
            .chunks_exact(4)
            .map(|c| Entry(u32::from_le_bytes(c.try_into().unwrap_or([0; 4]))))
    }

    /// The offset of a canonical key's record, if it has one.
    #[inline]
    fn find(&self, canonical: &str) -> Option<u32> {
        let key = canonical.as_bytes();
        let arena = &self.arena;
        let hash = self.hash(key);
        self.table
            .find(hash, |&s| {
                slot_tag_matches(s, hash) && Self::key_at(arena, slot_offset(s)) == key
            })
            .map(|&s| slot_offset(s))
    }

    /// Append a record (key and entries) to the arena, on a 4-byte
    /// boundary; its offset, or `None` past the arena's limit.
    fn push_record(&mut self, key: &[u8], entries: impl Iterator<Item = Entry>) -> Option<u32> {
        let len = u8::try_from(key.len()).ok()?;
        let aligned = self.arena.len().next_multiple_of(4);
        if aligned + HEADER + key.len() >= ARENA_LIMIT {
            return None;
        }
        self.arena.resize(aligned, 0);
        let offset = u32::try_from(aligned).ok()?;
        let count_at = self.arena.len() + 1;
        self.arena.push(len);
        self.arena.extend_from_slice(&[0, 0]);
        self.arena.extend_from_slice(key);
        let mut n = 0usize;
        for e in entries {
            self.arena.extend_from_slice(&e.0.to_le_bytes());
            n += 1;
        }
        #[cfg(test)]
        let n = if self.count_limit.is_some_and(|limit| n > limit) {
            usize::MAX
        } else {
            n
        };
        let Ok(n) = u16::try_from(n) else {
            // More entries than a record counts: undo, and let the caller
            // keep the address in the overflow map.
            self.arena.truncate(aligned);
            return None;
        };
        if let Some(slot) = self.arena.get_mut(count_at..count_at + 2) {
            slot.copy_from_slice(&n.to_le_bytes());
        }
        Some(offset)
    }

    /// Record a suppression of `address` at `scope`. Inserting the same
    /// entry twice keeps one.
    pub fn insert(&mut self, address: &EmailAddress, scope: &Scope, kind: SuppressionKind) {
        let wide = match scope {
            Scope::Global => Wide {
                scope: SCOPE_GLOBAL,
                id: 0,
                kind,
            },
            Scope::Tenant(t) => Wide {
                scope: SCOPE_TENANT,
                id: self.intern_tenant(t),
                kind,
            },
            Scope::List(t, l) => {
                let t = self.intern_tenant(t);
                Wide {
                    scope: SCOPE_LIST,
                    id: self.intern_list(t, l),
                    kind,
                }
            }
        };
        let key = address.canonical().as_bytes();
        let hash = self.hash(key);
        if let Some(entries) = self.overflow.get_mut(address.canonical()) {
            if !entries.contains(&wide) {
                entries.push(wide);
            }
            return;
        }
        #[cfg(test)]
        let limit = self.id_limit.unwrap_or(MAX_ID);
        #[cfg(not(test))]
        let limit = MAX_ID;
        if wide.id > limit {
            // Too wide to pack: the whole address moves to the overflow map.
            let mut all: Vec<Wide> = self.entries_of(address.canonical()).collect();
            if let Some(offset) = self.find(address.canonical()) {
                self.stale += self.record_len(offset);
                if let Ok(found) = self.table.find_entry(hash, |&s| slot_offset(s) == offset) {
                    found.remove();
                }
            }
            if !all.contains(&wide) {
                all.push(wide);
            }
            self.overflow.insert(address.canonical().into(), all);
            return;
        }
        let entry = Entry::new(wide.scope, wide.id, kind);
        let Some(offset) = self.find(address.canonical()) else {
            let Some(offset) = self.push_record(key, std::iter::once(entry)) else {
                self.overflow.insert(address.canonical().into(), vec![wide]);
                return;
            };
            let (arena, seed) = (&self.arena, &self.seed);
            #[cfg(test)]
            let collide = self.all_collide;
            self.table.insert_unique(hash, slot(offset, hash), |&s| {
                #[cfg(test)]
                if collide {
                    return 42;
                }
                hash_key(seed, Self::key_at(arena, slot_offset(s)))
            });
            return;
        };
        let bytes = Self::entries_at(&self.arena, offset);
        if Self::entries(bytes).any(|e| e == entry) {
            return;
        }
        let count = bytes.len() / 4;
        #[cfg(test)]
        let room = count < self.count_limit.unwrap_or(usize::from(u16::MAX));
        #[cfg(not(test))]
        let room = count < usize::from(u16::MAX);
        let end = offset as usize + HEADER + key.len() + bytes.len();
        if end == self.arena.len() && room {
            // The address's record is last: grow it in place.
            self.arena.extend_from_slice(&entry.0.to_le_bytes());
            let at = offset as usize + 1;
            let n = u16::try_from(count + 1).unwrap_or(u16::MAX);
            if let Some(slot) = self.arena.get_mut(at..at + 2) {
                slot.copy_from_slice(&n.to_le_bytes());
            }
            return;
        }
        // Copy it to the end with the new entry; the old bytes go stale
        // (reclaimed by `shrink_to_fit`).
        let mut all: Vec<Entry> = Self::entries(bytes).collect();
        all.push(entry);
        let old_len = self.record_len(offset);
        let Some(moved) = self.push_record(key, all.iter().copied()) else {
            // Past the arena's limits: the record moves to the overflow map.
            if let Ok(found) = self.table.find_entry(hash, |&s| slot_offset(s) == offset) {
                found.remove();
            }
            self.stale += old_len;
            self.overflow.insert(
                address.canonical().into(),
                all.into_iter().map(Wide::from).collect(),
            );
            return;
        };
        self.stale += old_len;
        if let Some(s) = self.table.find_mut(hash, |&s| slot_offset(s) == offset) {
            *s = slot(moved, hash);
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
    fn entries_of(&self, canonical: &str) -> impl Iterator<Item = Wide> + '_ {
        let bytes = self
            .find(canonical)
            .map(|o| Self::entries_at(&self.arena, o))
            .unwrap_or_default();
        let overflow = if self.overflow.is_empty() {
            &[][..]
        } else {
            self.overflow.get(canonical).map_or(&[][..], Vec::as_slice)
        };
        Self::entries(bytes)
            .map(Wide::from)
            .chain(overflow.iter().copied())
    }

    /// The bytes of the record at `offset` (header, key and entries).
    fn record_len(&self, offset: u32) -> usize {
        let key = Self::key_at(&self.arena, offset).len();
        HEADER + key + Self::entries_at(&self.arena, offset).len()
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
        let canonical = address.canonical();
        // A miss (most recipients) is a hash and a probe of the table; a
        // record's entries are read only on a hit. The overflow map (addresses
        // past the arena's limits, usually none) is probed only when it holds
        // anything.
        let mut causes = match self.find(canonical) {
            Some(offset) => Self::record_causes(&self.arena, offset, scope),
            None => Causes::empty(),
        };
        if !self.overflow.is_empty() {
            if let Some(wide) = self.overflow.get(canonical) {
                causes |= wide_causes(wide, scope);
            }
        }
        causes
    }

    /// The causes of a record's entries that cover the campaign.
    #[inline]
    fn record_causes(arena: &[u8], offset: u32, scope: CampaignScope) -> Causes {
        let mut causes = Causes::empty();
        for e in Self::entries(Self::entries_at(arena, offset)) {
            let e = Wide::from(e);
            if e.covers(scope) {
                causes |= Cause::of(e.kind, e.scope == SCOPE_LIST);
            }
        }
        causes
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
    let summary = run(audience, index, classification, ctx, |m, c| {
        if c.is_empty() {
            sendable.push(m.address);
        } else {
            suppressed.push(SuppressedRecipient {
                address: m.address,
                causes: c,
            });
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
    run(audience.into_iter(), index, classification, ctx, |m, c| {
        if c.is_empty() {
            each(Planned::Send(m.address));
        } else {
            each(Planned::Suppress(SuppressedRecipient {
                address: m.address,
                causes: c,
            }));
        }
    })
}

/// The one pass both [`plan`] and [`plan_each`] make: each recipient's
/// lookup, decision, tally and outcome (to `sink`) in one loop, then the
/// totals. (Lookups a chunk of 32 at a time, decided in a loop of their own
/// before the tallies, measured slower at every audience size: the
/// processor overlaps the cache misses of consecutive recipients anyway.)
fn run<'a, I, F>(
    audience: I,
    index: &SuppressionIndex,
    classification: &Classification,
    ctx: &SendContext,
    mut sink: F,
) -> PlanSummary
where
    I: Iterator<Item = AudienceMember<'a>>,
    F: FnMut(&AudienceMember<'a>, Causes),
{
    let class = *classification.outcome();
    let scope = index.scope_for(&ctx.tenant, &ctx.list);
    let mut counts = [0usize; RULE_SLOTS];
    let mut all_express = true;
    let mut regimes: Vec<Regime> = Vec::new();
    let (mut n_send, mut n_suppress) = (0usize, 0usize);
    // Worked out once: the context is read through a reference the
    // pushes below could alias, so the compiler would reload it per
    // recipient.
    let promotional = ctx.treats_as_promotional(class);
    for member in audience {
        let found = index.causes(member.address, scope);
        let c = if promotional {
            evaluate_promotional(member.permission, found, ctx, member.regime)
        } else {
            found & BLOCKS_TRANSACTIONAL
        };
        let send = c.is_empty();
        n_send += usize::from(send);
        if send {
            all_express &= member
                .permission
                .is_some_and(|p| p.express && !p.weak_evidence);
            if let Some(r) = member.regime.filter(|r| !regimes.contains(r)) {
                regimes.push(r);
            }
        } else {
            n_suppress += 1;
            let mut slots = 0u16;
            for cause in c {
                slots |= 1 << cause.rule_slot();
            }
            for (i, n) in counts.iter_mut().enumerate() {
                if slots & (1 << i) != 0 {
                    *n += 1;
                }
            }
        }
        sink(&member, c);
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

    use proptest::prelude::*;

    proptest! {
        /// Whatever is inserted, in whatever order, with or without every
        /// hash colliding, each address answers exactly the entries a plain
        /// list of them would (records moved to the end of the arena
        /// included).
        #[test]
        fn the_arena_answers_as_a_plain_list_would(
            inserts in prop::collection::vec((0usize..6, 0usize..5, 0u8..5, any::<bool>()), 0..60),
            collide in any::<bool>(),
            narrow in any::<bool>(),
        ) {
            let tenants = [TenantId::new("t1").unwrap(), TenantId::new("t2").unwrap()];
            let lists = [ListId::new("l1").unwrap(), ListId::new("l2").unwrap()];
            let scopes = [
                Scope::Global,
                Scope::Tenant(tenants[0].clone()),
                Scope::Tenant(tenants[1].clone()),
                Scope::List(tenants[0].clone(), lists[0].clone()),
                Scope::List(tenants[1].clone(), lists[1].clone()),
            ];
            let people: Vec<EmailAddress> = (0..6)
                .map(|i| EmailAddress::parse(&format!("p{i}@example.com")).unwrap())
                .collect();
            let mut index = SuppressionIndex {
                all_collide: collide,
                // Ids above 0 do not pack: tenant and list scopes go to the
                // overflow map.
                id_limit: narrow.then_some(0),
                ..SuppressionIndex::default()
            };
            let mut model: Vec<(usize, usize, SuppressionKind)> = Vec::new();
            for (p, s, k, shrink) in inserts {
                let kind = kind_of(u32::from(k));
                index.insert(&people[p], &scopes[s], kind);
                if shrink {
                    index.shrink_to_fit();
                }
                if !model.contains(&(p, s, kind)) {
                    model.push((p, s, kind));
                }
            }
            prop_assert_eq!(index.len(), {
                let mut ps: Vec<usize> = model.iter().map(|m| m.0).collect();
                ps.sort_unstable();
                ps.dedup();
                ps.len()
            });
            for (p, person) in people.iter().enumerate() {
                for t in &tenants {
                    for l in &lists {
                        let mut got = index.lookup(person, t, l);
                        got.sort();
                        let covering: Vec<&(usize, usize, SuppressionKind)> = model
                            .iter()
                            .filter(|m| m.0 == p)
                            .filter(|m| match &scopes[m.1] {
                                Scope::Global => true,
                                Scope::Tenant(mt) => mt == t,
                                Scope::List(mt, ml) => mt == t && ml == l,
                            })
                            .collect();
                        let mut want: Vec<SuppressionKind> =
                            covering.iter().map(|m| m.2).collect();
                        want.sort();
                        // The planner's own read (record, then overflow
                        // map) gives the causes of exactly these entries.
                        let scope = index.scope_for(t, l);
                        let causes = covering.iter().fold(Causes::empty(), |c, m| {
                            c | Cause::of(m.2, matches!(scopes[m.1], Scope::List(..)))
                        });
                        prop_assert_eq!(index.causes(person, scope), causes);
                        prop_assert_eq!(got, want);
                    }
                }
            }
        }
    }

    #[test]
    fn an_address_with_more_entries_than_a_record_counts_loses_none() {
        // A record counts at most 65,535 entries; the test lowers that to 5.
        let mut index = SuppressionIndex {
            count_limit: Some(5),
            ..SuppressionIndex::default()
        };
        let t = TenantId::new("t").unwrap();
        let a = EmailAddress::parse("a@example.com").unwrap();
        let n = 9;
        let lists: Vec<ListId> = (0..n)
            .map(|i| ListId::new(format!("l{i}")).unwrap())
            .collect();
        for l in &lists {
            index.insert(
                &a,
                &Scope::List(t.clone(), l.clone()),
                SuppressionKind::OptedOut,
            );
        }
        for l in [&lists[0], &lists[n - 2], &lists[n - 1]] {
            assert_eq!(index.lookup(&a, &t, l), [SuppressionKind::OptedOut], "{l}");
            assert_eq!(
                index.causes(&a, index.scope_for(&t, l)),
                Causes::only(Cause::OptedOutList),
                "{l}"
            );
        }
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn compaction_reclaims_records_copied_away() {
        let mut index = SuppressionIndex::default();
        let t = TenantId::new("t").unwrap();
        let people: Vec<EmailAddress> = (0..2)
            .map(|i| EmailAddress::parse(&format!("p{i}@example.com")).unwrap())
            .collect();
        let lists: Vec<ListId> = (0..200)
            .map(|i| ListId::new(format!("l{i}")).unwrap())
            .collect();
        // The two addresses take turns: each insert copies a record away.
        for l in &lists {
            for p in &people {
                index.insert(
                    p,
                    &Scope::List(t.clone(), l.clone()),
                    SuppressionKind::OptedOut,
                );
            }
        }
        let before = index.arena.len();
        index.shrink_to_fit();
        assert!(
            index.arena.len() * 10 < before,
            "{} of {before}",
            index.arena.len()
        );
        for p in &people {
            for l in &lists {
                assert_eq!(index.lookup(p, &t, l), [SuppressionKind::OptedOut]);
            }
        }
    }
}
