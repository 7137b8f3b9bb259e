//! The small HTML pages the endpoints answer with. Everything interpolated
//! is escaped; no script, no external resource.

use std::fmt::Write as _;

/// `text` with `& < > " '` escaped for HTML text and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page: `title` (text, escaped here) and `body` (HTML already
/// built from escaped parts).
pub(crate) fn document(title: &str, body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 400);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\">\
         <title>{}</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;line-height:1.5}}\
         button{{font-size:1rem;padding:.5rem 1rem}}fieldset{{border:0;padding:0}}</style>\
         </head><body><h1>{}</h1>{}</body></html>\n",
        escape(title),
        escape(title),
        body
    );
    out
}

/// A page with one paragraph of text.
pub(crate) fn message(title: &str, text: &str) -> String {
    document(title, &format!("<p>{}</p>", escape(text)))
}
