//! The code lists behind two linters of the GS1 Barcode Syntax Dictionary, as data: ISO 4217
//! numeric currency codes (`iso4217`) and UN/ECE Recommendation 21 package type codes
//! (`packagetype`). Both lists are taken from the GS1 Syntax Engine's linters (Apache License
//! 2.0, like the dictionary in `../data/`). Sorted, so a look-up is a binary search.

/// ISO 4217 numeric currency codes (three digits each), sorted.
pub static ISO4217: &[&str] = &[
    "008", "012", "032", "036", "044", "048", "050", "051", "052", "060", "064", "068", "072",
    "084", "090", "096", "104", "108", "116", "124", "132", "136", "144", "152", "156", "170",
    "174", "188", "192", "203", "208", "214", "222", "230", "232", "238", "242", "262", "270",
    "292", "320", "324", "328", "332", "340", "344", "348", "352", "356", "360", "364", "368",
    "376", "388", "392", "396", "398", "400", "404", "408", "410", "414", "417", "418", "422",
    "426", "430", "434", "446", "454", "458", "462", "480", "484", "496", "498", "504", "512",
    "516", "524", "532", "533", "548", "554", "558", "566", "578", "586", "590", "598", "600",
    "604", "608", "634", "643", "646", "654", "682", "690", "702", "704", "706", "710", "728",
    "748", "752", "756", "760", "764", "776", "780", "784", "788", "800", "807", "818", "826",
    "834", "840", "858", "860", "882", "886", "901", "924", "925", "926", "927", "928", "929",
    "930", "933", "934", "936", "938", "940", "941", "943", "944", "946", "947", "948", "949",
    "950", "951", "952", "953", "955", "956", "957", "958", "959", "960", "961", "962", "963",
    "964", "965", "967", "968", "969", "970", "971", "972", "973", "975", "976", "977", "978",
    "979", "980", "981", "984", "985", "986", "990", "994", "997", "999",
];

/// UN/ECE Recommendation 21 package type codes, sorted byte-wise.
pub static PACKAGE_TYPES: &[&str] = &[
    "1A", "1B", "1D", "1F", "1G", "1W", "200", "201", "202", "203", "204", "205", "206", "210",
    "211", "212", "2C", "3A", "3H", "43", "44", "4A", "4B", "4C", "4D", "4F", "4G", "4H", "5H",
    "5L", "5M", "6H", "6P", "7A", "7B", "8", "8A", "8B", "8C", "9", "AA", "AB", "AC", "AD", "AF",
    "AG", "AH", "AI", "AJ", "AL", "AM", "AP", "APE", "AT", "AV", "B4", "BB", "BC", "BD", "BE",
    "BF", "BG", "BGE", "BH", "BI", "BJ", "BK", "BL", "BM", "BME", "BN", "BO", "BP", "BQ", "BR",
    "BRI", "BS", "BT", "BU", "BV", "BW", "BX", "BY", "BZ", "CA", "CB", "CBL", "CC", "CCE", "CD",
    "CE", "CF", "CG", "CH", "CI", "CJ", "CK", "CL", "CM", "CN", "CO", "CP", "CQ", "CR", "CS", "CT",
    "CU", "CV", "CW", "CX", "CY", "CZ", "DA", "DB", "DC", "DG", "DH", "DI", "DJ", "DK", "DL", "DM",
    "DN", "DP", "DPE", "DR", "DS", "DT", "DU", "DV", "DW", "DX", "DY", "E1", "E2", "E3", "EC",
    "ED", "EE", "EF", "EG", "EH", "EI", "EN", "FB", "FC", "FD", "FE", "FI", "FL", "FO", "FOB",
    "FP", "FPE", "FR", "FT", "FW", "FX", "GB", "GI", "GL", "GR", "GU", "GY", "GZ", "HA", "HB",
    "HC", "HG", "HN", "HR", "IA", "IB", "IC", "ID", "IE", "IF", "IG", "IH", "IK", "IL", "IN", "IZ",
    "JB", "JC", "JG", "JR", "JT", "JY", "KG", "KI", "LAB", "LE", "LG", "LT", "LU", "LV", "LZ",
    "MA", "MB", "MC", "ME", "MPE", "MR", "MS", "MT", "MW", "MX", "NA", "NE", "NF", "NG", "NS",
    "NT", "NU", "NV", "OA", "OB", "OC", "OD", "OE", "OF", "OK", "OPE", "OT", "OU", "P2", "PA",
    "PAE", "PB", "PC", "PD", "PE", "PF", "PG", "PH", "PI", "PJ", "PK", "PL", "PLP", "PN", "PO",
    "POP", "PP", "PPE", "PR", "PT", "PU", "PUE", "PV", "PX", "PY", "PZ", "QA", "QB", "QC", "QD",
    "QF", "QG", "QH", "QJ", "QK", "QL", "QM", "QN", "QP", "QQ", "QR", "QS", "RB1", "RB2", "RB3",
    "RCB", "RD", "RG", "RJ", "RK", "RL", "RO", "RT", "RZ", "S1", "SA", "SB", "SC", "SD", "SE",
    "SEC", "SH", "SI", "SK", "SL", "SM", "SO", "SP", "SS", "ST", "STL", "SU", "SV", "SW", "SX",
    "SY", "SZ", "T1", "TB", "TC", "TD", "TE", "TEV", "TG", "THE", "TI", "TK", "TL", "TN", "TO",
    "TR", "TRE", "TS", "TT", "TTE", "TU", "TV", "TW", "TWE", "TY", "TZ", "UC", "UN", "UUE", "VA",
    "VG", "VI", "VK", "VL", "VN", "VO", "VP", "VQ", "VR", "VS", "VY", "WA", "WB", "WC", "WD", "WF",
    "WG", "WH", "WJ", "WK", "WL", "WM", "WN", "WP", "WQ", "WR", "WRP", "WS", "WT", "WU", "WV",
    "WW", "WX", "WY", "WZ", "X11", "X12", "X15", "X16", "X17", "X18", "X19", "X20", "X3", "XA",
    "XB", "XC", "XD", "XF", "XG", "XH", "XJ", "XK", "YA", "YB", "YC", "YD", "YF", "YG", "YH", "YJ",
    "YK", "YL", "YM", "YN", "YP", "YQ", "YR", "YS", "YT", "YV", "YW", "YX", "YY", "YZ", "ZA", "ZB",
    "ZC", "ZD", "ZF", "ZG", "ZH", "ZJ", "ZK", "ZL", "ZM", "ZN", "ZP", "ZQ", "ZR", "ZS", "ZT", "ZU",
    "ZV", "ZW", "ZX", "ZY", "ZZ",
];
