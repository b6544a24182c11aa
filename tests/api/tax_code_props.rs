//! Property tests of tax-code parsing against an independent re-implementation of the rules.

use originguard::origin::tax_code::{TaxCode, TaxCodeError, TaxCodeKind};
use proptest::prelude::*;

/// Weights written out again here, independently of the crate's constant.
const WEIGHTS: [i64; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// The check digit of a 9-digit body by the reference arithmetic, `None` when 10 would result.
fn reference_check_digit(body: &str) -> Option<u8> {
    let sum: i64 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| i64::from(b - b'0') * w)
        .sum();
    let digit = 10 - sum.rem_euclid(11);
    (digit != 10).then_some(digit as u8)
}

fn reference_valid(code: &str) -> bool {
    code.len() == 10
        && code.bytes().all(|b| b.is_ascii_digit())
        && reference_check_digit(&code[..9]) == Some(code.as_bytes()[9] - b'0')
        && &code[2..9] != "0000000"
}

/// A valid 10-digit code built from any 9-digit body that has a check digit.
fn valid_code() -> impl Strategy<Value = String> {
    "[0-9]{9}".prop_filter_map("body without check digit or unissued", |body| {
        let check = reference_check_digit(&body)?;
        (&body[2..9] != "0000000").then(|| format!("{body}{check}"))
    })
}

#[test]
fn no_single_digit_change_keeps_the_weighted_sum_mod_11() {
    // A digit changes by d in -9..=9, d != 0; the sum changes by w*d. 11 is prime and neither
    // w nor d is a multiple of it, so the remainder always changes.
    for weight in WEIGHTS {
        for delta in (-9i64..=9).filter(|d| *d != 0) {
            assert_ne!((weight * delta).rem_euclid(11), 0, "w={weight} d={delta}");
        }
    }
}

proptest! {
    #[test]
    fn any_body_with_a_check_digit_validates(code in valid_code()) {
        let parsed = TaxCode::parse(&code);
        prop_assert_eq!(parsed.map(|c| c.to_string()), Ok(code.clone()));
        prop_assert_eq!(parsed.map(|c| c.kind()), Ok(TaxCodeKind::Enterprise));
    }

    #[test]
    fn bodies_agree_with_the_reference(body in "[0-9]{9}", last in 0u8..10) {
        let code = format!("{body}{last}");
        prop_assert_eq!(TaxCode::parse(&code).is_ok(), reference_valid(&code));
    }

    #[test]
    fn any_single_changed_digit_does_not_validate(
        code in valid_code(),
        position in 0usize..10,
        delta in 1u8..10,
    ) {
        let mut bytes = code.clone().into_bytes();
        bytes[position] = b'0' + (bytes[position] - b'0' + delta) % 10;
        let changed = String::from_utf8(bytes).unwrap_or_default();
        prop_assert!(!reference_valid(&changed), "reference accepts {} from {}", changed, code);
        prop_assert!(TaxCode::parse(&changed).is_err(), "{} from {}", changed, code);
        let branch = format!("{changed}-001");
        prop_assert!(TaxCode::parse(&branch).is_err());
    }

    #[test]
    fn branches_of_valid_parents_validate_in_both_forms(code in valid_code(), unit in 1u16..=999) {
        let dashed = format!("{code}-{unit:03}");
        let plain = format!("{code}{unit:03}");
        prop_assert_eq!(TaxCode::parse(&plain).map(|c| c.to_string()), Ok(dashed.clone()));
        let parsed = TaxCode::parse(&dashed);
        prop_assert_eq!(parsed.map(|c| c.branch_number()), Ok(Some(unit)));
        prop_assert_eq!(parsed.map(|c| c.parent().map(|p| p.to_string())), Ok(Some(code)));
    }

    #[test]
    fn personal_numbers_follow_the_province_range(number in "[0-9]{12}") {
        let province: u16 = number[..3].parse().unwrap_or(0);
        let expected = if (1..=96).contains(&province) {
            Ok(TaxCodeKind::Personal)
        } else {
            Err(TaxCodeError::BadProvince)
        };
        prop_assert_eq!(TaxCode::parse(&number).map(|c| c.kind()), expected);
    }

    #[test]
    fn parse_never_panics_on_arbitrary_strings(text in any::<String>()) {
        let _ = TaxCode::parse(&text);
    }

    #[test]
    fn parse_never_panics_on_near_misses(text in "[0-9\\- \u{a0}\u{ff10}x]{0,20}") {
        if let Ok(code) = TaxCode::parse(&text) {
            // Whatever is accepted round-trips through its canonical form.
            prop_assert_eq!(TaxCode::parse(code.as_str()), Ok(code));
        }
    }
}
