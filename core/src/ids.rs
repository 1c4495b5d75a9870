//! Identifiers. Every id inside an organization embeds that organization's
//! number, so an id from another organization can never resolve (B1).

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, excerpt};
use crate::id_text::IdText;

/// An organization (a partner company), shown as `org-7`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrganizationId(u64);

impl OrganizationId {
    /// The id with this number; stores hand out the numbers.
    pub fn new(number: u64) -> Self {
        Self(number)
    }

    /// The number inside the id.
    pub fn number(self) -> u64 {
        self.0
    }
}

impl OrganizationId {
    fn text(self) -> IdText {
        IdText::new("org", self.0, None)
    }
}

impl fmt::Display for OrganizationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text().as_str())
    }
}

impl FromStr for OrganizationId {
    type Err = Error;
    fn from_str(text: &str) -> Result<Self, Error> {
        text.strip_prefix("org-")
            .and_then(canonical_number)
            .map(Self)
            .ok_or_else(|| Error::invalid("organization_id", format!("`{}` is not an organization id", excerpt(text))))
    }
}

/// The number written in `digits`, only when written the one way the ids
/// print it: ASCII digits, no sign, no leading zero, no spaces. Two spellings
/// of one id would let a caller slip past a host's own checks or caches, which
/// compare the text.
fn canonical_number<T: FromStr>(digits: &str) -> Option<T> {
    let canonical = !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) && (digits == "0" || !digits.starts_with('0'));
    if canonical { digits.parse().ok() } else { None }
}

macro_rules! scoped_id {
    ($(#[$doc:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name {
            organization: OrganizationId,
            seq: u32,
        }

        impl $name {
            /// The id numbered `seq` inside `organization`.
            pub fn new(organization: OrganizationId, seq: u32) -> Self {
                Self { organization, seq }
            }

            /// The organization this id belongs to.
            pub fn organization(self) -> OrganizationId {
                self.organization
            }

            /// The number of this id inside its organization.
            pub fn seq(self) -> u32 {
                self.seq
            }
        }

        const _: () = assert!($prefix.len() <= crate::id_text::MAX_PREFIX, "an id prefix longer than its text buffer holds");

        impl $name {
            fn text(self) -> IdText {
                IdText::new($prefix, self.organization.0, Some(self.seq))
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.text().as_str())
            }
        }

        impl FromStr for $name {
            type Err = Error;
            fn from_str(text: &str) -> Result<Self, Error> {
                let parsed = text
                    .strip_prefix(concat!($prefix, "-"))
                    .and_then(|rest| rest.split_once('-'))
                    .and_then(|(org, seq)| Some((canonical_number::<u64>(org)?, canonical_number::<u32>(seq)?)));
                match parsed {
                    Some((org, seq)) => Ok(Self { organization: OrganizationId(org), seq }),
                    None => Err(Error::invalid($field, format!(concat!("`{}` is not a ", $field), excerpt(text)))),
                }
            }
        }

        string_serde!($name);
    };
}

macro_rules! string_serde {
    ($name:ident) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.text().as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = std::borrow::Cow::<str>::deserialize(d)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_serde!(OrganizationId);

scoped_id!(
    /// A user of an organization, shown as `usr-7-2`.
    UserId, "usr", "user id"
);
scoped_id!(
    /// A purchased package, shown as `pkg-7-1`.
    PackageId, "pkg", "package id"
);
scoped_id!(
    /// A benefit inside a purchased package, shown as `ben-7-4`.
    BenefitId, "ben", "benefit id"
);
scoped_id!(
    /// A Go-To-Market offer inside a benefit, shown as `ofr-7-1`.
    OfferId, "ofr", "offer id"
);
scoped_id!(
    /// A service request (assistance or cancellation), shown as `req-7-3`.
    RequestId, "req", "request id"
);
scoped_id!(
    /// A queued mail, shown as `mail-7-9`.
    MailId, "mail", "mail id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text() {
        let id = BenefitId::new(OrganizationId::new(7), 4);
        assert_eq!(id.to_string(), "ben-7-4");
        assert_eq!("ben-7-4".parse::<BenefitId>().unwrap(), id);
        assert_eq!("org-12".parse::<OrganizationId>().unwrap(), OrganizationId::new(12));
    }

    #[test]
    fn ids_have_one_spelling() {
        for other in ["ben-+7-4", "ben-7-+4", "ben-07-4", "ben-7-004", "ben- 7-4", "ben-7-4 ", "ben-７-4", "ben--7-4"] {
            assert_eq!(other.parse::<BenefitId>().unwrap_err().code(), "invalid_input", "{other}");
        }
        for other in ["org-+7", "org-007", "org- 7"] {
            assert_eq!(other.parse::<OrganizationId>().unwrap_err().code(), "invalid_input", "{other}");
        }
        assert_eq!("ben-0-0".parse::<BenefitId>().unwrap(), BenefitId::new(OrganizationId::new(0), 0));
    }

    #[test]
    fn a_malformed_id_is_shown_shortened() {
        let huge = format!("ben-{}", "9".repeat(1_000_000));
        let message = huge.parse::<BenefitId>().unwrap_err().to_string();
        assert!(message.len() < 200, "{} characters", message.len());
        assert!(message.contains("ben-999") && message.contains('…'), "{message}");
        let short = "ben-x".parse::<BenefitId>().unwrap_err().to_string();
        assert!(short.contains("`ben-x`") && !short.contains('…'), "{short}");
    }

    #[test]
    fn malformed_ids_are_invalid_input() {
        for bad in ["", "ben-", "ben-7", "pkg-7-4", "ben-x-1", "ben-1-99999999999"] {
            let err = bad.parse::<BenefitId>().unwrap_err();
            assert_eq!(err.code(), "invalid_input", "{bad}");
        }
    }
}
