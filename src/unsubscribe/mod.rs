//! Unsubscribe that cannot be forged or tripped: signed tokens, RFC 2369 /
//! RFC 8058 headers, one-click request handling and opt-out deadlines.
//!
//! - [`KeyRing`] issues and verifies HMAC-SHA256 tokens naming the tenant,
//!   list and address, valid at least 30 days after the send.
//! - [`build_unsubscribe_headers`] writes `List-Unsubscribe` (https, with
//!   the token) and `List-Unsubscribe-Post: List-Unsubscribe=One-Click`;
//!   [`read_unsubscribe_headers`] parses incoming ones; [`mailto_uri`] and
//!   [`parse_mailto`] write and read `mailto:` URIs per RFC 6068.
//! - [`may_change_state`] lets only a one-click POST through: a GET (a mail
//!   scanner following the link) never unsubscribes anyone.
//! - [`OptOutDeadlines::decide`] says by when an opt-out must take effect.
//!
//! [`Driver::handle_one_click`](crate::Driver::handle_one_click) puts them
//! together.

mod body;
mod deadline;
mod headers;
mod mailto;
mod siv;
pub(crate) mod token;

pub use body::{
    may_change_state, parse_one_click_body, OneClickBodyError, RequestRefused, MAX_BODY_BYTES,
};
pub use deadline::{BusinessCalendar, CalendarError, Deadline, OptOutDeadlines, OptOutRule};
pub use headers::{
    build_unsubscribe_headers, is_one_click_post, parse_list_unsubscribe, read_unsubscribe_headers,
    HeaderError, UnsubscribeHeaders, UnsubscribeOffer, MAX_HEADER_BYTES, ONE_CLICK_POST_VALUE,
};
pub use mailto::{mailto_uri, parse_mailto, Mailto, MailtoError};
pub use token::{
    IssuedToken, KeptToken, KeyError, KeyRing, TokenError, TokenKey, VerifiedToken,
    KEPT_TOKEN_VERSION, LEGACY_TOKEN_VERSION, MAX_ISSUED_TOKEN_CHARS, MAX_TOKEN_BYTES,
    MIN_SECRET_BYTES, MIN_VALIDITY_DAYS, TOKEN_CLOCK_SKEW, TOKEN_VERSION,
};
