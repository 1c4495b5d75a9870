//! A session: one user of one organization, one method per core command
//! and query (camelCase in Kotlin).

use std::sync::Arc;

use partner_benefits as core;
use rust_decimal::Decimal;

use super::error::{BenefitsError, Result};
use super::id;
use crate::{
    AssignmentResult, AuditEntry, Benefit, Cancellation, Category, Command, Keys, MarketingContact, Money, Offer, Organization, Outcome,
    Package, Phase, Request, Role, Timestamp, Usage, User,
};

fn roles(roles: Vec<Role>) -> Vec<core::Role> {
    roles.into_iter().map(core::Role::from).collect()
}

fn list<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

/// Acts as one user of one organization. Cheap; safe to share between threads.
#[derive(Debug, uniffi::Object)]
pub struct Session {
    inner: core::Session,
}

impl Session {
    pub(crate) fn new(inner: core::Session) -> Self {
        Self { inner }
    }
}

#[uniffi::export]
impl Session {
    /// The organization acted on.
    pub fn organization_id(&self) -> String {
        self.inner.organization_id().to_string()
    }

    /// The acting user.
    pub fn user_id(&self) -> String {
        self.inner.user_id().to_string()
    }

    /// This session, applying its next command at most once under `key` (B4):
    /// a repeat returns the first result; the key with another command is a `conflict`.
    pub fn with_idempotency_key(&self, key: String) -> Arc<Session> {
        Arc::new(Self::new(self.inner.with_idempotency_key(key)))
    }

    /// This session, re-applying a command on fresh state up to `retries`
    /// times when another writer got there first (`conflict`).
    pub fn with_retries(&self, retries: i32) -> Result<Arc<Session>> {
        let retries = u32::try_from(retries).map_err(|_| BenefitsError::invalid("retries", "must not be negative"))?;
        Ok(Arc::new(Self::new(self.inner.with_retries(retries))))
    }

    /// Applies one command (`Command.PurchasePackage("action-pack")`, ...).
    /// A key reveal's outcome names the benefit; `getKeys` returns the keys.
    pub fn execute(&self, command: Command) -> Result<Outcome> {
        Ok(self.inner.execute(command.try_into()?)?.into())
    }

    /// Applies many commands in one atomic commit: all of them or none.
    pub fn execute_batch(&self, commands: Vec<Command>) -> Result<Vec<Outcome>> {
        let commands = commands.into_iter().map(core::Command::try_from).collect::<Result<Vec<_>, _>>()?;
        Ok(list(self.inner.execute_batch(&commands)?))
    }

    /// Deprecated: use `execute(Command)`. Applies one command given as the
    /// core's JSON (`{"command":"purchase_package","template":"action-pack"}`)
    /// and returns the core's outcome as JSON; kept for hosts that replay
    /// recorded JSON commands (the binding bench does).
    pub fn execute_json(&self, command_json: String) -> Result<String> {
        let command = parse_command(&command_json)?;
        outcome_json(&self.inner.execute(command)?)
    }

    /// Deprecated: use `executeBatch(List<Command>)`. Many JSON commands in
    /// one atomic commit, as `executeJson`.
    pub fn execute_batch_json(&self, commands_json: Vec<String>) -> Result<Vec<String>> {
        let commands = commands_json.iter().map(|c| parse_command(c)).collect::<Result<Vec<_>>>()?;
        self.inner.execute_batch(&commands)?.iter().map(outcome_json).collect()
    }

    // ----- account settings -----

    /// Adds an employee (R05) with `roles` (default none), whose mail is
    /// written in `language` (default `en`); returns the new user's id.
    #[uniffi::method(default(roles = [], language = None))]
    pub fn add_user(&self, name: String, email: String, roles: Vec<Role>, language: Option<String>) -> Result<String> {
        Ok(self.inner.add_user_with_language(&name, &email, &self::roles(roles), language.as_deref())?.to_string())
    }

    /// Replaces a user's roles (R04: at least one Global admin stays).
    pub fn set_user_roles(&self, user_id: String, roles: Vec<Role>) -> Result<()> {
        Ok(self.inner.set_user_roles(id(&user_id)?, &self::roles(roles))?)
    }

    /// Removes a user (offboarding): releases their seats, Azure usage-based
    /// subscription and technical activation in one commit, and mails the
    /// Global admins. The last Global admin and the marketing contact cannot
    /// be removed (`PreconditionFailed`); a User admin removes only users
    /// whose roles they hold (R04). The id is never reused.
    pub fn remove_user(&self, user_id: String) -> Result<()> {
        Ok(self.inner.remove_user(id(&user_id)?)?)
    }

    // ----- packages -----

    /// Buys a package of the catalog (R02); returns the new package.
    pub fn purchase_package(&self, template: String) -> Result<Package> {
        let package = self.inner.purchase_package(&template)?;
        Ok(self.inner.package(package)?.into())
    }

    /// Renews a package inside its window; returns the new expiry (P2).
    pub fn renew_package(&self, package_id: String) -> Result<Timestamp> {
        Ok(self.inner.renew_package(id(&package_id)?)?)
    }

    /// Requests cancellation of a package: the refund, or
    /// `BenefitsException.RefundNotAllowed` saying which condition failed
    /// (the refusal is recorded, R30).
    pub fn cancel_package(&self, package_id: String) -> Result<Money> {
        Ok(self.inner.cancel_package(id(&package_id)?)?.into())
    }

    /// Requests cancellation of a Go-To-Market offer under the same rule (R29).
    pub fn cancel_offer(&self, offer_id: String) -> Result<Money> {
        Ok(self.inner.cancel_offer(id(&offer_id)?)?.into())
    }

    // ----- software and cloud -----

    /// "Get keys" for software in a language and OS (R08–R11); activates it (P1).
    pub fn get_keys(&self, benefit_id: String, language: String, os: String) -> Result<Arc<Keys>> {
        Ok(Arc::new(self.inner.get_keys(id(&benefit_id)?, &language, &os)?.into()))
    }

    /// "Get keys" for a license-based cloud subscription (R13, P4).
    pub fn get_license_keys(&self, benefit_id: String) -> Result<Arc<Keys>> {
        Ok(Arc::new(self.inner.get_license_keys(id(&benefit_id)?)?.into()))
    }

    /// Assigns a Visual Studio subscription (R14), or yourself to Azure (R12).
    pub fn assign_user(&self, benefit_id: String, user_id: String) -> Result<()> {
        Ok(self.inner.assign_user(id(&benefit_id)?, id(&user_id)?)?)
    }

    /// Removes an assigned user (R16).
    pub fn unassign_user(&self, benefit_id: String, user_id: String) -> Result<()> {
        Ok(self.inner.unassign_user(id(&benefit_id)?, id(&user_id)?)?)
    }

    /// Removes `fromUser` and assigns `toUser` in one step (R16).
    pub fn reassign_user(&self, benefit_id: String, from_user: String, to_user: String) -> Result<()> {
        Ok(self.inner.reassign_user(id(&benefit_id)?, id(&from_user)?, id(&to_user)?)?)
    }

    /// Assigns many users to one benefit, one result per row in the order
    /// given, each judged after the rows before it; the rows that succeed
    /// commit together. With `dryRun` the same is decided and nothing is
    /// committed. Needs Global admin (R03); at most 10 000 rows.
    #[uniffi::method(default(dry_run = false))]
    pub fn assign_users(&self, benefit_id: String, user_ids: Vec<String>, dry_run: bool) -> Result<Vec<AssignmentResult>> {
        let benefit = id(&benefit_id)?;
        let users = user_ids.iter().map(|u| id(u)).collect::<Result<Vec<_>>>()?;
        Ok(list(self.inner.assign_users(benefit, &users, dry_run)?))
    }

    // ----- technical -----

    /// Activates a technical benefit for a user with an alternate email (R18–R20).
    pub fn activate_technical(&self, benefit_id: String, user_id: String, alternate_email: String) -> Result<()> {
        Ok(self.inner.activate_technical(id(&benefit_id)?, id(&user_id)?, &alternate_email)?)
    }

    /// Requests assistance, drawing `amount` hours (or incidents) (R21); returns the request id.
    pub fn request_assistance(&self, benefit_id: String, phase: Phase, amount: Decimal, description: String) -> Result<String> {
        Ok(self.inner.request_assistance(id(&benefit_id)?, phase.into(), amount, &description)?.to_string())
    }

    /// Withdraws a submitted request; its hours return.
    pub fn withdraw_request(&self, request_id: String) -> Result<()> {
        Ok(self.inner.withdraw_request(id(&request_id)?)?)
    }

    // ----- Go-To-Market -----

    /// Adds, updates or changes the marketing contact (R25).
    pub fn set_marketing_contact(&self, user_id: String, email: String, phone: String, language: String) -> Result<()> {
        Ok(self.inner.set_marketing_contact(id(&user_id)?, &email, &phone, &language)?)
    }

    /// Activates an offer (R24, R28); returns when it becomes active.
    pub fn activate_offer(&self, offer_id: String) -> Result<Timestamp> {
        Ok(self.inner.activate_offer(id(&offer_id)?)?)
    }

    // ----- queries -----

    /// The organization.
    pub fn organization(&self) -> Result<Organization> {
        Ok(self.inner.organization()?.into())
    }

    /// Its users.
    pub fn users(&self) -> Result<Vec<User>> {
        Ok(list(self.inner.users()?))
    }

    /// What is used of every benefit assigned to users: seats, assigned now,
    /// the most ever assigned at once (`peak`), and hours of technical benefits.
    pub fn usage(&self) -> Result<Vec<Usage>> {
        Ok(list(self.inner.usage()?))
    }

    /// Its packages.
    pub fn packages(&self) -> Result<Vec<Package>> {
        Ok(list(self.inner.packages()?))
    }

    /// One package.
    pub fn package(&self, package_id: String) -> Result<Package> {
        Ok(self.inner.package(id(&package_id)?)?.into())
    }

    /// The benefits of one package.
    pub fn benefits(&self, package_id: String) -> Result<Vec<Benefit>> {
        Ok(list(self.inner.benefits(id(&package_id)?)?))
    }

    /// Every benefit of every package, in one place (R07).
    pub fn all_benefits(&self) -> Result<Vec<Benefit>> {
        Ok(list(self.inner.all_benefits()?))
    }

    /// Every benefit of one category (R07).
    pub fn benefits_in(&self, category: Category) -> Result<Vec<Benefit>> {
        Ok(list(self.inner.benefits_in(category.into())?))
    }

    /// One benefit.
    pub fn benefit(&self, benefit_id: String) -> Result<Benefit> {
        Ok(self.inner.benefit(id(&benefit_id)?)?.into())
    }

    /// Every Go-To-Market offer (R27).
    pub fn offers(&self) -> Result<Vec<Offer>> {
        Ok(list(self.inner.offers()?))
    }

    /// One offer.
    pub fn offer(&self, offer_id: String) -> Result<Offer> {
        Ok(self.inner.offer(id(&offer_id)?)?.into())
    }

    /// The marketing contact, if set.
    pub fn marketing_contact(&self) -> Result<Option<MarketingContact>> {
        Ok(self.inner.marketing_contact()?.map(MarketingContact::from))
    }

    /// Assistance requests.
    pub fn requests(&self) -> Result<Vec<Request>> {
        Ok(list(self.inner.requests()?))
    }

    /// Cancellation service requests and their answers (R30).
    pub fn cancellations(&self) -> Result<Vec<Cancellation>> {
        Ok(list(self.inner.cancellations()?))
    }

    /// The organization's audit log (B2); needs the Global admin role.
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        Ok(list(self.inner.audit_log()?))
    }
}

fn parse_command(json: &str) -> Result<core::Command> {
    serde_json::from_str(json).map_err(|e| BenefitsError::invalid("command", e))
}

fn outcome_json(outcome: &core::Outcome) -> Result<String> {
    serde_json::to_string(outcome).map_err(|e| core::Error::storage(e.to_string()).into())
}
