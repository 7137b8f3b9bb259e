//! The example server (`examples/server.rs`, included here as a module),
//! started on 127.0.0.1 with an ephemeral port and driven over real HTTP
//! by a real client. The test stops the server itself.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;
#[allow(dead_code)]
#[path = "../examples/server.rs"]
mod server;

use common::runtime;

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use consentry::edge::sqlite::SqliteStore;
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, EmailAddress, EventId, ListId, SuppressionKind,
    TenantId,
};
use reqwest::{Method, StatusCode};

const SECRET: &[u8] = b"the server test's secret, 32 bytes+";

fn fixed_clock() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap()
}

/// A server on an ephemeral loopback port; dropped, it shuts down.
struct Running {
    address: SocketAddr,
    app: Arc<server::App>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Running {
    async fn start() -> Running {
        let app = Arc::new(
            server::App::new(SqliteStore::open_in_memory().unwrap(), SECRET, fixed_clock).unwrap(),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        assert!(address.ip().is_loopback());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let router = server::router(Arc::clone(&app));
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        Running {
            address,
            app,
            stop: Some(stop),
            task: Some(task),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap();
        }
        // The port is closed once the server has stopped.
        assert!(tokio::net::TcpStream::connect(self.address).await.is_err());
    }

    async fn subscribe(&self, address: &str) -> String {
        let key = ConsentKey::new(
            TenantId::new("acme").unwrap(),
            ListId::new("news").unwrap(),
            EmailAddress::parse(address).unwrap(),
        );
        let event = ConsentEvent::new(
            EventId::new(format!("signup-{address}")).unwrap(),
            fixed_clock() - chrono::TimeDelta::days(1),
            &key,
            Action::OptedIn {
                basis: Basis::ExpressForm,
            },
        );
        self.app.driver.record(&event).await.unwrap();
        self.app.unsubscribe.settings().keys.issue_sealed(
            &key.tenant,
            &key.list,
            &key.address,
            fixed_clock(),
        )
    }

    async fn opt_outs(&self, address: &str) -> usize {
        let export = self
            .app
            .driver
            .export(&EmailAddress::parse(address).unwrap(), fixed_clock())
            .await
            .unwrap();
        export
            .events
            .iter()
            .filter(|e| matches!(e.action, Action::OptedOut { .. }))
            .count()
    }

    async fn opted_out(&self, address: &str) -> bool {
        let key = ConsentKey::new(
            TenantId::new("acme").unwrap(),
            ListId::new("news").unwrap(),
            EmailAddress::parse(address).unwrap(),
        );
        self.app
            .driver
            .state(&key, fixed_clock())
            .await
            .unwrap()
            .suppressions()
            .iter()
            .any(|s| s.kind == SuppressionKind::OptedOut)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed assertion still stops the server.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

async fn one_click(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap()
}

#[test]
fn one_click_over_http_records_exactly_once() {
    runtime().block_on(async {
        let server = Running::start().await;
        let client = client();
        let token = server.subscribe("ann@example.com").await;
        let url = server.url(&format!("/unsubscribe?token={token}"));

        // Scanners: GET, HEAD and a lower-case method record nothing.
        let get = client.get(&url).send().await.unwrap();
        assert_eq!(get.status(), StatusCode::OK);
        assert!(get.text().await.unwrap().contains("List-Unsubscribe"));
        let head = client.head(&url).send().await.unwrap();
        assert_eq!(head.status(), StatusCode::OK);
        let lower = client
            .request(Method::from_bytes(b"post").unwrap(), &url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap();
        assert_eq!(lower.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(server.opt_outs("ann@example.com").await, 0);

        // The one-click POST: 200, no redirect, one opt-out.
        let post = one_click(&client, &url).await;
        assert_eq!(post.status(), StatusCode::OK);
        assert!(post.headers().get("location").is_none());
        assert_eq!(server.opt_outs("ann@example.com").await, 1);
        assert!(server.opted_out("ann@example.com").await);

        // Replayed: nothing appended.
        for _ in 0..3 {
            assert_eq!(one_click(&client, &url).await.status(), StatusCode::OK);
        }
        assert_eq!(server.opt_outs("ann@example.com").await, 1);

        // A tampered token is refused and changes nothing.
        let bob = server.subscribe("bob@example.com").await;
        let mut tampered = bob.clone();
        let last = tampered.pop().unwrap();
        tampered.push(if last == 'A' { 'B' } else { 'A' });
        let refused = one_click(
            &client,
            &server.url(&format!("/unsubscribe?token={tampered}")),
        )
        .await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN);
        assert_eq!(server.opt_outs("bob@example.com").await, 0);

        // An oversized body is refused before it is parsed.
        let big = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(vec![b'a'; 64 * 1024])
            .send()
            .await
            .unwrap();
        assert_eq!(big.status(), StatusCode::PAYLOAD_TOO_LARGE);
        server.stop().await;
    });
}

#[test]
fn a_hundred_concurrent_posts_for_a_hundred_people_record_a_hundred_opt_outs() {
    runtime().block_on(async {
        let server = Running::start().await;
        let client = client();
        let mut urls = Vec::new();
        for i in 0..100 {
            let token = server.subscribe(&format!("person{i}@example.com")).await;
            urls.push(server.url(&format!("/unsubscribe?token={token}")));
        }
        let mut tasks = Vec::new();
        for url in urls {
            let client = client.clone();
            tasks.push(tokio::spawn(async move {
                one_click(&client, &url).await.status()
            }));
        }
        for task in tasks {
            assert_eq!(task.await.unwrap(), StatusCode::OK);
        }
        for i in 0..100 {
            let address = format!("person{i}@example.com");
            assert_eq!(server.opt_outs(&address).await, 1, "{address}");
        }
        server.stop().await;
    });
}

#[test]
fn the_preference_page_works_over_http() {
    runtime().block_on(async {
        let server = Running::start().await;
        let client = client();
        let token = server.subscribe("cy@example.com").await;
        let url = server.url(&format!("/preferences?token={token}"));
        let page = client.get(&url).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(page
            .text()
            .await
            .unwrap()
            .contains("value=\"news\" checked"));
        let saved = client
            .post(&url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body("choice=lists")
            .send()
            .await
            .unwrap();
        assert_eq!(saved.status(), StatusCode::OK);
        assert!(server.opted_out("cy@example.com").await);
        server.stop().await;
    });
}

#[test]
fn a_cookie_choice_round_trips_and_gpc_overrides_advertising() {
    runtime().block_on(async {
        let server = Running::start().await;
        let client = client();

        // First visit: the banner is shown; only the necessary cookie is set.
        let first = client.get(server.url("/")).send().await.unwrap();
        let set: Vec<String> = first
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(set.len(), 1, "{set:?}");
        assert!(set[0].starts_with("session="));
        assert!(first.text().await.unwrap().contains("banner: shown"));

        // The banner's choice: accept all.
        let choice = client
            .post(server.url("/consent"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("choice=accept-all&return_to=/")
            .send()
            .await
            .unwrap();
        assert_eq!(choice.status(), StatusCode::SEE_OTHER);
        assert_eq!(choice.headers()["location"], "/");
        let consent = choice
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|c| c.starts_with("__Host-consentry_choice="))
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();

        // The next request honours it: all three cookies set.
        let next = client
            .get(server.url("/"))
            .header("cookie", &consent)
            .send()
            .await
            .unwrap();
        let names: Vec<String> = next
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["session", "_stats", "_ads"]);
        let body = next.text().await.unwrap();
        assert!(!body.contains("banner: shown"));
        assert!(body.contains("_ads: set (cookie.granted)"));

        // GPC overrides advertising: not set, the carried one removed, the
        // ad opt-out cookie set.
        let gpc = client
            .get(server.url("/"))
            .header("cookie", format!("{consent}; _ads=ad1"))
            .header("sec-gpc", "1")
            .send()
            .await
            .unwrap();
        let set: Vec<String> = gpc
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert!(
            set.iter()
                .any(|c| c.starts_with("_ads=;") && c.contains("Max-Age=0")),
            "{set:?}"
        );
        assert!(set.iter().any(|c| c.starts_with("_stats=st1")));
        assert!(
            set.iter().any(|c| c.starts_with("consentry_ad_opt_out=1")),
            "{set:?}"
        );
        let body = gpc.text().await.unwrap();
        assert!(body.contains("_ads: not set (cookie.gpc)"), "{body}");

        // A cross-site POST cannot flip the choice.
        let csrf = client
            .post(server.url("/consent"))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .body("choice=accept-all")
            .send()
            .await
            .unwrap();
        assert_eq!(csrf.status(), StatusCode::FORBIDDEN);
        assert!(csrf.headers().get("set-cookie").is_none());
        server.stop().await;
    });
}
