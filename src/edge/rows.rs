//! What the SQL stores share about a stored event row: its key and how an
//! append that found the key taken is told apart.

use sha2::{Digest, Sha256};

use crate::consent::ConsentEvent;
use crate::edge::ports::AppendOutcome;

/// The stored key of an event: SHA-256 over the tenant and the id, so ids
/// are unique per tenant and an erased event's id is not kept in clear.
/// The SQLite and PostgreSQL stores use the same key.
pub(crate) fn event_key(tenant: &str, id: &str) -> Vec<u8> {
    let mut h = Sha256::new();
    h.update(b"consentry-event\0");
    h.update(tenant.as_bytes());
    h.update(b"\0");
    h.update(id.as_bytes());
    h.finalize().to_vec()
}

/// What an append found under its taken key: an erased tombstone (`None`,
/// the id stays reserved) or the same event is a `Duplicate`, another
/// event a `Conflict`. A stored body that does not decode is an error for
/// the store to report as corruption.
pub(crate) fn outcome_against(
    stored: Option<&str>,
    event: &ConsentEvent,
) -> Result<AppendOutcome, serde_json::Error> {
    let Some(body) = stored else {
        return Ok(AppendOutcome::Duplicate);
    };
    let existing: ConsentEvent = serde_json::from_str(body)?;
    Ok(if existing == *event {
        AppendOutcome::Duplicate
    } else {
        AppendOutcome::Conflict
    })
}
