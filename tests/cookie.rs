//! Cookie policy, the visitor's choice, privacy signals and beacons.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use consentry::cookie::*;
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap()
}

fn policy() -> CookiePolicy {
    serde_json::from_str(
        r#"{
        "revision": 4,
        "cookies": [
            {"name": "sid", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"},
            {"name": "consentry_choice", "domain": "shop.example", "category": "strictly_necessary", "lifetime": {"days": 183}, "script_access": true},
            {"name": "lang", "domain": "shop.example", "category": "preferences", "lifetime": {"days": 365}},
            {"name": "_ga", "domain": "shop.example", "category": "analytics", "lifetime": {"days": 390}, "script_access": true},
            {"name": "ads_id", "domain": "shop.example", "category": "advertising", "lifetime": {"days": 90}, "linked_to_personal_data": true, "same_site": "none"},
            {"name": "recent", "domain": "shop.example", "category": "preferences", "lifetime": {"days": 30}, "storage": "local_storage"}
        ]
    }"#,
    )
    .unwrap()
}

fn spec<'a>(p: &'a CookiePolicy, name: &'a str) -> &'a CookieSpec {
    p.specs_named(name).next().unwrap()
}

#[test]
fn gpc_counts_only_an_exact_1() {
    let cases: [(&[&str], bool); 8] = [
        (&["1"], true),
        (&[" 1 "], true),
        (&["0"], false),
        (&["true"], false),
        (&["1, 1"], false),
        (&["0", "1"], true),
        (&["yes", "2"], false),
        (&[], false),
    ];
    for (values, expected) in cases {
        assert_eq!(
            PrivacySignals::from_header_values(values, &[]).gpc,
            expected,
            "{values:?}"
        );
    }
}

#[test]
fn dnt_is_informational_unless_configured() {
    let p = policy();
    let accepted = CookieConsent::accept_all(4, now());
    let dnt = PrivacySignals::from_header_values(&[], &["1"]);
    assert!(dnt.dnt && !dnt.opts_out_of_sale());
    assert!(p
        .decide(spec(&p, "ads_id"), Some(&accepted), &dnt, now())
        .is_allowed());
    let strict = dnt.with_dnt_as_gpc(true);
    let d = p.decide(spec(&p, "ads_id"), Some(&accepted), &strict, now());
    assert_eq!(d.reasons()[0].rule.as_str(), "cookie.dnt");
}

#[test]
fn a_first_visit_gets_strictly_necessary_items_only() {
    let p = policy();
    let quiet = PrivacySignals::default();
    let allowed: Vec<&str> = p
        .cookies
        .iter()
        .filter(|c| p.decide(c, None, &quiet, now()).is_allowed())
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(allowed, ["sid", "consentry_choice"]);
    let d = p.decide(spec(&p, "_ga"), None, &quiet, now());
    assert_eq!(d.reasons()[0].rule.as_str(), "cookie.no_decision");
}

#[test]
fn analytics_only_sets_analytics_and_nothing_else() {
    let p = policy();
    let choice = CookieConsent::new([Category::Analytics], 4, now(), ConsentMethod::PerCategory);
    let quiet = PrivacySignals::default();
    assert!(p
        .decide(spec(&p, "_ga"), Some(&choice), &quiet, now())
        .is_allowed());
    for refused in ["lang", "ads_id", "recent"] {
        let d = p.decide(spec(&p, refused), Some(&choice), &quiet, now());
        assert_eq!(
            d.reasons()[0].rule.as_str(),
            "cookie.not_granted",
            "{refused}"
        );
    }
}

#[test]
fn gpc_beats_an_earlier_banner_consent() {
    let p = policy();
    let accepted = CookieConsent::accept_all(4, now());
    let gpc = PrivacySignals::from_header_values(&["1"], &[]);
    let d = p.decide(spec(&p, "ads_id"), Some(&accepted), &gpc, now());
    assert!(!d.is_allowed());
    assert_eq!(d.reasons()[0].rule.as_str(), "cookie.gpc");
    assert!(p
        .decide(spec(&p, "_ga"), Some(&accepted), &gpc, now())
        .is_allowed());
    // And the advertising cookie already set must go.
    let deletions = p.deletions(Some(&accepted), Some(&accepted), &gpc, now());
    assert_eq!(
        deletions
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["ads_id"]
    );
}

#[test]
fn set_cookie_attributes_are_safe_and_capped() {
    let mut p = policy();
    p.max_lifetime_days = 180;
    let accepted = CookieConsent::accept_all(4, now());
    let quiet = PrivacySignals::default();
    let d = p.decide(spec(&p, "_ga"), Some(&accepted), &quiet, now());
    let Some(a) = d.attributes() else {
        panic!("{d:?}")
    };
    let reasons = d.reasons();
    assert_eq!(a.max_age_seconds, Some(180 * 86_400));
    assert!(reasons
        .iter()
        .any(|r| r.rule.as_str() == "cookie.lifetime_capped"));
    let header = a.render("GA1.2.3");
    assert!(header.starts_with("_ga=GA1.2.3"), "{header}");
    assert!(
        header.contains("Secure") && !header.contains("HttpOnly"),
        "{header}"
    );
    assert!(
        header.contains("Max-Age=15552000") && header.contains("SameSite=Lax"),
        "{header}"
    );

    let d = p.decide(spec(&p, "sid"), None, &quiet, now());
    let Some(sid) = d.attributes() else {
        panic!("{d:?}")
    };
    let header = sid.render("s3ss10n");
    assert!(
        header.contains("HttpOnly") && header.contains("Secure") && !header.contains("Max-Age"),
        "{header}"
    );
    let removal = sid.render_removal();
    assert!(
        removal.contains("Max-Age=0") && removal.contains("1970"),
        "{removal}"
    );

    let d = p.decide(spec(&p, "recent"), Some(&accepted), &quiet, now());
    assert!(d.is_allowed());
    assert!(d.attributes().is_none(), "local storage has no Set-Cookie");
}

#[test]
fn withdrawal_lists_what_to_delete() {
    let p = policy();
    let before = CookieConsent::accept_all(4, now());
    let after = CookieConsent::reject_all(4, now() + TimeDelta::days(1));
    let gone = p.deletions(
        Some(&before),
        Some(&after),
        &PrivacySignals::default(),
        now() + TimeDelta::days(1),
    );
    let names: Vec<&str> = gone.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["lang", "_ga", "ads_id", "recent"]);
    assert!(gone[1].set_cookie.as_deref().unwrap().contains("Max-Age=0"));
    assert!(gone[3].set_cookie.is_none());
}

#[test]
fn a_stored_choice_goes_stale_with_the_revision_or_age() {
    let p = policy();
    let choice = CookieConsent::accept_all(4, now());
    assert_eq!(
        choice.status(&p, now() + TimeDelta::days(100)),
        ConsentStatus::Current
    );
    assert!(matches!(
        choice.status(&p, now() + TimeDelta::days(184)),
        ConsentStatus::Expired { .. }
    ));
    let old = CookieConsent::accept_all(3, now());
    assert_eq!(
        old.status(&p, now()),
        ConsentStatus::RevisionChanged {
            given_under: 3,
            current: 4
        }
    );
    let d = p.decide(
        spec(&p, "_ga"),
        Some(&old),
        &PrivacySignals::default(),
        now(),
    );
    assert_eq!(d.reasons()[0].rule.as_str(), "cookie.stale.revision");
    // A refusal is a decision: no new question before an acceptance would get one.
    let refused = CookieConsent::reject_all(4, now());
    assert!(!needs_prompt(
        Some(&refused),
        &p,
        now() + TimeDelta::days(100)
    ));
    assert!(needs_prompt(
        Some(&refused),
        &p,
        now() + TimeDelta::days(184)
    ));
    assert!(needs_prompt(None, &p, now()));
}

#[test]
fn validation_reports_every_problem_at_once() {
    let loaded = CookiePolicy::from_json(
        r#"{
        "revision": 1,
        "max_lifetime_days": 395,
        "cookies": [
            {"name": "sid", "domain": "shop.example", "category": "strictly_necessary", "lifetime": {"days": 500}},
            {"name": "_ga", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"},
            {"name": "_fbp", "domain": "shop.example", "category": "strictly_necessary", "lifetime": "session"},
            {"name": "sid", "domain": "SHOP.example", "category": "preferences", "lifetime": "session"},
            {"name": "bad name", "domain": "shop.example", "category": "preferences", "lifetime": "session"},
            {"name": "lso", "domain": "shop.example", "category": "analytics", "lifetime": "session", "storage": "flash_lso"}
        ]
    }"#,
    );
    let Err(PolicyLoadError::Invalid(errors)) = loaded else {
        panic!("an invalid policy loaded: {loaded:?}");
    };
    // Straight through serde, it does not deserialise either.
    let r = PolicyReport {
        errors,
        warnings: Vec::new(),
    };
    assert!(!r.is_ok());
    assert!(
        matches!(&r.errors[0], PolicyError::LifetimeOverCap { name, days: 500, cap: 395 } if name == "sid")
    );
    assert!(
        matches!(&r.errors[1], PolicyError::TrackerFiledAsNecessary { name, actual } if name == "_ga" && actual == "analytics")
    );
    assert!(
        matches!(&r.errors[2], PolicyError::TrackerFiledAsNecessary { name, actual } if name == "_fbp" && actual == "advertising")
    );
    assert!(matches!(&r.errors[3], PolicyError::Duplicate { .. }));
    assert!(matches!(&r.errors[4], PolicyError::BadName(_)));
    assert_eq!(r.errors.len(), 5);
    let (_, warnings) = CookiePolicy::from_json(
        r#"{"revision": 1, "cookies": [
            {"name": "lso", "domain": "shop.example", "category": "analytics", "lifetime": "session", "storage": "flash_lso"}
        ]}"#,
    )
    .unwrap();
    assert_eq!(warnings, [PolicyWarning::FlashLso { name: "lso".into() }]);

    let mut too_long = policy();
    too_long.max_lifetime_days = 500;
    assert!(matches!(
        too_long.validate().errors[0],
        PolicyError::BadSetting(_)
    ));
    assert!(policy().validate().is_ok());
    assert!(
        serde_json::from_str::<CookiePolicy>(r#"{"revision": 1, "cookies": [], "extra": 1}"#)
            .is_err()
    );
}

fn keys() -> ConsentKeys {
    ConsentKeys::new(consentry::unsubscribe::TokenKey::new("site1", [42u8; 32]).unwrap())
}

fn read(value: &str) -> Result<CookieConsent, ConsentValueError> {
    CookieConsent::from_cookie_value(value, &keys(), &policy(), now())
}

#[test]
fn mangled_consent_values_mean_no_decision() {
    let good = CookieConsent::new([Category::Analytics], 4, now(), ConsentMethod::PerCategory)
        .to_cookie_value(&keys());
    assert!(CookieConsent::read(Some(&good), &keys(), &policy(), now()).is_some());
    let cases = [
        ("", ConsentValueError::Empty),
        ("_ga=GA1.2.3", ConsentValueError::Foreign),
        ("c3.4.5.1.p.abc", ConsentValueError::Foreign),
        (&good[..good.len() - 3], ConsentValueError::Tampered),
        ("c2.site1.4.5", ConsentValueError::Malformed),
        (
            "c2.other.4.5.1.p.AAAAAAAAAAAAAAAAAAAAAA",
            ConsentValueError::UnknownKey,
        ),
    ];
    for (value, expected) in cases {
        assert_eq!(read(value), Err(expected), "{value}");
        assert!(CookieConsent::read(Some(value), &keys(), &policy(), now()).is_none());
    }
    assert!(matches!(
        read(&"c2.".repeat(2000)),
        Err(ConsentValueError::TooLong(_))
    ));
    // Granting advertising by editing the bits is caught.
    let forged = good.replacen(".5.", ".f.", 1);
    assert_eq!(read(&forged), Err(ConsentValueError::Tampered));
}

/// Issue 12 item 8: the consent cookie cannot be made by hand.
#[test]
fn the_consent_cookie_is_signed_and_refused_unsigned_forged_future_or_expired() {
    use consentry::unsubscribe::TokenKey;
    let policy = policy();
    // The old unkeyed encoding (its checksum was public): refused.
    assert_eq!(
        read("c1.4.f.1777629600.a.AAAAAAAA"),
        Err(ConsentValueError::Unsigned)
    );
    // Signed with a key the site does not hold, under the site's key id.
    let attacker = ConsentKeys::new(TokenKey::new("site1", [0u8; 32]).unwrap());
    let forged = CookieConsent::accept_all(4, now()).to_cookie_value(&attacker);
    assert_eq!(read(&forged), Err(ConsentValueError::Tampered));
    // Dated in the future: refused beyond the skew, read within it.
    let ahead = CookieConsent::accept_all(4, now() + TimeDelta::days(30)).to_cookie_value(&keys());
    assert_eq!(read(&ahead), Err(ConsentValueError::FromTheFuture));
    let skewed =
        CookieConsent::accept_all(4, now() + TimeDelta::minutes(2)).to_cookie_value(&keys());
    assert!(read(&skewed).is_ok());
    // At the end of time: no panic, and no eternal grant.
    let eternal = CookieConsent::accept_all(4, DateTime::<Utc>::MAX_UTC).to_cookie_value(&keys());
    assert_eq!(read(&eternal), Err(ConsentValueError::FromTheFuture));
    // Expired after the policy's validity.
    let given = CookieConsent::accept_all(4, now()).to_cookie_value(&keys());
    let later = now() + TimeDelta::days(i64::from(policy.consent_validity_days) + 1);
    assert!(matches!(
        CookieConsent::from_cookie_value(&given, &keys(), &policy, later),
        Err(ConsentValueError::Expired { .. })
    ));
    // Rotation: the old key still verifies once retired; a dropped key does not.
    let rotated = ConsentKeys::new(TokenKey::new("site2", [7u8; 32]).unwrap())
        .with_retired(TokenKey::new("site1", [42u8; 32]).unwrap())
        .unwrap();
    assert!(CookieConsent::from_cookie_value(&given, &rotated, &policy, now()).is_ok());
    let dropped = ConsentKeys::new(TokenKey::new("site2", [7u8; 32]).unwrap());
    assert_eq!(
        CookieConsent::from_cookie_value(&given, &dropped, &policy, now()),
        Err(ConsentValueError::UnknownKey)
    );
    assert!(CONSENT_COOKIE_NAME.starts_with("__Host-"));
}

#[test]
fn the_ad_opt_out_cookie_is_generic_and_reissued_at_the_browser_cap() {
    let opt = AdOptOut::new("shop.example").expect("a host name");
    let set = opt.set_cookie();
    assert!(set.starts_with("consentry_ad_opt_out=1;"), "{set}");
    assert!(set.contains("Max-Age=34560000"), "400 days: {set}");
    assert!(opt.present_in("sid=abc; consentry_ad_opt_out=1; lang=fr"));
    assert!(!opt.present_in("sid=abc; lang=fr"));
    assert!(!opt.present_in(";;=;"));
    let quiet = PrivacySignals::default();
    let d = opt.decide(Some("consentry_ad_opt_out=1"), &quiet);
    assert!(!d.records());
    assert_eq!(d.reasons()[0].rule.as_str(), "cookie.ad_opt_out");
    let allowed = opt.decide(Some("sid=1"), &quiet);
    assert!(allowed.records());
    assert_eq!(
        allowed.reasons()[0].rule.as_str(),
        "cookie.ad_impression_allowed"
    );
    let gpc = PrivacySignals::from_header_values(&["1"], &[]);
    assert!(!opt.decide(None, &gpc).records());
}

#[test]
fn email_beacons_follow_the_recipient_preference() {
    let strict = BeaconPolicy::default();
    assert!(strict
        .decide(BeaconKind::Open, TrackingPreference::Allow)
        .records());
    assert!(!strict
        .decide(BeaconKind::Open, TrackingPreference::Deny)
        .records());
    assert!(!strict
        .decide(BeaconKind::Click, TrackingPreference::Unknown)
        .records());
    let lax = BeaconPolicy {
        record_opens_when_unknown: true,
        record_clicks_when_unknown: false,
    };
    assert!(lax
        .decide(BeaconKind::Open, TrackingPreference::Unknown)
        .records());
    assert!(!lax
        .decide(BeaconKind::Click, TrackingPreference::Unknown)
        .records());
    assert!(!lax
        .decide(BeaconKind::Open, TrackingPreference::Deny)
        .records());
}

#[test]
fn page_beacons_keep_only_cookie_id_time_and_page() {
    let b = sanitize_page_beacon(
        [
            ("uid", "customer-42"),
            ("cid", "GA1.2.99"),
            (
                "page",
                "https://user:pw@shop.example/orders/42?email=ann%40example.com#top",
            ),
            ("screen", "1920x1080"),
            ("ts", "1999-01-01"),
        ],
        now(),
    )
    .unwrap();
    assert_eq!(b.cookie_id.as_deref(), Some("GA1.2.99"));
    assert_eq!(b.page.as_str(), "https://shop.example/orders/42");
    assert_eq!(b.at, now());
    let json = serde_json::to_string(&b).unwrap();
    for leaked in ["customer-42", "ann", "1920", "1999", "pw"] {
        assert!(!json.contains(leaked), "{leaked} in {json}");
    }
    let bad_id = sanitize_page_beacon(
        [("cid", "<script>"), ("page", "https://shop.example/")],
        now(),
    )
    .unwrap();
    assert_eq!(bad_id.cookie_id, None);
    assert_eq!(
        sanitize_page_beacon([("cid", "x")], now()),
        Err(BeaconError::MissingPage)
    );
    assert_eq!(
        sanitize_page_beacon([("page", "javascript:alert(1)")], now()),
        Err(BeaconError::BadPage)
    );
}

fn arb_consent() -> impl Strategy<Value = CookieConsent> {
    (
        prop::collection::btree_set(prop::sample::select(Category::ALL.to_vec()), 0..4),
        0u32..1000,
        0i64..4_000_000_000,
        prop::sample::select(vec![
            ConsentMethod::AcceptAll,
            ConsentMethod::RejectAll,
            ConsentMethod::PerCategory,
            ConsentMethod::Gpc,
            ConsentMethod::Default,
        ]),
    )
        .prop_map(|(cats, rev, secs, method)| {
            CookieConsent::new(
                cats,
                rev,
                DateTime::<Utc>::from_timestamp(secs, 0).unwrap(),
                method,
            )
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn the_consent_value_round_trips(c in arb_consent()) {
        let v = c.to_cookie_value(&keys());
        prop_assert!(v.len() <= MAX_COOKIE_VALUE_BYTES);
        prop_assert!(v.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)), "{}", v);
        prop_assert_eq!(CookieConsent::from_cookie_value(&v, &keys(), &policy(), c.given_at).unwrap(), c.clone());
        let json = serde_json::to_string(&c).unwrap();
        prop_assert_eq!(serde_json::from_str::<CookieConsent>(&json).unwrap(), c);
    }

    #[test]
    fn arbitrary_values_never_panic_and_never_grant(s in any::<String>(), t in "c[12]\\.(site1\\.)?[0-9]{1,3}\\.[0-9a-f]{1,2}\\.[0-9]{1,10}\\.[a-z]\\.[A-Za-z0-9_-]{0,24}") {
        let p = policy();
        for v in [s.as_str(), t.as_str()] {
            let read = CookieConsent::read(Some(v), &keys(), &p, now());
            prop_assert!(read.is_none());
            for c in p.cookies.iter().filter(|c| c.category != Category::StrictlyNecessary) {
                prop_assert!(!p.decide(c, read.as_ref(), &PrivacySignals::default(), now()).is_allowed());
            }
        }
    }

    #[test]
    fn with_gpc_no_advertising_cookie_is_ever_set(c in proptest::option::of(arb_consent()), days in 0u32..400, dnt in any::<bool>()) {
        let mut p = policy();
        p.cookies.push(CookieSpec {
            name: "ad2".into(), domain: "shop.example".into(), path: "/".into(),
            category: Category::Advertising, lifetime: Lifetime::Days(days), storage: Storage::HttpCookie,
            linked_to_personal_data: false, script_access: false, same_site: SameSitePolicy::Lax,
        });
        let gpc = PrivacySignals::from_header_values(&["1"], if dnt { &["1"] } else { &[] });
        for spec in p.cookies.iter().filter(|s| s.category == Category::Advertising) {
            prop_assert!(!p.decide(spec, c.as_ref(), &gpc, now()).is_allowed());
        }
    }

    #[test]
    fn cookie_decisions_are_deterministic(c in proptest::option::of(arb_consent()), gpc in any::<bool>()) {
        let p = policy();
        let s = PrivacySignals { gpc, ..PrivacySignals::default() };
        for spec in &p.cookies {
            prop_assert_eq!(p.decide(spec, c.as_ref(), &s, now()), p.decide(spec, c.as_ref(), &s, now()));
        }
    }
}

#[test]
fn policies_load_from_json_and_toml_validated() {
    let json = serde_json::to_string(&policy()).unwrap();
    let (p, warnings) = CookiePolicy::from_json(&json).unwrap();
    assert_eq!(p, policy());
    assert_eq!(
        warnings,
        [PolicyWarning::PersonalDataForAdvertising {
            name: "ads_id".into()
        }]
    );
    let toml = r#"
revision = 2
[[cookies]]
name = "sid"
domain = "shop.example"
category = "strictly_necessary"
lifetime = "session"
[[cookies]]
name = "lso"
domain = "shop.example"
category = "analytics"
lifetime = { days = 30 }
storage = "flash_lso"
"#;
    let (p, warnings) = CookiePolicy::from_toml(toml).unwrap();
    assert_eq!(p.cookies.len(), 2);
    assert_eq!(warnings, [PolicyWarning::FlashLso { name: "lso".into() }]);
    let bad = toml.replace("lifetime = { days = 30 }", "lifetime = { days = 900 }");
    assert!(
        matches!(CookiePolicy::from_toml(&bad), Err(PolicyLoadError::Invalid(e)) if e.len() == 1)
    );
    assert!(matches!(
        CookiePolicy::from_toml("revision = \"x\""),
        Err(PolicyLoadError::Toml(_))
    ));
}

#[test]
fn a_value_at_the_end_of_time_does_not_panic() {
    let far = DateTime::<Utc>::MAX_UTC;
    let signed = CookieConsent::new([Category::Analytics], 4, far, ConsentMethod::AcceptAll)
        .to_cookie_value(&keys());
    // Read at the end of time it is current; its status never panics.
    let read = CookieConsent::read(Some(&signed), &keys(), &policy(), far).unwrap();
    assert_eq!(read.status(&policy(), far), ConsentStatus::Current);
    let p = policy();
    let _ = p.decide(
        spec(&p, "_ga"),
        Some(&read),
        &PrivacySignals::default(),
        far,
    );
}

/// Issue 12 item 7: nothing in a policy or an opt-out cookie may add a
/// header or an attribute to a `Set-Cookie` line.
#[test]
fn set_cookie_injection_is_refused_at_load_and_at_construction() {
    let hostile = [
        (r#""shop.example\r\nSet-Cookie: admin=1""#, r#""/""#),
        (r#""shop.example; SameSite=None""#, r#""/""#),
        (
            r#""shop.example""#,
            r#""/; Domain=evil.example; SameSite=None""#,
        ),
        (r#""shop.example""#, r#""/a\nX-Injected: 1""#),
        (r#""shop.example""#, r#""no-leading-slash""#),
        (r#""-shop.example""#, r#""/""#),
        (r#""shop..example""#, r#""/""#),
    ];
    for (domain, path) in hostile {
        let json = format!(
            r#"{{"revision": 1, "cookies": [{{"name": "sid", "domain": {domain}, "path": {path},
                "category": "strictly_necessary", "lifetime": "session"}}]}}"#
        );
        let err = CookiePolicy::from_json(&json).expect_err(&json);
        let text = err.to_string();
        assert!(
            text.contains("not a host name") || text.contains("not a cookie path"),
            "{json}: {text}"
        );
        assert!(
            !text.contains('\r') && !text.contains('\n'),
            "escaped: {text}"
        );
        // Straight through serde it does not deserialise either.
        assert!(
            serde_json::from_str::<CookiePolicy>(&json).is_err(),
            "{json}"
        );
        // And a policy edited in code after loading renders no injected
        // attribute.
        let mut raw = policy();
        raw.cookies.truncate(1);
        raw.cookies[0].domain = serde_json::from_str(domain).unwrap();
        raw.cookies[0].path = serde_json::from_str(path).unwrap();
        let spec = &raw.cookies[0];
        let d = raw.decide(
            spec,
            None,
            &PrivacySignals::default(),
            Utc.with_ymd_and_hms(2026, 5, 1, 12, 0, 0).unwrap(),
        );
        if let CookieOutcome::Allow {
            attributes: Some(a),
        } = d.outcome()
        {
            let line = a.render("v");
            assert!(!line.contains('\r') && !line.contains('\n'), "{line}");
            assert!(!line.contains("evil.example"), "{line}");
            assert_eq!(line.matches("SameSite").count(), 1, "{line}");
        }
    }
    assert!(matches!(
        AdOptOut::new("shop.example\r\nSet-Cookie: admin=1"),
        Err(PolicyError::BadDomain { .. })
    ));
    assert!(matches!(
        AdOptOut::named("opt out", "shop.example"),
        Err(PolicyError::BadName(_))
    ));
    let forged: Result<AdOptOut, _> =
        serde_json::from_str(r#"{"name": "x", "domain": "a.example; Domain=evil.example"}"#);
    assert!(forged.is_err());
    let good = AdOptOut::new(".shop.example").expect("leading dot allowed");
    assert_eq!(good.domain(), ".shop.example");
}
