//! `Program`: the program operator's side, which only the host holds.

use std::sync::Arc;

use partner_benefits::{LicenseKey, OrganizationId, PartnerLevel, RequestId};
use partner_benefits_bindings::KeyPool;
use partner_benefits_bindings::python::convert::{id, parse_enum};
use partner_benefits_bindings::python::errors::to_py;
use pyo3::prelude::*;

use crate::center::Handle;

/// The program operator: stocks key pools, sets levels and competencies,
/// completes requests. Not one of the partner's roles. Made by
/// `BenefitCenter.program`; after the center's `close()` every method raises
/// `StorageError`.
#[pyclass(name = "Program", module = "partner_benefits", frozen)]
pub struct PyProgram {
    // The center's handle, not a core program: see `PySession`.
    pub(crate) handle: Arc<Handle>,
}

#[pymethods]
impl PyProgram {
    /// Adds keys to a product's pool; returns the keys now available.
    fn stock_keys(&self, py: Python<'_>, product: &str, keys: Vec<String>) -> PyResult<u64> {
        let program = self.handle.program(py)?;
        let keys = keys.into_iter().map(LicenseKey::new).collect::<Result<Vec<_>, _>>().map_err(|err| to_py(py, &err))?;
        self.handle.run(py, || program.stock_keys(product, keys))
    }

    /// A product's pool counts.
    fn key_pool(&self, py: Python<'_>, product: &str) -> PyResult<KeyPool> {
        let program = self.handle.program(py)?;
        self.handle.run(py, || program.key_pool(product)).map(Into::into)
    }

    /// Sets an organization's partner level.
    fn set_partner_level(&self, py: Python<'_>, organization_id: &str, level: &Bound<'_, PyAny>) -> PyResult<()> {
        let program = self.handle.program(py)?;
        let organization: OrganizationId = id(py, organization_id)?;
        let level: PartnerLevel = parse_enum(level)?;
        self.handle.run(py, || program.set_partner_level(organization, level))
    }

    /// Grants a competency.
    fn grant_competency(&self, py: Python<'_>, organization_id: &str, competency: &str) -> PyResult<()> {
        let program = self.handle.program(py)?;
        let organization: OrganizationId = id(py, organization_id)?;
        self.handle.run(py, || program.grant_competency(organization, competency))
    }

    /// Revokes a competency.
    fn revoke_competency(&self, py: Python<'_>, organization_id: &str, competency: &str) -> PyResult<()> {
        let program = self.handle.program(py)?;
        let organization: OrganizationId = id(py, organization_id)?;
        self.handle.run(py, || program.revoke_competency(organization, competency))
    }

    /// Marks an assistance request delivered.
    fn complete_request(&self, py: Python<'_>, organization_id: &str, request_id: &str) -> PyResult<()> {
        let program = self.handle.program(py)?;
        let organization: OrganizationId = id(py, organization_id)?;
        let request: RequestId = id(py, request_id)?;
        self.handle.run(py, || program.complete_request(organization, request))
    }

    /// Every organization in the store.
    fn organizations(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let program = self.handle.program(py)?;
        self.handle.run(py, || program.organizations()).map(|all| all.iter().map(ToString::to_string).collect())
    }

    fn __repr__(&self) -> String {
        "Program()".into()
    }
}
