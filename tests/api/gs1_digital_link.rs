//! GS1 Digital Link URIs as a client sends them to `POST /v1/traceability/check`.

use originguard::origin::gs1::{self, Format, Gs1Error, Gs1ErrorCode};

const YEAR: i32 = 2025;

fn ais(input: &str) -> Vec<String> {
    gs1::parse(input, YEAR)
        .elements
        .into_iter()
        .map(|e| e.ai.into_string())
        .collect()
}

fn codes(input: &str) -> Vec<Gs1ErrorCode> {
    gs1::parse(input, YEAR)
        .errors
        .into_iter()
        .map(|e| e.code)
        .collect()
}

#[test]
fn canonical_uri_reads_key_qualifiers_and_attributes() {
    let uri = "https://id.gs1.org/01/08935049500018/10/LOT7?17=271231";
    let check = gs1::parse(uri, YEAR);
    assert!(check.valid(), "{:?}", check.errors);
    assert_eq!(check.format, Format::DigitalLink);
    assert_eq!(ais(uri), ["01", "10", "17"]);
    assert_eq!(check.lot(), Some("LOT7"));
    assert_eq!(
        check.gtin.map(|g| g.to_string()).as_deref(),
        Some("08935049500018")
    );
}

#[test]
fn any_host_path_prefix_short_gtins_and_ignored_parameters() {
    let uri = "HTTP://shop.example.vn/p/2024/01/8935049500018/21/SN%2F1?linkType=all&17=271200#x";
    let check = gs1::parse(uri, YEAR);
    assert!(check.valid(), "{:?}", check.errors);
    assert_eq!(check.value_of("01"), Some("08935049500018"));
    assert_eq!(check.serial(), Some("SN/1"));
    assert_eq!(ais(uri), ["01", "21", "17"]);
    let gtin8 = gs1::parse("https://id.gs1.org/01/96385074", YEAR);
    assert_eq!(gtin8.value_of("01"), Some("00000096385074"));
    let gtin12 = gs1::parse("https://id.gs1.org/01/036000291452/", YEAR);
    assert!(gtin12.valid());
    assert_eq!(gtin12.value_of("01"), Some("00036000291452"));
}

#[test]
fn qualifier_orders_allowed_per_key() {
    let valid = [
        "https://a.b/01/08935049500018/22/V1/10/L1/21/S1",
        "https://a.b/01/08935049500018/22/V1/21/S1",
        "https://a.b/01/08935049500018/235/TPX",
        "https://a.b/8006/089350495000180102/10/L1",
        "https://a.b/414/5412345000013/254/EXT",
        "https://a.b/414/5412345000013/7040/1ABC",
        "https://a.b/8017/106141411234567897/8019/12",
        "https://a.b/00/106141411234567897",
        "https://a.b/253/4000001000005ABC",
        "https://a.b/8004/8935ASSET-1",
        "https://a.b/8004/8935ASSET-1/7040/1ABC",
        "https://a.b/417/5412345000013/7040/1ABC",
        "https://a.b/415/5412345000013/8020/REF-1",
        "https://a.b/8013/1987654Ad4X4bL5ttr2310c2K",
    ];
    for uri in valid {
        let check = gs1::parse(uri, YEAR);
        assert!(check.valid(), "{uri}: {:?}", check.errors);
    }
    let wrong = gs1::parse("https://a.b/01/08935049500018/21/S1/10/L1", YEAR);
    assert_eq!(
        wrong.errors,
        vec![Gs1Error::new(
            Gs1ErrorCode::KeyQualifierOrder,
            Some("10"),
            Some(36)
        )]
    );
    assert_eq!(
        codes("https://a.b/01/08935049500018/235/T/21/S"),
        [Gs1ErrorCode::KeyQualifierOrder, Gs1ErrorCode::ConflictingAi]
    );
    assert_eq!(
        codes("https://a.b/414/5412345000013/254/E/7040/1ABC"),
        [Gs1ErrorCode::KeyQualifierOrder]
    );
}

#[test]
fn qualifier_in_the_query_string_is_refused() {
    let check = gs1::parse("https://id.gs1.org/01/08935049500018?10=LOT7", YEAR);
    assert_eq!(
        check.errors,
        vec![Gs1Error::new(
            Gs1ErrorCode::KeyQualifierOrder,
            Some("10"),
            Some(37)
        )]
    );
    assert_eq!(check.lot(), Some("LOT7"));
}

#[test]
fn only_listed_gln_ais_are_keys_and_a_key_is_needed() {
    assert_eq!(
        codes("https://id.gs1.org/410/5412345000013"),
        [Gs1ErrorCode::BadDigitalLink]
    );
    assert!(gs1::parse("https://id.gs1.org/417/5412345000013", YEAR).valid());
    let no_key = gs1::parse("https://id.gs1.org/products/123", YEAR);
    assert_eq!(
        no_key.errors,
        vec![Gs1Error::new(Gs1ErrorCode::BadDigitalLink, None, Some(18))]
    );
    let no_host = gs1::parse("https:///01/08935049500018", YEAR);
    assert_eq!(
        no_host.errors,
        vec![Gs1Error::new(Gs1ErrorCode::BadDigitalLink, None, Some(8))]
    );
    assert_eq!(codes("https://id.gs1.org"), [Gs1ErrorCode::BadDigitalLink]);
}

#[test]
fn values_are_checked_like_element_strings() {
    let check = gs1::parse("https://id.gs1.org/01/08935049500017", YEAR);
    assert_eq!(
        check.errors,
        vec![Gs1Error::new(
            Gs1ErrorCode::CheckDigit,
            Some("01"),
            Some(35)
        )]
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018?17=271331"),
        [Gs1ErrorCode::InvalidDate]
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018/10/L%2"),
        [Gs1ErrorCode::BadDigitalLink]
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018/10/L%20T"),
        [Gs1ErrorCode::BadCharacter]
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018?9999=1"),
        [Gs1ErrorCode::UnknownAi]
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018/23/X"),
        [Gs1ErrorCode::KeyQualifierOrder, Gs1ErrorCode::UnknownAi]
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018?422=999"),
        [Gs1ErrorCode::BadCountryCode]
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018/10/A?10=B"),
        [Gs1ErrorCode::DuplicateAi],
        "an AI of the path given again in the query is not read again"
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018?17=271231&17=271231"),
        [Gs1ErrorCode::DuplicateAi],
        "a repeated query attribute is refused even with the same value"
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018?400=A+B"),
        [Gs1ErrorCode::BadDigitalLink],
        "a + in the query would mean a space in form encoding"
    );
    assert_eq!(
        codes("https://id.gs1.org/01/08935049500018?8011=12"),
        [Gs1ErrorCode::BadDigitalLink],
        "8011 may not be a data attribute"
    );
    assert_eq!(
        codes("https://a.b/8004/8935ASSET-1/8011/12"),
        [
            Gs1ErrorCode::KeyQualifierOrder,
            Gs1ErrorCode::MissingRequiredAi
        ]
    );
    assert_eq!(
        codes("HtTpS://id.gs1.org/01/08935049500018"),
        Vec::<Gs1ErrorCode>::new(),
        "schemes are case-insensitive (RFC 3986)"
    );
}
