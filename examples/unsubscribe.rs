//! Unsubscribe that cannot be forged or tripped.
//!
//! Issues a signed token, builds the List-Unsubscribe headers, then plays
//! what reaches the endpoint: a mail scanner's GET (refused), the mailbox
//! provider's one-click POST (accepted, deadline printed), the same POST
//! again (a no-op) and a tampered token (refused, with the reason).
//!
//! Run with `cargo run --example unsubscribe`.

use chrono::{TimeDelta, TimeZone, Utc};
use consentry::unsubscribe::{
    build_unsubscribe_headers, BusinessCalendar, KeyRing, OptOutDeadlines, OptOutRule, TokenKey,
};
use consentry::{
    ConsentKey, Driver, EmailAddress, LedgerPolicy, ListId, MemoryStore, OneClickRequest,
    RecordingMailer, TenantId, UnsubscribeSettings,
};
use url::Url;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // In production the secret comes from a secret store, 32 bytes or more.
    let key = TokenKey::new("k2026a", b"an example secret of 32+ bytes!!".to_vec())?;
    let settings = UnsubscribeSettings {
        keys: KeyRing::new(key).with_validity_days(60)?,
        deadlines: OptOutDeadlines::new(
            [OptOutRule::CanSpam, OptOutRule::BulkSender],
            BusinessCalendar::us_federal(2026..=2027, -5 * 3600)?,
        ),
    };
    let driver = Driver::new(
        MemoryStore::new(),
        RecordingMailer::new(),
        LedgerPolicy::default(),
    );

    let tenant = TenantId::new("acme-shop")?;
    let list = ListId::new("weekly-deals")?;
    let ann = EmailAddress::parse("Ann.Lee@Example.com")?;
    let sent = Utc
        .with_ymd_and_hms(2026, 11, 20, 14, 0, 0)
        .single()
        .ok_or("date")?;

    // 1. At send time: a token (under 200 characters; for very long
    //    addresses the store keeps what it stands for) and the two headers.
    let key = ConsentKey::new(tenant.clone(), list.clone(), ann.clone());
    let token = driver.unsubscribe_token(&settings.keys, &key, sent)?;
    let base = Url::parse("https://mail.acme-shop.example/unsubscribe")?;
    let headers =
        build_unsubscribe_headers(&base, &token, Some("unsubscribe@mail.acme-shop.example"))?;
    println!("List-Unsubscribe: {}", headers.list_unsubscribe);
    println!("List-Unsubscribe-Post: {}\n", headers.list_unsubscribe_post);

    let form = Some("application/x-www-form-urlencoded");
    let post = OneClickRequest {
        method: "POST",
        content_type: form,
        body: b"List-Unsubscribe=One-Click",
        token: &token,
    };

    // 2. A link scanner follows the URL with a GET.
    let scan = OneClickRequest {
        method: "GET",
        content_type: None,
        body: b"",
        ..post
    };
    let now = sent + TimeDelta::minutes(3);
    match driver.handle_one_click(&settings, &scan, now) {
        Ok(c) => return Err(format!("a GET must never unsubscribe: {c:?}").into()),
        Err(e) => println!("scanner GET      -> refused: {e}"),
    }

    // 3. The mailbox provider's one-click POST.
    let received = sent + TimeDelta::hours(6);
    let c = driver.handle_one_click(&settings, &post, received)?;
    println!(
        "one-click POST   -> recorded {} for {:?} on `{}`; must take effect by {} ({})",
        c.event,
        c.key.address,
        c.key.list,
        c.deadline.outcome().at,
        c.deadline.rule()
    );

    // 4. The same POST again (a retry): nothing new.
    let again = driver.handle_one_click(&settings, &post, received + TimeDelta::minutes(1))?;
    println!(
        "same POST again  -> newly recorded: {}; events stored: {}",
        again.newly_recorded,
        driver.store().len()
    );

    // 5. A tampered token: the address swapped for someone else's.
    let mut tampered = token.clone();
    tampered.replace_range(12..14, "QQ");
    let forged = OneClickRequest {
        token: &tampered,
        ..post
    };
    match driver.handle_one_click(&settings, &forged, received) {
        Ok(c) => return Err(format!("a tampered token must be refused: {c:?}").into()),
        Err(e) => println!("tampered token   -> refused: {e}"),
    }

    let key = ConsentKey::new(tenant, list, ann);
    let state = driver.state(&key, received + TimeDelta::hours(1))?;
    println!(
        "\nstate after: promotional {}, transactional {}",
        state.permits_promotional(),
        state.permits_transactional()
    );
    Ok(())
}
