//! Unicode facts shared by the address parser and the classifier, one
//! text comparison the fold leans on, and the char boundaries around a
//! byte offset that quoting a piece of text needs.

/// The nearest char boundary of `s` at or before byte `i`.
pub(crate) fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// The nearest char boundary of `s` at or after byte `i` (`i` itself past
/// the end).
pub(crate) fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Whether two byte strings are equal, for the short keys that ids and
/// addresses are: lengths first, then at most two overlapping word loads
/// a side for up to 32 bytes, the library comparison beyond. The same
/// answer as `a == b`, without a call into `memcmp` per event.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if (16..=32).contains(&n) {
        return ends_equal::<16>(a, b);
    }
    if (8..16).contains(&n) {
        return ends_equal::<8>(a, b);
    }
    a == b
}

/// Whether the first and the last `N` bytes of `a` and `b` are equal (for
/// lengths from `N` to `2N` that covers every byte, with one overlap).
#[inline]
fn ends_equal<const N: usize>(a: &[u8], b: &[u8]) -> bool {
    a.first_chunk::<N>() == b.first_chunk::<N>() && a.last_chunk::<N>() == b.last_chunk::<N>()
}

/// Whether a code point is invisible: a default-ignorable code point or a
/// bidi control (Unicode `Default_Ignorable_Code_Point`, plus the bidi marks).
pub(crate) fn is_ignorable(c: char) -> bool {
    matches!(c,
        '\u{00AD}' // soft hyphen
        | '\u{034F}' // combining grapheme joiner
        | '\u{061C}' // Arabic letter mark
        | '\u{115F}' | '\u{1160}'
        | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}' // zero-width space, joiners, LRM, RLM
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
        | '\u{3164}'
        | '\u{FE00}'..='\u{FE0F}' // variation selectors
        | '\u{FEFF}' // byte order mark, zero-width no-break space
        | '\u{FFA0}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}' // tags, variation selectors supplement
    )
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn same_bytes_is_equality(
            a in prop::collection::vec(0u8..4, 0..40),
            b in prop::collection::vec(0u8..4, 0..40),
        ) {
            prop_assert_eq!(super::same_bytes(&a, &b), a == b);
            prop_assert!(super::same_bytes(&a, &a));
            let mut c = a.clone();
            if let Some(x) = c.last_mut() {
                *x ^= 1;
                prop_assert!(!super::same_bytes(&a, &c));
            }
            let mut d = a.clone();
            if let Some(x) = d.first_mut() {
                *x ^= 1;
                prop_assert!(!super::same_bytes(&a, &d));
            }
        }
    }

    #[test]
    fn invisible_characters() {
        for c in [
            '\u{ad}',
            '\u{200b}',
            '\u{200d}',
            '\u{202e}',
            '\u{2066}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert!(super::is_ignorable(c), "{c:?}");
        }
        for c in ['a', 'é', ' ', '\u{a0}', 'ß'] {
            assert!(!super::is_ignorable(c), "{c:?}");
        }
    }
}
