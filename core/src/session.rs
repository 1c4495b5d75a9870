//! A session: one user of one organization, with one method per command
//! and query. Bindings mirror these names.

use rust_decimal::Decimal;

use crate::assignment::{AssignmentResult, MAX_ASSIGNMENT_ROWS};
use crate::center::BenefitCenter;
use crate::command::{Command, Outcome};
use crate::contention::DEFAULT_RETRY_BUDGET;
use crate::decide::Work;
use crate::error::Error;
use crate::event::{Actor, KeySlots, Phase, StreamId};
use crate::ids::{BenefitId, OfferId, OrganizationId, PackageId, RequestId, UserId};
use crate::lifecycle::Timestamp;
use crate::metrics::Count;
use crate::permission::{self, Permission, Role};
use crate::state::{BenefitDetail, OrganizationState};
use crate::values::Money;
use crate::views::{
    self, AuditEntry, BenefitView, CancellationView, Category, MarketingContactView, OfferView, OrganizationView, PackageView, RequestView,
    RevealedKeys, Usage, UserView,
};

/// Acts as one user of one organization. Cheap to clone and to create.
#[derive(Debug, Clone)]
pub struct Session {
    center: BenefitCenter,
    organization: OrganizationId,
    user: UserId,
    idempotency_key: Option<String>,
    /// The retry budget the host chose; `None`: [`DEFAULT_RETRY_BUDGET`].
    retries: Option<u32>,
}

/// The least budget of a command under an idempotency key, even when the
/// host asked for none: enough for concurrent repeats of the key to find the
/// first call's record.
const IDEMPOTENT_REREADS: u32 = 8;

/// The vault slots of a keyed benefit of this organization.
fn key_slots(state: &OrganizationState, benefit: BenefitId) -> Option<KeySlots> {
    match &state.benefits.get(&benefit)?.detail {
        BenefitDetail::Software { keys, .. } | BenefitDetail::CloudLicense { keys, .. } => Some(keys.clone()),
        _ => None,
    }
}

fn unexpected(outcome: Outcome) -> Error {
    Error::storage(format!("unexpected outcome {outcome:?}"))
}

impl Session {
    pub(crate) fn new(center: BenefitCenter, organization: OrganizationId, user: UserId) -> Self {
        Self { center, organization, user, idempotency_key: None, retries: None }
    }

    /// The organization acted on.
    pub fn organization_id(&self) -> OrganizationId {
        self.organization
    }

    /// The acting user.
    pub fn user_id(&self) -> UserId {
        self.user
    }

    /// This session, applying its next command at most once under `key` (B4):
    /// a repeat returns the first result; the key with another command is a `conflict`.
    pub fn with_idempotency_key(&self, key: impl Into<String>) -> Self {
        Self { idempotency_key: Some(key.into()), ..self.clone() }
    }

    /// This session, deciding a command again on the new state up to
    /// `retries` times when another writer committed first (by default
    /// [`DEFAULT_RETRY_BUDGET`], with a jittered, growing pause between
    /// attempts). A command the new state refuses fails with that state's
    /// error; `conflict` reaches the caller only when the budget ran out (it
    /// says so), or at once with `with_retries(0)`.
    pub fn with_retries(&self, retries: u32) -> Self {
        Self { retries: Some(retries), ..self.clone() }
    }

    fn retry_budget(&self, idempotent: bool) -> u32 {
        let budget = self.retries.unwrap_or(DEFAULT_RETRY_BUDGET);
        // B4 under concurrency: another call with the same key (here or in
        // another process) committed first; going round again finds its
        // record and returns its result, whatever budget was asked for.
        if idempotent { budget.max(IDEMPOTENT_REREADS) } else { budget }
    }

    /// Applies one command.
    pub fn execute(&self, command: Command) -> Result<Outcome, Error> {
        let mut outcomes = self.run(std::slice::from_ref(&command))?;
        outcomes.pop().ok_or_else(|| Error::storage("a command returned no outcome"))
    }

    /// Applies many commands in one atomic commit: all of them or none.
    pub fn execute_batch(&self, commands: &[Command]) -> Result<Vec<Outcome>, Error> {
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        self.run(commands)
    }

    fn run(&self, commands: &[Command]) -> Result<Vec<Outcome>, Error> {
        let kind = match commands {
            [command] => command.kind(),
            _ => "batch",
        };
        self.observed(kind, commands.len(), || self.run_unobserved(commands))
    }

    /// Runs one call inside a `command` span (organization, command kind,
    /// rows), then records its outcome code and duration and counts it. The
    /// fields are ids, kinds and codes: never a key, an email or a message.
    fn observed<T>(&self, kind: &'static str, rows: usize, call: impl FnOnce() -> Result<T, Error>) -> Result<T, Error> {
        let span = tracing::info_span!("command", organization = %self.organization, kind, rows);
        let _entered = span.enter();
        let started = std::time::Instant::now();
        let result = call();
        let elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        let counters = &self.center.inner.counters;
        counters.add(Count::Command, 1);
        match &result {
            Ok(_) => tracing::info!(outcome = "ok", elapsed_us, "command applied"),
            Err(err) => {
                counters.add(Count::Refused, 1);
                tracing::info!(outcome = err.code(), elapsed_us, "command refused");
            }
        }
        result
    }

    fn run_unobserved(&self, commands: &[Command]) -> Result<Vec<Outcome>, Error> {
        let idempotency = match (&self.idempotency_key, commands) {
            (None, _) => None,
            (Some(key), [command]) => {
                if key.is_empty() || key.len() > 200 {
                    return Err(Error::invalid("idempotency_key", "1 to 200 characters"));
                }
                Some((key.clone(), serde_json::to_string(command).map_err(|e| Error::storage(e.to_string()))?))
            }
            (Some(_), _) => return Err(Error::invalid("idempotency_key", "applies to a single command, not a batch")),
        };
        if idempotency.is_some() {
            // Fix (found by tests/seed_rules.rs, b4/b1): a repeat returns the
            // stored outcome without deciding the command again, so it skipped
            // the permission check. Anyone of the organization (or a made-up
            // user id) who knew the key could replay a `get_keys` and read the
            // license keys. Check the acting user and the permission first.
            self.center.read(self.organization, self.user, |state| {
                let user = state.users.get(&self.user).ok_or_else(|| Error::not_found("user", self.user))?;
                commands.iter().try_for_each(|command| permission::require(user.roles, command.permission()))
            })?;
        }
        let budget = self.retry_budget(idempotency.is_some());
        self.center.contended(budget, || {
            if let Some((key, request)) = &idempotency
                && self.user.organization() == self.organization
                && let Some(outcome) = self.center.idempotent_repeat(self.organization, key, request)?
            {
                return Ok(vec![outcome]);
            }
            let (_, outcomes) =
                self.center.transact(self.organization, Actor::User(self.user), idempotency.clone(), Work::Commands(commands))?;
            // Commands stop at their first error (the outer one): each outcome here is `Ok`.
            Ok(outcomes.into_iter().collect::<Result<Vec<_>, Error>>()?)
        })
    }

    fn read<T>(&self, permission: Permission, f: impl FnOnce(&OrganizationState) -> Result<T, Error>) -> Result<T, Error> {
        self.center.read(self.organization, self.user, |state| {
            let user = state.users.get(&self.user).ok_or_else(|| Error::not_found("user", self.user))?;
            permission::require(user.roles, permission)?;
            f(state)
        })
    }

    // ----- account settings -----

    /// Adds an employee (R05); returns the new user's id.
    pub fn add_user(&self, name: &str, email: &str, roles: &[Role]) -> Result<UserId, Error> {
        self.add_user_with_language(name, email, roles, None)
    }

    /// Adds an employee whose mail is written in `language` (e.g. `zh-CN`).
    pub fn add_user_with_language(&self, name: &str, email: &str, roles: &[Role], language: Option<&str>) -> Result<UserId, Error> {
        let command =
            Command::AddUser { name: name.into(), email: email.into(), roles: roles.to_vec(), language: language.map(str::to_string) };
        match self.execute(command)? {
            Outcome::UserAdded { user } => Ok(user),
            other => Err(unexpected(other)),
        }
    }

    /// Replaces a user's roles (R04: at least one Global admin stays).
    pub fn set_user_roles(&self, user: UserId, roles: &[Role]) -> Result<(), Error> {
        self.execute(Command::SetUserRoles { user, roles: roles.to_vec() }).map(drop)
    }

    /// Offboarding: removes `user` and, in the same commit, releases every
    /// seat, Azure usage-based subscription and technical activation they
    /// hold; the Global admins get a mail listing what was released. A User
    /// admin may remove only users whose roles they hold themselves (never a
    /// Global admin); the last Global admin and the marketing contact cannot
    /// be removed (`precondition_failed`). Past events stay in the audit log,
    /// and the id is never given to anyone else.
    pub fn remove_user(&self, user: UserId) -> Result<(), Error> {
        self.execute(Command::RemoveUser { user }).map(drop)
    }

    // ----- packages -----

    /// Buys a package of the catalog (R02: any admin role may).
    pub fn purchase_package(&self, template: &str) -> Result<PackageId, Error> {
        match self.execute(Command::PurchasePackage { template: template.into() })? {
            Outcome::PackagePurchased { package } => Ok(package),
            other => Err(unexpected(other)),
        }
    }

    /// Renews a package inside its window; returns the new expiry (P2).
    pub fn renew_package(&self, package: PackageId) -> Result<Timestamp, Error> {
        match self.execute(Command::RenewPackage { package })? {
            Outcome::PackageRenewed { expires_at, .. } => Ok(expires_at),
            other => Err(unexpected(other)),
        }
    }

    fn refund(outcome: Outcome) -> Result<Money, Error> {
        match outcome {
            Outcome::CancellationGranted { refund, .. } => Ok(refund),
            Outcome::CancellationRefused { reason, .. } => Err(Error::RefundNotAllowed { reason }),
            other => Err(unexpected(other)),
        }
    }

    /// Requests cancellation of a package; the refund, or `refund_not_allowed`
    /// saying which condition failed (the refusal is recorded, R30).
    pub fn cancel_package(&self, package: PackageId) -> Result<Money, Error> {
        Self::refund(self.execute(Command::CancelPackage { package })?)
    }

    /// Requests cancellation of a Go-To-Market offer under the same rule (R29).
    pub fn cancel_offer(&self, offer: OfferId) -> Result<Money, Error> {
        Self::refund(self.execute(Command::CancelOffer { offer })?)
    }

    // ----- software and cloud -----

    fn reveal(&self, benefit: BenefitId, command: Command) -> Result<RevealedKeys, Error> {
        // Fix (found by tests/faults.rs): read the keys from the vault *before*
        // the reveal is committed. The reveal activates the software and closes
        // the refund (P1), so a vault read that fails after the commit left a
        // recorded reveal whose keys were never shown. When the benefit is not
        // visible here (no permission, unknown id, no keys) nothing is read and
        // the command below returns the proper error; a storage failure is
        // returned at once, before anything is committed.
        let known = match self.read(Permission::RevealKeys, |s| Ok(key_slots(s, benefit))) {
            Ok(slots) => slots,
            Err(err @ Error::Storage { .. }) => return Err(err),
            Err(_) => None,
        };
        let prefetched = match known {
            Some(slots) => Some((crate::vault::benefit_keys(&*self.center.store(), &slots)?, slots)),
            None => None,
        };
        let Outcome::KeysRevealed { reveal } = self.execute(command)? else {
            return Err(Error::storage("key reveal returned no keys"));
        };
        let keys = match prefetched {
            Some((keys, slots)) if slots == reveal.slots => keys,
            _ => crate::vault::benefit_keys(&*self.center.store(), &reveal.slots)?,
        };
        Ok(RevealedKeys {
            benefit: reveal.benefit,
            product: reveal.product,
            keys,
            download_links: reveal.download_links,
            special_instructions: reveal.special_instructions,
        })
    }

    /// "Get keys" for software in a language and OS (R08–R11); activates it (P1).
    pub fn get_keys(&self, benefit: BenefitId, language: &str, os: &str) -> Result<RevealedKeys, Error> {
        self.reveal(benefit, Command::GetKeys { benefit, language: Some(language.into()), os: Some(os.into()) })
    }

    /// "Get keys" for a license-based cloud subscription (R13, P4).
    pub fn get_license_keys(&self, benefit: BenefitId) -> Result<RevealedKeys, Error> {
        self.reveal(benefit, Command::GetKeys { benefit, language: None, os: None })
    }

    /// Assigns a Visual Studio subscription (R14), or yourself to Azure (R12).
    pub fn assign_user(&self, benefit: BenefitId, user: UserId) -> Result<(), Error> {
        self.execute(Command::AssignUser { benefit, user }).map(drop)
    }

    /// Assigns `users` to one benefit, row by row, each judged on the state
    /// the rows before it leave (as that many `assign_user` calls would be);
    /// the rows that succeed commit together, atomically. With `dry_run`
    /// the same is decided and nothing is committed, so the results equal a
    /// real run's on the same state. Needs Global admin (R03); at most
    /// [`MAX_ASSIGNMENT_ROWS`] rows per call.
    pub fn assign_users(&self, benefit: BenefitId, users: &[UserId], dry_run: bool) -> Result<Vec<AssignmentResult>, Error> {
        if users.len() > MAX_ASSIGNMENT_ROWS {
            return Err(Error::invalid("user_ids", format!("at most {MAX_ASSIGNMENT_ROWS} rows per call, {} given", users.len())));
        }
        if self.idempotency_key.is_some() {
            return Err(Error::invalid("idempotency_key", "applies to a single command, not to rows"));
        }
        // The whole call needs the permission, not each row (R03).
        self.read(Permission::AssignBenefits, |_| Ok(()))?;
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let commands: Vec<Command> = users.iter().map(|&user| Command::AssignUser { benefit, user }).collect();
        self.observed("assign_users", users.len(), || {
            let rows = self.center.contended(self.retry_budget(false), || {
                let work = Work::Rows { commands: &commands, dry_run };
                self.center.transact(self.organization, Actor::User(self.user), None, work).map(|(_, rows)| rows)
            })?;
            Ok(users.iter().zip(rows).map(|(&user_id, row)| AssignmentResult::from_row(user_id, row.map(drop))).collect())
        })
    }

    /// Removes an assigned user (R16).
    pub fn unassign_user(&self, benefit: BenefitId, user: UserId) -> Result<(), Error> {
        self.execute(Command::UnassignUser { benefit, user }).map(drop)
    }

    /// Removes `from` and assigns `to` in one step (R16).
    pub fn reassign_user(&self, benefit: BenefitId, from: UserId, to: UserId) -> Result<(), Error> {
        self.execute(Command::ReassignUser { benefit, from, to }).map(drop)
    }

    // ----- technical -----

    /// Activates a technical benefit for `user` with an alternate email (R18–R20).
    pub fn activate_technical(&self, benefit: BenefitId, user: UserId, alternate_email: &str) -> Result<(), Error> {
        self.execute(Command::ActivateTechnical { benefit, user, alternate_email: alternate_email.into() }).map(drop)
    }

    /// Requests assistance, drawing `amount` hours (or incidents) (R21).
    pub fn request_assistance(&self, benefit: BenefitId, phase: Phase, amount: Decimal, description: &str) -> Result<RequestId, Error> {
        match self.execute(Command::RequestAssistance { benefit, phase, amount, description: description.into() })? {
            Outcome::RequestSubmitted { request } => Ok(request),
            other => Err(unexpected(other)),
        }
    }

    /// Withdraws a submitted request; its hours return.
    pub fn withdraw_request(&self, request: RequestId) -> Result<(), Error> {
        self.execute(Command::WithdrawRequest { request }).map(drop)
    }

    // ----- Go-To-Market -----

    /// Adds, updates or changes the marketing contact (R25).
    pub fn set_marketing_contact(&self, user: UserId, email: &str, phone: &str, language: &str) -> Result<(), Error> {
        self.execute(Command::SetMarketingContact { user, email: email.into(), phone: phone.into(), language: language.into() }).map(drop)
    }

    /// Activates an offer (R24, R28); returns when it becomes active.
    pub fn activate_offer(&self, offer: OfferId) -> Result<Timestamp, Error> {
        match self.execute(Command::ActivateOffer { offer })? {
            Outcome::OfferActivated { active_at, .. } => Ok(active_at),
            other => Err(unexpected(other)),
        }
    }

    // ----- queries -----

    /// The organization.
    pub fn organization(&self) -> Result<OrganizationView, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(views::organization(s)))
    }

    /// Its users.
    pub fn users(&self) -> Result<Vec<UserView>, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(s.users.values().map(views::user).collect()))
    }

    /// What is used of every benefit assigned to users (Visual Studio
    /// subscriptions, Azure usage-based subscriptions, technical benefits):
    /// seats, how many are assigned now, and the most ever assigned at once.
    pub fn usage(&self) -> Result<Vec<Usage>, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(s.benefits.values().filter_map(views::usage).collect()))
    }

    /// Its packages.
    pub fn packages(&self) -> Result<Vec<PackageView>, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(s.packages.values().map(|p| views::package(s, p)).collect()))
    }

    /// One package.
    pub fn package(&self, id: PackageId) -> Result<PackageView, Error> {
        self.read(Permission::ViewBenefits, |s| {
            s.packages.get(&id).map(|p| views::package(s, p)).ok_or_else(|| Error::not_found("package", id))
        })
    }

    /// The benefits of one package.
    pub fn benefits(&self, package: PackageId) -> Result<Vec<BenefitView>, Error> {
        self.read(Permission::ViewBenefits, |s| {
            let found = s.packages.get(&package).ok_or_else(|| Error::not_found("package", package))?;
            Ok(found.benefits.iter().filter_map(|id| s.benefits.get(id)).map(|b| views::benefit(s, b)).collect())
        })
    }

    /// Every benefit of every package, in one place (R07).
    pub fn all_benefits(&self) -> Result<Vec<BenefitView>, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(s.benefits.values().map(|b| views::benefit(s, b)).collect()))
    }

    /// Every benefit of one category (R07).
    pub fn benefits_in(&self, category: Category) -> Result<Vec<BenefitView>, Error> {
        Ok(self.all_benefits()?.into_iter().filter(|b| b.category == category).collect())
    }

    /// One benefit.
    pub fn benefit(&self, id: BenefitId) -> Result<BenefitView, Error> {
        self.read(Permission::ViewBenefits, |s| {
            s.benefits.get(&id).map(|b| views::benefit(s, b)).ok_or_else(|| Error::not_found("benefit", id))
        })
    }

    /// Every Go-To-Market offer (R27).
    pub fn offers(&self) -> Result<Vec<OfferView>, Error> {
        Ok(self.benefits_in(Category::GoToMarket)?.into_iter().flat_map(|b| b.offers).collect())
    }

    /// One offer.
    pub fn offer(&self, id: OfferId) -> Result<OfferView, Error> {
        self.read(Permission::ViewBenefits, |s| {
            s.offer(id).map(|(b, o)| views::offer(s, b.id, o)).ok_or_else(|| Error::not_found("offer", id))
        })
    }

    /// The marketing contact, if set.
    pub fn marketing_contact(&self) -> Result<Option<MarketingContactView>, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(s.marketing_contact.as_ref().map(views::contact)))
    }

    /// Assistance requests.
    pub fn requests(&self) -> Result<Vec<RequestView>, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(s.requests.values().map(views::request).collect()))
    }

    /// Cancellation service requests and their answers (R30).
    pub fn cancellations(&self) -> Result<Vec<CancellationView>, Error> {
        self.read(Permission::ViewBenefits, |s| Ok(s.cancellations.values().map(views::cancellation).collect()))
    }

    /// The organization's audit log (B2); needs `view_audit_log`.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>, Error> {
        self.read(Permission::ViewAuditLog, |_| Ok(()))?;
        let events = self.center.store().read_events(&StreamId::Organization(self.organization), 0, usize::MAX)?;
        Ok(events.iter().map(AuditEntry::from).collect())
    }
}
