//! The privacy statement's disclosure rules, as data.

use std::collections::BTreeSet;

use super::rules::{Condition, DisclosureRule, Effect};
use super::vocabulary::{DataCategory, Purpose, RecipientKind};
use super::DisclosurePolicy;
use crate::catalogue::ids;
use crate::decision::{RuleId, Text};

fn rule(
    id: RuleId,
    effect: Effect,
    description: &'static str,
    audit: bool,
    when: Condition,
) -> DisclosureRule {
    DisclosureRule {
        id,
        effect,
        description: Text::from_static(description),
        audit,
        when,
    }
}

fn set<T: Ord, const N: usize>(items: [T; N]) -> Option<BTreeSet<T>> {
    Some(BTreeSet::from(items))
}

/// The rules of [`DisclosurePolicy::default`], as data.
pub fn default_rules() -> Vec<DisclosureRule> {
    use DataCategory as D;
    use Purpose as P;
    use RecipientKind as R;
    vec![
        rule(
            ids::DISCLOSURE_NEVER_SELL,
            Effect::Forbid,
            "personal data is never sold, rented or shared for a third party's own promotional use",
            false,
            Condition {
                purposes: set([P::SaleOrRental, P::RecipientOwnMarketing]),
                data_any_personal: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_CARD_PROCESSOR_ONLY,
            Effect::Forbid,
            "payment card data goes to the payment processor alone",
            false,
            Condition {
                recipients_except: set([R::PaymentProcessor]),
                data_any: set([D::PaymentCard]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_CREDENTIALS,
            Effect::Forbid,
            "account credentials go to nobody",
            false,
            Condition {
                data_any: set([D::AccountCredentials]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_AD_ANONYMOUS_ONLY,
            Effect::Forbid,
            "ad partners get anonymous, non-personal data only",
            false,
            Condition {
                recipients: set([R::AdPartner]),
                data_any_personal: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_REFERRAL_LIMITED,
            Effect::Forbid,
            "a referral partner never gets payment data, credentials, usage logs or uploaded contacts",
            false,
            Condition {
                recipients: set([R::ReferralPartner]),
                data_any: set([D::PaymentCard, D::AccountCredentials, D::UsageLogs, D::UploadedContacts]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_TRANSFER_MECHANISM,
            Effect::Forbid,
            "personal data of people in the EU, EEA or Switzerland leaves them only under a recorded transfer mechanism",
            false,
            Condition {
                leaves_protected_region: Some(true),
                transfer_mechanism: Some(false),
                data_any_personal: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_SERVICE_PROVIDER,
            Effect::Permit,
            "a contracted service provider whose contract forbids own use and requires confidentiality gets what the service needs",
            false,
            Condition {
                recipients: set([R::ServiceProvider]),
                purposes: set([P::ProvideService, P::CustomerSupport, P::Payment]),
                contract_forbids_own_use: Some(true),
                contract_requires_confidentiality: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_PAYMENT_PROCESSOR,
            Effect::Permit,
            "the payment processor gets what a payment needs",
            false,
            Condition {
                recipients: set([R::PaymentProcessor]),
                purposes: set([P::Payment]),
                data_within: set([D::Name, D::Email, D::PostalAddress, D::Phone, D::PaymentCard]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_REFERRAL_PARTNER,
            Effect::Permit,
            "the partner who introduced a customer gets limited account facts for attribution",
            false,
            Condition {
                recipients: set([R::ReferralPartner]),
                purposes: set([P::ReferralAttribution]),
                introduced_customer: Some(true),
                data_within: set([D::Name, D::Email, D::AnonymousAggregate]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_LEGAL_PROCESS,
            Effect::Permit,
            "disclosure under legal process (court order, subpoena, search warrant, law-enforcement or regulator request) is permitted and logged for audit",
            true,
            Condition {
                recipients: set([R::Court, R::Regulator, R::LawEnforcement]),
                purposes: set([P::LegalCompliance]),
                legal_process: Some(true),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_AD_AGGREGATE,
            Effect::Permit,
            "ad partners may get anonymous aggregate data to measure advertising",
            false,
            Condition {
                recipients: set([R::AdPartner]),
                purposes: set([P::AdMeasurement]),
                data_within: set([D::AnonymousAggregate]),
                ..Condition::default()
            },
        ),
        rule(
            ids::DISCLOSURE_EMPLOYEE,
            Effect::Permit,
            "employees and agents see data for business purposes only",
            false,
            Condition {
                recipients: set([R::Employee]),
                purposes: set([P::ProvideService, P::CustomerSupport, P::Payment, P::LegalCompliance]),
                ..Condition::default()
            },
        ),
    ]
}

impl Default for DisclosurePolicy {
    /// The privacy statement's rules ([`default_rules`]).
    #[allow(clippy::expect_used)] // constant rules, tested to validate
    fn default() -> Self {
        DisclosurePolicy::new(default_rules()).expect("the default disclosure rules validate")
    }
}
