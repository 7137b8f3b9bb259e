//! The HTTP edge's handlers on `http` types: what each request gets back,
//! and that nothing but a valid one-click or preference POST changes state.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use common::*;
use consentry::cookie::{AdOptOut, Category, ConsentKeys, CookiePolicy, CONSENT_COOKIE_NAME};
use consentry::edge::http::{
    CookieBanner, ListChoice, PreferenceEndpoint, UnsubscribeEndpoint, MAX_FORM_BYTES,
};
use consentry::unsubscribe::{BusinessCalendar, KeyRing, OptOutDeadlines, OptOutRule, TokenKey};
use consentry::{
    Action, AppendOutcome, ConsentEvent, ConsentStore, Driver, EmailAddress, LedgerPolicy, ListId,
    MemoryStore, OptOutChannel, RecordingMailer, SuppressionKind, TenantId, UnsubscribeSettings,
};
use http::{Request, Response, StatusCode};
use proptest::prelude::*;

const FORM: &str = "application/x-www-form-urlencoded";

fn settings() -> UnsubscribeSettings {
    UnsubscribeSettings {
        keys: KeyRing::new(TokenKey::new("k1", vec![4u8; 32]).unwrap()),
        deadlines: OptOutDeadlines::new(
            [OptOutRule::CanSpam],
            BusinessCalendar::us_federal(2026..=2027, 0).unwrap(),
        ),
    }
}

type MemDriver = Driver<MemoryStore, RecordingMailer>;

fn driver() -> MemDriver {
    Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    )
}

fn token_for(address: &str, issued: DateTime<Utc>) -> String {
    settings().keys.issue_sealed(
        &TenantId::new("acme").unwrap(),
        &ListId::new("news").unwrap(),
        &addr(address),
        issued,
    )
}

fn url(path: &str, token: &str) -> String {
    format!("https://mail.acme.example{path}?token={token}")
}

fn request(method: &str, uri: &str, content_type: Option<&str>, body: &[u8]) -> Request<Vec<u8>> {
    let mut b = Request::builder().method(method).uri(uri);
    if let Some(ct) = content_type {
        b = b.header("content-type", ct);
    }
    b.body(body.to_vec()).unwrap()
}

fn one_click(token: &str) -> Request<Vec<u8>> {
    request(
        "POST",
        &url("/unsubscribe", token),
        Some(FORM),
        b"List-Unsubscribe=One-Click",
    )
}

fn subscribed_driver() -> MemDriver {
    let d = driver();
    for list in ["news", "offers"] {
        let k = key("acme", list, "ann@example.com");
        d.record(&ev(&k, &format!("in-{list}"), 0, form())).unwrap();
    }
    d
}

fn endpoint() -> UnsubscribeEndpoint {
    UnsubscribeEndpoint::new(settings(), "Acme <Shop> & Co")
}

fn assert_secure_headers(r: &Response<String>) {
    let h = r.headers();
    assert_eq!(h["cache-control"], "no-store");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("default-src 'none'"));
}

#[test]
fn one_click_post_records_one_opt_out_without_a_redirect() {
    let d = subscribed_driver();
    let token = token_for("ann@example.com", at(1));
    let r = endpoint().handle(&d, &one_click(&token), at(2));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.headers().get("location").is_none());
    let confirmation = r
        .extensions()
        .get::<consentry::OneClickConfirmation>()
        .unwrap();
    assert!(confirmation.newly_recorded);
    assert_secure_headers(&r);
    assert!(
        r.body().contains("Acme &lt;Shop&gt; &amp; Co"),
        "names are escaped"
    );
    assert!(!r.body().contains("<Shop>"));
    assert_eq!(d.store().len(), 3);
    let news = key("acme", "news", "ann@example.com");
    assert!(!d.state(&news, at(3)).unwrap().permits_promotional());
    // The other list is untouched.
    let offers = key("acme", "offers", "ann@example.com");
    assert!(d.state(&offers, at(3)).unwrap().permits_promotional());
    // Replayed: the same answer, nothing new.
    for _ in 0..3 {
        assert_eq!(
            endpoint().handle(&d, &one_click(&token), at(4)).status(),
            StatusCode::OK
        );
    }
    assert_eq!(d.store().len(), 3);
}

#[test]
fn get_and_head_show_a_confirmation_and_change_nothing() {
    let d = subscribed_driver();
    let token = token_for("ann@example.com", at(1));
    let get = endpoint().handle(
        &d,
        &request("GET", &url("/unsubscribe", &token), None, b""),
        at(2),
    );
    assert_eq!(get.status(), StatusCode::OK);
    assert!(get.body().contains("<form method=\"post\">"));
    assert!(get
        .body()
        .contains("name=\"List-Unsubscribe\" value=\"One-Click\""));
    assert_secure_headers(&get);
    let head = endpoint().handle(
        &d,
        &request("HEAD", &url("/unsubscribe", &token), None, b""),
        at(2),
    );
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.body().is_empty());
    assert_eq!(d.store().len(), 2);
}

#[test]
fn other_methods_are_405_and_change_nothing() {
    let d = subscribed_driver();
    let token = token_for("ann@example.com", at(1));
    for method in ["post", "Post", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"] {
        let r = endpoint().handle(
            &d,
            &request(
                method,
                &url("/unsubscribe", &token),
                Some(FORM),
                b"List-Unsubscribe=One-Click",
            ),
            at(2),
        );
        assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(r.headers()["allow"], "GET, HEAD, POST");
    }
    assert_eq!(d.store().len(), 2);
}

#[test]
fn malformed_bodies_are_400_and_oversized_ones_413() {
    let d = subscribed_driver();
    let token = token_for("ann@example.com", at(1));
    let uri = url("/unsubscribe", &token);
    for (ct, body) in [
        (Some(FORM), &b"List-Unsubscribe=Yes"[..]),
        (Some(FORM), b""),
        (None, b"List-Unsubscribe=One-Click"),
        (Some("text/plain"), b"List-Unsubscribe=One-Click"),
        (Some(FORM), b"List-Unsubscribe=One-Click&x=1"),
    ] {
        let r = endpoint().handle(&d, &request("POST", &uri, ct, body), at(2));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{ct:?} {body:?}");
    }
    let big = vec![b'a'; MAX_FORM_BYTES + 1];
    let r = endpoint().handle(&d, &request("POST", &uri, Some(FORM), &big), at(2));
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A declared length over the limit is refused whatever the body.
    let mut lying = one_click(&token);
    lying
        .headers_mut()
        .insert("content-length", "1048576".parse().unwrap());
    assert_eq!(
        endpoint().handle(&d, &lying, at(2)).status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    let mut twice = one_click(&token);
    twice
        .headers_mut()
        .append("content-length", "26".parse().unwrap());
    twice
        .headers_mut()
        .append("content-length", "26".parse().unwrap());
    assert_eq!(
        endpoint().handle(&d, &twice, at(2)).status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(d.store().len(), 2);
}

#[test]
fn every_refused_token_gets_the_same_403() {
    let d = subscribed_driver();
    let good = token_for("ann@example.com", at(1));
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let other_key = KeyRing::new(TokenKey::new("k9", vec![8u8; 32]).unwrap()).issue_sealed(
        &TenantId::new("acme").unwrap(),
        &ListId::new("news").unwrap(),
        &addr("ann@example.com"),
        at(1),
    );
    let future = token_for("ann@example.com", at(1) + TimeDelta::days(2));
    let expired_at = at(1) + TimeDelta::days(91);
    let cases: Vec<(Request<Vec<u8>>, DateTime<Utc>)> = vec![
        (one_click(&tampered), at(2)),
        (one_click(&other_key), at(2)),
        (one_click(&future), at(2)),
        (one_click(&good), expired_at),
        (one_click("not-a-token"), at(2)),
        // A reference no store keeps (forged, or its person erased).
        (one_click(&format!("v3.k1.{}", "A".repeat(22))), at(2)),
        (one_click(""), at(2)),
        (
            request(
                "POST",
                "https://mail.acme.example/unsubscribe",
                Some(FORM),
                b"List-Unsubscribe=One-Click",
            ),
            at(2),
        ),
        (
            request(
                "POST",
                &format!("https://mail.acme.example/unsubscribe?token={good}&token={good}"),
                Some(FORM),
                b"List-Unsubscribe=One-Click",
            ),
            at(2),
        ),
    ];
    let mut bodies = Vec::new();
    for (req, now) in &cases {
        let r = endpoint().handle(&d, req, *now);
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{}", req.uri());
        bodies.push(r.into_body());
        let get = request("GET", &req.uri().to_string(), None, b"");
        let r = endpoint().handle(&d, &get, *now);
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        bodies.push(r.into_body());
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "one page for every refusal"
    );
    assert_eq!(d.store().len(), 2);
}

/// Issue 12 item 6 at the HTTP edge: a long address gets a short token
/// whose meaning the store keeps, and the page, the one-click POST and the
/// preference page all read it from there.
#[test]
fn a_kept_token_works_for_the_page_the_post_and_preferences() {
    let long = format!(
        "{}@{}.{}.example",
        "l".repeat(64),
        "d".repeat(63),
        "e".repeat(60)
    );
    let d = driver();
    for list in ["news", "offers"] {
        let k = key("acme", list, &long);
        d.record(&ev(&k, &format!("in-{list}"), 0, form())).unwrap();
    }
    let news = key("acme", "news", &long);
    let token = d.unsubscribe_token(&settings().keys, &news, at(1)).unwrap();
    assert!(token.len() < 200 && token.starts_with("v3."), "{token}");
    let get = endpoint().handle(
        &d,
        &request("GET", &url("/unsubscribe", &token), None, b""),
        at(2),
    );
    assert_eq!(get.status(), StatusCode::OK);
    assert!(get.body().contains("<strong>news</strong>"));
    let page = preferences().handle(
        &d,
        &request("GET", &url("/preferences", &token), None, b""),
        at(2),
    );
    assert_eq!(page.status(), StatusCode::OK);
    let r = endpoint().handle(&d, &one_click(&token), at(2));
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!d.state(&news, at(3)).unwrap().permits_promotional());
    assert!(d
        .state(&key("acme", "offers", &long), at(3))
        .unwrap()
        .permits_promotional());
}

/// A store that is down.
struct Down;
#[derive(Debug, thiserror::Error)]
#[error("database unavailable")]
struct DownError;
impl ConsentStore for Down {
    type Error = DownError;
    fn append(&self, _: &ConsentEvent) -> Result<AppendOutcome, DownError> {
        Err(DownError)
    }
    fn events_for(&self, _: &EmailAddress) -> Result<Vec<ConsentEvent>, DownError> {
        Err(DownError)
    }
    fn kept_token(&self, _: &str) -> Result<Option<consentry::unsubscribe::KeptToken>, DownError> {
        Err(DownError)
    }
}

#[test]
fn a_failing_store_is_503_with_retry_after() {
    let d = Driver::new(Down, RecordingMailer::new(), LedgerPolicy::default());
    // Even showing the page needs the store for a reference token.
    let reference = format!("v3.k1.{}", "A".repeat(22));
    assert_eq!(
        endpoint()
            .handle(
                &d,
                &request("GET", &url("/unsubscribe", &reference), None, b""),
                at(2)
            )
            .status(),
        StatusCode::SERVICE_UNAVAILABLE,
        "the store could not be asked: not an invalid link"
    );
    let token = token_for("ann@example.com", at(1));
    let r = endpoint().handle(&d, &one_click(&token), at(2));
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.headers()["retry-after"], "60");
    assert!(!r.body().contains("database"), "no internal detail");
    let r = preferences().handle(
        &d,
        &request("GET", &url("/preferences", &token), None, b""),
        at(2),
    );
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
}

fn preferences() -> PreferenceEndpoint {
    PreferenceEndpoint::new(
        settings(),
        "Acme",
        TenantId::new("acme").unwrap(),
        [
            ListChoice::new(ListId::new("news").unwrap(), "News"),
            ListChoice::new(ListId::new("offers").unwrap(), "Offers <b>"),
            ListChoice::new(ListId::new("events").unwrap(), "Events"),
        ],
    )
}

fn pref_post(token: &str, body: &str) -> Request<Vec<u8>> {
    request(
        "POST",
        &url("/preferences", token),
        Some(FORM),
        body.as_bytes(),
    )
}

fn opted_out(d: &MemDriver, list: &str, now: DateTime<Utc>) -> bool {
    d.state(&key("acme", list, "ann@example.com"), now)
        .unwrap()
        .suppressions()
        .iter()
        .any(|s| s.kind == SuppressionKind::OptedOut)
}

#[test]
fn the_preference_page_shows_and_saves_list_choices() {
    let d = subscribed_driver();
    let token = token_for("ann@example.com", at(1));
    let page = preferences().handle(
        &d,
        &request("GET", &url("/preferences", &token), None, b""),
        at(2),
    );
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.body();
    assert!(body.contains("name=\"list\" value=\"news\" checked"));
    assert!(body.contains("name=\"list\" value=\"offers\" checked"));
    assert!(
        body.contains("value=\"events\" disabled"),
        "not subscribed: cannot be ticked"
    );
    assert!(body.contains("Offers &lt;b&gt;"));
    assert_eq!(d.store().len(), 2);

    // Keep news, leave offers; ticking events (not subscribed) records nothing.
    let r = preferences().handle(
        &d,
        &pref_post(&token, "choice=lists&list=news&list=events"),
        at(3),
    );
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.body().contains("Your choices are saved"));
    let recorded = r.extensions().get::<Vec<ConsentEvent>>().unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(d.store().len(), 3);
    assert!(!opted_out(&d, "news", at(4)));
    assert!(opted_out(&d, "offers", at(4)));
    let events = d
        .state(&key("acme", "events", "ann@example.com"), at(4))
        .unwrap();
    assert!(
        !events.permits_promotional(),
        "a token never subscribes anyone"
    );
    let export = d.export(&addr("ann@example.com"), at(4)).unwrap();
    assert!(export.events.iter().any(|e| e.action
        == Action::OptedOut {
            via: OptOutChannel::PreferenceCentre
        }));
    // The same POST again records nothing.
    preferences().handle(
        &d,
        &pref_post(&token, "choice=lists&list=news&list=events"),
        at(5),
    );
    assert_eq!(d.store().len(), 3);

    // Unsubscribe from everything: one tenant-wide opt-out, once.
    let r = preferences().handle(&d, &pref_post(&token, "choice=all"), at(6));
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(d.store().len(), 4);
    for list in ["news", "offers", "events", "a-list-not-on-the-page"] {
        assert!(opted_out(&d, list, at(7)), "{list}");
    }
    preferences().handle(&d, &pref_post(&token, "choice=all"), at(8));
    assert_eq!(d.store().len(), 4);
}

#[test]
fn unsubscribe_from_everything_covers_lists_the_page_does_not_show() {
    let d = subscribed_driver();
    let promo = key("acme", "promo", "ann@example.com");
    d.record(&ev(&promo, "in-promo", 0, form())).unwrap();
    let token = token_for("ann@example.com", at(1));
    // Leave every list on the page one by one…
    preferences().handle(&d, &pref_post(&token, "choice=lists"), at(2));
    assert!(opted_out(&d, "news", at(3)) && opted_out(&d, "offers", at(3)));
    assert!(d.state(&promo, at(3)).unwrap().permits_promotional());
    // …then everything: the tenant-wide opt-out is still recorded.
    preferences().handle(&d, &pref_post(&token, "choice=all"), at(4));
    assert!(!d.state(&promo, at(5)).unwrap().permits_promotional());
}

#[test]
fn a_complaint_cannot_be_undone_from_the_preference_page() {
    let d = subscribed_driver();
    let news = key("acme", "news", "ann@example.com");
    d.record(&ev(&news, "complaint", 1, Action::Complained))
        .unwrap();
    let token = token_for("ann@example.com", at(1));
    let before = d.store().len();
    let r = preferences().handle(
        &d,
        &pref_post(&token, "choice=lists&list=news&list=offers"),
        at(3),
    );
    assert_eq!(r.status(), StatusCode::OK);
    assert!(!d.state(&news, at(4)).unwrap().permits_promotional());
    // Keeping both lists records nothing: the page cannot opt anyone in.
    assert_eq!(d.store().len(), before);
    let page = preferences().handle(
        &d,
        &request("GET", &url("/preferences", &token), None, b""),
        at(4),
    );
    assert!(page.body().contains("value=\"news\" disabled"));
}

#[test]
fn another_tenants_token_is_refused_by_the_preference_page() {
    let d = subscribed_driver();
    let foreign = settings().keys.issue_sealed(
        &TenantId::new("other").unwrap(),
        &ListId::new("news").unwrap(),
        &addr("ann@example.com"),
        at(1),
    );
    for req in [
        request("GET", &url("/preferences", &foreign), None, b""),
        pref_post(&foreign, "choice=all"),
    ] {
        assert_eq!(
            preferences().handle(&d, &req, at(2)).status(),
            StatusCode::FORBIDDEN
        );
    }
    assert_eq!(d.store().len(), 2);
}

#[test]
fn bad_preference_forms_change_nothing() {
    let d = subscribed_driver();
    let token = token_for("ann@example.com", at(1));
    for body in [
        "",
        "choice=some",
        "choice=lists&list=unknown",
        "choice=lists&choice=all",
        "choice=all&extra=1",
        "list=news",
        "choice=lists&list=news&list=news&list=news&list=news&list=news",
    ] {
        let r = preferences().handle(&d, &pref_post(&token, body), at(2));
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{body}");
    }
    let r = preferences().handle(
        &d,
        &request(
            "POST",
            &url("/preferences", &token),
            Some("text/plain"),
            b"choice=all",
        ),
        at(2),
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let r = preferences().handle(&d, &pref_post("forged", "choice=all"), at(2));
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = preferences().handle(
        &d,
        &request("DELETE", &url("/preferences", &token), None, b""),
        at(2),
    );
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    let big = "choice=all&".repeat(1000);
    let r = preferences().handle(&d, &pref_post(&token, &big), at(2));
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(d.store().len(), 2);
}

const POLICY: &str = r#"{
  "revision": 2,
  "cookies": [
    {"name": "session", "domain": "shop.example", "path": "/", "category": "strictly_necessary", "lifetime": "session"},
    {"name": "_stats", "domain": "shop.example", "path": "/", "category": "analytics", "lifetime": {"days": 30}},
    {"name": "_ads", "domain": "shop.example", "path": "/", "category": "advertising", "lifetime": {"days": 30}}
  ]
}"#;

fn banner() -> CookieBanner {
    let (policy, _) = CookiePolicy::from_json(POLICY).unwrap();
    CookieBanner::new(
        policy,
        ConsentKeys::new(TokenKey::new("site", vec![6u8; 32]).unwrap()),
    )
    .with_ad_opt_out(AdOptOut::new("shop.example").unwrap())
    .with_origin("https://shop.example")
}

fn consent_post(body: &str) -> Request<Vec<u8>> {
    request(
        "POST",
        "https://shop.example/consent",
        Some(FORM),
        body.as_bytes(),
    )
}

fn set_cookies(r: &Response<String>) -> Vec<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

/// The `name=value` pair of the consent cookie a response set.
fn consent_pair(r: &Response<String>) -> String {
    set_cookies(r)
        .into_iter()
        .find(|c| c.starts_with(CONSENT_COOKIE_NAME))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

fn page_request(cookie: &str, gpc: bool) -> Request<()> {
    let mut b = Request::get("https://shop.example/").header("cookie", cookie);
    if gpc {
        b = b.header("sec-gpc", "1");
    }
    b.body(()).unwrap()
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

#[test]
fn a_banner_choice_round_trips_through_its_cookie() {
    let b = banner();
    let first = b.read(page_request("", false).headers(), now());
    assert!(first.needs_prompt);
    let (headers, decisions) = b.decide(&first, &[("session", "1"), ("_stats", "2")], now());
    assert!(decisions[0].1.is_allowed());
    assert!(!decisions[1].1.is_allowed());
    assert_eq!(
        headers.len(),
        1,
        "only the necessary cookie before a choice"
    );

    let r = b.handle_choice(&consent_post("choice=custom&category=analytics"), now());
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let set = set_cookies(&r);
    let consent = set
        .iter()
        .find(|c| c.starts_with(CONSENT_COOKIE_NAME))
        .unwrap();
    for attr in ["Secure", "HttpOnly", "Path=/", "SameSite=Lax"] {
        assert!(consent.contains(attr), "{consent}");
    }
    assert!(
        !consent.contains("Domain"),
        "__Host- cookies have no Domain"
    );
    // Analytics only: the ad opt-out cookie is set too.
    assert!(
        set.iter().any(|c| c.starts_with("consentry_ad_opt_out=1")),
        "{set:?}"
    );

    let cookie = consent_pair(&r);
    let visitor = b.read(
        page_request(&cookie, false).headers(),
        now() + TimeDelta::hours(1),
    );
    assert!(!visitor.needs_prompt);
    assert!(visitor
        .consent
        .as_ref()
        .unwrap()
        .grants(Category::Analytics));
    let (headers, decisions) = b.decide(&visitor, &[("_stats", "v"), ("_ads", "a")], now());
    assert!(decisions[0].1.is_allowed());
    assert!(!decisions[1].1.is_allowed());
    assert!(headers[0].to_str().unwrap().starts_with("_stats=v"));
}

#[test]
fn withdrawing_deletes_and_gpc_overrides_advertising() {
    let b = banner();
    let accept = b.handle_choice(&consent_post("choice=accept-all"), now());
    let cookie = consent_pair(&accept);
    let visitor = b.read(page_request(&cookie, false).headers(), now());
    let (_, decisions) = b.decide(&visitor, &[("_ads", "a")], now());
    assert!(decisions[0].1.is_allowed());

    // With GPC the same choice refuses advertising, removes the ad cookie
    // the visitor carries and sets the ad opt-out cookie.
    let with_ads = format!("{cookie}; _ads=a; _stats=s");
    let gpc = b.read(page_request(&with_ads, true).headers(), now());
    let (headers, decisions) = b.decide(&gpc, &[("_stats", "s")], now());
    assert!(decisions[0].1.is_allowed());
    let headers: Vec<String> = headers
        .iter()
        .map(|h| h.to_str().unwrap().to_owned())
        .collect();
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("_ads=") && h.contains("Max-Age=0")),
        "{headers:?}"
    );
    assert!(
        headers
            .iter()
            .any(|h| h.starts_with("consentry_ad_opt_out=1")),
        "{headers:?}"
    );

    // Rejecting everything removes what the visitor carries.
    let mut reject = consent_post("choice=reject-all&return_to=/shop?x=1");
    reject
        .headers_mut()
        .insert("cookie", with_ads.parse().unwrap());
    let r = b.handle_choice(&reject, now());
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/shop?x=1");
    let set = set_cookies(&r);
    assert!(
        set.iter()
            .any(|h| h.starts_with("_ads=") && h.contains("Max-Age=0")),
        "{set:?}"
    );
    assert!(set
        .iter()
        .any(|h| h.starts_with("_stats=") && h.contains("Max-Age=0")));
    let after = b.read(page_request(&consent_pair(&r), false).headers(), now());
    assert!(!after.consent.unwrap().grants(Category::Analytics));
}

#[test]
fn hostile_banner_posts_set_nothing() {
    let b = banner();
    let mut cross = consent_post("choice=accept-all");
    cross
        .headers_mut()
        .insert("sec-fetch-site", "cross-site".parse().unwrap());
    let mut foreign = consent_post("choice=accept-all");
    foreign
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    let cases = [
        (cross, StatusCode::FORBIDDEN),
        (foreign, StatusCode::FORBIDDEN),
        (
            consent_post("choice=accept-all&return_to=//evil.example/"),
            StatusCode::BAD_REQUEST,
        ),
        (
            consent_post("choice=accept-all&return_to=https://evil.example/"),
            StatusCode::BAD_REQUEST,
        ),
        (
            consent_post("choice=accept-all&return_to=/%5Cevil.example"),
            StatusCode::BAD_REQUEST,
        ),
        (
            consent_post("choice=accept-all&return_to=/a%0d%0aSet-Cookie:x=1"),
            StatusCode::BAD_REQUEST,
        ),
        (consent_post("choice=everything"), StatusCode::BAD_REQUEST),
        (
            consent_post("choice=custom&category=tracking"),
            StatusCode::BAD_REQUEST,
        ),
        (
            consent_post("choice=accept-all&category=analytics"),
            StatusCode::BAD_REQUEST,
        ),
        (
            consent_post(&"category=analytics&".repeat(2000)),
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
        (
            request("GET", "https://shop.example/consent", None, b""),
            StatusCode::METHOD_NOT_ALLOWED,
        ),
    ];
    for (req, status) in cases {
        let r = b.handle_choice(&req, now());
        assert_eq!(
            r.status(),
            status,
            "{:?}",
            String::from_utf8_lossy(req.body())
        );
        assert!(set_cookies(&r).is_empty());
    }
    // Without a configured origin, the request's own host decides.
    let plain = CookieBanner::new(
        CookiePolicy::from_json(POLICY).unwrap().0,
        ConsentKeys::new(TokenKey::new("site", vec![6u8; 32]).unwrap()),
    );
    let mut other_site = consent_post("choice=accept-all");
    other_site
        .headers_mut()
        .insert("host", "shop.example".parse().unwrap());
    other_site
        .headers_mut()
        .insert("origin", "https://evil.example".parse().unwrap());
    assert_eq!(
        plain.handle_choice(&other_site, now()).status(),
        StatusCode::FORBIDDEN
    );
    let mut same_site = consent_post("choice=accept-all");
    same_site
        .headers_mut()
        .insert("sec-fetch-site", "same-site".parse().unwrap());
    assert_eq!(
        plain.handle_choice(&same_site, now()).status(),
        StatusCode::FORBIDDEN
    );
    let mut own = consent_post("choice=accept-all");
    own.headers_mut()
        .insert("host", "shop.example".parse().unwrap());
    own.headers_mut()
        .insert("origin", "https://shop.example".parse().unwrap());
    assert_eq!(
        plain.handle_choice(&own, now()).status(),
        StatusCode::NO_CONTENT
    );
    // A same-origin POST is fine.
    let mut same = consent_post("choice=reject-all");
    same.headers_mut()
        .insert("origin", "https://shop.example".parse().unwrap());
    same.headers_mut()
        .insert("sec-fetch-site", "same-origin".parse().unwrap());
    assert_eq!(
        b.handle_choice(&same, now()).status(),
        StatusCode::NO_CONTENT
    );
}

#[test]
fn mangled_forged_and_oversized_cookies_read_as_no_choice() {
    let b = banner();
    let good = consent_pair(&b.handle_choice(&consent_post("choice=accept-all"), now()));
    let value = good.split_once('=').unwrap().1;
    let forged = format!("{CONSENT_COOKIE_NAME}={}", value.replacen(".f.", ".e.", 1));
    for cookie in [
        forged,
        format!("{CONSENT_COOKIE_NAME}=c2.site.2.f.garbage"),
        "\u{7f}\u{1}=;;;=".to_owned(),
        format!("{good}; pad={}", "x".repeat(20_000)),
    ] {
        let Ok(req) = Request::get("https://shop.example/")
            .header("cookie", &cookie)
            .body(())
        else {
            continue;
        };
        let v = b.read(req.headers(), now());
        assert!(v.consent.is_none(), "{}", &cookie[..cookie.len().min(60)]);
        assert!(v.needs_prompt);
    }
    // A non-UTF-8 byte does not hide a carried ad cookie from deletion.
    let b2 = banner();
    let raw = http::HeaderValue::from_bytes(b"_ads=a; junk=\xff\xfe; other=1").unwrap();
    let req = Request::get("https://shop.example/")
        .header("cookie", raw)
        .header("sec-gpc", "1")
        .body(())
        .unwrap();
    let visitor = b2.read(req.headers(), now());
    let (headers, _) = b2.decide(&visitor, &[], now());
    assert!(
        headers
            .iter()
            .any(|h| h.to_str().unwrap().starts_with("_ads=;")),
        "{headers:?}"
    );
    // Stale after the validity window (default 6 months).
    let v = b.read(
        page_request(&good, false).headers(),
        now() + TimeDelta::days(400),
    );
    assert!(v.consent.is_none());
}

fn arb_method() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("GET".to_owned()),
        Just("HEAD".to_owned()),
        Just("POST".to_owned()),
        Just("post".to_owned()),
        "[A-Z]{1,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Hostile requests never panic, always get a known status, and never
    /// change the store without a valid token.
    #[test]
    fn hostile_requests_never_change_state(
        method in arb_method(),
        query in "[ -~]{0,80}",
        content_type in prop::option::of(prop_oneof![Just(FORM.to_owned()), "[ -~]{0,40}"]),
        body in prop::collection::vec(any::<u8>(), 0..300),
        cookie in "[ -~]{0,200}",
    ) {
        let d = subscribed_driver();
        let uri = format!("https://mail.acme.example/x?{}", query.replace(' ', "+").replace('#', "%23"));
        let Ok(mut req) = Request::builder().method(method.as_str()).uri(uri.as_str()).body(body.clone()) else {
            return Ok(());
        };
        if let Some(ct) = &content_type {
            if let Ok(v) = ct.parse() { req.headers_mut().insert("content-type", v); }
        }
        if let Ok(v) = cookie.parse() { req.headers_mut().insert("cookie", v); }
        let known = [200, 204, 303, 400, 403, 405, 413];
        let r = endpoint().handle(&d, &req, at(2));
        prop_assert!(known.contains(&r.status().as_u16()));
        let r = preferences().handle(&d, &req, at(2));
        prop_assert!(known.contains(&r.status().as_u16()));
        let r = banner().handle_choice(&req, now());
        prop_assert!(known.contains(&r.status().as_u16()));
        let _ = banner().read(req.headers(), now());
        prop_assert_eq!(d.store().len(), 2);
    }
}
