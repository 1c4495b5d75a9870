//! The program operator: the host acting for the partner program. It stocks
//! key pools, sets levels and competencies, and completes requests. It is
//! not one of the partner's roles.

use serde::{Deserialize, Serialize};

use crate::center::BenefitCenter;
use crate::decide::{ProgramOp, Work};
use crate::error::Error;
use crate::event::Actor;
use crate::ids::{OrganizationId, RequestId};
use crate::secret::LicenseKey;
use crate::values::{Code, PartnerLevel};

/// A key pool's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeyPoolView {
    /// The product.
    pub product: String,
    /// Keys stocked in all.
    pub stocked: u64,
    /// Keys handed to packages.
    pub allocated: u64,
    /// Keys left.
    pub available: u64,
}

/// The program operator's handle.
#[derive(Debug, Clone)]
pub struct Program {
    center: BenefitCenter,
}

impl Program {
    pub(crate) fn new(center: BenefitCenter) -> Self {
        Self { center }
    }

    /// Adds keys to a product's pool; returns the keys now available.
    pub fn stock_keys(&self, product: &str, keys: Vec<LicenseKey>) -> Result<u64, Error> {
        self.center.stock(&Code::parse("product", product)?, keys)
    }

    /// A product's pool counts: stocked as the pool's history says, available
    /// as its vault holds free keys, and the rest allocated.
    pub fn key_pool(&self, product: &str) -> Result<KeyPoolView, Error> {
        let code = Code::parse("product", product)?;
        let stocked = self.center.pool(&code)?.stocked;
        let available = self.center.store().free_keys(&code, u64::MAX)?;
        Ok(KeyPoolView { product: code.to_string(), stocked, allocated: stocked.saturating_sub(available), available })
    }

    fn record(&self, organization: OrganizationId, op: ProgramOp) -> Result<(), Error> {
        let budget = crate::contention::DEFAULT_RETRY_BUDGET;
        self.center.contended(budget, || self.center.transact(organization, Actor::Program, None, Work::Program(&op))).map(drop)
    }

    /// Sets an organization's partner level (R23, P5).
    pub fn set_partner_level(&self, organization: OrganizationId, level: PartnerLevel) -> Result<(), Error> {
        self.record(organization, ProgramOp::SetLevel(level))
    }

    /// Grants a competency (R23).
    pub fn grant_competency(&self, organization: OrganizationId, competency: &str) -> Result<(), Error> {
        self.record(organization, ProgramOp::GrantCompetency(Code::parse("competency", competency)?))
    }

    /// Revokes a competency.
    pub fn revoke_competency(&self, organization: OrganizationId, competency: &str) -> Result<(), Error> {
        self.record(organization, ProgramOp::RevokeCompetency(Code::parse("competency", competency)?))
    }

    /// Marks an assistance request delivered (R21).
    pub fn complete_request(&self, organization: OrganizationId, request: RequestId) -> Result<(), Error> {
        self.record(organization, ProgramOp::CompleteRequest(request))
    }

    /// Every organization in the store.
    pub fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        self.center.store().organizations()
    }
}
