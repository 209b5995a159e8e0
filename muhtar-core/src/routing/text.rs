//! Turkish-aware text matching for keyword conditions.
//!
//! Lower-casing Turkish text with the Unicode default rules is wrong: `I` must become `ı`
//! (dotless) and `İ` must become `i`, while `"İ".to_lowercase()` yields `i` plus a combining
//! dot. [`fold`] applies the Turkish rules, drops the circumflex (`â`, `î`, `û`, so that
//! "şikâyet" and "şikayet" match) and collapses runs of white space.

/// Folds a text for case-insensitive Turkish comparison.
///
/// ```
/// use muhtar_core::routing::text::fold;
/// assert_eq!(fold("İSTANBUL"), "istanbul");
/// assert_eq!(fold("KIRIK"), "kırık");
/// assert_eq!(fold("Işık  Şikâyeti"), "ışık şikayeti");
/// assert_eq!(fold("I\u{307}stanbul"), "istanbul");
/// ```
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    let mut space = false;
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space {
            if !out.is_empty() {
                out.push(' ');
            }
            space = false;
        }
        match c {
            'I' => {
                if chars.peek() == Some(&'\u{307}') {
                    chars.next();
                    out.push('i');
                } else {
                    out.push('ı');
                }
            }
            'İ' | 'Î' | 'î' => out.push('i'),
            'i' => {
                // `i` followed by a combining dot above: a naively lower-cased `İ`.
                if chars.peek() == Some(&'\u{307}') {
                    chars.next();
                }
                out.push('i');
            }
            'Â' | 'â' => out.push('a'),
            'Û' | 'û' => out.push('u'),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Whether the folded `keyword` occurs in the folded `text` at the start of a word.
///
/// Turkish is agglutinative, so a keyword matches words it begins ("çukur" matches
/// "çukurlar"), but not the middle of a word ("kar" does not match "şekerkar"). Both
/// arguments must already be [`fold`]ed; an empty keyword never matches.
pub fn contains_word_prefix(text: &str, keyword: &str) -> bool {
    if keyword.is_empty() {
        return false;
    }
    text.match_indices(keyword).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

/// Whether two texts are equal after [`fold`]ing.
pub fn eq_folded(a: &str, b: &str) -> bool {
    a == b || fold(a) == fold(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turkish_dotted_and_dotless_i_stay_distinct() {
        assert_eq!(fold("ILIK"), "ılık");
        assert_eq!(fold("İLİK"), "ilik");
        assert_ne!(fold("ILIK"), fold("İLİK"));
        assert_eq!(fold("ÇĞÖŞÜ"), "çğöşü");
    }

    #[test]
    fn word_prefix_matching() {
        let t = fold("Bağdat CADDESİ üzerinde büyük çukurlar var");
        assert!(contains_word_prefix(&t, &fold("cadde")));
        assert!(contains_word_prefix(&t, &fold("Çukur")));
        assert!(!contains_word_prefix(&t, &fold("desi")));
        assert!(!contains_word_prefix(&t, ""));
        assert!(contains_word_prefix(&t, &fold("büyük   çukur")));
    }

    #[test]
    fn eq_folded_ignores_case() {
        assert!(eq_folded("Üsküdar", "ÜSKÜDAR"));
        assert!(!eq_folded("Kadıköy", "Kadikoy"));
    }
}
