//! An id's text, built on the stack: ids are written into every stored event
//! and every view, and `Display` through the formatting machinery cost more
//! than the rest of writing the event (`collect_str`, callgrind).

/// Longest prefix an id may have.
pub(crate) const MAX_PREFIX: usize = 8;

/// Longest id: a prefix, two dashes, a `u64` and a `u32`.
const CAPACITY: usize = MAX_PREFIX + 2 + 20 + 10;

/// The text of one id: `prefix-org` or `prefix-org-seq`, ASCII only.
pub(crate) struct IdText {
    bytes: [u8; CAPACITY],
    len: usize,
}

impl IdText {
    /// `prefix-organization`, then `-seq` when given.
    pub(crate) fn new(prefix: &str, organization: u64, seq: Option<u32>) -> Self {
        let mut text = Self { bytes: [0; CAPACITY], len: 0 };
        text.push(prefix.as_bytes());
        text.push(b"-");
        text.push_number(organization);
        if let Some(seq) = seq {
            text.push(b"-");
            text.push_number(u64::from(seq));
        }
        text
    }

    fn push(&mut self, bytes: &[u8]) {
        // Prefixes are literals of this crate, checked at compile time to fit
        // (`ids.rs`); what would not fit is dropped rather than panicking.
        if let Some(room) = self.bytes.get_mut(self.len..self.len + bytes.len()) {
            room.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }

    fn push_number(&mut self, mut n: u64) {
        let mut digits = [0u8; 20];
        let mut start = digits.len();
        loop {
            start -= 1;
            if let Some(digit) = digits.get_mut(start) {
                *digit = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 || start == 0 {
                break;
            }
        }
        self.push(digits.get(start..).unwrap_or_default());
    }

    /// The text.
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.bytes.get(..self.len).unwrap_or_default()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::IdText;

    #[test]
    fn ids_read_as_format_writes_them() {
        for (org, seq) in [(0, None), (7, Some(0)), (1, Some(42)), (u64::MAX, Some(u32::MAX)), (10, Some(10)), (1_000_000, None)] {
            let expected = match seq {
                Some(seq) => format!("usr-{org}-{seq}"),
                None => format!("usr-{org}"),
            };
            assert_eq!(IdText::new("usr", org, seq).as_str(), expected);
        }
        let longest = IdText::new("12345678", u64::MAX, Some(u32::MAX));
        assert_eq!(longest.as_str(), format!("12345678-{}-{}", u64::MAX, u32::MAX));
    }
}
