//! The one-click unsubscribe URL and the preference page.

use ::http::{HeaderValue, Method, Request, Response, StatusCode};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

use super::page::{document, escape, message};
use super::{
    body_too_large, content_type, form_fields, method_not_allowed, query_param, respond,
    without_body, CallFailure, Calls, MAX_FORM_BYTES,
};
use crate::consent::{
    Action, ConsentEvent, ConsentKey, ConsentState, Evidence, OptOutChannel, SuppressionKind,
};
use crate::edge::driver::{OneClickError, OneClickRequest, UnsubscribeSettings};
use crate::edge::engine::run_ready;
use crate::edge::ports::{ConsentStore, Mailer};
use crate::ids::{EventId, ListId, Scope, TenantId};
use crate::unsubscribe::VerifiedToken;

/// The one page every refused token gets, whatever the reason (malformed,
/// forged, unknown key, from the future, expired): a forger learns nothing.
fn invalid_link() -> Response<String> {
    respond(
        StatusCode::FORBIDDEN,
        message(
            "This link is not valid",
            "This unsubscribe link is not valid or has expired. Use the link in a recent \
             message from us, or reply to it and ask to be removed.",
        ),
    )
}

fn unavailable() -> Response<String> {
    let mut r = respond(
        StatusCode::SERVICE_UNAVAILABLE,
        message(
            "Please try again",
            "We could not record your request just now. Nothing was changed; please try again in a minute.",
        ),
    );
    r.headers_mut()
        .insert(::http::header::RETRY_AFTER, HeaderValue::from_static("60"));
    r
}

/// A store failure part-way through a preference save.
fn failure_partial(f: CallFailure) -> Response<String> {
    let mut r = failure(f);
    *r.body_mut() = message(
        "Please try again",
        "We could not record all of your choices just now. Please send the form again in a minute.",
    );
    r
}

fn internal() -> Response<String> {
    respond(
        StatusCode::INTERNAL_SERVER_ERROR,
        message(
            "Something went wrong",
            "We could not record your request. Please reply to our message and ask to be removed.",
        ),
    )
}

fn failure(f: CallFailure) -> Response<String> {
    match f {
        CallFailure::Unavailable => unavailable(),
        CallFailure::Internal => internal(),
    }
}

fn too_large() -> Response<String> {
    respond(
        StatusCode::PAYLOAD_TOO_LARGE,
        message(
            "Request too large",
            "The request body is larger than this page accepts.",
        ),
    )
}

fn bad_request(text: &str) -> Response<String> {
    respond(StatusCode::BAD_REQUEST, message("Bad request", text))
}

/// The RFC 8058 one-click unsubscribe URL
/// (`List-Unsubscribe: <https://…/unsubscribe?token=…>`).
///
/// | request | answer | state |
/// |---|---|---|
/// | `POST`, body `List-Unsubscribe=One-Click`, valid token | `200`, no redirect | one opt-out (a repeat records nothing new) |
/// | `GET` / `HEAD`, valid token | `200`, a page whose button POSTs | unchanged |
/// | any token refused (malformed, forged, unknown key, expired) | `403`, one page for all | unchanged |
/// | `POST` with another body | `400` | unchanged |
/// | body over [`MAX_FORM_BYTES`] | `413` before parsing | unchanged |
/// | any other method (`post`, `PUT`, …) | `405` with `Allow` | unchanged |
/// | the store fails | `503` with `Retry-After` (a retry cannot record twice) | unchanged |
///
/// An honoured POST's response carries the
/// [`OneClickConfirmation`](crate::OneClickConfirmation) in its extensions
/// (`response.extensions().get::<OneClickConfirmation>()`): whose opt-out,
/// whether this request recorded it, and its deadline, for the host to
/// forward to its sending provider or log.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use consentry::edge::http::UnsubscribeEndpoint;
/// use consentry::unsubscribe::{BusinessCalendar, KeyRing, OptOutDeadlines, OptOutRule, TokenKey};
/// use consentry::{ConsentKey, Driver, EmailAddress, LedgerPolicy, ListId, MemoryStore, RecordingMailer, TenantId, UnsubscribeSettings};
///
/// let settings = UnsubscribeSettings {
///     keys: KeyRing::new(TokenKey::new("k1", [9u8; 32])?),
///     deadlines: OptOutDeadlines::new([OptOutRule::CanSpam], BusinessCalendar::us_federal(2026..=2027, 0)?),
/// };
/// let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
/// let driver = Driver::new(MemoryStore::new(), RecordingMailer::new(), LedgerPolicy::default());
/// let ann = ConsentKey::new(TenantId::new("acme")?, ListId::new("news")?, EmailAddress::parse("ann@example.com")?);
/// let token = driver.unsubscribe_token(&settings.keys, &ann, now)?;
/// let endpoint = UnsubscribeEndpoint::new(settings, "Acme Shop");
///
/// let uri = format!("https://mail.acme.example/unsubscribe?token={token}");
/// let get = http::Request::get(&uri).body(Vec::new())?;
/// assert_eq!(endpoint.handle(&driver, &get, now).status(), 200);
/// assert!(driver.store().is_empty()); // a GET changes nothing
///
/// let post = http::Request::post(&uri)
///     .header("content-type", "application/x-www-form-urlencoded")
///     .body(b"List-Unsubscribe=One-Click".to_vec())?;
/// assert_eq!(endpoint.handle(&driver, &post, now).status(), 200);
/// assert_eq!(endpoint.handle(&driver, &post, now).status(), 200); // idempotent
/// assert_eq!(driver.store().len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct UnsubscribeEndpoint {
    settings: UnsubscribeSettings,
    organisation: String,
}

impl UnsubscribeEndpoint {
    /// An endpoint verifying tokens with `settings`, naming `organisation`
    /// on its pages.
    pub fn new(settings: UnsubscribeSettings, organisation: impl Into<String>) -> Self {
        UnsubscribeEndpoint {
            settings,
            organisation: organisation.into(),
        }
    }

    /// The token keys and deadline rules.
    pub fn settings(&self) -> &UnsubscribeSettings {
        &self.settings
    }

    /// Answer a request to the unsubscribe URL through the sync driver.
    pub fn handle<S, M, B>(
        &self,
        driver: &crate::Driver<S, M>,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Response<String>
    where
        S: ConsentStore,
        M: Mailer,
        B: AsRef<[u8]>,
    {
        run_ready(self.serve(driver, request, now))
    }

    /// Answer a request to the unsubscribe URL through the async driver
    /// (features `http` and `async`).
    #[cfg(feature = "async")]
    pub async fn handle_async<S, M, B>(
        &self,
        driver: &crate::AsyncDriver<S, M>,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Response<String>
    where
        S: crate::AsyncConsentStore,
        M: crate::AsyncMailer,
        B: AsRef<[u8]> + Sync,
    {
        self.serve(driver, request, now).await
    }

    async fn serve<D: Calls, B: AsRef<[u8]>>(
        &self,
        driver: &D,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Response<String> {
        let method = request.method();
        if method == Method::GET || method == Method::HEAD {
            let token = match query_param(request, "token") {
                Some(t) => driver.verify(&self.settings.keys, &t, now).await,
                None => Ok(None),
            };
            let page = match token {
                Ok(Some(token)) => respond(StatusCode::OK, self.confirm_page(&token)),
                Ok(None) => invalid_link(),
                Err(f) => failure(f),
            };
            return if method == Method::HEAD {
                without_body(page)
            } else {
                page
            };
        }
        if method != Method::POST {
            return method_not_allowed("GET, HEAD, POST");
        }
        let body = request.body().as_ref();
        if body_too_large(request.headers(), body, MAX_FORM_BYTES) {
            return too_large();
        }
        let Some(token) = query_param(request, "token") else {
            return invalid_link();
        };
        let one_click = OneClickRequest {
            method: "POST",
            content_type: content_type(request.headers()),
            body,
            token: &token,
        };
        match driver.one_click(&self.settings, &one_click, now).await {
            Ok(done) => {
                let body = format!(
                    "<p>You will receive no more mail from {} on the list <strong>{}</strong>. \
                     The change takes effect at once, and at the latest by {} (UTC).</p>",
                    escape(&self.organisation),
                    escape(done.key.list.as_str()),
                    done.deadline.outcome().at.format("%Y-%m-%d %H:%M"),
                );
                let mut r = respond(StatusCode::OK, document("You are unsubscribed", &body));
                r.extensions_mut().insert(done);
                r
            }
            Err(OneClickError::Refused(_)) => {
                bad_request("This request is not a one-click unsubscribe.")
            }
            Err(OneClickError::Token(_)) => invalid_link(),
            Err(OneClickError::Store(_)) => unavailable(),
            Err(OneClickError::IdConflict(_) | OneClickError::MissingErasureSalt { .. }) => {
                internal()
            }
        }
    }

    fn confirm_page(&self, token: &VerifiedToken) -> String {
        // No `action`: the form posts to this very URL, token included.
        let body = format!(
            "<p>Stop receiving mail from {} on the list <strong>{}</strong>?</p>\
             <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
             <button type=\"submit\">Unsubscribe</button></form>",
            escape(&self.organisation),
            escape(token.list.as_str()),
        );
        document("Unsubscribe", &body)
    }
}

/// One list on the preference page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListChoice {
    /// The list.
    pub id: ListId,
    /// What the page calls it.
    pub label: String,
}

impl ListChoice {
    /// A list and its label.
    pub fn new(id: ListId, label: impl Into<String>) -> Self {
        ListChoice {
            id,
            label: label.into(),
        }
    }
}

/// Why a preference form was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PreferenceError {
    /// The `choice` field is missing, repeated or not `all` / `lists`.
    #[error("the form's choice must be `all` or `lists`")]
    Choice,
    /// A `list` field names a list the page does not offer.
    #[error("the form names a list this page does not offer")]
    UnknownList,
}

/// What a preference form asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
    /// Unsubscribe from every list of the tenant.
    All,
    /// Stay on exactly these lists, leave the others.
    Keep(Vec<ListId>),
}

/// The preference page behind an unsubscribe token: the person sees the
/// tenant's lists, with the ones they receive ticked, and either saves a
/// list-by-list choice or unsubscribes from everything.
///
/// `GET`/`HEAD` render the page and never change state; the form POSTs
/// `choice=lists` with one `list` field per list to stay on, or
/// `choice=all`. A POST records only what differs from the current state:
/// an opt-out via the preference centre for each list left, or one opt-out
/// of the whole tenant for "all" (unless one is in force), so a repeated
/// POST records nothing new.
///
/// The page only ever takes people *off* lists. A token proves that a
/// message reached a mailbox, not that its owner asked for mail: it is in
/// the `List-Unsubscribe` URL that mailbox providers and link scanners
/// fetch, and in every forwarded copy. So a list the person does not
/// receive is shown unticked and disabled, and a `list` field naming it is
/// ignored: subscribing (again) is an express, demonstrable opt-in the host
/// collects in its own signup flow (double opt-in, say), never a side
/// effect of this page.
///
/// Tokens of another tenant than the page's are refused like forged ones.
/// Same answers as [`UnsubscribeEndpoint`] for bad tokens (`403`), bad
/// forms (`400`), oversized bodies (`413`), other methods (`405`) and store
/// failures (`503`). A successful POST's response carries the events it
/// recorded as a `Vec<ConsentEvent>` in its extensions, for the host to
/// forward or log.
#[derive(Clone, Debug)]
pub struct PreferenceEndpoint {
    settings: UnsubscribeSettings,
    organisation: String,
    tenant: TenantId,
    lists: Vec<ListChoice>,
}

impl PreferenceEndpoint {
    /// The page of `tenant`, offering `lists`, verifying tokens with
    /// `settings`.
    pub fn new(
        settings: UnsubscribeSettings,
        organisation: impl Into<String>,
        tenant: TenantId,
        lists: impl IntoIterator<Item = ListChoice>,
    ) -> Self {
        PreferenceEndpoint {
            settings,
            organisation: organisation.into(),
            tenant,
            lists: lists.into_iter().collect(),
        }
    }

    /// The tenant whose lists the page shows.
    pub fn tenant(&self) -> &TenantId {
        &self.tenant
    }

    /// The lists the page offers.
    pub fn lists(&self) -> &[ListChoice] {
        &self.lists
    }

    /// Answer a request to the preference page through the sync driver.
    pub fn handle<S, M, B>(
        &self,
        driver: &crate::Driver<S, M>,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Response<String>
    where
        S: ConsentStore,
        M: Mailer,
        B: AsRef<[u8]>,
    {
        run_ready(self.serve(driver, request, now))
    }

    /// Answer a request to the preference page through the async driver
    /// (features `http` and `async`).
    #[cfg(feature = "async")]
    pub async fn handle_async<S, M, B>(
        &self,
        driver: &crate::AsyncDriver<S, M>,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Response<String>
    where
        S: crate::AsyncConsentStore,
        M: crate::AsyncMailer,
        B: AsRef<[u8]> + Sync,
    {
        self.serve(driver, request, now).await
    }

    fn parse_choice(&self, fields: &[(String, String)]) -> Result<Choice, PreferenceError> {
        let mut choice = None;
        let mut keep = Vec::new();
        for (name, value) in fields {
            match name.as_str() {
                "choice" if choice.is_none() => choice = Some(value.as_str()),
                "choice" => return Err(PreferenceError::Choice),
                _ => {
                    let list = self
                        .lists
                        .iter()
                        .find(|l| l.id.as_str() == value)
                        .ok_or(PreferenceError::UnknownList)?;
                    if !keep.contains(&list.id) {
                        keep.push(list.id.clone());
                    }
                }
            }
        }
        match choice {
            Some("all") => Ok(Choice::All),
            Some("lists") => Ok(Choice::Keep(keep)),
            _ => Err(PreferenceError::Choice),
        }
    }

    async fn states<D: Calls>(
        &self,
        driver: &D,
        token: &VerifiedToken,
        now: DateTime<Utc>,
    ) -> Result<Vec<ConsentState>, CallFailure> {
        let mut states = Vec::with_capacity(self.lists.len());
        for list in &self.lists {
            let key = ConsentKey::new(token.tenant.clone(), list.id.clone(), token.address.clone());
            states.push(driver.state(&key, now).await?);
        }
        Ok(states)
    }

    async fn serve<D: Calls, B: AsRef<[u8]>>(
        &self,
        driver: &D,
        request: &Request<B>,
        now: DateTime<Utc>,
    ) -> Response<String> {
        let method = request.method();
        let is_head = method == Method::HEAD;
        if method != Method::GET && !is_head && method != Method::POST {
            return method_not_allowed("GET, HEAD, POST");
        }
        let body = request.body().as_ref();
        if method == Method::POST && body_too_large(request.headers(), body, MAX_FORM_BYTES) {
            return too_large();
        }
        let token = match query_param(request, "token") {
            Some(t) => driver.verify(&self.settings.keys, &t, now).await,
            None => Ok(None),
        };
        let token = match token {
            Ok(token) => token.filter(|t| t.tenant == self.tenant),
            Err(f) => {
                let page = failure(f);
                return if is_head { without_body(page) } else { page };
            }
        };
        let Some(token) = token else {
            return if is_head {
                without_body(invalid_link())
            } else {
                invalid_link()
            };
        };
        let mut recorded: Option<Vec<ConsentEvent>> = None;
        if method == Method::POST {
            let max_fields = self.lists.len().saturating_add(1);
            let Some(fields) =
                form_fields(request.headers(), body, &["choice", "list"], max_fields)
            else {
                return bad_request("This request is not a preference form.");
            };
            let choice = match self.parse_choice(&fields) {
                Ok(choice) => choice,
                Err(e) => return bad_request(&e.to_string()),
            };
            let states = match self.states(driver, &token, now).await {
                Ok(states) => states,
                Err(f) => return failure(f),
            };
            let events = changes(&token, &self.lists, &states, &choice, now);
            for event in &events {
                if let Err(f) = driver.record(event).await {
                    // Earlier changes of this POST may be stored; a retry
                    // records only what is still missing.
                    return failure_partial(f);
                }
            }
            recorded = Some(events);
        }
        let states = match self.states(driver, &token, now).await {
            Ok(states) => states,
            Err(f) => return failure(f),
        };
        let mut page = respond(StatusCode::OK, self.page(&states, recorded.is_some(), now));
        if let Some(events) = recorded {
            page.extensions_mut().insert(events);
        }
        if is_head {
            without_body(page)
        } else {
            page
        }
    }

    fn page(&self, states: &[ConsentState], saved: bool, now: DateTime<Utc>) -> String {
        let mut body = String::new();
        if saved {
            body.push_str(&format!(
                "<p role=\"status\"><strong>Your choices are saved.</strong> Any unsubscribe takes \
                 effect at once, and at the latest by {} (UTC).</p>",
                self.settings
                    .deadlines
                    .decide(now)
                    .outcome()
                    .at
                    .format("%Y-%m-%d %H:%M")
            ));
        }
        body.push_str(&format!(
            "<p>Choose what {} may send you.</p><form method=\"post\"><fieldset>",
            escape(&self.organisation)
        ));
        for (list, state) in self.lists.iter().zip(states) {
            let id = escape(list.id.as_str());
            let label = escape(&list.label);
            if subscribed(state) {
                body.push_str(&format!(
                    "<p><label><input type=\"checkbox\" name=\"list\" value=\"{id}\" checked> {label}</label></p>"
                ));
            } else {
                body.push_str(&format!(
                    "<p><label><input type=\"checkbox\" value=\"{id}\" disabled> {label} (not subscribed)</label></p>"
                ));
            }
        }
        body.push_str(
            "</fieldset><p><button type=\"submit\" name=\"choice\" value=\"lists\">Save my choices</button> \
             <button type=\"submit\" name=\"choice\" value=\"all\">Unsubscribe from everything</button></p></form>",
        );
        document("Your email preferences", &body)
    }
}

/// Whether an opt-out (or a complaint) of the person is in force.
fn opted_out(state: &ConsentState) -> bool {
    state.suppressions().iter().any(|s| {
        matches!(
            s.kind,
            SuppressionKind::OptedOut | SuppressionKind::Complaint
        )
    })
}

/// Whether the page shows the list as received: permission and no opt-out.
fn subscribed(state: &ConsentState) -> bool {
    state.permission().is_some() && !opted_out(state)
}

/// A stable id for a preference change: the token, what changes and when.
fn change_id(token: &VerifiedToken, what: &str, now: DateTime<Utc>) -> EventId {
    let mut h = Sha256::new();
    for part in [
        token.tenant.as_str(),
        token.address.canonical(),
        what,
        &now.timestamp_micros().to_string(),
    ] {
        h.update(part.as_bytes());
        h.update([0u8]);
    }
    let digest = h.finalize();
    EventId::from_checked(format!(
        "pref-{}",
        hex::encode(digest.get(..16).unwrap_or_default())
    ))
}

/// The events that take the person from `states` to `choice`; nothing when
/// the state already matches.
fn changes(
    token: &VerifiedToken,
    lists: &[ListChoice],
    states: &[ConsentState],
    choice: &Choice,
    now: DateTime<Utc>,
) -> Vec<ConsentEvent> {
    let evidence = Evidence::described(format!(
        "preference centre form POST; token sealed with key `{}` at {}",
        token.key_id, token.issued_at
    ));
    let out = Action::OptedOut {
        via: OptOutChannel::PreferenceCentre,
    };
    match choice {
        Choice::All => {
            // A tenant-wide (or global) opt-out shows in every list's state.
            let in_force = states.iter().any(|state| {
                state.suppressions().iter().any(|s| {
                    matches!(
                        s.kind,
                        SuppressionKind::OptedOut | SuppressionKind::Complaint
                    ) && matches!(s.scope, Scope::Tenant(_) | Scope::Global)
                })
            });
            if in_force {
                return Vec::new();
            }
            vec![ConsentEvent::tenant_wide(
                change_id(token, "all", now),
                now,
                token.tenant.clone(),
                token.address.clone(),
                out,
            )
            .with_evidence(evidence)]
        }
        Choice::Keep(keep) => lists
            .iter()
            .zip(states)
            .filter_map(|(list, state)| {
                let key =
                    ConsentKey::new(token.tenant.clone(), list.id.clone(), token.address.clone());
                // Only lists left are recorded; ticking a list the person
                // does not receive records nothing (see the type's docs).
                if keep.contains(&list.id) || !subscribed(state) {
                    return None;
                }
                let id = change_id(token, &format!("out\u{0}{}", list.id), now);
                Some(ConsentEvent::new(id, now, &key, out.clone()).with_evidence(evidence.clone()))
            })
            .collect(),
    }
}
