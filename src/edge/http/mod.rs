//! The HTTP edge (feature `http`): handlers on the [`http`] crate's
//! types, usable from any framework (axum, hyper, actix through its `http`
//! conversions, a test harness).
//!
//! Each handler takes an `http::Request<B>` whose body is already in memory
//! (`B: AsRef<[u8]>`: `Bytes`, `Vec<u8>`, `&[u8]`) and returns an
//! `http::Response<String>`, which axum and hyper can send as it is.
//! Read bodies with a limit of [`MAX_FORM_BYTES`] (in axum:
//! `DefaultBodyLimit::max(MAX_FORM_BYTES)`); the handlers refuse anything
//! larger again, from its `Content-Length` or its length, before parsing.
//!
//! - [`UnsubscribeEndpoint`]: the RFC 8058 one-click URL. Only a `POST`
//!   with `List-Unsubscribe=One-Click` records an opt-out, answered `200`
//!   without a redirect; `GET` and `HEAD` show a confirmation page whose
//!   button POSTs and never change state; any other method (method names
//!   are case-sensitive: `post` is not `POST`) is `405`. A malformed body
//!   is `400`; a malformed, forged, unknown-key or expired token is `403`
//!   with one page for all of them, so nothing helps a forger. A repeated
//!   POST records nothing new.
//! - [`PreferenceEndpoint`]: the preference page behind the same token:
//!   unsubscribe from everything, or choose list by list (form POSTs).
//! - [`CookieBanner`]: reads `Cookie`, `Sec-GPC` and `DNT`, decides, and
//!   returns the `Set-Cookie` headers for the response (grants, deletions
//!   after a withdrawal or a GPC signal, the ad opt-out cookie); handles
//!   the banner's form POST, which stores the visitor's choice in its
//!   signed cookie.
//!
//! Every page is HTML with everything interpolated escaped, and every
//! response carries `Cache-Control: no-store`, `Referrer-Policy:
//! no-referrer` (the token is in the URL), `X-Content-Type-Options:
//! nosniff` and a restrictive `Content-Security-Policy`.
//!
//! Each endpoint has a sync `handle` over [`Driver`](crate::Driver) and,
//! with feature `async`, `handle_async` over
//! [`AsyncDriver`](crate::AsyncDriver): both run the same code.

mod cookies;
mod page;
mod unsubscribe;

use std::future::{ready, Future};

use ::http::header::{HeaderMap, CONTENT_LENGTH, CONTENT_TYPE};
use ::http::{Request, Response, StatusCode};
use chrono::{DateTime, Utc};

pub use cookies::{BannerChoice, CookieBanner, VisitorCookies, CONSENT_FORM_FIELDS};
pub use unsubscribe::{ListChoice, PreferenceEndpoint, PreferenceError, UnsubscribeEndpoint};

use crate::consent::{ConsentEvent, ConsentKey, ConsentState};
use crate::edge::driver::{
    OneClickConfirmation, OneClickError, OneClickRequest, ServiceError, UnsubscribeSettings,
};
use crate::edge::ports::{AppendOutcome, ConsentStore, Mailer};
use crate::unsubscribe::{KeyRing, VerifiedToken};

/// The largest request body the handlers read: 8 KiB, enough for any form
/// they serve. Larger bodies are answered `413` before parsing.
pub const MAX_FORM_BYTES: usize = crate::unsubscribe::MAX_BODY_BYTES;

/// Why a driver call made through an endpoint failed, as the endpoint
/// answers it.
#[derive(Debug)]
pub(crate) enum CallFailure {
    /// The store failed: `503`, safe to retry.
    Unavailable,
    /// The event was refused or a configuration error: `500`.
    Internal,
}

impl<S: std::error::Error, M: std::error::Error> From<ServiceError<S, M>> for CallFailure {
    fn from(e: ServiceError<S, M>) -> Self {
        match e {
            ServiceError::Store(_) | ServiceError::ConcurrentChange => CallFailure::Unavailable,
            _ => CallFailure::Internal,
        }
    }
}

/// The driver operations the endpoints need, for both drivers.
pub(crate) trait Calls {
    type StoreError: std::error::Error + Send + Sync + 'static;
    fn one_click(
        &self,
        settings: &UnsubscribeSettings,
        request: &OneClickRequest<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<OneClickConfirmation, OneClickError<Self::StoreError>>> + Send;
    fn state(
        &self,
        key: &ConsentKey,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ConsentState, CallFailure>> + Send;
    fn record(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, CallFailure>> + Send;
    /// The verified token, `None` when it does not verify.
    fn verify(
        &self,
        keys: &KeyRing,
        token: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<VerifiedToken>, CallFailure>> + Send;
}

/// A verification's result as the endpoints use it.
fn verified<S: std::error::Error, M: std::error::Error>(
    result: Result<VerifiedToken, ServiceError<S, M>>,
) -> Result<Option<VerifiedToken>, CallFailure> {
    match result {
        Ok(token) => Ok(Some(token)),
        Err(ServiceError::Token(_)) => Ok(None),
        Err(e) => Err(CallFailure::from(e)),
    }
}

impl<S: ConsentStore, M: Mailer> Calls for crate::Driver<S, M> {
    type StoreError = S::Error;
    fn one_click(
        &self,
        settings: &UnsubscribeSettings,
        request: &OneClickRequest<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<OneClickConfirmation, OneClickError<Self::StoreError>>> + Send
    {
        ready(self.handle_one_click(settings, request, now))
    }
    fn state(
        &self,
        key: &ConsentKey,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ConsentState, CallFailure>> + Send {
        ready(crate::Driver::state(self, key, now).map_err(CallFailure::from))
    }
    fn record(
        &self,
        event: &ConsentEvent,
    ) -> impl Future<Output = Result<AppendOutcome, CallFailure>> + Send {
        ready(crate::Driver::record(self, event).map_err(CallFailure::from))
    }
    fn verify(
        &self,
        keys: &KeyRing,
        token: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<VerifiedToken>, CallFailure>> + Send {
        ready(verified(crate::Driver::verify_token(
            self, keys, token, now,
        )))
    }
}

#[cfg(feature = "async")]
impl<S, M> Calls for crate::AsyncDriver<S, M>
where
    S: crate::AsyncConsentStore,
    M: crate::AsyncMailer,
{
    type StoreError = S::Error;
    fn one_click(
        &self,
        settings: &UnsubscribeSettings,
        request: &OneClickRequest<'_>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<OneClickConfirmation, OneClickError<Self::StoreError>>> + Send
    {
        self.handle_one_click(settings, request, now)
    }
    async fn state(
        &self,
        key: &ConsentKey,
        now: DateTime<Utc>,
    ) -> Result<ConsentState, CallFailure> {
        crate::AsyncDriver::state(self, key, now)
            .await
            .map_err(CallFailure::from)
    }
    async fn record(&self, event: &ConsentEvent) -> Result<AppendOutcome, CallFailure> {
        crate::AsyncDriver::record(self, event)
            .await
            .map_err(CallFailure::from)
    }
    async fn verify(
        &self,
        keys: &KeyRing,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<VerifiedToken>, CallFailure> {
        verified(crate::AsyncDriver::verify_token(self, keys, token, now).await)
    }
}

/// Whether the request's body is over `limit`, by its `Content-Length`
/// (several or unreadable values count as over) or by its length.
pub(crate) fn body_too_large(headers: &HeaderMap, body: &[u8], limit: usize) -> bool {
    let mut lengths = headers.get_all(CONTENT_LENGTH).iter();
    let declared = match (lengths.next(), lengths.next()) {
        (None, _) => Some(0),
        (Some(v), None) => v.to_str().ok().and_then(|s| s.trim().parse::<u64>().ok()),
        (Some(_), Some(_)) => None,
    };
    let declared_over = declared.is_none_or(|n| n > limit as u64);
    declared_over || body.len() > limit
}

/// The request's `Content-Type`, when it is one readable value.
pub(crate) fn content_type(headers: &HeaderMap) -> Option<&str> {
    let mut values = headers.get_all(CONTENT_TYPE).iter();
    match (values.next(), values.next()) {
        (Some(v), None) => v.to_str().ok(),
        _ => None,
    }
}

/// The one value of query parameter `name`; `None` when it is missing or
/// given more than once (ambiguous input is refused, not guessed).
pub(crate) fn query_param<B>(request: &Request<B>, name: &str) -> Option<String> {
    let query = request.uri().query()?;
    if query.len() > 4 * 1024 {
        return None;
    }
    let mut found = None;
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        if k == name {
            if found.is_some() {
                return None;
            }
            found = Some(v.into_owned());
        }
    }
    found
}

/// A form body's fields, when the request is an URL-encoded form of at
/// most `max_fields` fields whose names are all in `allowed`.
pub(crate) fn form_fields(
    headers: &HeaderMap,
    body: &[u8],
    allowed: &[&str],
    max_fields: usize,
) -> Option<Vec<(String, String)>> {
    let media = content_type(headers)?
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media != "application/x-www-form-urlencoded" {
        return None;
    }
    let text = std::str::from_utf8(body).ok()?;
    let mut fields = Vec::new();
    for (k, v) in url::form_urlencoded::parse(text.trim().as_bytes()) {
        if fields.len() == max_fields || !allowed.contains(&k.as_ref()) {
            return None;
        }
        fields.push((k.into_owned(), v.into_owned()));
    }
    Some(fields)
}

/// A response with the security headers every page carries.
pub(crate) fn respond(status: StatusCode, body: String) -> Response<String> {
    let mut response = Response::new(body);
    *response.status_mut() = status;
    let headers = response.headers_mut();
    for (name, value) in [
        ("content-type", "text/html; charset=utf-8"),
        ("cache-control", "no-store"),
        ("referrer-policy", "no-referrer"),
        ("x-content-type-options", "nosniff"),
        (
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    ] {
        headers.insert(name, ::http::HeaderValue::from_static(value));
    }
    response
}

/// `405` with the methods the endpoint serves.
pub(crate) fn method_not_allowed(allow: &'static str) -> Response<String> {
    let mut r = respond(
        StatusCode::METHOD_NOT_ALLOWED,
        page::message(
            "Method not allowed",
            &format!("This address only answers {allow}."),
        ),
    );
    r.headers_mut().insert(
        ::http::header::ALLOW,
        ::http::HeaderValue::from_static(allow),
    );
    r
}

/// A `HEAD` answer: the `GET` answer without its body.
pub(crate) fn without_body(mut response: Response<String>) -> Response<String> {
    response.body_mut().clear();
    response
}
