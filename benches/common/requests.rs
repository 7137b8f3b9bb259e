//! The disclosure requests both disclosure benches use (consentry's own and
//! the Cedar peer): a deterministic spread over every recipient kind,
//! purpose and data mix, a third under legal process, a quarter with a
//! transfer abroad.

use consentry::disclosure::{
    DataCategory as D, DataSet, DisclosureRequest, LegalProcess, Purpose, Recipient, SubjectRegion,
    Transfer, TransferMechanism,
};

/// `n` requests from a xorshift generator seeded with `seed`.
pub fn requests(n: usize, seed: u64) -> Vec<DisclosureRequest> {
    let mut x: u64 = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pick = |v: u64, len: usize| (v % len as u64) as usize;
    (0..n)
        .map(|_| {
            let recipient = match next() % 12 {
                0 => Recipient::Employee,
                1 | 2 => Recipient::ServiceProvider {
                    forbids_own_use: next() % 4 != 0,
                    requires_confidentiality: next() % 4 != 0,
                },
                3 => Recipient::PaymentProcessor,
                4 => Recipient::ReferralPartner {
                    introduced_customer: next() % 2 == 0,
                },
                5 => Recipient::Court,
                6 => Recipient::Regulator,
                7 => Recipient::LawEnforcement,
                8 | 9 => Recipient::AdPartner,
                10 => Recipient::OtherThirdParty,
                _ => Recipient::PublicForum,
            };
            let purpose = Purpose::ALL[pick(next(), Purpose::ALL.len())];
            let data: DataSet = (0..next() % 4)
                .map(|_| D::ALL[pick(next(), D::ALL.len())])
                .collect();
            let mut r = DisclosureRequest::new(recipient, purpose, data);
            if next() % 3 == 0 {
                r = r.with_legal_process(LegalProcess::Subpoena);
            }
            if next() % 4 == 0 {
                let countries = ["US", "FR", "IN", "CH"];
                let regions = [
                    SubjectRegion::EuEea,
                    SubjectRegion::Switzerland,
                    SubjectRegion::Other,
                ];
                r = r.with_transfer(Transfer {
                    recipient_country: countries[pick(next(), countries.len())].into(),
                    subject_region: regions[pick(next(), regions.len())],
                    mechanism: (next() % 2 == 0)
                        .then_some(TransferMechanism::StandardContractualClauses),
                });
            }
            r
        })
        .collect()
}
