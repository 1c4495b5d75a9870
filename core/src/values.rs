//! Validated value types: emails, money, hours, phones, languages, codes.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, excerpt};

/// An email address, kept lowercase so comparisons are exact.
///
/// A new address (a command's argument) goes through [`Email::parse`]; an
/// address read back from stored events, snapshots or an export is checked
/// only as 0.1.0 checked it, so what was once accepted keeps loading with the
/// same data (see [`Email::parse`] for what the door refuses since).
// INVARIANT: trimmed and lowercase; one `@` with a non-empty local part before
// it and a dotted domain after it, no white space, at most 254 bytes. From
// `parse`, also an RFC 5322 dot-atom address lettre's `Address` accepts.
// Shared text: an address is copied into events, mail and views, and a
// clone is a count, not an allocation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Email(Arc<str>);

/// Longest address: RFC 5321's 256-octet path less its angle brackets.
const MAX_EMAIL_LEN: usize = 254;

impl Email {
    /// Parses and normalizes (trims, lowercases) a new address; `field` names
    /// the argument in errors.
    ///
    /// Checked by the `email_address` crate, whose grammar lettre's `Address`
    /// (the SMTP adapter) uses as well, narrowed to what every mail path can
    /// address: a dot-atom local part of at most 64 characters (no quoted
    /// string such as `"a b"@example.com`), a domain name with a dot (no IP
    /// literal such as `a@[127.0.0.1]`, no display name), at most 254 bytes.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::invalid(field, format!("not a valid email address{why}"));
        let email = text.trim().to_lowercase();
        if email.is_empty() {
            return Err(Error::invalid(field, "an email address is required"));
        }
        if email.len() > MAX_EMAIL_LEN {
            return Err(bad(": longer than 254 characters"));
        }
        let options = email_address::Options::default().with_required_tld().without_domain_literal().without_display_text();
        match email_address::EmailAddress::parse_with_options(&email, options) {
            Ok(parsed) if parsed.local_part().starts_with('"') => Err(bad(": quoted local parts are not accepted")),
            Ok(_) => Ok(Self(email.into())),
            Err(error) => {
                use email_address::Error as E;
                Err(bad(match error {
                    E::MissingSeparator => ": `@` is missing",
                    E::LocalPartTooLong => ": more than 64 characters before `@`",
                    E::DomainTooFew => ": the domain has no dot",
                    E::UnsupportedDomainLiteral => ": the domain is an IP address",
                    _ => "",
                }))
            }
        }
    }

    /// Reads a stored address with 0.1.0's check, which is looser than
    /// [`Email::parse`] (it took `a..b@example.com`, `"x"@example.com`).
    fn stored(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        let bad = |reason: &str| Error::invalid("email", reason.to_string());
        if trimmed.is_empty() {
            return Err(bad("an email address is required"));
        }
        if trimmed.len() > MAX_EMAIL_LEN || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("not a valid email address"));
        }
        let Some((local, domain)) = trimmed.split_once('@') else {
            return Err(bad("not a valid email address: `@` is missing"));
        };
        let domain_ok = domain.contains('.') && !domain.contains('@') && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || !domain_ok {
            return Err(bad("not a valid email address"));
        }
        Ok(Self(trimmed.to_lowercase().into()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fixed valid address for the sample states of transition tables.
    pub(crate) fn sample() -> Self {
        Self("alt@example.com".into())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    /// A new address, as [`Email::parse`] checks it.
    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse("email", &text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0.to_string()
    }
}

impl<'de> Deserialize<'de> for Email {
    /// Stored data: 0.1.0's check, so every file it wrote still loads.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_stored(deserializer, Self::stored)
    }
}

/// Deserializes a value kept as text through `read`, its check for stored
/// data: a value accepted once keeps loading where the door got stricter.
fn read_stored<'de, D: Deserializer<'de>, T>(deserializer: D, read: fn(&str) -> Result<T, Error>) -> Result<T, D::Error> {
    read(&String::deserialize(deserializer)?).map_err(serde::de::Error::custom)
}

/// A three-letter ISO 4217 currency code such as `USD`.
// INVARIANT: exactly three ASCII uppercase letters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);

impl Currency {
    /// Parses a currency code.
    pub fn parse(text: &str) -> Result<Self, Error> {
        if text.len() == 3 && text.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(text.to_string()))
        } else {
            Err(Error::invalid("currency", format!("`{}` is not a three-letter currency code", excerpt(text))))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Currency {
    type Error = Error;
    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse(&text)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.0
    }
}

/// An amount of money in one currency; never a float.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct Money {
    /// The amount, exact.
    pub amount: Decimal,
    /// Its currency.
    pub currency: Currency,
}

impl Money {
    /// Zero in `currency`.
    pub fn zero(currency: Currency) -> Self {
        Self { amount: Decimal::ZERO, currency }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency.0)
    }
}

/// An address to reach someone of the organization apart from its company
/// account: a technical benefit's alternate email (R18) and the marketing
/// contact's email (R25) both must differ from the Partner Center account email.
pub fn alternate_email(field: &str, text: &str, account_email: &Email) -> Result<Email, Error> {
    let email = Email::parse(field, text)?;
    if &email == account_email {
        return Err(Error::invalid(field, "must differ from the company's Partner Center account email"));
    }
    Ok(email)
}

/// An exact decimal given as text, as the bindings receive it from Python's
/// `Decimal` or Java's `BigDecimal` (`2.5`, `1E+2`): finite, and within the 28
/// or so significant digits the library computes with (96 bits). Anything else is
/// `invalid_input` on `field`, so every binding refuses the same values alike.
pub fn parse_decimal(field: &str, text: &str) -> Result<Decimal, Error> {
    let trimmed = text.trim_start_matches(['+', '-']).to_ascii_lowercase();
    if ["nan", "snan", "inf", "infinity"].contains(&trimmed.as_str()) {
        return Err(Error::invalid(field, format!("`{}` is not a finite number", excerpt(text))));
    }
    // Only what a decimal literal holds: the parser below would also take `1_000`.
    let literal = !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || "+-.eE".contains(c));
    if !literal {
        return Err(Error::invalid(field, format!("`{}` is not a decimal number", excerpt(text))));
    }
    let parsed = if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { Decimal::from_str_exact(text) };
    parsed.map_err(|_| {
        Error::invalid(field, format!("`{}` does not fit the library's decimals (about 28 significant digits)", excerpt(text)))
    })
}

/// A positive amount of hours (or incidents) drawn from a technical balance.
pub fn positive_amount(field: &str, amount: Decimal) -> Result<Decimal, Error> {
    if amount <= Decimal::ZERO {
        return Err(Error::invalid(field, "must be greater than zero"));
    }
    if amount.scale() > 2 {
        return Err(Error::invalid(field, "at most two decimal places"));
    }
    Ok(amount)
}

/// A phone number: digits with optional `+`, spaces, dashes, dots and parentheses.
// INVARIANT: 6 to 20 digits, only the characters above.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

impl Phone {
    /// Parses a phone number.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        let allowed = trimmed.chars().all(|c| c.is_ascii_digit() || "+ -.()".contains(c));
        let digits = trimmed.chars().filter(char::is_ascii_digit).count();
        if allowed && (6..=20).contains(&digits) {
            Ok(Self(trimmed.to_string()))
        } else {
            Err(Error::invalid("phone", "a phone number has 6 to 20 digits"))
        }
    }

    /// The number as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Phone {
    type Error = Error;
    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse(&text)
    }
}

impl From<Phone> for String {
    fn from(phone: Phone) -> String {
        phone.0
    }
}

/// A language tag such as `en` or `zh-CN`, kept as given (case included).
///
/// A new tag (a command's argument, a catalog's language) goes through
/// [`Language::parse`]; a tag read back from stored data is checked only as
/// 0.1.0 checked it.
// INVARIANT: 2 to 35 ASCII letters, digits and dashes, starting with a letter.
// From `parse`, also a well-formed BCP 47 tag (RFC 5646).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema)]
#[schemars(description = "A BCP 47 language tag such as `en` or `zh-CN`.")]
pub struct Language(Arc<str>);

/// Longest tag: RFC 5646 (4.4.1) sizes buffers for 35 characters.
const MAX_LANGUAGE_LEN: usize = 35;

impl Language {
    /// Parses a new language tag, well-formed by BCP 47 (RFC 5646, checked
    /// by `oxilangtag`) and at most 35 characters; `field` names the
    /// argument in errors.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        if text.len() <= MAX_LANGUAGE_LEN && oxilangtag::LanguageTag::parse(text).is_ok() {
            Ok(Self(interned(text)))
        } else {
            Err(Error::invalid(field, format!("`{}` is not a language tag", excerpt(text))))
        }
    }

    /// Reads a stored tag with 0.1.0's check, which is looser than
    /// [`Language::parse`] (it took `en-` and `e1`).
    fn stored(text: &str) -> Result<Self, Error> {
        let ok = (2..=MAX_LANGUAGE_LEN).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok { Ok(Self(interned(text))) } else { Err(Error::invalid("language", format!("`{}` is not a language tag", excerpt(text)))) }
    }

    /// English, the fallback language of mail.
    pub fn english() -> Self {
        Self(interned("en"))
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many distinct language tags are shared; tags past these get their own copy.
const SHARED_LANGUAGES: usize = 64;

/// The shared copy of a language tag: every user, contact and mail holds one,
/// and they come from a handful of tags. Bounded, so tags a caller makes up
/// cannot grow it without end.
fn interned(tag: &str) -> Arc<str> {
    // English, the default, is always shared, however many tags came first.
    static ENGLISH: std::sync::LazyLock<Arc<str>> = std::sync::LazyLock::new(|| "en".into());
    static TAGS: std::sync::RwLock<Vec<Arc<str>>> = std::sync::RwLock::new(Vec::new());
    if tag == "en" {
        return Arc::clone(&ENGLISH);
    }
    let find = |tags: &[Arc<str>]| tags.iter().find(|t| &***t == tag).cloned();
    if let Some(found) = TAGS.read().ok().and_then(|tags| find(&tags)) {
        return found;
    }
    let Ok(mut tags) = TAGS.write() else { return tag.into() };
    if let Some(found) = find(&tags) {
        return found;
    }
    let new: Arc<str> = tag.into();
    if tags.len() < SHARED_LANGUAGES {
        tags.push(Arc::clone(&new));
    }
    new
}

impl<'de> Deserialize<'de> for Language {
    /// Stored data: 0.1.0's check, so every file it wrote still loads.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        read_stored(deserializer, Self::stored)
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Language {
    type Error = Error;
    /// A new tag, as [`Language::parse`] checks it.
    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse("language", &text)
    }
}

impl From<Language> for String {
    fn from(language: Language) -> String {
        language.0.to_string()
    }
}

/// A catalog code: a package template, product, offer or competency name.
// INVARIANT: 1 to 64 chars of ASCII lowercase letters, digits, `-` and `_`.
// Shared text, as for `Email`: codes name products and benefits in every
// event and view.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, JsonSchema)]
#[serde(try_from = "String")]
pub struct Code(Arc<str>);

impl Code {
    /// Parses a code; `field` names the argument in errors.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let ok =
            (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(text.into()))
        } else {
            Err(Error::invalid(field, format!("`{}` is not a code (lowercase letters, digits, `-`, `_`)", excerpt(text))))
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Code {
    type Error = Error;
    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse("code", &text)
    }
}

impl From<Code> for String {
    fn from(code: Code) -> String {
        code.0.to_string()
    }
}

impl FromStr for Code {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse("code", text)
    }
}

/// A person's or company's display name: trimmed, 1 to 200 characters.
pub fn display_name(field: &str, text: &str) -> Result<String, Error> {
    let trimmed = text.trim();
    let count = trimmed.chars().count();
    if count == 0 || count > 200 || trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(field, "a name has 1 to 200 printable characters"));
    }
    Ok(trimmed.to_string())
}

/// Free text such as a request description: at most 4 000 characters.
pub fn free_text(field: &str, text: &str) -> Result<String, Error> {
    if text.chars().count() > 4000 {
        return Err(Error::invalid(field, "at most 4000 characters"));
    }
    Ok(text.trim().to_string())
}

/// A partner level; higher levels get larger allocations (P5) and more offers (R23).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PartnerLevel {
    /// A network member with no paid level.
    Member,
    /// A partner holding an Action Pack.
    ActionPack,
    /// A Silver partner.
    Silver,
    /// A Gold partner.
    Gold,
}

impl PartnerLevel {
    /// Every level, lowest first.
    pub const ALL: [PartnerLevel; 4] = [Self::Member, Self::ActionPack, Self::Silver, Self::Gold];

    /// The stable snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Member => "member",
            Self::ActionPack => "action_pack",
            Self::Silver => "silver",
            Self::Gold => "gold",
        }
    }
}

impl FromStr for PartnerLevel {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|level| level.as_str() == text)
            .ok_or_else(|| Error::invalid("level", format!("`{}` is not a partner level", excerpt(text))))
    }
}

/// Shared-text values are written as their text, without the copy a
/// `serde(into = "String")` would make.
macro_rules! serialize_as_str {
    ($($type:ty),*) => {$(
        impl Serialize for $type {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }
    )*};
}
serialize_as_str!(Email, Language, Code);

#[cfg(test)]
mod tests {
    use super::*;

    /// Old check accepted, `Email::parse` refuses: each must still load from stored JSON.
    const EMAILS_ONLY_STORED: [&str; 10] = [
        "a..b@example.com",
        ".avery@example.com",
        "avery.@example.com",
        "\"avery\"@example.com",
        "avery@[127.0.0.1]",
        "avery@-contoso.com",
        "a<b>@example.com",
        "avery(comment)@example.com",
        "avery@contoso.com-",
        "l0000000001l0000000002l0000000003l0000000004l0000000005l0000000006x@example.com",
    ];

    #[test]
    fn emails_are_normalized_and_validated() {
        assert_eq!(Email::parse("e", " Avery@Contoso.COM ").unwrap().as_str(), "avery@contoso.com");
        for good in ["o'brien+tag@mail.contoso.com", "a_b@contoso-ltd.co.uk", "jürgen@bücher.example", "x@b.c"] {
            let email = Email::parse("e", good).unwrap();
            assert_eq!(email.as_str(), good, "{good}");
            // Whatever the door accepts reads back from storage unchanged.
            assert_eq!(serde_json::from_value::<Email>(serde_json::json!(good)).unwrap(), email, "{good}");
        }
        let mut bad = vec!["", "  ", "avery", "@contoso.com", "avery@contoso", "a b@c.com", "a@b..com", "a@b@c.com", "Avery <a@b.com>"];
        bad.extend(EMAILS_ONLY_STORED);
        for bad in bad {
            assert_eq!(Email::parse("e", bad).unwrap_err().code(), "invalid_input", "{bad}");
        }
    }

    #[test]
    fn email_errors_say_why_in_a_few_words_and_never_echo_the_address() {
        let long = format!("{}@example.com", "a".repeat(10_000));
        for (text, reason) in [
            ("", "an email address is required"),
            ("avery.contoso.com", "not a valid email address: `@` is missing"),
            ("avery@contoso", "not a valid email address: the domain has no dot"),
            ("avery@[10.0.0.1]", "not a valid email address: the domain is an IP address"),
            ("\"avery\"@contoso.com", "not a valid email address: quoted local parts are not accepted"),
            (EMAILS_ONLY_STORED[9], "not a valid email address: more than 64 characters before `@`"),
            (&long, "not a valid email address: longer than 254 characters"),
            ("a..b@contoso.com", "not a valid email address"),
        ] {
            match Email::parse("admin_email", text).unwrap_err() {
                Error::InvalidInput { field, reason: got } => assert_eq!((field.as_str(), got.as_str()), ("admin_email", reason), "{text}"),
                other => panic!("{text}: {other:?}"),
            }
        }
    }

    #[test]
    fn stored_emails_load_with_the_0_1_0_check_though_the_door_refuses_them() {
        for text in EMAILS_ONLY_STORED {
            let stored: Email = serde_json::from_value(serde_json::json!(text)).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(stored.as_str(), text);
            assert_eq!(serde_json::to_value(&stored).unwrap(), serde_json::json!(text));
            assert_eq!(Email::parse("email", text).unwrap_err().code(), "invalid_input", "{text}");
            assert!(Email::try_from(text.to_string()).is_err(), "{text}");
        }
        // Stored data gets 0.1.0's normalization too.
        assert_eq!(serde_json::from_str::<Email>(r#"" Avery@Contoso.COM ""#).unwrap().as_str(), "avery@contoso.com");
        // Lenient is not anything: what 0.1.0 refused is still refused.
        for text in ["", "avery", "a b@c.com", "avery@contoso", "a@b@c.com", "@contoso.com"] {
            assert!(serde_json::from_value::<Email>(serde_json::json!(text)).is_err(), "{text}");
        }
    }

    #[test]
    fn decimals_from_text_are_finite_and_in_range() {
        for (text, value) in [("2.5", "2.5"), ("1E+2", "100"), ("1e-2", "0.01"), ("-0", "0"), ("475.00", "475.00")] {
            assert_eq!(parse_decimal("hours", text).unwrap(), value.parse::<Decimal>().unwrap(), "{text}");
        }
        for bad in [
            "NaN",
            "-NaN",
            "sNaN",
            "Infinity",
            "-Infinity",
            "inf",
            "1E+100",
            "1e100",
            "",
            "1.5.5",
            "0x10",
            "1_000",
            "NaN123",
            "99999999999999999999999999999",
        ] {
            let err = parse_decimal("hours", bad).unwrap_err();
            assert_eq!((err.code(), err.to_string().contains("`hours`")), ("invalid_input", true), "{bad}: {err}");
        }
    }

    #[test]
    fn amounts_must_be_positive_with_two_decimals() {
        assert!(positive_amount("hours", Decimal::new(15, 1)).is_ok());
        assert!(positive_amount("hours", Decimal::ZERO).is_err());
        assert!(positive_amount("hours", Decimal::new(-1, 0)).is_err());
        assert!(positive_amount("hours", Decimal::new(1001, 3)).is_err());
    }

    #[test]
    fn phones_and_codes_are_validated() {
        assert!(Phone::parse("+1 (425) 555-0100").is_ok());
        assert!(Phone::parse("12").is_err());
        assert!(Phone::parse("call me").is_err());
        assert!(Code::parse("c", "action-pack").is_ok());
        assert!(Code::parse("c", "Action Pack").is_err());
        assert!(Currency::parse("USD").is_ok());
        assert!(Currency::parse("usd").is_err());
    }

    /// Old check accepted, `Language::parse` refuses: each must still load from stored JSON.
    const LANGUAGES_ONLY_STORED: [&str; 6] = ["en-", "e1", "en--us", "abcdefghi", "en-abcdefghi", "zh-a"];

    #[test]
    fn languages_are_bcp_47_tags_kept_as_given() {
        for good in ["en", "zh-CN", "de-CH-1996", "sr-Latn-RS", "EN-us", "zh-cmn-Hans-CN", "x-klingon", "i-klingon", "en-US-u-ca-gregory"] {
            let language = Language::parse("l", good).unwrap();
            assert_eq!(language.as_str(), good, "{good}");
            assert_eq!(serde_json::from_value::<Language>(serde_json::json!(good)).unwrap(), language, "{good}");
        }
        // Kept as given: no case folding, so `EN-us` is not `en-US`.
        assert_ne!(Language::parse("l", "EN-us").unwrap(), Language::parse("l", "en-US").unwrap());
        let long = "en-US-u-ca-gregory-nu-latn-hc-h23-kf";
        assert_eq!(long.len(), 36);
        assert!(oxilangtag::LanguageTag::parse(long).is_ok(), "well-formed, refused only for its length");
        let mut bad = vec!["", "1x", "e", "en_US", "en US", long, "fr-ç"];
        bad.extend(LANGUAGES_ONLY_STORED);
        for bad in bad {
            let err = Language::parse("language", bad).unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad}");
            assert!(err.to_string().contains(&format!("`{bad}` is not a language tag")), "{bad}: {err}");
        }
        let huge = "a".repeat(10_000);
        assert!(Language::parse("language", &huge).unwrap_err().to_string().len() < 100);
        assert_eq!(Language::english().as_str(), "en");
    }

    #[test]
    fn a_language_tag_is_shared_not_copied() {
        let stored: Language = serde_json::from_str(r#""en""#).unwrap();
        for english in [Language::english(), Language::parse("language", "en").unwrap(), stored] {
            assert!(Arc::ptr_eq(&english.0, &Language::english().0), "a user's `en` is a copy of its own");
        }
        let swiss = Language::parse("language", "de-CH").unwrap();
        assert_eq!(swiss, Language::parse("language", "de-CH").unwrap());
        assert_eq!(swiss.as_str(), "de-CH");
    }

    #[test]
    fn stored_languages_load_with_the_0_1_0_check_though_the_door_refuses_them() {
        for text in LANGUAGES_ONLY_STORED {
            let stored: Language = serde_json::from_value(serde_json::json!(text)).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!((stored.as_str(), serde_json::to_value(&stored).unwrap()), (text, serde_json::json!(text)));
            assert_eq!(Language::parse("language", text).unwrap_err().code(), "invalid_input", "{text}");
            assert!(Language::try_from(text.to_string()).is_err(), "{text}");
        }
        for text in ["", "1x", "en_US", "x", "a-very-long-tag-of-more-than-35-chars"] {
            assert!(serde_json::from_value::<Language>(serde_json::json!(text)).is_err(), "{text}");
        }
    }
}
