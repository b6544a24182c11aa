//! Reads the GS1 Barcode Syntax Dictionary's text format into [`AiDef`]s (pure: text in,
//! definitions out).
//!
//! One entry a line: `AIs [Flags] Specification [Attributes…] [# Title]`, comments after `#`
//! at the start of a line. AIs are one AI or a range (`3100-3105`), expanded to one entry
//! each. Flags: `*` (no FNC1 separator) and `?` (Digital Link data attribute). The
//! specification is components `N14,csum,gcppos2`, `X..20`, `[X..17]` (optional): a type
//! letter (N numeric, X CSET 82, Y CSET 39, Z base64url), a fixed length or `..max`, then
//! linters. Attributes: `req=01+21,02` (repeatable), `ex=255,37`, `dlpkey` or
//! `dlpkey=22,10,21|235`; other attributes are ignored. Every problem names its line.

use super::ai_table::{AiDef, AiPattern, Charset, Component};
use super::lint::Linter;

/// The characters the dictionary allocates to flags (`[` and `]` left out: they open an
/// optional component).
const FLAGS: &[u8] = b"*?!\"$%&'()+,-./:;<=>@\\^_`{|}~";

/// A line the parser cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DictionaryError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Reads every entry of `text`.
pub fn parse(text: &'static str) -> Result<Vec<AiDef>, DictionaryError> {
    let mut defs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let fail = |message: String| DictionaryError {
            line: index + 1,
            message,
        };
        let (body, title) = match line.split_once('#') {
            Some((body, title)) => (body, title.trim()),
            None => (line, ""),
        };
        if body.trim().is_empty() {
            continue;
        }
        parse_entry(body, title, &mut defs).map_err(fail)?;
    }
    Ok(defs)
}

fn parse_entry(body: &str, title: &'static str, defs: &mut Vec<AiDef>) -> Result<(), String> {
    let mut tokens = body.split_whitespace().peekable();
    let ais = tokens.next().ok_or("no AI")?;
    let (first, last) = ai_range(ais)?;
    let mut no_separator = false;
    let mut dl_attribute = false;
    if let Some(flags) = tokens.next_if(|t| t.bytes().all(|b| FLAGS.contains(&b))) {
        no_separator = flags.contains('*');
        dl_attribute = flags.contains('?');
    }
    let mut parts = Vec::new();
    while let Some(token) = tokens.next_if(|t| t.starts_with(['N', 'X', 'Y', 'Z', '['])) {
        parts.push(component(token)?);
    }
    if parts.is_empty() {
        return Err(format!("AI {ais} has no components"));
    }
    let mut requires = Vec::new();
    let mut excludes = Vec::new();
    let mut dl_key = None;
    for attribute in tokens {
        if let Some(list) = attribute.strip_prefix("req=") {
            let alternatives = list
                .split(',')
                .map(|alternative| alternative.split('+').map(pattern).collect())
                .collect::<Result<Vec<Vec<_>>, _>>()?;
            requires.push(alternatives);
        } else if let Some(list) = attribute.strip_prefix("ex=") {
            for item in list.split(',') {
                excludes.push(pattern(item)?);
            }
        } else if attribute == "dlpkey" {
            dl_key = Some(Vec::new());
        } else if let Some(list) = attribute.strip_prefix("dlpkey=") {
            let sequences = list
                .split('|')
                .map(|sequence| sequence.split(',').map(str::to_owned).collect())
                .collect();
            dl_key = Some(sequences);
        }
    }
    for ai in first..=last {
        let digits = format!("{ai:0width$}", width = first_len(ais));
        defs.push(AiDef::new(
            digits,
            title,
            parts.clone(),
            requires.clone(),
            excludes.clone(),
            no_separator,
            dl_attribute,
            dl_key.clone(),
        ));
    }
    Ok(())
}

/// The width of the first AI of a range as written (`91-99` → 2, `3100-3105` → 4).
fn first_len(ais: &str) -> usize {
    ais.split('-').next().map_or(0, str::len)
}

/// `3100-3105` → (3100, 3105); `01` → (1, 1). Both ends have the same number of digits.
fn ai_range(ais: &str) -> Result<(u32, u32), String> {
    let (first, last) = ais.split_once('-').unwrap_or((ais, ais));
    let read = |text: &str| -> Result<u32, String> {
        let digits = (2..=4).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit());
        if !digits {
            return Err(format!("{text:?} is not an AI of 2-4 digits"));
        }
        text.parse().map_err(|_| format!("{text:?} is not an AI"))
    };
    let (start, end) = (read(first)?, read(last)?);
    if first.len() != last.len() || start > end {
        return Err(format!("{ais:?} is not a range of AIs"));
    }
    Ok((start, end))
}

fn pattern(text: &str) -> Result<AiPattern, String> {
    AiPattern::parse(text).ok_or_else(|| format!("{text:?} is not an AI or AI pattern"))
}

/// `N14,csum,gcppos2`, `X..20`, `[X..17]`, `[N3],iso3166`.
fn component(token: &str) -> Result<Component, String> {
    let mut pieces = token.split(',');
    let format = pieces.next().unwrap_or_default();
    let (format, optional) = match format.strip_prefix('[') {
        Some(inner) => (
            inner
                .strip_suffix(']')
                .ok_or_else(|| format!("{token:?}: unclosed ["))?,
            true,
        ),
        None => (format, false),
    };
    let charset = match format.as_bytes().first() {
        Some(b'N') => Charset::Numeric,
        Some(b'X') => Charset::Cset82,
        Some(b'Y') => Charset::Cset39,
        Some(b'Z') => Charset::Cset64,
        _ => return Err(format!("{token:?}: unknown type")),
    };
    let length = format.get(1..).unwrap_or_default();
    let (min, max) = match length.strip_prefix("..") {
        Some(max) => (1, max),
        None => (0, length),
    };
    let max: usize = max
        .parse()
        .ok()
        .filter(|&max| max > 0)
        .ok_or_else(|| format!("{token:?}: bad length"))?;
    let min = if min == 0 { max } else { min };
    let linters = pieces
        .map(|name| Linter::from_name(name).ok_or_else(|| format!("unknown linter {name:?}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Component {
        charset,
        min,
        max,
        optional,
        linters,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_gives_components_flags_rules_and_keys() {
        let defs = parse(
            "# comment\n01  *?  N14,csum,gcppos2  ex=255,37 dlpkey=22,10,21|235  # GTIN\n\
             3100-3102 *? N6 req=01,02 ex=310n # NET WEIGHT (kg)\n",
        )
        .expect("parses");
        assert_eq!(defs.len(), 4);
        let gtin = &defs[0];
        assert_eq!((gtin.ai.as_str(), gtin.title), ("01", "GTIN"));
        assert!(gtin.no_separator && gtin.dl_attribute);
        assert_eq!(gtin.parts[0].linters, [Linter::Csum, Linter::GcpPos2]);
        assert_eq!((gtin.min_len(), gtin.max_len()), (14, 14));
        assert_eq!(gtin.excludes.len(), 2);
        assert_eq!(
            gtin.dl_key,
            Some(vec![
                vec!["22".into(), "10".into(), "21".into()],
                vec!["235".into()]
            ])
        );
        assert_eq!(defs[3].ai, "3102");
        assert_eq!(defs[3].requires[0].len(), 2);
    }

    #[test]
    fn optional_components_and_combined_requirements_are_read() {
        let defs = parse("253 ? N13,csum,gcppos1 [X..17] dlpkey # GDTI\n7004 ? N..4 req=01+10\n")
            .expect("parses");
        assert_eq!((defs[0].min_len(), defs[0].max_len()), (13, 30));
        assert!(defs[0].parts[1].optional);
        assert_eq!(defs[0].dl_key, Some(vec![]));
        assert_eq!(
            defs[1].requires[0][0].len(),
            2,
            "01+10 is one alternative of two AIs"
        );
        assert_eq!(defs[1].title, "");
    }

    #[test]
    fn problems_name_their_line() {
        let error = parse("01 N14\n02 * N14,nosuch\n").expect_err("unknown linter");
        assert_eq!(error.line, 2);
        assert!(error.message.contains("nosuch"));
        assert!(parse("1 N1\n").is_err());
        assert!(parse("3105-3100 N6\n").is_err());
        assert!(parse("01 * Q14\n").is_err());
        assert!(parse("01 *\n").is_err());
    }
}
