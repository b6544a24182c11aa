//! ISO 3166-1 country table as data: alpha-2 code, 3-digit numeric code and English short name
//! for every current country (249 entries, as published in the ISO 3166-1 list carried by the
//! Debian `iso-codes` package).
//!
//! Used to check the ISO numeric codes in GS1 AIs 422–426 and the `country_of_origin` field of
//! reference data. This module only answers "is this a real code and which country is it"; it
//! must never infer where goods were made from anything else (a GS1 prefix is not a country of
//! origin).

/// One ISO 3166-1 country.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// Alpha-2 code, upper case (`VN`).
    pub alpha2: &'static str,
    /// Numeric code, always three digits (`704`).
    pub numeric: &'static str,
    /// English short name (`Viet Nam`).
    pub name: &'static str,
}

const fn c(alpha2: &'static str, numeric: &'static str, name: &'static str) -> Country {
    Country {
        alpha2,
        numeric,
        name,
    }
}

/// Every current ISO 3166-1 country, sorted by numeric code (binary search relies on it).
pub static COUNTRIES: &[Country] = &[
    c("AF", "004", "Afghanistan"),
    c("AL", "008", "Albania"),
    c("AQ", "010", "Antarctica"),
    c("DZ", "012", "Algeria"),
    c("AS", "016", "American Samoa"),
    c("AD", "020", "Andorra"),
    c("AO", "024", "Angola"),
    c("AG", "028", "Antigua and Barbuda"),
    c("AZ", "031", "Azerbaijan"),
    c("AR", "032", "Argentina"),
    c("AU", "036", "Australia"),
    c("AT", "040", "Austria"),
    c("BS", "044", "Bahamas"),
    c("BH", "048", "Bahrain"),
    c("BD", "050", "Bangladesh"),
    c("AM", "051", "Armenia"),
    c("BB", "052", "Barbados"),
    c("BE", "056", "Belgium"),
    c("BM", "060", "Bermuda"),
    c("BT", "064", "Bhutan"),
    c("BO", "068", "Bolivia, Plurinational State of"),
    c("BA", "070", "Bosnia and Herzegovina"),
    c("BW", "072", "Botswana"),
    c("BV", "074", "Bouvet Island"),
    c("BR", "076", "Brazil"),
    c("BZ", "084", "Belize"),
    c("IO", "086", "British Indian Ocean Territory"),
    c("SB", "090", "Solomon Islands"),
    c("VG", "092", "Virgin Islands, British"),
    c("BN", "096", "Brunei Darussalam"),
    c("BG", "100", "Bulgaria"),
    c("MM", "104", "Myanmar"),
    c("BI", "108", "Burundi"),
    c("BY", "112", "Belarus"),
    c("KH", "116", "Cambodia"),
    c("CM", "120", "Cameroon"),
    c("CA", "124", "Canada"),
    c("CV", "132", "Cabo Verde"),
    c("KY", "136", "Cayman Islands"),
    c("CF", "140", "Central African Republic"),
    c("LK", "144", "Sri Lanka"),
    c("TD", "148", "Chad"),
    c("CL", "152", "Chile"),
    c("CN", "156", "China"),
    c("TW", "158", "Taiwan, Province of China"),
    c("CX", "162", "Christmas Island"),
    c("CC", "166", "Cocos (Keeling) Islands"),
    c("CO", "170", "Colombia"),
    c("KM", "174", "Comoros"),
    c("YT", "175", "Mayotte"),
    c("CG", "178", "Congo"),
    c("CD", "180", "Congo, The Democratic Republic of the"),
    c("CK", "184", "Cook Islands"),
    c("CR", "188", "Costa Rica"),
    c("HR", "191", "Croatia"),
    c("CU", "192", "Cuba"),
    c("CY", "196", "Cyprus"),
    c("CZ", "203", "Czechia"),
    c("BJ", "204", "Benin"),
    c("DK", "208", "Denmark"),
    c("DM", "212", "Dominica"),
    c("DO", "214", "Dominican Republic"),
    c("EC", "218", "Ecuador"),
    c("SV", "222", "El Salvador"),
    c("GQ", "226", "Equatorial Guinea"),
    c("ET", "231", "Ethiopia"),
    c("ER", "232", "Eritrea"),
    c("EE", "233", "Estonia"),
    c("FO", "234", "Faroe Islands"),
    c("FK", "238", "Falkland Islands (Malvinas)"),
    c("GS", "239", "South Georgia and the South Sandwich Islands"),
    c("FJ", "242", "Fiji"),
    c("FI", "246", "Finland"),
    c("AX", "248", "Åland Islands"),
    c("FR", "250", "France"),
    c("GF", "254", "French Guiana"),
    c("PF", "258", "French Polynesia"),
    c("TF", "260", "French Southern Territories"),
    c("DJ", "262", "Djibouti"),
    c("GA", "266", "Gabon"),
    c("GE", "268", "Georgia"),
    c("GM", "270", "Gambia"),
    c("PS", "275", "Palestine, State of"),
    c("DE", "276", "Germany"),
    c("GH", "288", "Ghana"),
    c("GI", "292", "Gibraltar"),
    c("KI", "296", "Kiribati"),
    c("GR", "300", "Greece"),
    c("GL", "304", "Greenland"),
    c("GD", "308", "Grenada"),
    c("GP", "312", "Guadeloupe"),
    c("GU", "316", "Guam"),
    c("GT", "320", "Guatemala"),
    c("GN", "324", "Guinea"),
    c("GY", "328", "Guyana"),
    c("HT", "332", "Haiti"),
    c("HM", "334", "Heard Island and McDonald Islands"),
    c("VA", "336", "Holy See (Vatican City State)"),
    c("HN", "340", "Honduras"),
    c("HK", "344", "Hong Kong"),
    c("HU", "348", "Hungary"),
    c("IS", "352", "Iceland"),
    c("IN", "356", "India"),
    c("ID", "360", "Indonesia"),
    c("IR", "364", "Iran, Islamic Republic of"),
    c("IQ", "368", "Iraq"),
    c("IE", "372", "Ireland"),
    c("IL", "376", "Israel"),
    c("IT", "380", "Italy"),
    c("CI", "384", "Côte d'Ivoire"),
    c("JM", "388", "Jamaica"),
    c("JP", "392", "Japan"),
    c("KZ", "398", "Kazakhstan"),
    c("JO", "400", "Jordan"),
    c("KE", "404", "Kenya"),
    c("KP", "408", "Korea, Democratic People's Republic of"),
    c("KR", "410", "Korea, Republic of"),
    c("KW", "414", "Kuwait"),
    c("KG", "417", "Kyrgyzstan"),
    c("LA", "418", "Lao People's Democratic Republic"),
    c("LB", "422", "Lebanon"),
    c("LS", "426", "Lesotho"),
    c("LV", "428", "Latvia"),
    c("LR", "430", "Liberia"),
    c("LY", "434", "Libya"),
    c("LI", "438", "Liechtenstein"),
    c("LT", "440", "Lithuania"),
    c("LU", "442", "Luxembourg"),
    c("MO", "446", "Macao"),
    c("MG", "450", "Madagascar"),
    c("MW", "454", "Malawi"),
    c("MY", "458", "Malaysia"),
    c("MV", "462", "Maldives"),
    c("ML", "466", "Mali"),
    c("MT", "470", "Malta"),
    c("MQ", "474", "Martinique"),
    c("MR", "478", "Mauritania"),
    c("MU", "480", "Mauritius"),
    c("MX", "484", "Mexico"),
    c("MC", "492", "Monaco"),
    c("MN", "496", "Mongolia"),
    c("MD", "498", "Moldova, Republic of"),
    c("ME", "499", "Montenegro"),
    c("MS", "500", "Montserrat"),
    c("MA", "504", "Morocco"),
    c("MZ", "508", "Mozambique"),
    c("OM", "512", "Oman"),
    c("NA", "516", "Namibia"),
    c("NR", "520", "Nauru"),
    c("NP", "524", "Nepal"),
    c("NL", "528", "Netherlands"),
    c("CW", "531", "Curaçao"),
    c("AW", "533", "Aruba"),
    c("SX", "534", "Sint Maarten (Dutch part)"),
    c("BQ", "535", "Bonaire, Sint Eustatius and Saba"),
    c("NC", "540", "New Caledonia"),
    c("VU", "548", "Vanuatu"),
    c("NZ", "554", "New Zealand"),
    c("NI", "558", "Nicaragua"),
    c("NE", "562", "Niger"),
    c("NG", "566", "Nigeria"),
    c("NU", "570", "Niue"),
    c("NF", "574", "Norfolk Island"),
    c("NO", "578", "Norway"),
    c("MP", "580", "Northern Mariana Islands"),
    c("UM", "581", "United States Minor Outlying Islands"),
    c("FM", "583", "Micronesia, Federated States of"),
    c("MH", "584", "Marshall Islands"),
    c("PW", "585", "Palau"),
    c("PK", "586", "Pakistan"),
    c("PA", "591", "Panama"),
    c("PG", "598", "Papua New Guinea"),
    c("PY", "600", "Paraguay"),
    c("PE", "604", "Peru"),
    c("PH", "608", "Philippines"),
    c("PN", "612", "Pitcairn"),
    c("PL", "616", "Poland"),
    c("PT", "620", "Portugal"),
    c("GW", "624", "Guinea-Bissau"),
    c("TL", "626", "Timor-Leste"),
    c("PR", "630", "Puerto Rico"),
    c("QA", "634", "Qatar"),
    c("RE", "638", "Réunion"),
    c("RO", "642", "Romania"),
    c("RU", "643", "Russian Federation"),
    c("RW", "646", "Rwanda"),
    c("BL", "652", "Saint Barthélemy"),
    c("SH", "654", "Saint Helena, Ascension and Tristan da Cunha"),
    c("KN", "659", "Saint Kitts and Nevis"),
    c("AI", "660", "Anguilla"),
    c("LC", "662", "Saint Lucia"),
    c("MF", "663", "Saint Martin (French part)"),
    c("PM", "666", "Saint Pierre and Miquelon"),
    c("VC", "670", "Saint Vincent and the Grenadines"),
    c("SM", "674", "San Marino"),
    c("ST", "678", "Sao Tome and Principe"),
    c("SA", "682", "Saudi Arabia"),
    c("SN", "686", "Senegal"),
    c("RS", "688", "Serbia"),
    c("SC", "690", "Seychelles"),
    c("SL", "694", "Sierra Leone"),
    c("SG", "702", "Singapore"),
    c("SK", "703", "Slovakia"),
    c("VN", "704", "Viet Nam"),
    c("SI", "705", "Slovenia"),
    c("SO", "706", "Somalia"),
    c("ZA", "710", "South Africa"),
    c("ZW", "716", "Zimbabwe"),
    c("ES", "724", "Spain"),
    c("SS", "728", "South Sudan"),
    c("SD", "729", "Sudan"),
    c("EH", "732", "Western Sahara"),
    c("SR", "740", "Suriname"),
    c("SJ", "744", "Svalbard and Jan Mayen"),
    c("SZ", "748", "Eswatini"),
    c("SE", "752", "Sweden"),
    c("CH", "756", "Switzerland"),
    c("SY", "760", "Syrian Arab Republic"),
    c("TJ", "762", "Tajikistan"),
    c("TH", "764", "Thailand"),
    c("TG", "768", "Togo"),
    c("TK", "772", "Tokelau"),
    c("TO", "776", "Tonga"),
    c("TT", "780", "Trinidad and Tobago"),
    c("AE", "784", "United Arab Emirates"),
    c("TN", "788", "Tunisia"),
    c("TR", "792", "Türkiye"),
    c("TM", "795", "Turkmenistan"),
    c("TC", "796", "Turks and Caicos Islands"),
    c("TV", "798", "Tuvalu"),
    c("UG", "800", "Uganda"),
    c("UA", "804", "Ukraine"),
    c("MK", "807", "North Macedonia"),
    c("EG", "818", "Egypt"),
    c("GB", "826", "United Kingdom"),
    c("GG", "831", "Guernsey"),
    c("JE", "832", "Jersey"),
    c("IM", "833", "Isle of Man"),
    c("TZ", "834", "Tanzania, United Republic of"),
    c("US", "840", "United States"),
    c("VI", "850", "Virgin Islands, U.S."),
    c("BF", "854", "Burkina Faso"),
    c("UY", "858", "Uruguay"),
    c("UZ", "860", "Uzbekistan"),
    c("VE", "862", "Venezuela, Bolivarian Republic of"),
    c("WF", "876", "Wallis and Futuna"),
    c("WS", "882", "Samoa"),
    c("YE", "887", "Yemen"),
    c("ZM", "894", "Zambia"),
];

/// Finds a country by its 3-digit numeric code (`"704"` → Viet Nam). Anything that is not
/// exactly three ASCII digits naming a current country gives `None`.
pub fn by_numeric(numeric: &str) -> Option<&'static Country> {
    if numeric.len() != 3 || !numeric.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    COUNTRIES
        .binary_search_by(|country| country.numeric.cmp(numeric))
        .ok()
        .and_then(|index| COUNTRIES.get(index))
}

/// Finds a country by its alpha-2 code. Case-sensitive: only upper case is accepted
/// (`"VN"` yes, `"vn"` no).
pub fn by_alpha2(alpha2: &str) -> Option<&'static Country> {
    if alpha2.len() != 2 {
        return None;
    }
    COUNTRIES.iter().find(|country| country.alpha2 == alpha2)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_by_numeric_and_codes_are_unique() {
        assert_eq!(COUNTRIES.len(), 249);
        for pair in COUNTRIES.windows(2) {
            assert!(pair[0].numeric < pair[1].numeric, "{:?}", pair);
        }
        for country in COUNTRIES {
            assert_eq!(country.numeric.len(), 3);
            assert_eq!(country.alpha2.len(), 2);
            assert!(country.alpha2.bytes().all(|b| b.is_ascii_uppercase()));
            assert_eq!(by_alpha2(country.alpha2), Some(country));
            assert_eq!(by_numeric(country.numeric), Some(country));
        }
    }

    #[test]
    fn viet_nam_is_found_both_ways() {
        let vn = by_numeric("704").expect("704 is Viet Nam");
        assert_eq!(vn.alpha2, "VN");
        assert_eq!(by_alpha2("VN").map(|c| c.numeric), Some("704"));
    }

    #[test]
    fn unknown_or_malformed_codes_are_refused() {
        assert!(by_numeric("000").is_none());
        assert!(by_numeric("999").is_none());
        assert!(by_numeric("70").is_none());
        assert!(by_numeric("7044").is_none());
        assert!(by_numeric("७०४").is_none());
        assert!(by_alpha2("vn").is_none());
        assert!(by_alpha2("XX").is_none());
        assert!(by_alpha2("V").is_none());
        assert!(by_alpha2("ViN").is_none());
    }
}
