//! Languages for human-readable texts.
//!
//! Machine codes never change with the language; only `title`, `detail` and `message` texts do.
//! `Accept-Language: vi` selects Vietnamese, anything else English.

use std::borrow::Cow;

/// A language a human-readable text can be given in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    /// English (the default).
    #[default]
    En,
    /// Vietnamese, with diacritics.
    Vi,
}

impl Lang {
    /// Picks the language from an `Accept-Language` header value: Vietnamese when `vi` is the
    /// first listed language tag with a non-zero quality, English otherwise.
    pub fn from_accept_language(header: Option<&str>) -> Lang {
        let Some(header) = header else {
            return Lang::En;
        };
        let mut best: Option<(f32, Lang)> = None;
        for part in header.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
            let quality = pieces
                .find_map(|p| p.trim().strip_prefix("q=").map(str::to_owned))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if quality <= 0.0 {
                continue;
            }
            let lang = if tag == "vi" || tag.starts_with("vi-") {
                Lang::Vi
            } else if tag == "en" || tag.starts_with("en-") || tag == "*" {
                Lang::En
            } else {
                continue;
            };
            if best.is_none_or(|(q, _)| quality > q) {
                best = Some((quality, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or(Lang::En)
    }

    /// Chooses between an English and a Vietnamese text.
    pub fn pick<'a>(self, en: &'a str, vi: &'a str) -> &'a str {
        match self {
            Lang::En => en,
            Lang::Vi => vi,
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    en: Cow<'static, str>,
    vi: Cow<'static, str>,
}

impl Text {
    /// A text from fixed English and Vietnamese strings.
    pub const fn fixed(en: &'static str, vi: &'static str) -> Text {
        Text {
            en: Cow::Borrowed(en),
            vi: Cow::Borrowed(vi),
        }
    }

    /// A text built at run time.
    pub fn new(en: impl Into<Cow<'static, str>>, vi: impl Into<Cow<'static, str>>) -> Text {
        Text {
            en: en.into(),
            vi: vi.into(),
        }
    }

    /// The text in `lang`.
    pub fn get(&self, lang: Lang) -> &str {
        lang.pick(&self.en, &self.vi)
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn vietnamese_is_chosen_only_when_asked_for() {
        assert_eq!(Lang::from_accept_language(None), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("vi")), Lang::Vi);
        assert_eq!(
            Lang::from_accept_language(Some("vi-VN,vi;q=0.9,en;q=0.5")),
            Lang::Vi
        );
        assert_eq!(Lang::from_accept_language(Some("en-US,vi;q=0.5")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("fr, vi;q=0.8")), Lang::Vi);
        assert_eq!(Lang::from_accept_language(Some("vi;q=0")), Lang::En);
        assert_eq!(Lang::from_accept_language(Some("de")), Lang::En);
    }
}
