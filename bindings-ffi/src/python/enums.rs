//! Enum values cross to Python as members of the `enum.Enum` classes of
//! `partner_benefits._enums` (plain Python, so they pickle, compare with
//! `is` and show as `Status.ACTIVE`), looked up by value.

use pyo3::prelude::*;

use crate::{Category, Delivery, PartnerLevel, Phase, Role, Status};

/// `IntoPyObject` for each enum: the member of the Python class of the same name.
macro_rules! python_enum {
    ($($name:ident),+) => {$(
        impl<'py> IntoPyObject<'py> for $name {
            type Target = PyAny;
            type Output = Bound<'py, PyAny>;
            type Error = PyErr;

            fn into_pyobject(self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                py.import("partner_benefits._enums")?.getattr(stringify!($name))?.call1((self.value(),))
            }
        }
    )+};
}

python_enum!(Role, Category, Status, Phase, PartnerLevel, Delivery);
