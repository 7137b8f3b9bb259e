//! A real HTTP server on the SQLite store: the one-click unsubscribe
//! endpoint, the preference page and the cookie banner, wired into axum.
//!
//! Run with `cargo run --example server --features async,http,sqlite`
//! (or `--all-features`). It listens on 127.0.0.1 (port from `PORT`, else
//! a free one), prints its address and a one-click and a preference URL
//! for a demo subscriber, and keeps its SQLite file at `CONSENTRY_DB` (else
//! a file in the temporary directory). Try:
//!
//! ```text
//! curl -i "$URL"                                          # GET: a confirmation page, nothing changes
//! curl -i -X POST -d List-Unsubscribe=One-Click "$URL"    # the one-click POST: recorded once
//! curl -i -X POST -d choice=reject-all http://ADDR/consent # the banner: Set-Cookie
//! ```
//!
//! The integration test `tests/server.rs` includes this file and drives
//! [`router`] over real HTTP.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Response, StatusCode};
use axum::routing::{any, get};
use axum::Router;
use chrono::{DateTime, Utc};
use consentry::cookie::{AdOptOut, ConsentKeys, CookiePolicy};
use consentry::edge::http::{
    CookieBanner, ListChoice, PreferenceEndpoint, UnsubscribeEndpoint, MAX_FORM_BYTES,
};
use consentry::edge::sqlite::SqliteStore;
use consentry::unsubscribe::{BusinessCalendar, KeyRing, OptOutDeadlines, OptOutRule, TokenKey};
use consentry::{
    AsyncDriver, Blocking, LedgerPolicy, ListId, RecordingMailer, UnsubscribeSettings,
};

/// The driver the server runs: SQLite on its own thread, behind the async port.
pub type ServerDriver = AsyncDriver<Blocking<SqliteStore>, RecordingMailer>;

/// Everything the handlers share.
pub struct App {
    /// The consent driver.
    pub driver: ServerDriver,
    /// `/unsubscribe`: the RFC 8058 one-click URL.
    pub unsubscribe: UnsubscribeEndpoint,
    /// `/preferences`: the preference page.
    pub preferences: PreferenceEndpoint,
    /// `/` and `/consent`: the cookie banner.
    pub banner: CookieBanner,
    /// The clock (the only place the server reads time).
    pub clock: fn() -> DateTime<Utc>,
}

/// The wall clock: the host edge reads time, the decisions take it as a parameter.
#[allow(clippy::disallowed_methods)]
pub fn wall_clock() -> DateTime<Utc> {
    DateTime::<Utc>::from(std::time::SystemTime::now())
}

/// The site's cookie policy: a session cookie, an analytics and an ad cookie.
pub const COOKIE_POLICY: &str = r#"{
  "revision": 1,
  "cookies": [
    {"name": "session", "domain": "localhost", "path": "/", "category": "strictly_necessary", "lifetime": "session"},
    {"name": "_stats", "domain": "localhost", "path": "/", "category": "analytics", "lifetime": {"days": 30}},
    {"name": "_ads", "domain": "localhost", "path": "/", "category": "advertising", "lifetime": {"days": 30}}
  ]
}"#;

/// A key for one purpose, derived from the server's secret (HMAC-SHA256),
/// so the unsubscribe tokens and the consent cookie never share a key.
pub fn derive(secret: &[u8], purpose: &[u8]) -> Vec<u8> {
    use hmac::{Hmac, Mac};
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(purpose);
    mac.finalize().into_bytes().to_vec()
}

/// The unsubscribe settings: token keys and the opt-out deadline rules.
pub fn unsubscribe_settings(
    secret: &[u8],
) -> Result<UnsubscribeSettings, Box<dyn std::error::Error>> {
    Ok(UnsubscribeSettings {
        keys: KeyRing::new(TokenKey::new("k1", derive(secret, b"unsubscribe-token"))?),
        deadlines: OptOutDeadlines::new(
            [OptOutRule::CanSpam, OptOutRule::BulkSender],
            BusinessCalendar::us_federal(2026..=2030, 0)?,
        ),
    })
}

impl App {
    /// The app over `store`, with the unsubscribe-token key and the
    /// consent-cookie key derived from `secret` (32 bytes or more; from a
    /// secret store in production), one per purpose.
    pub fn new(
        store: SqliteStore,
        secret: &[u8],
        clock: fn() -> DateTime<Utc>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let settings = unsubscribe_settings(secret)?;
        let (policy, _warnings) = CookiePolicy::from_json(COOKIE_POLICY)?;
        let banner = CookieBanner::new(
            policy,
            ConsentKeys::new(TokenKey::new("site1", derive(secret, b"consent-cookie"))?),
        )
        .with_ad_opt_out(AdOptOut::new("localhost")?);
        let lists = [
            ListChoice::new(ListId::new("news")?, "The weekly newsletter"),
            ListChoice::new(ListId::new("offers")?, "Offers and sales"),
        ];
        Ok(App {
            driver: AsyncDriver::new(
                Blocking::new(store)?,
                RecordingMailer::new(),
                LedgerPolicy::default(),
            ),
            unsubscribe: UnsubscribeEndpoint::new(settings.clone(), "Acme Shop"),
            preferences: PreferenceEndpoint::new(
                settings,
                "Acme Shop",
                consentry::TenantId::new("acme")?,
                lists,
            ),
            banner,
            clock,
        })
    }
}

/// The request with its body read, at most `MAX_FORM_BYTES` (bounded
/// memory whatever the client sends); `Err` is the `413` to answer.
async fn buffered(
    request: Request,
) -> Result<axum::http::Request<axum::body::Bytes>, Response<String>> {
    let (parts, body) = request.into_parts();
    match to_bytes(body, MAX_FORM_BYTES).await {
        Ok(bytes) => Ok(axum::http::Request::from_parts(parts, bytes)),
        Err(_) => {
            let mut r = Response::new("request body too large".to_owned());
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            Err(r)
        }
    }
}

async fn unsubscribe(State(app): State<Arc<App>>, request: Request) -> Response<String> {
    match buffered(request).await {
        Ok(request) => {
            app.unsubscribe
                .handle_async(&app.driver, &request, (app.clock)())
                .await
        }
        Err(too_large) => too_large,
    }
}

async fn preferences(State(app): State<Arc<App>>, request: Request) -> Response<String> {
    match buffered(request).await {
        Ok(request) => {
            app.preferences
                .handle_async(&app.driver, &request, (app.clock)())
                .await
        }
        Err(too_large) => too_large,
    }
}

async fn consent(State(app): State<Arc<App>>, request: Request) -> Response<String> {
    match buffered(request).await {
        Ok(request) => app.banner.handle_choice(&request, (app.clock)()),
        Err(too_large) => too_large,
    }
}

/// A page that wants three cookies; the banner decides which it may set.
async fn home(State(app): State<Arc<App>>, request: Request) -> Response<Body> {
    let now = (app.clock)();
    let visitor = app.banner.read(request.headers(), now);
    let wanted = [("session", "s1"), ("_stats", "st1"), ("_ads", "ad1")];
    let (set_cookies, decisions) = app.banner.decide(&visitor, &wanted, now);
    let mut text = String::new();
    if visitor.needs_prompt {
        text.push_str("banner: shown (POST /consent with choice=accept-all|reject-all|custom)\n");
    }
    for (name, decision) in &decisions {
        let verdict = if decision.is_allowed() {
            "set"
        } else {
            "not set"
        };
        let rule = decision
            .reasons()
            .first()
            .map(|r| r.rule.to_string())
            .unwrap_or_default();
        text.push_str(&format!("{name}: {verdict} ({rule})\n"));
    }
    let mut response = Response::new(Body::from(text));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    for value in set_cookies {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// The routes: `/unsubscribe` and `/preferences` take every method (the
/// endpoints answer `405` themselves), `/consent` the banner's POST, `/`
/// a page that sets cookies.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/unsubscribe", any(unsubscribe))
        .route("/preferences", any(preferences))
        .route("/consent", any(consent))
        .with_state(app)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let db = std::env::var_os("CONSENTRY_DB")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("consentry-server-example.db"));
    let store = SqliteStore::open(&db)?;
    // A development secret; read it from a secret store in production.
    let secret = b"consentry server example secret, 32+ bytes";
    let app = Arc::new(App::new(store, secret, wall_clock)?);

    // A demo subscriber, so the printed links do something (recorded at a
    // fixed time, so a second run finds the same event: a duplicate).
    let now = wall_clock();
    let signed_up = DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or(now);
    let tenant = consentry::TenantId::new("acme")?;
    let news = ListId::new("news")?;
    let ann = consentry::EmailAddress::parse("ann@example.com")?;
    let key = consentry::ConsentKey::new(tenant.clone(), news.clone(), ann.clone());
    app.driver
        .record(&consentry::ConsentEvent::new(
            consentry::EventId::new("demo-signup")?,
            signed_up,
            &key,
            consentry::Action::OptedIn {
                basis: consentry::Basis::ExpressForm,
            },
        ))
        .await?;
    let token = app
        .driver
        .unsubscribe_token(&app.unsubscribe.settings().keys, &key, now)
        .await?;

    let port: u16 = std::env::var("PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    let address = listener.local_addr()?;
    println!("consentry example server listening on http://{address}");
    println!("SQLite store: {}", db.display());
    println!("one-click URL:  http://{address}/unsubscribe?token={token}");
    println!("preferences:    http://{address}/preferences?token={token}");
    println!("cookie banner:  http://{address}/ (POST /consent)");
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
