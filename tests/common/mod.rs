//! Helpers shared by the integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use consentry::{
    Action, Basis, ConsentEvent, ConsentKey, Driver, EmailAddress, EventId, Evidence, LedgerPolicy,
    ListId, MemoryStore, OptOutChannel, OutboundMessage, RecordingMailer, TenantId,
};

/// An erasure salt for the tests (at least 16 bytes).
pub const SALT: &[u8] = b"a-secret-salt-of-16+";

/// A driver over a fresh memory store that can erase (salted with [`SALT`]).
pub fn salted_driver(policy: LedgerPolicy) -> Driver<MemoryStore, RecordingMailer> {
    Driver::new(MemoryStore::new(), RecordingMailer::new(), policy)
        .with_erasure_salt(SALT.to_vec())
        .unwrap()
}

/// The physical address and unsubscribe link a compliant promotion ends
/// with.
pub const FOOTER: &str = "<p>Shop Inc, 100 Harbour Road, Portland, ME 04101</p>\
    <p><a href=\"https://mail.shop.example/u?token=abc\">Unsubscribe</a></p>";

/// A promotion that passes the lint for [`sender_profile`].
pub fn good_promo() -> OutboundMessage {
    OutboundMessage::builder(addr("deals@news.shop.example"), addr("ann@example.com"))
        .subject("Summer sale")
        .html(format!("<p>30% off sandals.</p>{FOOTER}"))
        .header(
            "List-Unsubscribe",
            "<https://mail.shop.example/u?token=abc>, <mailto:u@shop.example>",
        )
        .header("List-Unsubscribe-Post", "List-Unsubscribe=One-Click")
        .build()
        .unwrap()
}

/// A multi-threaded tokio runtime with two workers, for the async tests.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 5, 12, 0, 0).unwrap()
}

pub fn at(hours: i64) -> DateTime<Utc> {
    t0() + TimeDelta::hours(hours)
}

pub fn addr(s: &str) -> EmailAddress {
    EmailAddress::parse(s).unwrap()
}

pub fn key(tenant: &str, list: &str, address: &str) -> ConsentKey {
    ConsentKey::new(
        TenantId::new(tenant).unwrap(),
        ListId::new(list).unwrap(),
        addr(address),
    )
}

pub fn strong_evidence() -> Evidence {
    Evidence {
        source_url: Some("https://shop.example/signup".parse().unwrap()),
        policy_version: Some("2026-01".into()),
        ..Evidence::default()
    }
}

/// An event for `key`'s tenant, list and address.
pub fn ev(key: &ConsentKey, id: &str, hours: i64, action: Action) -> ConsentEvent {
    ConsentEvent {
        id: EventId::new(id).unwrap(),
        at: at(hours),
        tenant: key.tenant.clone(),
        list: Some(key.list.clone()),
        address: key.address.clone(),
        action,
        evidence: strong_evidence(),
    }
}

pub fn form() -> Action {
    Action::OptedIn {
        basis: Basis::ExpressForm,
    }
}
pub fn requested() -> Action {
    Action::OptedIn {
        basis: Basis::DoubleOptInRequested,
    }
}
pub fn confirmed() -> Action {
    Action::OptedIn {
        basis: Basis::DoubleOptInConfirmed,
    }
}
pub fn imported() -> Action {
    Action::OptedIn {
        basis: Basis::Imported {
            attestation: "CRM export".into(),
        },
    }
}
pub fn customer() -> Action {
    Action::OptedIn {
        basis: Basis::ExistingCustomer,
    }
}
pub fn opt_out() -> Action {
    Action::OptedOut {
        via: OptOutChannel::FooterLink,
    }
}

/// A sender at `shop.example` with a postal address and its unsubscribe
/// link prefix.
pub fn sender_profile() -> consentry::eligibility::SenderProfile {
    consentry::eligibility::SenderProfile {
        domains: vec!["shop.example".into()],
        postal_address: consentry::eligibility::PostalAddress {
            street: Some("100 Harbour Road".into()),
            po_box: None,
            city: "Portland".into(),
            region: Some("ME".into()),
            postal_code: "04101".into(),
            country: "US".into(),
        },
        unsubscribe_url_prefix: Some("https://mail.shop.example/u".parse().unwrap()),
        business_name: None,
        contact: None,
    }
}
