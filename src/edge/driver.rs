//! The synchronous driver: reads through the ports, calls the pure core and
//! writes its effects back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::address::EmailAddress;
use crate::classify::{Classification, Classifier, DeclaredKind};
use crate::consent::Suppression;
use crate::consent::{ConsentEvent, ConsentKey, ConsentState, EventError, LedgerPolicy};
use crate::cookie::CookieConsent;
use crate::decision::{Decision, Reason};
use crate::disclosure::DisclosureRecord;
use crate::edge::engine::{run_ready, Engine, SyncPorts};
use crate::edge::ports::{AppendOutcome, ConsentStore, Mailer};
use crate::eligibility::{SendContext, SenderProfile};
use crate::ids::EventId;
use crate::message::{MessageError, OutboundMessage};
use crate::retention::{AddressHash, ErasedFact};
use crate::unsubscribe::{
    Deadline, KeyRing, OptOutDeadlines, RequestRefused, TokenError, VerifiedToken,
};

/// An error of a driver operation: the host's store or mailer failed, or the
/// caller's input was refused before anything was stored.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError<S, M>
where
    S: std::error::Error + 'static,
    M: std::error::Error + 'static,
{
    /// The consent store failed; retry according to the store's error.
    #[error("consent store failed")]
    Store(#[source] S),
    /// The mailer failed; the message may be retried.
    #[error("mailer failed")]
    Mailer(#[source] M),
    /// The event was refused (bad evidence); nothing was stored. Answer 400.
    #[error("event refused")]
    InvalidEvent(#[from] EventError),
    /// An export could not be rendered as JSON.
    #[error("export could not be serialised")]
    Export(#[source] serde_json::Error),
    /// The operation needs something this driver or store does not have
    /// (an erasure salt, a store that can erase). A configuration error.
    #[error("not supported: {0}")]
    Unsupported(&'static str),
    /// The store holds facts kept after an erasure, hashed with a salt
    /// this driver was not given ([`Driver::with_erasure_salt`],
    /// [`Driver::with_retired_erasure_salt`]). Refused rather than
    /// answered: without them an erased person could be mailed again. A
    /// configuration error.
    #[error("the store holds erased facts hashed with salt `{salt_id}`, which this driver lacks")]
    MissingErasureSalt {
        /// The salt's fingerprint ([`retention::salt_id`](crate::retention::salt_id)).
        salt_id: String,
    },
    /// Events kept arriving for the person while an erasure was being
    /// planned; nothing was erased. Retry.
    #[error("the person's history kept changing during the erasure; nothing was erased")]
    ConcurrentChange,
    /// Another event is stored under this tenant and id; nothing was
    /// stored. The host gave two events one id: fix its id scheme.
    #[error("tenant `{tenant}` already has a different event with id `{id}`")]
    IdConflict {
        /// The tenant.
        tenant: crate::ids::TenantId,
        /// The id given twice.
        id: crate::ids::EventId,
    },
    /// The unsubscribe token does not verify (malformed, forged, unknown
    /// key, expired, or a reference the store does not keep). Show the
    /// "invalid link" page; nothing changed.
    #[error("token refused: {0}")]
    Token(#[from] TokenError),
}

/// The [`ServiceError`] of a driver over store `S` and mailer `M`.
pub type DriverError<S, M> = ServiceError<<S as ConsentStore>::Error, <M as Mailer>::Error>;

/// Builds the message for one recipient from the template (personal
/// unsubscribe token, greeting).
pub type Personalise<'a> =
    &'a (dyn Fn(&OutboundMessage, &EmailAddress) -> Result<OutboundMessage, MessageError> + Sync);

/// One message to send to an audience.
#[derive(Clone, Copy)]
pub struct Campaign<'a> {
    /// The message; its `To` is replaced per recipient.
    pub template: &'a OutboundMessage,
    /// What the sender declares it to be.
    pub declared: DeclaredKind,
    /// The tenant, list and time of the send.
    pub context: &'a SendContext,
    /// The sender's domains and postal address, for the lint.
    pub profile: &'a SenderProfile,
    /// Per-recipient rendering; `None` sends the template as it is.
    pub personalise: Option<Personalise<'a>>,
    /// Where each recipient is, when the host knows it: their regime is
    /// applied beside the ledger policy
    /// ([`SendContext::decide_for`](crate::eligibility::SendContext::decide_for)).
    /// `None`: the organisation's policy alone.
    pub jurisdiction: Option<JurisdictionOf<'a>>,
}

/// Looks up a recipient's jurisdiction (from the host's customer records).
pub type JurisdictionOf<'a> =
    &'a (dyn Fn(&EmailAddress) -> Option<crate::jurisdiction::Jurisdiction> + Sync);

impl std::fmt::Debug for Campaign<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Campaign")
            .field("template", self.template)
            .field("declared", &self.declared)
            .field("context", self.context)
            .field("personalise", &self.personalise.is_some())
            .field("jurisdiction", &self.jurisdiction.is_some())
            .finish()
    }
}

/// What a send did: the classification, the lint, and the fate of each
/// recipient.
#[derive(Debug)]
pub struct SendReport<E> {
    /// How the message was classified.
    pub classification: Classification,
    /// What the lint found in the template.
    pub lint: Vec<Reason>,
    /// Whether the lint blocked the whole send (a promotional message with
    /// an error). When set, nothing was sent.
    pub blocked: bool,
    /// Recipients handed to the mailer.
    pub sent: Vec<EmailAddress>,
    /// Recipients not sent to, with why.
    pub suppressed: Vec<(EmailAddress, Vec<Reason>)>,
    /// Recipients whose delivery the mailer refused, with its error.
    pub failed: Vec<(EmailAddress, E)>,
}

/// What the host's unsubscribe endpoint received.
#[derive(Clone, Copy, Debug)]
pub struct OneClickRequest<'a> {
    /// The HTTP method.
    pub method: &'a str,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// The request body.
    pub body: &'a [u8],
    /// The token from the URL's `token` query parameter.
    pub token: &'a str,
}

/// How the driver verifies tokens and computes deadlines.
#[derive(Clone, Debug)]
pub struct UnsubscribeSettings {
    /// The keys tokens are verified with.
    pub keys: KeyRing,
    /// The opt-out deadline rules in force and their calendar.
    pub deadlines: OptOutDeadlines,
}

/// The answer to an honoured one-click request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OneClickConfirmation {
    /// Whose opt-out, for which list.
    pub key: ConsentKey,
    /// The opt-out event (derived from the token, so a replay has the same id).
    pub event: EventId,
    /// Whether this request recorded it, or an earlier one had.
    pub newly_recorded: bool,
    /// When the opt-out was first received.
    pub received_at: DateTime<Utc>,
    /// By when it must take effect, under which rule.
    pub deadline: Decision<Deadline>,
}

/// Why a one-click request changed nothing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OneClickError<S>
where
    S: std::error::Error + 'static,
{
    /// Not a one-click POST (a GET from a link scanner, a wrong body). Show
    /// a confirmation page whose button POSTs; change nothing.
    #[error("request refused: {0}")]
    Refused(#[from] RequestRefused),
    /// The token is malformed, forged, sealed with an unknown key, dated in the future or expired.
    /// Answer 400 or ask the person to confirm their address.
    #[error("token refused: {0}")]
    Token(#[from] TokenError),
    /// The store failed; nothing may have been recorded. Retry (the event id
    /// is stable, so a retry cannot record twice).
    #[error("consent store failed")]
    Store(#[source] S),
    /// The host already stored a different event under this one-click's
    /// id (`one-click-` and a hash of the token); nothing was recorded.
    #[error("a different event already has id `{0}`")]
    IdConflict(crate::ids::EventId),
    /// The store holds erased facts hashed with a salt this driver lacks
    /// (see [`ServiceError::MissingErasureSalt`]); nothing was recorded.
    #[error("the store holds erased facts hashed with salt `{salt_id}`, which this driver lacks")]
    MissingErasureSalt {
        /// The salt's fingerprint.
        salt_id: String,
    },
}

/// One person's whole history, for a subject access request (GDPR Art. 15)
/// or an auditor. It holds that person's events and the states derived from
/// them, and nothing about anyone else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectExport {
    /// The canonical address of the person.
    pub address: String,
    /// When the export was made.
    pub exported_at: DateTime<Utc>,
    /// Every event about the person, in time order.
    pub events: Vec<ConsentEvent>,
    /// The state of every (tenant, list) the events mention.
    pub states: Vec<ConsentState>,
    /// Every active suppression, across those states, once each.
    #[serde(default)]
    pub suppressions: Vec<Suppression>,
    /// The disclosures logged about the person.
    #[serde(default)]
    pub disclosures: Vec<DisclosureRecord>,
    /// Their cookie choice, when the host passes it.
    #[serde(default)]
    pub cookie_consent: Option<CookieConsent>,
    /// The unsubscribe tokens the store keeps for them (references to
    /// long addresses, see [`Driver::unsubscribe_token`]): tenant, list and
    /// send time.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kept_tokens: Vec<crate::unsubscribe::KeptToken>,
}

/// The sync driver over a [`ConsentStore`] and a [`Mailer`].
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::{
///     Action, AppendOutcome, Basis, ConsentEvent, ConsentKey, Driver, EmailAddress, EventId,
///     Evidence, LedgerPolicy, ListId, MemoryStore, RecordingMailer, TenantId,
/// };
///
/// let driver = Driver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default());
/// let now = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap();
/// let event = ConsentEvent {
///     id: EventId::new("evt-1")?,
///     at: now,
///     tenant: TenantId::new("acme")?,
///     list: Some(ListId::new("news")?),
///     address: EmailAddress::parse("Ann@Example.com")?,
///     action: Action::OptedIn { basis: Basis::ExpressForm },
///     evidence: Evidence::default(),
/// };
/// assert_eq!(driver.record(&event)?, AppendOutcome::Appended);
/// assert_eq!(driver.record(&event)?, AppendOutcome::Duplicate); // webhook retried
///
/// let key = ConsentKey::new(
///     TenantId::new("acme")?,
///     ListId::new("news")?,
///     EmailAddress::parse("ann@example.com")?,
/// );
/// assert!(driver.state(&key, now)?.permits_promotional());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Driver<S, M> {
    store: S,
    mailer: M,
    engine: Engine,
}

impl<S: std::fmt::Debug, M: std::fmt::Debug> std::fmt::Debug for Driver<S, M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("store", &self.store)
            .field("mailer", &self.mailer)
            .field("policy", &self.engine.policy)
            .field(
                "erasure_salts",
                &format_args!("<{} redacted>", self.engine.erasure_salts.len()),
            )
            .finish()
    }
}

/// What an erasure did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErasureReceipt {
    /// The salted hash that now stands for the address.
    pub hash: AddressHash,
    /// How many events were deleted.
    pub events_deleted: usize,
    /// The facts kept under the salted hash.
    pub kept: Vec<ErasedFact>,
}

impl<S: ConsentStore, M: Mailer> Driver<S, M> {
    /// A driver over a store, a mailer and a (valid by construction)
    /// ledger policy.
    pub fn new(store: S, mailer: M, policy: LedgerPolicy) -> Self {
        Driver {
            store,
            mailer,
            engine: Engine::new(policy),
        }
    }

    /// Enable erasure with a secret salt (at least 16 bytes) for the
    /// hashes the kept facts are filed under. Keep it secret, and keep
    /// every salt a store has used: a driver refuses to read a store that
    /// holds facts hashed with a salt it lacks
    /// ([`ServiceError::MissingErasureSalt`]). To rotate, make the new salt
    /// current and the old one retired
    /// ([`with_retired_erasure_salt`](Self::with_retired_erasure_salt)):
    /// facts are found under both, and erasing again re-files them under
    /// the new one.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unsupported`] for a salt shorter than 16 bytes.
    pub fn with_erasure_salt(
        mut self,
        salt: impl Into<Vec<u8>>,
    ) -> Result<Self, DriverError<S, M>> {
        self.engine
            .add_current_salt(salt.into())
            .map_err(ServiceError::Unsupported)?;
        Ok(self)
    }

    /// Keep finding facts hashed with a salt that is no longer current.
    /// Without a current salt, this one becomes current.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unsupported`] for a salt shorter than 16 bytes.
    pub fn with_retired_erasure_salt(
        mut self,
        salt: impl Into<Vec<u8>>,
    ) -> Result<Self, DriverError<S, M>> {
        self.engine
            .add_retired_salt(salt.into())
            .map_err(ServiceError::Unsupported)?;
        Ok(self)
    }

    /// Name the salt that facts kept before this version (SQLite schema 3
    /// and earlier, which recorded no salt id) were hashed with. Until it
    /// is named, a store holding such facts is refused
    /// ([`ServiceError::MissingErasureSalt`] with salt id `unknown`): the
    /// driver cannot check that any of its salts made them. The salt is
    /// also kept for lookups, as a retired one.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unsupported`] for a salt shorter than 16 bytes.
    pub fn with_legacy_erasure_salt(
        mut self,
        salt: impl Into<Vec<u8>>,
    ) -> Result<Self, DriverError<S, M>> {
        self.engine
            .add_legacy_salt(salt.into())
            .map_err(ServiceError::Unsupported)?;
        Ok(self)
    }

    /// Erase everything stored about `address` (GDPR Art. 17) but the
    /// facts decisions depend on, kept under a salted hash and stripped of
    /// everything personal ([`ErasedFact`]): a later lookup by address
    /// still finds them, so every decision after the erasure equals the
    /// one before (an opted-out person is never mailed again, a re-import
    /// cannot resubscribe them, a cleared bounce stays cleared).
    ///
    /// # Errors
    ///
    /// [`ServiceError::Unsupported`] without an erasure salt or with a store
    /// that cannot erase; [`ServiceError::ConcurrentChange`] when events
    /// kept arriving meanwhile; [`ServiceError::MissingErasureSalt`];
    /// [`ServiceError::Store`] when the store fails.
    pub fn erase(&self, address: &EmailAddress) -> Result<ErasureReceipt, DriverError<S, M>> {
        run_ready(
            self.engine
                .erase::<_, SyncPorts<'_, M>>(&SyncPorts(&self.store), address),
        )
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The mailer.
    pub fn mailer(&self) -> &M {
        &self.mailer
    }

    /// The ledger policy.
    pub fn policy(&self) -> &LedgerPolicy {
        &self.engine.policy
    }

    /// Validate an event and append it; the same event again appends
    /// nothing ([`AppendOutcome::Duplicate`]). Ids are scoped to the
    /// tenant.
    ///
    /// # Errors
    ///
    /// [`ServiceError::InvalidEvent`] when the event is refused,
    /// [`ServiceError::IdConflict`] when a different event has its tenant
    /// and id, [`ServiceError::Store`] when the store fails. Nothing is
    /// stored in any of these cases.
    pub fn record(&self, event: &ConsentEvent) -> Result<AppendOutcome, DriverError<S, M>> {
        run_ready(
            self.engine
                .record::<_, SyncPorts<'_, M>>(&SyncPorts(&self.store), event),
        )
    }

    /// Validate every event, then append them all with
    /// [`ConsentStore::append_batch`] (one transaction on SQLite). One
    /// outcome per event, in order; unlike [`record`](Self::record), a
    /// [`AppendOutcome::Conflict`] is reported in the list, not as an
    /// error, so the rest of the batch is not lost to one bad id.
    ///
    /// # Errors
    ///
    /// [`ServiceError::InvalidEvent`] for the first invalid event (nothing
    /// is stored), [`ServiceError::Store`] when the store fails.
    pub fn record_batch(
        &self,
        events: &[ConsentEvent],
    ) -> Result<Vec<AppendOutcome>, DriverError<S, M>> {
        for event in events {
            event.validate()?;
        }
        self.store.append_batch(events).map_err(ServiceError::Store)
    }

    /// The current state of a key, as of `now`.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] when the store fails;
    /// [`ServiceError::MissingErasureSalt`] when the store holds facts
    /// hashed with a salt this driver lacks.
    pub fn state(
        &self,
        key: &ConsentKey,
        now: DateTime<Utc>,
    ) -> Result<ConsentState, DriverError<S, M>> {
        run_ready(
            self.engine
                .state::<_, SyncPorts<'_, M>>(&SyncPorts(&self.store), key, now),
        )
    }

    /// One person's whole history and derived states.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] when the store fails.
    pub fn export(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<SubjectExport, DriverError<S, M>> {
        self.export_with(address, now, &[], None)
    }

    /// One person's whole history, active suppressions, the disclosures
    /// logged about them (records about anyone else are left out) and, if
    /// given, their cookie choice.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] when the store fails.
    pub fn export_with(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
        disclosures: &[DisclosureRecord],
        cookie_consent: Option<&CookieConsent>,
    ) -> Result<SubjectExport, DriverError<S, M>> {
        run_ready(self.engine.export_with::<_, SyncPorts<'_, M>>(
            &SyncPorts(&self.store),
            address,
            now,
            disclosures,
            cookie_consent,
        ))
    }

    /// Send a message to an audience: classify it, lint it, decide for each
    /// recipient from the stored history, and hand only eligible messages to
    /// the mailer. A promotional message with a lint error is not sent at
    /// all. Repeated addresses in the audience (by canonical key) get one
    /// message.
    ///
    /// The audience is read from the store 32 recipients at a time
    /// ([`ConsentStore::lend_events_for_many`]; [`ConsentStore::events_for_many`]
    /// when erasure salts are configured):
    /// an event recorded while a chunk is being delivered (an opt-out
    /// arriving mid-send) counts from the next chunk on.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] if the store fails (recipients handled before
    /// the failure were sent). A mailer failure is not an error of the whole
    /// send: it is listed in [`SendReport::failed`].
    pub fn send<'b, I>(
        &self,
        campaign: &Campaign<'_>,
        audience: I,
        classifier: &Classifier,
    ) -> Result<SendReport<M::Error>, DriverError<S, M>>
    where
        I: IntoIterator<Item = &'b EmailAddress>,
    {
        run_ready(self.engine.send(
            &SyncPorts(&self.store),
            &SyncPorts(&self.mailer),
            campaign,
            audience,
            classifier,
        ))
    }

    /// Issue the unsubscribe token for a message to `key`'s address on its
    /// list, sent at `issued_at`: always shorter than 200 characters
    /// ([`MAX_ISSUED_TOKEN_CHARS`](crate::unsubscribe::MAX_ISSUED_TOKEN_CHARS)).
    /// Usually self-contained ([`KeyRing::issue`]); when the tenant, list
    /// and address are too long to seal into that, a reference whose
    /// meaning the store keeps ([`ConsentStore::keep_token`]), written
    /// before the token is returned. Kept tokens are personal data: purge
    /// them once expired ([`Driver::purge_expired_tokens`]); erasure
    /// deletes them.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::unsubscribe::{KeyRing, TokenKey};
    /// use consentry::{ConsentKey, Driver, EmailAddress, LedgerPolicy, ListId, MemoryStore, RecordingMailer, TenantId};
    ///
    /// let driver = Driver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default());
    /// let keys = KeyRing::new(TokenKey::new("k1", [9u8; 32].to_vec())?);
    /// let sent = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    /// let long = format!("{}@{}.{}.example", "a".repeat(64), "b".repeat(63), "c".repeat(60));
    /// let key = ConsentKey::new(TenantId::new("acme")?, ListId::new("news")?, EmailAddress::parse(&long)?);
    /// let token = driver.unsubscribe_token(&keys, &key, sent)?;
    /// assert!(token.len() < 200);
    /// assert_eq!(driver.verify_token(&keys, &token, sent)?.address, key.address);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] when keeping the token fails; then use no
    /// token (the link would not verify). [`ServiceError::Unsupported`]
    /// when the token must be kept and the store cannot keep tokens (the
    /// port's default): implement [`ConsentStore::keep_token`], or accept
    /// a longer link from [`KeyRing::issue_sealed`].
    pub fn unsubscribe_token(
        &self,
        keys: &KeyRing,
        key: &ConsentKey,
        issued_at: DateTime<Utc>,
    ) -> Result<String, DriverError<S, M>> {
        run_ready(self.engine.unsubscribe_token::<_, SyncPorts<'_, M>>(
            &SyncPorts(&self.store),
            keys,
            key,
            issued_at,
        ))
    }

    /// Delete the kept tokens (see [`Driver::unsubscribe_token`]) that have
    /// expired under `keys` at `now`, and return how many. Run it daily:
    /// an expired token verifies for nobody, and the address it holds
    /// should not be kept longer than the link works.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Store`] when the store fails.
    pub fn purge_expired_tokens(
        &self,
        keys: &KeyRing,
        now: DateTime<Utc>,
    ) -> Result<usize, DriverError<S, M>> {
        run_ready(self.engine.purge_expired_tokens::<_, SyncPorts<'_, M>>(
            &SyncPorts(&self.store),
            keys,
            now,
        ))
    }

    /// Verify an unsubscribe token at `now`, whichever form it has: a
    /// sealed one with the keys alone, a reference against what the store
    /// keeps. Reads only.
    ///
    /// # Errors
    ///
    /// [`ServiceError::Token`] when it does not verify,
    /// [`ServiceError::Store`] when the store fails.
    pub fn verify_token(
        &self,
        keys: &KeyRing,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<VerifiedToken, DriverError<S, M>> {
        run_ready(
            self.engine
                .verify_token(&SyncPorts(&self.store), keys, token, now),
        )
        .map_err(ServiceError::Store)?
        .map_err(ServiceError::Token)
    }

    /// Handle a request to an unsubscribe URL: only a one-click POST with a
    /// valid token records an opt-out (via one-click) for the token's
    /// tenant, list and address, once; a replay records nothing new. The
    /// confirmation carries the compliance deadline.
    ///
    /// # Errors
    ///
    /// [`OneClickError::Refused`] for anything but a one-click POST,
    /// [`OneClickError::Token`] for a bad token, [`OneClickError::Store`]
    /// when the store fails. In every error case nothing was recorded.
    pub fn handle_one_click(
        &self,
        settings: &UnsubscribeSettings,
        request: &OneClickRequest<'_>,
        now: DateTime<Utc>,
    ) -> Result<OneClickConfirmation, OneClickError<S::Error>> {
        run_ready(self.engine.handle_one_click::<_, SyncPorts<'_, M>>(
            &SyncPorts(&self.store),
            settings,
            request,
            now,
        ))
    }

    /// [`Driver::export`] rendered as pretty JSON.
    ///
    /// # Errors
    ///
    /// As [`Driver::export`], and [`ServiceError::Export`] if rendering fails.
    pub fn export_json(
        &self,
        address: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<String, DriverError<S, M>> {
        let export = self.export(address, now)?;
        serde_json::to_string_pretty(&export).map_err(ServiceError::Export)
    }
}
