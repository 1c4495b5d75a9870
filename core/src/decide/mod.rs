//! Applying commands: authorize, validate, run the state machines and
//! produce the events and mail to commit. Pure: no I/O, no clock reads.

mod accounts;
mod batch;
mod benefits;
mod due;
mod go_to_market;
mod packages;
mod program;
mod tx;

pub(crate) use batch::{Decider, Work};
pub(crate) use due::{collect_due, earliest_due, package_earliest_due};
pub(crate) use go_to_market::unavailable_reason;
pub(crate) use program::ProgramOp;
pub(crate) use tx::Tx;

use std::collections::BTreeMap;

use crate::Error;
use crate::command::{Command, Outcome};
use crate::permission;
use crate::values::Code;

/// Decides `command` for the acting user of `tx`. `free` holds how many
/// keys each pool the work draws from had free when it was read (counted up
/// to what the work could take).
pub(crate) fn decide(tx: &mut Tx<'_>, command: &Command, free: &BTreeMap<Code, u64>) -> Result<Outcome, Error> {
    // Every command checks its permission before anything else (B1).
    let actor = tx.acting_user()?;
    permission::require(actor.roles, command.permission())?;
    match command {
        Command::AddUser { name, email, roles, language } => accounts::add_user(tx, name, email, roles, language.as_deref()),
        Command::SetUserRoles { user, roles } => accounts::set_roles(tx, *user, roles),
        Command::RemoveUser { user } => accounts::remove_user(tx, *user),
        Command::PurchasePackage { template } => packages::purchase(tx, template, free),
        Command::RenewPackage { package } => packages::renew(tx, *package),
        Command::CancelPackage { package } => packages::cancel_package(tx, *package),
        Command::CancelOffer { offer } => packages::cancel_offer(tx, *offer),
        Command::GetKeys { benefit, language, os } => benefits::get_keys(tx, *benefit, language.as_deref(), os.as_deref()),
        Command::AssignUser { benefit, user } => benefits::assign(tx, *benefit, *user),
        Command::UnassignUser { benefit, user } => benefits::unassign(tx, *benefit, *user),
        Command::ReassignUser { benefit, from, to } => benefits::reassign(tx, *benefit, *from, *to),
        Command::ActivateTechnical { benefit, user, alternate_email } => benefits::activate_technical(tx, *benefit, *user, alternate_email),
        Command::RequestAssistance { benefit, phase, amount, description } => {
            benefits::request_assistance(tx, *benefit, *phase, *amount, description)
        }
        Command::WithdrawRequest { request } => benefits::withdraw_request(tx, *request),
        Command::SetMarketingContact { user, email, phone, language } => go_to_market::set_contact(tx, *user, email, phone, language),
        Command::ActivateOffer { offer } => go_to_market::activate(tx, *offer),
    }
}
