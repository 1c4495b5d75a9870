//! The program operator's handle: the host acting for the partner program.

use partner_benefits as core;
use partner_benefits::LicenseKey;

use super::error::Result;
use super::id;
use crate::views::long;
use crate::{KeyPool, PartnerLevel};

/// Stocks key pools, sets levels and competencies, completes requests.
/// Not one of the partner's roles: only the host holds it.
#[derive(Debug, uniffi::Object)]
pub struct Program {
    inner: core::Program,
}

impl Program {
    pub(crate) fn new(inner: core::Program) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl Program {
    /// Adds keys to a product's pool (e.g. `windows-server`); returns the keys now available.
    pub fn stock_keys(&self, product: String, keys: Vec<String>) -> Result<i64> {
        let keys = keys.into_iter().map(LicenseKey::new).collect::<Result<Vec<_>, _>>()?;
        Ok(long(self.inner.stock_keys(&product, keys)?))
    }

    /// A product's pool counts.
    pub fn key_pool(&self, product: String) -> Result<KeyPool> {
        Ok(self.inner.key_pool(&product)?.into())
    }

    /// Sets an organization's partner level (R23, P5).
    pub fn set_partner_level(&self, organization_id: String, level: PartnerLevel) -> Result<()> {
        Ok(self.inner.set_partner_level(id(&organization_id)?, level.into())?)
    }

    /// Grants a competency, e.g. `cloud-platform` (R23).
    pub fn grant_competency(&self, organization_id: String, competency: String) -> Result<()> {
        Ok(self.inner.grant_competency(id(&organization_id)?, &competency)?)
    }

    /// Revokes a competency.
    pub fn revoke_competency(&self, organization_id: String, competency: String) -> Result<()> {
        Ok(self.inner.revoke_competency(id(&organization_id)?, &competency)?)
    }

    /// Marks an assistance request delivered (R21).
    pub fn complete_request(&self, organization_id: String, request_id: String) -> Result<()> {
        Ok(self.inner.complete_request(id(&organization_id)?, id(&request_id)?)?)
    }

    /// Every organization in the store.
    pub fn organizations(&self) -> Result<Vec<String>> {
        Ok(self.inner.organizations()?.iter().map(ToString::to_string).collect())
    }
}
