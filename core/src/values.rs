//! Validated value types: emails, money, hours, phones, languages, codes.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::error::{Error, excerpt};

/// An email address, kept lowercase so comparisons are exact.
// INVARIANT: one `@`, a non-empty local part, a dotted domain, no spaces, ≤ 254 chars.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    /// Parses and normalizes an address; `field` names the argument in errors.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let trimmed = text.trim();
        let bad = |reason: &str| Error::invalid(field, reason.to_string());
        if trimmed.is_empty() {
            return Err(bad("an email address is required"));
        }
        if trimmed.len() > 254 || trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("not a valid email address"));
        }
        let Some((local, domain)) = trimmed.split_once('@') else {
            return Err(bad("not a valid email address: `@` is missing"));
        };
        let domain_ok = domain.contains('.') && !domain.contains('@') && domain.split('.').all(|label| !label.is_empty());
        if local.is_empty() || !domain_ok {
            return Err(bad("not a valid email address"));
        }
        Ok(Self(trimmed.to_lowercase()))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fixed valid address for the sample states of transition tables.
    pub(crate) fn sample() -> Self {
        Self("alt@example.com".to_string())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Email {
    type Error = Error;
    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse("email", &text)
    }
}

impl From<Email> for String {
    fn from(email: Email) -> String {
        email.0
    }
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

/// A language tag such as `en` or `zh-CN`.
// INVARIANT: 2 to 35 ASCII letters, digits and dashes, starting with a letter.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Language(String);

impl Language {
    /// Parses a language tag; `field` names the argument in errors.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let ok = (2..=35).contains(&text.len())
            && text.starts_with(|c: char| c.is_ascii_alphabetic())
            && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if ok { Ok(Self(text.to_string())) } else { Err(Error::invalid(field, format!("`{}` is not a language tag", excerpt(text)))) }
    }

    /// English, the fallback language of mail.
    pub fn english() -> Self {
        Self("en".to_string())
    }

    /// The tag as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Language {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Language {
    type Error = Error;
    fn try_from(text: String) -> Result<Self, Error> {
        Self::parse("language", &text)
    }
}

impl From<Language> for String {
    fn from(language: Language) -> String {
        language.0
    }
}

/// A catalog code: a package template, product, offer or competency name.
// INVARIANT: 1 to 64 chars of ASCII lowercase letters, digits, `-` and `_`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(try_from = "String", into = "String")]
pub struct Code(String);

impl Code {
    /// Parses a code; `field` names the argument in errors.
    pub fn parse(field: &str, text: &str) -> Result<Self, Error> {
        let ok =
            (1..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if ok {
            Ok(Self(text.to_string()))
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
        code.0
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalized_and_validated() {
        assert_eq!(Email::parse("e", " Avery@Contoso.COM ").unwrap().as_str(), "avery@contoso.com");
        for bad in ["", "avery", "@contoso.com", "avery@contoso", "a b@c.com", "a@b..com", "a@b@c.com"] {
            assert_eq!(Email::parse("e", bad).unwrap_err().code(), "invalid_input", "{bad}");
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
    fn phones_languages_and_codes_are_validated() {
        assert!(Phone::parse("+1 (425) 555-0100").is_ok());
        assert!(Phone::parse("12").is_err());
        assert!(Phone::parse("call me").is_err());
        assert!(Language::parse("l", "zh-CN").is_ok());
        assert!(Language::parse("l", "1x").is_err());
        assert!(Code::parse("c", "action-pack").is_ok());
        assert!(Code::parse("c", "Action Pack").is_err());
        assert!(Currency::parse("USD").is_ok());
        assert!(Currency::parse("usd").is_err());
    }
}
