//! Cookie decisions, withdrawals and the ad opt-out cookie.

use chrono::{DateTime, Utc};
use cookie::time::{Duration, OffsetDateTime};
use cookie::{Cookie, Expiration, SameSite};
use serde::{Deserialize, Serialize};

use super::beacon::Tracking;
use super::consent::{ConsentStatus, CookieConsent};
use super::policy::{
    is_cookie_domain, is_cookie_name, is_cookie_path, Category, CookiePolicy, CookieSpec, Lifetime,
    PolicyError, SameSitePolicy, Storage, BROWSER_MAX_AGE_DAYS,
};
use super::signals::PrivacySignals;
use crate::catalogue::ids;
use crate::decision::{Decision, Reason, Reasons};

/// The attributes a permitted HTTP cookie is set with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SetCookieAttributes {
    /// The name.
    pub name: String,
    /// The domain.
    pub domain: String,
    /// The path.
    pub path: String,
    /// Always `true`: every cookie consentry allows is `Secure`.
    pub secure: bool,
    /// `HttpOnly` unless page scripts must read it.
    pub http_only: bool,
    /// `SameSite`.
    pub same_site: SameSitePolicy,
    /// `Max-Age` in seconds, capped at the policy maximum; `None` for a
    /// session cookie.
    pub max_age_seconds: Option<i64>,
}

impl SetCookieAttributes {
    fn builder<'c>(&self, value: &'c str) -> cookie::CookieBuilder<'c> {
        // Defence in depth: `CookiePolicy::validate` and `AdOptOut::new`
        // refuse bad domains and paths, but these fields are public, so an
        // attribute that could end the header line or add an attribute is
        // left out rather than rendered (no `Domain` makes a host-only
        // cookie, the narrower scope).
        let mut b = Cookie::build((self.name.clone(), value))
            .secure(self.secure)
            .http_only(self.http_only)
            .same_site(match self.same_site {
                SameSitePolicy::Strict => SameSite::Strict,
                SameSitePolicy::Lax => SameSite::Lax,
                SameSitePolicy::None => SameSite::None,
            });
        if self.name.starts_with("__Host-") {
            // RFC 6265bis: a `__Host-` cookie is accepted only with
            // `Secure`, `Path=/` and no `Domain`.
            b = b.path("/");
        } else {
            if is_cookie_domain(&self.domain) {
                b = b.domain(self.domain.clone());
            }
            if is_cookie_path(&self.path) {
                b = b.path(self.path.clone());
            }
        }
        if let Some(secs) = self.max_age_seconds {
            b = b.max_age(Duration::seconds(secs));
        }
        b
    }

    /// The `Set-Cookie` header value for `value` (percent-encoded where
    /// needed), rendered by the `cookie` crate.
    pub fn render(&self, value: &str) -> String {
        self.builder(value).build().encoded().to_string()
    }

    /// The `Set-Cookie` header value that deletes the cookie: empty value,
    /// `Max-Age=0` and an expiry in 1970 (no clock is read).
    pub fn render_removal(&self) -> String {
        self.builder("")
            .max_age(Duration::ZERO)
            .expires(Expiration::DateTime(OffsetDateTime::UNIX_EPOCH))
            .build()
            .encoded()
            .to_string()
    }
}

/// Whether an item may be stored. Deliberately exhaustive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CookieOutcome {
    /// Store it. HTTP cookies come with their `Set-Cookie` attributes;
    /// local storage and Flash items with none.
    Allow {
        /// The attributes, for an HTTP cookie.
        attributes: Option<SetCookieAttributes>,
    },
    /// Do not store it (and delete it if present).
    Refuse,
}

/// A cookie decision.
pub type CookieDecision = Decision<CookieOutcome>;

impl Decision<CookieOutcome> {
    /// Whether the item may be stored.
    pub fn is_allowed(&self) -> bool {
        matches!(self.outcome(), CookieOutcome::Allow { .. })
    }

    /// The `Set-Cookie` attributes of an allowed HTTP cookie.
    pub fn attributes(&self) -> Option<&SetCookieAttributes> {
        match self.outcome() {
            CookieOutcome::Allow { attributes } => attributes.as_ref(),
            CookieOutcome::Refuse => None,
        }
    }
}

/// A cookie the host must delete after a withdrawal (or a GPC signal).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deletion {
    /// The catalogue item.
    pub name: String,
    /// Where it lives.
    pub storage: Storage,
    /// The removal `Set-Cookie` value, for an HTTP cookie; script-set
    /// storage must be cleared by the page.
    pub set_cookie: Option<String>,
    /// Why it goes.
    pub reasons: Vec<Reason>,
}

const DAY: i64 = 86_400;

impl CookiePolicy {
    fn attributes(&self, spec: &CookieSpec) -> (SetCookieAttributes, bool) {
        let cap_days = self.max_lifetime_days.min(BROWSER_MAX_AGE_DAYS);
        let (max_age, capped) = match spec.lifetime {
            Lifetime::Session => (None, false),
            Lifetime::Days(d) if d > cap_days => (Some(i64::from(cap_days) * DAY), true),
            Lifetime::Days(d) => (Some(i64::from(d) * DAY), false),
        };
        (
            SetCookieAttributes {
                name: spec.name.clone(),
                domain: spec.domain.clone(),
                path: spec.path.clone(),
                secure: true,
                http_only: !spec.script_access,
                same_site: spec.same_site,
                max_age_seconds: max_age,
            },
            capped,
        )
    }

    fn allow(&self, spec: &CookieSpec, reason: Reason) -> CookieDecision {
        let mut reasons = vec![reason];
        let attributes = match spec.storage {
            Storage::HttpCookie => {
                let (attrs, capped) = self.attributes(spec);
                if capped {
                    reasons.push(Reason::new(
                        ids::COOKIE_LIFETIME_CAPPED,
                        format!(
                            "Max-Age capped at {} days",
                            self.max_lifetime_days.min(BROWSER_MAX_AGE_DAYS)
                        ),
                    ));
                }
                Some(attrs)
            }
            Storage::LocalStorage | Storage::FlashLso => None,
        };
        Decision::with_reasons(CookieOutcome::Allow { attributes }, reasons)
            .unwrap_or_else(|| refuse(Reason::new(ids::COOKIE_NO_DECISION, "no reason")))
    }

    /// May this page store `spec` for this visitor now?
    ///
    /// Strictly necessary items are always allowed. Under GPC (or DNT
    /// configured to act like it) advertising is refused whatever the
    /// banner said, naming the signal. Otherwise the visitor's current
    /// choice decides; with no choice, a stale one or an unreadable cookie,
    /// only strictly necessary items are allowed.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use consentry::cookie::{CookieConsent, CookiePolicy, PrivacySignals};
    ///
    /// let policy: CookiePolicy = serde_json::from_str(r#"{"revision": 1, "cookies": [
    ///   {"name": "ads_id", "domain": "shop.example", "category": "advertising", "lifetime": {"days": 90}}
    /// ]}"#)?;
    /// let now = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
    /// let spec = &policy.cookies[0];
    /// let accepted = CookieConsent::accept_all(1, now);
    /// assert!(policy.decide(spec, Some(&accepted), &PrivacySignals::default(), now).is_allowed());
    /// let gpc = PrivacySignals::from_header_values(&["1"], &[]);
    /// let d = policy.decide(spec, Some(&accepted), &gpc, now);
    /// assert_eq!(d.reasons()[0].rule.as_str(), "cookie.gpc");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn decide(
        &self,
        spec: &CookieSpec,
        consent: Option<&CookieConsent>,
        signals: &PrivacySignals,
        now: DateTime<Utc>,
    ) -> CookieDecision {
        if spec.category == Category::StrictlyNecessary {
            return self.allow(
                spec,
                Reason::new(
                    ids::COOKIE_NECESSARY,
                    "strictly necessary: no consent needed",
                ),
            );
        }
        if spec.category == Category::Advertising && signals.opts_out_of_sale() {
            let reason = if signals.gpc {
                Reason::new(
                    ids::COOKIE_GPC,
                    "the browser sent Sec-GPC: 1, which refuses advertising and any sale or sharing",
                )
            } else {
                Reason::new(
                    ids::COOKIE_DNT,
                    "the browser sent DNT: 1 and this site treats it like GPC",
                )
            };
            return refuse(reason);
        }
        let Some(consent) = consent else {
            return refuse(Reason::new(
                ids::COOKIE_NO_DECISION,
                "the visitor has not decided yet: only strictly necessary items",
            ));
        };
        match consent.status(self, now) {
            ConsentStatus::RevisionChanged {
                given_under,
                current,
            } => refuse(Reason::new(
                ids::COOKIE_STALE_REVISION,
                format!(
                    "the choice was made under revision {given_under}; the policy is at {current}"
                ),
            )),
            ConsentStatus::Expired { valid_until } => refuse(Reason::new(
                ids::COOKIE_STALE_AGE,
                format!("the choice stopped holding on {valid_until}"),
            )),
            ConsentStatus::Current if consent.grants(spec.category) => self.allow(
                spec,
                Reason::new(
                    ids::COOKIE_GRANTED,
                    format!("the visitor granted `{}`", spec.category.as_str()),
                ),
            ),
            ConsentStatus::Current => refuse(Reason::new(
                ids::COOKIE_NOT_GRANTED,
                format!("the visitor did not grant `{}`", spec.category.as_str()),
            )),
        }
    }

    /// The removal `Set-Cookie` value of a catalogued HTTP cookie.
    #[cfg(feature = "http")]
    pub(crate) fn removal_header(&self, spec: &CookieSpec) -> Option<String> {
        (spec.storage == Storage::HttpCookie).then(|| self.attributes(spec).0.render_removal())
    }

    /// The items that were allowed under `before` and are refused now
    /// (after a withdrawal, a new choice or a GPC signal): the host must
    /// delete them. HTTP cookies come with their removal `Set-Cookie`.
    pub fn deletions(
        &self,
        before: Option<&CookieConsent>,
        now_consent: Option<&CookieConsent>,
        signals: &PrivacySignals,
        now: DateTime<Utc>,
    ) -> Vec<Deletion> {
        let quiet = PrivacySignals::default();
        self.cookies
            .iter()
            .filter_map(|spec| {
                let was = self.decide(spec, before, &quiet, now);
                let is = self.decide(spec, now_consent, signals, now);
                match (was.is_allowed(), is.into_parts()) {
                    (true, (CookieOutcome::Refuse, reasons)) => Some(Deletion {
                        name: spec.name.clone(),
                        storage: spec.storage,
                        set_cookie: (spec.storage == Storage::HttpCookie)
                            .then(|| self.attributes(spec).0.render_removal()),
                        reasons: reasons.into_vec(),
                    }),
                    _ => None,
                }
            })
            .collect()
    }
}

/// The generic advertising opt-out cookie: it carries no identifier (its
/// value is the constant `1`), so it cannot be used to track the visitor
/// who set it.
///
/// Browsers cap cookie lifetimes at 400 days, so the promise "opt-out with
/// no expiry" is kept by issuing it with that maximum and re-issuing it on
/// every visit where it is present.
///
/// The domain and name are checked when it is made (and when it is
/// deserialised), so nothing can be injected into its `Set-Cookie` line:
///
/// ```
/// use consentry::cookie::{AdOptOut, PolicyError};
///
/// let opt_out = AdOptOut::new("shop.example")?;
/// assert!(opt_out.set_cookie().starts_with("consentry_ad_opt_out=1"));
/// assert!(matches!(
///     AdOptOut::new("shop.example\r\nSet-Cookie: admin=1"),
///     Err(PolicyError::BadDomain { .. })
/// ));
/// # Ok::<(), PolicyError>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "AdOptOutWire")]
pub struct AdOptOut {
    name: String,
    domain: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AdOptOutWire {
    name: String,
    domain: String,
}

impl TryFrom<AdOptOutWire> for AdOptOut {
    type Error = PolicyError;
    fn try_from(w: AdOptOutWire) -> Result<Self, PolicyError> {
        AdOptOut::named(w.name, w.domain)
    }
}

impl AdOptOut {
    /// The opt-out cookie for a domain, named `consentry_ad_opt_out`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::BadDomain`] when `domain` is not a host name
    /// ([`is_cookie_domain`]).
    pub fn new(domain: impl Into<String>) -> Result<Self, PolicyError> {
        AdOptOut::named("consentry_ad_opt_out", domain)
    }

    /// An opt-out cookie with a name of the host's choosing.
    ///
    /// # Errors
    ///
    /// [`PolicyError::BadName`] when `name` is not an RFC 6265 token;
    /// [`PolicyError::BadDomain`] when `domain` is not a host name.
    pub fn named(name: impl Into<String>, domain: impl Into<String>) -> Result<Self, PolicyError> {
        let (name, domain) = (name.into(), domain.into());
        if !is_cookie_name(&name) {
            return Err(PolicyError::BadName(name.escape_default().to_string()));
        }
        if !is_cookie_domain(&domain) {
            return Err(PolicyError::BadDomain {
                name: name.escape_default().to_string(),
                domain: domain.escape_default().to_string(),
            });
        }
        Ok(AdOptOut { name, domain })
    }

    /// The cookie name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The domain it is set for.
    pub fn domain(&self) -> &str {
        &self.domain
    }

    fn attributes(&self) -> SetCookieAttributes {
        SetCookieAttributes {
            name: self.name.clone(),
            domain: self.domain.clone(),
            path: "/".to_owned(),
            secure: true,
            http_only: true,
            same_site: SameSitePolicy::Lax,
            max_age_seconds: Some(i64::from(BROWSER_MAX_AGE_DAYS) * DAY),
        }
    }

    /// The `Set-Cookie` value that sets (or re-issues) the opt-out.
    pub fn set_cookie(&self) -> String {
        self.attributes().render("1")
    }

    /// Whether a request's `Cookie` header carries the opt-out. A malformed
    /// header is read as far as it parses.
    pub fn present_in(&self, cookie_header: &str) -> bool {
        Cookie::split_parse(cookie_header)
            .flatten()
            .any(|c| c.name() == self.name)
    }

    /// "May I record this ad impression?": no while the opt-out cookie is
    /// present or the browser sends GPC (or DNT acting like it).
    pub fn decide(
        &self,
        cookie_header: Option<&str>,
        signals: &PrivacySignals,
    ) -> Decision<Tracking> {
        let mut reasons = Reasons::new();
        if cookie_header.is_some_and(|h| self.present_in(h)) {
            reasons.push(Reason::new(
                ids::COOKIE_AD_OPT_OUT,
                "the visitor's ad opt-out cookie is present",
            ));
        }
        if signals.gpc {
            reasons.push(Reason::new(ids::COOKIE_GPC, "the browser sent Sec-GPC: 1"));
        } else if signals.opts_out_of_sale() {
            reasons.push(Reason::new(ids::COOKIE_DNT, "the browser sent DNT: 1"));
        }
        match Decision::with_reasons(Tracking::DoNotRecord, reasons) {
            Some(refused) => refused,
            None => Decision::new(
                Tracking::Record,
                Reason::new(
                    ids::COOKIE_AD_IMPRESSION_ALLOWED,
                    "no ad opt-out cookie and no GPC signal",
                ),
            ),
        }
    }
}

fn refuse(reason: Reason) -> CookieDecision {
    Decision::new(CookieOutcome::Refuse, reason)
}
