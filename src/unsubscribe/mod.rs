//! Unsubscribe: RFC 2369 / RFC 8058 headers and one-click request handling.

mod body;
mod headers;

pub use body::{
    may_change_state, parse_one_click_body, OneClickBodyError, RequestRefused, MAX_BODY_BYTES,
};
pub use headers::{
    build_unsubscribe_headers, is_one_click_post, parse_list_unsubscribe, read_unsubscribe_headers,
    HeaderError, UnsubscribeHeaders, UnsubscribeOffer, MAX_HEADER_BYTES, ONE_CLICK_POST_VALUE,
};
