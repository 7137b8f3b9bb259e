//! May we hand this data to this recipient, for this purpose?
//!
//! Five requests against the privacy statement's default policy: a
//! subpoena, a marketer asking to buy the list, a mail vendor under
//! contract (once inside the EU, once shipping EU data to the US), the
//! partner who referred a customer, and an ad partner asking for email
//! addresses. Each decision is printed with the rules that made it.
//!
//! Run with `cargo run --example disclosure`.

use consentry::disclosure::{
    DataCategory as D, DataSet, DisclosurePolicy, DisclosureRequest, LegalProcess, Purpose,
    Recipient, SubjectRegion, Transfer, TransferMechanism,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let policy = DisclosurePolicy::default();
    let vendor = Recipient::ServiceProvider {
        forbids_own_use: true,
        requires_confidentiality: true,
    };
    let requests = [
        (
            "a subpoena for a customer's email and logs",
            DisclosureRequest::new(
                Recipient::Court,
                Purpose::LegalCompliance,
                DataSet::from([D::Email, D::UsageLogs]),
            )
            .with_legal_process(LegalProcess::Subpoena),
        ),
        (
            "a marketer asks to buy the mailing list",
            DisclosureRequest::new(
                Recipient::OtherThirdParty,
                Purpose::SaleOrRental,
                DataSet::from([D::Email, D::Name]),
            ),
        ),
        (
            "the mail delivery vendor, under contract",
            DisclosureRequest::new(
                vendor,
                Purpose::ProvideService,
                DataSet::from([D::Email, D::Name, D::UploadedContacts]),
            ),
        ),
        (
            "the same vendor, EU subscribers' data to its US data centre, no mechanism recorded",
            DisclosureRequest::new(vendor, Purpose::ProvideService, DataSet::from([D::Email]))
                .with_transfer(Transfer {
                    recipient_country: "US".into(),
                    subject_region: SubjectRegion::EuEea,
                    mechanism: None,
                }),
        ),
        (
            "the same, under Data Privacy Framework certification",
            DisclosureRequest::new(vendor, Purpose::ProvideService, DataSet::from([D::Email]))
                .with_transfer(Transfer {
                    recipient_country: "US".into(),
                    subject_region: SubjectRegion::EuEea,
                    mechanism: Some(TransferMechanism::DataPrivacyFramework),
                }),
        ),
        (
            "the partner who referred the customer, for attribution",
            DisclosureRequest::new(
                Recipient::ReferralPartner {
                    introduced_customer: true,
                },
                Purpose::ReferralAttribution,
                DataSet::from([D::Name, D::Email]),
            ),
        ),
        (
            "the same partner asks for the customer's usage logs",
            DisclosureRequest::new(
                Recipient::ReferralPartner {
                    introduced_customer: true,
                },
                Purpose::ReferralAttribution,
                DataSet::from([D::Email, D::UsageLogs]),
            ),
        ),
        (
            "an ad partner asks for email addresses",
            DisclosureRequest::new(
                Recipient::AdPartner,
                Purpose::AdMeasurement,
                DataSet::from([D::Email]),
            ),
        ),
        (
            "an ad partner gets anonymous aggregates",
            DisclosureRequest::new(
                Recipient::AdPartner,
                Purpose::AdMeasurement,
                DataSet::from([D::AnonymousAggregate]),
            ),
        ),
    ];
    for (title, request) in &requests {
        let d = policy.decide(request);
        println!("== {title}");
        println!(
            "   {}{}",
            d.outcome(),
            if d.requires_audit() {
                " (logged for audit)"
            } else {
                ""
            },
        );
        for reason in d.reasons() {
            println!("   {reason}");
        }
        println!();
    }
    println!("the default policy as TOML (load your own with DisclosurePolicy::from_toml):\n");
    println!(
        "{}",
        policy
            .to_toml()
            .lines()
            .take(14)
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}
