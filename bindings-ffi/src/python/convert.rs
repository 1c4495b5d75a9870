//! Conversions between Python values and core values.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use partner_benefits::values::parse_decimal;
use partner_benefits::{Category, Error};
use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};
use rust_decimal::Decimal;

use super::errors::{invalid, to_py};

/// Runs core work with the GIL released, mapping its error to an exception.
pub fn run<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    F: FnOnce() -> Result<T, Error> + Send,
    T: Send,
{
    py.detach(work).map_err(|err| to_py(py, &err))
}

/// Parses an id (`usr-1-2`, `pkg-1-1`, ...); a malformed one is `InvalidInput`.
pub fn id<T: FromStr<Err = Error>>(py: Python<'_>, text: &str) -> PyResult<T> {
    text.parse().map_err(|err| to_py(py, &err))
}

/// Accepts only timezone-aware datetimes and normalises them to UTC.
pub fn aware_utc(field: &str, value: &Bound<'_, PyAny>) -> PyResult<DateTime<Utc>> {
    let py = value.py();
    let datetime = py.import("datetime")?;
    if !value.is_instance(&datetime.getattr("datetime")?)? {
        return Err(PyTypeError::new_err(format!("`{field}` must be a datetime.datetime")));
    }
    if value.getattr("tzinfo")?.is_none() || value.call_method0("utcoffset")?.is_none() {
        return Err(invalid(py, field, "a naive datetime is not allowed; give it a tzinfo (e.g. timezone.utc)"));
    }
    let utc = datetime.getattr("timezone")?.getattr("utc")?;
    value.call_method1("astimezone", (utc,))?.extract()
}

/// An exact amount: a `decimal.Decimal` or an `int`, checked by the core's
/// [`parse_decimal`] so NaN, infinities and out-of-range values get the same
/// `InvalidInput` as in every binding. `bool`, `float` and `str` are refused:
/// `True` is no amount, and a float is not exact.
pub fn decimal(field: &str, value: &Bound<'_, PyAny>) -> PyResult<Decimal> {
    let py = value.py();
    let exact = value.is_instance(&py.import("decimal")?.getattr("Decimal")?)?
        || (value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>());
    if !exact {
        let given = value.get_type().name()?;
        return Err(invalid(py, field, &format!("must be a decimal.Decimal or an int, not {given}")));
    }
    // An int too long for `str` (Python limits the digits) is out of range anyway.
    let text: String = value.str().and_then(|t| t.extract()).map_err(|_| invalid(py, field, "is too large"))?;
    parse_decimal(field, &text).map_err(|err| to_py(py, &err))
}

/// The text of an enum argument: a member of the Python enum, or its value.
pub fn enum_text(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let py = value.py();
    if value.is_instance(&py.import("enum")?.getattr("Enum")?)? {
        return value.getattr("value")?.extract();
    }
    if value.is_instance_of::<PyString>() {
        return value.extract();
    }
    Err(PyTypeError::new_err("expected a member of a partner_benefits enum"))
}

/// Parses an enum argument with the core's `FromStr`.
pub fn parse_enum<T: FromStr<Err = Error>>(value: &Bound<'_, PyAny>) -> PyResult<T> {
    let text = enum_text(value)?;
    text.parse().map_err(|err| to_py(value.py(), &err))
}

/// A category argument.
pub fn parse_category(value: &Bound<'_, PyAny>) -> PyResult<Category> {
    let text = enum_text(value)?;
    crate::Category::from_value(&text)
        .map(Category::from)
        .ok_or_else(|| invalid(value.py(), "category", "one of software, cloud, visual_studio, technical, go_to_market"))
}

/// `Name(field=repr(value), ...)` from the object's own attributes, so each
/// value shows as Python shows it (`Decimal('1.5')`, `Status.ACTIVE`).
pub fn repr_fields(object: &Bound<'_, PyAny>, name: &str, fields: &[&str]) -> PyResult<String> {
    let mut parts = Vec::with_capacity(fields.len());
    for field in fields {
        let value = object.getattr(*field)?.repr()?;
        parts.push(format!("{field}={value}"));
    }
    Ok(format!("{name}({})", parts.join(", ")))
}
