//! `record!`: declares a value type both bindings expose, once.

/// A value type's field names, in declaration order, for the bindings that
/// show values field by field (Python's `repr`).
pub trait Fields {
    /// The type's name as the host sees it.
    const NAME: &'static str;
    /// Its fields, in declaration order.
    const FIELDS: &'static [&'static str];
}

/// Declares a value type: a Kotlin data class (uniffi `Record`) and a
/// frozen Python class with a read-only attribute per field, equality and
/// a hash. Rust names are the hosts' names: uniffi turns `admin_id` into
/// `adminId`, Python keeps `admin_id`. Also lists its fields ([`Fields`]).
macro_rules! record {
    (
        $(#[$attr:meta])*
        pub struct $name:ident {
            $($(#[$field_attr:meta])* pub $field:ident : $ty:ty),+ $(,)?
        }
    ) => {
        $(#[$attr])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        #[cfg_attr(feature = "python", pyo3::pyclass(module = "partner_benefits", frozen, eq, hash, get_all))]
        #[cfg_attr(feature = "kotlin", derive(uniffi::Record))]
        pub struct $name {
            $($(#[$field_attr])* pub $field: $ty,)+
        }

        impl $crate::record::Fields for $name {
            const NAME: &'static str = stringify!($name);
            const FIELDS: &'static [&'static str] = &[$(stringify!($field)),+];
        }
    };
}

pub(crate) use record;
