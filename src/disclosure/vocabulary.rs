//! The vocabulary of a disclosure request: who receives the data, for what
//! purpose, which data, under what legal process and contract, and whether
//! it leaves the EU, EEA or Switzerland.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Who would receive the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// An employee or agent of the company, for business purposes only.
    Employee,
    /// A service provider, with the terms of its contract.
    ServiceProvider {
        /// The contract forbids the provider to use the data for itself.
        forbids_own_use: bool,
        /// The contract requires confidentiality.
        requires_confidentiality: bool,
    },
    /// The payment processor.
    PaymentProcessor,
    /// A referral partner.
    ReferralPartner {
        /// Whether this partner introduced the customer concerned.
        introduced_customer: bool,
    },
    /// A court.
    Court,
    /// A regulator.
    Regulator,
    /// Law enforcement.
    LawEnforcement,
    /// An advertising partner.
    AdPartner,
    /// Any other third party.
    OtherThirdParty,
    /// A public forum (publication).
    PublicForum,
}

/// The kinds of recipient, as policies name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientKind {
    /// [`Recipient::Employee`].
    Employee,
    /// [`Recipient::ServiceProvider`].
    ServiceProvider,
    /// [`Recipient::PaymentProcessor`].
    PaymentProcessor,
    /// [`Recipient::ReferralPartner`].
    ReferralPartner,
    /// [`Recipient::Court`].
    Court,
    /// [`Recipient::Regulator`].
    Regulator,
    /// [`Recipient::LawEnforcement`].
    LawEnforcement,
    /// [`Recipient::AdPartner`].
    AdPartner,
    /// [`Recipient::OtherThirdParty`].
    OtherThirdParty,
    /// [`Recipient::PublicForum`].
    PublicForum,
}

impl RecipientKind {
    /// Every kind.
    pub const ALL: [RecipientKind; 10] = [
        RecipientKind::Employee,
        RecipientKind::ServiceProvider,
        RecipientKind::PaymentProcessor,
        RecipientKind::ReferralPartner,
        RecipientKind::Court,
        RecipientKind::Regulator,
        RecipientKind::LawEnforcement,
        RecipientKind::AdPartner,
        RecipientKind::OtherThirdParty,
        RecipientKind::PublicForum,
    ];
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl Recipient {
    /// The recipient's kind.
    pub fn kind(&self) -> RecipientKind {
        match self {
            Recipient::Employee => RecipientKind::Employee,
            Recipient::ServiceProvider { .. } => RecipientKind::ServiceProvider,
            Recipient::PaymentProcessor => RecipientKind::PaymentProcessor,
            Recipient::ReferralPartner { .. } => RecipientKind::ReferralPartner,
            Recipient::Court => RecipientKind::Court,
            Recipient::Regulator => RecipientKind::Regulator,
            Recipient::LawEnforcement => RecipientKind::LawEnforcement,
            Recipient::AdPartner => RecipientKind::AdPartner,
            Recipient::OtherThirdParty => RecipientKind::OtherThirdParty,
            Recipient::PublicForum => RecipientKind::PublicForum,
        }
    }
}

/// Why the data would be handed over.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// Providing the service the customer signed up for.
    ProvideService,
    /// Customer support.
    CustomerSupport,
    /// Taking a payment.
    Payment,
    /// Attributing a referral to the partner who made it.
    ReferralAttribution,
    /// Measuring advertising.
    AdMeasurement,
    /// The recipient's own marketing.
    RecipientOwnMarketing,
    /// Selling or renting the data.
    SaleOrRental,
    /// Complying with the law (legal process).
    LegalCompliance,
}

impl Purpose {
    /// Every purpose.
    pub const ALL: [Purpose; 8] = [
        Purpose::ProvideService,
        Purpose::CustomerSupport,
        Purpose::Payment,
        Purpose::ReferralAttribution,
        Purpose::AdMeasurement,
        Purpose::RecipientOwnMarketing,
        Purpose::SaleOrRental,
        Purpose::LegalCompliance,
    ];
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A category of data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataCategory {
    /// A person's name.
    Name,
    /// An email address.
    Email,
    /// A postal address.
    PostalAddress,
    /// A phone number.
    Phone,
    /// Payment card data.
    PaymentCard,
    /// Account credentials (passwords, API keys).
    AccountCredentials,
    /// Usage logs: IP address, browser, pages visited.
    UsageLogs,
    /// A cookie identifier.
    CookieId,
    /// Anonymous, aggregate, non-personal data.
    AnonymousAggregate,
    /// Contact lists a customer uploaded (other people's data).
    UploadedContacts,
}

impl DataCategory {
    /// Every category.
    pub const ALL: [DataCategory; 10] = [
        DataCategory::Name,
        DataCategory::Email,
        DataCategory::PostalAddress,
        DataCategory::Phone,
        DataCategory::PaymentCard,
        DataCategory::AccountCredentials,
        DataCategory::UsageLogs,
        DataCategory::CookieId,
        DataCategory::AnonymousAggregate,
        DataCategory::UploadedContacts,
    ];
    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
    /// Whether the category is personal data (everything but anonymous
    /// aggregates).
    pub fn is_personal(self) -> bool {
        self != DataCategory::AnonymousAggregate
    }
}

/// A set of data categories (a bit set; serde as a list of names).
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DataSet(pub(crate) u16);

impl DataSet {
    /// The empty set.
    pub const EMPTY: DataSet = DataSet(0);

    /// Whether the set holds a category.
    pub fn contains(self, c: DataCategory) -> bool {
        self.0 & c.bit() != 0
    }
    /// The set with a category added.
    pub fn with(self, c: DataCategory) -> Self {
        DataSet(self.0 | c.bit())
    }
    /// Whether the set holds any personal category.
    pub fn has_personal(self) -> bool {
        self.0 & PERSONAL != 0
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The categories, in order.
    pub fn iter(self) -> impl Iterator<Item = DataCategory> {
        DataCategory::ALL
            .into_iter()
            .filter(move |c| self.contains(*c))
    }
}

pub(crate) const PERSONAL: u16 = !(1 << (DataCategory::AnonymousAggregate as u16)) & ALL_DATA;
pub(crate) const ALL_DATA: u16 = (1 << 10) - 1;
pub(crate) const ALL_RECIPIENTS: u16 = (1 << 10) - 1;
pub(crate) const ALL_PURPOSES: u16 = (1 << 8) - 1;

impl<const N: usize> From<[DataCategory; N]> for DataSet {
    fn from(cats: [DataCategory; N]) -> Self {
        cats.into_iter().collect()
    }
}

impl FromIterator<DataCategory> for DataSet {
    fn from_iter<I: IntoIterator<Item = DataCategory>>(iter: I) -> Self {
        DataSet(iter.into_iter().fold(0, |a, c| a | c.bit()))
    }
}

impl fmt::Debug for DataSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl Serialize for DataSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for DataSet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let cats: Vec<DataCategory> = Vec::deserialize(d)?;
        Ok(cats.into_iter().collect())
    }
}

/// The kind of legal process behind a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LegalProcess {
    /// A court order.
    CourtOrder,
    /// A subpoena.
    Subpoena,
    /// A search warrant.
    SearchWarrant,
    /// A law-enforcement request.
    LawEnforcementRequest,
    /// A regulator's request.
    RegulatorRequest,
}

/// Where the data subject lives, for transfer rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectRegion {
    /// The European Union or the European Economic Area.
    EuEea,
    /// Switzerland.
    Switzerland,
    /// Anywhere else.
    Other,
}

/// A recorded legal mechanism for a transfer out of the EU, EEA or
/// Switzerland.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferMechanism {
    /// An adequacy decision for the recipient's country (GDPR Art. 45).
    Adequacy,
    /// The recipient is certified under the EU-U.S. Data Privacy Framework
    /// (and its Swiss extension), the successor of the Safe Harbor
    /// framework.
    DataPrivacyFramework,
    /// Standard contractual clauses (GDPR Art. 46(2)(c)).
    StandardContractualClauses,
}

impl TransferMechanism {
    /// What a decision says of a permitted transfer under this mechanism.
    pub fn sentence(self) -> &'static str {
        match self {
            TransferMechanism::Adequacy => {
                "the data leaves the EU, EEA or Switzerland under an adequacy decision (GDPR Art. 45)"
            }
            TransferMechanism::DataPrivacyFramework => {
                "the data leaves the EU, EEA or Switzerland under the EU-U.S. Data Privacy Framework"
            }
            TransferMechanism::StandardContractualClauses => {
                "the data leaves the EU, EEA or Switzerland under standard contractual clauses (GDPR Art. 46(2)(c))"
            }
        }
    }
}

/// A cross-border transfer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Transfer {
    /// The recipient's country, ISO 3166-1 alpha-2 (`US`, `DE`).
    pub recipient_country: String,
    /// Where the data subject lives.
    pub subject_region: SubjectRegion,
    /// The recorded mechanism, if any.
    #[serde(default)]
    pub mechanism: Option<TransferMechanism>,
}

/// The EU and EEA member states and Switzerland (ISO 3166-1 alpha-2; Greece
/// also as `EL`), as written; a unit test checks [`EEA_AND_CH_CODES`]
/// against it.
#[cfg(test)]
const EEA_AND_CH: &[&str] = &[
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "EL", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH",
];

/// The same countries as upper-case byte pairs, in order, from which the
/// bit table the decision reads is built.
const EEA_AND_CH_CODES: [[u8; 2]; 32] = [
    *b"AT", *b"BE", *b"BG", *b"CH", *b"CY", *b"CZ", *b"DE", *b"DK", *b"EE", *b"EL", *b"ES", *b"FI",
    *b"FR", *b"GR", *b"HR", *b"HU", *b"IE", *b"IS", *b"IT", *b"LI", *b"LT", *b"LU", *b"LV", *b"MT",
    *b"NL", *b"NO", *b"PL", *b"PT", *b"RO", *b"SE", *b"SI", *b"SK",
];

/// [`EEA_AND_CH_CODES`] as one bit per two-letter code (26 × 26 bits).
// Evaluated when the crate is compiled: an index out of range fails the
// build, it cannot panic at run time.
#[allow(clippy::indexing_slicing)]
const EEA_AND_CH_BITS: [u64; 11] = {
    let mut bits = [0u64; 11];
    let mut i = 0;
    while i < EEA_AND_CH_CODES.len() {
        let [a, b] = EEA_AND_CH_CODES[i];
        let at = (a - b'A') as usize * 26 + (b - b'A') as usize;
        bits[at / 64] |= 1 << (at % 64);
        i += 1;
    }
    bits
};

/// Whether a country code (any case, surrounding whitespace ignored) is in
/// the EU, the EEA or Switzerland: one two-letter key, one bit.
#[inline]
fn in_eea_or_switzerland(country: &str) -> bool {
    let code = match country.as_bytes() {
        [a, b] => [*a, *b],
        _ => match country.trim().as_bytes() {
            [a, b] => [*a, *b],
            _ => return false,
        },
    };
    // A byte outside `A`..=`Z` (either case) maps to 26 and is refused.
    let letter = |c: u8| usize::from(c.to_ascii_uppercase().wrapping_sub(b'A')).min(26);
    let (a, b) = (letter(code[0]), letter(code[1]));
    if a == 26 || b == 26 {
        return false;
    }
    let at = a * 26 + b;
    EEA_AND_CH_BITS
        .get(at / 64)
        .is_some_and(|word| word >> (at % 64) & 1 == 1)
}

impl Transfer {
    /// Whether the transfer takes the personal data of someone in the EU,
    /// EEA or Switzerland to a recipient outside them.
    #[inline]
    pub fn leaves_protected_region(&self) -> bool {
        let protected = matches!(
            self.subject_region,
            SubjectRegion::EuEea | SubjectRegion::Switzerland
        );
        protected && !in_eea_or_switzerland(&self.recipient_country)
    }
}

/// A request to disclose data.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DisclosureRequest {
    /// Who would receive it.
    pub recipient: Recipient,
    /// Why.
    pub purpose: Purpose,
    /// Which categories of data.
    pub data: DataSet,
    /// The legal process behind it, if any.
    #[serde(default)]
    pub legal_process: Option<LegalProcess>,
    /// The transfer abroad, if any.
    #[serde(default)]
    pub transfer: Option<Transfer>,
}

impl DisclosureRequest {
    /// A request with no legal process and no transfer.
    pub fn new(recipient: Recipient, purpose: Purpose, data: DataSet) -> Self {
        DisclosureRequest {
            recipient,
            purpose,
            data,
            legal_process: None,
            transfer: None,
        }
    }

    /// The same request under legal process.
    pub fn with_legal_process(mut self, process: LegalProcess) -> Self {
        self.legal_process = Some(process);
        self
    }

    /// The same request with a transfer abroad.
    pub fn with_transfer(mut self, transfer: Transfer) -> Self {
        self.transfer = Some(transfer);
        self
    }

    #[inline]
    pub(crate) fn facts(&self) -> u8 {
        let mut f = 0u8;
        if self.legal_process.is_some() {
            f |= Fact::LegalProcess.bit();
        }
        match self.recipient {
            Recipient::ServiceProvider {
                forbids_own_use,
                requires_confidentiality,
            } => {
                if forbids_own_use {
                    f |= Fact::ForbidsOwnUse.bit();
                }
                if requires_confidentiality {
                    f |= Fact::RequiresConfidentiality.bit();
                }
            }
            Recipient::ReferralPartner {
                introduced_customer: true,
            } => f |= Fact::IntroducedCustomer.bit(),
            _ => {}
        }
        if let Some(t) = &self.transfer {
            if t.leaves_protected_region() {
                f |= Fact::LeavesProtectedRegion.bit();
            }
            if t.mechanism.is_some() {
                f |= Fact::HasTransferMechanism.bit();
            }
        }
        f
    }
}

#[derive(Clone, Copy)]
pub(crate) enum Fact {
    LegalProcess,
    ForbidsOwnUse,
    RequiresConfidentiality,
    IntroducedCustomer,
    LeavesProtectedRegion,
    HasTransferMechanism,
}

impl Fact {
    pub(crate) fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_sorted_country_codes_are_the_listed_ones() {
        let mut listed: Vec<[u8; 2]> = super::EEA_AND_CH
            .iter()
            .map(|c| [c.as_bytes()[0], c.as_bytes()[1]])
            .collect();
        listed.sort_unstable();
        assert_eq!(listed, super::EEA_AND_CH_CODES.to_vec());
        for c in super::EEA_AND_CH {
            assert!(super::in_eea_or_switzerland(&c.to_lowercase()));
            assert!(super::in_eea_or_switzerland(&format!(" {c} ")));
        }
        for c in ["US", "GB", "", "D", "DEU", "xx"] {
            assert!(!super::in_eea_or_switzerland(c));
        }
    }

    /// The bit table answers as the list does for every two-character
    /// code (any case, padded or not) and refuses everything else.
    #[test]
    fn the_bit_table_is_the_list() {
        let listed = |code: &str| {
            super::EEA_AND_CH
                .iter()
                .any(|c| c.eq_ignore_ascii_case(code.trim()))
        };
        let mut chars: Vec<char> = (0u8..128).map(char::from).collect();
        chars.extend(['é', 'ß', '\u{212a}', '\u{a0}']);
        for &a in &chars {
            for &b in &chars {
                for code in [format!("{a}{b}"), format!(" {a}{b}\t"), format!("{a}{b}x")] {
                    let expect = code.trim().chars().count() == 2 && listed(&code);
                    assert_eq!(super::in_eea_or_switzerland(&code), expect, "{code:?}");
                }
            }
        }
    }
}
