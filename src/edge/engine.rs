//! The driver's operations, written once for both drivers.
//!
//! Every operation of [`Driver`](crate::Driver) and of the async driver is
//! an `async fn` here, generic over two small internal ports ([`StorePort`],
//! [`MailPort`]). The async driver awaits them on the host's runtime. The
//! sync driver wraps its synchronous store and mailer in ports whose
//! futures are already complete ([`SyncPorts`]) and runs the operation with
//! [`run_ready`], which polls it exactly once: no runtime, no thread, no
//! waiting. One body of logic, so the two drivers cannot drift apart.

use std::collections::HashSet;
use std::future::{ready, Future};
use std::pin::pin;
use std::task::{Context, Poll, Waker};

use chrono::{DateTime, Utc};

use crate::address::EmailAddress;
use crate::catalogue::ids;
use crate::classify::{Classifier, Message};
use crate::consent::{ConsentEvent, ConsentKey, ConsentState, LedgerPolicy};
use crate::consent::{Suppression, SuppressionKind};
use crate::cookie::CookieConsent;
use crate::decision::Reason;
use crate::disclosure::DisclosureRecord;
use crate::edge::driver::{
    Campaign, ErasureReceipt, OneClickConfirmation, OneClickError, OneClickRequest, SendReport,
    ServiceError, SubjectExport, UnsubscribeSettings,
};
use crate::edge::ports::{AppendOutcome, ConsentStore, EraseOutcome, Mailer};
use crate::eligibility::{check_requirements, lint, SendOutcome};
use crate::ids::EventId;
use crate::retention::{erasure_plan, salt_id, AddressHash, ErasedFact, UNKNOWN_SALT_ID};
use crate::unsubscribe::{
    may_change_state, IssuedToken, KeptToken, KeyRing, TokenError, VerifiedToken,
};

/// How many recipients a send reads from the store at once.
const SEND_CHUNK: usize = 32;

/// How many times an erasure re-plans when events arrive meanwhile.
const ERASE_ATTEMPTS: usize = 3;

/// Persistence as the engine sees it: the [`ConsentStore`] operations as
/// futures.
pub(crate) trait StorePort {
    /// The store's error.
    type Error: std::error::Error + Send + Sync + 'static;
    fn append(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, Self::Error>> + Send;
    fn events_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<ConsentEvent>, Self::Error>> + Send;
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, Self::Error>> + Send;
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut (dyn FnMut(usize, &[ConsentEvent]) + Send),
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
    fn append_batch(
        &self,
        events: &[ConsentEvent],
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, Self::Error>> + Send;
    fn erased_facts(
        &self,
        hash: &AddressHash,
    ) -> impl Future<Output = Result<Vec<ErasedFact>, Self::Error>> + Send;
    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, Self::Error>> + Send;
    fn erasure_salt_ids(&self) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send;
    fn keep_token(
        &self,
        kept: &KeptToken,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send;
    fn kept_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<KeptToken>, Self::Error>> + Send;
    fn purge_kept_tokens(
        &self,
        issued_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send;
    fn kept_tokens_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<KeptToken>, Self::Error>> + Send;
    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> impl Future<Output = Result<EraseOutcome, Self::Error>> + Send;
}

/// Delivery as the engine sees it.
pub(crate) trait MailPort {
    /// The mailer's error.
    type Error: std::error::Error + Send + Sync + 'static;
    fn deliver(
        &self,
        message: &crate::message::OutboundMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// A synchronous store or mailer seen as a port whose futures are complete
/// when they are made.
pub(crate) struct SyncPorts<'a, T: ?Sized>(pub(crate) &'a T);

impl<T: ConsentStore + ?Sized> StorePort for SyncPorts<'_, T> {
    type Error = T::Error;
    fn append(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, Self::Error>> + Send {
        ready(self.0.append(event))
    }
    fn events_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<ConsentEvent>, Self::Error>> + Send {
        ready(self.0.events_for(address))
    }
    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, Self::Error>> + Send {
        ready(self.0.events_for_many(addresses))
    }
    fn lend_events_for_many(
        &self,
        addresses: &[&EmailAddress],
        each: &mut (dyn FnMut(usize, &[ConsentEvent]) + Send),
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        ready(self.0.lend_events_for_many(addresses, each))
    }
    fn append_batch(
        &self,
        events: &[ConsentEvent],
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, Self::Error>> + Send {
        ready(self.0.append_batch(events))
    }
    fn erased_facts(
        &self,
        hash: &AddressHash,
    ) -> impl Future<Output = Result<Vec<ErasedFact>, Self::Error>> + Send {
        ready(self.0.erased_facts(hash))
    }
    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, Self::Error>> + Send {
        ready(self.0.erased_facts_many(hashes))
    }
    fn erasure_salt_ids(&self) -> impl Future<Output = Result<Vec<String>, Self::Error>> + Send {
        ready(self.0.erasure_salt_ids())
    }
    fn keep_token(
        &self,
        kept: &KeptToken,
    ) -> impl Future<Output = Result<bool, Self::Error>> + Send {
        ready(self.0.keep_token(kept))
    }
    fn kept_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<KeptToken>, Self::Error>> + Send {
        ready(self.0.kept_token(token))
    }
    fn purge_kept_tokens(
        &self,
        issued_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, Self::Error>> + Send {
        ready(self.0.purge_kept_tokens(issued_before))
    }
    fn kept_tokens_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<KeptToken>, Self::Error>> + Send {
        ready(self.0.kept_tokens_for(address))
    }
    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> impl Future<Output = Result<EraseOutcome, Self::Error>> + Send {
        ready(self.0.erase(address, keep, replaces, covered))
    }
}

impl<T: Mailer + ?Sized> MailPort for SyncPorts<'_, T> {
    type Error = T::Error;
    fn deliver(
        &self,
        message: &crate::message::OutboundMessage,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send {
        ready(self.0.deliver(message))
    }
}

/// Run an operation over [`SyncPorts`] to completion.
///
/// Every future such an operation awaits is complete when it is made, so
/// the first poll returns the result; the loop only guards the contract.
pub(crate) fn run_ready<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
        std::hint::spin_loop();
    }
}

/// What both drivers hold besides their ports: the ledger policy and the
/// erasure salts.
#[derive(Clone)]
pub(crate) struct Engine {
    pub(crate) policy: LedgerPolicy,
    /// The erasure salts: the first hashes new erasures, the others are
    /// retired salts still used to find facts kept before a rotation.
    pub(crate) erasure_salts: Vec<Vec<u8>>,
    /// Whether the host named the salt of facts kept before salt ids were
    /// recorded.
    pub(crate) legacy_salt_named: bool,
}

type Result2<T, S, M> = Result<T, ServiceError<<S as StorePort>::Error, <M as MailPort>::Error>>;

fn checked_salt(salt: Vec<u8>) -> Result<Vec<u8>, &'static str> {
    if salt.len() < 16 {
        return Err("an erasure salt needs at least 16 bytes");
    }
    Ok(salt)
}

/// A store's many-at-once answer cut or completed to one answer per key: a
/// store that answers with fewer lists than keys has the rest read one by
/// one (extra lists are dropped).
async fn one_per_key<'k, K, T, E, Fut>(
    mut got: Vec<T>,
    keys: &'k [K],
    one: impl Fn(&'k K) -> Fut,
) -> Result<Vec<T>, E>
where
    Fut: Future<Output = Result<T, E>>,
{
    got.truncate(keys.len());
    for key in keys.get(got.len()..).unwrap_or_default() {
        got.push(one(key).await?);
    }
    Ok(got)
}

impl Engine {
    pub(crate) fn new(policy: LedgerPolicy) -> Self {
        Engine {
            policy,
            erasure_salts: Vec::new(),
            legacy_salt_named: false,
        }
    }

    pub(crate) fn add_current_salt(&mut self, salt: Vec<u8>) -> Result<(), &'static str> {
        let salt = checked_salt(salt)?;
        self.erasure_salts.retain(|s| *s != salt);
        self.erasure_salts.insert(0, salt);
        Ok(())
    }

    pub(crate) fn add_retired_salt(&mut self, salt: Vec<u8>) -> Result<(), &'static str> {
        let salt = checked_salt(salt)?;
        if !self.erasure_salts.contains(&salt) {
            self.erasure_salts.push(salt);
        }
        Ok(())
    }

    pub(crate) fn add_legacy_salt(&mut self, salt: Vec<u8>) -> Result<(), &'static str> {
        self.add_retired_salt(salt)?;
        self.legacy_salt_named = true;
        Ok(())
    }

    /// Every event about `address`, with the facts kept for it after an
    /// erasure standing in as events, and how many of them are live (not
    /// kept facts). Refuses to answer when the store holds facts hashed
    /// with a salt this driver lacks: those facts could be this person's,
    /// and ignoring them could resubscribe them.
    pub(crate) async fn history_counted<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        address: &EmailAddress,
    ) -> Result2<(Vec<ConsentEvent>, usize), S, M> {
        self.check_erasure_salts::<S, M>(store).await?;
        self.history_unchecked::<S, M>(store, address).await
    }

    /// Refuse to read histories when the store holds erased facts under a
    /// salt this driver does not have (they would be silently missed).
    async fn check_erasure_salts<S: StorePort, M: MailPort>(&self, store: &S) -> Result2<(), S, M> {
        let needed = store
            .erasure_salt_ids()
            .await
            .map_err(ServiceError::Store)?;
        if !needed.is_empty() {
            let known: Vec<String> = self.erasure_salts.iter().map(|s| salt_id(s)).collect();
            for id in needed {
                let missing = if id == UNKNOWN_SALT_ID {
                    !self.legacy_salt_named
                } else {
                    !known.contains(&id)
                };
                if missing {
                    return Err(ServiceError::MissingErasureSalt { salt_id: id });
                }
            }
        }
        Ok(())
    }

    /// One address's events and the erased facts kept about it, once the
    /// salts are checked; with the number of live events.
    async fn history_unchecked<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        address: &EmailAddress,
    ) -> Result2<(Vec<ConsentEvent>, usize), S, M> {
        let mut events = store
            .events_for(address)
            .await
            .map_err(ServiceError::Store)?;
        let live = events.len();
        self.add_erased::<S, M>(store, address, &mut events).await?;
        Ok((events, live))
    }

    /// Add to `events` the suppressions kept, under every configured
    /// salt, from an erased history of `address`.
    async fn add_erased<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        address: &EmailAddress,
        events: &mut Vec<ConsentEvent>,
    ) -> Result2<(), S, M> {
        for salt in &self.erasure_salts {
            let hash = AddressHash::new(salt, address);
            let kept = store
                .erased_facts(&hash)
                .await
                .map_err(ServiceError::Store)?;
            events.extend(kept.iter().filter_map(|fact| fact.as_event(address)));
        }
        Ok(())
    }

    /// The histories of a chunk of addresses, as `history_unchecked`
    /// gives each, read with one store call (and one more per erasure
    /// salt for the facts kept from erased histories). A store that answers with
    /// fewer lists than addresses has the rest read one by one; the fold
    /// ignores any event not about its key, so a list in the wrong place
    /// can hide history but never lend it to someone else.
    async fn histories_unchecked<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        addresses: &[&EmailAddress],
    ) -> Result2<Vec<Vec<ConsentEvent>>, S, M> {
        let lists = store
            .events_for_many(addresses)
            .await
            .map_err(ServiceError::Store)?;
        let mut lists = one_per_key(lists, addresses, |a| store.events_for(a))
            .await
            .map_err(ServiceError::Store)?;
        for salt in &self.erasure_salts {
            let hashes: Vec<AddressHash> = addresses
                .iter()
                .map(|a| AddressHash::new(salt, a))
                .collect();
            let kept = store
                .erased_facts_many(&hashes)
                .await
                .map_err(ServiceError::Store)?;
            let kept = one_per_key(kept, &hashes, |h| store.erased_facts(h))
                .await
                .map_err(ServiceError::Store)?;
            for ((address, events), facts) in addresses.iter().zip(lists.iter_mut()).zip(&kept) {
                events.extend(facts.iter().filter_map(|fact| fact.as_event(address)));
            }
        }
        Ok(lists)
    }

    pub(crate) async fn history<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        address: &EmailAddress,
    ) -> Result2<Vec<ConsentEvent>, S, M> {
        Ok(self.history_counted::<S, M>(store, address).await?.0)
    }

    pub(crate) async fn erase<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        address: &EmailAddress,
    ) -> Result2<ErasureReceipt, S, M> {
        let salt = self.erasure_salts.first().ok_or(ServiceError::Unsupported(
            "erasure needs an erasure salt (with_erasure_salt)",
        ))?;
        let replaces: Vec<AddressHash> = self
            .erasure_salts
            .iter()
            .map(|s| AddressHash::new(s, address))
            .collect();
        // An event arriving between reading the history and erasing it
        // makes the store refuse; plan again (a few times, then give up).
        for _ in 0..ERASE_ATTEMPTS {
            let (events, live) = self.history_counted::<S, M>(store, address).await?;
            let kept = erasure_plan(salt, address, &events);
            match store
                .erase(address, &kept, &replaces, live)
                .await
                .map_err(ServiceError::Store)?
            {
                EraseOutcome::Erased { events_deleted } => {
                    return Ok(ErasureReceipt {
                        hash: AddressHash::new(salt, address),
                        events_deleted,
                        kept,
                    })
                }
                EraseOutcome::HistoryChanged => continue,
                EraseOutcome::Unsupported => {
                    return Err(ServiceError::Unsupported("this consent store cannot erase"))
                }
            }
        }
        Err(ServiceError::ConcurrentChange)
    }

    pub(crate) async fn record<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        event: &ConsentEvent,
    ) -> Result2<AppendOutcome, S, M> {
        event.validate()?;
        match store.append(event).await.map_err(ServiceError::Store)? {
            AppendOutcome::Conflict => Err(ServiceError::IdConflict {
                tenant: event.tenant.clone(),
                id: event.id.clone(),
            }),
            outcome => Ok(outcome),
        }
    }

    pub(crate) async fn state<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        key: &ConsentKey,
        now: DateTime<Utc>,
    ) -> Result2<ConsentState, S, M> {
        let events = self.history::<S, M>(store, &key.address).await?;
        Ok(ConsentState::replay(key, &events, &self.policy, now))
    }

    pub(crate) async fn export_with<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        address: &EmailAddress,
        now: DateTime<Utc>,
        disclosures: &[DisclosureRecord],
        cookie_consent: Option<&CookieConsent>,
    ) -> Result2<SubjectExport, S, M> {
        let mut events = self.history::<S, M>(store, address).await?;
        // Defence in depth: a faulty store must not leak another person's data.
        events.retain(|e| e.address == *address);
        events.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.id.cmp(&b.id)));
        let states = ConsentState::replay_person(address, &events, &self.policy, now);
        let mut suppressions: Vec<Suppression> = Vec::new();
        for s in states.iter().flat_map(|s| s.suppressions()) {
            if !suppressions.contains(s) {
                suppressions.push(s.clone());
            }
        }
        let mut kept_tokens = store
            .kept_tokens_for(address)
            .await
            .map_err(ServiceError::Store)?;
        kept_tokens.retain(|k| k.address == *address);
        Ok(SubjectExport {
            address: address.canonical().to_owned(),
            exported_at: now,
            events,
            states,
            suppressions,
            disclosures: disclosures
                .iter()
                .filter(|d| d.subject == *address)
                .cloned()
                .collect(),
            cookie_consent: cookie_consent.cloned(),
            kept_tokens,
        })
    }

    pub(crate) async fn send<'b, S, M, I>(
        &self,
        store: &S,
        mailer: &M,
        campaign: &Campaign<'_>,
        audience: I,
        classifier: &Classifier,
    ) -> Result2<SendReport<M::Error>, S, M>
    where
        S: StorePort,
        M: MailPort,
        I: IntoIterator<Item = &'b EmailAddress>,
    {
        let ctx = campaign.context;
        let message = Message::from_outbound(campaign.template, campaign.declared);
        let classification = classifier.classify(&message);
        let issues = lint(campaign.template, &classification, campaign.profile);
        let blocked = ctx.treats_as_promotional(*classification.outcome()) && !issues.is_empty();
        let mut report = SendReport {
            classification,
            lint: issues,
            blocked,
            sent: Vec::new(),
            suppressed: Vec::new(),
            failed: Vec::new(),
        };
        if blocked {
            return Ok(report);
        }
        // Canonical keys borrowed from the audience: no allocation each.
        let mut seen: HashSet<&'b str, foldhash::fast::RandomState> = HashSet::default();
        let mut checked: Vec<(Vec<crate::eligibility::Requirement>, Vec<Reason>)> = Vec::new();
        // Recipients are read a chunk at a time: one store call for 32
        // histories (one query in the PostgreSQL store). An event recorded
        // while a chunk is being delivered is seen from the next chunk on.
        // The erasure salts are checked once, before the first read.
        let mut audience = audience.into_iter();
        let mut chunk: Vec<&'b EmailAddress> = Vec::with_capacity(SEND_CHUNK);
        let mut salts_checked = false;
        let mut folded: Vec<Option<ConsentState>> = Vec::with_capacity(SEND_CHUNK);
        loop {
            chunk.clear();
            for address in audience.by_ref() {
                if seen.insert(address.canonical()) {
                    chunk.push(address);
                    if chunk.len() == SEND_CHUNK {
                        break;
                    }
                }
            }
            if chunk.is_empty() {
                break;
            }
            if !salts_checked {
                self.check_erasure_salts::<S, M>(store).await?;
                salts_checked = true;
            }
            // Each recipient's history is folded as the store lends it (the
            // memory store lends without copying an event, under its lock:
            // the callback only folds, never calls host code or the store).
            // One slot per recipient of the chunk, whatever the store does:
            // a repeated index is ignored, a missing one read on its own.
            folded.clear();
            folded.resize_with(chunk.len(), || None);
            let fold_one = |address: &EmailAddress, events: &[ConsentEvent]| {
                let key = ConsentKey::new(ctx.tenant.clone(), ctx.list.clone(), address.clone());
                ConsentState::replay_owned(key, events, &self.policy, ctx.now)
            };
            {
                let mut fold = |i: usize, events: &[ConsentEvent]| {
                    if let (Some(&address), Some(slot @ None)) = (chunk.get(i), folded.get_mut(i)) {
                        *slot = Some(fold_one(address, events));
                    }
                };
                if self.erasure_salts.is_empty() {
                    store
                        .lend_events_for_many(&chunk, &mut fold)
                        .await
                        .map_err(ServiceError::Store)?;
                } else {
                    // Erased facts join each history: read owned lists.
                    let histories = self.histories_unchecked::<S, M>(store, &chunk).await?;
                    for (i, events) in histories.iter().enumerate() {
                        fold(i, events);
                    }
                }
            }
            for (&address, slot) in chunk.iter().zip(folded.iter_mut()) {
                let state = match slot.take() {
                    Some(state) => state,
                    None => {
                        // Not lent (a store short of its contract): read alone.
                        let events = store
                            .events_for(address)
                            .await
                            .map_err(ServiceError::Store)?;
                        fold_one(address, &events)
                    }
                };
                let jurisdiction = campaign.jurisdiction.and_then(|of| of(address));
                let decision =
                    ctx.decide_for(&state, &report.classification, jurisdiction.as_ref());
                // The state's copy of the address goes on to the message and
                // the report: one copy per recipient.
                let owned = state.into_key().address;
                let requirements = match decision.into_parts() {
                    (SendOutcome::Suppress, reasons) => {
                        report.suppressed.push((owned, reasons.into_vec()));
                        continue;
                    }
                    (SendOutcome::Send { requirements }, _) => requirements,
                };
                let message = match campaign.personalise {
                    Some(render) => match render(campaign.template, address) {
                        Ok(m) => m.to_recipient(owned),
                        Err(e) => {
                            report.suppressed.push((
                                owned,
                                vec![Reason::new(
                                    ids::SEND_PERSONALISATION_FAILED,
                                    format!("the personalised message could not be built: {e}"),
                                )],
                            ));
                            continue;
                        }
                    },
                    None => campaign.template.to_recipient(owned),
                };
                // Without personalisation every copy differs from the template
                // only in its `To`, which no requirement looks at: check each
                // distinct set of requirements once per send.
                let unmet = if campaign.personalise.is_none() {
                    match checked.iter().find(|(r, _)| *r == requirements) {
                        Some((_, unmet)) => unmet.clone(),
                        None => {
                            let unmet = check_requirements(
                                campaign.template,
                                &requirements,
                                campaign.profile,
                            );
                            checked.push((requirements.clone(), unmet.clone()));
                            unmet
                        }
                    }
                } else {
                    check_requirements(&message, &requirements, campaign.profile)
                };
                if !unmet.is_empty() {
                    report.suppressed.push((message.into_recipient(), unmet));
                    continue;
                }
                match mailer.deliver(&message).await {
                    Ok(()) => report.sent.push(message.into_recipient()),
                    Err(e) => report.failed.push((message.into_recipient(), e)),
                }
            }
        }
        Ok(report)
    }

    /// Issue a token shorter than 200 characters; a reference token is
    /// kept in the store first (a store that cannot keep tokens gets
    /// `Unsupported`: no token over 200 characters is ever issued here).
    pub(crate) async fn unsubscribe_token<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        keys: &KeyRing,
        key: &ConsentKey,
        issued_at: DateTime<Utc>,
    ) -> Result2<String, S, M> {
        let (tenant, list, address) = (&key.tenant, &key.list, &key.address);
        match keys.issue(tenant, list, address, issued_at) {
            IssuedToken::Sealed(text) => Ok(text),
            IssuedToken::Kept(kept) => {
                if store.keep_token(&kept).await.map_err(ServiceError::Store)? {
                    Ok(kept.token)
                } else {
                    Err(ServiceError::Unsupported(
                        "this consent store cannot keep unsubscribe tokens, and this address is too long for a self-contained token under 200 characters (KeyRing::issue_sealed gives a longer one)",
                    ))
                }
            }
        }
    }

    /// Delete the kept tokens that no longer verify under `keys` at `now`.
    pub(crate) async fn purge_expired_tokens<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        keys: &KeyRing,
        now: DateTime<Utc>,
    ) -> Result2<usize, S, M> {
        let issued_before = crate::time::add(now, -keys.validity());
        store
            .purge_kept_tokens(issued_before)
            .await
            .map_err(ServiceError::Store)
    }

    /// Verify any token: sealed ones with the keys alone, references
    /// against what the store keeps.
    pub(crate) async fn verify_token<S: StorePort>(
        &self,
        store: &S,
        keys: &KeyRing,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Result<VerifiedToken, TokenError>, S::Error> {
        match keys.verify(token, now) {
            Err(TokenError::KeptByStore) => {
                let kept = store.kept_token(token).await?;
                Ok(keys.verify_reference(token, kept.as_ref(), now))
            }
            other => Ok(other),
        }
    }

    pub(crate) async fn handle_one_click<S: StorePort, M: MailPort>(
        &self,
        store: &S,
        settings: &UnsubscribeSettings,
        request: &OneClickRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<OneClickConfirmation, OneClickError<S::Error>> {
        may_change_state(request.method, request.content_type, request.body)?;
        let token = self
            .verify_token(store, &settings.keys, request.token, now)
            .await
            .map_err(OneClickError::Store)??;
        let event = token.opt_out_event(request.token, now);
        let id = event.id.clone();
        let outcome = store.append(&event).await.map_err(OneClickError::Store)?;
        let key = ConsentKey::new(
            token.tenant.clone(),
            token.list.clone(),
            token.address.clone(),
        );
        let (received_at, id, newly_recorded) = match outcome {
            AppendOutcome::Appended => (now, id, true),
            // A replayed POST: the id (a hash of the token) is stored, from
            // the first POST at an earlier time, or was erased since.
            // Anything else stored under that id is a real conflict.
            AppendOutcome::Duplicate | AppendOutcome::Conflict => {
                let first = store
                    .events_for(&token.address)
                    .await
                    .map_err(OneClickError::Store)?
                    .into_iter()
                    .find(|e| e.id == id && e.tenant == token.tenant);
                let first_at = match first {
                    Some(e) if e.action == event.action && e.list == event.list => Some(e.at),
                    Some(_) => return Err(OneClickError::IdConflict(id)),
                    None if outcome == AppendOutcome::Duplicate => None,
                    None => return Err(OneClickError::IdConflict(id)),
                };
                // The same link clicked again after the person signed up
                // again (or after an erasure) must still opt them out: if
                // no opt-out is in force now, record a new one.
                let state = self
                    .state::<S, M>(store, &key, now)
                    .await
                    .map_err(|e| match e {
                        ServiceError::Store(s) => OneClickError::Store(s),
                        ServiceError::MissingErasureSalt { salt_id } => {
                            OneClickError::MissingErasureSalt { salt_id }
                        }
                        _ => OneClickError::IdConflict(id.clone()),
                    })?;
                let in_force = state.suppressions().iter().any(|s| {
                    matches!(
                        s.kind,
                        SuppressionKind::OptedOut | SuppressionKind::Complaint
                    )
                });
                match first_at {
                    Some(at) if in_force => (at, id, false),
                    None if in_force => (now, id, false),
                    _ => {
                        let again = EventId::from_checked(format!("{id}-{}", now.timestamp()));
                        let mut fresh = event.clone();
                        fresh.id = again.clone();
                        let o = store.append(&fresh).await.map_err(OneClickError::Store)?;
                        if o == AppendOutcome::Conflict {
                            return Err(OneClickError::IdConflict(again));
                        }
                        (now, again, o == AppendOutcome::Appended)
                    }
                }
            }
        };
        Ok(OneClickConfirmation {
            key,
            event: id,
            newly_recorded,
            received_at,
            deadline: settings.deadlines.decide(received_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    use super::*;

    /// The output of a future that is ready at once.
    fn at_once<F: Future>(f: F) -> F::Output {
        match pin!(f).poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(v) => v,
            Poll::Pending => panic!("the future was not ready"),
        }
    }

    #[test]
    fn a_short_answer_is_completed_one_by_one_and_a_long_one_cut() {
        let keys = [1, 2, 3];
        let got = at_once(one_per_key(vec![10], &keys, |k| ready(Ok::<_, ()>(k * 10))));
        assert_eq!(got, Ok(vec![10, 20, 30]));
        let got = at_once(one_per_key(vec![7, 8, 9, 10], &keys[..2], |k| {
            ready(Ok::<_, ()>(*k))
        }));
        assert_eq!(got, Ok(vec![7, 8]));
        let got = at_once(one_per_key(vec![], &keys, |_| ready(Err::<i32, _>("down"))));
        assert_eq!(got, Err("down"));
    }
}
