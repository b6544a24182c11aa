//! The GS1 Application Identifier table, as data.
//!
//! Each [`AiDef`] says how an AI's data is built (one or more [`Component`]s with a character
//! set, a length range and an optional [`Rule`]: check digit, date, ISO country code) and how
//! the AI associates with others (`requires`, `excludes`). The measure families 310n–369n are
//! one generic entry per three-digit family whose fourth digit (0–5, as in the GS1 Barcode
//! Syntax Dictionary) is the number of decimals. One checker (`field.rs`) walks this table;
//! there is no per-AI code anywhere. This module must never hold parsing logic.
//!
//! Association rules follow RULES.md exactly (the "needs" notes there); the Syntax
//! Dictionary has more, which we do not enforce so as not to refuse genuine data. One reading
//! to note: RULES.md says "37 needs 02 and 00", encoded as two groups that must both be met.

/// Character set of a component.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    /// ASCII digits.
    Numeric,
    /// GS1 AI encodable character set 82: `!"%&'()*+,-./0-9:;<=>?A-Z_a-z`.
    Cset82,
    /// GS1 AI encodable character set 39: `#-/0-9A-Z`.
    Cset39,
}

/// An extra check on a component, beyond character set and length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// No further check.
    None,
    /// The last digit is the mod-10 check digit of the component.
    CheckDigit,
    /// `YYMMDD`; `day_zero` says whether day `00` is allowed.
    Date {
        /// Day `00` allowed.
        day_zero: bool,
    },
    /// `YYMMDDhhmm`.
    DateTime,
    /// One ISO 3166-1 numeric country code (N3).
    Country,
    /// One to five ISO 3166-1 numeric country codes, concatenated (N3..15).
    CountryList,
    /// A single digit that must be `0` (the filler digit in front of a GRAI in AI 8003).
    Zero,
}

/// One part of an AI's data. Every component but the last has a fixed length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Component {
    /// Allowed characters.
    pub charset: Charset,
    /// Minimum length (0 for an optional trailing part).
    pub min: usize,
    /// Maximum length.
    pub max: usize,
    /// Extra check.
    pub rule: Rule,
}

/// The definition of one Application Identifier (or one measure family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AiDef {
    /// The AI digits; for a measure family the first three digits (`"310"`).
    pub ai: &'static str,
    /// The GS1 data title.
    pub title: &'static str,
    /// The data components in order.
    pub parts: &'static [Component],
    /// Groups of AIs of which each group needs at least one present.
    pub requires: &'static [&'static [&'static str]],
    /// AIs that may not appear together with this one.
    pub excludes: &'static [&'static str],
    /// A measure family: the real AI is `ai` plus one digit 0–5 giving the decimals.
    pub decimal_family: bool,
}

impl AiDef {
    /// Minimum data length.
    pub fn min_len(&self) -> usize {
        self.parts.iter().map(|part| part.min).sum()
    }

    /// Maximum data length.
    pub fn max_len(&self) -> usize {
        self.parts.iter().map(|part| part.max).sum()
    }

    /// Whether the data has one fixed length.
    pub fn is_fixed_length(&self) -> bool {
        self.min_len() == self.max_len()
    }

    /// The data length fixed by the predefined-length table when the AI's first two digits
    /// are in it (such AIs never need an FNC1 separator); `None` otherwise.
    pub fn predefined_len(&self) -> Option<usize> {
        predefined(self.ai.as_bytes()).map(|(_, data_len)| data_len)
    }

    /// Length of the real AI in digits (4 for a measure family entry).
    pub fn ai_len(&self) -> usize {
        self.ai.len() + usize::from(self.decimal_family)
    }
}

/// The predefined-length table: first two digits of the AI → (AI length, data length).
pub static PREDEFINED: &[(&str, usize, usize)] = PREDEFINED_ROWS;

const PREDEFINED_ROWS: &[(&str, usize, usize)] = &[
    ("00", 2, 18),
    ("01", 2, 14),
    ("02", 2, 14),
    ("03", 2, 14),
    ("04", 2, 14),
    ("11", 2, 6),
    ("12", 2, 6),
    ("13", 2, 6),
    ("14", 2, 6),
    ("15", 2, 6),
    ("16", 2, 6),
    ("17", 2, 6),
    ("18", 2, 6),
    ("19", 2, 6),
    ("20", 2, 2),
    ("31", 4, 6),
    ("32", 4, 6),
    ("33", 4, 6),
    ("34", 4, 6),
    ("35", 4, 6),
    ("36", 4, 6),
    ("41", 3, 13),
];

static PREDEFINED_INDEX: [(u8, u8); 100] = build_predefined(PREDEFINED_ROWS);

const fn build_predefined(rows: &[(&str, usize, usize)]) -> [(u8, u8); 100] {
    let mut index = [(0u8, 0u8); 100];
    let mut row = 0;
    while row < rows.len() {
        let prefix = rows[row].0.as_bytes();
        index[two_digit_key(prefix[0], prefix[1])] = (rows[row].1 as u8, rows[row].2 as u8);
        row += 1;
    }
    index
}

/// Looks up the predefined-length row for data starting with an AI: (AI length, data length).
pub fn predefined(ai_digits: &[u8]) -> Option<(usize, usize)> {
    match ai_digits {
        [a, b, ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            let (ai_len, data_len) = PREDEFINED_INDEX.get(two_digit_key(*a, *b)).copied()?;
            (ai_len > 0).then_some((usize::from(ai_len), usize::from(data_len)))
        }
        _ => None,
    }
}

const fn part(charset: Charset, min: usize, max: usize, rule: Rule) -> Component {
    Component {
        charset,
        min,
        max,
        rule,
    }
}

use Charset::{Cset39 as Y, Cset82 as X, Numeric as N};

const N2: &[Component] = &[part(N, 2, 2, Rule::None)];
const N3_COUNTRY: &[Component] = &[part(N, 3, 3, Rule::Country)];
const N3_15_COUNTRIES: &[Component] = &[part(N, 3, 15, Rule::CountryList)];
const N4: &[Component] = &[part(N, 4, 4, Rule::None)];
const N6: &[Component] = &[part(N, 6, 6, Rule::None)];
const N13: &[Component] = &[part(N, 13, 13, Rule::None)];
const N14: &[Component] = &[part(N, 14, 14, Rule::None)];
const N_TO_4: &[Component] = &[part(N, 1, 4, Rule::None)];
const N_TO_6: &[Component] = &[part(N, 1, 6, Rule::None)];
const N_TO_8: &[Component] = &[part(N, 1, 8, Rule::None)];
const N_TO_10: &[Component] = &[part(N, 1, 10, Rule::None)];
const N_TO_12: &[Component] = &[part(N, 1, 12, Rule::None)];
const N13_CD: &[Component] = &[part(N, 13, 13, Rule::CheckDigit)];
const N14_CD: &[Component] = &[part(N, 14, 14, Rule::CheckDigit)];
const N17_CD: &[Component] = &[part(N, 17, 17, Rule::CheckDigit)];
const N18_CD: &[Component] = &[part(N, 18, 18, Rule::CheckDigit)];
const DATE_DAY0: &[Component] = &[part(N, 6, 6, Rule::Date { day_zero: true })];
const DATE: &[Component] = &[part(N, 6, 6, Rule::Date { day_zero: false })];
const DATE_TIME: &[Component] = &[part(N, 10, 10, Rule::DateTime)];
const X2: &[Component] = &[part(X, 1, 2, Rule::None)];
const X3: &[Component] = &[part(X, 1, 3, Rule::None)];
const X10: &[Component] = &[part(X, 1, 10, Rule::None)];
const X12: &[Component] = &[part(X, 1, 12, Rule::None)];
const X20: &[Component] = &[part(X, 1, 20, Rule::None)];
const X25: &[Component] = &[part(X, 1, 25, Rule::None)];
const X28: &[Component] = &[part(X, 1, 28, Rule::None)];
const X30: &[Component] = &[part(X, 1, 30, Rule::None)];
const X34: &[Component] = &[part(X, 1, 34, Rule::None)];
const X50: &[Component] = &[part(X, 1, 50, Rule::None)];
const X70: &[Component] = &[part(X, 1, 70, Rule::None)];
const X90: &[Component] = &[part(X, 1, 90, Rule::None)];
const Y30: &[Component] = &[part(Y, 1, 30, Rule::None)];
const GDTI: &[Component] = &[
    part(N, 13, 13, Rule::CheckDigit),
    part(X, 0, 17, Rule::None),
];
const GCN: &[Component] = &[
    part(N, 13, 13, Rule::CheckDigit),
    part(N, 0, 12, Rule::None),
];
const SHIP_TO_POST_ISO: &[Component] = &[part(N, 3, 3, Rule::Country), part(X, 0, 9, Rule::None)];
const GRAI: &[Component] = &[
    part(N, 1, 1, Rule::Zero),
    part(N, 13, 13, Rule::CheckDigit),
    part(X, 0, 16, Rule::None),
];
const ITIP: &[Component] = &[part(N, 14, 14, Rule::CheckDigit), part(N, 4, 4, Rule::None)];
const UIC_EXT: &[Component] = &[part(N, 1, 1, Rule::None), part(X, 3, 3, Rule::None)];

const fn ai(ai: &'static str, title: &'static str, parts: &'static [Component]) -> AiDef {
    AiDef {
        ai,
        title,
        parts,
        requires: &[],
        excludes: &[],
        decimal_family: false,
    }
}

const fn req(
    mut def: AiDef,
    requires: &'static [&'static [&'static str]],
    excludes: &'static [&'static str],
) -> AiDef {
    def.requires = requires;
    def.excludes = excludes;
    def
}

const fn measure(family: &'static str, title: &'static str) -> AiDef {
    let mut def = ai(family, title, N6);
    def.decimal_family = true;
    def
}

/// The AI table, sorted by `ai` (byte order); [`match_prefix`] indexes it by the first two
/// digits, so lookups are O(1) plus a scan of the few AIs sharing those digits.
pub static AI_TABLE: &[AiDef] = TABLE;

const TABLE: &[AiDef] = &[
    ai("00", "SSCC", N18_CD),
    ai("01", "GTIN", N14_CD),
    req(ai("02", "CONTENT", N14_CD), &[&["37"]], &[]),
    ai("03", "MTO GTIN", N14_CD),
    req(ai("10", "BATCH/LOT", X20), &[&["01", "02", "8006"]], &[]),
    ai("11", "PROD DATE", DATE_DAY0),
    ai("12", "DUE DATE", DATE_DAY0),
    ai("13", "PACK DATE", DATE_DAY0),
    ai("15", "BEST BEFORE or BEST BY", DATE_DAY0),
    ai("16", "SELL BY", DATE_DAY0),
    ai("17", "USE BY OR EXPIRY", DATE_DAY0),
    ai("20", "VARIANT", N2),
    req(ai("21", "SERIAL", X20), &[&["01", "8006"]], &["235"]),
    req(ai("22", "CPV", X20), &[&["01"]], &[]),
    req(ai("235", "TPX", X28), &[&["01"]], &[]),
    ai("240", "ADDITIONAL ID", X30),
    ai("241", "CUST. PART No.", X30),
    ai("242", "MTO VARIANT", N_TO_6),
    ai("243", "PCN", X20),
    req(ai("250", "SECONDARY SERIAL", X30), &[&["01"], &["21"]], &[]),
    ai("251", "REF. TO SOURCE", X30),
    ai("253", "GDTI", GDTI),
    req(ai("254", "GLN EXTENSION COMPONENT", X20), &[&["414"]], &[]),
    ai("255", "GCN", GCN),
    ai("30", "VAR. COUNT", N_TO_8),
    measure("310", "NET WEIGHT (kg)"),
    measure("311", "LENGTH (m)"),
    measure("312", "WIDTH (m)"),
    measure("313", "HEIGHT (m)"),
    measure("314", "AREA (m²)"),
    measure("315", "NET VOLUME (l)"),
    measure("316", "NET VOLUME (m³)"),
    measure("320", "NET WEIGHT (lb)"),
    measure("321", "LENGTH (in)"),
    measure("322", "LENGTH (ft)"),
    measure("323", "LENGTH (yd)"),
    measure("324", "WIDTH (in)"),
    measure("325", "WIDTH (ft)"),
    measure("326", "WIDTH (yd)"),
    measure("327", "HEIGHT (in)"),
    measure("328", "HEIGHT (ft)"),
    measure("329", "HEIGHT (yd)"),
    measure("330", "GROSS WEIGHT (kg)"),
    measure("331", "LENGTH (m), log"),
    measure("332", "WIDTH (m), log"),
    measure("333", "HEIGHT (m), log"),
    measure("334", "AREA (m²), log"),
    measure("335", "VOLUME (l), log"),
    measure("336", "VOLUME (m³), log"),
    measure("337", "KG PER m²"),
    measure("340", "GROSS WEIGHT (lb)"),
    measure("341", "LENGTH (in), log"),
    measure("342", "LENGTH (ft), log"),
    measure("343", "LENGTH (yd), log"),
    measure("344", "WIDTH (in), log"),
    measure("345", "WIDTH (ft), log"),
    measure("346", "WIDTH (yd), log"),
    measure("347", "HEIGHT (in), log"),
    measure("348", "HEIGHT (ft), log"),
    measure("349", "HEIGHT (yd), log"),
    measure("350", "AREA (in²)"),
    measure("351", "AREA (ft²)"),
    measure("352", "AREA (yd²)"),
    measure("353", "AREA (in²), log"),
    measure("354", "AREA (ft²), log"),
    measure("355", "AREA (yd²), log"),
    measure("356", "NET WEIGHT (troy oz)"),
    measure("357", "NET VOLUME (oz)"),
    measure("360", "NET VOLUME (qt)"),
    measure("361", "NET VOLUME (gal.)"),
    measure("362", "VOLUME (qt), log"),
    measure("363", "VOLUME (gal.), log"),
    measure("364", "VOLUME (in³)"),
    measure("365", "VOLUME (ft³)"),
    measure("366", "VOLUME (yd³)"),
    measure("367", "VOLUME (in³), log"),
    measure("368", "VOLUME (ft³), log"),
    measure("369", "VOLUME (yd³), log"),
    req(ai("37", "COUNT", N_TO_8), &[&["02"], &["00"]], &[]),
    ai("400", "ORDER NUMBER", X30),
    ai("401", "GINC", X30),
    ai("402", "GSIN", N17_CD),
    ai("403", "ROUTE", X30),
    ai("410", "SHIP TO LOC", N13_CD),
    ai("411", "BILL TO", N13_CD),
    ai("412", "PURCHASE FROM", N13_CD),
    ai("413", "SHIP FOR LOC", N13_CD),
    ai("414", "LOC No.", N13_CD),
    ai("415", "PAY TO", N13_CD),
    ai("416", "PROD/SERV LOC", N13_CD),
    ai("417", "PARTY", N13_CD),
    ai("420", "SHIP TO POST", X20),
    ai("421", "SHIP TO POST", SHIP_TO_POST_ISO),
    ai("422", "ORIGIN", N3_COUNTRY),
    ai("423", "COUNTRY - INITIAL PROCESS.", N3_15_COUNTRIES),
    ai("424", "COUNTRY - PROCESS.", N3_COUNTRY),
    ai("425", "COUNTRY - DISASSEMBLY", N3_15_COUNTRIES),
    ai("426", "COUNTRY - FULL PROCESS", N3_COUNTRY),
    ai("427", "ORIGIN SUBDIVISION", X3),
    ai("7001", "NSN", N13),
    ai("7002", "MEAT CUT", X30),
    ai("7003", "EXPIRY TIME", DATE_TIME),
    ai("7004", "ACTIVE POTENCY", N_TO_4),
    ai("7005", "CATCH AREA", X12),
    ai("7006", "FIRST FREEZE DATE", DATE),
    ai("7008", "AQUATIC SPECIES", X3),
    ai("7009", "FISHING GEAR TYPE", X10),
    ai("7010", "PROD METHOD", X2),
    ai("7020", "REFURB LOT", X20),
    ai("7021", "FUNC STAT", X20),
    ai("7022", "REV STAT", X20),
    ai("7023", "GIAI - ASSEMBLY", X30),
    ai("7040", "UIC+EXT", UIC_EXT),
    ai("710", "NHRN PZN", X20),
    ai("711", "NHRN CIP", X20),
    ai("712", "NHRN CN", X20),
    ai("713", "NHRN DRN", X20),
    ai("714", "NHRN AIM", X20),
    ai("715", "NHRN NDC", X20),
    ai("8001", "DIMENSIONS", N14),
    ai("8002", "CMT No.", X20),
    ai("8003", "GRAI", GRAI),
    ai("8004", "GIAI", X30),
    ai("8005", "PRICE PER UNIT", N6),
    ai("8006", "ITIP", ITIP),
    ai("8007", "IBAN", X34),
    ai("8009", "OPTSEN", X50),
    ai("8010", "CPID", Y30),
    req(ai("8011", "CPID SERIAL", N_TO_12), &[&["8010"]], &[]),
    ai("8012", "VERSION", X20),
    ai("8017", "GSRN - PROVIDER", N18_CD),
    ai("8018", "GSRN - RECIPIENT", N18_CD),
    req(ai("8019", "SRIN", N_TO_10), &[&["8017", "8018"]], &[]),
    req(ai("8020", "REF No.", X25), &[&["415"]], &[]),
    ai("8026", "ITIP CONTENT", ITIP),
    ai("8111", "POINTS", N4),
    ai("8200", "PRODUCT URL", X70),
    ai("90", "INTERNAL", X30),
    ai("91", "INTERNAL", X90),
    ai("92", "INTERNAL", X90),
    ai("93", "INTERNAL", X90),
    ai("94", "INTERNAL", X90),
    ai("95", "INTERNAL", X90),
    ai("96", "INTERNAL", X90),
    ai("97", "INTERNAL", X90),
    ai("98", "INTERNAL", X90),
    ai("99", "INTERNAL", X90),
];

/// The highest decimals digit of a measure family AI (310n: n = 0–5).
pub const MAX_DECIMALS: u8 = b'5';

/// Index of [`AI_TABLE`] by the AI's first two digits: the range of rows starting with them.
static INDEX: [(u16, u16); 100] = build_index(TABLE);

const fn two_digit_key(a: u8, b: u8) -> usize {
    ((a - b'0') as usize) * 10 + (b - b'0') as usize
}

const fn build_index(table: &[AiDef]) -> [(u16, u16); 100] {
    let mut index = [(0u16, 0u16); 100];
    let mut row = 0;
    while row < table.len() {
        let ai = table[row].ai.as_bytes();
        let key = two_digit_key(ai[0], ai[1]);
        if index[key].1 == 0 {
            index[key].0 = row as u16;
        }
        index[key].1 = row as u16 + 1;
        row += 1;
    }
    index
}

/// Looks up an AI given as its exact digits (`"01"`, `"3103"`). Measure families match only
/// with their decimals digit.
pub fn lookup(ai: &str) -> Option<&'static AiDef> {
    lookup_bytes(ai.as_bytes())
}

/// [`lookup`] on bytes.
pub fn lookup_bytes(ai: &[u8]) -> Option<&'static AiDef> {
    match_prefix(ai)
        .filter(|&(_, len)| len == ai.len())
        .map(|(def, _)| def)
}

/// Finds the AI at the start of `data` (AIs are prefix-free): the definition and the AI's
/// length in digits.
pub fn match_prefix(data: &[u8]) -> Option<(&'static AiDef, usize)> {
    let (&first, &second) = (data.first()?, data.get(1)?);
    if !first.is_ascii_digit() || !second.is_ascii_digit() {
        return None;
    }
    let (start, end) = INDEX.get(two_digit_key(first, second)).copied()?;
    let rows = AI_TABLE.get(usize::from(start)..usize::from(end))?;
    rows.iter().find_map(|def| {
        let ai = def.ai.as_bytes();
        let written = data.get(..ai.len())?;
        if !written.iter().zip(ai).all(|(a, b)| a == b) {
            return None;
        }
        if def.decimal_family {
            let decimals = *data.get(ai.len())?;
            (b'0'..=MAX_DECIMALS)
                .contains(&decimals)
                .then_some((def, ai.len() + 1))
        } else {
            Some((def, ai.len()))
        }
    })
}
