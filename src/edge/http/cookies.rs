//! The cookie banner on HTTP: read a request's cookies and privacy signals,
//! decide, and write the `Set-Cookie` headers.

use ::http::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use ::http::{HeaderValue, Method, Request, Response, StatusCode};
use chrono::{DateTime, Utc};
use cookie::Cookie;

use super::page::message;
use super::{body_too_large, form_fields, method_not_allowed, respond, MAX_FORM_BYTES};
use crate::catalogue::ids;
use crate::cookie::{
    needs_prompt, AdOptOut, Category, ConsentKeys, ConsentMethod, CookieConsent, CookieDecision,
    CookieOutcome, CookiePolicy, PrivacySignals, SameSitePolicy, SetCookieAttributes, Storage,
    BROWSER_MAX_AGE_DAYS, CONSENT_COOKIE_NAME,
};
use crate::decision::{Decision, Reason};

/// The fields the banner's form may send: `choice` (`accept-all`,
/// `reject-all` or `custom`), one `category` per granted category
/// (`preferences`, `analytics`, `advertising`) and an optional `return_to`
/// (a path on this site to go back to).
pub const CONSENT_FORM_FIELDS: [&str; 3] = ["choice", "category", "return_to"];

/// The longest `Cookie` header whose consent cookie is read; beyond it the
/// visitor is read as undecided (and asked again), never as having
/// consented, though the cookies they carry are still seen (and deleted
/// where they may not stay).
const MAX_COOKIE_HEADER_BYTES: usize = 16 * 1024;

/// What a request says about the visitor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VisitorCookies {
    /// Their verified, current-or-stale choice; `None` for none, or for
    /// a missing, mangled, unsigned, forged, future or expired cookie.
    pub consent: Option<CookieConsent>,
    /// `Sec-GPC` and `DNT`.
    pub signals: PrivacySignals,
    /// Whether the banner must be shown (no choice, or a stale one).
    pub needs_prompt: bool,
    /// The names of the cookies the request carried.
    pub present: Vec<String>,
}

impl VisitorCookies {
    fn has(&self, name: &str) -> bool {
        self.present.iter().any(|n| n == name)
    }
}

/// What the banner's form asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BannerChoice {
    /// The choice as it will be stored.
    pub consent: CookieConsent,
    /// The path to return to, when the form gave a safe one.
    pub return_to: Option<String>,
}

/// The cookie banner over HTTP: a site's [`CookiePolicy`], the keys its
/// consent cookie is signed with and, optionally, the ad opt-out cookie.
///
/// - [`read`](Self::read) a request's `Cookie`, `Sec-GPC` and `DNT`;
/// - [`decide`](Self::decide) the cookies a response wants to set and get
///   the `Set-Cookie` headers: the allowed ones, removals for catalogued
///   cookies the visitor carries but may no longer have (a withdrawal, a
///   stale choice, a GPC signal), and the ad opt-out cookie when the
///   browser opts out of sale;
/// - [`handle_choice`](Self::handle_choice) the banner's form POST: store
///   the choice in the signed `__Host-` cookie, delete what it withdraws.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::cookie::{ConsentKeys, CookiePolicy};
/// use consentry::edge::http::CookieBanner;
/// use consentry::unsubscribe::TokenKey;
///
/// let (policy, _) = CookiePolicy::from_json(r#"{"revision": 3, "cookies": [
///   {"name": "_stats", "domain": "shop.example", "path": "/", "category": "analytics", "lifetime": {"days": 30}}
/// ]}"#)?;
/// let banner = CookieBanner::new(policy, ConsentKeys::new(TokenKey::new("site", [5u8; 32])?));
/// let now = Utc.with_ymd_and_hms(2026, 5, 1, 10, 0, 0).unwrap();
///
/// // The visitor accepts analytics…
/// let post = http::Request::post("https://shop.example/consent")
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(b"choice=custom&category=analytics".to_vec())?;
/// let answer = banner.handle_choice(&post, now);
/// assert_eq!(answer.status(), 204);
/// let set = answer.headers()["set-cookie"].to_str()?;
/// let cookie = set.split(';').next().unwrap();
///
/// // …and the next request may set the analytics cookie.
/// let next = http::Request::get("https://shop.example/").header("cookie", cookie).body(())?;
/// let visitor = banner.read(next.headers(), now);
/// let (headers, decisions) = banner.decide(&visitor, &[("_stats", "v1")], now);
/// assert!(decisions[0].1.is_allowed());
/// assert!(headers[0].to_str()?.starts_with("_stats=v1"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct CookieBanner {
    policy: CookiePolicy,
    keys: ConsentKeys,
    ad_opt_out: Option<AdOptOut>,
    dnt_as_gpc: bool,
    origins: Vec<String>,
}

impl CookieBanner {
    /// A banner for `policy`, signing choices with `keys`.
    pub fn new(policy: CookiePolicy, keys: ConsentKeys) -> Self {
        CookieBanner {
            policy,
            keys,
            ad_opt_out: None,
            dnt_as_gpc: false,
            origins: Vec::new(),
        }
    }

    /// Also set (and keep re-issuing) this ad opt-out cookie whenever the
    /// browser opts out of sale (GPC) or the visitor's choice refuses
    /// advertising.
    pub fn with_ad_opt_out(mut self, opt_out: AdOptOut) -> Self {
        self.ad_opt_out = Some(opt_out);
        self
    }

    /// Treat `DNT: 1` like `Sec-GPC: 1`.
    pub fn with_dnt_as_gpc(mut self, acts: bool) -> Self {
        self.dnt_as_gpc = acts;
        self
    }

    /// Accept the banner's POST only from this origin (`https://shop.example`);
    /// call again to allow several. Without any, a POST whose `Origin`
    /// names another host than the request's `Host` is refused. Either
    /// way, one whose `Sec-Fetch-Site` is anything but `same-origin` (or
    /// `none`) is refused.
    pub fn with_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// The policy.
    pub fn policy(&self) -> &CookiePolicy {
        &self.policy
    }

    /// Read the visitor's choice and signals from a request's headers. Any
    /// bad consent cookie reads as no choice; several `Cookie` headers (as
    /// HTTP/2 sends them) are read together.
    pub fn read(&self, headers: &HeaderMap, now: DateTime<Utc>) -> VisitorCookies {
        let values = |name| -> Vec<&str> {
            headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect()
        };
        let signals = PrivacySignals::from_header_values(&values("sec-gpc"), &values("dnt"))
            .with_dnt_as_gpc(self.dnt_as_gpc);
        let mut present = Vec::new();
        let mut consent = None;
        let mut total = 0usize;
        let mut oversized = false;
        for header in headers.get_all(COOKIE) {
            total = total.saturating_add(header.len());
            oversized |= total > MAX_COOKIE_HEADER_BYTES;
            // Non-UTF-8 bytes do not hide the cookies around them: their
            // names are still seen, so they can still be deleted.
            let text = String::from_utf8_lossy(header.as_bytes());
            for cookie in Cookie::split_parse(text.as_ref()).flatten() {
                if cookie.name() == CONSENT_COOKIE_NAME && consent.is_none() && !oversized {
                    consent =
                        CookieConsent::read(Some(cookie.value()), &self.keys, &self.policy, now);
                }
                if !present.iter().any(|n| n == cookie.name()) {
                    present.push(cookie.name().to_owned());
                }
            }
        }
        if oversized {
            // Never read consent out of an oversized header; the names are
            // kept so that what must go can still be deleted.
            consent = None;
        }
        VisitorCookies {
            needs_prompt: needs_prompt(consent.as_ref(), &self.policy, now),
            consent,
            signals,
            present,
        }
    }

    /// Decide the cookies a response wants to set (`(name, value)`, by the
    /// policy's names) and return the `Set-Cookie` headers with each
    /// decision. A name the policy does not list is refused. The headers
    /// also remove every catalogued HTTP cookie the visitor carries that
    /// may not be set now, and set the ad opt-out cookie when the browser
    /// opts out of sale.
    pub fn decide(
        &self,
        visitor: &VisitorCookies,
        wanted: &[(&str, &str)],
        now: DateTime<Utc>,
    ) -> (Vec<HeaderValue>, Vec<(String, CookieDecision)>) {
        let mut headers = Vec::new();
        let mut decisions = Vec::with_capacity(wanted.len());
        for (name, value) in wanted {
            let spec = self
                .policy
                .specs_named(name)
                .find(|s| s.storage == Storage::HttpCookie);
            let decision = match spec {
                Some(spec) => {
                    self.policy
                        .decide(spec, visitor.consent.as_ref(), &visitor.signals, now)
                }
                None => Decision::new(
                    CookieOutcome::Refuse,
                    Reason::new(
                        ids::COOKIE_NOT_IN_POLICY,
                        format!(
                            "`{}` is not in the cookie policy",
                            name.chars().take(64).collect::<String>()
                        ),
                    ),
                ),
            };
            match (decision.attributes(), spec) {
                (Some(attributes), _) => {
                    if let Ok(v) = HeaderValue::from_str(&attributes.render(value)) {
                        headers.push(v);
                    }
                }
                // Refused, and the visitor carries it: remove it.
                (None, Some(spec)) if !decision.is_allowed() && visitor.has(name) => {
                    headers.extend(self.removal(spec));
                }
                _ => {}
            }
            decisions.push(((*name).to_owned(), decision));
        }
        // Remove what the visitor carries but may not keep.
        for spec in &self.policy.cookies {
            if spec.storage != Storage::HttpCookie || !visitor.has(&spec.name) {
                continue;
            }
            if wanted.iter().any(|(n, _)| *n == spec.name) {
                continue;
            }
            let d = self
                .policy
                .decide(spec, visitor.consent.as_ref(), &visitor.signals, now);
            if !d.is_allowed() {
                headers.extend(self.removal(spec));
            }
        }
        if self.refuses_advertising(visitor.consent.as_ref(), &visitor.signals) {
            headers.extend(self.ad_opt_out_header());
        }
        (headers, decisions)
    }

    fn removal(&self, spec: &crate::cookie::CookieSpec) -> Option<HeaderValue> {
        let value = self.policy.removal_header(spec)?;
        HeaderValue::from_str(&value).ok()
    }

    /// Whether the ad opt-out cookie belongs on the response: the browser
    /// opts out of sale, or the visitor's choice refuses advertising.
    fn refuses_advertising(
        &self,
        consent: Option<&CookieConsent>,
        signals: &PrivacySignals,
    ) -> bool {
        signals.opts_out_of_sale() || consent.is_some_and(|c| !c.grants(Category::Advertising))
    }

    /// The ad opt-out cookie, (re-)issued each time so it never lapses at
    /// the browser's cap while the refusal lasts.
    fn ad_opt_out_header(&self) -> Option<HeaderValue> {
        let opt_out = self.ad_opt_out.as_ref()?;
        HeaderValue::from_str(&opt_out.set_cookie()).ok()
    }

    /// Read the banner's form (see [`CONSENT_FORM_FIELDS`]) into the choice
    /// it stores; `None` for anything else.
    pub fn parse_choice<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Option<BannerChoice> {
        let fields = form_fields(
            request.headers(),
            request.body().as_ref(),
            &CONSENT_FORM_FIELDS,
            8,
        )?;
        let mut choice = None;
        let mut categories = Vec::new();
        let mut return_to = None;
        for (name, value) in &fields {
            match name.as_str() {
                "choice" if choice.is_none() => choice = Some(value.as_str()),
                "category" => categories.push(match value.as_str() {
                    "preferences" => Category::Preferences,
                    "analytics" => Category::Analytics,
                    "advertising" => Category::Advertising,
                    "strictly_necessary" => Category::StrictlyNecessary,
                    _ => return None,
                }),
                "return_to" if return_to.is_none() => return_to = Some(safe_path(value)?),
                _ => return None,
            }
        }
        let revision = self.policy.revision;
        let consent = match choice? {
            "accept-all" if categories.is_empty() => CookieConsent::accept_all(revision, now),
            "reject-all" if categories.is_empty() => CookieConsent::reject_all(revision, now),
            "custom" => CookieConsent::new(categories, revision, now, ConsentMethod::PerCategory),
            _ => return None,
        };
        Some(BannerChoice { consent, return_to })
    }

    /// The `Set-Cookie` value that stores `consent` in the signed
    /// `__Host-consentry_choice` cookie (`Secure`, `HttpOnly`, `Path=/`,
    /// `SameSite=Lax`, kept as long as the policy's consent validity).
    pub fn consent_cookie(&self, consent: &CookieConsent) -> String {
        let days = self.policy.consent_validity_days.min(BROWSER_MAX_AGE_DAYS);
        SetCookieAttributes {
            name: CONSENT_COOKIE_NAME.to_owned(),
            domain: String::new(),
            path: "/".to_owned(),
            secure: true,
            http_only: true,
            same_site: SameSitePolicy::Lax,
            max_age_seconds: Some(i64::from(days) * 86_400),
        }
        .render(&consent.to_cookie_value(&self.keys))
    }

    /// Whether a POST may come from another site. A browser announces a
    /// request's site with `Sec-Fetch-Site` (only `same-origin` and `none`,
    /// a typed-in or bookmarked request, pass) and its origin with `Origin`
    /// (which must be one configured with [`with_origin`](Self::with_origin),
    /// or, without any, name the request's own `Host`). A request with
    /// neither header is not from a modern browser's cross-site form.
    fn cross_site<B>(&self, request: &Request<B>) -> bool {
        let headers = request.headers();
        match headers.get("sec-fetch-site").map(HeaderValue::to_str) {
            Some(Ok(s)) => {
                let s = s.trim();
                if !s.eq_ignore_ascii_case("same-origin") && !s.eq_ignore_ascii_case("none") {
                    return true;
                }
            }
            Some(Err(_)) => return true,
            None => {}
        }
        let origin = match headers.get(::http::header::ORIGIN).map(HeaderValue::to_str) {
            None => return false,
            Some(Err(_)) => return true,
            Some(Ok(o)) => o.trim(),
        };
        if !self.origins.is_empty() {
            return !self.origins.iter().any(|o| o == origin);
        }
        // No origin configured: the Origin's host must be the request's.
        let host = headers
            .get(::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .or_else(|| request.uri().authority().map(|a| a.as_str()));
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or_default();
        host.is_none_or(|h| !h.trim().eq_ignore_ascii_case(origin_host))
    }

    /// Answer the banner's form POST: store the choice in its signed
    /// cookie, remove the catalogued cookies it withdraws, set the ad
    /// opt-out cookie when advertising is refused, and answer `303` to the
    /// form's `return_to` path, or `204` without one. A POST from another
    /// site (`Sec-Fetch-Site` other than `same-origin`, or an `Origin` that
    /// is not this site, see [`with_origin`](Self::with_origin)) is `403`; another method `405`;
    /// a body over [`MAX_FORM_BYTES`] `413`; any other form `400`. Nothing
    /// is set on refusal.
    pub fn handle_choice<B: AsRef<[u8]>>(
        &self,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Response<String> {
        if request.method() != Method::POST {
            return method_not_allowed("POST");
        }
        if body_too_large(request.headers(), request.body().as_ref(), MAX_FORM_BYTES) {
            return respond(
                StatusCode::PAYLOAD_TOO_LARGE,
                message(
                    "Request too large",
                    "The request body is larger than this form accepts.",
                ),
            );
        }
        if self.cross_site(request) {
            return respond(
                StatusCode::FORBIDDEN,
                message(
                    "Not allowed",
                    "Cookie choices can only be made on this site.",
                ),
            );
        }
        let Some(choice) = self.parse_choice(request, now) else {
            return respond(
                StatusCode::BAD_REQUEST,
                message("Bad request", "This request is not a cookie choice."),
            );
        };
        let before = self.read(request.headers(), now);
        let mut headers = Vec::new();
        if let Ok(v) = HeaderValue::from_str(&self.consent_cookie(&choice.consent)) {
            headers.push(v);
        }
        let after = VisitorCookies {
            consent: Some(choice.consent.clone()),
            needs_prompt: false,
            ..before.clone()
        };
        for spec in &self.policy.cookies {
            if spec.storage != Storage::HttpCookie || !before.has(&spec.name) {
                continue;
            }
            let d = self
                .policy
                .decide(spec, after.consent.as_ref(), &after.signals, now);
            if !d.is_allowed() {
                headers.extend(self.removal(spec));
            }
        }
        if self.refuses_advertising(Some(&choice.consent), &after.signals) {
            headers.extend(self.ad_opt_out_header());
        }
        let mut response = match &choice.return_to {
            Some(path) => {
                let mut r = respond(StatusCode::SEE_OTHER, String::new());
                if let Ok(v) = HeaderValue::from_str(path) {
                    r.headers_mut().insert(LOCATION, v);
                }
                r
            }
            None => respond(StatusCode::NO_CONTENT, String::new()),
        };
        for h in headers {
            response.headers_mut().append(SET_COOKIE, h);
        }
        response
    }
}

/// `path` when it is a path on this site (`/…`, not `//host` or `/\host`,
/// no control characters or backslashes, at most 512 bytes): never an open
/// redirect.
fn safe_path(path: &str) -> Option<String> {
    let ok = path.len() <= 512
        && path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| path.to_owned())
}
