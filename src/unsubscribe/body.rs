//! The RFC 8058 one-click POST body, and the gate that says whether a
//! request may change state.

/// Largest one-click body read, in bytes. The real one is 26 bytes.
pub const MAX_BODY_BYTES: usize = 8 * 1024;

/// Why a body is not a one-click unsubscribe.
///
/// Answer 400 and change nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OneClickBodyError {
    /// The body is larger than 8 KiB.
    #[error("the body is {0} bytes long; at most 8192 are read")]
    Oversized(usize),
    /// No Content-Type was given.
    #[error("the request has no Content-Type")]
    MissingContentType,
    /// The Content-Type is neither form-urlencoded nor multipart/form-data.
    #[error("Content-Type `{0}` is not application/x-www-form-urlencoded or multipart/form-data")]
    UnsupportedContentType(String),
    /// A multipart body that cannot be read.
    #[error("malformed multipart body: {0}")]
    MalformedMultipart(&'static str),
    /// The body is well-formed but is not exactly `List-Unsubscribe=One-Click`.
    #[error("the body is not `List-Unsubscribe=One-Click`")]
    NotOneClick,
}

/// Why a request may not change state.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestRefused {
    /// Only POST may unsubscribe: link scanners and prefetchers send GET and
    /// HEAD, and must never unsubscribe anyone. Answer with a confirmation
    /// page whose button POSTs.
    #[error("method `{0}` never changes state; only a one-click POST does")]
    NotPost(String),
    /// The POST body is not a one-click unsubscribe.
    #[error("not a one-click body: {0}")]
    Body(#[from] OneClickBodyError),
}

fn media_type(content_type: &str) -> (String, Vec<(String, String)>) {
    let mut parts = content_type.split(';');
    let media = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let params = parts
        .filter_map(|p| {
            let (k, v) = p.split_once('=')?;
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(v);
            Some((k.trim().to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    (media, params)
}

fn is_one_click_pair(key: &str, value: &str) -> bool {
    key == "List-Unsubscribe" && value == "One-Click"
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > haystack.len() {
        return None;
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn trim_ascii(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    b.get(start..end).unwrap_or_default()
}

fn multipart(body: &[u8], boundary: &str) -> Result<(), OneClickBodyError> {
    if boundary.is_empty() || boundary.len() > 70 {
        return Err(OneClickBodyError::MalformedMultipart("bad boundary"));
    }
    let delimiter = format!("--{boundary}");
    let delimiter = delimiter.as_bytes();
    let mut fields = Vec::new();
    let mut rest = body;
    let first = find(rest, delimiter).ok_or(OneClickBodyError::MalformedMultipart(
        "no boundary in the body",
    ))?;
    rest = rest.get(first + delimiter.len()..).unwrap_or_default();
    loop {
        if rest.starts_with(b"--") {
            break; // closing delimiter
        }
        let next = find(rest, delimiter)
            .ok_or(OneClickBodyError::MalformedMultipart("unterminated part"))?;
        let part = rest.get(..next).unwrap_or_default();
        rest = rest.get(next + delimiter.len()..).unwrap_or_default();
        let part = part
            .strip_prefix(b"\r\n")
            .or_else(|| part.strip_prefix(b"\n"))
            .unwrap_or(part);
        let (head, content) = match find(part, b"\r\n\r\n") {
            Some(i) => (part.get(..i), part.get(i + 4..)),
            None => match find(part, b"\n\n") {
                Some(i) => (part.get(..i), part.get(i + 2..)),
                None => {
                    return Err(OneClickBodyError::MalformedMultipart(
                        "part without headers",
                    ))
                }
            },
        };
        let head = std::str::from_utf8(head.unwrap_or_default())
            .map_err(|_| OneClickBodyError::MalformedMultipart("non-UTF-8 part headers"))?;
        let content = content.unwrap_or_default();
        let content = content
            .strip_suffix(b"\r\n")
            .or_else(|| content.strip_suffix(b"\n"))
            .unwrap_or(content);
        let name = head
            .lines()
            .find(|l| {
                l.to_ascii_lowercase()
                    .trim_start()
                    .starts_with("content-disposition:")
            })
            .and_then(|l| {
                let (_, params) = media_type(l.split_once(':').map(|x| x.1).unwrap_or_default());
                params
                    .into_iter()
                    .find(|(k, _)| k == "name")
                    .map(|(_, v)| v)
            })
            .ok_or(OneClickBodyError::MalformedMultipart(
                "part without a field name",
            ))?;
        let value = std::str::from_utf8(content)
            .map_err(|_| OneClickBodyError::NotOneClick)?
            .to_owned();
        fields.push((name, value));
        if fields.len() > 8 {
            return Err(OneClickBodyError::NotOneClick);
        }
    }
    match fields.as_slice() {
        [(k, v)] if is_one_click_pair(k, v.trim()) => Ok(()),
        _ => Err(OneClickBodyError::NotOneClick),
    }
}

/// Check that a POST body is exactly the RFC 8058 one-click body,
/// `List-Unsubscribe=One-Click`, sent as `application/x-www-form-urlencoded`
/// or `multipart/form-data`. Any other field, value or type is refused.
///
/// # Errors
///
/// A [`OneClickBodyError`] saying what is wrong.
///
/// ```
/// use consentry::unsubscribe::parse_one_click_body;
///
/// assert!(parse_one_click_body(Some("application/x-www-form-urlencoded"), b"List-Unsubscribe=One-Click").is_ok());
/// assert!(parse_one_click_body(Some("application/x-www-form-urlencoded"), b"List-Unsubscribe=Yes").is_err());
/// assert!(parse_one_click_body(Some("text/plain"), b"List-Unsubscribe=One-Click").is_err());
/// ```
pub fn parse_one_click_body(
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), OneClickBodyError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(OneClickBodyError::Oversized(body.len()));
    }
    let content_type = content_type.ok_or(OneClickBodyError::MissingContentType)?;
    let (media, params) = media_type(content_type);
    match media.as_str() {
        "application/x-www-form-urlencoded" => {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(trim_ascii(body))
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .take(9)
                .collect();
            match pairs.as_slice() {
                [(k, v)] if is_one_click_pair(k, v) => Ok(()),
                _ => Err(OneClickBodyError::NotOneClick),
            }
        }
        "multipart/form-data" => {
            let boundary = params
                .into_iter()
                .find(|(k, _)| k == "boundary")
                .map(|(_, v)| v)
                .ok_or(OneClickBodyError::MalformedMultipart(
                    "no boundary parameter",
                ))?;
            multipart(body, &boundary)
        }
        _ => Err(OneClickBodyError::UnsupportedContentType(
            content_type.chars().take(100).collect(),
        )),
    }
}

/// Whether an incoming request to an unsubscribe URL may change state: only
/// a POST whose body is the one-click body. A GET (or HEAD, or anything
/// else) never unsubscribes anyone, because mail scanners follow links.
///
/// # Errors
///
/// [`RequestRefused::NotPost`] for any other method,
/// [`RequestRefused::Body`] for a POST whose body is not one-click.
///
/// ```
/// use consentry::unsubscribe::{may_change_state, RequestRefused};
///
/// let form = Some("application/x-www-form-urlencoded");
/// assert!(may_change_state("POST", form, b"List-Unsubscribe=One-Click").is_ok());
/// assert!(matches!(may_change_state("GET", None, b""), Err(RequestRefused::NotPost(_))));
/// ```
pub fn may_change_state(
    method: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<(), RequestRefused> {
    // Method names are case-sensitive (RFC 9110 section 9.1): only `POST`.
    if method != "POST" {
        return Err(RequestRefused::NotPost(method.chars().take(16).collect()));
    }
    parse_one_click_body(content_type, body)?;
    Ok(())
}
