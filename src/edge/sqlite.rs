//! [`SqliteStore`]: a [`ConsentStore`] on SQLite (feature `sqlite`).
//!
//! rusqlite with its bundled SQLite: nothing to install. A file database
//! runs in WAL mode with a busy timeout, so several stores (threads or
//! processes) may share one file. Every append is one transaction and is
//! idempotent through a unique constraint on the event id; lookups use an
//! index on the canonical address. The schema is created and migrated by
//! numbered migrations when the store opens, and a file that is not a
//! consentry database is refused with a typed error.

use std::path::Path;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};

use crate::address::EmailAddress;
use crate::consent::ConsentEvent;
use crate::edge::ports::{AppendOutcome, ConsentStore, EraseOutcome};
use crate::edge::rows::{event_key, outcome_against};
use crate::ids::{ListId, TenantId};
use crate::retention::{AddressHash, ErasedFact};
use crate::unsubscribe::KeptToken;
use sha2::{Digest, Sha256};

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: u32 = 6;

/// The numbered migrations, applied in order inside one transaction each.
const MIGRATIONS: &[&str] = &[
    // 1: events, keyed by a sequence (append order) with a unique event id.
    "CREATE TABLE consentry_events (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        id        TEXT    NOT NULL UNIQUE,
        canonical TEXT,
        tenant    TEXT,
        list      TEXT,
        body      TEXT
    );
    CREATE INDEX consentry_events_by_address ON consentry_events (canonical, seq);
    CREATE INDEX consentry_events_by_tenant ON consentry_events (tenant, list);",
    // 2: suppressions kept as salted hashes after erasure.
    "CREATE TABLE consentry_erased (
        hash TEXT NOT NULL,
        body TEXT NOT NULL,
        UNIQUE (hash, body)
    );",
    // 3: ids scoped to the tenant, and kept only as a SHA-256 of tenant and
    // id (`key`), so an erased event leaves no id in clear (ids can hold an
    // address; someone holding the file who guesses an id can still confirm
    // it by hashing it). The keys are filled in by `fill_event_keys` in the
    // same transaction.
    "CREATE TABLE consentry_events_v3 (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        key       BLOB    UNIQUE,
        canonical TEXT,
        tenant    TEXT,
        list      TEXT,
        body      TEXT,
        legacy_id TEXT
    );
    INSERT INTO consentry_events_v3 (seq, canonical, tenant, list, body, legacy_id)
        SELECT seq, canonical, tenant, list, body, id FROM consentry_events;
    DROP TABLE consentry_events;
    ALTER TABLE consentry_events_v3 RENAME TO consentry_events;
    CREATE INDEX consentry_events_by_address ON consentry_events (canonical, seq);
    CREATE INDEX consentry_events_by_tenant ON consentry_events (tenant, list);",
    // 4: kept facts name the salt they were hashed with; rows kept before
    // carry none (`unknown`).
    "ALTER TABLE consentry_erased ADD COLUMN salt_id TEXT NOT NULL DEFAULT 'unknown';
    CREATE INDEX consentry_erased_by_salt ON consentry_erased (salt_id);",
    // 5: address keys are recomputed from each stored event (the canonical
    // form of non-ASCII local parts changed); done by `rekey_addresses`.
    "",
    // 6: what reference tokens stand for (`ConsentStore::keep_token`),
    // deleted with the person's events on erasure.
    "CREATE TABLE consentry_kept_tokens (
        token     TEXT    PRIMARY KEY,
        canonical TEXT    NOT NULL,
        issued_at INTEGER NOT NULL,
        body      TEXT    NOT NULL
    );
    CREATE INDEX consentry_kept_tokens_by_address ON consentry_kept_tokens (canonical);
    CREATE INDEX consentry_kept_tokens_by_issue ON consentry_kept_tokens (issued_at);",
];

/// A stored JSON body, or [`SqliteStoreError::Corrupt`] naming `what`.
fn decode_json<T: serde::de::DeserializeOwned>(
    body: &str,
    what: &'static str,
) -> Result<T, SqliteStoreError> {
    serde_json::from_str(body).map_err(|e| SqliteStoreError::Corrupt {
        what,
        source: Some(Box::new(e)),
    })
}

/// The key of an event erased before schema 3, whose tenant is gone: its
/// id stays reserved in every tenant.
fn legacy_key(id: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"consentry-erased-before-v3\0");
    h.update(id.as_bytes());
    h.finalize().to_vec()
}

/// Migration 5: rewrite each live row's `canonical` from its stored event,
/// so rows written before the address key changed are found (and erased)
/// by the current key. Facts kept after an erasure under the old key
/// cannot be recomputed (the address is gone); they stay findable only by
/// the old form.
fn rekey_addresses(tx: &rusqlite::Transaction<'_>) -> Result<(), SqliteStoreError> {
    let rows: Vec<(i64, Option<String>, String)> = {
        let mut stmt = tx
            .prepare("SELECT seq, canonical, body FROM consentry_events WHERE body IS NOT NULL")
            .map_err(classify)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)?
    };
    for (seq, canonical, body) in rows {
        let event: ConsentEvent = decode_json(&body, "event row (migration 5)")?;
        let now = event.address.canonical();
        if canonical.as_deref() != Some(now) {
            tx.execute(
                "UPDATE consentry_events SET canonical = ?1 WHERE seq = ?2",
                params![now, seq],
            )
            .map_err(classify)?;
        }
    }
    Ok(())
}

/// Migration 3's second half: hash every row's tenant and id into `key`.
fn fill_event_keys(tx: &rusqlite::Transaction<'_>) -> Result<(), SqliteStoreError> {
    let rows: Vec<(i64, String, Option<String>)> = {
        let mut stmt = tx
            .prepare("SELECT seq, legacy_id, tenant FROM consentry_events WHERE key IS NULL")
            .map_err(classify)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)?
    };
    for (seq, id, tenant) in rows {
        let key = match tenant {
            Some(t) => event_key(&t, &id),
            None => legacy_key(&id),
        };
        tx.execute(
            "UPDATE consentry_events SET key = ?1, legacy_id = NULL WHERE seq = ?2",
            params![key, seq],
        )
        .map_err(classify)?;
    }
    Ok(())
}

/// Why the SQLite store failed.
///
/// `Sqlite` errors with a busy or locked database may be retried; the others
/// are configuration or data problems to fix before retrying.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SqliteStoreError {
    /// The file is not an SQLite database (or is encrypted, or corrupt).
    #[error("the file is not an SQLite database, or it is corrupt")]
    NotADatabase,
    /// An SQLite database that is not consentry's: it has tables but no
    /// consentry schema. Refused rather than written into.
    #[error("the database belongs to another application (no consentry schema)")]
    Foreign,
    /// A newer consentry wrote this database.
    #[error("the database has schema version {found}; this build knows up to {known}")]
    SchemaTooNew {
        /// The version found.
        found: u32,
        /// The newest this build knows.
        known: u32,
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
    /// An erasure is committed, but another connection reading the
    /// database kept the write-ahead log from being truncated, so the
    /// erased bytes may still be in the `-wal` file. Call `erase` again
    /// (it is idempotent) once that reader is done.
    #[error("the erasure is committed but the WAL could not be truncated (a reader holds it)")]
    CheckpointBlocked,
    /// Any other SQLite failure.
    #[error("sqlite: {0}")]
    Sqlite(#[from] rusqlite::Error),
}

fn classify(e: rusqlite::Error) -> SqliteStoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) | Some(ErrorCode::DatabaseCorrupt) => {
            SqliteStoreError::NotADatabase
        }
        _ => SqliteStoreError::Sqlite(e),
    }
}

/// A thread-safe SQLite consent store.
pub struct SqliteStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").finish_non_exhaustive()
    }
}

/// One person's live events, in append order.
const SELECT_EVENTS: &str =
    "SELECT body FROM consentry_events WHERE canonical = ?1 AND body IS NOT NULL ORDER BY seq";
/// The facts kept from one erased history, in the order kept.
const SELECT_FACTS: &str = "SELECT body FROM consentry_erased WHERE hash = ?1 ORDER BY rowid";

impl SqliteStore {
    /// Open (or create) a store in a file, migrating its schema.
    ///
    /// # Errors
    ///
    /// [`SqliteStoreError::NotADatabase`] for a file that is not SQLite,
    /// [`SqliteStoreError::Foreign`] for another application's database,
    /// [`SqliteStoreError::SchemaTooNew`] for a newer schema, or the SQLite
    /// failure.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, SqliteStoreError> {
        let conn = Connection::open(path).map_err(classify)?;
        Self::setup(conn, true)
    }

    /// A fresh store in memory (for tests and tools).
    ///
    /// # Errors
    ///
    /// The SQLite failure.
    pub fn open_in_memory() -> Result<Self, SqliteStoreError> {
        let conn = Connection::open_in_memory().map_err(classify)?;
        Self::setup(conn, false)
    }

    fn setup(mut conn: Connection, file: bool) -> Result<Self, SqliteStoreError> {
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(classify)?;
        // Deleted and overwritten content is zeroed, so an erased person's
        // bytes do not linger in free pages.
        conn.pragma_update(None, "secure_delete", "ON")
            .map_err(classify)?;
        if file {
            // Reading the journal mode is the first real read of the file:
            // a non-database fails here.
            let _mode: String = conn
                .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
                .map_err(classify)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(classify)?;
        }
        Self::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Mutex::new(conn),
        })
    }

    fn migrate(conn: &mut Connection) -> Result<(), SqliteStoreError> {
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        let has_meta: bool = tx
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'consentry_meta'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map_err(classify)?
            > 0;
        let version: u32 = if has_meta {
            tx.query_row(
                "SELECT value FROM consentry_meta WHERE key = 'schema_version'",
                [],
                |r| r.get::<_, i64>(0),
            )
            .optional()
            .map_err(classify)?
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| SqliteStoreError::Corrupt {
                what: "schema version (consentry_meta has none)",
                source: None,
            })?
        } else {
            let tables: i64 = tx
                .query_row(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
                    [],
                    |r| r.get(0),
                )
                .map_err(classify)?;
            if tables > 0 {
                return Err(SqliteStoreError::Foreign);
            }
            tx.execute_batch(
                "CREATE TABLE consentry_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
                 INSERT INTO consentry_meta (key, value) VALUES ('schema_version', 0);",
            )
            .map_err(classify)?;
            0
        };
        let known = u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX);
        if version > known {
            return Err(SqliteStoreError::SchemaTooNew {
                found: version,
                known,
            });
        }
        for (n, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(classify)?;
            if n + 1 == 3 {
                fill_event_keys(&tx)?;
            }
            if n + 1 == 5 {
                rekey_addresses(&tx)?;
            }
            tx.execute(
                "UPDATE consentry_meta SET value = ?1 WHERE key = 'schema_version'",
                params![i64::try_from(n + 1).unwrap_or(i64::MAX)],
            )
            .map_err(classify)?;
        }
        tx.commit().map_err(classify)?;
        Ok(())
    }

    /// The JSON `body` of every row `sql` selects (one text parameter),
    /// decoded; a row that does not decode is [`SqliteStoreError::Corrupt`].
    fn json_bodies<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        param: &str,
        what: &'static str,
    ) -> Result<Vec<T>, SqliteStoreError> {
        self.json_bodies_each(sql, [param], what)
            .map(|mut lists| lists.pop().unwrap_or_default())
    }

    /// [`json_bodies`](Self::json_bodies) for several parameters, under one
    /// lock with one prepared statement: one list per parameter, in order.
    fn json_bodies_each<T: serde::de::DeserializeOwned, P: AsRef<str>>(
        &self,
        sql: &str,
        params: impl IntoIterator<Item = P>,
        what: &'static str,
    ) -> Result<Vec<Vec<T>>, SqliteStoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(sql).map_err(classify)?;
        params
            .into_iter()
            .map(|param| {
                let rows = stmt
                    .query_map(params![param.as_ref()], |r| r.get::<_, String>(0))
                    .map_err(classify)?;
                rows.map(|row| decode_json(&row.map_err(classify)?, what))
                    .collect()
            })
            .collect()
    }

    fn truncate_wal(conn: &Connection) -> Result<(), SqliteStoreError> {
        let (busy, _, _): (i64, i64, i64) = conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .map_err(classify)?;
        if busy != 0 {
            return Err(SqliteStoreError::CheckpointBlocked);
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The schema version of the open database.
    ///
    /// # Errors
    ///
    /// The SQLite failure.
    pub fn schema_version(&self) -> Result<u32, SqliteStoreError> {
        let conn = self.lock();
        let v: i64 = conn
            .query_row(
                "SELECT value FROM consentry_meta WHERE key = 'schema_version'",
                [],
                |r| r.get(0),
            )
            .map_err(classify)?;
        u32::try_from(v).map_err(|_| SqliteStoreError::Corrupt {
            what: "schema version",
            source: None,
        })
    }

    /// How many event ids were ever appended (erased events keep theirs).
    ///
    /// # Errors
    ///
    /// The SQLite failure.
    pub fn len(&self) -> Result<usize, SqliteStoreError> {
        let conn = self.lock();
        let n: i64 = conn
            .query_row("SELECT count(*) FROM consentry_events", [], |r| r.get(0))
            .map_err(classify)?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Whether no event was ever appended.
    ///
    /// # Errors
    ///
    /// The SQLite failure.
    pub fn is_empty(&self) -> Result<bool, SqliteStoreError> {
        Ok(self.len()? == 0)
    }

    /// The campaign planner's audience lookup: every address with an event
    /// for `list` of `tenant` or for all of the tenant's lists, in first
    /// appearance order.
    ///
    /// # Errors
    ///
    /// The SQLite failure, or [`SqliteStoreError::Corrupt`] for a stored
    /// address that no longer parses.
    pub fn audience(
        &self,
        tenant: &TenantId,
        list: &ListId,
    ) -> Result<Vec<EmailAddress>, SqliteStoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached(
                "SELECT canonical FROM consentry_events
                 WHERE tenant = ?1 AND (list = ?2 OR list IS NULL) AND canonical IS NOT NULL
                 GROUP BY canonical ORDER BY min(seq)",
            )
            .map_err(classify)?;
        let rows = stmt
            .query_map(params![tenant.as_str(), list.as_str()], |r| {
                r.get::<_, String>(0)
            })
            .map_err(classify)?;
        let mut out = Vec::new();
        for row in rows {
            let canonical = row.map_err(classify)?;
            out.push(EmailAddress::from_stored(&canonical).map_err(|e| {
                SqliteStoreError::Corrupt {
                    what: "address",
                    source: Some(Box::new(e)),
                }
            })?);
        }
        Ok(out)
    }
}

/// Append one event inside a write transaction: an id erased before
/// schema 3 stays reserved; then one `INSERT … ON CONFLICT DO NOTHING`
/// (the common case ends here); if the id was taken, the stored row tells
/// `Duplicate` (same event, or erased) from `Conflict`. Statements are
/// prepared once per connection.
fn append_in(
    tx: &rusqlite::Transaction<'_>,
    event: &ConsentEvent,
) -> Result<AppendOutcome, SqliteStoreError> {
    let legacy = legacy_key(event.id.as_str());
    let erased_before_v3 = tx
        .prepare_cached("SELECT 1 FROM consentry_events WHERE key = ?1")
        .map_err(classify)?
        .exists(params![legacy])
        .map_err(classify)?;
    if erased_before_v3 {
        return Ok(AppendOutcome::Duplicate);
    }
    let body = serde_json::to_string(event).map_err(|e| SqliteStoreError::Corrupt {
        what: "event (encoding)",
        source: Some(Box::new(e)),
    })?;
    let key = event_key(event.tenant.as_str(), event.id.as_str());
    let inserted = tx
        .prepare_cached(
            "INSERT INTO consentry_events (key, canonical, tenant, list, body)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (key) DO NOTHING",
        )
        .map_err(classify)?
        .execute(params![
            key,
            event.address.canonical(),
            event.tenant.as_str(),
            event.list.as_ref().map(ListId::as_str),
            body
        ])
        .map_err(classify)?;
    if inserted == 1 {
        return Ok(AppendOutcome::Appended);
    }
    let stored: Option<String> = tx
        .prepare_cached("SELECT body FROM consentry_events WHERE key = ?1")
        .map_err(classify)?
        .query_row(params![key], |r| r.get(0))
        .map_err(classify)?;
    outcome_against(stored.as_deref(), event).map_err(|e| SqliteStoreError::Corrupt {
        what: "event row",
        source: Some(Box::new(e)),
    })
}

impl ConsentStore for SqliteStore {
    type Error = SqliteStoreError;

    fn append(&self, event: &ConsentEvent) -> Result<AppendOutcome, SqliteStoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        let outcome = append_in(&tx, event)?;
        tx.commit().map_err(classify)?;
        Ok(outcome)
    }

    /// One transaction for the whole batch: all stored or none.
    fn append_batch(
        &self,
        events: &[ConsentEvent],
    ) -> Result<Vec<AppendOutcome>, SqliteStoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        let outcomes = events
            .iter()
            .map(|e| append_in(&tx, e))
            .collect::<Result<Vec<_>, _>>()?;
        tx.commit().map_err(classify)?;
        Ok(outcomes)
    }

    fn events_for(&self, address: &EmailAddress) -> Result<Vec<ConsentEvent>, SqliteStoreError> {
        self.json_bodies(SELECT_EVENTS, address.canonical(), "event row")
    }

    fn events_for_many(
        &self,
        addresses: &[&EmailAddress],
    ) -> Result<Vec<Vec<ConsentEvent>>, SqliteStoreError> {
        // One lock and one prepared statement for the whole chunk (SQLite
        // runs in-process: a query per address costs no round trip).
        self.json_bodies_each(
            SELECT_EVENTS,
            addresses.iter().map(|a| a.canonical()),
            "event row",
        )
    }

    fn erased_facts(&self, hash: &AddressHash) -> Result<Vec<ErasedFact>, SqliteStoreError> {
        self.json_bodies(SELECT_FACTS, &hash.to_hex(), "erased suppression row")
    }

    fn erased_facts_many(
        &self,
        hashes: &[AddressHash],
    ) -> Result<Vec<Vec<ErasedFact>>, SqliteStoreError> {
        self.json_bodies_each(
            SELECT_FACTS,
            hashes.iter().map(AddressHash::to_hex),
            "erased suppression row",
        )
    }

    fn keep_token(&self, kept: &KeptToken) -> Result<bool, SqliteStoreError> {
        let body = serde_json::to_string(kept).map_err(|e| SqliteStoreError::Corrupt {
            what: "kept token (encoding)",
            source: Some(Box::new(e)),
        })?;
        let conn = self.lock();
        conn.prepare_cached(
            "INSERT OR IGNORE INTO consentry_kept_tokens (token, canonical, issued_at, body)
             VALUES (?1, ?2, ?3, ?4)",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                kept.token,
                kept.address.canonical(),
                kept.issued_at.timestamp(),
                body
            ])
        })
        .map_err(classify)?;
        Ok(true)
    }

    fn kept_token(&self, token: &str) -> Result<Option<KeptToken>, SqliteStoreError> {
        let conn = self.lock();
        let body: Option<String> = conn
            .prepare_cached("SELECT body FROM consentry_kept_tokens WHERE token = ?1")
            .and_then(|mut stmt| stmt.query_row(params![token], |r| r.get(0)).optional())
            .map_err(classify)?;
        body.map(|body| decode_json(&body, "kept token row"))
            .transpose()
    }

    fn kept_tokens_for(&self, address: &EmailAddress) -> Result<Vec<KeptToken>, SqliteStoreError> {
        self.json_bodies(
            "SELECT body FROM consentry_kept_tokens WHERE canonical = ?1 ORDER BY issued_at, token",
            address.canonical(),
            "kept token row",
        )
    }

    fn purge_kept_tokens(&self, issued_before: DateTime<Utc>) -> Result<usize, SqliteStoreError> {
        let conn = self.lock();
        let deleted = conn
            .prepare_cached("DELETE FROM consentry_kept_tokens WHERE issued_at < ?1")
            .and_then(|mut stmt| stmt.execute(params![issued_before.timestamp()]))
            .map_err(classify)?;
        if deleted > 0 {
            // As after an erasure: the deleted rows' old pages leave the WAL.
            Self::truncate_wal(&conn)?;
        }
        Ok(deleted)
    }

    fn erasure_salt_ids(&self) -> Result<Vec<String>, SqliteStoreError> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT DISTINCT salt_id FROM consentry_erased ORDER BY salt_id")
            .map_err(classify)?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(classify)?;
        rows.collect::<Result<_, _>>().map_err(classify)
    }

    fn erase(
        &self,
        address: &EmailAddress,
        keep: &[ErasedFact],
        replaces: &[AddressHash],
        covered: usize,
    ) -> Result<EraseOutcome, SqliteStoreError> {
        let mut conn = self.lock();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(classify)?;
        // The write lock is held from here: no other connection can add an
        // event for this person until the erasure commits.
        let live: i64 = tx
            .query_row(
                "SELECT count(*) FROM consentry_events WHERE canonical = ?1",
                params![address.canonical()],
                |r| r.get(0),
            )
            .map_err(classify)?;
        if usize::try_from(live).ok() != Some(covered) {
            return Ok(EraseOutcome::HistoryChanged);
        }
        // Tombstones: the row and its hashed key stay so a replayed webhook
        // cannot bring the event back; everything personal goes (with
        // `secure_delete` the old bytes are zeroed in the page).
        let deleted = tx
            .execute(
                "UPDATE consentry_events SET canonical = NULL, tenant = NULL, list = NULL, body = NULL
                 WHERE canonical = ?1",
                params![address.canonical()],
            )
            .map_err(classify)?;
        tx.execute(
            "DELETE FROM consentry_kept_tokens WHERE canonical = ?1",
            params![address.canonical()],
        )
        .map_err(classify)?;
        for hash in replaces {
            tx.execute(
                "DELETE FROM consentry_erased WHERE hash = ?1",
                params![hash.to_hex()],
            )
            .map_err(classify)?;
        }
        for s in keep {
            let body = serde_json::to_string(s).map_err(|e| SqliteStoreError::Corrupt {
                what: "erased suppression (encoding)",
                source: Some(Box::new(e)),
            })?;
            tx.execute(
                "INSERT OR IGNORE INTO consentry_erased (hash, body, salt_id) VALUES (?1, ?2, ?3)",
                params![s.hash.to_hex(), body, s.salt_id],
            )
            .map_err(classify)?;
        }
        tx.commit().map_err(classify)?;
        // The WAL still holds the pages as they were before the erasure:
        // copy the current pages into the database and truncate the WAL to
        // nothing.
        Self::truncate_wal(&conn)?;
        Ok(EraseOutcome::Erased {
            events_deleted: deleted,
        })
    }
}
