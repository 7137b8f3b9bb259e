//! Jurisdiction profiles: the law that governs a commercial message depends
//! on its recipient, so each recipient may carry a [`Jurisdiction`] whose
//! [`Regime`] is applied beside the organisation's own policy, the
//! stricter of the two deciding.
//!
//! | | permission | opt-out takes effect | unsubscribe works for | every message carries |
//! |---|---|---|---|---|
//! | [`Regime::CanSpam`] (US) | none needed, opt-outs honoured (15 U.S.C. 7704) | 10 business days after receipt | 30 days | ad label (unless affirmative consent), opt-out notice, postal address |
//! | [`Regime::Casl`] (Canada) | express, or implied until it lapses (CASL s. 6, 10) | 10 business days after it was sent | 60 days | sender name, mailing address and phone/email/web, unsubscribe |
//! | [`Regime::EuGdpr`] (EU/EEA) | prior consent, or soft opt-in (ePrivacy Art. 13) | at once (GDPR Art. 21(3)) | (valid address) | sender identity, a valid opt-out address |
//! | [`Regime::UkPecr`] (UK) | prior consent, or soft opt-in (PECR reg. 22) | at once (UK GDPR Art. 21(3)) | (valid address) | sender identity, a valid opt-out address |
//!
//! The regimes are data ([`RegimeRules`]); every rule id is in the
//! [catalogue](crate::catalogue) with its source, and the research behind
//! them, with what was and was not read at source, is in the repository's
//! `docs/research/jurisdictions.md`. The organisation's stance
//! ([`OrgStance`]) says whether it is permission-based everywhere (the
//! privacy statement's promise, and the default) or uses CAN-SPAM's opt-out
//! model where the law allows it.
//!
//! A regime only ever adds restrictions: [`SendContext::decide_for`](crate::eligibility::SendContext::decide_for)
//! is never more permissive than the organisation's policy alone, except
//! where the organisation itself chose [`OrgStance::OptOutWhereLawful`].

use std::fmt;

use serde::{Deserialize, Serialize};

use chrono::Weekday;

use crate::catalogue::ids;
use crate::decision::{Reason, RuleId};
use crate::unsubscribe::{BusinessCalendar, CalendarError, OptOutDeadlines, OptOutRule};

/// An ISO 3166-1 alpha-2 country code, upper case (`US`, `CA`, `DE`, `GB`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country([u8; 2]);

/// A country code that is not two ASCII letters.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 3166-1 alpha-2 country code")]
pub struct CountryError(String);

impl Country {
    /// Parse a two-letter code, in either case; `UK` is read as `GB`.
    ///
    /// # Errors
    ///
    /// [`CountryError`] for anything but two ASCII letters.
    pub fn new(code: &str) -> Result<Self, CountryError> {
        let bytes = code.trim().as_bytes();
        match bytes {
            [a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
                Ok(Country(if code == *b"UK" { *b"GB" } else { code }))
            }
            _ => Err(CountryError(code.chars().take(16).collect())),
        }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).unwrap_or("??")
    }
}

impl fmt::Display for Country {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for Country {
    type Error = CountryError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Country::new(&s)
    }
}

impl From<Country> for String {
    fn from(c: Country) -> String {
        c.as_str().to_owned()
    }
}

/// Where a recipient is, as the host knows it (billing address, account
/// country, the country of the IP address at signup): a country and, where
/// it matters, a region.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Jurisdiction {
    /// The country.
    pub country: Country,
    /// A region or province (`QC`, `CA-ON`), where the host knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl Jurisdiction {
    /// A jurisdiction by country code.
    ///
    /// # Errors
    ///
    /// [`CountryError`] for a malformed code.
    pub fn new(country: &str) -> Result<Self, CountryError> {
        Ok(Jurisdiction {
            country: Country::new(country)?,
            region: None,
        })
    }

    /// The same jurisdiction with a region.
    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// The regime that governs commercial email to a recipient here, or
    /// `None` where consentry models none (the organisation's policy alone
    /// then decides, reason `jurisdiction.none`).
    pub fn regime(&self) -> Option<Regime> {
        Regime::of(self.country)
    }
}

/// The member states of the European Union and the other EEA states, where
/// the GDPR and the ePrivacy Directive apply.
const EU_EEA: [&[u8; 2]; 30] = [
    b"AT", b"BE", b"BG", b"HR", b"CY", b"CZ", b"DK", b"EE", b"FI", b"FR", b"DE", b"GR", b"HU",
    b"IE", b"IT", b"LV", b"LT", b"LU", b"MT", b"NL", b"PL", b"PT", b"RO", b"SK", b"SI", b"ES",
    b"SE", b"IS", b"LI", b"NO",
];

/// The United States and its territories, where CAN-SPAM applies.
const US: [&[u8; 2]; 7] = [b"US", b"PR", b"GU", b"VI", b"AS", b"MP", b"UM"];

/// A legal regime for commercial email.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regime {
    /// The US CAN-SPAM Act (15 U.S.C. 7701-7713; 16 CFR Part 316).
    CanSpam,
    /// Canada's Anti-Spam Legislation (S.C. 2010, c. 23) and the CRTC's
    /// Electronic Commerce Protection Regulations (SOR/2012-36).
    Casl,
    /// The EU's GDPR (Regulation (EU) 2016/679) with the ePrivacy Directive
    /// (2002/58/EC), in the EU and the EEA.
    EuGdpr,
    /// The UK's Privacy and Electronic Communications Regulations 2003 with
    /// the UK GDPR.
    UkPecr,
}

/// What permits a commercial message under a regime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PermissionModel {
    /// No prior consent; the message may be sent until the person opts out.
    OptOut,
    /// Express consent, or implied consent until it lapses.
    ExpressOrImplied,
    /// Prior consent, or the soft opt-in of an existing customer.
    PriorConsentOrSoftOptIn,
}

/// Something a regime requires every commercial message to carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContentItem {
    /// Identification as an advertisement (unless sent with affirmative consent).
    AdvertisementLabel,
    /// A working opt-out (unsubscribe link and notice).
    OptOut,
    /// The sender's postal address.
    PostalAddress,
    /// The sender's name.
    SenderIdentification,
    /// Contact details: a mailing address and a telephone number, email or
    /// web address.
    ContactInformation,
}

/// A regime's rules, as data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegimeRules {
    /// The regime.
    pub regime: Regime,
    /// Its name.
    pub name: &'static str,
    /// What permits a commercial message.
    pub permission: PermissionModel,
    /// The rule that says so.
    pub permission_rule: RuleId,
    /// The rule on evidence of consent, where the regime puts the burden
    /// of proof on the sender.
    pub evidence_rule: Option<RuleId>,
    /// How fast an opt-out must take effect.
    pub opt_out: OptOutRule,
    /// The rule on the opt-out deadline.
    pub opt_out_rule: RuleId,
    /// How long an unsubscribe must keep working after each send, in days,
    /// where the regime says.
    pub unsubscribe_valid_days: Option<u32>,
    /// The rule on that period.
    pub unsubscribe_rule: Option<RuleId>,
    /// What every commercial message carries.
    pub content: &'static [ContentItem],
    /// The rule on content.
    pub content_rule: RuleId,
    /// Whether implied consent lapses under this regime.
    pub implied_consent_lapses: bool,
}

static CAN_SPAM: RegimeRules = RegimeRules {
    regime: Regime::CanSpam,
    name: "CAN-SPAM (15 U.S.C. 7704)",
    permission: PermissionModel::OptOut,
    permission_rule: ids::JUR_CANSPAM_OPT_OUT_MODEL,
    evidence_rule: None,
    opt_out: OptOutRule::CanSpam,
    opt_out_rule: ids::JUR_CANSPAM_OPT_OUT_DEADLINE,
    unsubscribe_valid_days: Some(30),
    unsubscribe_rule: Some(ids::JUR_CANSPAM_UNSUBSCRIBE_WINDOW),
    content: &[
        ContentItem::AdvertisementLabel,
        ContentItem::OptOut,
        ContentItem::PostalAddress,
    ],
    content_rule: ids::JUR_CANSPAM_CONTENT,
    implied_consent_lapses: false,
};

static CASL: RegimeRules = RegimeRules {
    regime: Regime::Casl,
    name: "CASL (S.C. 2010, c. 23)",
    permission: PermissionModel::ExpressOrImplied,
    permission_rule: ids::JUR_CASL_CONSENT_REQUIRED,
    evidence_rule: Some(ids::JUR_CASL_CONSENT_EVIDENCE),
    opt_out: OptOutRule::Casl,
    opt_out_rule: ids::JUR_CASL_OPT_OUT_DEADLINE,
    unsubscribe_valid_days: Some(60),
    unsubscribe_rule: Some(ids::JUR_CASL_UNSUBSCRIBE_WINDOW),
    content: &[
        ContentItem::SenderIdentification,
        ContentItem::ContactInformation,
        ContentItem::OptOut,
    ],
    content_rule: ids::JUR_CASL_CONTENT,
    implied_consent_lapses: true,
};

static EU_GDPR: RegimeRules = RegimeRules {
    regime: Regime::EuGdpr,
    name: "GDPR and ePrivacy Directive (EU/EEA)",
    permission: PermissionModel::PriorConsentOrSoftOptIn,
    permission_rule: ids::JUR_EU_PRIOR_CONSENT,
    evidence_rule: Some(ids::JUR_EU_CONSENT_EVIDENCE),
    opt_out: OptOutRule::WithoutDelay,
    opt_out_rule: ids::JUR_EU_OBJECTION_STOPS,
    unsubscribe_valid_days: None,
    unsubscribe_rule: None,
    content: &[ContentItem::SenderIdentification, ContentItem::OptOut],
    content_rule: ids::JUR_EU_CONTENT,
    implied_consent_lapses: false,
};

static UK_PECR: RegimeRules = RegimeRules {
    regime: Regime::UkPecr,
    name: "PECR (SI 2003/2426) and UK GDPR",
    permission: PermissionModel::PriorConsentOrSoftOptIn,
    permission_rule: ids::JUR_UK_PRIOR_CONSENT,
    evidence_rule: Some(ids::JUR_UK_CONSENT_EVIDENCE),
    opt_out: OptOutRule::WithoutDelay,
    opt_out_rule: ids::JUR_UK_OBJECTION_STOPS,
    unsubscribe_valid_days: None,
    unsubscribe_rule: None,
    content: &[ContentItem::SenderIdentification, ContentItem::OptOut],
    content_rule: ids::JUR_UK_CONTENT,
    implied_consent_lapses: false,
};

impl Regime {
    /// Every modelled regime.
    pub const ALL: [Regime; 4] = [
        Regime::CanSpam,
        Regime::Casl,
        Regime::EuGdpr,
        Regime::UkPecr,
    ];

    /// The regime of a country, if one is modelled.
    pub fn of(country: Country) -> Option<Regime> {
        let code = &country.0;
        if US.contains(&code) {
            Some(Regime::CanSpam)
        } else if code == b"CA" {
            Some(Regime::Casl)
        } else if EU_EEA.contains(&code) {
            Some(Regime::EuGdpr)
        } else if code == b"GB" {
            Some(Regime::UkPecr)
        } else {
            None
        }
    }

    /// The regime's rules.
    pub fn rules(self) -> &'static RegimeRules {
        match self {
            Regime::CanSpam => &CAN_SPAM,
            Regime::Casl => &CASL,
            Regime::EuGdpr => &EU_GDPR,
            Regime::UkPecr => &UK_PECR,
        }
    }
}

impl fmt::Display for Regime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rules().name)
    }
}

/// What the organisation promises, beside what the law requires.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgStance {
    /// Permission-based everywhere: promotional mail needs a permission
    /// the ledger policy accepts, whatever the recipient's regime allows
    /// (the privacy statement's promise; the default).
    #[default]
    PermissionBased,
    /// Where the recipient's regime needs no prior consent (CAN-SPAM), send
    /// without it while no opt-out is in force, labelled as an
    /// advertisement. Everywhere else, as [`OrgStance::PermissionBased`].
    OptOutWhereLawful,
}

/// The shortest unsubscribe validity `regimes` require, in days, with the
/// rule that requires it: an unsubscribe token must stay valid at least
/// that long ([`KeyRing::validity`](crate::unsubscribe::KeyRing::validity)).
pub fn required_unsubscribe_days<I>(regimes: I) -> Option<(u32, RuleId)>
where
    I: IntoIterator<Item = Regime>,
{
    regimes
        .into_iter()
        .filter_map(|r| {
            let rules = r.rules();
            Some((
                rules.unsubscribe_valid_days?,
                rules.unsubscribe_rule.clone()?,
            ))
        })
        .max_by_key(|(days, _)| *days)
}

/// Whether unsubscribe tokens valid for `validity` after each send work
/// as long as every regime in `regimes` requires (30 days under CAN-SPAM,
/// 60 under CASL); the reason when they do not.
///
/// ```
/// use chrono::TimeDelta;
/// use consentry::jurisdiction::{check_unsubscribe_validity, Regime};
///
/// assert!(check_unsubscribe_validity([Regime::CanSpam], TimeDelta::days(30)).is_none());
/// let short = check_unsubscribe_validity([Regime::CanSpam, Regime::Casl], TimeDelta::days(45)).unwrap();
/// assert_eq!(short.rule.as_str(), "lint.unsubscribe_window");
/// ```
pub fn check_unsubscribe_validity<I>(regimes: I, validity: chrono::TimeDelta) -> Option<Reason>
where
    I: IntoIterator<Item = Regime>,
{
    let (days, rule) = required_unsubscribe_days(regimes)?;
    if validity >= chrono::TimeDelta::days(i64::from(days)) {
        return None;
    }
    Some(Reason::new(
        ids::LINT_UNSUBSCRIBE_WINDOW,
        format!(
            "unsubscribe tokens stay valid {} days after a send; `{rule}` requires {days}",
            validity.num_days()
        ),
    ))
}

/// The opt-out deadline rules of `regime` on its country's business
/// calendar for `years` (US federal holidays for CAN-SPAM, Canadian federal
/// holidays for CASL, both at UTC-5; none needed for GDPR and PECR, whose
/// objections take effect at once). Put the mailbox providers' 48 hours
/// beside it with [`OptOutDeadlines::new`] if you send in bulk: the
/// stricter wins.
///
/// # Errors
///
/// [`CalendarError`] (never for these built-in calendars).
pub fn opt_out_deadlines(
    regime: Regime,
    years: std::ops::RangeInclusive<i32>,
) -> Result<OptOutDeadlines, CalendarError> {
    const EASTERN: i32 = -5 * 3600;
    let calendar = match regime {
        Regime::CanSpam => BusinessCalendar::us_federal(years, EASTERN)?,
        Regime::Casl => BusinessCalendar::canada_federal(years, EASTERN)?,
        Regime::EuGdpr | Regime::UkPecr => {
            BusinessCalendar::new(vec![Weekday::Sat, Weekday::Sun], Default::default(), 0)?
        }
    };
    Ok(OptOutDeadlines::new([regime.rules().opt_out], calendar))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_map_to_their_regimes() {
        let regime = |c: &str| Jurisdiction::new(c).ok().and_then(|j| j.regime());
        assert_eq!(regime("us"), Some(Regime::CanSpam));
        assert_eq!(regime("PR"), Some(Regime::CanSpam));
        assert_eq!(regime("CA"), Some(Regime::Casl));
        assert_eq!(regime("DE"), Some(Regime::EuGdpr));
        assert_eq!(regime("NO"), Some(Regime::EuGdpr));
        assert_eq!(regime("GB"), Some(Regime::UkPecr));
        assert_eq!(regime("uk"), Some(Regime::UkPecr));
        assert_eq!(regime("JP"), None);
        assert!(Jurisdiction::new("USA").is_err());
        assert!(Jurisdiction::new("1A").is_err());
        assert!(Jurisdiction::new("").is_err());
    }

    #[test]
    fn every_rule_id_of_every_regime_is_catalogued() {
        for regime in Regime::ALL {
            let r = regime.rules();
            let mut ids = vec![
                r.permission_rule.clone(),
                r.opt_out_rule.clone(),
                r.content_rule.clone(),
            ];
            ids.extend(r.evidence_rule.clone());
            ids.extend(r.unsubscribe_rule.clone());
            for id in ids {
                assert!(
                    crate::CATALOGUE.iter().any(|c| c.id == id.as_str()),
                    "{id} is not in the catalogue"
                );
            }
        }
    }

    #[test]
    fn the_longest_unsubscribe_window_wins() {
        assert_eq!(
            required_unsubscribe_days([Regime::CanSpam, Regime::Casl, Regime::EuGdpr]),
            Some((60, ids::JUR_CASL_UNSUBSCRIBE_WINDOW))
        );
        assert_eq!(required_unsubscribe_days([Regime::EuGdpr]), None);
    }
}
