//! Replays a workload through the core, on any store.

use std::collections::BTreeMap;
use std::sync::Arc;

use partner_benefits::{
    BenefitCenter, BenefitId, CenterOptions, Error, LicenseKey, ManualClock, MemoryStore, OrganizationId, PackageId, RecordingMailer,
    Store, UserId,
};

use crate::{Op, Query, Step};

/// What a replay did: steps that succeeded and errors by `kind:code`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    /// Steps that succeeded.
    pub ok: u64,
    /// Failed steps by `kind:code`.
    pub errors: BTreeMap<String, u64>,
    /// The first few failures in full, for diagnosis.
    pub first_failures: Vec<String>,
}

impl Tally {
    /// Failed steps in all.
    pub fn failed(&self) -> u64 {
        self.errors.values().sum()
    }

    fn record(&mut self, index: usize, step: &Step, result: Result<(), Error>) {
        match result {
            Ok(()) => self.ok += 1,
            Err(err) => {
                *self.errors.entry(format!("{}:{}", step.op.kind(), err.code())).or_default() += 1;
                if self.first_failures.len() < 10 {
                    self.first_failures.push(format!("step {index} {step:?}: {err}"));
                }
            }
        }
    }
}

/// A center and its manual clock, replaying steps.
pub struct Replay {
    /// The center replayed into.
    pub center: BenefitCenter,
    /// Its clock.
    pub clock: Arc<ManualClock>,
    orgs: Vec<OrganizationId>,
}

fn start() -> partner_benefits::lifecycle::Timestamp {
    crate::START.parse().unwrap_or_default()
}

impl Replay {
    /// A replay into a fresh center over `store` with the built-in catalog.
    pub fn new(store: Arc<dyn Store>, options: CenterOptions) -> Result<Self, Error> {
        let clock = Arc::new(ManualClock::new(start()));
        let center = BenefitCenter::with_options(
            store,
            Arc::new(RecordingMailer::new()),
            clock.clone(),
            partner_benefits::Catalog::builtin()?,
            options,
        );
        Ok(Self { center, clock, orgs: Vec::new() })
    }

    /// A replay into a fresh in-memory center with default options.
    pub fn in_memory() -> Result<Self, Error> {
        Self::new(Arc::new(MemoryStore::new()), CenterOptions::default())
    }

    /// Runs every step, tallying failures instead of stopping at them.
    pub fn run_all(&mut self, steps: &[Step]) -> Tally {
        let mut tally = Tally::default();
        for (index, step) in steps.iter().enumerate() {
            let result = self.run(step);
            tally.record(index, step, result);
        }
        tally
    }

    /// Runs one step.
    pub fn run(&mut self, step: &Step) -> Result<(), Error> {
        if step.advance_secs > 0 {
            self.clock.advance(chrono::Duration::seconds(i64::try_from(step.advance_secs).unwrap_or(i64::MAX)));
        }
        let org = || {
            self.orgs
                .get(step.org as usize)
                .copied()
                .ok_or_else(|| Error::storage(format!("the workload uses organization {} before creating it", step.org)))
        };
        match &step.op {
            Op::Begin { start, .. } => {
                self.clock.set(start.parse().map_err(|_| Error::storage("the workload starts at a time that is not RFC 3339"))?);
                Ok(())
            }
            Op::StockKeys { product, count } => {
                let keys = (0..*count).map(|n| LicenseKey::new(format!("K-{product}-{n}"))).collect::<Result<Vec<_>, _>>()?;
                self.center.program().stock_keys(product, keys).map(drop)
            }
            Op::CreateOrganization { name, account_email, admin_name, admin_email } => {
                let view = self.center.create_organization(name, account_email, admin_name, admin_email)?;
                if view.id.number() != u64::from(step.org) + 1 {
                    return Err(Error::storage("replay a workload on a fresh store: organization numbers must start at 1"));
                }
                self.orgs.push(view.id);
                Ok(())
            }
            Op::SetPartnerLevel { level } => self.center.program().set_partner_level(org()?, *level),
            Op::GrantCompetency { competency } => self.center.program().grant_competency(org()?, competency),
            Op::Execute { command } => {
                let org = org()?;
                self.center.session(org, UserId::new(org, step.user + 1)).execute(command.clone()).map(drop)
            }
            Op::Query { query } => {
                let org = org()?;
                let session = self.center.session(org, UserId::new(org, step.user + 1));
                match query {
                    Query::Organization => session.organization().map(drop),
                    Query::Package { package } => session.package(package.parse::<PackageId>()?).map(drop),
                    Query::Benefit { benefit } => session.benefit(benefit.parse::<BenefitId>()?).map(drop),
                    Query::MarketingContact => session.marketing_contact().map(drop),
                }
            }
        }
    }
}
