//! Web beacons: email open and click tracking, and page beacons.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

use crate::catalogue::ids;
use crate::decision::{Decision, Reason};

/// A recipient's choice about tracking of their email.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrackingPreference {
    /// The recipient allowed open and click tracking.
    Allow,
    /// The recipient refused it.
    Deny,
    /// The recipient never chose.
    #[default]
    Unknown,
}

/// What the sender does about email opens and clicks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BeaconPolicy {
    /// Record opens of recipients who never chose (default: no).
    pub record_opens_when_unknown: bool,
    /// Record clicks of recipients who never chose (default: no).
    pub record_clicks_when_unknown: bool,
}

/// Whether a tracking event (an email open or click, an ad impression) is
/// recorded. Deliberately exhaustive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tracking {
    /// Record it.
    Record,
    /// Do not record it (the pixel or redirect is still served).
    DoNotRecord,
}

impl std::fmt::Display for Tracking {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Tracking::Record => "record",
            Tracking::DoNotRecord => "do not record",
        })
    }
}

impl Decision<Tracking> {
    /// Whether the event is recorded.
    pub fn records(&self) -> bool {
        *self.outcome() == Tracking::Record
    }
}

/// What a recipient did with an email that a beacon reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BeaconKind {
    /// The open pixel was fetched.
    Open,
    /// The tracked redirect was followed.
    Click,
}

impl BeaconPolicy {
    /// Whether an email open or click is recorded, by the recipient's
    /// preference and, when they never chose, by this policy.
    pub fn decide(&self, kind: BeaconKind, preference: TrackingPreference) -> Decision<Tracking> {
        let (when_unknown, what) = match kind {
            BeaconKind::Open => (self.record_opens_when_unknown, "open"),
            BeaconKind::Click => (self.record_clicks_when_unknown, "click"),
        };
        let (record, rule, sentence) = match preference {
            TrackingPreference::Allow => (
                true,
                ids::BEACON_ALLOWED,
                format!("the recipient allows {what} tracking"),
            ),
            TrackingPreference::Deny => (
                false,
                ids::BEACON_DENIED,
                format!("the recipient refused {what} tracking"),
            ),
            TrackingPreference::Unknown if when_unknown => (
                true,
                ids::BEACON_ALLOWED,
                format!("the recipient never chose and this sender records {what}s by default"),
            ),
            TrackingPreference::Unknown => (
                false,
                ids::BEACON_DENIED,
                format!("the recipient never chose; {what}s are not recorded without a choice"),
            ),
        };
        let outcome = if record {
            Tracking::Record
        } else {
            Tracking::DoNotRecord
        };
        Decision::new(outcome, Reason::new(rule, sentence))
    }
}

/// What a page beacon may keep: the cookie id, the time and the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageBeacon {
    /// The analytics cookie id, if a well-formed one was sent.
    pub cookie_id: Option<String>,
    /// When the beacon arrived (the server's time, not the client's).
    pub at: DateTime<Utc>,
    /// The page, without query string, fragment or credentials (they can
    /// carry personal data: `?email=...`).
    pub page: Url,
}

/// Why a page beacon was dropped whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BeaconError {
    /// No `page` field.
    #[error("the beacon has no page")]
    MissingPage,
    /// The page is not an http or https URL.
    #[error("the beacon's page is not an http(s) URL")]
    BadPage,
}

fn well_formed_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// Keep only the cookie id (field `cid`), the time (`now`) and the page URL
/// (field `page`, stripped to scheme, host and path) of a beacon request;
/// drop every other field (screen size, referrer, user id, email, whatever
/// a script added).
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::cookie::sanitize_page_beacon;
///
/// let now = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
/// let b = sanitize_page_beacon(
///     [("cid", "a1b2c3"), ("page", "https://shop.example/cart?email=ann@example.com#x"), ("email", "ann@example.com")],
///     now,
/// )?;
/// assert_eq!(b.page.as_str(), "https://shop.example/cart");
/// assert_eq!(b.cookie_id.as_deref(), Some("a1b2c3"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`BeaconError`] when there is no usable page URL.
pub fn sanitize_page_beacon<'a, I>(fields: I, now: DateTime<Utc>) -> Result<PageBeacon, BeaconError>
where
    I: IntoIterator<Item = (&'a str, &'a str)>,
{
    let mut cookie_id = None;
    let mut page = None;
    for (k, v) in fields {
        match k {
            "cid" if cookie_id.is_none() && well_formed_id(v) => cookie_id = Some(v.to_owned()),
            "page" if page.is_none() => page = Some(v),
            _ => {}
        }
    }
    let raw = page.ok_or(BeaconError::MissingPage)?;
    let mut url = Url::parse(raw).map_err(|_| BeaconError::BadPage)?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(BeaconError::BadPage);
    }
    url.set_query(None);
    url.set_fragment(None);
    url.set_username("").map_err(|_| BeaconError::BadPage)?;
    url.set_password(None).map_err(|_| BeaconError::BadPage)?;
    Ok(PageBeacon {
        cookie_id,
        at: now,
        page: url,
    })
}
