//! `List-Unsubscribe` (RFC 2369) and `List-Unsubscribe-Post` (RFC 8058).

use url::Url;

/// The only `List-Unsubscribe-Post` value RFC 8058 defines.
pub const ONE_CLICK_POST_VALUE: &str = "List-Unsubscribe=One-Click";

/// Longest header value parsed or built, in bytes.
pub const MAX_HEADER_BYTES: usize = 4096;

/// A `List-Unsubscribe` value that cannot be parsed or built.
///
/// For incoming headers: treat the message as having no usable header. For
/// building: a bug or hostile data in the caller's URL or token; do not send.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    /// The value holds no URI.
    #[error("the header holds no URI")]
    Empty,
    /// The value is longer than 4096 bytes.
    #[error("the header is {0} bytes long; at most 4096 are allowed")]
    TooLong(usize),
    /// A `<` without its `>`, or a `(` comment without its `)`.
    #[error("unterminated `{0}` in the header")]
    Unterminated(char),
    /// Text outside angle brackets that is not whitespace, a comment or a comma.
    #[error("unexpected `{ch}` at byte {position}")]
    UnexpectedCharacter {
        /// The character.
        ch: char,
        /// Its byte offset.
        position: usize,
    },
    /// A bracketed URI that does not parse.
    #[error("`{uri}` is not a valid URI")]
    BadUri {
        /// The URI text.
        uri: String,
        /// The URL parser's error.
        #[source]
        source: url::ParseError,
    },
    /// A mailto address that is not a valid address.
    #[error("`{uri}` does not hold a valid address")]
    BadMailto {
        /// The URI text.
        uri: String,
        /// Why the address is refused.
        #[source]
        source: crate::address::AddressError,
    },
    /// One-click needs an https URI and the one given is not.
    #[error("one-click unsubscribe needs an https URI, not `{0}`")]
    NotHttps(String),
    /// A value that would carry CR, LF, `<`, `>` or another control
    /// character into the header (header injection).
    #[error("the value would inject `{0}` into the header")]
    Injection(String),
}

fn skip_comment(s: &str, start: usize) -> Result<usize, HeaderError> {
    let mut depth = 0usize;
    let mut escaped = false;
    for (i, c) in s.get(start..).unwrap_or_default().char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '(' => depth += 1,
            ')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return Ok(start + i + 1);
                }
            }
            _ => {}
        }
    }
    Err(HeaderError::Unterminated('('))
}

/// Parse a `List-Unsubscribe` value: a comma-separated list of URIs in
/// angle brackets, with optional whitespace (folding included) and
/// comments. Whitespace inside the brackets is ignored (RFC 2369 section 2).
///
/// # Errors
///
/// A [`HeaderError`] for an empty, over-long, unterminated or malformed
/// value, or a URI that does not parse.
///
/// ```
/// use consentry::unsubscribe::parse_list_unsubscribe;
///
/// let uris = parse_list_unsubscribe(
///     "<mailto:unsub@lists.example?subject=unsubscribe> (by mail),\r\n <https://lists.example/u/abc>",
/// )?;
/// assert_eq!(uris.len(), 2);
/// assert_eq!(uris[1].scheme(), "https");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn parse_list_unsubscribe(value: &str) -> Result<Vec<Url>, HeaderError> {
    if value.len() > MAX_HEADER_BYTES {
        return Err(HeaderError::TooLong(value.len()));
    }
    let mut uris = Vec::new();
    let mut i = 0usize;
    let mut expect_uri = true;
    while let Some(c) = value.get(i..).and_then(|r| r.chars().next()) {
        match c {
            c if c.is_whitespace() => i += c.len_utf8(),
            '(' => i = skip_comment(value, i)?,
            ',' if !expect_uri => {
                expect_uri = true;
                i += 1;
            }
            '<' if expect_uri => {
                let rest = value.get(i + 1..).unwrap_or_default();
                let end = rest.find('>').ok_or(HeaderError::Unterminated('<'))?;
                let raw: String = rest
                    .get(..end)
                    .unwrap_or_default()
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect();
                let url = Url::parse(&raw).map_err(|source| HeaderError::BadUri {
                    uri: raw.clone(),
                    source,
                })?;
                uris.push(url);
                expect_uri = false;
                i += end + 2;
            }
            ch => return Err(HeaderError::UnexpectedCharacter { ch, position: i }),
        }
    }
    if uris.is_empty() {
        return Err(HeaderError::Empty);
    }
    Ok(uris)
}

/// Whether a `List-Unsubscribe-Post` value is exactly
/// `List-Unsubscribe=One-Click` (surrounding whitespace aside).
pub fn is_one_click_post(value: &str) -> bool {
    value.trim() == ONE_CLICK_POST_VALUE
}

/// What an incoming pair of headers offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscribeOffer {
    /// Every URI of `List-Unsubscribe`, in order.
    pub uris: Vec<Url>,
    /// The first https URI, the one a one-click POST goes to.
    pub https: Option<Url>,
    /// Whether the pair qualifies as one-click under RFC 8058: an https URI
    /// and the exact `List-Unsubscribe-Post` value.
    pub one_click: bool,
}

/// Read an incoming message's `List-Unsubscribe` and (if present)
/// `List-Unsubscribe-Post` values.
///
/// # Errors
///
/// As [`parse_list_unsubscribe`].
pub fn read_unsubscribe_headers(
    list_unsubscribe: &str,
    list_unsubscribe_post: Option<&str>,
) -> Result<UnsubscribeOffer, HeaderError> {
    let uris = parse_list_unsubscribe(list_unsubscribe)?;
    let https = uris.iter().find(|u| u.scheme() == "https").cloned();
    let one_click = https.is_some() && list_unsubscribe_post.is_some_and(is_one_click_post);
    Ok(UnsubscribeOffer {
        uris,
        https,
        one_click,
    })
}

/// The pair of headers for an outgoing promotional message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnsubscribeHeaders {
    /// The `List-Unsubscribe` value.
    pub list_unsubscribe: String,
    /// The `List-Unsubscribe-Post` value (always the one-click value).
    pub list_unsubscribe_post: &'static str,
}

fn check_injection(s: &str) -> Result<(), HeaderError> {
    if let Some(c) = s.chars().find(|c| c.is_control() || *c == '<' || *c == '>') {
        return Err(HeaderError::Injection(c.escape_default().to_string()));
    }
    Ok(())
}

/// Build `List-Unsubscribe: <https://...?token>, <mailto:...>` and
/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click`.
///
/// The token is appended to `base` as the query parameter `token`
/// (percent-encoded). The optional mailto address is written per RFC 6068
/// ([`mailto_uri`](super::mailto_uri)) with `?subject=unsubscribe`.
///
/// # Errors
///
/// [`HeaderError::NotHttps`] when `base` is not https (one-click requires
/// it), [`HeaderError::Injection`] when the token or address would carry
/// CR, LF, `<`, `>` or another control character into the header,
/// [`HeaderError::TooLong`] past 4096 bytes.
///
/// ```
/// use consentry::unsubscribe::build_unsubscribe_headers;
/// use url::Url;
///
/// let base = Url::parse("https://mail.shop.example/unsubscribe")?;
/// let h = build_unsubscribe_headers(&base, "v1.k1.abc", Some("unsub@mail.shop.example"))?;
/// assert_eq!(
///     h.list_unsubscribe,
///     "<https://mail.shop.example/unsubscribe?token=v1.k1.abc>, <mailto:unsub@mail.shop.example?subject=unsubscribe>"
/// );
/// assert_eq!(h.list_unsubscribe_post, "List-Unsubscribe=One-Click");
/// assert!(build_unsubscribe_headers(&base, "x>\r\nBcc: all@example.com", None).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn build_unsubscribe_headers(
    base: &Url,
    token: &str,
    mailto: Option<&str>,
) -> Result<UnsubscribeHeaders, HeaderError> {
    if base.scheme() != "https" {
        return Err(HeaderError::NotHttps(base.to_string()));
    }
    check_injection(token)?;
    let mut url = base.clone();
    url.query_pairs_mut().append_pair("token", token);
    check_injection(url.as_str())?;
    let mut value = format!("<{url}>");
    if let Some(address) = mailto {
        check_injection(address)?;
        let parsed = crate::address::EmailAddress::parse(address).map_err(|source| {
            HeaderError::BadMailto {
                uri: format!("mailto:{address}"),
                source,
            }
        })?;
        // RFC 6068: the address is percent-encoded, so a `?`, `#`, `&` or
        // quoted space in its local part stays part of the address.
        let mailto = super::mailto::mailto_uri(&parsed, "unsubscribe");
        check_injection(&mailto)?;
        value.push_str(&format!(", <{mailto}>"));
    }
    if value.len() > MAX_HEADER_BYTES {
        return Err(HeaderError::TooLong(value.len()));
    }
    Ok(UnsubscribeHeaders {
        list_unsubscribe: value,
        list_unsubscribe_post: ONE_CLICK_POST_VALUE,
    })
}
