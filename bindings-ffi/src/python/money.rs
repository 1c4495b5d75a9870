//! `Money` from Python: built from an exact amount and a currency code.

use partner_benefits::values::Currency;
use pyo3::prelude::*;

use super::convert::decimal;
use super::errors::to_py;
use crate::Money;

#[pymethods]
impl Money {
    /// `Money(Decimal("12.50"), "EUR")`: a `decimal.Decimal` or an `int`
    /// (never a float), and a three-letter currency code.
    #[new]
    fn new(py: Python<'_>, amount: &Bound<'_, PyAny>, currency: &str) -> PyResult<Self> {
        let amount = decimal("amount", amount)?;
        let currency = Currency::parse(currency).map_err(|err| to_py(py, &err))?;
        Ok(Self { amount, currency: currency.as_str().to_owned() })
    }

    fn __repr__(&self) -> String {
        format!("Money(amount=Decimal('{}'), currency='{}')", self.amount, self.currency)
    }

    fn __str__(&self) -> String {
        format!("{} {}", self.amount, self.currency)
    }
}
