//! consentry's disclosure engine beside Cedar on the same policy.
//!
//! The default disclosure policy is written in Cedar; both engines decide
//! the same random requests; the program checks they agree on every one
//! and reports the speed ratio (median of interleaved rounds).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::disallowed_methods)]

use std::hint::black_box;
use std::str::FromStr;
use std::time::Instant;

#[path = "../../common/requests.rs"]
mod requests;

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicySet, Request, RestrictedExpression,
};
use consentry::disclosure::{DisclosurePolicy, DisclosureRequest, Recipient};

const PERSONAL: &str = r#"["name","email","postal_address","phone","payment_card","account_credentials","usage_logs","cookie_id","uploaded_contacts"]"#;

fn cedar_policies() -> PolicySet {
    let text = format!(
        r#"
@id("disclosure.never_sell")
forbid(principal, action, resource) when {{ ["sale_or_rental","recipient_own_marketing"].contains(context.purpose) && context.data.containsAny({PERSONAL}) }};
@id("disclosure.payment_card.processor_only")
forbid(principal, action, resource) when {{ context.data.contains("payment_card") && context.recipient != "payment_processor" }};
@id("disclosure.credentials.nobody")
forbid(principal, action, resource) when {{ context.data.contains("account_credentials") }};
@id("disclosure.ad_partner.anonymous_only")
forbid(principal, action, resource) when {{ context.recipient == "ad_partner" && context.data.containsAny({PERSONAL}) }};
@id("disclosure.referral_partner.limited")
forbid(principal, action, resource) when {{ context.recipient == "referral_partner" && context.data.containsAny(["payment_card","account_credentials","usage_logs","uploaded_contacts"]) }};
@id("disclosure.transfer.mechanism_required")
forbid(principal, action, resource) when {{ context.leaves_region && !context.has_mechanism && context.data.containsAny({PERSONAL}) }};
@id("disclosure.service_provider")
permit(principal, action, resource) when {{ context.recipient == "service_provider" && context.forbids_own_use && context.requires_confidentiality && ["provide_service","customer_support","payment"].contains(context.purpose) }};
@id("disclosure.payment_processor")
permit(principal, action, resource) when {{ context.recipient == "payment_processor" && context.purpose == "payment" && ["name","email","postal_address","phone","payment_card"].containsAll(context.data) }};
@id("disclosure.referral_partner")
permit(principal, action, resource) when {{ context.recipient == "referral_partner" && context.introduced_customer && context.purpose == "referral_attribution" && ["name","email","anonymous_aggregate"].containsAll(context.data) }};
@id("disclosure.legal_process")
permit(principal, action, resource) when {{ ["court","regulator","law_enforcement"].contains(context.recipient) && context.purpose == "legal_compliance" && context.legal_process }};
@id("disclosure.ad_partner.aggregate")
permit(principal, action, resource) when {{ context.recipient == "ad_partner" && context.purpose == "ad_measurement" && ["anonymous_aggregate"].containsAll(context.data) }};
@id("disclosure.employee")
permit(principal, action, resource) when {{ context.recipient == "employee" && ["provide_service","customer_support","payment","legal_compliance"].contains(context.purpose) }};
"#
    );
    text.parse().expect("the Cedar policy parses")
}

fn name<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

fn cedar_request(r: &DisclosureRequest) -> Request {
    let (kind, own, conf, introduced) = match r.recipient {
        Recipient::ServiceProvider {
            forbids_own_use,
            requires_confidentiality,
        } => (
            "service_provider",
            forbids_own_use,
            requires_confidentiality,
            false,
        ),
        Recipient::ReferralPartner {
            introduced_customer,
        } => ("referral_partner", false, false, introduced_customer),
        Recipient::Employee => ("employee", false, false, false),
        Recipient::PaymentProcessor => ("payment_processor", false, false, false),
        Recipient::Court => ("court", false, false, false),
        Recipient::Regulator => ("regulator", false, false, false),
        Recipient::LawEnforcement => ("law_enforcement", false, false, false),
        Recipient::AdPartner => ("ad_partner", false, false, false),
        Recipient::OtherThirdParty => ("other_third_party", false, false, false),
        Recipient::PublicForum => ("public_forum", false, false, false),
    };
    let (leaves, mechanism) = r.transfer.as_ref().map_or((false, false), |t| {
        (t.leaves_protected_region(), t.mechanism.is_some())
    });
    let context = Context::from_pairs([
        (
            "recipient".to_owned(),
            RestrictedExpression::new_string(kind.to_owned()),
        ),
        (
            "purpose".to_owned(),
            RestrictedExpression::new_string(name(&r.purpose)),
        ),
        (
            "data".to_owned(),
            RestrictedExpression::new_set(
                r.data
                    .iter()
                    .map(|c| RestrictedExpression::new_string(name(&c))),
            ),
        ),
        (
            "forbids_own_use".to_owned(),
            RestrictedExpression::new_bool(own),
        ),
        (
            "requires_confidentiality".to_owned(),
            RestrictedExpression::new_bool(conf),
        ),
        (
            "introduced_customer".to_owned(),
            RestrictedExpression::new_bool(introduced),
        ),
        (
            "legal_process".to_owned(),
            RestrictedExpression::new_bool(r.legal_process.is_some()),
        ),
        (
            "leaves_region".to_owned(),
            RestrictedExpression::new_bool(leaves),
        ),
        (
            "has_mechanism".to_owned(),
            RestrictedExpression::new_bool(mechanism),
        ),
    ])
    .unwrap();
    Request::new(
        EntityUid::from_str(r#"Recipient::"r""#).unwrap(),
        EntityUid::from_str(r#"Action::"disclose""#).unwrap(),
        EntityUid::from_str(r#"Data::"d""#).unwrap(),
        context,
        None,
    )
    .unwrap()
}

fn main() {
    let ours = DisclosurePolicy::default();
    let cedar = cedar_policies();
    let authorizer = Authorizer::new();
    let entities = Entities::empty();

    // Agreement on many random requests.
    let check = requests::requests(100_000, 0x5eed);
    let mut permits = 0;
    for r in &check {
        let a = ours.decide(r).is_permitted();
        let b = authorizer
            .is_authorized(&cedar_request(r), &cedar, &entities)
            .decision()
            == Decision::Allow;
        assert_eq!(a, b, "engines disagree on {r:?}");
        permits += usize::from(a);
    }
    println!(
        "agreement: {} random requests, {} permitted, both engines agree on every one",
        check.len(),
        permits
    );

    // Speed: the same 1,024 requests. Cedar twice: with its requests built
    // outside the timed loop (authorisation alone), and building each
    // request inside it (what a caller starting from the same request
    // pays); consentry's need no building. The three run in a rotated
    // order each round; ratios are per round, min / median / max.
    let reqs = requests::requests(1024, 0xbe7c);
    let cedar_reqs: Vec<Request> = reqs.iter().map(cedar_request).collect();
    let (mut ratio_auth, mut ratio_built) = (Vec::new(), Vec::new());
    let (mut ns_ours, mut ns_auth, mut ns_built) = (Vec::new(), Vec::new(), Vec::new());
    let ours_once = || {
        let t = Instant::now();
        for _ in 0..20 {
            black_box(
                reqs.iter()
                    .filter(|r| ours.decide(black_box(r)).is_permitted())
                    .count(),
            );
        }
        t.elapsed().as_secs_f64()
    };
    let auth_once = || {
        let t = Instant::now();
        for _ in 0..20 {
            black_box(
                cedar_reqs
                    .iter()
                    .filter(|r| {
                        authorizer
                            .is_authorized(black_box(r), &cedar, &entities)
                            .decision()
                            == Decision::Allow
                    })
                    .count(),
            );
        }
        t.elapsed().as_secs_f64()
    };
    let built_once = || {
        let t = Instant::now();
        for _ in 0..20 {
            black_box(
                reqs.iter()
                    .filter(|r| {
                        authorizer
                            .is_authorized(&cedar_request(black_box(*r)), &cedar, &entities)
                            .decision()
                            == Decision::Allow
                    })
                    .count(),
            );
        }
        t.elapsed().as_secs_f64()
    };
    for round in 0..21 {
        let mut t = [0.0f64; 3];
        for k in 0..3 {
            let which = (round + k) % 3;
            t[which] = match which {
                0 => ours_once(),
                1 => auth_once(),
                _ => built_once(),
            };
        }
        ratio_auth.push(t[1] / t[0]);
        ratio_built.push(t[2] / t[0]);
        let per = |s: f64| s / (20.0 * 1024.0) * 1e9;
        ns_ours.push(per(t[0]));
        ns_auth.push(per(t[1]));
        ns_built.push(per(t[2]));
    }
    let med = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        (v[0], v[v.len() / 2], v[v.len() - 1])
    };
    let (_, o, _) = med(&mut ns_ours);
    let (_, a, _) = med(&mut ns_auth);
    let (_, b, _) = med(&mut ns_built);
    let (al, am, ah) = med(&mut ratio_auth);
    let (bl, bm, bh) = med(&mut ratio_built);
    println!(
        "speed (21 rounds, order rotating): consentry {o:.1} ns a decision; Cedar {a:.0} ns (request prebuilt), {b:.0} ns (request built)"
    );
    println!("Cedar / consentry, request prebuilt: {al:.0} / {am:.0} / {ah:.0}x (min / median / max)");
    println!("Cedar / consentry, request built:    {bl:.0} / {bm:.0} / {bh:.0}x");
}
