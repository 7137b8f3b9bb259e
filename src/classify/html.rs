//! A small, forgiving HTML-to-text pass: tags stripped, text kept in order,
//! links collected. Never panics, whatever the input.

/// A link found in an HTML body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    /// The `href` value, entity-decoded and trimmed.
    pub href: String,
    /// The anchor text.
    pub text: String,
}

/// The text and links of an HTML document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HtmlText {
    /// The visible text, in document order, whitespace collapsed.
    pub text: String,
    /// The `<a href>` links, in document order.
    pub links: Vec<Link>,
}

const BLOCK_TAGS: &[&str] = &[
    "p",
    "br",
    "div",
    "tr",
    "td",
    "th",
    "li",
    "ul",
    "ol",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "blockquote",
    "title",
];

/// Strip tags, skip `<script>`, `<style>`, `<head>` bodies and comments,
/// decode common entities, and collect links.
pub fn html_to_text(html: &str) -> HtmlText {
    let mut out = HtmlText::default();
    let mut rest = html;
    let mut open_link: Option<(String, usize)> = None;
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            push_text(&mut out.text, rest);
            break;
        };
        push_text(&mut out.text, rest.get(..lt).unwrap_or_default());
        rest = rest.get(lt..).unwrap_or_default();
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = match after.find("-->") {
                Some(end) => after.get(end + 3..).unwrap_or_default(),
                None => "",
            };
            continue;
        }
        let (tag, after) = split_tag(rest);
        rest = after;
        let name = tag_name(tag);
        let closing = tag.starts_with("</");
        if !closing && matches!(name.as_str(), "script" | "style" | "head") {
            let close = format!("</{name}");
            rest = match find_ascii_ci(rest, &close) {
                Some(pos) => {
                    let (_, after_close) = split_tag(rest.get(pos..).unwrap_or_default());
                    after_close
                }
                None => "",
            };
            continue;
        }
        if BLOCK_TAGS.contains(&name.as_str()) {
            push_break(&mut out.text);
        }
        if name == "a" {
            if closing {
                if let Some((href, start)) = open_link.take() {
                    let text = out.text.get(start..).unwrap_or_default().trim().to_owned();
                    out.links.push(Link { href, text });
                }
            } else if let Some(href) = attribute(tag, "href") {
                if let Some((prev, start)) = open_link.take() {
                    let text = out.text.get(start..).unwrap_or_default().trim().to_owned();
                    out.links.push(Link { href: prev, text });
                }
                open_link = Some((href, out.text.len()));
            }
        }
    }
    if let Some((href, start)) = open_link {
        let text = out.text.get(start..).unwrap_or_default().trim().to_owned();
        out.links.push(Link { href, text });
    }
    let trimmed = out.text.trim_end().len();
    out.text.truncate(trimmed);
    out
}

/// Split `<...>` (respecting quoted attribute values) from the rest.
fn split_tag(s: &str) -> (&str, &str) {
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices().skip(1) {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                return (s.get(..=i).unwrap_or(s), s.get(i + 1..).unwrap_or_default());
            }
            (None, _) => {}
        }
    }
    (s, "")
}

fn tag_name(tag: &str) -> String {
    tag.trim_start_matches('<')
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

fn find_ascii_ci(haystack: &str, needle: &str) -> Option<usize> {
    let n = needle.len();
    haystack.char_indices().map(|(i, _)| i).find(|&i| {
        haystack
            .get(i..i + n)
            .is_some_and(|w| w.eq_ignore_ascii_case(needle))
    })
}

/// The value of attribute `name` in a tag, entity-decoded.
fn attribute(tag: &str, name: &str) -> Option<String> {
    let mut rest = tag;
    while let Some(pos) = find_ascii_ci(rest, name) {
        let before_ok = rest
            .get(..pos)
            .and_then(|b| b.chars().last())
            .is_some_and(|c| c.is_whitespace());
        let after = rest.get(pos + name.len()..).unwrap_or_default();
        let after_trim = after.trim_start();
        if before_ok {
            if let Some(value) = after_trim.strip_prefix('=') {
                let value = value.trim_start();
                let raw = match value.chars().next() {
                    Some(q @ ('"' | '\'')) => {
                        let inner = value.get(1..).unwrap_or_default();
                        inner.split(q).next().unwrap_or_default()
                    }
                    _ => value
                        .split(|c: char| c.is_whitespace() || c == '>')
                        .next()
                        .unwrap_or_default(),
                };
                let mut decoded = String::new();
                decode_entities_into(&mut decoded, raw);
                return Some(decoded.trim().to_owned());
            }
        }
        rest = after;
    }
    None
}

fn push_break(text: &mut String) {
    if !text.is_empty() && !text.ends_with('\n') {
        let trimmed = text.trim_end_matches(' ').len();
        text.truncate(trimmed);
        text.push('\n');
    }
}

/// Append text with entities decoded and whitespace collapsed.
fn push_text(out: &mut String, raw: &str) {
    let mut decoded = String::with_capacity(raw.len());
    decode_entities_into(&mut decoded, raw);
    for c in decoded.chars() {
        if c.is_whitespace() {
            if !(out.is_empty() || out.ends_with(' ') || out.ends_with('\n')) {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
}

fn decode_entities_into(out: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(amp) = rest.find('&') {
        out.push_str(rest.get(..amp).unwrap_or_default());
        rest = rest.get(amp..).unwrap_or_default();
        let end = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let entity = rest.get(1..e)?;
            let c = match entity {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" | "#39" => '\'',
                "nbsp" => ' ',
                "copy" => '©',
                "reg" => '®',
                "trade" => '™',
                "rsquo" | "lsquo" => '\'',
                "rdquo" | "ldquo" => '"',
                "mdash" => '—',
                "ndash" => '–',
                "hellip" => '…',
                "euro" => '€',
                "pound" => '£',
                _ => {
                    let num = entity.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse::<u32>().ok()?,
                    };
                    char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())?
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = rest.get(e + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = rest.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_keeps_order_and_collects_links() {
        let html = r#"<html><head><title>x</title><style>p{color:red}</style></head>
            <body><p>Your order&nbsp;#1042 &amp; receipt</p><!-- hidden -->
            <script>var sale = "50% off";</script>
            <p>See <a href="https://shop.example/u?t=a&amp;b=c" class='x'>Unsubscribe</a> here.</p>
            <p data-x="a>b">Caf&eacute; &#169; &#x2014;</p></body></html>"#;
        let t = html_to_text(html);
        assert!(
            t.text.starts_with("Your order #1042 & receipt"),
            "{:?}",
            t.text
        );
        assert!(!t.text.contains("50% off"));
        assert!(!t.text.contains("hidden"));
        assert!(!t.text.contains("color"));
        assert!(t.text.contains("© —"), "{:?}", t.text);
        assert_eq!(
            t.links,
            vec![Link {
                href: "https://shop.example/u?t=a&b=c".into(),
                text: "Unsubscribe".into()
            }]
        );
    }

    #[test]
    fn survives_broken_markup() {
        for s in [
            "<",
            "<a href=",
            "<a href='x",
            "&#xFFFFFFFF;",
            "<script>",
            "a<!--",
            "<<>>&&;;",
        ] {
            let _ = html_to_text(s);
        }
    }
}
