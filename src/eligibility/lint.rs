//! The pre-send compliance lint.

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use url::Url;

use super::Requirement;
use crate::address::EmailAddress;
use crate::catalogue::ids;
use crate::classify::{html_to_text, Classification, Link};
use crate::decision::Reason;
use crate::message::OutboundMessage;
use crate::unicode::{ceil_boundary, floor_boundary};
use crate::unsubscribe::{is_one_click_post, parse_list_unsubscribe};

/// The sender's physical postal address (15 U.S.C. 7704(a)(5)(A)(iii)): a
/// street address, or a post office box or private mailbox registered
/// under Postal Service rules (16 CFR 316.2(p)).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostalAddress {
    /// The street line (`742 Evergreen Terrace`), if any.
    #[serde(default)]
    pub street: Option<String>,
    /// The PO box line (`PO Box 1234`), if any.
    #[serde(default)]
    pub po_box: Option<String>,
    /// The city.
    pub city: String,
    /// The state or region, if any.
    #[serde(default)]
    pub region: Option<String>,
    /// The postal code.
    pub postal_code: String,
    /// The country.
    pub country: String,
}

/// A sender profile that cannot be used.
///
/// A configuration error: fix the profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// No sending domain is listed.
    #[error("the sender profile lists no domain")]
    NoDomain,
    /// A listed domain is not a valid domain.
    #[error("`{0}` is not a valid sending domain")]
    BadDomain(String),
    /// The postal address lacks a part.
    #[error("the postal address has no {0}")]
    IncompletePostalAddress(&'static str),
}

/// Who sends: their domains, postal address and unsubscribe endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SenderProfile {
    /// The sender's own domains; From and Reply-To must be at one of them
    /// or a subdomain.
    pub domains: Vec<String>,
    /// The postal address every promotional message shows.
    pub postal_address: PostalAddress,
    /// Where the sender's unsubscribe links point; when set, only links
    /// starting with it count as the unsubscribe link.
    #[serde(default)]
    pub unsubscribe_url_prefix: Option<Url>,
    /// The name under which the sender carries on business, as every
    /// message must show it for regimes that require sender
    /// identification (CASL, GDPR/ePrivacy, PECR).
    #[serde(default)]
    pub business_name: Option<String>,
    /// A telephone number, email address or web address where the sender
    /// can be reached, shown in the body beside the postal address (CASL
    /// s. 6(2)(b)).
    #[serde(default)]
    pub contact: Option<String>,
}

impl SenderProfile {
    /// Check the profile.
    ///
    /// # Errors
    ///
    /// [`ProfileError::NoDomain`], [`ProfileError::BadDomain`] or
    /// [`ProfileError::IncompletePostalAddress`].
    pub fn validate(&self) -> Result<(), ProfileError> {
        if self.domains.is_empty() {
            return Err(ProfileError::NoDomain);
        }
        for d in &self.domains {
            canonical_domain(d).ok_or_else(|| ProfileError::BadDomain(d.clone()))?;
        }
        let p = &self.postal_address;
        let blank = |s: &Option<String>| s.as_deref().is_none_or(|v| v.trim().is_empty());
        if blank(&p.street) && blank(&p.po_box) {
            return Err(ProfileError::IncompletePostalAddress("street or PO box"));
        }
        if p.city.trim().is_empty() {
            return Err(ProfileError::IncompletePostalAddress("city"));
        }
        if p.postal_code.trim().is_empty() {
            return Err(ProfileError::IncompletePostalAddress("postal code"));
        }
        if p.country.trim().is_empty() {
            return Err(ProfileError::IncompletePostalAddress("country"));
        }
        Ok(())
    }

    fn owns(&self, address: &EmailAddress) -> bool {
        let domain = address.domain();
        self.domains
            .iter()
            .filter_map(|d| canonical_domain(d))
            .any(|d| {
                domain == d
                    || domain
                        .strip_suffix(d.as_str())
                        .is_some_and(|rest| rest.ends_with('.'))
            })
    }
}

fn canonical_domain(d: &str) -> Option<String> {
    crate::address::canonical_domain(d).ok()
}

/// Lowercase and reduce every run of non-alphanumerics to one space, so
/// `P.O. Box 12,` and `po box 12` compare equal.
fn normalise(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = true;
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            gap = false;
        } else if c == '.' {
            // "P.O." and "PO" are the same word.
        } else if !gap {
            out.push(' ');
            gap = true;
        }
    }
    out.trim_end().to_owned()
}

/// A message as the lint reads it: its visible text, and its links as
/// (href, context) pairs. Links found in the plain-text body are kept as
/// byte ranges into it, with a bounded context window, so memory stays
/// linear in the body whatever the number of URLs.
struct Rendered<'m> {
    text: String,
    html_links: Vec<Link>,
    plain: &'m str,
    plain_links: Vec<(std::ops::Range<usize>, std::ops::Range<usize>)>,
}

/// Bytes of context kept before and after a URL in a plain-text body.
const CONTEXT_BEFORE: usize = 120;
const CONTEXT_AFTER: usize = 60;

impl Rendered<'_> {
    fn links(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.html_links
            .iter()
            .map(|l| (l.href.as_str(), l.text.as_str()))
            .chain(self.plain_links.iter().map(|(href, context)| {
                (
                    self.plain.get(href.clone()).unwrap_or_default(),
                    self.plain.get(context.clone()).unwrap_or_default(),
                )
            }))
    }
}

static UNSUBSCRIBE_WORDS: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?i-u)unsubscribe|opt-?out|opt out").ok());

static URL_IN_TEXT: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r#"https?://[^\s<>"')\]]+"#).ok());

fn render(msg: &OutboundMessage) -> Rendered<'_> {
    let mut text = String::new();
    let mut html_links = Vec::new();
    let mut plain_links = Vec::new();
    if let Some(html) = msg.html() {
        let h = html_to_text(html);
        text.push_str(&h.text);
        html_links = h.links;
    }
    let plain = msg.text().unwrap_or_default();
    if let Some(re) = URL_IN_TEXT.as_ref() {
        // The current line's bounds, advanced with the matches (which come
        // in order), so finding them is linear over the whole body.
        let (mut line_start, mut line_end) = (0usize, 0usize);
        let mut scanned_to = 0usize;
        for m in re.find_iter(plain) {
            if m.start() >= line_end || line_end == 0 {
                if let Some(nl) = plain.get(scanned_to..m.start()).and_then(|b| b.rfind('\n')) {
                    line_start = scanned_to + nl + 1;
                }
                line_end = plain
                    .get(m.end()..)
                    .and_then(|a| a.find('\n'))
                    .map_or(plain.len(), |i| m.end() + i);
                scanned_to = m.start();
            }
            let from = floor_boundary(
                plain,
                line_start.max(m.start().saturating_sub(CONTEXT_BEFORE)),
            );
            let to = ceil_boundary(plain, line_end.min(m.end() + CONTEXT_AFTER));
            plain_links.push((m.start()..m.end(), from..to));
        }
    }
    if !plain.is_empty() {
        text.push('\n');
        text.push_str(plain);
    }
    Rendered {
        text,
        html_links,
        plain,
        plain_links,
    }
}

/// Whether `haystack` contains `needle` (ASCII lowercase), ignoring ASCII
/// case, without allocating.
fn contains_ci(haystack: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    haystack
        .as_bytes()
        .windows(n.len().max(1))
        .any(|w| w.eq_ignore_ascii_case(n))
}

/// Whether any link is a working unsubscribe link. Linear in the body: the
/// unsubscribe words of a plain-text body are found once, and each link's
/// context is checked against them by binary search.
fn has_unsubscribe_link(rendered: &Rendered<'_>, profile: &SenderProfile) -> bool {
    if profile.unsubscribe_url_prefix.is_some() {
        return rendered
            .links()
            .any(|(href, context)| is_unsubscribe_link(href, context, profile));
    }
    if rendered
        .html_links
        .iter()
        .any(|l| is_unsubscribe_link(&l.href, &l.text, profile))
    {
        return true;
    }
    let Some(words) = UNSUBSCRIBE_WORDS.as_ref() else {
        return false;
    };
    let at: Vec<usize> = words.find_iter(rendered.plain).map(|m| m.start()).collect();
    rendered.plain_links.iter().any(|(href, context)| {
        let from = at.partition_point(|&p| p < context.start.min(href.start));
        let labelled = at.get(from).is_some_and(|&p| p < context.end.max(href.end));
        labelled
            && rendered
                .plain
                .get(href.clone())
                .is_some_and(|h| is_unsubscribe_link(h, "unsubscribe", profile))
    })
}

fn is_unsubscribe_link(href: &str, context: &str, profile: &SenderProfile) -> bool {
    let Ok(url) = Url::parse(href) else {
        return false;
    };
    if url.scheme() != "https" && url.scheme() != "http" {
        return false;
    }
    match &profile.unsubscribe_url_prefix {
        Some(prefix) => url.as_str().starts_with(prefix.as_str()),
        None => {
            let words = ["unsubscribe", "opt-out", "opt out", "optout"];
            words
                .iter()
                .any(|w| contains_ci(href, w) || contains_ci(context, w))
        }
    }
}

fn has_postal_address(text: &str, p: &PostalAddress) -> bool {
    let body = normalise(text);
    let contains = |part: &str| {
        let n = normalise(part);
        !n.is_empty() && body.contains(&n)
    };
    let line = [&p.street, &p.po_box]
        .into_iter()
        .flatten()
        .any(|l| contains(l));
    line && contains(&p.city) && contains(&p.postal_code)
}

fn has_ad_label(text: &str) -> bool {
    let t = text.to_lowercase();
    [
        "advertisement",
        "this is an ad",
        "[ad]",
        "(ad)",
        "sponsored",
    ]
    .iter()
    .any(|w| t.contains(w))
}

fn check(
    requirement: Requirement,
    msg: &OutboundMessage,
    rendered: &Rendered,
    profile: &SenderProfile,
) -> Option<Reason> {
    match requirement {
        Requirement::UnsubscribeLink => {
            if has_unsubscribe_link(rendered, profile) {
                None
            } else {
                Some(Reason::new(
                    ids::LINT_UNSUBSCRIBE_LINK,
                    match &profile.unsubscribe_url_prefix {
                        Some(p) => format!("the body has no http(s) link under `{p}`"),
                        None => "the body has no http(s) link labelled unsubscribe or opt-out"
                            .to_owned(),
                    },
                ))
            }
        }
        Requirement::PostalAddress => {
            if has_postal_address(&rendered.text, &profile.postal_address) {
                None
            } else {
                Some(Reason::new(
                    ids::LINT_POSTAL_ADDRESS,
                    "the body does not show the sender's postal address (street or PO box, city and postal code)",
                ))
            }
        }
        Requirement::ListUnsubscribeHeader => match msg.header("List-Unsubscribe") {
            None => Some(Reason::new(
                ids::LINT_LIST_UNSUBSCRIBE,
                "the List-Unsubscribe header is missing",
            )),
            Some(v) => match parse_list_unsubscribe(v) {
                Ok(uris) if uris.iter().any(|u| u.scheme() == "https") => None,
                Ok(_) => Some(Reason::new(
                    ids::LINT_LIST_UNSUBSCRIBE,
                    "List-Unsubscribe has no https URI (one-click needs one)",
                )),
                Err(e) => Some(Reason::new(
                    ids::LINT_LIST_UNSUBSCRIBE,
                    format!("List-Unsubscribe is malformed: {e}"),
                )),
            },
        },
        Requirement::OneClickPost => match msg.header("List-Unsubscribe-Post") {
            Some(v) if is_one_click_post(v) => None,
            Some(_) => Some(Reason::new(
                ids::LINT_ONE_CLICK,
                "List-Unsubscribe-Post must be exactly `List-Unsubscribe=One-Click`",
            )),
            None => Some(Reason::new(
                ids::LINT_ONE_CLICK,
                "the List-Unsubscribe-Post header is missing",
            )),
        },
        Requirement::AdvertisementLabel => {
            if has_ad_label(&rendered.text) || has_ad_label(msg.subject()) {
                None
            } else {
                Some(Reason::new(
                    ids::LINT_AD_LABEL,
                    "the message does not identify itself as an advertisement",
                ))
            }
        }
        Requirement::SenderIdentification => match profile.business_name.as_deref() {
            Some(name) if contains_normalised(&rendered.text, name) => None,
            Some(_) => Some(Reason::new(
                ids::LINT_SENDER_IDENTIFICATION,
                "the body does not show the sender's business name",
            )),
            None => Some(Reason::new(
                ids::LINT_SENDER_IDENTIFICATION,
                "the sender profile has no business name to show",
            )),
        },
        Requirement::ContactInformation => {
            let address = has_postal_address(&rendered.text, &profile.postal_address);
            match profile.contact.as_deref() {
                Some(contact) if address && contains_normalised(&rendered.text, contact) => None,
                Some(_) => Some(Reason::new(
                    ids::LINT_CONTACT_INFORMATION,
                    "the body does not show the sender's mailing address and its telephone number, email or web address",
                )),
                None => Some(Reason::new(
                    ids::LINT_CONTACT_INFORMATION,
                    "the sender profile has no telephone number, email or web address to show",
                )),
            }
        }
    }
}

/// Whether `text` shows `part`, compared as the postal address is.
fn contains_normalised(text: &str, part: &str) -> bool {
    let n = normalise(part);
    !n.is_empty() && normalise(text).contains(&n)
}

/// Check a message against a list of requirements (from a
/// [`SendDecision`](super::SendDecision) or a
/// [`CampaignPlan`](super::CampaignPlan)).
pub fn check_requirements(
    msg: &OutboundMessage,
    requirements: &[Requirement],
    profile: &SenderProfile,
) -> Vec<Reason> {
    let rendered = render(msg);
    requirements
        .iter()
        .filter_map(|r| check(*r, msg, &rendered, profile))
        .collect()
}

/// Check a message before it is handed to a [`Mailer`](crate::Mailer).
///
/// For promotional mail: a working unsubscribe link in the body, the
/// sender's postal address in the body, `List-Unsubscribe` with an https
/// URI, `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, and a subject
/// that does not pose as transactional (a transactional cue or a `Re:` /
/// `Fwd:` prefix). For every message: From and Reply-To at one of the
/// sender's domains. Each problem is a [`Reason`] naming the rule broken; a
/// promotional message with any problem must not be sent.
///
/// ```
/// use consentry::classify::{Classifier, Message, DeclaredKind};
/// use consentry::eligibility::{lint, PostalAddress, SenderProfile};
/// use consentry::{EmailAddress, OutboundMessage};
///
/// let profile = SenderProfile {
///     domains: vec!["shop.example".into()],
///     postal_address: PostalAddress {
///         street: None,
///         po_box: Some("PO Box 1234".into()),
///         city: "Springfield".into(),
///         region: Some("IL".into()),
///         postal_code: "62701".into(),
///         country: "US".into(),
///     },
///     unsubscribe_url_prefix: None,
///     business_name: None,
///     contact: None,
/// };
/// let msg = OutboundMessage::builder(
///     EmailAddress::parse("news@shop.example")?,
///     EmailAddress::parse("ann@example.com")?,
/// )
/// .subject("Spring sale")
/// .text("40% off everything.\nUnsubscribe: https://shop.example/u/abc\nShop Inc., P.O. Box 1234, Springfield, IL 62701")
/// .header("List-Unsubscribe", "<https://shop.example/u/abc>")
/// .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
/// .build()?;
/// let class = Classifier::default().classify(&Message::from_outbound(&msg, DeclaredKind::Unspecified));
/// assert!(lint(&msg, &class, &profile).is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lint(
    msg: &OutboundMessage,
    classification: &Classification,
    profile: &SenderProfile,
) -> Vec<Reason> {
    let mut issues = Vec::new();
    if !profile.owns(msg.from()) {
        issues.push(Reason::new(
            ids::LINT_FROM,
            format!(
                "From is at `{}`, not one of the sender's domains",
                msg.from().domain()
            ),
        ));
    }
    if let Some(reply_to) = msg.reply_to() {
        if !profile.owns(reply_to) {
            issues.push(Reason::new(
                ids::LINT_REPLY_TO,
                format!(
                    "Reply-To is at `{}`, not one of the sender's domains",
                    reply_to.domain()
                ),
            ));
        }
    }
    if !classification.outcome().is_transactional() {
        let subject = msg.subject().trim_start().to_lowercase();
        let fake_reply = ["re:", "fw:", "fwd:"]
            .iter()
            .any(|p| subject.starts_with(p));
        if classification.has_rule(ids::CUE_TRANSACTIONAL_SUBJECT.as_str()) || fake_reply {
            issues.push(Reason::new(
                ids::LINT_DECEPTIVE_SUBJECT,
                "the subject of a promotional message poses as a receipt, reply or account notice",
            ));
        }
        issues.extend(check_requirements(
            msg,
            &super::PROMOTIONAL_REQUIREMENTS,
            profile,
        ));
    }
    issues
}

/// [`lint`], plus what the audience's regimes require every message to
/// carry: sender identification under CASL, GDPR/ePrivacy and PECR, and
/// contact information under CASL (for CASL, on transactional mail too,
/// s. 6(6)). Pass the regimes of the campaign's recipients.
///
/// ```
/// use consentry::classify::{Classifier, Message};
/// use consentry::eligibility::{lint_for, PostalAddress, SenderProfile};
/// use consentry::jurisdiction::Regime;
/// use consentry::{EmailAddress, OutboundMessage};
///
/// let profile = SenderProfile {
///     domains: vec!["shop.example".into()],
///     postal_address: PostalAddress {
///         street: Some("1 Main St".into()), po_box: None, city: "Springfield".into(),
///         region: None, postal_code: "62701".into(), country: "US".into(),
///     },
///     unsubscribe_url_prefix: None,
///     business_name: Some("Shop Example Ltd".into()),
///     contact: Some("help@shop.example".into()),
/// };
/// let receipt = OutboundMessage::builder(
///     EmailAddress::parse("orders@shop.example")?,
///     EmailAddress::parse("ann@example.ca")?,
/// )
/// .subject("Your receipt")
/// .text("Thank you for your order #5521. Total charged: $18.00.")
/// .build()?;
/// let class = Classifier::default().classify(&Message::from_outbound(&receipt, Default::default()));
/// let issues = lint_for(&receipt, &class, &profile, [Regime::Casl]);
/// let rules: Vec<&str> = issues.iter().map(|r| r.rule.as_str()).collect();
/// assert!(rules.contains(&"lint.sender_identification"));
/// assert!(rules.contains(&"lint.contact_information"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn lint_for<I>(
    msg: &OutboundMessage,
    classification: &Classification,
    profile: &SenderProfile,
    regimes: I,
) -> Vec<Reason>
where
    I: IntoIterator<Item = crate::jurisdiction::Regime>,
{
    let promotional = !classification.outcome().is_transactional();
    let mut issues = lint(msg, classification, profile);
    let required = super::requirements_for(promotional, true, regimes);
    let extra: Vec<Requirement> = required
        .into_iter()
        .filter(|r| !super::PROMOTIONAL_REQUIREMENTS.contains(r))
        .collect();
    for issue in check_requirements(msg, &extra, profile) {
        if !issues.contains(&issue) {
            issues.push(issue);
        }
    }
    issues
}
