//! `repr` of the value classes: `Name(field=repr(value), ...)`, every field
//! in declaration order ([`Fields`]), except those named as hidden.

use pyo3::prelude::*;

use super::convert::repr_fields;
use crate::{
    AssignmentResult, AuditEntry, Benefit, Cancellation, Change, DispatchReport, Fields, KeyPool, Mail, MarketingContact, Offer,
    Organization, OutboxEntry, Outcome, Package, Request, Resealed, SealedUnder, Usage, User, VaultStatus,
};

/// `__repr__` from a type's [`Fields`], leaving out those `hiding` names.
macro_rules! repr {
    ($($name:ident $(hiding [$($hidden:literal),+])?),+ $(,)?) => {$(
        #[pymethods]
        impl $name {
            fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
                let hidden: &[&str] = &[$($($hidden),+)?];
                let shown: Vec<&str> = <$name as Fields>::FIELDS.iter().copied().filter(|f| !hidden.contains(f)).collect();
                repr_fields(slf.as_any(), <$name as Fields>::NAME, &shown)
            }
        }
    )+};
}

repr!(
    Organization,
    User,
    Package,
    Offer,
    Benefit,
    Request,
    Cancellation,
    MarketingContact,
    AuditEntry,
    Change,
    KeyPool,
    Usage,
    AssignmentResult,
    DispatchReport,
    OutboxEntry,
    VaultStatus,
    SealedUnder,
    Resealed,
    // A body is long and says nothing a subject does not.
    Mail hiding ["body"],
);

/// An outcome shows its kind and the fields of that kind only.
#[pymethods]
impl Outcome {
    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let this = slf.get();
        let set = [
            ("user_id", this.user_id.is_some()),
            ("package_id", this.package_id.is_some()),
            ("benefit_id", this.benefit_id.is_some()),
            ("offer_id", this.offer_id.is_some()),
            ("request_id", this.request_id.is_some()),
            ("expires_at", this.expires_at.is_some()),
            ("active_at", this.active_at.is_some()),
            ("refund", this.refund.is_some()),
            ("refusal", this.refusal.is_some()),
        ];
        let fields: Vec<&str> = std::iter::once("kind").chain(set.into_iter().filter(|(_, on)| *on).map(|(name, _)| name)).collect();
        repr_fields(slf.as_any(), "Outcome", &fields)
    }
}
