//! A timestamp's stored text, built on the stack: every stored event and
//! mail carries one, and chrono writes it one character at a time through
//! the formatting machinery (a twelfth of a batched SQLite commit,
//! callgrind). The text is chrono's own, byte for byte (RFC 3339, `Z`,
//! fractions as chrono's `AutoSi` writes them), so stored data reads the same
//! with either; a year outside 0..=9999 is left to chrono.

use serde::Serializer;

use crate::lifecycle::Timestamp;

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` at most.
const CAPACITY: usize = 30;

/// Serializes `at` as chrono does (`#[serde(serialize_with)]`).
pub(crate) fn serialize<S: Serializer>(at: &Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    match text(at) {
        Some((bytes, len)) => serializer.serialize_str(std::str::from_utf8(bytes.get(..len).unwrap_or_default()).unwrap_or_default()),
        None => serde::Serialize::serialize(at, serializer),
    }
}

fn text(at: &Timestamp) -> Option<([u8; CAPACITY], usize)> {
    use chrono::{Datelike, Timelike};
    let year = u32::try_from(at.year()).ok().filter(|year| *year <= 9999)?;
    let mut out = Text { bytes: [0; CAPACITY], len: 0 };
    // A leap second is held as nanoseconds past 10^9 and written as second 60.
    let (mut second, mut nano) = (at.second(), at.nanosecond());
    if nano >= 1_000_000_000 {
        second += 1;
        nano -= 1_000_000_000;
    }
    out.digits(year, 4);
    out.push(b'-');
    out.digits(at.month(), 2);
    out.push(b'-');
    out.digits(at.day(), 2);
    out.push(b'T');
    out.digits(at.hour(), 2);
    out.push(b':');
    out.digits(at.minute(), 2);
    out.push(b':');
    out.digits(second, 2);
    if nano != 0 {
        out.push(b'.');
        if nano % 1_000_000 == 0 {
            out.digits(nano / 1_000_000, 3);
        } else if nano % 1_000 == 0 {
            out.digits(nano / 1_000, 6);
        } else {
            out.digits(nano, 9);
        }
    }
    out.push(b'Z');
    Some((out.bytes, out.len))
}

struct Text {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl Text {
    fn push(&mut self, byte: u8) {
        if let Some(slot) = self.bytes.get_mut(self.len) {
            *slot = byte;
            self.len += 1;
        }
    }

    /// `n` in exactly `width` digits (leading zeros; higher digits dropped).
    fn digits(&mut self, n: u32, width: u32) {
        for place in (0..width).rev() {
            self.push(b'0' + ((n / 10u32.pow(place)) % 10) as u8);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;

    fn ours(at: &Timestamp) -> String {
        serialize(at, serde_json::value::Serializer).unwrap().as_str().unwrap().to_owned()
    }

    #[test]
    fn the_text_is_chronos_own() {
        let mut samples = vec![
            crate::lifecycle::calendar_start(),
            crate::lifecycle::calendar_end(),
            Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap(),
            Utc.with_ymd_and_hms(1999, 12, 31, 23, 59, 59).unwrap(),
        ];
        for nanos in [1, 10, 999, 1_000, 120_000, 1_000_000, 7_000_000, 123_456_789, 999_999_999] {
            samples.push(Utc.with_ymd_and_hms(2031, 7, 4, 1, 2, 3).unwrap() + chrono::Duration::nanoseconds(nanos));
        }
        // A leap second, as chrono holds one.
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31).unwrap().and_hms_nano_opt(23, 59, 59, 1_500_000_000).unwrap();
        samples.push(Utc.from_utc_datetime(&leap));
        for at in samples {
            assert_eq!(ours(&at), serde_json::to_value(at).unwrap().as_str().unwrap(), "{at:?}");
        }
    }
}
