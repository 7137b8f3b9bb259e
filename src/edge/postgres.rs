//! [`PgStore`]: an [`AsyncConsentStore`] on PostgreSQL (feature
//! `postgres`), for many application instances sharing one database.
//!
//! tokio-postgres behind a deadpool connection pool; it needs a tokio
//! runtime. Every guarantee of the store contract is enforced by the
//! database, not by a read-then-write in the application:
//!
//! - **Ids**: events are keyed by SHA-256 over (tenant, id), the primary
//!   key; an append is one `INSERT … ON CONFLICT (key) DO NOTHING`, so the
//!   same event sent by every instance at once is stored once, and the
//!   losers read back what won to tell `Duplicate` from `Conflict`.
//! - **One person's history** is an index on (canonical address, sequence).
//! - **Erasure** runs in one transaction: the person's rows become
//!   tombstones (the hashed key only; the address, tenant, list and body
//!   are set to `NULL`) only if exactly the planned number of rows is there
//!   (else `HistoryChanged`), and the kept facts replace earlier ones.
//!   PostgreSQL keeps the old row versions as dead tuples until `VACUUM`
//!   reclaims them, and their bytes may stay in the table's files and in
//!   WAL segments until the space is reused: run `VACUUM (FULL)` on
//!   `consentry_events` and `consentry_kept_tokens` (or at least a plain
//!   `VACUUM` followed by a checkpoint) after erasures and token purges,
//!   and keep backups and WAL archives under the same erasure policy.
//! - **Batches**: [`AsyncConsentStore::append_batch`] is one statement
//!   (`INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`): all or
//!   nothing.
//! - **Migrations** are numbered, run in one transaction under an advisory
//!   lock (instances starting together migrate once), and a database with a
//!   newer schema is refused with a typed error.
//! - **Planning at scale**: [`PgStore::load_campaign`] reads a campaign's
//!   events in one streamed query and builds the suppression index as rows
//!   arrive.
//!
//! While the server is down every call fails with a typed error
//! ([`PgStoreError::is_transient`] says to retry) within the pool's
//! timeouts; the pool replaces broken connections on its own once the
//! server is back. An append either committed (and was acknowledged) or
//! did not: a retry after an error cannot store twice.

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Runtime};
use futures_util::{pin_mut, TryStreamExt};
use tokio_postgres::NoTls;

use crate::address::EmailAddress;
use crate::consent::{ConsentEvent, ConsentKey, ConsentState, LedgerPolicy};
use crate::edge::async_ports::AsyncConsentStore;
use crate::edge::ports::{AppendOutcome, EraseOutcome};
use crate::edge::rows::{event_key, outcome_against};
use crate::eligibility::{AudienceMember, PermissionSummary, SuppressionIndex};
use crate::ids::{ListId, TenantId};
use crate::retention::{AddressHash, ErasedFact};
use crate::unsubscribe::KeptToken;

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i32 = 2;

/// The numbered migrations, each applied in one transaction.
const MIGRATIONS: &[&str] = &[
    // 1: events keyed by SHA-256(tenant, id), in append order; the facts
    // kept after an erasure.
    "CREATE TABLE consentry_events (
        key       BYTEA  PRIMARY KEY,
        seq       BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
        canonical TEXT,
        tenant    TEXT,
        list      TEXT,
        body      TEXT
    );
    CREATE INDEX consentry_events_by_address ON consentry_events (canonical, seq)
        WHERE canonical IS NOT NULL;
    CREATE INDEX consentry_events_by_tenant ON consentry_events (tenant, canonical, seq)
        WHERE canonical IS NOT NULL;
    CREATE TABLE consentry_erased (
        hash    BYTEA  NOT NULL,
        ord     INT    NOT NULL,
        salt_id TEXT   NOT NULL,
        fact    TEXT   NOT NULL,
        PRIMARY KEY (hash, ord)
    );
    CREATE INDEX consentry_erased_by_salt ON consentry_erased (salt_id);",
    // 2: what reference tokens stand for (`ConsentStore::keep_token`),
    // deleted with the person's events on erasure.
    "CREATE TABLE consentry_kept_tokens (
        token     TEXT   PRIMARY KEY,
        canonical TEXT   NOT NULL,
        issued_at BIGINT NOT NULL,
        body      TEXT   NOT NULL
    );
    CREATE INDEX consentry_kept_tokens_by_address ON consentry_kept_tokens (canonical);
    CREATE INDEX consentry_kept_tokens_by_issue ON consentry_kept_tokens (issued_at);",
];

/// The advisory lock migrations run under (any fixed number of ours).
const MIGRATION_LOCK: i64 = 0x636f_6e73_656e_7472; // "consentr"

/// The error of a [`PgStore`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PgStoreError {
    /// No connection could be had: the server is down or unreachable, or
    /// every connection is busy past the pool's wait timeout. Retry.
    #[error("no PostgreSQL connection available")]
    Unavailable(#[source] deadpool_postgres::PoolError),
    /// A statement failed (the connection broke mid-call, a constraint, a
    /// permission). Nothing of the call was committed unless it returned.
    #[error("PostgreSQL statement failed")]
    Query(#[source] tokio_postgres::Error),
    /// The connection URL or pool settings are not usable.
    #[error("invalid PostgreSQL configuration: {0}")]
    Config(String),
    /// A newer consentry wrote this database.
    #[error("the database has consentry schema version {found}; this build knows up to {known}")]
    SchemaTooNew {
        /// The version found.
        found: i32,
        /// The newest this build knows.
        known: i32,
    },
    /// A stored row does not decode (edited by hand, or damaged).
    #[error("a stored {what} does not decode")]
    Corrupt {
        /// What did not decode.
        what: &'static str,
        /// Why, when a decoder said.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

impl PgStoreError {
    /// Whether retrying later may succeed: the server was unreachable or
    /// the connection broke.
    pub fn is_transient(&self) -> bool {
        match self {
            PgStoreError::Unavailable(_) => true,
            PgStoreError::Query(e) => {
                e.is_closed()
                    || e.code().is_none_or(|c| {
                        // Class 08 (connection), 57P (operator intervention:
                        // shutdown), 40 (serialization, deadlock).
                        let c = c.code();
                        c.starts_with("08") || c.starts_with("57P") || c.starts_with("40")
                    })
            }
            _ => false,
        }
    }
}

fn corrupt(what: &'static str) -> impl Fn(serde_json::Error) -> PgStoreError {
    move |e| PgStoreError::Corrupt {
        what,
        source: Some(Box::new(e)),
    }
}

/// Column `i` of `row` as `T`. A column that does not decode (a hand-edited
/// row, an altered schema) is corruption reported as an error, never a
/// panic.
fn column<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a tokio_postgres::Row,
    i: usize,
    what: &'static str,
) -> Result<T, PgStoreError> {
    row.try_get(i).map_err(|e| PgStoreError::Corrupt {
        what,
        source: Some(Box::new(e)),
    })
}

/// Column `i` of `row`, a JSON text, decoded as `T`; a column that does
/// not read or decode is [`PgStoreError::Corrupt`] naming `what`.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &tokio_postgres::Row,
    i: usize,
    what: &'static str,
) -> Result<T, PgStoreError> {
    serde_json::from_str(column(row, i, what)?).map_err(corrupt(what))
}

/// Rows of `(key, value)` dealt into one list per key asked, in the order
/// asked: a key asked twice gets every value twice (its last slot takes the
/// value, earlier ones copies); a row whose key was not asked is dropped.
fn deal_rows<'r, Q, K, T>(
    keys: &[K],
    rows: impl IntoIterator<Item = Result<(&'r Q, T), PgStoreError>>,
) -> Result<Vec<Vec<T>>, PgStoreError>
where
    Q: ?Sized + std::hash::Hash + Eq + 'r,
    K: std::borrow::Borrow<Q>,
    T: Clone,
{
    let mut lists: Vec<Vec<T>> = keys.iter().map(|_| Vec::new()).collect();
    let mut slots: HashMap<&Q, Vec<usize>> = HashMap::with_capacity(keys.len());
    for (i, key) in keys.iter().enumerate() {
        slots.entry(key.borrow()).or_default().push(i);
    }
    for row in rows {
        let (key, value) = row?;
        if let Some((&last, earlier)) = slots.get(key).and_then(|at| at.split_last()) {
            for &i in earlier {
                if let Some(list) = lists.get_mut(i) {
                    list.push(value.clone());
                }
            }
            if let Some(list) = lists.get_mut(last) {
                list.push(value);
            }
        }
    }
    Ok(lists)
}

/// Pool settings for [`PgStore::connect_with`].
#[derive(Clone, Debug)]
pub struct PgPoolSettings {
    /// The most connections this store opens.
    pub max_connections: usize,
    /// How long a call waits for a free connection, or for a new one to be
    /// made, before failing with [`PgStoreError::Unavailable`].
    pub timeout: Duration,
}

impl Default for PgPoolSettings {
    fn default() -> Self {
        PgPoolSettings {
            max_connections: 8,
            timeout: Duration::from_secs(5),
        }
    }
}

/// A campaign's audience and suppression index, loaded in one streamed
/// read ([`PgStore::load_campaign`]).
#[derive(Debug)]
pub struct CampaignLoad {
    /// Every suppression of every person with an event for the campaign's
    /// list or tenant.
    pub index: SuppressionIndex,
    /// Those people, with the permission their history gives, in address
    /// order.
    pub audience: Vec<(EmailAddress, Option<PermissionSummary>)>,
    /// How many events were read.
    pub events_read: usize,
}

impl CampaignLoad {
    /// The audience as the planner takes it ([`plan`](crate::eligibility::plan)).
    pub fn members(&self) -> impl Iterator<Item = AudienceMember<'_>> + '_ {
        self.audience
            .iter()
            .map(|(address, permission)| AudienceMember {
                address,
                permission: *permission,
                regime: None,
            })
    }
}

/// A consent store on PostgreSQL. Cheap to clone: clones share the pool.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let status = self.pool.status();
        f.debug_struct("PgStore")
            .field("connections", &status.size)
            .field("max_connections", &status.max_size)
            .finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connect to `url` (`postgres://user@host:port/db`, or key=value
    /// pairs) with [`PgPoolSettings::default`], and migrate the schema.
    ///
    /// # Errors
    ///
    /// [`PgStoreError::Config`] for a bad URL; [`PgStoreError::Unavailable`]
    /// or [`PgStoreError::Query`] when the server cannot be reached or the
    /// migration fails; [`PgStoreError::SchemaTooNew`].
    pub async fn connect(url: &str) -> Result<Self, PgStoreError> {
        Self::connect_with(url, PgPoolSettings::default()).await
    }

    /// [`connect`](Self::connect) with pool settings.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub async fn connect_with(url: &str, settings: PgPoolSettings) -> Result<Self, PgStoreError> {
        let mut config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| PgStoreError::Config(e.to_string()))?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(settings.timeout);
        }
        config.application_name("consentry");
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(settings.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(settings.timeout))
            .create_timeout(Some(settings.timeout))
            .recycle_timeout(Some(settings.timeout))
            .build()
            .map_err(|e| PgStoreError::Config(e.to_string()))?;
        let store = PgStore { pool };
        store.migrate().await?;
        Ok(store)
    }

    async fn client(&self) -> Result<deadpool_postgres::Object, PgStoreError> {
        self.pool.get().await.map_err(PgStoreError::Unavailable)
    }

    async fn migrate(&self) -> Result<(), PgStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(PgStoreError::Query)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(PgStoreError::Query)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS consentry_schema (version INT NOT NULL);")
            .await
            .map_err(PgStoreError::Query)?;
        let found: i32 = tx
            .query_opt("SELECT max(version) FROM consentry_schema", &[])
            .await
            .map_err(PgStoreError::Query)?
            .map(|row| column::<Option<i32>>(&row, 0, "schema version"))
            .transpose()?
            .flatten()
            .unwrap_or(0);
        if found > SCHEMA_VERSION {
            return Err(PgStoreError::SchemaTooNew {
                found,
                known: SCHEMA_VERSION,
            });
        }
        for (n, sql) in MIGRATIONS.iter().enumerate() {
            let version = i32::try_from(n).unwrap_or(i32::MAX).saturating_add(1);
            if version <= found {
                continue;
            }
            tx.batch_execute(sql).await.map_err(PgStoreError::Query)?;
            tx.execute(
                "INSERT INTO consentry_schema (version) VALUES ($1)",
                &[&version],
            )
            .await
            .map_err(PgStoreError::Query)?;
        }
        tx.commit().await.map_err(PgStoreError::Query)
    }

    /// The schema version of the database.
    ///
    /// # Errors
    ///
    /// The server's failure.
    pub async fn schema_version(&self) -> Result<i32, PgStoreError> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT max(version) FROM consentry_schema", &[])
            .await
            .map_err(PgStoreError::Query)?;
        Ok(column::<Option<i32>>(&row, 0, "schema version")?.unwrap_or(0))
    }

    /// How many event ids are stored (erased ones included: their ids stay
    /// reserved).
    ///
    /// # Errors
    ///
    /// The server's failure.
    pub async fn len(&self) -> Result<u64, PgStoreError> {
        let client = self.client().await?;
        let row = client
            .query_one("SELECT count(*) FROM consentry_events", &[])
            .await
            .map_err(PgStoreError::Query)?;
        Ok(u64::try_from(column::<i64>(&row, 0, "event count")?).unwrap_or(0))
    }

    /// Whether no event was ever stored.
    ///
    /// # Errors
    ///
    /// The server's failure.
    pub async fn is_empty(&self) -> Result<bool, PgStoreError> {
        Ok(self.len().await? == 0)
    }

    /// Load a campaign's audience and suppression index in one streamed
    /// read: the audience is everyone with an event of `tenant` for `list`
    /// or for all its lists; every event of theirs (of any tenant, since
    /// a hard bounce or a complaint elsewhere suppresses them everywhere) is
    /// read in address order and folded person by person as the rows
    /// arrive (as of `now`, under `policy`), exactly as
    /// [`AsyncDriver::state`](crate::AsyncDriver::state) would. Facts kept after an erasure are applied to
    /// anyone in the audience whose hash under one of `erasure_salts`
    /// matches (a person erased and imported again stays suppressed).
    /// Memory holds the index and the audience, never all events.
    ///
    /// # Errors
    ///
    /// The server's failure, or [`PgStoreError::Corrupt`].
    pub async fn load_campaign(
        &self,
        tenant: &TenantId,
        list: &ListId,
        policy: &LedgerPolicy,
        now: DateTime<Utc>,
        erasure_salts: &[&[u8]],
    ) -> Result<CampaignLoad, PgStoreError> {
        let client = self.client().await?;
        // The (small) kept facts first, by hash.
        let mut kept: HashMap<Vec<u8>, Vec<ErasedFact>> = HashMap::new();
        if !erasure_salts.is_empty() {
            for row in client
                .query(
                    "SELECT hash, fact FROM consentry_erased ORDER BY hash, ord",
                    &[],
                )
                .await
                .map_err(PgStoreError::Query)?
            {
                let fact: ErasedFact = json_column(&row, 1, "kept fact")?;
                kept.entry(column(&row, 0, "kept fact hash")?)
                    .or_default()
                    .push(fact);
            }
        }
        let statement = client
            .prepare_cached(
                "SELECT canonical, body FROM consentry_events
                 WHERE canonical IN (
                     SELECT canonical FROM consentry_events
                     WHERE tenant = $1 AND (list = $2 OR list IS NULL) AND canonical IS NOT NULL)
                 ORDER BY canonical, seq",
            )
            .await
            .map_err(PgStoreError::Query)?;
        let rows = client
            .query_raw(&statement, [tenant.as_str(), list.as_str()])
            .await
            .map_err(PgStoreError::Query)?;
        pin_mut!(rows);
        let mut load = CampaignLoad {
            index: SuppressionIndex::new(),
            audience: Vec::new(),
            events_read: 0,
        };
        let mut current: Option<String> = None;
        let mut events: Vec<ConsentEvent> = Vec::new();
        let finish = |events: &mut Vec<ConsentEvent>, load: &mut CampaignLoad| {
            let Some(first) = events.first() else {
                return;
            };
            let address = first.address.clone();
            for salt in erasure_salts {
                let hash = AddressHash::new(salt, &address);
                if let Some(facts) = kept.get(hash.as_bytes().as_slice()) {
                    events.extend(facts.iter().filter_map(|f| f.as_event(&address)));
                }
            }
            let key = ConsentKey::new(tenant.clone(), list.clone(), address);
            let state = ConsentState::replay(&key, events.iter(), policy, now);
            load.index.insert_state(&state);
            let permission = state.permission().map(PermissionSummary::of);
            load.audience.push((key.address, permission));
            events.clear();
        };
        while let Some(row) = rows.try_next().await.map_err(PgStoreError::Query)? {
            let canonical: &str = column(&row, 0, "event address")?;
            if current.as_deref() != Some(canonical) {
                finish(&mut events, &mut load);
                current = Some(canonical.to_owned());
            }
            events.push(json_column(&row, 1, "event row")?);
            load.events_read += 1;
        }
        finish(&mut events, &mut load);
        load.index.shrink_to_fit();
        Ok(load)
    }

    async fn append_one(&self, event: &ConsentEvent) -> Result<AppendOutcome, PgStoreError> {
        let body = serde_json::to_string(event).map_err(corrupt("event (encoding)"))?;
        let key = event_key(event.tenant.as_str(), event.id.as_str());
        let client = self.client().await?;
        let insert = client
            .prepare_cached(
                "INSERT INTO consentry_events (key, canonical, tenant, list, body)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING",
            )
            .await
            .map_err(PgStoreError::Query)?;
        let inserted = client
            .execute(
                &insert,
                &[
                    &key,
                    &event.address.canonical(),
                    &event.tenant.as_str(),
                    &event.list.as_ref().map(ListId::as_str),
                    &body,
                ],
            )
            .await
            .map_err(PgStoreError::Query)?;
        if inserted == 1 {
            return Ok(AppendOutcome::Appended);
        }
        let stored = client
            .query_opt("SELECT body FROM consentry_events WHERE key = $1", &[&key])
            .await
            .map_err(PgStoreError::Query)?;
        let stored: Option<&str> = match &stored {
            Some(row) => column(row, 0, "event row")?,
            None => None,
        };
        outcome_against(stored, event).map_err(corrupt("event row"))
    }

    async fn append_many(
        &self,
        events: &[ConsentEvent],
    ) -> Result<Vec<AppendOutcome>, PgStoreError> {
        // One row per distinct key; a key repeated in the batch is decided
        // against its first occurrence.
        let mut first_of: HashMap<Vec<u8>, usize> = HashMap::with_capacity(events.len());
        let (mut keys, mut canonicals, mut tenants, mut lists, mut bodies) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (i, event) in events.iter().enumerate() {
            let key = event_key(event.tenant.as_str(), event.id.as_str());
            if first_of.contains_key(&key) {
                continue;
            }
            first_of.insert(key.clone(), i);
            keys.push(key);
            canonicals.push(event.address.canonical());
            tenants.push(event.tenant.as_str());
            lists.push(event.list.as_ref().map(ListId::as_str));
            bodies.push(serde_json::to_string(event).map_err(corrupt("event (encoding)"))?);
        }
        let client = self.client().await?;
        let insert = client
            .prepare_cached(
                "INSERT INTO consentry_events (key, canonical, tenant, list, body)
                 SELECT * FROM unnest($1::bytea[], $2::text[], $3::text[], $4::text[], $5::text[])
                 ON CONFLICT (key) DO NOTHING RETURNING key",
            )
            .await
            .map_err(PgStoreError::Query)?;
        let inserted: std::collections::HashSet<Vec<u8>> = client
            .query(&insert, &[&keys, &canonicals, &tenants, &lists, &bodies])
            .await
            .map_err(PgStoreError::Query)?
            .iter()
            .map(|r| column(r, 0, "event key"))
            .collect::<Result<_, _>>()?;
        let missing: Vec<&Vec<u8>> = keys.iter().filter(|k| !inserted.contains(*k)).collect();
        let mut stored: HashMap<Vec<u8>, Option<String>> = HashMap::new();
        if !missing.is_empty() {
            for row in client
                .query(
                    "SELECT key, body FROM consentry_events WHERE key = ANY($1)",
                    &[&missing],
                )
                .await
                .map_err(PgStoreError::Query)?
            {
                stored.insert(column(&row, 0, "event key")?, column(&row, 1, "event row")?);
            }
        }
        let mut out = Vec::with_capacity(events.len());
        for (i, event) in events.iter().enumerate() {
            let key = event_key(event.tenant.as_str(), event.id.as_str());
            let first = first_of.get(&key).copied().unwrap_or(i);
            let outcome = if first != i {
                match events.get(first) {
                    Some(earlier) if earlier == event => AppendOutcome::Duplicate,
                    _ => AppendOutcome::Conflict,
                }
            } else if inserted.contains(&key) {
                AppendOutcome::Appended
            } else {
                outcome_against(stored.get(&key).and_then(Option::as_deref), event)
                    .map_err(corrupt("event row"))?
            };
            out.push(outcome);
        }
        Ok(out)
    }

    async fn events_for_address(
        &self,
        address: &EmailAddress,
    ) -> Result<Vec<ConsentEvent>, PgStoreError> {
        let client = self.client().await?;
        let select = client
            .prepare_cached("SELECT body FROM consentry_events WHERE canonical = $1 ORDER BY seq")
            .await
            .map_err(PgStoreError::Query)?;
        let rows = client
            .query(&select, &[&address.canonical()])
            .await
            .map_err(PgStoreError::Query)?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            // An erased event keeps its key, not its body.
            if let Some(body) = column::<Option<&str>>(row, 0, "event row")? {
                events.push(serde_json::from_str(body).map_err(corrupt("event row"))?);
            }
        }
        Ok(events)
    }

    /// Several addresses' events in one query, one list per address in
    /// the order given.
    async fn events_for_addresses(
        &self,
        addresses: &[&EmailAddress],
    ) -> Result<Vec<Vec<ConsentEvent>>, PgStoreError> {
        let keys: Vec<&str> = addresses.iter().map(|a| a.canonical()).collect();
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let client = self.client().await?;
        let select = client
            .prepare_cached(
                "SELECT canonical, body FROM consentry_events
                 WHERE canonical = ANY($1) AND body IS NOT NULL ORDER BY seq",
            )
            .await
            .map_err(PgStoreError::Query)?;
        let rows = client
            .query(&select, &[&keys])
            .await
            .map_err(PgStoreError::Query)?;
        deal_rows(
            &keys,
            rows.iter().map(|row| {
                let key: &str = column(row, 0, "event row")?;
                let event: ConsentEvent = json_column(row, 1, "event row")?;
                Ok((key, event))
            }),
        )
    }

    async fn facts(&self, hash: &AddressHash) -> Result<Vec<ErasedFact>, PgStoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT fact FROM consentry_erased WHERE hash = $1 ORDER BY ord",
                &[&hash.as_bytes().as_slice()],
            )
            .await
            .map_err(PgStoreError::Query)?;
        rows.iter()
            .map(|r| json_column(r, 0, "kept fact"))
            .collect()
    }

    /// Several hashes' kept facts in one query, one list per hash in the
    /// order given.
    async fn facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> Result<Vec<Vec<ErasedFact>>, PgStoreError> {
        if hashes.is_empty() {
            return Ok(Vec::new());
        }
        let keys: Vec<&[u8]> = hashes.iter().map(|h| h.as_bytes().as_slice()).collect();
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT hash, fact FROM consentry_erased WHERE hash = ANY($1) ORDER BY ord",
                &[&keys],
            )
            .await
            .map_err(PgStoreError::Query)?;
        deal_rows(
            &keys,
            rows.iter().map(|row| {
                let hash: &[u8] = column(row, 0, "kept fact")?;
                let fact: ErasedFact = json_column(row, 1, "kept fact")?;
                Ok((hash, fact))
            }),
        )
    }

    async fn salt_ids(&self) -> Result<Vec<String>, PgStoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT DISTINCT salt_id FROM consentry_erased ORDER BY salt_id",
                &[],
            )
            .await
            .map_err(PgStoreError::Query)?;
        rows.iter().map(|r| column(r, 0, "salt id")).collect()
    }

    async fn keep(&self, kept: &KeptToken) -> Result<bool, PgStoreError> {
        let body = serde_json::to_string(kept).map_err(corrupt("kept token (encoding)"))?;
        let client = self.client().await?;
        client
            .execute(
                "INSERT INTO consentry_kept_tokens (token, canonical, issued_at, body)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (token) DO NOTHING",
                &[
                    &kept.token,
                    &kept.address.canonical(),
                    &kept.issued_at.timestamp(),
                    &body,
                ],
            )
            .await
            .map_err(PgStoreError::Query)?;
        Ok(true)
    }

    async fn kept(&self, token: &str) -> Result<Option<KeptToken>, PgStoreError> {
        let client = self.client().await?;
        let row = client
            .query_opt(
                "SELECT body FROM consentry_kept_tokens WHERE token = $1",
                &[&token],
            )
            .await
            .map_err(PgStoreError::Query)?;
        row.map(|r| json_column(&r, 0, "kept token")).transpose()
    }

    async fn kept_for(&self, address: &EmailAddress) -> Result<Vec<KeptToken>, PgStoreError> {
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT body FROM consentry_kept_tokens WHERE canonical = $1 ORDER BY issued_at, token",
                &[&address.canonical()],
            )
            .await
            .map_err(PgStoreError::Query)?;
        rows.iter()
            .map(|r| json_column(r, 0, "kept token"))
            .collect()
    }

    async fn purge_kept(&self, issued_before: DateTime<Utc>) -> Result<usize, PgStoreError> {
        let client = self.client().await?;
        let deleted = client
            .execute(
                "DELETE FROM consentry_kept_tokens WHERE issued_at < $1",
                &[&issued_before.timestamp()],
            )
            .await
            .map_err(PgStoreError::Query)?;
        Ok(usize::try_from(deleted).unwrap_or(usize::MAX))
    }

    async fn erase_person(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> Result<EraseOutcome, PgStoreError> {
        let mut client = self.client().await?;
        let tx = client.transaction().await.map_err(PgStoreError::Query)?;
        // The tombstoning UPDATE locks the person's rows and counts them;
        // an event that arrived since the plan was read makes the count
        // differ, and the transaction is rolled back (dropped).
        let erased = tx
            .execute(
                "UPDATE consentry_events
                 SET canonical = NULL, tenant = NULL, list = NULL, body = NULL
                 WHERE canonical = $1",
                &[&address.canonical()],
            )
            .await
            .map_err(PgStoreError::Query)?;
        if usize::try_from(erased).ok() != Some(covered) {
            return Ok(EraseOutcome::HistoryChanged);
        }
        tx.execute(
            "DELETE FROM consentry_kept_tokens WHERE canonical = $1",
            &[&address.canonical()],
        )
        .await
        .map_err(PgStoreError::Query)?;
        let hashes: Vec<&[u8]> = replaces.iter().map(|h| h.as_bytes().as_slice()).collect();
        tx.execute(
            "DELETE FROM consentry_erased WHERE hash = ANY($1)",
            &[&hashes],
        )
        .await
        .map_err(PgStoreError::Query)?;
        for (ord, fact) in keep.iter().enumerate() {
            let body = serde_json::to_string(fact).map_err(corrupt("kept fact (encoding)"))?;
            let ord = i32::try_from(ord).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO consentry_erased (hash, ord, salt_id, fact) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (hash, ord) DO UPDATE SET salt_id = EXCLUDED.salt_id, fact = EXCLUDED.fact",
                &[&fact.hash.as_bytes().as_slice(), &ord, &fact.salt_id, &body],
            )
            .await
            .map_err(PgStoreError::Query)?;
        }
        tx.commit().await.map_err(PgStoreError::Query)?;
        Ok(EraseOutcome::Erased {
            events_deleted: usize::try_from(erased).unwrap_or(usize::MAX),
        })
    }
}

/// [`PgStore`] as a synchronous [`ConsentStore`](crate::ConsentStore), for
/// the sync [`Driver`](crate::Driver): each call runs on a small tokio
/// runtime the store owns, the way the `postgres` crate wraps
/// `tokio-postgres`. Use it from threads that are not inside an async
/// runtime (a worker, a CLI, a batch job); inside one, use [`PgStore`] with
/// the [`AsyncDriver`](crate::AsyncDriver), since blocking a runtime's
/// thread on its own runtime panics.
///
/// ```no_run
/// use consentry::edge::postgres::SyncPgStore;
/// use consentry::{Driver, LedgerPolicy, RecordingMailer};
///
/// let store = SyncPgStore::connect("postgres://app@127.0.0.1:5432/app")?;
/// let driver = Driver::new(store, RecordingMailer::new(), LedgerPolicy::default());
/// # let _ = driver;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct SyncPgStore {
    runtime: tokio::runtime::Runtime,
    store: PgStore,
}

impl std::fmt::Debug for SyncPgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncPgStore")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl SyncPgStore {
    /// Connect (see [`PgStore::connect`]) on a runtime of its own.
    ///
    /// # Errors
    ///
    /// As [`PgStore::connect`]; [`PgStoreError::Config`] when the runtime
    /// cannot start.
    pub fn connect(url: &str) -> Result<Self, PgStoreError> {
        Self::connect_with(url, PgPoolSettings::default())
    }

    /// [`connect`](Self::connect) with pool settings.
    ///
    /// # Errors
    ///
    /// As [`connect`](Self::connect).
    pub fn connect_with(url: &str, settings: PgPoolSettings) -> Result<Self, PgStoreError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| PgStoreError::Config(format!("cannot start a runtime: {e}")))?;
        let store = runtime.block_on(PgStore::connect_with(url, settings))?;
        Ok(SyncPgStore { runtime, store })
    }

    /// The async store underneath (clones share the pool).
    pub fn store(&self) -> &PgStore {
        &self.store
    }

    /// Run one of the async store's calls to completion.
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.runtime.block_on(future)
    }
}

impl crate::edge::ports::ConsentStore for SyncPgStore {
    type Error = PgStoreError;

    fn append(&self, event: &ConsentEvent) -> Result<AppendOutcome, PgStoreError> {
        self.block_on(self.store.append_one(event))
    }

    fn events_for(&self, address: &EmailAddress) -> Result<Vec<ConsentEvent>, PgStoreError> {
        self.block_on(self.store.events_for_address(address))
    }

    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> Result<Vec<Vec<ConsentEvent>>, PgStoreError> {
        self.block_on(self.store.events_for_addresses(addresses))
    }

    fn erased_facts(&self, hash: &AddressHash) -> Result<Vec<ErasedFact>, PgStoreError> {
        self.block_on(self.store.facts(hash))
    }

    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> Result<Vec<Vec<ErasedFact>>, PgStoreError> {
        self.block_on(self.store.facts_many(hashes))
    }

    fn erasure_salt_ids(&self) -> Result<Vec<String>, PgStoreError> {
        self.block_on(self.store.salt_ids())
    }

    fn keep_token(&self, kept: &KeptToken) -> Result<bool, PgStoreError> {
        self.block_on(self.store.keep(kept))
    }

    fn kept_token(&self, token: &str) -> Result<Option<KeptToken>, PgStoreError> {
        self.block_on(self.store.kept(token))
    }

    fn purge_kept_tokens(&self, issued_before: DateTime<Utc>) -> Result<usize, PgStoreError> {
        self.block_on(self.store.purge_kept(issued_before))
    }

    fn kept_tokens_for(&self, address: &EmailAddress) -> Result<Vec<KeptToken>, PgStoreError> {
        self.block_on(self.store.kept_for(address))
    }

    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> Result<EraseOutcome, PgStoreError> {
        self.block_on(self.store.erase_person(address, keep, replaces, covered))
    }
}

impl AsyncConsentStore for PgStore {
    type Error = PgStoreError;

    fn append(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, PgStoreError>> + Send {
        self.append_one(event)
    }

    fn append_batch(
        &self,
        events: &[ConsentEvent],
    ) -> impl Future<Output = Result<Vec<AppendOutcome>, PgStoreError>> + Send {
        self.append_many(events)
    }

    fn events_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<ConsentEvent>, PgStoreError>> + Send {
        self.events_for_address(address)
    }

    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> impl Future<Output = Result<Vec<Vec<ConsentEvent>>, PgStoreError>> + Send {
        self.events_for_addresses(addresses)
    }

    fn erased_facts(
        &self,
        hash: &AddressHash,
    ) -> impl Future<Output = Result<Vec<ErasedFact>, PgStoreError>> + Send {
        self.facts(hash)
    }

    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> impl Future<Output = Result<Vec<Vec<ErasedFact>>, PgStoreError>> + Send {
        self.facts_many(hashes)
    }

    fn erasure_salt_ids(&self) -> impl Future<Output = Result<Vec<String>, PgStoreError>> + Send {
        self.salt_ids()
    }

    fn keep_token(
        &self,
        kept: &KeptToken,
    ) -> impl Future<Output = Result<bool, PgStoreError>> + Send {
        self.keep(kept)
    }

    fn kept_token(
        &self,
        token: &str,
    ) -> impl Future<Output = Result<Option<KeptToken>, PgStoreError>> + Send {
        self.kept(token)
    }

    fn purge_kept_tokens(
        &self,
        issued_before: DateTime<Utc>,
    ) -> impl Future<Output = Result<usize, PgStoreError>> + Send {
        self.purge_kept(issued_before)
    }

    fn kept_tokens_for(
        &self,
        address: &EmailAddress,
    ) -> impl Future<Output = Result<Vec<KeptToken>, PgStoreError>> + Send {
        self.kept_for(address)
    }

    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> impl Future<Output = Result<EraseOutcome, PgStoreError>> + Send {
        self.erase_person(address, keep, replaces, covered)
    }
}
