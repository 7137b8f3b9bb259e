//! What may a page store on this visitor's device?
//!
//! A site's cookie policy, a first visit (strictly necessary only), a
//! visitor who accepts analytics only, a visitor whose browser sends GPC,
//! and a policy revision that makes the site ask again.
//!
//! Run with `cargo run --example cookies`.

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use consentry::cookie::{
    needs_prompt, AdOptOut, Category, ConsentKeys, ConsentMethod, CookieConsent, CookieOutcome,
    CookiePolicy, PrivacySignals, CONSENT_COOKIE_NAME,
};
use consentry::unsubscribe::TokenKey;

const POLICY: &str = r#"{
  "revision": 7,
  "consent_validity_days": 183,
  "max_lifetime_days": 395,
  "cookies": [
    {"name": "sid", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"},
    {"name": "__Host-consentry_choice", "domain": "shop.example", "category": "strictly_necessary", "lifetime": {"days": 183}, "script_access": true},
    {"name": "lang", "domain": "shop.example", "category": "preferences", "lifetime": {"days": 365}},
    {"name": "_ga", "domain": "shop.example", "category": "analytics", "lifetime": {"days": 395}, "script_access": true},
    {"name": "ads_id", "domain": "shop.example", "category": "advertising", "lifetime": {"days": 90}, "same_site": "none"}
  ]
}"#;

fn show(
    title: &str,
    policy: &CookiePolicy,
    consent: Option<&CookieConsent>,
    signals: &PrivacySignals,
    now: DateTime<Utc>,
) {
    println!("== {title}");
    println!("   ask the visitor: {}", needs_prompt(consent, policy, now));
    for spec in &policy.cookies {
        let d = policy.decide(spec, consent, signals, now);
        match d.outcome() {
            CookieOutcome::Allow { attributes } => {
                let header = attributes
                    .as_ref()
                    .map(|a| a.render("VALUE"))
                    .unwrap_or_default();
                println!("   set    {:<17} {header}  [{}]", spec.name, d.rule());
            }
            CookieOutcome::Refuse => {
                println!(
                    "   refuse {:<17} [{}] {}",
                    spec.name,
                    d.rule(),
                    d.reasons()
                        .first()
                        .map(|r| &*r.sentence)
                        .unwrap_or_default()
                );
            }
        }
    }
    println!();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (mut policy, warnings) = CookiePolicy::from_json(POLICY)?;
    for w in warnings {
        println!("policy warning: {w:?}");
    }
    let t0 = Utc
        .with_ymd_and_hms(2026, 5, 1, 12, 0, 0)
        .single()
        .ok_or("date")?;
    let quiet = PrivacySignals::from_header_values(&[], &[]);

    // 1. First visit: no choice yet.
    show("first visit", &policy, None, &quiet, t0);

    // 2. The visitor accepts analytics only; the choice goes into a cookie
    //    and comes back on the next request.
    let choice = CookieConsent::new(
        [Category::Analytics],
        policy.revision,
        t0,
        ConsentMethod::PerCategory,
    );
    // The value is signed with a site key (kept in the host's secret
    // store; here a fixed one), so a visitor cannot grant themselves
    // anything by editing it.
    let keys = ConsentKeys::new(TokenKey::new(
        "site1",
        *b"an example site key, 32 bytes ok",
    )?);
    let value = choice.to_cookie_value(&keys);
    println!("{CONSENT_COOKIE_NAME}={value}\n");
    let read_back = CookieConsent::read(Some(&value), &keys, &policy, t0);
    show(
        "accepted analytics only",
        &policy,
        read_back.as_ref(),
        &quiet,
        t0 + TimeDelta::minutes(1),
    );

    // 3. Another visitor accepted everything earlier, but their browser now
    //    sends Sec-GPC: 1.
    let all = CookieConsent::accept_all(policy.revision, t0);
    let gpc = PrivacySignals::from_header_values(&["1"], &[]);
    show(
        "accepted all, browser sends GPC",
        &policy,
        Some(&all),
        &gpc,
        t0 + TimeDelta::days(2),
    );
    for d in policy.deletions(Some(&all), Some(&all), &gpc, t0 + TimeDelta::days(2)) {
        println!(
            "   delete {:<17} {}",
            d.name,
            d.set_cookie.unwrap_or_default()
        );
    }
    let opt_out = AdOptOut::new("shop.example")?;
    let impression = opt_out.decide(Some("sid=abc"), &gpc);
    let why: Vec<String> = impression.reasons().iter().map(|r| r.to_string()).collect();
    println!(
        "   record an ad impression? {} ({})",
        impression.records(),
        why.join("; ")
    );
    println!(
        "   ad opt-out cookie, re-issued each visit: {}\n",
        opt_out.set_cookie()
    );

    // 4. The site adds a cookie and bumps the revision: everyone is asked again.
    policy.revision += 1;
    show(
        "after policy revision 8",
        &policy,
        read_back.as_ref(),
        &quiet,
        t0 + TimeDelta::days(30),
    );
    Ok(())
}
