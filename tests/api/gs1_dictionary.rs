//! Tests generated from the GS1 Barcode Syntax Dictionary itself: for every AI its length and
//! character set, for every linter a passing and a failing value, for every `req` and `ex`
//! rule a code that breaks it, and for every Digital Link key its qualifier sequences.
//! Nothing is listed by hand that the dictionary can say, so a new release is covered too.

use crate::common::gs1_support;

use gs1_support::percent_encode;
use originguard::origin::gs1::ai_table::{self, AiDef, AiPattern, Charset, Component};
use originguard::origin::gs1::field::check_field;
use originguard::origin::gs1::lint::{Linter, LINTERS};
use originguard::origin::gs1::{self, check_digit, Check, Gs1ErrorCode};

const YEAR: i32 = 2026;

use Gs1ErrorCode::*;

/// Every linter with a value it passes, one it fails and the code of the failure.
const LINTER_CASES: &[(&str, &str, &str, Gs1ErrorCode)] = &[
    ("csum", "08935049500018", "08935049500017", CheckDigit),
    (
        "csumalpha",
        "1987654Ad4X4bL5ttr2310c2K",
        "1987654Ad4X4bL5ttr2310c2L",
        CheckDigit,
    ),
    ("gcppos1", "8935049", "893A049", BadCharacter),
    ("gcppos2", "08935049500018", "0A935049500018", BadCharacter),
    ("yymmd0", "271200", "271232", InvalidDate),
    ("yymmdd", "280229", "270229", InvalidDate),
    ("yyyymmd0", "20271200", "20271301", InvalidDate),
    ("yyyymmdd", "20240229", "20230229", InvalidDate),
    ("hhmi", "2359", "2360", InvalidDate),
    ("hh", "23", "24", InvalidDate),
    ("mi", "59", "60", InvalidDate),
    ("ss", "00", "61", InvalidDate),
    ("iso3166", "704", "999", BadCountryCode),
    ("iso3166999", "999", "998", BadCountryCode),
    ("iso3166alpha2", "VN", "XX", BadCountryCode),
    ("iso4217", "704", "705", InvalidValue),
    ("iso5218", "9", "3", InvalidValue),
    (
        "iban",
        "GB82WEST12345698765432",
        "GB83WEST12345698765432",
        CheckDigit,
    ),
    ("pieceoftotal", "0102", "0201", InvalidValue),
    ("nonzero", "0001", "0000", InvalidValue),
    ("nozeroprefix", "120", "012", BadCharacter),
    ("zero", "0", "1", BadCharacter),
    ("winding", "9", "2", InvalidValue),
    ("yesno", "1", "2", InvalidValue),
    ("hyphen", "-", "+", BadCharacter),
    ("importeridx", "_", "#", BadCharacter),
    ("packagetype", "BX", "ZZZ", InvalidValue),
    ("mediatype", "80", "11", InvalidValue),
    ("posinseqslash", "1/2", "3/2", InvalidValue),
    ("latitude", "1800000000", "1800000001", InvalidValue),
    ("longitude", "3600000000", "3600000001", InvalidValue),
    ("pcenc", "a%20b", "a%2Gb", BadCharacter),
    ("hasnondigit", "12A", "123", BadCharacter),
    (
        "couponcode",
        "106141416543213500110000310123196000",
        "1061414165432135001100003101231960001",
        InvalidValue,
    ),
    (
        "couponposoffer",
        "006141411234560123456",
        "206141411234560123456",
        InvalidValue,
    ),
];

fn linter_case(linter: Linter) -> (&'static str, &'static str, Gs1ErrorCode) {
    let &(_, pass, fail, code) = LINTER_CASES
        .iter()
        .find(|(name, ..)| *name == linter.name())
        .unwrap_or_else(|| panic!("no case for linter {}", linter.name()));
    (pass, fail, code)
}

#[test]
fn every_linter_passes_its_good_value_and_fails_its_bad_one() {
    for &(name, linter) in LINTERS {
        let (pass, fail, code) = linter_case(linter);
        assert_eq!(linter.check(pass.as_bytes(), YEAR), Ok(()), "{name} {pass}");
        let error = linter.check(fail.as_bytes(), YEAR).expect_err(name);
        assert_eq!(error.0, code, "{name} {fail}");
    }
    assert_eq!(LINTER_CASES.len(), LINTERS.len());
}

#[test]
fn every_linter_the_dictionary_names_is_known_and_used_through_an_ai() {
    for &(_, linter) in LINTERS.iter().filter(|(name, _)| *name != "yyyymmd0") {
        let def = ai_table::all()
            .iter()
            .find(|def| def.has_linter(linter))
            .unwrap_or_else(|| panic!("{} is named by no AI", linter.name()));
        // The failing value, put in place of its component in an otherwise valid field.
        let (index, _) = def
            .parts
            .iter()
            .enumerate()
            .find(|(_, part)| part.linters.contains(&linter))
            .expect("component");
        let (_, fail, code) = linter_case(linter);
        let mut parts: Vec<String> = def.parts.iter().map(sample_part).collect();
        parts[index] = fail.to_owned();
        let data = parts.concat();
        let error = check_field(def, data.as_bytes(), YEAR);
        let fits = fail.len() >= def.parts[index].min && fail.len() <= def.parts[index].max;
        if fits {
            let error = error.expect_err(&def.ai);
            if def.parts[index].linters.first() == Some(&linter) {
                assert_eq!(error.code, code, "AI {} {data}", def.ai);
            }
        }
    }
}

/// A valid value for one component, from its linters, length and character set.
fn sample_part(part: &Component) -> String {
    let special = part.linters.iter().find_map(|linter| match linter {
        Linter::Csum => None,
        Linter::GcpPos1 | Linter::GcpPos2 | Linter::NonZero | Linter::NoZeroPrefix => None,
        Linter::HasNonDigit | Linter::PcEnc => None,
        Linter::Yymmd0 | Linter::Yymmdd => Some("280229".to_owned()),
        Linter::Hhmi => Some("1230".to_owned()),
        Linter::Iso3166 | Linter::Iso3166999 | Linter::Iso4217 => Some("704".to_owned()),
        Linter::Latitude => Some("0900000000".to_owned()),
        Linter::Longitude => Some("1800000000".to_owned()),
        other => Some(linter_case(*other).0.to_owned()),
    });
    if let Some(value) = special {
        return value;
    }
    let len = if part.min == part.max {
        part.max
    } else {
        part.max.min(12).max(part.min)
    };
    let filler: &[u8] = match part.charset {
        Charset::Numeric => b"1234567891",
        Charset::Cset82 | Charset::Cset39 => b"1234A",
        Charset::Cset64 => b"abcD-_",
    };
    let mut value: String = filler
        .iter()
        .cycle()
        .take(len)
        .map(|&b| b as char)
        .collect();
    if part.linters.contains(&Linter::Csum) {
        value.pop();
        let digit = check_digit::compute(&value).expect("digits");
        value.push(char::from(b'0' + digit));
    }
    value
}

fn sample(def: &AiDef) -> String {
    def.parts.iter().map(sample_part).collect()
}

/// A character outside `charset` (and not a control character, which is refused earlier).
fn outside(charset: Charset) -> char {
    match charset {
        Charset::Numeric => 'A',
        Charset::Cset82 => ' ',
        Charset::Cset39 => 'a',
        Charset::Cset64 => '!',
    }
}

#[test]
fn every_ai_has_its_length_and_character_set() {
    for def in ai_table::all() {
        let good = sample(def);
        assert_eq!(
            check_field(def, good.as_bytes(), YEAR),
            Ok(()),
            "AI {} {good}",
            def.ai
        );
        let long = format!("{good}{}", "1".repeat(def.max_len() + 1 - good.len()));
        let error = check_field(def, long.as_bytes(), YEAR).expect_err(&def.ai);
        assert_eq!(
            (error.code, error.offset),
            (BadLength, def.max_len()),
            "AI {}",
            def.ai
        );
        let short = good.get(..def.min_len() - 1).expect("ascii");
        let error = check_field(def, short.as_bytes(), YEAR).expect_err(&def.ai);
        assert_eq!(error.code, BadLength, "AI {} {short:?}", def.ai);
        let mut start = 0;
        for part in &def.parts {
            let len = sample_part(part).len();
            let mut bad = good.clone();
            bad.replace_range(start..start + 1, &outside(part.charset).to_string());
            let error = check_field(def, bad.as_bytes(), YEAR).expect_err(&def.ai);
            assert_eq!(
                (error.code, error.offset),
                (BadCharacter, start),
                "AI {} {bad:?}",
                def.ai
            );
            start += len;
        }
    }
}

/// An AI the pattern matches, other than `not` (`31nn` → `3100`).
fn concrete(pattern: &AiPattern, not: &str) -> Option<&'static AiDef> {
    ai_table::all()
        .iter()
        .find(|def| def.ai != not && pattern.matches(def.ai.as_bytes()))
}

fn bracketed(defs: &[&AiDef]) -> String {
    defs.iter()
        .map(|def| format!("({}){}", def.ai, sample(def)))
        .collect()
}

fn has_error(check: &Check, code: Gs1ErrorCode, ai: &str) -> bool {
    check
        .errors
        .iter()
        .any(|e| e.code == code && e.ai.as_deref() == Some(ai))
}

#[test]
fn every_req_rule_is_enforced_and_met_by_its_first_alternative() {
    let mut rules = 0;
    for def in ai_table::all()
        .iter()
        .filter(|def| !def.requires.is_empty())
    {
        let alone = gs1::parse(&bracketed(&[def]), YEAR);
        assert!(
            has_error(&alone, MissingRequiredAi, &def.ai),
            "AI {} alone: {:?}",
            def.ai,
            alone.errors
        );
        let mut with = vec![def];
        for rule in &def.requires {
            rules += 1;
            for pattern in &rule[0] {
                with.push(concrete(pattern, &def.ai).expect("an AI for the pattern"));
            }
        }
        let met = gs1::parse(&bracketed(&with), YEAR);
        assert!(
            !has_error(&met, MissingRequiredAi, &def.ai),
            "AI {}: {:?}",
            def.ai,
            met.errors
        );
    }
    assert!(rules > 400, "{rules} req rules");
}

#[test]
fn every_ex_rule_is_enforced() {
    let mut rules = 0;
    for def in ai_table::all() {
        for pattern in &def.excludes {
            let Some(other) = concrete(pattern, &def.ai) else {
                continue;
            };
            rules += 1;
            let both = gs1::parse(&bracketed(&[def, other]), YEAR);
            assert!(
                has_error(&both, ConflictingAi, &def.ai),
                "AI {} with {}: {:?}",
                def.ai,
                other.ai,
                both.errors
            );
        }
    }
    assert!(rules > 100, "{rules} ex rules");
}

fn link(key: &AiDef, qualifiers: &[&str]) -> String {
    let mut uri = format!(
        "https://id.gs1.org/{}/{}",
        key.ai,
        percent_encode(&sample(key))
    );
    for ai in qualifiers {
        let def = ai_table::lookup(ai).expect("qualifier AI");
        uri.push_str(&format!("/{ai}/{}", percent_encode(&sample(def))));
    }
    uri
}

fn digital_link_errors(uri: &str) -> Vec<(Gs1ErrorCode, Option<String>)> {
    let check = gs1::parse(uri, YEAR);
    assert_eq!(check.format, gs1::Format::DigitalLink);
    check
        .errors
        .into_iter()
        .filter(|e| matches!(e.code, KeyQualifierOrder | BadDigitalLink | UnknownAi))
        .map(|e| (e.code, e.ai))
        .collect()
}

#[test]
fn every_digital_link_key_takes_its_qualifiers_in_order_and_nothing_else() {
    let keys: Vec<&AiDef> = ai_table::all()
        .iter()
        .filter(|d| d.dl_key.is_some())
        .collect();
    let every_qualifier: Vec<&str> = keys
        .iter()
        .flat_map(|key| key.dl_key.iter().flatten().flatten())
        .map(String::as_str)
        .collect();
    for key in &keys {
        assert_eq!(
            digital_link_errors(&link(key, &[])),
            vec![],
            "key {}",
            key.ai
        );
        let sequences = key.dl_key.as_deref().unwrap_or_default();
        for sequence in sequences {
            let in_order: Vec<&str> = sequence.iter().map(String::as_str).collect();
            assert_eq!(
                digital_link_errors(&link(key, &in_order)),
                vec![],
                "key {} {in_order:?}",
                key.ai
            );
            if in_order.len() > 1 {
                let reversed: Vec<&str> = in_order.iter().rev().copied().collect();
                let errors = digital_link_errors(&link(key, &reversed));
                assert!(
                    errors.iter().any(|(code, _)| *code == KeyQualifierOrder),
                    "key {} {reversed:?}",
                    key.ai
                );
            }
            for qualifier in &in_order {
                let def = ai_table::lookup(qualifier).expect("AI");
                let uri = format!(
                    "{}?{qualifier}={}",
                    link(key, &[]),
                    percent_encode(&sample(def))
                );
                let errors = digital_link_errors(&uri);
                assert!(
                    errors.contains(&(KeyQualifierOrder, Some((*qualifier).to_owned()))),
                    "{uri}"
                );
            }
        }
        for stranger in every_qualifier
            .iter()
            .filter(|q| !sequences.iter().flatten().any(|s| s == *q))
        {
            let errors = digital_link_errors(&link(key, &[stranger]));
            assert!(
                errors.iter().any(|(code, _)| *code == KeyQualifierOrder),
                "key {} with {stranger}",
                key.ai
            );
        }
    }
    let qualifiers = |ai: &str| ai_table::lookup(ai).and_then(|d| d.dl_key.clone());
    let list = |items: &[&[&str]]| -> Option<Vec<Vec<String>>> {
        Some(
            items
                .iter()
                .map(|s| s.iter().map(|q| (*q).to_owned()).collect())
                .collect(),
        )
    };
    assert_eq!(qualifiers("01"), list(&[&["22", "10", "21"], &["235"]]));
    assert_eq!(qualifiers("8004"), list(&[&["7040"]]));
    assert_eq!(qualifiers("417"), list(&[&["7040"]]));
    assert_eq!(qualifiers("415"), list(&[&["8020"]]));
    assert_eq!(
        qualifiers("416"),
        None,
        "of the GLN AIs only 414, 415 and 417 are keys"
    );
}
