//! A user's roles as a set of bits: a user held them in a `Vec`, a heap
//! block of its own per user (a tenth of what a user costs in memory), and
//! every permission check walked it.

use std::fmt;

use serde::de::{SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::permission::Role;

// Each role is one bit of a `u8`.
const _: () = assert!(Role::ALL.len() <= 8, "more roles than bits in a RoleSet");

/// Roles, each at most once; iterated (and serialized, as the list stored
/// data has always held) in [`Role::ALL`]'s order, which is `Role`'s order.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RoleSet(u8);

impl RoleSet {
    /// No role.
    pub const EMPTY: RoleSet = RoleSet(0);

    fn bit(role: Role) -> u8 {
        1 << (role as u8)
    }

    /// Whether `role` is in the set.
    pub fn contains(self, role: Role) -> bool {
        self.0 & Self::bit(role) != 0
    }

    /// The roles, in order.
    pub fn iter(self) -> impl Iterator<Item = Role> {
        Role::ALL.into_iter().filter(move |role| self.contains(*role))
    }

    /// The roles as a list, in order.
    pub fn to_vec(self) -> Vec<Role> {
        self.iter().collect()
    }
}

impl FromIterator<Role> for RoleSet {
    fn from_iter<I: IntoIterator<Item = Role>>(roles: I) -> Self {
        RoleSet(roles.into_iter().fold(0, |bits, role| bits | Self::bit(role)))
    }
}

impl From<&[Role]> for RoleSet {
    fn from(roles: &[Role]) -> Self {
        roles.iter().copied().collect()
    }
}

impl fmt::Debug for RoleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Serialize for RoleSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.iter().count()))?;
        for role in self.iter() {
            seq.serialize_element(&role)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for RoleSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Roles;
        impl<'de> Visitor<'de> for Roles {
            type Value = RoleSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of roles")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RoleSet, A::Error> {
                let mut set = RoleSet::EMPTY;
                while let Some(role) = seq.next_element::<Role>()? {
                    set.0 |= RoleSet::bit(role);
                }
                Ok(set)
            }
        }
        deserializer.deserialize_seq(Roles)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_role_is_its_own_bit_and_comes_back_in_order() {
        let all: RoleSet = Role::ALL.into_iter().rev().collect();
        assert_eq!(all.to_vec(), Role::ALL);
        for role in Role::ALL {
            let one = RoleSet::from(&[role, role][..]);
            assert_eq!(one.to_vec(), [role], "a role twice is held once");
            assert!(Role::ALL.into_iter().all(|other| one.contains(other) == (other == role)));
        }
        assert!(RoleSet::EMPTY.iter().next().is_none());
    }

    #[test]
    fn stored_as_the_sorted_list_it_always_was() {
        let set = RoleSet::from(&[Role::MpnPartnerAdmin, Role::GlobalAdmin][..]);
        let json = serde_json::to_string(&set).unwrap();
        assert_eq!(json, r#"["global_admin","mpn_partner_admin"]"#);
        assert_eq!(serde_json::from_str::<RoleSet>(&json).unwrap(), set);
        assert_eq!(serde_json::from_str::<RoleSet>("[]").unwrap(), RoleSet::EMPTY);
        assert!(serde_json::from_str::<RoleSet>(r#"["owner"]"#).is_err(), "an unknown role is refused");
    }
}
