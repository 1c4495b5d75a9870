//! `Keys` from Python: read-only attributes, and a `repr` that counts the
//! keys instead of showing them.

use pyo3::prelude::*;

use crate::Keys;

#[pymethods]
impl Keys {
    /// The benefit the keys belong to.
    #[getter(benefit_id)]
    fn py_benefit_id(&self) -> String {
        self.benefit_id()
    }

    /// Product name.
    #[getter(product)]
    fn py_product(&self) -> String {
        self.product()
    }

    /// The keys in clear; show them only to the person who asked.
    #[getter(keys)]
    fn py_keys(&self) -> Vec<String> {
        self.keys()
    }

    /// Download links for the chosen language and OS.
    #[getter(download_links)]
    fn py_download_links(&self) -> Vec<String> {
        self.download_links()
    }

    /// Instructions to follow.
    #[getter(special_instructions)]
    fn py_special_instructions(&self) -> String {
        self.special_instructions()
    }

    fn __repr__(slf: &Bound<'_, Self>) -> PyResult<String> {
        let field = |name: &str| -> PyResult<String> { Ok(slf.getattr(name)?.repr()?.to_string()) };
        Ok(format!(
            "Keys(benefit_id={}, product={}, keys=<{} hidden>, download_links={}, special_instructions={})",
            field("benefit_id")?,
            field("product")?,
            slf.get().count(),
            field("download_links")?,
            field("special_instructions")?
        ))
    }
}
