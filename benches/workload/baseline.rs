//! The memory limit: a minimal hand-written loop making the same state
//! changes as the core with plain `HashMap`s, appending each command to a log
//! (the event log's stand-in), and checking nothing: no permissions, no
//! lifecycles, no validation, no mail, no store.

use std::collections::{HashMap, HashSet};

use partner_benefits::catalog::{BenefitKind, Catalog};
use partner_benefits::{Command, Role};
use rust_decimal::Decimal;

use crate::{Op, Query, Step};

enum Benefit {
    Keys { revealed: bool },
    Azure { holder: Option<u32> },
    Seats { holders: HashSet<u32> },
    Technical { holder: Option<(u32, String, i64)>, balance: Decimal },
    Offers { offers: HashMap<u32, i64> },
}

struct User {
    _name: String,
    _email: String,
    _roles: Vec<Role>,
    _language: Option<String>,
}

#[derive(Default)]
struct Org {
    users: HashMap<u32, User>,
    packages: HashMap<u32, (usize, i64, bool)>,
    benefits: HashMap<u32, Benefit>,
    offer_of: HashMap<u32, u32>,
    requests: HashMap<u32, (u32, Decimal, bool)>,
    contact: Option<(u32, String, String, String)>,
    next_user: u32,
    next_package: u32,
    next_benefit: u32,
    next_offer: u32,
    next_request: u32,
    log: Vec<(i64, u32, Command)>,
}

/// The baseline's whole state.
pub struct Baseline {
    catalog: Catalog,
    orgs: Vec<Org>,
    now: i64,
    pools: HashMap<String, u64>,
    /// Queries answered (kept so the work is not optimized away).
    pub answered: u64,
}

impl Baseline {
    /// An empty baseline over `catalog`.
    pub fn new(catalog: Catalog) -> Self {
        Self { catalog, orgs: Vec::new(), now: 0, pools: HashMap::new(), answered: 0 }
    }

    /// Applies every step.
    pub fn run_all(&mut self, steps: &[Step]) {
        for step in steps {
            self.run(step);
        }
    }

    /// Applies one step.
    pub fn run(&mut self, step: &Step) {
        self.now += i64::try_from(step.advance_secs).unwrap_or(0);
        let now = self.now;
        if let Op::CreateOrganization { .. } = &step.op {
            let mut org = Org { next_user: 1, ..Org::default() };
            org.users.insert(1, User { _name: String::new(), _email: String::new(), _roles: vec![Role::GlobalAdmin], _language: None });
            self.orgs.push(org);
            return;
        }
        let catalog = &self.catalog;
        let Some(org) = self.orgs.get_mut(step.org as usize) else {
            if let Op::StockKeys { product, count } = &step.op {
                *self.pools.entry(product.clone()).or_default() += u64::from(*count);
            }
            return;
        };
        match &step.op {
            Op::Execute { command } => {
                apply(org, catalog, &mut self.pools, now, command);
                org.log.push((now, step.user, command.clone()));
            }
            Op::Query { query } => {
                let found = match query {
                    Query::Organization => org.users.contains_key(&(step.user + 1)),
                    Query::Package { package } => {
                        package.rsplit('-').next().and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| org.packages.contains_key(&n))
                    }
                    Query::Benefit { benefit } => {
                        benefit.rsplit('-').next().and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| org.benefits.contains_key(&n))
                    }
                    Query::MarketingContact => org.contact.is_some(),
                };
                self.answered += u64::from(found);
            }
            Op::StockKeys { product, count } => *self.pools.entry(product.clone()).or_default() += u64::from(*count),
            _ => {}
        }
    }

    /// Commands logged in all.
    pub fn logged(&self) -> usize {
        self.orgs.iter().map(|o| o.log.len()).sum()
    }
}

fn apply(org: &mut Org, catalog: &Catalog, pools: &mut HashMap<String, u64>, now: i64, command: &Command) {
    match command {
        Command::AddUser { name, email, roles, language } => {
            org.next_user += 1;
            let user = User { _name: name.clone(), _email: email.clone(), _roles: roles.clone(), _language: language.clone() };
            org.users.insert(org.next_user, user);
        }
        Command::SetUserRoles { .. } | Command::RenewPackage { .. } => {}
        // Not in the generated workload; here so the baseline covers every command.
        Command::RemoveUser { user } => {
            org.users.remove(&user.seq());
        }
        Command::PurchasePackage { template } => {
            let Some((index, template)) = catalog.packages.iter().enumerate().find(|(_, t)| t.code.as_str() == template) else { return };
            org.next_package += 1;
            org.packages.insert(org.next_package, (index, now, false));
            for benefit in &template.benefits {
                org.next_benefit += 1;
                let state = match &benefit.kind {
                    BenefitKind::Software { product, keys, .. } | BenefitKind::CloudLicense { product, keys, .. } => {
                        *pools.entry(product.to_string()).or_default() += u64::from(*keys);
                        Benefit::Keys { revealed: false }
                    }
                    BenefitKind::CloudUsage { .. } => Benefit::Azure { holder: None },
                    BenefitKind::VisualStudio { .. } => Benefit::Seats { holders: HashSet::new() },
                    BenefitKind::SupportIncidents { incidents } => Benefit::Technical { holder: None, balance: Decimal::from(*incidents) },
                    BenefitKind::AdvisoryHours { hours } | BenefitKind::PresalesDeployment { hours } => {
                        Benefit::Technical { holder: None, balance: *hours }
                    }
                    BenefitKind::GoToMarket { offers } => {
                        let mut map = HashMap::new();
                        for _ in offers {
                            org.next_offer += 1;
                            map.insert(org.next_offer, 0);
                            org.offer_of.insert(org.next_offer, org.next_benefit);
                        }
                        Benefit::Offers { offers: map }
                    }
                };
                org.benefits.insert(org.next_benefit, state);
            }
        }
        Command::CancelPackage { package } => {
            org.next_request += 1;
            if let Some(p) = org.packages.get_mut(&package.seq()) {
                p.2 = true;
            }
        }
        Command::CancelOffer { offer } => {
            org.next_request += 1;
            let benefit = org.offer_of.get(&offer.seq()).copied().unwrap_or_default();
            if let Some(Benefit::Offers { offers }) = org.benefits.get_mut(&benefit) {
                offers.insert(offer.seq(), -1);
            }
        }
        Command::GetKeys { benefit, .. } => {
            if let Some(Benefit::Keys { revealed }) = org.benefits.get_mut(&benefit.seq()) {
                *revealed = true;
            }
        }
        Command::AssignUser { benefit, user } => match org.benefits.get_mut(&benefit.seq()) {
            Some(Benefit::Seats { holders }) => {
                holders.insert(user.seq());
            }
            Some(Benefit::Azure { holder }) => *holder = Some(user.seq()),
            _ => {}
        },
        Command::UnassignUser { benefit, user } => match org.benefits.get_mut(&benefit.seq()) {
            Some(Benefit::Seats { holders }) => {
                holders.remove(&user.seq());
            }
            Some(Benefit::Azure { holder }) => *holder = None,
            _ => {}
        },
        Command::ReassignUser { benefit, from, to } => {
            if let Some(Benefit::Seats { holders }) = org.benefits.get_mut(&benefit.seq()) {
                holders.remove(&from.seq());
                holders.insert(to.seq());
            }
        }
        Command::ActivateTechnical { benefit, user, alternate_email } => {
            if let Some(Benefit::Technical { holder, .. }) = org.benefits.get_mut(&benefit.seq()) {
                *holder = Some((user.seq(), alternate_email.clone(), now + 3 * 86_400));
            }
        }
        Command::RequestAssistance { benefit, amount, .. } => {
            if let Some(Benefit::Technical { balance, .. }) = org.benefits.get_mut(&benefit.seq()) {
                *balance -= *amount;
            }
            org.next_request += 1;
            org.requests.insert(org.next_request, (benefit.seq(), *amount, true));
        }
        Command::WithdrawRequest { request } => {
            if let Some((benefit, amount, open)) = org.requests.get_mut(&request.seq()) {
                *open = false;
                if let Some(Benefit::Technical { balance, .. }) = org.benefits.get_mut(benefit) {
                    *balance += *amount;
                }
            }
        }
        Command::SetMarketingContact { user, email, phone, language } => {
            org.contact = Some((user.seq(), email.clone(), phone.clone(), language.clone()));
        }
        Command::ActivateOffer { offer } => {
            let benefit = org.offer_of.get(&offer.seq()).copied().unwrap_or_default();
            if let Some(Benefit::Offers { offers }) = org.benefits.get_mut(&benefit) {
                offers.insert(offer.seq(), now + 5 * 86_400);
            }
        }
    }
}
