//! The `Accept-Language` header value (RFC 9110 §12.5.4), typed: an ordered list of BCP 47
//! language tags (or `*`), each with a quality `q`. Both APIs take the same header, so one type
//! serves both clients.
//!
//! `q` is kept as an integer number of thousandths: the header grammar allows at most 3 decimals,
//! so thousandths represent every valid value exactly and formatting then parsing gives back the
//! same value, which a float could not promise.

use std::fmt;
use std::str::FromStr;

use reqwest::header::HeaderValue;

/// The quality of a preference without `;q=`, as thousandths.
const Q_MAX: u16 = 1000;

/// One entry of an `Accept-Language` list: a language tag (or `*`) and its quality `q`.
///
/// The tag is kept in its canonical letter case (`da-dk` becomes `da-DK`), since BCP 47 tags are
/// case-insensitive; equal preferences therefore compare equal however they were written.
///
/// ```
/// use parcelkit::runtime::LanguagePreference;
///
/// let pref = LanguagePreference::new("da-dk", 0.9)?;
/// assert_eq!(pref.tag(), "da-DK");
/// assert_eq!(pref.q_thousandths(), 900);
/// assert_eq!(pref.to_string(), "da-DK;q=0.9");
/// assert_eq!("da-DK; Q=0.900".parse::<LanguagePreference>()?, pref);
/// # Ok::<(), parcelkit::runtime::InvalidLanguage>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LanguagePreference {
    tag: String,
    q: u16,
}

impl LanguagePreference {
    /// The wildcard language range, "any language not listed otherwise".
    pub const WILDCARD: &'static str = "*";

    /// A preference for `tag` (a well-formed BCP 47 tag, or `*`) with quality `q`, which must lie
    /// in 0..=1 and have at most 3 decimals (floating-point noise such as `0.1 + 0.2` is
    /// tolerated; `0.1234` is not).
    pub fn new(tag: &str, q: f64) -> Result<Self, InvalidLanguage> {
        let canonical = canonical_tag(tag)?;
        let q = q_from_f64(tag, q)?;
        Ok(LanguagePreference { tag: canonical, q })
    }

    /// A preference with `q` given exactly, in thousandths (`900` is `q=0.9`); at most 1000.
    pub fn from_thousandths(tag: &str, q_thousandths: u16) -> Result<Self, InvalidLanguage> {
        let canonical = canonical_tag(tag)?;
        if q_thousandths > Q_MAX {
            return Err(InvalidLanguage::new(Problem::QOutOfRange {
                tag: tag.to_owned(),
                q: format_thousandths(q_thousandths),
            }));
        }
        Ok(LanguagePreference {
            tag: canonical,
            q: q_thousandths,
        })
    }

    /// The language tag in canonical case, or `*`.
    pub fn tag(&self) -> &str {
        &self.tag
    }

    /// Whether this is the wildcard `*`.
    pub fn is_wildcard(&self) -> bool {
        self.tag == Self::WILDCARD
    }

    /// The quality as a number in 0..=1 (`0.9` for `q=0.9`, exactly the `f64` literal).
    pub fn q(&self) -> f64 {
        f64::from(self.q) / f64::from(Q_MAX)
    }

    /// The quality in thousandths, 0..=1000: the exact value.
    pub fn q_thousandths(&self) -> u16 {
        self.q
    }
}

/// Formats as one list element: `da` when `q` is 1, else `da;q=0.9` (trailing zeros trimmed).
impl fmt::Display for LanguagePreference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tag)?;
        if self.q != Q_MAX {
            write!(f, ";q={}", format_thousandths(self.q))?;
        }
        Ok(())
    }
}

/// Parses one list element, `language-range [ OWS ";" OWS "q=" qvalue ]`, surrounding spaces
/// and tabs allowed.
impl FromStr for LanguagePreference {
    type Err = InvalidLanguage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_element(trim_ows(s))
    }
}

/// An `Accept-Language` header value: languages in the order given, each with a quality.
///
/// Build it with [`AcceptLanguage::new`] and [`with`](AcceptLanguage::with), or parse a header
/// value with [`str::parse`]. It formats per RFC 9110 (`q` left out when it is 1, no trailing
/// zeros), and parsing its output gives back an equal value.
///
/// An empty list is a valid builder state but not a header: [`to_header_value`] refuses it
/// (a request without `Accept-Language` already means "any language"), and parsing a value
/// without any language fails the same way. (Given to an operation's `.accept_language(..)`, an
/// empty list goes out as an empty header, which RFC 9110's list syntax allows; leave the
/// setter out instead.)
///
/// Every operation's `.accept_language(..)` takes this type, or a `&str`/`String` that it parses
/// before anything is sent: `.accept_language("da;q=5")` fails the call with
/// `accept_language: q 5 for "da" is outside 0..=1`. Duplicates and the order are kept as given, since
/// the header grammar allows both and the server decides what they mean.
///
/// [`to_header_value`]: AcceptLanguage::to_header_value
///
/// ```
/// use parcelkit::runtime::AcceptLanguage;
///
/// let languages = AcceptLanguage::new()
///     .with("da-DK", 1.0)?
///     .with("da", 0.9)?
///     .with("en", 0.8)?;
/// assert_eq!(languages.to_string(), "da-DK, da;q=0.9, en;q=0.8");
/// assert_eq!(languages.to_header_value()?, "da-DK, da;q=0.9, en;q=0.8");
///
/// let parsed: AcceptLanguage = "da-DK,da;q=0.9 , en; q=0.800".parse()?;
/// assert_eq!(parsed, languages);
/// let tags: Vec<&str> = parsed.iter().map(|p| p.tag()).collect();
/// assert_eq!(tags, ["da-DK", "da", "en"]);
/// # Ok::<(), parcelkit::runtime::InvalidLanguage>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct AcceptLanguage {
    preferences: Vec<LanguagePreference>,
}

impl AcceptLanguage {
    /// The header name.
    pub const HEADER: &'static str = "Accept-Language";

    /// An empty list, to add languages to with [`with`](AcceptLanguage::with).
    pub fn new() -> Self {
        AcceptLanguage::default()
    }

    /// A single language with `q` 1.
    ///
    /// ```
    /// let en = parcelkit::runtime::AcceptLanguage::single("en")?;
    /// assert_eq!(en.to_string(), "en");
    /// # Ok::<(), parcelkit::runtime::InvalidLanguage>(())
    /// ```
    pub fn single(tag: &str) -> Result<Self, InvalidLanguage> {
        AcceptLanguage::new().with(tag, 1.0)
    }

    /// Appends `tag` with quality `q`; see [`LanguagePreference::new`] for the rules.
    pub fn with(mut self, tag: &str, q: f64) -> Result<Self, InvalidLanguage> {
        self.preferences.push(LanguagePreference::new(tag, q)?);
        Ok(self)
    }

    /// Builds the list from `(tag, q)` pairs, in order; the first invalid pair is the error.
    ///
    /// ```
    /// use parcelkit::runtime::AcceptLanguage;
    ///
    /// let languages = AcceptLanguage::from_slice(&[("da-DK", 1.0), ("en", 0.5), ("*", 0.0)])?;
    /// assert_eq!(languages.to_string(), "da-DK, en;q=0.5, *;q=0");
    /// let err = AcceptLanguage::from_slice(&[("da", 1.0), ("en", 1.5)]).unwrap_err();
    /// assert_eq!(err.to_string(), r#"q 1.5 for "en" is outside 0..=1"#);
    /// # Ok::<(), parcelkit::runtime::InvalidLanguage>(())
    /// ```
    pub fn from_slice(preferences: &[(&str, f64)]) -> Result<Self, InvalidLanguage> {
        preferences
            .iter()
            .map(|&(tag, q)| LanguagePreference::new(tag, q))
            .collect()
    }

    /// Appends a preference that is already valid.
    pub fn push(&mut self, preference: LanguagePreference) {
        self.preferences.push(preference);
    }

    /// The preferences in order.
    pub fn preferences(&self) -> &[LanguagePreference] {
        &self.preferences
    }

    /// Iterates over the preferences in order.
    pub fn iter(&self) -> std::slice::Iter<'_, LanguagePreference> {
        self.preferences.iter()
    }

    /// How many preferences the list has.
    pub fn len(&self) -> usize {
        self.preferences.len()
    }

    /// Whether the list has no preference (and so cannot be sent).
    pub fn is_empty(&self) -> bool {
        self.preferences.is_empty()
    }

    /// The header value, the same text as [`Display`](fmt::Display); an empty list is an error.
    ///
    /// ```
    /// use parcelkit::runtime::AcceptLanguage;
    ///
    /// let err = AcceptLanguage::new().to_header_value().unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "Accept-Language needs at least one language; to accept any language, send no header"
    /// );
    /// ```
    pub fn to_header_value(&self) -> Result<HeaderValue, InvalidLanguage> {
        if self.is_empty() {
            return Err(InvalidLanguage::new(Problem::Empty));
        }
        // Tags are A-Z a-z 0-9 '-' or '*', and the rest is digits, '.', ';', '=', ',' and spaces:
        // all visible ASCII, which a HeaderValue always accepts.
        Ok(HeaderValue::try_from(self.to_string())
            .expect("Accept-Language text is visible ASCII and spaces"))
    }
}

/// Formats per RFC 9110: `da-DK, da;q=0.9, en;q=0.8`. An empty list formats as the empty string
/// (which [`AcceptLanguage::to_header_value`] refuses to send).
impl fmt::Display for AcceptLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, preference) in self.preferences.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{preference}")?;
        }
        Ok(())
    }
}

/// Parses a header value: `#( language-range [ weight ] )` with optional spaces or tabs around
/// `,` and `;`, `q=` or `Q=`, and a missing `q` meaning 1. Empty list elements (`da,,en`) are
/// skipped, as RFC 9110 §5.6.1 asks of recipients; a value with no language at all is refused.
impl FromStr for AcceptLanguage {
    type Err = InvalidLanguage;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        // Neither tags nor qvalues can contain a comma (no quoted strings in this grammar), so a
        // plain split finds the list elements.
        let preferences = s
            .split(',')
            .map(trim_ows)
            .filter(|element| !element.is_empty())
            .map(parse_element)
            .collect::<Result<Vec<_>, _>>()?;
        if preferences.is_empty() {
            return Err(InvalidLanguage::new(Problem::Empty));
        }
        Ok(AcceptLanguage { preferences })
    }
}

impl TryFrom<&str> for AcceptLanguage {
    type Error = InvalidLanguage;

    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl TryFrom<String> for AcceptLanguage {
    type Error = InvalidLanguage;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

/// Lets a borrowed list go into an operation's `.accept_language(&languages)`, whose setter takes
/// its value by `TryInto<AcceptLanguage>` (a `&str` or `String` is parsed there, and refused with
/// the reason before anything is sent).
impl From<&AcceptLanguage> for AcceptLanguage {
    fn from(list: &AcceptLanguage) -> AcceptLanguage {
        list.clone()
    }
}

/// The header text. An empty list becomes an empty string.
impl From<AcceptLanguage> for String {
    fn from(list: AcceptLanguage) -> String {
        list.to_string()
    }
}

impl From<&AcceptLanguage> for String {
    fn from(list: &AcceptLanguage) -> String {
        list.to_string()
    }
}

impl FromIterator<LanguagePreference> for AcceptLanguage {
    fn from_iter<I: IntoIterator<Item = LanguagePreference>>(iter: I) -> Self {
        AcceptLanguage {
            preferences: iter.into_iter().collect(),
        }
    }
}

impl<'a> IntoIterator for &'a AcceptLanguage {
    type Item = &'a LanguagePreference;
    type IntoIter = std::slice::Iter<'a, LanguagePreference>;

    fn into_iter(self) -> Self::IntoIter {
        self.preferences.iter()
    }
}

impl IntoIterator for AcceptLanguage {
    type Item = LanguagePreference;
    type IntoIter = std::vec::IntoIter<LanguagePreference>;

    fn into_iter(self) -> Self::IntoIter {
        self.preferences.into_iter()
    }
}

/// A language tag, a `q`, or a whole `Accept-Language` value that breaks the rules; the message
/// quotes the offending text and says what is wrong with it.
///
/// ```
/// use parcelkit::runtime::{AcceptLanguage, InvalidLanguage};
///
/// let err: InvalidLanguage = AcceptLanguage::new().with("da", 0.1234).unwrap_err();
/// assert_eq!(err.to_string(), r#"q 0.1234 for "da" has more than 3 decimals"#);
/// assert_eq!(err.tag(), Some("da"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLanguage {
    problem: Problem,
}

/// Kept private so messages and cases can change without breaking callers.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Problem {
    Tag { tag: String, reason: String },
    QOutOfRange { tag: String, q: String },
    QTooPrecise { tag: String, q: String },
    QNotAValue { tag: String, q: String },
    Parameter { tag: String, parameter: String },
    Empty,
}

impl InvalidLanguage {
    fn new(problem: Problem) -> Self {
        InvalidLanguage { problem }
    }

    /// The language tag the problem is about, as written; `None` when the list is empty.
    pub fn tag(&self) -> Option<&str> {
        match &self.problem {
            Problem::Tag { tag, .. }
            | Problem::QOutOfRange { tag, .. }
            | Problem::QTooPrecise { tag, .. }
            | Problem::QNotAValue { tag, .. }
            | Problem::Parameter { tag, .. } => Some(tag),
            Problem::Empty => None,
        }
    }
}

impl fmt::Display for InvalidLanguage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Debug formatting quotes the text and escapes control characters, so a stray newline
        // or tab in a tag is visible in the message.
        match &self.problem {
            Problem::Tag { tag, reason } => write!(f, "invalid language tag {tag:?}: {reason}"),
            Problem::QOutOfRange { tag, q } => write!(f, "q {q} for {tag:?} is outside 0..=1"),
            Problem::QTooPrecise { tag, q } => {
                write!(f, "q {q} for {tag:?} has more than 3 decimals")
            }
            Problem::QNotAValue { tag, q } => write!(
                f,
                "q {q:?} for {tag:?} is not a qvalue (0 to 1 with at most 3 decimals, like 0.8)"
            ),
            Problem::Parameter { tag, parameter } => write!(
                f,
                "unexpected parameter {parameter:?} after {tag:?}; only q=<0 to 1> is allowed"
            ),
            Problem::Empty => f.write_str(
                "Accept-Language needs at least one language; to accept any language, send no header",
            ),
        }
    }
}

impl std::error::Error for InvalidLanguage {}

/// `OWS` is spaces and tabs only; other whitespace is an error, not padding.
fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// Parses one non-empty list element whose outer whitespace is already trimmed.
fn parse_element(element: &str) -> Result<LanguagePreference, InvalidLanguage> {
    let mut parts = element.split(';').map(trim_ows);
    // `split` always yields at least one part.
    let range = parts.next().unwrap_or_default();
    let tag = canonical_tag(range)?;
    let q = match parts.next() {
        None => Q_MAX,
        Some(weight) => {
            let value = weight
                .strip_prefix("q=")
                .or_else(|| weight.strip_prefix("Q="))
                .ok_or_else(|| parameter_error(range, weight))?;
            parse_qvalue(range, value)?
        }
    };
    // The grammar allows one weight and no other parameter.
    if let Some(extra) = parts.next() {
        return Err(parameter_error(range, extra));
    }
    Ok(LanguagePreference { tag, q })
}

fn parameter_error(tag: &str, parameter: &str) -> InvalidLanguage {
    InvalidLanguage::new(Problem::Parameter {
        tag: tag.to_owned(),
        parameter: parameter.to_owned(),
    })
}

/// Checks `tag` and returns it in canonical case: `*`, or a well-formed BCP 47 tag (RFC 5646
/// §2.1, §2.2.9) that also fits the `language-range` syntax of RFC 4647 the header uses.
///
/// Well-formedness, not registry validity: a subtag registered after this release should still
/// reach the server, which is the one that decides what it serves.
fn canonical_tag(tag: &str) -> Result<String, InvalidLanguage> {
    let refuse = |reason: String| {
        InvalidLanguage::new(Problem::Tag {
            tag: tag.to_owned(),
            reason,
        })
    };
    if tag == LanguagePreference::WILDCARD {
        return Ok(tag.to_owned());
    }
    if tag.is_empty() {
        return Err(refuse("the tag is empty".to_owned()));
    }
    // Checked first, so that `en_US` is refused for its '_' rather than for its structure.
    if let Some((position, c)) = tag
        .chars()
        .enumerate()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(refuse(format!(
            "character {c:?} at position {position} is not allowed \
             (subtags are A-Z a-z 0-9, separated by '-')"
        )));
    }
    bcp47_canonical(tag).map_err(refuse)
}

/// Grandfathered tags (RFC 5646 §2.2.8), accepted whole although most break the grammar.
const GRANDFATHERED: &[&str] = &[
    "art-lojban",
    "cel-gaulish",
    "en-gb-oed",
    "i-ami",
    "i-bnn",
    "i-default",
    "i-enochian",
    "i-hak",
    "i-klingon",
    "i-lux",
    "i-mingo",
    "i-navajo",
    "i-pwn",
    "i-tao",
    "i-tay",
    "i-tsu",
    "no-bok",
    "no-nyn",
    "sgn-be-fr",
    "sgn-be-nl",
    "sgn-ch-de",
    "zh-guoyu",
    "zh-hakka",
    "zh-min",
    "zh-min-nan",
    "zh-xiang",
];

/// Where a tag's parser stands: what the subtags read so far were, which decides what may come.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Language,
    Script,
    Region,
    Variant,
}

/// RFC 5646's `langtag`, `privateuse` and `grandfathered`, over a tag of letters, digits and
/// '-': the tag in canonical case (language lowercase, script `Titlecase`, region uppercase, the
/// rest lowercase), or why it is not well-formed.
fn bcp47_canonical(tag: &str) -> Result<String, String> {
    let lower = tag.to_ascii_lowercase();
    // Checked as written (messages quote the caller's text), stored in canonical case.
    let subtags: Vec<&str> = tag.split('-').collect();
    if subtags.iter().any(|s| s.is_empty()) {
        return Err("a subtag is empty (a '-' at an end, or two in a row)".to_owned());
    }
    if let Some(long) = subtags.iter().find(|s| s.len() > 8) {
        return Err(format!("subtag {long:?} is longer than 8 characters"));
    }
    let letters = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
    };
    let mut out: Vec<String> = Vec::with_capacity(subtags.len());
    if GRANDFATHERED.contains(&lower.as_str()) {
        // Their 2-letter subtags after the first are regions (`en-GB-oed`, `sgn-BE-FR`).
        for (i, s) in subtags.iter().enumerate() {
            out.push(if i > 0 && s.len() == 2 {
                s.to_ascii_uppercase()
            } else {
                s.to_ascii_lowercase()
            });
        }
        return Ok(out.join("-"));
    }
    let mut rest = subtags.iter().copied().peekable();
    let first = rest.next().expect("split gives at least one subtag");
    if !first.eq_ignore_ascii_case("x") {
        if !letters(first, 2..=8) {
            return Err(format!(
                "{first:?} is not a language subtag (2 to 8 letters, or 'x' for private use)"
            ));
        }
        out.push(first.to_ascii_lowercase());
        let mut part = Part::Language;
        let mut extlangs = 0;
        let mut previous = first;
        while let Some(&s) = rest.peek() {
            if s.len() == 1 {
                break; // an extension's singleton, or 'x'
            }
            let is_extlang =
                part == Part::Language && first.len() <= 3 && extlangs < 3 && letters(s, 3..=3);
            let is_variant =
                (5..=8).contains(&s.len()) || (s.len() == 4 && s.as_bytes()[0].is_ascii_digit());
            let next = if is_extlang {
                extlangs += 1;
                out.push(s.to_ascii_lowercase());
                Part::Language
            } else if part < Part::Script && letters(s, 4..=4) {
                out.push(s[..1].to_ascii_uppercase() + &s[1..].to_ascii_lowercase());
                Part::Script
            } else if part < Part::Region
                && (letters(s, 2..=2) || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())))
            {
                out.push(s.to_ascii_uppercase());
                Part::Region
            } else if is_variant {
                let variant = s.to_ascii_lowercase();
                if out.iter().skip(1).any(|seen| *seen == variant) {
                    return Err(format!("variant {s:?} appears twice"));
                }
                out.push(variant);
                Part::Variant
            } else {
                return Err(misplaced(s, previous, part, first.len(), extlangs));
            };
            part = next;
            previous = s;
            rest.next();
        }
        // Extensions: a singleton other than 'x', then subtags of 2 to 8 characters.
        let mut singletons: Vec<String> = Vec::new();
        // Every subtag left here is a singleton: the loop above stopped at one, and each
        // extension below takes all the longer subtags that follow it.
        while let Some(singleton) = rest.next_if(|s| !s.eq_ignore_ascii_case("x")) {
            let lowered = singleton.to_ascii_lowercase();
            if singletons.contains(&lowered) {
                return Err(format!("extension {singleton:?} appears twice"));
            }
            singletons.push(lowered.clone());
            out.push(lowered);
            let before = out.len();
            while let Some(s) = rest.next_if(|s| s.len() >= 2) {
                out.push(s.to_ascii_lowercase());
            }
            if out.len() == before {
                return Err(format!(
                    "extension {singleton:?} has no subtags (at least one of 2 to 8 characters)"
                ));
            }
        }
        if rest.peek().is_none() {
            return Ok(out.join("-"));
        }
        rest.next(); // the 'x'
    }
    // Private use: 'x', then subtags of 1 to 8 characters.
    out.push("x".to_owned());
    let before = out.len();
    out.extend(rest.map(str::to_ascii_lowercase));
    if out.len() == before {
        return Err(
            "private use \"x\" has no subtags (at least one of 1 to 8 characters)".to_owned(),
        );
    }
    Ok(out.join("-"))
}

/// Why subtag `s` cannot come after `previous`, which left the parser at `part`: names the
/// previous subtag's kind, and for the usual mistakes (a second region or script, a script after
/// the region, a misplaced extended language) the rule broken, else what may come there.
fn misplaced(s: &str, previous: &str, part: Part, language_len: usize, extlangs: usize) -> String {
    let letters = |n| s.len() == n && s.bytes().all(|b| b.is_ascii_alphabetic());
    let region = letters(2) || (s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit()));
    let kind = match part {
        Part::Language if extlangs > 0 => "extended language",
        Part::Language => "language",
        Part::Script => "script",
        Part::Region => "region",
        Part::Variant => "variant",
    };
    let why = match part {
        Part::Script if letters(4) => "a tag has at most one script",
        Part::Region | Part::Variant if letters(4) => "a script comes before any region or variant",
        Part::Region if region => "a tag has at most one region",
        Part::Variant if region => "a region comes before the variants",
        Part::Language if letters(3) && language_len > 3 => {
            "an extended language follows only a language of 2 or 3 letters"
        }
        Part::Language if letters(3) => "a tag has at most 3 extended languages",
        Part::Language if language_len <= 3 && extlangs < 3 => {
            "a tag continues there with an extended language, script, region, variant, \
             extension or private use"
        }
        Part::Language => {
            "a tag continues there with a script, region, variant, extension or private use"
        }
        Part::Script => "a tag continues there with a region, variant, extension or private use",
        Part::Region | Part::Variant => {
            "a tag continues there with a variant, extension or private use"
        }
    };
    format!("subtag {s:?} cannot follow {kind} {previous:?} ({why})")
}

/// Converts a caller's `f64` quality to thousandths, refusing values the header cannot carry.
fn q_from_f64(tag: &str, q: f64) -> Result<u16, InvalidLanguage> {
    if !(0.0..=1.0).contains(&q) {
        // Also catches NaN, for which every comparison is false.
        return Err(InvalidLanguage::new(Problem::QOutOfRange {
            tag: tag.to_owned(),
            q: q.to_string(),
        }));
    }
    let scaled = q * f64::from(Q_MAX);
    let rounded = scaled.round();
    // A 3-decimal literal scales to within ~1e-13 of an integer; anything farther has a fourth
    // decimal the header cannot carry, and silently rounding it would change the caller's value.
    if (scaled - rounded).abs() > 1e-9 {
        return Err(InvalidLanguage::new(Problem::QTooPrecise {
            tag: tag.to_owned(),
            q: q.to_string(),
        }));
    }
    // In 0.0..=1000.0 after the range check, so the cast is exact.
    Ok(rounded as u16)
}

/// Parses `qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] )` into thousandths.
///
/// Numbers the grammar refuses are classified like the builder's errors (`1.5` is out of range,
/// `0.0001` has too many decimals), so both paths explain the same mistake the same way.
fn parse_qvalue(tag: &str, text: &str) -> Result<u16, InvalidLanguage> {
    let owned = || (tag.to_owned(), text.to_owned());
    let not_a_value = || {
        let (tag, q) = owned();
        InvalidLanguage::new(Problem::QNotAValue { tag, q })
    };
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !all_digits(int) || !all_digits(frac) {
        return Err(not_a_value());
    }
    // Compared as digit strings, so an absurdly long number cannot overflow anything.
    let int_value = int.trim_start_matches('0');
    let frac_nonzero = frac.bytes().any(|b| b != b'0');
    let above_one =
        int_value.len() > 1 || (int_value.len() == 1 && (int_value != "1" || frac_nonzero));
    let below_zero = negative && (!int_value.is_empty() || frac_nonzero);
    if above_one || below_zero {
        let (tag, q) = owned();
        return Err(InvalidLanguage::new(Problem::QOutOfRange { tag, q }));
    }
    if frac.len() > 3 {
        let (tag, q) = owned();
        return Err(InvalidLanguage::new(Problem::QTooPrecise { tag, q }));
    }
    // In range with few enough decimals, yet not the grammar's spelling: `00.5`, `-0`.
    if negative || !(int == "0" || int == "1") {
        return Err(not_a_value());
    }
    let mut thousandths = if int == "1" { Q_MAX } else { 0 };
    let mut scale = 100;
    for digit in frac.bytes() {
        thousandths += u16::from(digit - b'0') * scale;
        scale /= 10;
    }
    Ok(thousandths)
}

/// `0`, `0.001` ... `0.999`, `1`: the shortest spelling, no trailing zeros.
fn format_thousandths(q: u16) -> String {
    match q {
        0 => "0".to_owned(),
        Q_MAX => "1".to_owned(),
        q if q < Q_MAX => {
            let digits = format!("{q:03}");
            format!("0.{}", digits.trim_end_matches('0'))
        }
        // Only reachable from `from_thousandths`' error message, for a value above 1.
        q => format!("{}.{:03}", q / Q_MAX, q % Q_MAX)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vendor_example() -> AcceptLanguage {
        AcceptLanguage::new()
            .with("da-DK", 1.0)
            .unwrap()
            .with("da", 0.9)
            .unwrap()
            .with("en", 0.8)
            .unwrap()
    }

    fn parse_err(s: &str) -> String {
        s.parse::<AcceptLanguage>().unwrap_err().to_string()
    }

    fn q_of(s: &str) -> u16 {
        let parsed: AcceptLanguage = s.parse().unwrap();
        assert_eq!(parsed.len(), 1, "{s}");
        parsed.preferences()[0].q_thousandths()
    }

    #[test]
    fn formats_the_vendor_example() {
        let languages = vendor_example();
        assert_eq!(languages.to_string(), "da-DK, da;q=0.9, en;q=0.8");
        let header = languages.to_header_value().unwrap();
        assert_eq!(header.to_str().unwrap(), "da-DK, da;q=0.9, en;q=0.8");
    }

    #[test]
    fn parses_the_vendor_example_in_order() {
        let parsed: AcceptLanguage = "da-DK, da;q=0.9, en;q=0.8".parse().unwrap();
        let got: Vec<(&str, u16)> = parsed
            .iter()
            .map(|p| (p.tag(), p.q_thousandths()))
            .collect();
        assert_eq!(got, [("da-DK", 1000), ("da", 900), ("en", 800)]);
        assert_eq!(parsed, vendor_example());
    }

    #[test]
    fn q_is_printed_in_its_shortest_form() {
        let cases = [
            (0, "da;q=0"),
            (1, "da;q=0.001"),
            (10, "da;q=0.01"),
            (50, "da;q=0.05"),
            (100, "da;q=0.1"),
            (120, "da;q=0.12"),
            (999, "da;q=0.999"),
            (1000, "da"),
        ];
        for (q, expected) in cases {
            let pref = LanguagePreference::from_thousandths("da", q).unwrap();
            assert_eq!(pref.to_string(), expected, "q={q}");
        }
    }

    #[test]
    fn every_q_and_tag_kind_round_trips() {
        let tags = [
            "da",
            "da-DK",
            "zh-Hant-TW",
            "de-CH-1996",
            "en-US-u-ca-gregory",
            "x-private",
            "i-klingon",
            "*",
        ];
        for tag in tags {
            for q in 0..=Q_MAX {
                let one: AcceptLanguage = [LanguagePreference::from_thousandths(tag, q).unwrap()]
                    .into_iter()
                    .collect();
                let text = one.to_string();
                assert_eq!(text.parse::<AcceptLanguage>().unwrap(), one, "{text}");
            }
        }
        let many: AcceptLanguage = tags
            .iter()
            .zip([1000, 0, 1, 999, 500, 10, 1000, 250])
            .map(|(tag, q)| LanguagePreference::from_thousandths(tag, q).unwrap())
            .collect();
        let text = many.to_string();
        assert_eq!(
            text,
            "da, da-DK;q=0, zh-Hant-TW;q=0.001, de-CH-1996;q=0.999, \
             en-US-u-ca-gregory;q=0.5, x-private;q=0.01, i-klingon, *;q=0.25"
        );
        assert_eq!(text.parse::<AcceptLanguage>().unwrap(), many);
    }

    #[test]
    fn builder_q_edges() {
        let q = |value: f64| LanguagePreference::new("da", value).map(|p| p.q_thousandths());
        assert_eq!(q(0.0), Ok(0));
        assert_eq!(q(1.0), Ok(1000));
        assert_eq!(q(0.001), Ok(1));
        assert_eq!(q(0.999), Ok(999));
        // Float noise is not a fourth decimal.
        assert_eq!(q(0.1 + 0.2), Ok(300));
        assert!(q(1.001).is_err());
        assert!(q(-0.1).is_err());
        assert!(q(0.0001).is_err());
        assert!(q(0.9995).is_err());
        // A seventh decimal is still a decimal the header cannot carry, not noise.
        assert!(q(0.123_000_1).is_err());
        assert!(q(f64::NAN).is_err());
        assert!(q(f64::INFINITY).is_err());
        assert_eq!(LanguagePreference::new("da", 0.9).unwrap().q(), 0.9);
    }

    #[test]
    fn builder_error_messages() {
        let err = |tag: &str, q: f64| LanguagePreference::new(tag, q).unwrap_err().to_string();
        assert_eq!(err("da", 1.5), r#"q 1.5 for "da" is outside 0..=1"#);
        assert_eq!(err("da", -0.1), r#"q -0.1 for "da" is outside 0..=1"#);
        assert_eq!(err("da", f64::NAN), r#"q NaN for "da" is outside 0..=1"#);
        assert_eq!(
            err("da", 0.1234),
            r#"q 0.1234 for "da" has more than 3 decimals"#
        );
        assert_eq!(
            err("da", 0.0001),
            r#"q 0.0001 for "da" has more than 3 decimals"#
        );
        assert_eq!(
            err("x y", 1.0),
            r#"invalid language tag "x y": character ' ' at position 1 is not allowed (subtags are A-Z a-z 0-9, separated by '-')"#
        );
        // The tag is checked first, so a bad tag with a bad q names the tag.
        assert!(err("x y", 7.0).starts_with(r#"invalid language tag "x y""#));
        assert_eq!(
            LanguagePreference::from_thousandths("da", 1001)
                .unwrap_err()
                .to_string(),
            r#"q 1.001 for "da" is outside 0..=1"#
        );
        assert_eq!(
            LanguagePreference::from_thousandths("da", 2000)
                .unwrap_err()
                .to_string(),
            r#"q 2 for "da" is outside 0..=1"#
        );
    }

    #[test]
    fn parsed_q_edges_accepted() {
        assert_eq!(q_of("da;q=0"), 0);
        assert_eq!(q_of("da;q=1"), 1000);
        assert_eq!(q_of("da;q=0.001"), 1);
        assert_eq!(q_of("da;q=1.000"), 1000);
        assert_eq!(q_of("da;q=0.5"), 500);
        assert_eq!(q_of("da;q=0.05"), 50);
        assert_eq!(q_of("da;q=0.999"), 999);
        // The grammar allows a point with no digits after it.
        assert_eq!(q_of("da;q=0."), 0);
        assert_eq!(q_of("da;q=1."), 1000);
        assert_eq!(q_of("da;Q=0.25"), 250);
        assert_eq!(q_of("da"), 1000);
    }

    #[test]
    fn parsed_q_edges_refused_with_the_builders_messages() {
        assert_eq!(
            parse_err("da;q=1.001"),
            r#"q 1.001 for "da" is outside 0..=1"#
        );
        assert_eq!(
            parse_err("da;q=-0.1"),
            r#"q -0.1 for "da" is outside 0..=1"#
        );
        assert_eq!(parse_err("da;q=2"), r#"q 2 for "da" is outside 0..=1"#);
        assert_eq!(
            parse_err("da;q=100000000000000000000000"),
            r#"q 100000000000000000000000 for "da" is outside 0..=1"#
        );
        assert_eq!(
            parse_err("da;q=0.0001"),
            r#"q 0.0001 for "da" has more than 3 decimals"#
        );
        assert_eq!(
            parse_err("da;q=1.0000"),
            r#"q 1.0000 for "da" has more than 3 decimals"#
        );
        for bad in [
            "", ".5", "00.5", "+0.5", "-0", "0.5x", "1.2.3", "abc", "0 .5",
        ] {
            let text = format!("da;q={bad}");
            assert_eq!(
                parse_err(&text),
                format!(
                    r#"q {bad:?} for "da" is not a qvalue (0 to 1 with at most 3 decimals, like 0.8)"#
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn whitespace_variants_parse_alike() {
        let expected = vendor_example();
        for text in [
            "da-DK,da;q=0.9,en;q=0.8",
            "da-DK , da ; q=0.9 , en ;q=0.8",
            "\tda-DK,\tda;\tq=0.9\t,en;q=0.8\t",
            "  da-DK,  da;q=0.900,   en;Q=0.80  ",
            // Empty list elements are skipped (RFC 9110 §5.6.1).
            ", da-DK,, da;q=0.9 , ,en;q=0.8,",
        ] {
            assert_eq!(
                text.parse::<AcceptLanguage>(),
                Ok(expected.clone()),
                "{text:?}"
            );
        }
    }

    #[test]
    fn malformed_weights_are_refused() {
        assert_eq!(
            parse_err("da;q = 0.9"),
            r#"unexpected parameter "q = 0.9" after "da"; only q=<0 to 1> is allowed"#
        );
        assert_eq!(
            parse_err("da;level=1"),
            r#"unexpected parameter "level=1" after "da"; only q=<0 to 1> is allowed"#
        );
        assert_eq!(
            parse_err("da;q=0.9;level=1"),
            r#"unexpected parameter "level=1" after "da"; only q=<0 to 1> is allowed"#
        );
        assert_eq!(
            parse_err("da;"),
            r#"unexpected parameter "" after "da"; only q=<0 to 1> is allowed"#
        );
        assert_eq!(
            parse_err(";q=0.5"),
            r#"invalid language tag "": the tag is empty"#
        );
        // Whitespace other than space and tab is not OWS.
        assert_eq!(
            parse_err("da\n"),
            r#"invalid language tag "da\n": character '\n' at position 2 is not allowed (subtags are A-Z a-z 0-9, separated by '-')"#
        );
    }

    #[test]
    fn invalid_tags_are_refused_with_the_reason() {
        let err = |tag: &str| LanguagePreference::new(tag, 1.0).unwrap_err().to_string();
        assert_eq!(
            err("en_US"),
            r#"invalid language tag "en_US": character '_' at position 2 is not allowed (subtags are A-Z a-z 0-9, separated by '-')"#
        );
        assert_eq!(err(""), r#"invalid language tag "": the tag is empty"#);
        assert_eq!(
            err("dæ"),
            r#"invalid language tag "dæ": character 'æ' at position 1 is not allowed (subtags are A-Z a-z 0-9, separated by '-')"#
        );
        assert_eq!(
            err("en-"),
            r#"invalid language tag "en-": a subtag is empty (a '-' at an end, or two in a row)"#
        );
        // A second region has no place in the tag's structure.
        assert_eq!(
            err("en-US-DK"),
            r#"invalid language tag "en-US-DK": subtag "DK" cannot follow region "US" (a tag has at most one region)"#
        );
        assert_eq!(
            err("en-languages"),
            r#"invalid language tag "en-languages": subtag "languages" is longer than 8 characters"#
        );
        assert_eq!(
            err("1en"),
            r#"invalid language tag "1en": "1en" is not a language subtag (2 to 8 letters, or 'x' for private use)"#
        );
        // Private use: subtags of 1 to 8 characters.
        assert_eq!(
            err("x-a-"),
            r#"invalid language tag "x-a-": a subtag is empty (a '-' at an end, or two in a row)"#
        );
        assert_eq!(
            err("x-abcdefghi"),
            r#"invalid language tag "x-abcdefghi": subtag "abcdefghi" is longer than 8 characters"#
        );
        assert!(LanguagePreference::new("x-abcdefgh", 1.0).is_ok());
        assert_eq!(
            parse_err("da, en_US;q=0.5"),
            r#"invalid language tag "en_US": character '_' at position 2 is not allowed (subtags are A-Z a-z 0-9, separated by '-')"#
        );
        assert_eq!(
            parse_err("da DK"),
            r#"invalid language tag "da DK": character ' ' at position 2 is not allowed (subtags are A-Z a-z 0-9, separated by '-')"#
        );
    }

    #[test]
    fn tags_are_kept_in_canonical_case() {
        let parsed: AcceptLanguage = "DA-dk, ZH-hant-tw;q=0.5, X-Private".parse().unwrap();
        let tags: Vec<&str> = parsed.iter().map(LanguagePreference::tag).collect();
        assert_eq!(tags, ["da-DK", "zh-Hant-TW", "x-private"]);
        assert_eq!(
            LanguagePreference::new("da-dk", 1.0).unwrap(),
            LanguagePreference::new("da-DK", 1.0).unwrap()
        );
    }

    #[test]
    fn the_wildcard() {
        let parsed: AcceptLanguage = "da, *;q=0.1".parse().unwrap();
        let wildcard = &parsed.preferences()[1];
        assert!(wildcard.is_wildcard());
        assert!(!parsed.preferences()[0].is_wildcard());
        assert_eq!(wildcard.tag(), "*");
        assert_eq!(wildcard.q_thousandths(), 100);
        assert_eq!(parsed.to_string(), "da, *;q=0.1");
        assert_eq!(AcceptLanguage::single("*").unwrap().to_string(), "*");
        // Only the whole range may be `*`.
        assert!(LanguagePreference::new("*-DK", 1.0).is_err());
        assert!(LanguagePreference::new("da-*", 1.0).is_err());
        assert!(LanguagePreference::new("**", 1.0).is_err());
    }

    #[test]
    fn an_empty_list_is_not_a_header() {
        let empty = AcceptLanguage::new();
        assert!(empty.is_empty());
        assert_eq!(empty.to_string(), "");
        let message =
            "Accept-Language needs at least one language; to accept any language, send no header";
        assert_eq!(empty.to_header_value().unwrap_err().to_string(), message);
        assert_eq!(empty.to_header_value().unwrap_err().tag(), None);
        assert_eq!(parse_err(""), message);
        assert_eq!(parse_err(" , ,\t"), message);
    }

    #[test]
    fn single_from_slice_and_iteration() {
        let en = AcceptLanguage::single("en").unwrap();
        assert_eq!(en.len(), 1);
        assert_eq!(en.preferences()[0].q(), 1.0);
        assert_eq!(en.to_header_value().unwrap(), "en");

        let from_slice =
            AcceptLanguage::from_slice(&[("da-DK", 1.0), ("da", 0.9), ("en", 0.8)]).unwrap();
        assert_eq!(from_slice, vendor_example());
        let err =
            AcceptLanguage::from_slice(&[("da", 1.0), ("en_GB", 0.5), ("en", 2.0)]).unwrap_err();
        assert_eq!(err.tag(), Some("en_GB"));

        let mut pushed = AcceptLanguage::new();
        pushed.push(LanguagePreference::new("en", 0.8).unwrap());
        pushed.push(LanguagePreference::new("da", 1.0).unwrap());
        let by_ref: Vec<&str> = (&pushed).into_iter().map(|p| p.tag()).collect();
        assert_eq!(by_ref, ["en", "da"], "insertion order, not sorted by q");
        let owned: Vec<u16> = pushed.into_iter().map(|p| p.q_thousandths()).collect();
        assert_eq!(owned, [800, 1000]);

        // Duplicates are kept as given.
        let twice = AcceptLanguage::try_from("da, da;q=0.5").unwrap();
        assert_eq!(twice.len(), 2);
        assert_eq!(twice.to_string(), "da, da;q=0.5");
    }

    #[test]
    fn a_single_preference_parses_and_prints() {
        let pref: LanguagePreference = " en-GB ;q=0.75 ".parse().unwrap();
        assert_eq!((pref.tag(), pref.q_thousandths()), ("en-GB", 750));
        assert_eq!(pref.to_string(), "en-GB;q=0.75");
        assert!("en, da".parse::<LanguagePreference>().is_err());
    }

    #[test]
    fn every_production_of_the_tag_grammar_is_accepted_in_canonical_case() {
        let canonical = |tag: &str| LanguagePreference::new(tag, 1.0).unwrap().tag().to_owned();
        for (written, expected) in [
            ("DA", "da"),
            ("zh-YUE-hk", "zh-yue-HK"),
            ("SR-latn-rs", "sr-Latn-RS"),
            ("es-419", "es-419"),
            ("de-ch-1996", "de-CH-1996"),
            ("sl-Rozaj-Biske", "sl-rozaj-biske"),
            ("hy-latn-it-AREVELA", "hy-Latn-IT-arevela"),
            ("en-A-bbb-X-a-ccc", "en-a-bbb-x-a-ccc"),
            ("de-u-co-phonebk-t-en", "de-u-co-phonebk-t-en"),
            ("X-Whatever", "x-whatever"),
            ("i-Klingon", "i-klingon"),
            ("EN-gb-OED", "en-GB-oed"),
            ("zh-min-nan", "zh-min-nan"),
            ("abcdefgh", "abcdefgh"),
            ("chr", "chr"),
        ] {
            assert_eq!(canonical(written), expected, "{written}");
        }
    }

    #[test]
    fn tags_outside_the_grammar_are_refused_with_what_is_wrong() {
        let err = |tag: &str| {
            let message = LanguagePreference::new(tag, 1.0).unwrap_err().to_string();
            let prefix = format!("invalid language tag {tag:?}: ");
            message
                .strip_prefix(&prefix)
                .expect("the usual prefix")
                .to_owned()
        };
        assert_eq!(
            err("e"),
            r#""e" is not a language subtag (2 to 8 letters, or 'x' for private use)"#
        );
        assert_eq!(
            err("abcd-yue"),
            r#"subtag "yue" cannot follow language "abcd" (an extended language follows only a language of 2 or 3 letters)"#
        );
        assert_eq!(
            err("zh-yue-yue-yue-abc"),
            r#"subtag "abc" cannot follow extended language "yue" (a tag has at most 3 extended languages)"#
        );
        assert_eq!(
            err("en-US-DK"),
            r#"subtag "DK" cannot follow region "US" (a tag has at most one region)"#
        );
        assert_eq!(
            err("de-1996-CH"),
            r#"subtag "CH" cannot follow variant "1996" (a region comes before the variants)"#
        );
        assert_eq!(
            err("en-Latn-Cyrl"),
            r#"subtag "Cyrl" cannot follow script "Latn" (a tag has at most one script)"#
        );
        assert_eq!(
            err("en-DK-Latn"),
            r#"subtag "Latn" cannot follow region "DK" (a script comes before any region or variant)"#
        );
        assert_eq!(
            err("en-12"),
            "subtag \"12\" cannot follow language \"en\" (a tag continues there with an extended \
             language, script, region, variant, extension or private use)"
        );
        assert_eq!(
            err("en-Latn-abc"),
            r#"subtag "abc" cannot follow script "Latn" (a tag continues there with a region, variant, extension or private use)"#
        );
        assert_eq!(
            err("en-US-a1b"),
            r#"subtag "a1b" cannot follow region "US" (a tag continues there with a variant, extension or private use)"#
        );
        assert_eq!(
            err("en-languages"),
            r#"subtag "languages" is longer than 8 characters"#
        );
        assert_eq!(
            err("1en"),
            r#""1en" is not a language subtag (2 to 8 letters, or 'x' for private use)"#
        );
        assert_eq!(
            err("en-"),
            "a subtag is empty (a '-' at an end, or two in a row)"
        );
        assert_eq!(
            err("en-a"),
            r#"extension "a" has no subtags (at least one of 2 to 8 characters)"#
        );
        assert_eq!(
            err("en-a-b"),
            r#"extension "a" has no subtags (at least one of 2 to 8 characters)"#
        );
        assert_eq!(
            err("x"),
            r#"private use "x" has no subtags (at least one of 1 to 8 characters)"#
        );
        assert_eq!(err("de-1996-1996"), r#"variant "1996" appears twice"#);
        assert_eq!(err("en-u-co-U-nu"), r#"extension "U" appears twice"#);
        assert_eq!(
            err("en--US"),
            "a subtag is empty (a '-' at an end, or two in a row)"
        );
        assert_eq!(
            err("en-x"),
            r#"private use "x" has no subtags (at least one of 1 to 8 characters)"#
        );
    }
}
