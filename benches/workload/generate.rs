//! The generator: a shadow model of each organization picks, at every step,
//! one command that is valid in the state the model predicts, so a replay
//! through the core runs without errors. Deterministic for a given seed.

use std::collections::BTreeMap;

use partner_benefits::catalog::{BenefitKind, Catalog};
use partner_benefits::event::Phase;
use partner_benefits::values::PartnerLevel;
use partner_benefits::{BenefitId, Command, OfferId, OrganizationId, PackageId, RequestId, Role, UserId};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::{Op, Query, START, Size, Step, Workload};

const DAY: i64 = 86_400;
/// The whole mix spans this much clock time, whatever its size (packages run 12 months).
const SPAN_SECS: i64 = 150 * DAY;
/// Share of steps that move the clock first.
const ADVANCE_EVERY: u64 = 25;
const TECHNICAL_LEAD_DAYS: i64 = 3;
const REFUND_WINDOW_DAYS: i64 = 30;

#[derive(Clone)]
enum Benefit {
    Keys { id: BenefitId, software: Option<(String, String)> },
    Azure { id: BenefitId, assigned: bool },
    Seats { id: BenefitId, seats: u32, holders: Vec<u32> },
    Technical { id: BenefitId, active_at: Option<i64>, balance: i64 },
    Offers { offers: Vec<Offer> },
}

#[derive(Clone)]
struct Offer {
    id: OfferId,
    min_level: PartnerLevel,
    needs_competency: bool,
    running: bool,
    ended: bool,
}

struct Package {
    id: PackageId,
    purchased_at: i64,
    keys_revealed: bool,
    cancelled: bool,
    benefits: Vec<Benefit>,
}

struct Org {
    id: OrganizationId,
    level: PartnerLevel,
    competency: bool,
    /// Roles of user `i` (index 0 is the first Global admin).
    users: Vec<Vec<Role>>,
    packages: Vec<Package>,
    benefits: u32,
    offers: u32,
    requests: u32,
    submitted: Vec<(RequestId, BenefitId)>,
    contact: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    AddUser,
    Purchase,
    GetKeys,
    Assign,
    Unassign,
    Reassign,
    AssignAzure,
    ActivateTechnical,
    RequestAssistance,
    Withdraw,
    SetContact,
    ActivateOffer,
    CancelPackage,
    CancelOffer,
    Query,
}

struct Generator<'c> {
    rng: fastrand::Rng,
    catalog: &'c Catalog,
    now: i64,
    orgs: Vec<Org>,
    /// Keys drawn per product, to stock the pools up front.
    drawn: BTreeMap<String, u64>,
    size: Size,
}

/// Generates the workload of `size` from `seed` over `catalog` (normally the built-in one).
pub fn generate(size: Size, seed: u64, catalog: &Catalog) -> Workload {
    let mut generator = Generator { rng: fastrand::Rng::with_seed(seed), catalog, now: 0, orgs: Vec::new(), drawn: BTreeMap::new(), size };
    let mut org_setup = Vec::new();
    for index in 0..size.organizations {
        org_setup.extend(generator.create_org(index));
    }
    let advance = u64::try_from(SPAN_SECS / i64::try_from((size.commands / ADVANCE_EVERY).max(1)).unwrap_or(1)).unwrap_or(1).max(1);
    let mut mix = Vec::new();
    for n in 0..size.commands {
        let org = generator.rng.u32(0..size.organizations.max(1));
        let advance_secs = if n % ADVANCE_EVERY == ADVANCE_EVERY - 1 { advance } else { 0 };
        generator.now += i64::try_from(advance_secs).unwrap_or(0);
        let (user, op) = generator.step(org);
        mix.push(Step { org, user, advance_secs, op });
    }
    let mut steps = vec![Step { org: 0, user: 0, advance_secs: 0, op: Op::Begin { start: START.into(), seed, commands: size.commands } }];
    for (product, count) in &generator.drawn {
        // A little to spare, so a pool never runs dry by one.
        let count = u32::try_from(*count + 16).unwrap_or(u32::MAX);
        steps.push(Step { org: 0, user: 0, advance_secs: 0, op: Op::StockKeys { product: product.clone(), count } });
    }
    steps.extend(org_setup);
    let setup_len = steps.len();
    steps.extend(mix);
    Workload { steps, setup_len }
}

fn email(org: u32, local: &str) -> String {
    format!("{local}@org{org}.example")
}

fn roles_for(seq: usize) -> Vec<Role> {
    match seq % 4 {
        1 => vec![Role::MpnPartnerAdmin],
        2 => vec![Role::AdminAgent],
        _ => Vec::new(),
    }
}

impl Generator<'_> {
    fn create_org(&mut self, index: u32) -> Vec<Step> {
        let number = index + 1;
        let level = match index % 4 {
            0 => PartnerLevel::Member,
            1 => PartnerLevel::ActionPack,
            2 => PartnerLevel::Silver,
            _ => PartnerLevel::Gold,
        };
        let competency = index % 2 == 1;
        self.orgs.push(Org {
            id: OrganizationId::new(u64::from(number)),
            level,
            competency,
            users: vec![vec![Role::GlobalAdmin]],
            packages: Vec::new(),
            benefits: 0,
            offers: 0,
            requests: 0,
            submitted: Vec::new(),
            contact: false,
        });
        let mut steps = vec![Step {
            org: index,
            user: 0,
            advance_secs: 0,
            op: Op::CreateOrganization {
                name: format!("Partner {number} Ltd"),
                account_email: email(number, "partners"),
                admin_name: format!("Admin {number}"),
                admin_email: email(number, "admin"),
            },
        }];
        if level != PartnerLevel::Member {
            steps.push(Step { org: index, user: 0, advance_secs: 0, op: Op::SetPartnerLevel { level } });
        }
        if competency {
            steps.push(Step {
                org: index,
                user: 0,
                advance_secs: 0,
                op: Op::GrantCompetency { competency: "application-development".into() },
            });
        }
        steps
    }

    /// Picks a user of `org` holding one of `roles` (the admin always qualifies).
    fn actor(&mut self, org: usize, roles: &[Role]) -> u32 {
        let Some(model) = self.orgs.get(org) else { return 0 };
        let candidates: Vec<u32> = model
            .users
            .iter()
            .enumerate()
            .filter(|(_, r)| r.contains(&Role::GlobalAdmin) || r.iter().any(|x| roles.contains(x)))
            .filter_map(|(i, _)| u32::try_from(i).ok())
            .collect();
        self.rng.choice(candidates).unwrap_or(0)
    }

    fn feasible(&self, org: &Org) -> Vec<(Kind, u32)> {
        let now = self.now;
        let usable = || org.packages.iter().filter(|p| !p.cancelled);
        let benefits = || usable().flat_map(|p| p.benefits.iter());
        let users = org.users.len();
        let mut kinds = vec![(Kind::Query, 20)];
        kinds.push((Kind::AddUser, if users < self.size.users as usize { 30 } else { 2 }));
        let active = usable().count();
        kinds.push((
            Kind::Purchase,
            if active == 0 {
                40
            } else if active < 3 {
                4
            } else {
                1
            },
        ));
        if benefits().any(|b| matches!(b, Benefit::Keys { .. })) {
            kinds.push((Kind::GetKeys, 8));
        }
        if benefits()
            .any(|b| matches!(b, Benefit::Seats { seats, holders, .. } if holders.len() < *seats as usize && holders.len() < users))
        {
            kinds.push((Kind::Assign, 10));
        }
        if benefits().any(|b| matches!(b, Benefit::Seats { holders, .. } if !holders.is_empty())) {
            kinds.push((Kind::Unassign, 3));
            if users > 3 {
                kinds.push((Kind::Reassign, 4));
            }
        }
        if benefits().any(|b| matches!(b, Benefit::Azure { assigned: false, .. })) {
            kinds.push((Kind::AssignAzure, 2));
        }
        if benefits().any(|b| matches!(b, Benefit::Technical { active_at: None, .. })) {
            kinds.push((Kind::ActivateTechnical, 4));
        }
        if benefits().any(|b| matches!(b, Benefit::Technical { active_at: Some(at), balance, .. } if *at <= now && *balance >= 1)) {
            kinds.push((Kind::RequestAssistance, 6));
        }
        if !org.submitted.is_empty() {
            kinds.push((Kind::Withdraw, 2));
        }
        kinds.push((Kind::SetContact, if org.contact { 1 } else { 4 }));
        if org.contact && self.activatable(org).next().is_some() {
            kinds.push((Kind::ActivateOffer, 4));
        }
        if active > 0 {
            kinds.push((Kind::CancelPackage, 1));
        }
        if usable().flat_map(|p| p.benefits.iter()).any(|b| matches!(b, Benefit::Offers { offers } if offers.iter().any(|o| o.running))) {
            kinds.push((Kind::CancelOffer, 1));
        }
        kinds
    }

    fn activatable<'o>(&self, org: &'o Org) -> impl Iterator<Item = OfferId> + 'o {
        let (level, competency) = (org.level, org.competency);
        org.packages.iter().filter(|p| !p.cancelled).flat_map(|p| p.benefits.iter()).flat_map(move |b| match b {
            Benefit::Offers { offers } => offers
                .iter()
                .filter(|o| !o.running && !o.ended && level >= o.min_level && (!o.needs_competency || competency))
                .map(|o| o.id)
                .collect(),
            _ => Vec::new(),
        })
    }

    fn step(&mut self, org_index: u32) -> (u32, Op) {
        let org = org_index as usize;
        let Some(model) = self.orgs.get(org) else { return (0, Op::Query { query: Query::Organization }) };
        let kinds = self.feasible(model);
        let total: u32 = kinds.iter().map(|(_, w)| w).sum();
        let mut pick = self.rng.u32(0..total.max(1));
        let mut kind = Kind::Query;
        for (k, w) in kinds {
            if pick < w {
                kind = k;
                break;
            }
            pick -= w;
        }
        self.build(org, kind).unwrap_or((0, Op::Query { query: Query::Organization }))
    }

    fn build(&mut self, org: usize, kind: Kind) -> Option<(u32, Op)> {
        let now = self.now;
        let catalog = self.catalog;
        let number = u32::try_from(org).ok()? + 1;
        let execute = |command: Command| Op::Execute { command };
        Some(match kind {
            Kind::Query => {
                let actor = self.actor(org, &[Role::MpnPartnerAdmin, Role::AdminAgent, Role::UserAdmin]);
                let model = self.orgs.get(org)?;
                let query = match (self.rng.u8(0..4), model.packages.last()) {
                    (1, Some(p)) => Query::Package { package: p.id.to_string() },
                    (2, Some(_)) if model.benefits > 0 => {
                        Query::Benefit { benefit: BenefitId::new(model.id, self.rng.u32(1..=model.benefits)).to_string() }
                    }
                    (3, _) => Query::MarketingContact,
                    _ => Query::Organization,
                };
                (actor, Op::Query { query })
            }
            Kind::AddUser => {
                let model = self.orgs.get_mut(org)?;
                let seq = model.users.len() + 1;
                let roles = roles_for(seq);
                model.users.push(roles.clone());
                let language = if seq % 3 == 0 { Some("de".to_string()) } else { None };
                let command =
                    Command::AddUser { name: format!("User {seq}"), email: email(number, &format!("user{seq}")), roles, language };
                (0, execute(command))
            }
            Kind::Purchase => {
                let level = self.orgs.get(org)?.level;
                let templates: Vec<usize> =
                    catalog.packages.iter().enumerate().filter(|(_, t)| t.required_level <= level).map(|(i, _)| i).collect();
                let index = self.rng.choice(templates)?;
                let template = catalog.packages.get(index)?;
                let actor = self.actor(org, &[Role::MpnPartnerAdmin, Role::AdminAgent, Role::UserAdmin]);
                let model = self.orgs.get_mut(org)?;
                let package = PackageId::new(model.id, u32::try_from(model.packages.len()).ok()? + 1);
                let mut benefits = Vec::new();
                for benefit in &template.benefits {
                    model.benefits += 1;
                    let id = BenefitId::new(model.id, model.benefits);
                    benefits.push(match &benefit.kind {
                        BenefitKind::Software { product, languages, os_types, keys, .. } => {
                            *self.drawn.entry(product.to_string()).or_default() += u64::from(*keys);
                            let choice = languages.first().zip(os_types.last()).map(|(l, o)| (l.to_string(), o.to_string()));
                            Benefit::Keys { id, software: choice }
                        }
                        BenefitKind::CloudLicense { product, keys, .. } => {
                            *self.drawn.entry(product.to_string()).or_default() += u64::from(*keys);
                            Benefit::Keys { id, software: None }
                        }
                        BenefitKind::CloudUsage { .. } => Benefit::Azure { id, assigned: false },
                        BenefitKind::VisualStudio { seats, .. } => Benefit::Seats { id, seats: *seats, holders: Vec::new() },
                        BenefitKind::SupportIncidents { incidents } => {
                            Benefit::Technical { id, active_at: None, balance: i64::from(*incidents) }
                        }
                        BenefitKind::AdvisoryHours { hours } | BenefitKind::PresalesDeployment { hours } => {
                            Benefit::Technical { id, active_at: None, balance: hours.trunc().to_i64().unwrap_or(0) }
                        }
                        BenefitKind::GoToMarket { offers } => Benefit::Offers {
                            offers: offers
                                .iter()
                                .map(|o| {
                                    model.offers += 1;
                                    Offer {
                                        id: OfferId::new(model.id, model.offers),
                                        min_level: o.min_level,
                                        needs_competency: !o.competencies.is_empty(),
                                        running: false,
                                        ended: false,
                                    }
                                })
                                .collect(),
                        },
                    });
                }
                model.packages.push(Package { id: package, purchased_at: now, keys_revealed: false, cancelled: false, benefits });
                (actor, execute(Command::PurchasePackage { template: template.code.to_string() }))
            }
            Kind::GetKeys => {
                let model = self.orgs.get_mut(org)?;
                let candidates: Vec<(usize, usize)> = model
                    .packages
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.cancelled)
                    .flat_map(|(pi, p)| {
                        p.benefits.iter().enumerate().filter(|(_, b)| matches!(b, Benefit::Keys { .. })).map(move |(bi, _)| (pi, bi))
                    })
                    .collect();
                let (pi, bi) = self.rng.choice(candidates)?;
                let package = model.packages.get_mut(pi)?;
                package.keys_revealed = true;
                let Some(Benefit::Keys { id, software }) = package.benefits.get(bi) else { return None };
                let (language, os) = software.clone().map_or((None, None), |(l, o)| (Some(l), Some(o)));
                (0, execute(Command::GetKeys { benefit: *id, language, os }))
            }
            Kind::Assign | Kind::Unassign | Kind::Reassign => {
                let model = self.orgs.get_mut(org)?;
                let users = u32::try_from(model.users.len()).ok()?;
                let seats: Vec<&mut Benefit> = model
                    .packages
                    .iter_mut()
                    .filter(|p| !p.cancelled)
                    .flat_map(|p| p.benefits.iter_mut())
                    .filter(|b| match b {
                        Benefit::Seats { seats, holders, .. } => match kind {
                            Kind::Assign => holders.len() < *seats as usize && holders.len() < users as usize,
                            Kind::Unassign => !holders.is_empty(),
                            _ => !holders.is_empty() && (holders.len() as u32) < users,
                        },
                        _ => false,
                    })
                    .collect();
                let Benefit::Seats { id, holders, .. } = self.rng.choice(seats)? else { return None };
                let free: Vec<u32> = (0..users).filter(|u| !holders.contains(u)).collect();
                let org_id = model.id;
                let user = |index: u32| UserId::new(org_id, index + 1);
                let command = match kind {
                    Kind::Assign => {
                        let to = self.rng.choice(free)?;
                        holders.push(to);
                        Command::AssignUser { benefit: *id, user: user(to) }
                    }
                    Kind::Unassign => {
                        let at = self.rng.usize(0..holders.len());
                        let from = holders.swap_remove(at);
                        Command::UnassignUser { benefit: *id, user: user(from) }
                    }
                    _ => {
                        let to = self.rng.choice(free)?;
                        let at = self.rng.usize(0..holders.len());
                        let from = std::mem::replace(holders.get_mut(at)?, to);
                        Command::ReassignUser { benefit: *id, from: user(from), to: user(to) }
                    }
                };
                (0, execute(command))
            }
            Kind::AssignAzure => {
                let model = self.orgs.get_mut(org)?;
                let org_id = model.id;
                let found =
                    model.packages.iter_mut().filter(|p| !p.cancelled).flat_map(|p| p.benefits.iter_mut()).find_map(|b| match b {
                        Benefit::Azure { id, assigned } if !*assigned => {
                            *assigned = true;
                            Some(*id)
                        }
                        _ => None,
                    })?;
                (0, execute(Command::AssignUser { benefit: found, user: UserId::new(org_id, 1) }))
            }
            Kind::ActivateTechnical => {
                let user = self.rng.u32(0..u32::try_from(self.orgs.get(org)?.users.len()).ok()?);
                let model = self.orgs.get_mut(org)?;
                let org_id = model.id;
                let found =
                    model.packages.iter_mut().filter(|p| !p.cancelled).flat_map(|p| p.benefits.iter_mut()).find_map(|b| match b {
                        Benefit::Technical { id, active_at: active_at @ None, .. } => {
                            *active_at = Some(now + TECHNICAL_LEAD_DAYS * DAY);
                            Some(*id)
                        }
                        _ => None,
                    })?;
                let command = Command::ActivateTechnical {
                    benefit: found,
                    user: UserId::new(org_id, user + 1),
                    alternate_email: format!("tech{}@example.net", user + 1),
                };
                (0, execute(command))
            }
            Kind::RequestAssistance => {
                let actor = self.actor(org, &[Role::MpnPartnerAdmin, Role::AdminAgent]);
                let phase = *[Phase::Presales, Phase::Design, Phase::Deployment, Phase::AppDevelopment].get(self.rng.usize(0..4))?;
                let model = self.orgs.get_mut(org)?;
                let found =
                    model.packages.iter_mut().filter(|p| !p.cancelled).flat_map(|p| p.benefits.iter_mut()).find_map(|b| match b {
                        Benefit::Technical { id, active_at: Some(at), balance } if *at <= now && *balance >= 1 => {
                            *balance -= 1;
                            Some(*id)
                        }
                        _ => None,
                    })?;
                model.requests += 1;
                let request = RequestId::new(model.id, model.requests);
                model.submitted.push((request, found));
                let command = Command::RequestAssistance {
                    benefit: found,
                    phase,
                    amount: Decimal::ONE,
                    description: format!("Help with step {}", model.requests),
                };
                (actor, execute(command))
            }
            Kind::Withdraw => {
                let actor = self.actor(org, &[Role::MpnPartnerAdmin, Role::AdminAgent]);
                let model = self.orgs.get_mut(org)?;
                let at = self.rng.usize(0..model.submitted.len());
                let (request, benefit) = model.submitted.swap_remove(at);
                for b in model.packages.iter_mut().flat_map(|p| p.benefits.iter_mut()) {
                    if let Benefit::Technical { id, balance, .. } = b
                        && *id == benefit
                    {
                        *balance += 1;
                    }
                }
                (actor, execute(Command::WithdrawRequest { request }))
            }
            Kind::SetContact => {
                let actor = self.actor(org, &[Role::MpnPartnerAdmin]);
                let model = self.orgs.get_mut(org)?;
                model.contact = true;
                let user = self.rng.u32(0..u32::try_from(model.users.len()).ok()?) + 1;
                let command = Command::SetMarketingContact {
                    user: UserId::new(model.id, user),
                    email: format!("marketing{user}@example.net"),
                    phone: format!("+1 555 0100 {user:03}"),
                    language: if user.is_multiple_of(2) { "de".into() } else { "en".into() },
                };
                (actor, execute(command))
            }
            Kind::ActivateOffer => {
                let actor = self.actor(org, &[Role::MpnPartnerAdmin]);
                let model = self.orgs.get(org)?;
                let offer = self.rng.choice(self.activatable(model).collect::<Vec<_>>())?;
                let model = self.orgs.get_mut(org)?;
                for o in offers_mut(model) {
                    if o.id == offer {
                        o.running = true;
                    }
                }
                (actor, execute(Command::ActivateOffer { offer }))
            }
            Kind::CancelPackage => {
                // Refunds: Global admin or MPN partner admin only.
                let actor = self.actor(org, &[Role::MpnPartnerAdmin]);
                let model = self.orgs.get_mut(org)?;
                model.requests += 1;
                let active: Vec<usize> = model.packages.iter().enumerate().filter(|(_, p)| !p.cancelled).map(|(i, _)| i).collect();
                let package = model.packages.get_mut(self.rng.choice(active)?)?;
                // Granted inside the refund window with no key revealed (R29); refused otherwise, which changes nothing.
                if now - package.purchased_at <= REFUND_WINDOW_DAYS * DAY && !package.keys_revealed {
                    package.cancelled = true;
                    let cancelled: Vec<BenefitId> = package
                        .benefits
                        .iter()
                        .filter_map(|b| if let Benefit::Technical { id, .. } = b { Some(*id) } else { None })
                        .collect();
                    model.submitted.retain(|(_, b)| !cancelled.contains(b));
                }
                (actor, execute(Command::CancelPackage { package: package.id }))
            }
            Kind::CancelOffer => {
                // A Go-To-Market task (R22): Global admin or MPN partner admin.
                let actor = self.actor(org, &[Role::MpnPartnerAdmin]);
                let model = self.orgs.get_mut(org)?;
                model.requests += 1;
                let running: Vec<(usize, OfferId)> = model
                    .packages
                    .iter()
                    .enumerate()
                    .filter(|(_, p)| !p.cancelled)
                    .flat_map(|(pi, p)| {
                        p.benefits.iter().flat_map(move |b| match b {
                            Benefit::Offers { offers } => offers.iter().filter(|o| o.running).map(|o| (pi, o.id)).collect(),
                            _ => Vec::new(),
                        })
                    })
                    .collect();
                let (pi, offer) = self.rng.choice(running)?;
                let package = model.packages.get_mut(pi)?;
                let granted = now - package.purchased_at <= REFUND_WINDOW_DAYS * DAY && !package.keys_revealed;
                if granted {
                    for b in package.benefits.iter_mut() {
                        if let Benefit::Offers { offers } = b {
                            for o in offers.iter_mut().filter(|o| o.id == offer) {
                                o.running = false;
                                o.ended = true;
                            }
                        }
                    }
                }
                (actor, execute(Command::CancelOffer { offer }))
            }
        })
    }
}

fn offers_mut(model: &mut Org) -> impl Iterator<Item = &mut Offer> {
    model.packages.iter_mut().filter(|p| !p.cancelled).flat_map(|p| p.benefits.iter_mut()).flat_map(|b| match b {
        Benefit::Offers { offers } => offers.iter_mut().collect::<Vec<_>>(),
        _ => Vec::new(),
    })
}
