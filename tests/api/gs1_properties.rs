//! Property tests for the GS1 parsers: check digits, equivalence of the three written forms,
//! what free input counts as GS1 data, linters and Digital Link rules from the Syntax
//! Dictionary, and no panic on any input.

use crate::common::gs1_support;

use gs1_support::percent_encode;
use originguard::i18n::Lang;
use originguard::origin::gs1::{self, check_digit, Gs1ErrorCode, Gtin};
use proptest::prelude::*;

const YEAR: i32 = 2025;

fn with_check_digit(body: &str) -> String {
    let digit = check_digit::compute(body).expect("digits");
    format!("{body}{digit}")
}

proptest! {
    #[test]
    fn any_body_with_its_computed_check_digit_is_a_valid_gtin(
        body in prop_oneof!["[0-9]{7}", "[0-9]{11}", "[0-9]{12}", "[0-9]{13}"]
    ) {
        let code = with_check_digit(&body);
        let gtin = Gtin::parse(&code).expect("valid");
        prop_assert_eq!(gtin.as_str().len(), 14);
        prop_assert!(gtin.as_str().ends_with(&code));
        prop_assert!(gs1::parse(&code, YEAR).valid());
    }

    #[test]
    fn any_single_changed_digit_is_caught(
        body in "[0-9]{12}", index in 0usize..13, bump in 1u8..10
    ) {
        let code = with_check_digit(&body);
        let mut bytes = code.into_bytes();
        bytes[index] = b'0' + (bytes[index] - b'0' + bump) % 10;
        let changed = String::from_utf8(bytes).expect("ascii");
        let error = Gtin::parse(&changed).expect_err("one digit changed");
        prop_assert_eq!(error.code, Gs1ErrorCode::CheckDigit);
        prop_assert!(!gs1::parse(&changed, YEAR).valid());
    }

    #[test]
    fn bracketed_unbracketed_and_digital_link_forms_agree(
        body in "[0-9]{13}",
        lot in "[A-Za-z0-9!\"%&')*+,\\-./:;<=>?_]{1,20}",
        serial in "[A-Za-z0-9\\-./_]{1,20}",
        year in 0u32..100, month in 1u32..13, day in 0u32..29,
    ) {
        let gtin = with_check_digit(&body);
        let date = format!("{year:02}{month:02}{day:02}");
        let bracketed = format!("(01){gtin}(10){lot}(21){serial}(17){date}");
        let unbracketed = format!("]d201{gtin}10{lot}\u{1d}21{serial}\u{1d}17{date}");
        let link = format!(
            "https://id.gs1.org/01/{gtin}/10/{}/21/{}?17={date}",
            percent_encode(&lot),
            percent_encode(&serial)
        );
        let reference = gs1::parse(&bracketed, YEAR);
        prop_assert!(reference.valid(), "{:?}", reference.errors);
        prop_assert_eq!(reference.lot(), Some(lot.as_str()));
        for other in [&unbracketed, &link] {
            let check = gs1::parse(other, YEAR);
            prop_assert!(check.valid(), "{}: {:?}", other, check.errors);
            prop_assert_eq!(&check.elements, &reference.elements);
            prop_assert_eq!(check.gtin, reference.gtin);
        }
    }

    #[test]
    fn unmarked_free_input_is_gs1_data_only_as_a_gtin_or_after_a_key_ai(
        input in "[0-9]{1,30}|[0-9A-Za-z]{1,30}"
    ) {
        let check = gs1::parse(&input, YEAR);
        let digits = input.bytes().all(|b| b.is_ascii_digit());
        let not_gs1 = check.errors.iter().any(|e| e.code == Gs1ErrorCode::NotGs1Data);
        if digits && matches!(input.len(), 8 | 12 | 13 | 14) {
            prop_assert_eq!(check.format, gs1::Format::Gtin);
            prop_assert!(!not_gs1);
        } else if input.starts_with("00") || input.starts_with("01") {
            prop_assert!(!not_gs1, "{}: {:?}", input, check.errors);
        } else {
            prop_assert!(!check.valid());
            prop_assert_eq!(check.errors.len(), 1);
            prop_assert!(not_gs1);
            prop_assert!(check.elements.is_empty(), "never guessed to be an AI: {:?}", check.elements);
        }
    }

    #[test]
    fn a_mark_makes_free_input_an_element_string(body in "400[0-9A-Z]{1,20}") {
        for marked in [format!("(400){}", &body[3..]), format!("]C1{body}"), format!("\u{1d}{body}")] {
            let check = gs1::parse(&marked, YEAR);
            prop_assert!(check.errors.iter().all(|e| e.code != Gs1ErrorCode::NotGs1Data));
            prop_assert_eq!(check.value_of("400"), Some(&body[3..]));
        }
    }

    #[test]
    fn piece_of_total_accepts_exactly_a_piece_within_the_total(piece in 0u8..100, total in 0u8..100) {
        let check = gs1::parse(&format!("(8006)04006381333931{piece:02}{total:02}"), YEAR);
        prop_assert_eq!(check.valid(), 1 <= piece && piece <= total, "{:?}", check.errors);
    }

    #[test]
    fn a_component_serial_may_not_start_with_zero(serial in "[0-9]{1,12}") {
        let check = gs1::parse(&format!("(8010)8935ABC-1(8011){serial}"), YEAR);
        prop_assert_eq!(check.valid(), !serial.starts_with('0'), "{:?}", check.errors);
    }

    #[test]
    fn a_digital_link_query_attribute_may_appear_once(
        first in "[0-9]{6}", second in "[0-9]{6}", plus in "[A-Z]{1,5}",
    ) {
        let base = "https://example.com/01/04006381333931";
        let once = gs1::parse(&format!("{base}?3103={first}"), YEAR);
        prop_assert!(once.valid(), "{:?}", once.errors);
        let twice = gs1::parse(&format!("{base}?3103={first}&3103={second}"), YEAR);
        prop_assert!(twice.errors.iter().any(|e| e.code == Gs1ErrorCode::DuplicateAi));
        let space = gs1::parse(&format!("{base}?400={plus}+{plus}"), YEAR);
        prop_assert!(space.errors.iter().any(|e| e.code == Gs1ErrorCode::BadDigitalLink));
        let encoded = gs1::parse(&format!("{base}?400={plus}%2B{plus}"), YEAR);
        prop_assert!(encoded.valid(), "{:?}", encoded.errors);
        let expected = format!("{plus}+{plus}");
        prop_assert_eq!(encoded.value_of("400"), Some(expected.as_str()));
    }

    #[test]
    fn parse_never_panics_on_arbitrary_text(input in "\\PC{0,80}|[\\x00-\\x7f]{0,80}") {
        check_consistent(&input);
    }

    #[test]
    fn parse_never_panics_on_gs1_like_fragments(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("(01)".to_owned()), Just("(10)".to_owned()), Just("(".to_owned()),
                Just(")".to_owned()), Just("\u{1d}".to_owned()), Just("]C1".to_owned()),
                Just("https://".to_owned()), Just("/01/".to_owned()), Just("?17=".to_owned()),
                Just("%".to_owned()), Just("%C3%A9".to_owned()), Just("é".to_owned()),
                Just("漢".to_owned()), Just("3103".to_owned()), Just("422".to_owned()),
                "[0-9]{1,20}", "[A-Z]{1,5}",
            ],
            0..40,
        )
    ) {
        check_consistent(&parts.concat());
    }
}

fn check_consistent(input: &str) {
    let check = gs1::parse(input, YEAR);
    let chars = input.chars().count();
    for error in &check.errors {
        if let Some(position) = error.position {
            assert!(position <= chars, "{input:?}: {error:?}");
        }
        assert!(!error.message(Lang::Vi).is_empty());
    }
    assert_eq!(check.valid(), check.errors.is_empty());
}

#[test]
fn huge_and_control_inputs_do_not_panic() {
    let inputs = [
        "\u{1d}".repeat(5000),
        "(".repeat(5000),
        "https://".to_owned() + &"/01".repeat(1000),
        "é".repeat(5000),
        "\0\u{7f}\u{1b}".to_owned(),
        "]".to_owned(),
        "]d".to_owned(),
        "]é".to_owned(),
        "01".repeat(300),
    ];
    for input in inputs {
        check_consistent(&input);
    }
}
