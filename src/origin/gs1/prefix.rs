//! The GS1 prefix table, as data: which GS1 Member Organisation (or special range) issued the
//! company prefix a GTIN starts with.
//!
//! A GS1 prefix names the GS1 office that licensed the number, **not** where the goods were
//! made: a Vietnamese brand may license through GS1 France and a factory in China may use a
//! GS1 Vietnam number. `country` is the ISO alpha-2 of the issuing office's own country, and
//! `None` for restricted circulation, coupons, ISSN/ISBN and the GS1 Global Office. This
//! module must never be used to infer a product's origin; callers treat a difference as
//! information only.
//!
//! Source: the published GS1 Company Prefix list (gs1.org). Kosovo's office has no ISO
//! 3166-1 code, so its country is `None`. Prefix 623 was returned to the Global Office.
//!
//! GTIN-8 (stored as `000000` + 8 digits): the prefix is the first three digits of the
//! GTIN-8 itself; GTIN-8s starting with `0` or `2` are restricted circulation numbers
//! (RCN-8), the rest use the same table (e.g. `960`–`969` GTIN-8 from the Global Office).

use super::keys::Gtin;

/// What the GS1 prefix of a GTIN says about its issuer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PrefixInfo {
    /// The three prefix digits looked up.
    pub prefix: String,
    /// The issuing GS1 Member Organisation or the special use of the range.
    pub issuer: &'static str,
    /// ISO 3166-1 alpha-2 of the issuing organisation's country, when there is one.
    pub country: Option<&'static str>,
}

/// One row: inclusive prefix range, issuer, country of the issuer.
type Row = (u16, u16, &'static str, Option<&'static str>);

const RESTRICTED_REGION: &str = "Restricted circulation (GS1 Member Organisation defined)";
const RESTRICTED_COMPANY: &str = "Restricted circulation (within a company)";

/// The prefix table, sorted by range start, ranges disjoint. Unlisted prefixes are unassigned.
pub static PREFIX_TABLE: &[Row] = &[
    (0, 19, "GS1 US", Some("US")),
    (20, 29, RESTRICTED_REGION, None),
    (30, 39, "GS1 US", Some("US")),
    (40, 49, RESTRICTED_COMPANY, None),
    (50, 59, "GS1 US (reserved for future use)", Some("US")),
    (60, 139, "GS1 US", Some("US")),
    (200, 299, RESTRICTED_REGION, None),
    (300, 379, "GS1 France", Some("FR")),
    (380, 380, "GS1 Bulgaria", Some("BG")),
    (383, 383, "GS1 Slovenija", Some("SI")),
    (385, 385, "GS1 Croatia", Some("HR")),
    (387, 387, "GS1 BIH (Bosnia-Herzegovina)", Some("BA")),
    (389, 389, "GS1 Montenegro", Some("ME")),
    (390, 390, "GS1 Kosovo", None),
    (400, 440, "GS1 Germany", Some("DE")),
    (450, 459, "GS1 Japan", Some("JP")),
    (460, 469, "GS1 Russia", Some("RU")),
    (470, 470, "GS1 Kyrgyzstan", Some("KG")),
    (471, 471, "GS1 Taiwan", Some("TW")),
    (474, 474, "GS1 Estonia", Some("EE")),
    (475, 475, "GS1 Latvia", Some("LV")),
    (476, 476, "GS1 Azerbaijan", Some("AZ")),
    (477, 477, "GS1 Lithuania", Some("LT")),
    (478, 478, "GS1 Uzbekistan", Some("UZ")),
    (479, 479, "GS1 Sri Lanka", Some("LK")),
    (480, 480, "GS1 Philippines", Some("PH")),
    (481, 481, "GS1 Belarus", Some("BY")),
    (482, 482, "GS1 Ukraine", Some("UA")),
    (483, 483, "GS1 Turkmenistan", Some("TM")),
    (484, 484, "GS1 Moldova", Some("MD")),
    (485, 485, "GS1 Armenia", Some("AM")),
    (486, 486, "GS1 Georgia", Some("GE")),
    (487, 487, "GS1 Kazakstan", Some("KZ")),
    (488, 488, "GS1 Tajikistan", Some("TJ")),
    (489, 489, "GS1 Hong Kong, China", Some("HK")),
    (490, 499, "GS1 Japan", Some("JP")),
    (500, 509, "GS1 UK", Some("GB")),
    (520, 521, "GS1 Association Greece", Some("GR")),
    (528, 528, "GS1 Lebanon", Some("LB")),
    (529, 529, "GS1 Cyprus", Some("CY")),
    (530, 530, "GS1 Albania", Some("AL")),
    (531, 531, "GS1 North Macedonia", Some("MK")),
    (535, 535, "GS1 Malta", Some("MT")),
    (539, 539, "GS1 Ireland", Some("IE")),
    (540, 549, "GS1 Belgium & Luxembourg", Some("BE")),
    (560, 560, "GS1 Portugal", Some("PT")),
    (569, 569, "GS1 Iceland", Some("IS")),
    (570, 579, "GS1 Denmark", Some("DK")),
    (590, 590, "GS1 Poland", Some("PL")),
    (594, 594, "GS1 Romania", Some("RO")),
    (599, 599, "GS1 Hungary", Some("HU")),
    (600, 601, "GS1 South Africa", Some("ZA")),
    (603, 603, "GS1 Ghana", Some("GH")),
    (604, 604, "GS1 Senegal", Some("SN")),
    (605, 605, "GS1 Uganda", Some("UG")),
    (606, 606, "GS1 Angola", Some("AO")),
    (607, 607, "GS1 Oman", Some("OM")),
    (608, 608, "GS1 Bahrain", Some("BH")),
    (609, 609, "GS1 Mauritius", Some("MU")),
    (611, 611, "GS1 Morocco", Some("MA")),
    (612, 612, "GS1 Somalia", Some("SO")),
    (613, 613, "GS1 Algeria", Some("DZ")),
    (615, 615, "GS1 Nigeria", Some("NG")),
    (616, 616, "GS1 Kenya", Some("KE")),
    (617, 617, "GS1 Cameroon", Some("CM")),
    (618, 618, "GS1 Côte d'Ivoire", Some("CI")),
    (619, 619, "GS1 Tunisia", Some("TN")),
    (620, 620, "GS1 Tanzania", Some("TZ")),
    (621, 621, "GS1 Syria", Some("SY")),
    (622, 622, "GS1 Egypt", Some("EG")),
    (
        623,
        623,
        "GS1 Global Office (held for a future Member Organisation)",
        None,
    ),
    (624, 624, "GS1 Libya", Some("LY")),
    (625, 625, "GS1 Jordan", Some("JO")),
    (626, 626, "GS1 Iran", Some("IR")),
    (627, 627, "GS1 Kuwait", Some("KW")),
    (628, 628, "GS1 Saudi Arabia", Some("SA")),
    (629, 629, "GS1 Emirates", Some("AE")),
    (630, 630, "GS1 Qatar", Some("QA")),
    (631, 631, "GS1 Namibia", Some("NA")),
    (632, 632, "GS1 Rwanda", Some("RW")),
    (640, 649, "GS1 Finland", Some("FI")),
    (680, 681, "GS1 China", Some("CN")),
    (690, 699, "GS1 China", Some("CN")),
    (700, 709, "GS1 Norway", Some("NO")),
    (729, 729, "GS1 Israel", Some("IL")),
    (730, 739, "GS1 Sweden", Some("SE")),
    (740, 740, "GS1 Guatemala", Some("GT")),
    (741, 741, "GS1 El Salvador", Some("SV")),
    (742, 742, "GS1 Honduras", Some("HN")),
    (743, 743, "GS1 Nicaragua", Some("NI")),
    (744, 744, "GS1 Costa Rica", Some("CR")),
    (745, 745, "GS1 Panama", Some("PA")),
    (746, 746, "GS1 República Dominicana", Some("DO")),
    (750, 750, "GS1 Mexico", Some("MX")),
    (754, 755, "GS1 Canada", Some("CA")),
    (759, 759, "GS1 Venezuela", Some("VE")),
    (760, 769, "GS1 Schweiz, Suisse, Svizzera", Some("CH")),
    (770, 771, "GS1 Colombia", Some("CO")),
    (773, 773, "GS1 Uruguay", Some("UY")),
    (775, 775, "GS1 Peru", Some("PE")),
    (777, 777, "GS1 Bolivia", Some("BO")),
    (778, 779, "GS1 Argentina", Some("AR")),
    (780, 780, "GS1 Chile", Some("CL")),
    (784, 784, "GS1 Paraguay", Some("PY")),
    (786, 786, "GS1 Ecuador", Some("EC")),
    (789, 790, "GS1 Brasil", Some("BR")),
    (800, 839, "GS1 Italy", Some("IT")),
    (840, 849, "GS1 Spain", Some("ES")),
    (850, 850, "GS1 Cuba", Some("CU")),
    (858, 858, "GS1 Slovakia", Some("SK")),
    (859, 859, "GS1 Czech", Some("CZ")),
    (860, 860, "GS1 Serbia", Some("RS")),
    (865, 865, "GS1 Mongolia", Some("MN")),
    (867, 867, "GS1 North Korea", Some("KP")),
    (868, 869, "GS1 Türkiye", Some("TR")),
    (870, 879, "GS1 Netherlands", Some("NL")),
    (880, 881, "GS1 Korea", Some("KR")),
    (883, 883, "GS1 Myanmar", Some("MM")),
    (884, 884, "GS1 Cambodia", Some("KH")),
    (885, 885, "GS1 Thailand", Some("TH")),
    (887, 887, "GS1 Laos", Some("LA")),
    (888, 888, "GS1 Singapore", Some("SG")),
    (890, 890, "GS1 India", Some("IN")),
    (893, 893, "GS1 Vietnam", Some("VN")),
    (894, 894, "GS1 Bangladesh", Some("BD")),
    (896, 896, "GS1 Pakistan", Some("PK")),
    (899, 899, "GS1 Indonesia", Some("ID")),
    (900, 919, "GS1 Austria", Some("AT")),
    (930, 939, "GS1 Australia", Some("AU")),
    (940, 949, "GS1 New Zealand", Some("NZ")),
    (950, 950, "GS1 Global Office", None),
    (
        951,
        951,
        "GS1 Global Office (EPC General Manager Numbers)",
        None,
    ),
    (
        952,
        952,
        "GS1 Global Office (demonstrations and examples)",
        None,
    ),
    (955, 955, "GS1 Malaysia", Some("MY")),
    (958, 958, "GS1 Macau, China", Some("MO")),
    (960, 969, "GS1 Global Office (GTIN-8)", None),
    (977, 977, "Serial publications (ISSN)", None),
    (978, 979, "Bookland (ISBN)", None),
    (980, 980, "Refund receipts", None),
    (981, 984, "Coupons (common currency areas)", None),
    (990, 999, "Coupons", None),
];

const RESTRICTED_GTIN8: &str = "Restricted circulation (RCN-8)";

/// Looks up the prefix of `gtin`: digits 2–4 of the 14-digit form (the first three of a
/// GTIN-13), or for a GTIN-8 the first three of its eight digits (see the module doc).
/// `None` when the prefix is not assigned.
pub fn lookup(gtin: &Gtin) -> Option<PrefixInfo> {
    let digits = gtin.as_str();
    let prefix = if gtin.is_gtin8() {
        digits.get(6..9)?
    } else {
        digits.get(1..4)?
    };
    if gtin.is_gtin8() && (prefix.starts_with('0') || prefix.starts_with('2')) {
        return Some(PrefixInfo {
            prefix: prefix.to_owned(),
            issuer: RESTRICTED_GTIN8,
            country: None,
        });
    }
    let number: u16 = prefix.parse().ok()?;
    let index = PREFIX_TABLE.partition_point(|&(_, high, _, _)| high < number);
    let &(low, _, issuer, country) = PREFIX_TABLE.get(index)?;
    (low <= number).then(|| PrefixInfo {
        prefix: prefix.to_owned(),
        issuer,
        country,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::origin::country;

    fn info(code: &str) -> Option<PrefixInfo> {
        lookup(&Gtin::parse(code).expect("valid GTIN"))
    }

    #[test]
    fn table_is_sorted_disjoint_and_names_real_countries() {
        for pair in PREFIX_TABLE.windows(2) {
            assert!(pair[0].1 < pair[1].0, "{:?} / {:?}", pair[0], pair[1]);
        }
        for &(low, high, issuer, alpha2) in PREFIX_TABLE {
            assert!(low <= high && high <= 999, "{issuer}");
            if let Some(alpha2) = alpha2 {
                assert!(country::by_alpha2(alpha2).is_some(), "{alpha2}");
            }
        }
    }

    #[test]
    fn rules_examples_resolve_to_their_issuers() {
        let vn = info("08935049500018").expect("893 assigned");
        assert_eq!(
            (vn.prefix.as_str(), vn.issuer, vn.country),
            ("893", "GS1 Vietnam", Some("VN"))
        );
        let de = info("4006381333931").expect("400 assigned");
        assert_eq!((de.issuer, de.country), ("GS1 Germany", Some("DE")));
        let us = info("036000291452").expect("003 assigned");
        assert_eq!((us.prefix.as_str(), us.country), ("003", Some("US")));
    }

    #[test]
    fn ranges_edges_and_special_ranges() {
        let isbn = info("9780306406157").expect("ISBN");
        assert_eq!((isbn.issuer, isbn.country), ("Bookland (ISBN)", None));
        let restricted = info("2000000000008").expect("restricted");
        assert_eq!(restricted.issuer, RESTRICTED_REGION);
        let japan = info("4999999999999").expect("499");
        assert_eq!(japan.country, Some("JP"));
        assert_eq!(info("1400000000007"), None); // 140 is unassigned
        assert_eq!(info("3820000000001"), None);
    }

    #[test]
    fn gtin8_uses_its_own_first_three_digits() {
        let global = info("96385074").expect("GTIN-8 from the Global Office");
        assert_eq!((global.prefix.as_str(), global.country), ("963", None));
        let rcn = info("02345673").expect("RCN-8");
        assert_eq!(rcn.issuer, RESTRICTED_GTIN8);
        let vn = info("89312346").expect("GTIN-8 from GS1 Vietnam");
        assert_eq!(vn.country, Some("VN"));
    }
}
