//! Cookies, privacy signals and web beacons: what a page may store on a
//! visitor's device and what tracking may record.
//!
//! - [`CookiePolicy`] — the site's catalogue ([`CookieSpec`]s by
//!   [`Category`]), validated all at once.
//! - [`CookieConsent`] — the visitor's choice, in a compact, versioned
//!   cookie value signed with a site key ([`ConsentKeys`], HMAC-SHA256,
//!   rotatable); refused when unsigned, forged, dated in the future or
//!   older than the validity window, stale when the policy revision
//!   changed. Set it as [`CONSENT_COOKIE_NAME`] (`__Host-` prefixed).
//! - [`PrivacySignals`] — `Sec-GPC` (and `DNT`).
//! - [`CookiePolicy::decide`] — allow (with `Set-Cookie` attributes)
//!   or refuse, with the rule; [`CookiePolicy::deletions`] after a
//!   withdrawal.
//! - [`AdOptOut`] — the generic advertising opt-out cookie.
//! - [`BeaconPolicy`] and [`sanitize_page_beacon`]: email opens and clicks,
//!   page beacons.

mod beacon;
mod consent;
mod decide;
mod policy;
mod signals;

pub use beacon::{
    sanitize_page_beacon, BeaconError, BeaconKind, BeaconPolicy, PageBeacon, Tracking,
    TrackingPreference,
};
pub use consent::{
    needs_prompt, ConsentKeys, ConsentMethod, ConsentStatus, ConsentValueError, CookieConsent,
    CONSENT_CLOCK_SKEW, CONSENT_COOKIE_NAME, CONSENT_VALUE_VERSION, MAX_COOKIE_VALUE_BYTES,
};
pub use decide::{AdOptOut, CookieDecision, CookieOutcome, Deletion, SetCookieAttributes};
pub use policy::{
    is_cookie_domain, is_cookie_name, is_cookie_path, Category, CookiePolicy, CookieSpec, Lifetime,
    PolicyError, PolicyLoadError, PolicyReport, PolicyWarning, SameSitePolicy, Storage,
    BROWSER_MAX_AGE_DAYS,
};
pub use signals::PrivacySignals;
