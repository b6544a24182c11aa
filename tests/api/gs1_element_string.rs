//! Element strings, bare GTINs and the error contract: every error code with its AI and
//! character position, as a client of `POST /v1/traceability/check` would see them.

use originguard::origin::gs1::{self, Format, Gs1Error, Gs1ErrorCode};

const YEAR: i32 = 2025;

fn errors(input: &str) -> Vec<(Gs1ErrorCode, Option<String>, Option<usize>)> {
    gs1::parse(input, YEAR)
        .errors
        .into_iter()
        .map(|Gs1Error { code, ai, position }| (code, ai, position))
        .collect()
}

fn one(
    code: Gs1ErrorCode,
    ai: Option<&str>,
    position: Option<usize>,
) -> Vec<(Gs1ErrorCode, Option<String>, Option<usize>)> {
    vec![(code, ai.map(str::to_owned), position)]
}

fn ais(input: &str) -> Vec<String> {
    gs1::parse(input, YEAR)
        .elements
        .into_iter()
        .map(|e| e.ai.into_string())
        .collect()
}

#[test]
fn bracketed_rules_example_is_valid_with_all_elements() {
    let check = gs1::parse("(01)08935049500018(17)271231(10)LOT7", YEAR);
    assert!(check.valid(), "{:?}", check.errors);
    assert_eq!(check.format, Format::ElementString);
    assert_eq!(
        ais("(01)08935049500018(17)271231(10)LOT7"),
        ["01", "17", "10"]
    );
    assert_eq!(
        check.gtin.map(|g| g.to_string()),
        Some("08935049500018".to_owned())
    );
    assert_eq!(check.lot(), Some("LOT7"));
    assert_eq!(check.elements[1].title, "USE BY or EXPIRY");
    assert_eq!(
        check.expiry_date(YEAR).map(|d| d.to_string()),
        Some("2027-12-31".to_owned())
    );
    let prefix = check.gs1_prefix().expect("893 is assigned");
    assert_eq!((prefix.issuer, prefix.country), ("GS1 Vietnam", Some("VN")));
}

#[test]
fn unbracketed_with_symbology_ids_and_gs_separators() {
    for id in ["", "]C1", "]e0", "]d2", "]Q3", "]J1", "\u{1d}", "]d2\u{1d}"] {
        let input = format!("{id}01089350495000181727123110LOT7\u{1d}21SN-1");
        let check = gs1::parse(&input, YEAR);
        assert!(check.valid(), "{input:?}: {:?}", check.errors);
        assert_eq!(ais(&input), ["01", "17", "10", "21"]);
        assert_eq!(check.serial(), Some("SN-1"));
    }
    // A GS after a predefined-length field is tolerated, a trailing GS too.
    assert!(gs1::parse("0108935049500018\u{1d}10LOT7\u{1d}", YEAR).valid());
}

#[test]
fn bare_gtins_of_every_length_are_normalised() {
    for (input, gtin) in [
        ("4006381333931", "04006381333931"),
        ("08935049500018", "08935049500018"),
        ("036000291452", "00036000291452"),
        ("96385074", "00000096385074"),
        ("  4006381333931\r\n", "04006381333931"),
    ] {
        let check = gs1::parse(input, YEAR);
        assert!(check.valid(), "{input}: {:?}", check.errors);
        assert_eq!(check.format, Format::Gtin);
        assert_eq!(check.gtin.map(|g| g.to_string()).as_deref(), Some(gtin));
        assert_eq!(check.value_of("01"), Some(gtin));
    }
}

#[test]
fn check_digit_errors_point_at_the_check_digit() {
    assert_eq!(
        errors("(01)08935049500017"),
        one(Gs1ErrorCode::CheckDigit, Some("01"), Some(17))
    );
    assert_eq!(
        errors("4006381333932"),
        one(Gs1ErrorCode::CheckDigit, None, Some(12))
    );
    assert_eq!(
        errors(" 4006381333932"),
        one(Gs1ErrorCode::CheckDigit, None, Some(13))
    );
    let check = gs1::parse("(01)08935049500017", YEAR);
    assert!(check.gtin.is_none() && !check.valid());
}

#[test]
fn positions_count_characters_not_bytes() {
    // "(10)é" is five characters but six bytes: the check digit is character 22.
    let found = errors("(10)é(01)08935049500017");
    assert_eq!(
        found[0],
        (Gs1ErrorCode::BadCharacter, Some("10".to_owned()), Some(4))
    );
    assert_eq!(
        found[1],
        (Gs1ErrorCode::CheckDigit, Some("01".to_owned()), Some(22))
    );
}

#[test]
fn bad_length_for_short_keys_and_overlong_input() {
    assert_eq!(
        errors("(01)0893504950001"),
        one(Gs1ErrorCode::BadLength, Some("01"), Some(4))
    );
    assert_eq!(
        errors("(01)08935049500018(10)ABCDEFGHIJKLMNOPQRSTU"),
        one(Gs1ErrorCode::BadLength, Some("10"), Some(42))
    );
    let long = "1".repeat(5000);
    assert_eq!(
        errors(&long),
        one(Gs1ErrorCode::BadLength, None, Some(gs1::MAX_CODE_LEN))
    );
    let long_multibyte = "é".repeat(600);
    assert_eq!(
        errors(&long_multibyte),
        one(Gs1ErrorCode::BadLength, None, Some(512))
    );
    // 512 multi-byte characters is not over the cap (2 bytes each): it is read, and refused
    // for what it is.
    let at_cap = "é".repeat(512);
    assert_ne!(errors(&at_cap)[0].0, Gs1ErrorCode::BadLength);
}

#[test]
fn bad_characters_outside_the_field_character_set() {
    assert_eq!(
        errors("(01)08935049500018(10)LOT 7"),
        one(Gs1ErrorCode::BadCharacter, Some("10"), Some(25))
    );
    assert_eq!(errors("]X001089350495000"), {
        let mut expected = one(Gs1ErrorCode::BadCharacter, None, Some(0));
        expected.extend(one(Gs1ErrorCode::BadLength, Some("01"), Some(5)));
        expected
    });
    assert_eq!(
        errors("(01"),
        one(Gs1ErrorCode::BadCharacter, None, Some(0))
    );
}

#[test]
fn unknown_ai_is_reported_and_reading_continues() {
    let check = gs1::parse("(23)ABC(01)08935049500018", YEAR);
    assert_eq!(
        check.errors,
        vec![Gs1Error::new(Gs1ErrorCode::UnknownAi, Some("23"), Some(1))]
    );
    assert!(check.gtin.is_some());
    // Unbracketed: an unknown predefined-length AI (14) is skipped by its length.
    let check = gs1::parse("]C114271231010893504950001810L", YEAR);
    assert_eq!(
        check.errors,
        vec![Gs1Error::new(Gs1ErrorCode::UnknownAi, Some("14"), Some(3))]
    );
    assert_eq!(ais("]C114271231010893504950001810L"), ["01", "10"]);
    // The measure families only go up to 5 decimals and only exist as 4-digit AIs.
    assert_eq!(
        errors("(01)08935049500018(3106)000100")[0].0,
        Gs1ErrorCode::UnknownAi
    );
    assert_eq!(
        errors("(01)08935049500018(310)000100")[0].0,
        Gs1ErrorCode::UnknownAi
    );
    assert!(gs1::parse("(01)08935049500018(3105)000100", YEAR).valid());
}

#[test]
fn invalid_dates_point_at_the_date() {
    assert_eq!(
        errors("(01)08935049500018(17)271331"),
        one(Gs1ErrorCode::InvalidDate, Some("17"), Some(22))
    );
    assert!(gs1::parse("(01)08935049500018(17)280229", YEAR).valid());
    assert!(!gs1::parse("(01)08935049500018(17)270229", YEAR).valid());
    assert!(gs1::parse("(01)08935049500018(17)271200", YEAR).valid());
    assert_eq!(errors("(7003)2712312460")[0].0, Gs1ErrorCode::InvalidDate);
}

#[test]
fn missing_separator_when_a_field_runs_into_the_next() {
    // 422 is fixed-length but not predefined: without GS its data runs into AI 10.
    assert_eq!(
        errors(concat!("0108935049500018422704", "10LOT7")),
        one(Gs1ErrorCode::MissingSeparator, Some("422"), Some(22))
    );
    let overlong = format!("010893504950001810{}", "A".repeat(25));
    assert_eq!(
        errors(&overlong),
        one(Gs1ErrorCode::MissingSeparator, Some("10"), Some(38))
    );
    // With the separator the same data is fine.
    assert!(gs1::parse("0108935049500018422704\u{1d}10LOT7", YEAR).valid());
}

#[test]
fn duplicates_with_different_values_are_refused_same_value_tolerated() {
    assert_eq!(
        errors("(01)08935049500018(10)A(10)B"),
        one(Gs1ErrorCode::DuplicateAi, Some("10"), Some(24))
    );
    let same = gs1::parse("(01)08935049500018(10)A(10)A", YEAR);
    assert!(same.valid());
    assert_eq!(same.elements.len(), 2);
}

#[test]
fn associations_requires_and_excludes() {
    assert_eq!(
        errors("(10)LOT7"),
        one(Gs1ErrorCode::MissingRequiredAi, Some("10"), Some(1))
    );
    assert_eq!(
        errors("(01)08935049500018(235)TPX1(21)S1"),
        one(Gs1ErrorCode::ConflictingAi, Some("21"), Some(28))
    );
    assert!(gs1::parse("(8006)089350495000180102(10)L(21)S", YEAR).valid());
    assert!(gs1::parse("(00)106141411234567897(02)08935049500018(37)12", YEAR).valid());
    assert_eq!(
        errors("(02)08935049500018(37)12"),
        one(Gs1ErrorCode::MissingRequiredAi, Some("37"), Some(19))
    );
    assert_eq!(
        errors("(250)X(01)08935049500018")[0].0,
        Gs1ErrorCode::MissingRequiredAi
    );
    assert!(gs1::parse("(414)5412345000013(254)EXT", YEAR).valid());
    assert!(gs1::parse("(415)5412345000013(8020)REF1", YEAR).valid());
    assert_eq!(errors("(8011)123")[0].0, Gs1ErrorCode::MissingRequiredAi);
}

#[test]
fn country_codes_must_be_iso_numeric() {
    let check = gs1::parse("(01)08935049500018(422)704", YEAR);
    assert!(check.valid());
    assert_eq!(check.country_of_origin_numeric(), Some("704"));
    assert_eq!(check.country_of_origin().map(|c| c.alpha2), Some("VN"));
    assert_eq!(
        errors("(01)08935049500018(422)999"),
        one(Gs1ErrorCode::BadCountryCode, Some("422"), Some(23))
    );
    assert!(gs1::parse("(01)08935049500018(423)704156", YEAR).valid());
    assert_eq!(
        errors("(01)08935049500018(425)7041")[0].0,
        Gs1ErrorCode::BadLength
    );
}

#[test]
fn free_input_that_is_not_gs1_data_is_never_guessed_to_be_an_ai() {
    for input in [
        "400638133",
        "4006381333931A",
        "1727123",
        "ABC",
        "  4006381333  ",
    ] {
        let check = gs1::parse(input, YEAR);
        assert_eq!(
            check.errors,
            vec![Gs1Error::new(
                Gs1ErrorCode::NotGs1Data,
                None,
                Some(input.len() - input.trim_start().len())
            )],
            "{input:?}"
        );
        assert!(check.elements.is_empty(), "{input:?}");
    }
    // A bracket, a symbology identifier or a GS marks an element string; so does a start
    // with a fixed-length key AI, as a keyboard-wedge scanner sends it.
    assert_eq!(
        gs1::parse("(400)638133", YEAR).value_of("400"),
        Some("638133")
    );
    assert_eq!(
        gs1::parse("]C1400638133", YEAR).value_of("400"),
        Some("638133")
    );
    assert_eq!(
        gs1::parse("\u{1d}400638133", YEAR).value_of("400"),
        Some("638133")
    );
    assert!(gs1::parse("010893504950001810LOT7", YEAR).valid());
    assert!(gs1::parse("00106141411234567897", YEAR).valid());
    assert_eq!(
        gs1::parse("4006381333931", YEAR).format,
        gs1::Format::Gtin,
        "13 digits are a bare GTIN"
    );
}

#[test]
fn the_dictionary_association_rules_apply() {
    for (code, ai, rule) in [
        ("(240)ABC", "240", Gs1ErrorCode::MissingRequiredAi),
        ("(415)5412345000013", "415", Gs1ErrorCode::MissingRequiredAi),
        (
            "(01)08935049500018(255)4000001000005",
            "01",
            Gs1ErrorCode::ConflictingAi,
        ),
        (
            "(01)08935049500018(3103)000100(3102)000200",
            "3103",
            Gs1ErrorCode::ConflictingAi,
        ),
    ] {
        let check = gs1::parse(code, YEAR);
        assert!(
            check
                .errors
                .iter()
                .any(|e| e.code == rule && e.ai.as_deref() == Some(ai)),
            "{code}: {:?}",
            check.errors
        );
    }
    assert!(gs1::parse("(415)5412345000013(8020)REF-1", YEAR).valid());
    assert!(gs1::parse("(01)08935049500018(240)ABC", YEAR).valid());
}

#[test]
fn the_dictionary_linters_apply_through_the_parser() {
    let code = |code: &str| errors(code).first().map(|e| e.0);
    assert_eq!(
        code("(8006)089350495000180201"),
        Some(Gs1ErrorCode::InvalidValue),
        "piece 2 of 1"
    );
    assert_eq!(
        code("(8010)8935AB(8011)0123"),
        Some(Gs1ErrorCode::BadCharacter),
        "leading zero"
    );
    assert_eq!(
        code("(415)5412345000013(8020)R(8007)GB83WEST12345698765432"),
        Some(Gs1ErrorCode::CheckDigit)
    );
    assert!(gs1::parse(
        "(415)5412345000013(8020)R(8007)GB82WEST12345698765432",
        YEAR
    )
    .valid());
    assert_eq!(
        code("(401)ABCD-1"),
        Some(Gs1ErrorCode::BadCharacter),
        "company prefix first"
    );
    assert_eq!(
        code("(01)08935049500018(8001)00001234567891"),
        Some(Gs1ErrorCode::InvalidValue)
    );
    assert!(gs1::parse("(8013)1987654Ad4X4bL5ttr2310c2K", YEAR).valid());
    assert_eq!(
        code("(8013)1987654Ad4X4bL5ttr2310c2L"),
        Some(Gs1ErrorCode::CheckDigit)
    );
    assert!(gs1::parse("(00)106141411234567897(8030)aGVsbG8", YEAR).valid());
    assert!(gs1::parse("(8020)R-1(415)5412345000013(3922)1250", YEAR)
        .errors
        .iter()
        .all(|e| e.code != Gs1ErrorCode::UnknownAi));
}

#[test]
fn empty_input_is_its_own_error() {
    for input in ["", "   ", "\r\n"] {
        assert_eq!(
            errors(input),
            one(Gs1ErrorCode::Empty, None, None),
            "{input:?}"
        );
    }
    assert_eq!(errors("]C1"), one(Gs1ErrorCode::Empty, None, None));
}

#[test]
fn composite_keys_and_measures_are_read_generically() {
    let check = gs1::parse(
        "(253)4000001000005ABC(8003)04000001000005X(01)08935049500018(3103)001250",
        YEAR,
    );
    assert!(check.valid(), "{:?}", check.errors);
    assert_eq!(check.value_of("3103"), Some("001250"));
    assert_eq!(check.elements[3].title, "NET WEIGHT (kg)");
    // Unbracketed: 3103 is predefined (6 digits), no separator needed after it.
    let check = gs1::parse("0108935049500018310300125010LOT", YEAR);
    assert!(check.valid(), "{:?}", check.errors);
}
