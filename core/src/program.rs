//! The program operator: the host acting for the partner program. It stocks
//! key pools, sets levels and competencies, and completes requests. It is
//! not one of the partner's roles.

use serde::{Deserialize, Serialize};

use crate::center::BenefitCenter;
use crate::command::Outcome;
use crate::error::Error;
use crate::event::{Actor, Event};
use crate::ids::{OrganizationId, RequestId};
use crate::lifecycle::Machine;
use crate::lifecycle::advisory::{AdvisoryMachine, RequestInput};
use crate::secret::LicenseKey;
use crate::values::{Code, PartnerLevel};

/// A key pool's counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

    /// A product's pool counts.
    pub fn key_pool(&self, product: &str) -> Result<KeyPoolView, Error> {
        let code = Code::parse("product", product)?;
        let pool = self.center.pool(&code)?;
        Ok(KeyPoolView { product: code.to_string(), stocked: pool.stocked, allocated: pool.allocated, available: pool.available() })
    }

    fn record(
        &self,
        organization: OrganizationId,
        build: impl FnOnce(&crate::state::OrganizationState) -> Result<Vec<Event>, Error>,
    ) -> Result<(), Error> {
        self.center
            .transact(organization, Actor::Program, None, |decider, _| {
                decider.emit(build)?;
                Ok(vec![Outcome::Done])
            })
            .map(drop)
    }

    /// Sets an organization's partner level (R23, P5).
    pub fn set_partner_level(&self, organization: OrganizationId, level: PartnerLevel) -> Result<(), Error> {
        self.record(organization, |_| Ok(vec![Event::PartnerLevelSet { level }]))
    }

    /// Grants a competency (R23).
    pub fn grant_competency(&self, organization: OrganizationId, competency: &str) -> Result<(), Error> {
        let competency = Code::parse("competency", competency)?;
        self.record(organization, |_| Ok(vec![Event::CompetencyGranted { competency }]))
    }

    /// Revokes a competency.
    pub fn revoke_competency(&self, organization: OrganizationId, competency: &str) -> Result<(), Error> {
        let competency = Code::parse("competency", competency)?;
        self.record(organization, |state| {
            if !state.competencies.contains(&competency) {
                return Err(Error::not_found("competency", competency.clone()));
            }
            Ok(vec![Event::CompetencyRevoked { competency }])
        })
    }

    /// Marks an assistance request delivered (R21).
    pub fn complete_request(&self, organization: OrganizationId, request: RequestId) -> Result<(), Error> {
        let now = self.center.now();
        self.record(organization, |state| {
            let found = state.requests.get(&request).ok_or_else(|| Error::not_found("request", request))?;
            AdvisoryMachine::decide(&found.state, &RequestInput::Complete, now)?;
            Ok(vec![Event::AssistanceCompleted { request }])
        })
    }

    /// Every organization in the store.
    pub fn organizations(&self) -> Result<Vec<OrganizationId>, Error> {
        self.center.store().organizations()
    }
}
