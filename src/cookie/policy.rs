//! The site's cookie catalogue and its validation.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// What a cookie (or other stored item) is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Needed for the service the visitor asked for (session, load
    /// balancing, security, the consent choice itself): exempt from consent
    /// under ePrivacy Art. 5(3).
    StrictlyNecessary,
    /// Remembers choices (language, region).
    Preferences,
    /// Measures use of the site.
    Analytics,
    /// Advertising and cross-site tracking.
    Advertising,
}

impl Category {
    /// Every category, in order.
    pub const ALL: [Category; 4] = [
        Category::StrictlyNecessary,
        Category::Preferences,
        Category::Analytics,
        Category::Advertising,
    ];

    pub(crate) fn bit(self) -> u8 {
        match self {
            Category::StrictlyNecessary => 1,
            Category::Preferences => 2,
            Category::Analytics => 4,
            Category::Advertising => 8,
        }
    }

    /// The category's stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::StrictlyNecessary => "strictly_necessary",
            Category::Preferences => "preferences",
            Category::Analytics => "analytics",
            Category::Advertising => "advertising",
        }
    }
}

/// How long an item lives.
///
/// Written `{"kind": "session"}` or `{"kind": "days", "days": 30}`; policy
/// files may also use the short forms `"session"` and `{"days": 30}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "days", rename_all = "snake_case")]
pub enum Lifetime {
    /// Until the browser session ends.
    Session,
    /// A fixed number of days.
    Days(u32),
}

impl<'de> Deserialize<'de> for Lifetime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let value = serde_json::Value::deserialize(d)?;
        let days = |v: &serde_json::Value| {
            v.as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Lifetime::Days)
                .ok_or_else(|| D::Error::custom("`days` must be a whole number of days"))
        };
        match &value {
            serde_json::Value::String(s) if s == "session" => Ok(Lifetime::Session),
            serde_json::Value::Object(map) => {
                let kind = map.get("kind").and_then(serde_json::Value::as_str);
                let unknown = map.keys().find(|k| !matches!(k.as_str(), "kind" | "days"));
                if let Some(k) = unknown {
                    return Err(D::Error::custom(format!(
                        "unknown field `{k}` in a lifetime, expected `kind` or `days`"
                    )));
                }
                match (kind, map.get("days")) {
                    (Some("session"), None) => Ok(Lifetime::Session),
                    (Some("days") | None, Some(n)) => days(n),
                    _ => Err(D::Error::custom(
                        "a lifetime is {\"kind\": \"session\"} or {\"kind\": \"days\", \"days\": N}",
                    )),
                }
            }
            _ => Err(D::Error::custom(
                "a lifetime is \"session\", {\"days\": N} or {\"kind\": ...}",
            )),
        }
    }
}

/// Where an item is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    /// An HTTP cookie (`Set-Cookie`).
    HttpCookie,
    /// The browser's local storage (set by script).
    LocalStorage,
    /// A Flash local shared object: browsers' cookie controls do not clear it.
    FlashLso,
}

/// `SameSite` for a cookie.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SameSitePolicy {
    /// Sent only on same-site requests.
    Strict,
    /// Sent on same-site requests and top-level navigations (the default).
    #[default]
    Lax,
    /// Sent on every request (needs `Secure`).
    None,
}

/// One item of the catalogue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CookieSpec {
    /// The cookie name.
    pub name: String,
    /// The domain it is set for (`shop.example`).
    pub domain: String,
    /// The path (`/` by default).
    #[serde(default = "root_path")]
    pub path: String,
    /// What it is for.
    pub category: Category,
    /// How long it lives.
    pub lifetime: Lifetime,
    /// Where it is stored.
    #[serde(default = "http_cookie")]
    pub storage: Storage,
    /// Whether it is linked to personal data (an account id, an email).
    #[serde(default)]
    pub linked_to_personal_data: bool,
    /// Whether page scripts must read it (then it is not `HttpOnly`).
    #[serde(default)]
    pub script_access: bool,
    /// Its `SameSite` attribute.
    #[serde(default)]
    pub same_site: SameSitePolicy,
}

fn root_path() -> String {
    "/".to_owned()
}
fn http_cookie() -> Storage {
    Storage::HttpCookie
}

/// The site's cookie policy: a catalogue with a revision number.
///
/// Loadable from JSON or TOML; [`CookiePolicy::validate`] reports every
/// problem at once. Deserialising validates too (whatever the format): a
/// policy with errors never deserialises, so one read straight through
/// serde cannot render an injected `Set-Cookie` or an over-long lifetime.
/// [`CookiePolicy::from_json`] and `CookiePolicy::from_toml` (feature `toml`) return the
/// errors as a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "CookiePolicyRepr")]
pub struct CookiePolicy {
    /// Bumped whenever the catalogue changes in a way visitors must be
    /// asked about again.
    pub revision: u32,
    /// Days a visitor's choice stays valid (default 183, about six months).
    #[serde(default = "default_validity")]
    pub consent_validity_days: u32,
    /// The longest lifetime any item may have (default 395, about 13 months).
    #[serde(default = "default_max_lifetime")]
    pub max_lifetime_days: u32,
    /// The catalogue.
    pub cookies: Vec<CookieSpec>,
}

/// What a policy file holds, before validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CookiePolicyRepr {
    revision: u32,
    #[serde(default = "default_validity")]
    consent_validity_days: u32,
    #[serde(default = "default_max_lifetime")]
    max_lifetime_days: u32,
    cookies: Vec<CookieSpec>,
}

impl CookiePolicyRepr {
    fn unchecked(self) -> CookiePolicy {
        CookiePolicy {
            revision: self.revision,
            consent_validity_days: self.consent_validity_days,
            max_lifetime_days: self.max_lifetime_days,
            cookies: self.cookies,
        }
    }
}

impl TryFrom<CookiePolicyRepr> for CookiePolicy {
    type Error = PolicyLoadError;
    fn try_from(repr: CookiePolicyRepr) -> Result<Self, PolicyLoadError> {
        repr.unchecked().checked().map(|(policy, _)| policy)
    }
}

fn default_validity() -> u32 {
    183
}
fn default_max_lifetime() -> u32 {
    395
}

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis).
pub const BROWSER_MAX_AGE_DAYS: u32 = 400;

/// Cookie names of well-known analytics and advertising tools: filing one of
/// them as strictly necessary is an error.
const KNOWN_TRACKERS: &[(&str, Category)] = &[
    ("_ga", Category::Analytics),
    ("_gid", Category::Analytics),
    ("_gat", Category::Analytics),
    ("__utma", Category::Analytics),
    ("__utmb", Category::Analytics),
    ("__utmz", Category::Analytics),
    ("_hj", Category::Analytics),
    ("mp_", Category::Analytics),
    ("ajs_", Category::Analytics),
    ("_pk_", Category::Analytics),
    ("_fbp", Category::Advertising),
    ("_fbc", Category::Advertising),
    ("fr", Category::Advertising),
    ("_gcl", Category::Advertising),
    ("IDE", Category::Advertising),
    ("test_cookie", Category::Advertising),
    ("_uetsid", Category::Advertising),
    ("_uetvid", Category::Advertising),
    ("_ttp", Category::Advertising),
    ("li_fat_id", Category::Advertising),
    ("personalization_id", Category::Advertising),
];

/// What a known tracker's name says it is, if anything.
fn tracker_category(name: &str) -> Option<Category> {
    KNOWN_TRACKERS.iter().find_map(|(prefix, cat)| {
        let exact = matches!(*prefix, "fr" | "IDE" | "test_cookie");
        let hit = if exact {
            name == *prefix
        } else {
            name.starts_with(prefix)
        };
        hit.then_some(*cat)
    })
}

/// A problem that makes a policy unusable.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PolicyError {
    /// An item lives longer than the policy's cap.
    #[error("`{name}` lives {days} days; the cap is {cap}")]
    LifetimeOverCap {
        /// The item.
        name: String,
        /// Its lifetime.
        days: u32,
        /// The cap.
        cap: u32,
    },
    /// A known analytics or advertising cookie is filed as strictly necessary.
    #[error("`{name}` is a known {actual} cookie but is filed as strictly necessary")]
    TrackerFiledAsNecessary {
        /// The item.
        name: String,
        /// What its name says it is.
        actual: String,
    },
    /// Two items share a name on one domain and path.
    #[error("`{name}` appears twice on `{domain}{path}`")]
    Duplicate {
        /// The name.
        name: String,
        /// The domain.
        domain: String,
        /// The path.
        path: String,
    },
    /// A name that is not an RFC 6265 token, or an empty domain.
    #[error("`{0}` is not a valid cookie name or has no domain")]
    BadName(String),
    /// A domain that is not a host name (RFC 6265 section 4.1.2.3: letters,
    /// digits and hyphens in dot-separated labels); shown escaped, so a
    /// CR/LF in it reads `\r\n`.
    #[error("`{name}` has domain `{domain}`, which is not a host name")]
    BadDomain {
        /// The item.
        name: String,
        /// The domain, escaped.
        domain: String,
    },
    /// A path that does not start with `/` or holds a control character or
    /// `;` (RFC 6265 section 4.1.1 `path-value`), which would let it add
    /// attributes or headers to the `Set-Cookie` line; or a `__Host-`
    /// cookie whose path is not `/` (browsers would refuse it).
    #[error("`{name}` has path `{path}`, which is not a cookie path")]
    BadPath {
        /// The item.
        name: String,
        /// The path, escaped.
        path: String,
    },
    /// The cap exceeds what browsers allow, or a window is zero.
    #[error("{0}")]
    BadSetting(String),
    /// `SameSite=None` without `Secure` is rejected by browsers; consentry
    /// always sets `Secure`, so this flags only script-set storage.
    #[error("`{0}` uses SameSite=None outside an HTTP cookie")]
    SameSiteNoneOutsideCookie(String),
}

/// Why a cookie policy could not be loaded.
///
/// A configuration error: fix the policy file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyLoadError {
    /// The JSON does not parse (the source names the unknown field or value
    /// and where).
    #[error("the cookie policy does not parse as JSON")]
    Json(#[source] serde_json::Error),
    /// The TOML does not parse.
    #[cfg(feature = "toml")]
    #[error("the cookie policy does not parse as TOML")]
    Toml(#[source] toml::de::Error),
    /// The policy parses but has errors (all of them).
    #[error("the cookie policy is invalid: {}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<PolicyError>),
}

/// Something worth fixing that does not stop the policy being used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PolicyWarning {
    /// A Flash LSO: browsers' cookie controls do not clear it, so a
    /// withdrawal cannot be honoured by deleting cookies.
    FlashLso {
        /// The item.
        name: String,
    },
    /// An item linked to personal data in the advertising category: under
    /// GPC it will always be refused.
    PersonalDataForAdvertising {
        /// The item.
        name: String,
    },
}

/// Every problem and warning of a policy, found in one pass.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyReport {
    /// Problems that make the policy unusable.
    pub errors: Vec<PolicyError>,
    /// Things worth fixing.
    pub warnings: Vec<PolicyWarning>,
}

impl PolicyReport {
    /// Whether the policy may be used.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Whether `domain` is a valid `Domain` attribute value: a host name of
/// dot-separated labels of ASCII letters, digits and hyphens (no label
/// starting or ending with a hyphen, each at most 63 bytes, the whole at
/// most 253), with an optional leading dot (RFC 6265 section 4.1.2.3, RFC
/// 1034 section 3.5). Nothing that could end the header line or add an
/// attribute passes.
///
/// ```
/// use consentry::cookie::is_cookie_domain;
///
/// assert!(is_cookie_domain("shop.example"));
/// assert!(is_cookie_domain(".shop.example"));
/// assert!(!is_cookie_domain("shop.example\r\nSet-Cookie: admin=1"));
/// assert!(!is_cookie_domain("shop.example; SameSite=None"));
/// ```
pub fn is_cookie_domain(domain: &str) -> bool {
    let host = domain.strip_prefix('.').unwrap_or(domain);
    !host.is_empty()
        && host.len() <= 253
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// Whether `path` is a valid `Path` attribute value: it starts with `/` and
/// holds only printable ASCII other than `;` (RFC 6265 section 4.1.1
/// `path-value`, restricted to what a browser keeps).
///
/// ```
/// use consentry::cookie::is_cookie_path;
///
/// assert!(is_cookie_path("/"));
/// assert!(is_cookie_path("/account/settings"));
/// assert!(!is_cookie_path("/; Domain=evil.example; SameSite=None"));
/// assert!(!is_cookie_path("account"));
/// ```
pub fn is_cookie_path(path: &str) -> bool {
    path.starts_with('/') && path.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b';')
}

/// Whether `name` is an RFC 6265 cookie name (an RFC 2616 token).
pub fn is_cookie_name(name: &str) -> bool {
    is_token(name)
}

fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?={}".contains(&b))
}

impl CookiePolicy {
    /// Check the whole policy and report every problem at once.
    ///
    /// ```
    /// use consentry::cookie::{CookiePolicy, PolicyError};
    ///
    /// use consentry::cookie::{Category, Lifetime};
    ///
    /// let (mut policy, _) = CookiePolicy::from_json(r#"{
    ///   "revision": 3,
    ///   "cookies": [
    ///     {"name": "session", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"},
    ///     {"name": "_ga", "domain": "shop.example", "category": "analytics", "lifetime": {"days": 390}}
    ///   ]
    /// }"#)?;
    /// // Edited in code after loading:
    /// policy.cookies[1].lifetime = Lifetime::Days(730);
    /// policy.cookies[1].category = Category::StrictlyNecessary;
    /// let report = policy.validate();
    /// assert_eq!(report.errors.len(), 2); // over the 395-day cap, and a tracker filed as necessary
    /// assert!(matches!(report.errors[0], PolicyError::LifetimeOverCap { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self) -> PolicyReport {
        let mut report = PolicyReport::default();
        if self.max_lifetime_days == 0 || self.max_lifetime_days > BROWSER_MAX_AGE_DAYS {
            report.errors.push(PolicyError::BadSetting(format!(
                "max_lifetime_days is {}; it must be between 1 and {BROWSER_MAX_AGE_DAYS}",
                self.max_lifetime_days
            )));
        }
        if self.consent_validity_days == 0 || self.consent_validity_days > 3660 {
            report.errors.push(PolicyError::BadSetting(format!(
                "consent_validity_days is {}; it must be between 1 and 3660",
                self.consent_validity_days
            )));
        }
        let mut seen = BTreeSet::new();
        for c in &self.cookies {
            if !is_token(&c.name) || c.domain.trim().is_empty() {
                report
                    .errors
                    .push(PolicyError::BadName(c.name.escape_default().to_string()));
            }
            if !c.domain.trim().is_empty() && !is_cookie_domain(&c.domain) {
                report.errors.push(PolicyError::BadDomain {
                    name: c.name.escape_default().to_string(),
                    domain: c.domain.escape_default().to_string(),
                });
            }
            if !is_cookie_path(&c.path) || (c.name.starts_with("__Host-") && c.path != "/") {
                report.errors.push(PolicyError::BadPath {
                    name: c.name.escape_default().to_string(),
                    path: c.path.escape_default().to_string(),
                });
            }
            if let Lifetime::Days(days) = c.lifetime {
                if days > self.max_lifetime_days {
                    report.errors.push(PolicyError::LifetimeOverCap {
                        name: c.name.clone(),
                        days,
                        cap: self.max_lifetime_days,
                    });
                }
            }
            if c.category == Category::StrictlyNecessary {
                if let Some(actual) = tracker_category(&c.name) {
                    report.errors.push(PolicyError::TrackerFiledAsNecessary {
                        name: c.name.clone(),
                        actual: actual.as_str().to_owned(),
                    });
                }
            }
            let key = (
                c.name.clone(),
                c.domain.to_ascii_lowercase(),
                c.path.clone(),
            );
            if !seen.insert(key) {
                report.errors.push(PolicyError::Duplicate {
                    name: c.name.clone(),
                    domain: c.domain.clone(),
                    path: c.path.clone(),
                });
            }
            if c.same_site == SameSitePolicy::None && c.storage != Storage::HttpCookie {
                report
                    .errors
                    .push(PolicyError::SameSiteNoneOutsideCookie(c.name.clone()));
            }
            if c.storage == Storage::FlashLso {
                report.warnings.push(PolicyWarning::FlashLso {
                    name: c.name.clone(),
                });
            }
            if c.category == Category::Advertising && c.linked_to_personal_data {
                report
                    .warnings
                    .push(PolicyWarning::PersonalDataForAdvertising {
                        name: c.name.clone(),
                    });
            }
        }
        report
    }

    /// Load a policy from JSON and validate it: the policy and its warnings,
    /// or every problem at once.
    ///
    /// # Errors
    ///
    /// A [`PolicyLoadError`]: the text does not parse (naming the unknown
    /// field or value), or the policy has errors.
    pub fn from_json(text: &str) -> Result<(Self, Vec<PolicyWarning>), PolicyLoadError> {
        let repr: CookiePolicyRepr = serde_json::from_str(text).map_err(PolicyLoadError::Json)?;
        repr.unchecked().checked()
    }

    #[cfg(feature = "toml")]
    /// Load a policy from TOML and validate it.
    ///
    /// # Errors
    ///
    /// As [`CookiePolicy::from_json`].
    pub fn from_toml(text: &str) -> Result<(Self, Vec<PolicyWarning>), PolicyLoadError> {
        let repr: CookiePolicyRepr = toml::from_str(text).map_err(PolicyLoadError::Toml)?;
        repr.unchecked().checked()
    }

    fn checked(self) -> Result<(Self, Vec<PolicyWarning>), PolicyLoadError> {
        let report = self.validate();
        if report.is_ok() {
            Ok((self, report.warnings))
        } else {
            Err(PolicyLoadError::Invalid(report.errors))
        }
    }

    /// The catalogue entry with this name, domain and path (how a browser
    /// tells cookies apart); domains compare case-insensitively.
    pub fn spec(&self, name: &str, domain: &str, path: &str) -> Option<&CookieSpec> {
        self.cookies
            .iter()
            .find(|c| c.name == name && c.domain.eq_ignore_ascii_case(domain) && c.path == path)
    }

    /// Every catalogue entry with this name, whatever its domain and path.
    pub fn specs_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a CookieSpec> + 'a {
        self.cookies.iter().filter(move |c| c.name == name)
    }
}
