//! The AI table is built from the vendored GS1 Barcode Syntax Dictionary; these tests pin what
//! it yields and keep it consistent with itself and with RULES.md.

use originguard::origin::gs1::ai_table::{self, PREDEFINED};

/// AIs in the 2026-01-27 release of the dictionary, ranges expanded. A new release changes
/// this number, on purpose.
const DICTIONARY_AIS: usize = 541;

#[test]
fn the_dictionary_yields_the_pinned_number_of_ais() {
    assert_eq!(ai_table::all().len(), DICTIONARY_AIS);
    assert!(ai_table::DICTIONARY.contains("Release: 2026-01-27"));
    assert!(ai_table::DICTIONARY.contains("Apache License, Version 2.0"));
}

#[test]
fn table_is_sorted_unique_and_prefix_free() {
    let table = ai_table::all();
    for pair in table.windows(2) {
        assert!(pair[0].ai < pair[1].ai, "{} / {}", pair[0].ai, pair[1].ai);
    }
    for a in table {
        for b in table {
            if a.ai != b.ai {
                assert!(!b.ai.starts_with(&a.ai), "{} is a prefix of {}", a.ai, b.ai);
            }
        }
        let (found, len) = ai_table::match_prefix(a.ai.as_bytes()).expect("indexed");
        assert_eq!((found.ai.as_str(), len), (a.ai.as_str(), a.ai.len()));
    }
}

#[test]
fn only_the_last_component_varies_and_lengths_fit_the_predefined_table() {
    for def in ai_table::all() {
        let (last, fixed) = def.parts.split_last().expect("at least one part");
        assert!(fixed.iter().all(|p| p.min == p.max), "{}", def.ai);
        assert!(last.min <= last.max && def.max_len() > 0, "{}", def.ai);
        if let Some(length) = def.predefined_len() {
            assert!(def.is_fixed_length(), "{} predefined but variable", def.ai);
            assert_eq!(def.max_len(), length, "{}", def.ai);
            let (ai_len, _) = ai_table::predefined(def.ai.as_bytes()).expect("row");
            assert_eq!(def.ai.len(), ai_len, "{}", def.ai);
        }
        assert_eq!(
            def.no_separator,
            def.predefined_len().is_some(),
            "{}: the dictionary's * flag and the predefined-length table disagree",
            def.ai
        );
    }
    assert_eq!(PREDEFINED.len(), 22);
}

#[test]
fn every_ai_and_pattern_in_a_rule_exists() {
    let table = ai_table::all();
    for def in table {
        let patterns = def.requires.iter().flatten().flatten().chain(&def.excludes);
        for pattern in patterns {
            assert!(
                table
                    .iter()
                    .any(|other| pattern.matches(other.ai.as_bytes())),
                "{} refers to {}, which matches no AI",
                def.ai,
                pattern.as_str()
            );
        }
        for qualifier in def.dl_key.iter().flatten().flatten() {
            assert!(ai_table::lookup(qualifier).is_some(), "{qualifier}");
        }
    }
}

#[test]
fn every_ai_named_in_rules_md_is_present() {
    let rules = [
        "00", "01", "02", "10", "11", "12", "13", "15", "16", "17", "20", "21", "22", "235", "240",
        "241", "250", "251", "253", "254", "30", "37", "400", "401", "402", "410", "411", "412",
        "413", "414", "415", "416", "417", "422", "423", "424", "425", "426", "7003", "8003",
        "8004", "8006", "8010", "8011", "8017", "8018", "8020", "90", "91", "92", "93", "94", "95",
        "96", "97", "98", "99",
    ];
    for ai in rules {
        assert!(ai_table::lookup(ai).is_some(), "{ai} missing");
    }
    for added in ["8013", "8030", "3922", "3923", "3925", "7240", "4330"] {
        assert!(ai_table::lookup(added).is_some(), "{added} missing");
    }
}

#[test]
fn measure_families_are_exactly_the_published_ones() {
    let families: Vec<u16> = (310..=316)
        .chain(320..=329)
        .chain(330..=337)
        .chain(340..=357)
        .chain(360..=369)
        .collect();
    for family in 310u16..370 {
        for decimals in 0..=9 {
            let ai = format!("{family}{decimals}");
            let expected = families.contains(&family) && decimals <= 5;
            assert_eq!(ai_table::lookup(&ai).is_some(), expected, "{ai}");
        }
        assert!(
            ai_table::lookup(&family.to_string()).is_none(),
            "three-digit {family} is not an AI"
        );
    }
}

#[test]
fn match_prefix_finds_ais_of_every_length() {
    let cases: [(&str, &str, usize); 6] = [
        ("0108935049500018", "01", 2),
        ("2351234", "235", 3),
        ("3103001250", "3103", 4),
        ("7003271231", "7003", 4),
        ("8006089350495000180102", "8006", 4),
        ("8013ABC", "8013", 4),
    ];
    for (data, ai, len) in cases {
        let (def, found) = ai_table::match_prefix(data.as_bytes()).expect(data);
        assert_eq!((def.ai.as_str(), found), (ai, len));
    }
    assert!(ai_table::match_prefix(b"23").is_none());
    assert!(ai_table::match_prefix(b"0").is_none());
    assert!(ai_table::match_prefix("é1".as_bytes()).is_none());
}
