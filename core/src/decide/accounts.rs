//! Account settings: users and roles (R01, R04, R05).

use std::collections::BTreeMap;

use super::Tx;
use super::benefits::release_everything_of;
use crate::Error;
use crate::command::Outcome;
use crate::event::Event;
use crate::ids::UserId;
use crate::mail::MailTopic;
use crate::permission::Role;
use crate::role_change;
use crate::role_set::RoleSet;
use crate::values::{Email, Language, display_name};

fn normalized(roles: &[Role]) -> Vec<Role> {
    let mut roles = roles.to_vec();
    roles.sort();
    roles.dedup();
    roles
}

pub(super) fn add_user(tx: &mut Tx<'_>, name: &str, email: &str, roles: &[Role], language: Option<&str>) -> Result<Outcome, Error> {
    let name = display_name("name", name)?;
    let email = Email::parse("email", email)?;
    let language = language.map(|l| Language::parse("language", l)).transpose()?.unwrap_or_else(Language::english);
    let roles = normalized(roles);
    let actor = tx.acting_user()?;
    role_change::authorize(actor.id, actor.roles, None, RoleSet::EMPTY, RoleSet::from(&roles[..]))?;
    if tx.state.has_user_email(&email) {
        return Err(Error::conflict(format!("a user with email `{email}` already exists")));
    }
    let user = tx.next_user();
    tx.emit(Event::UserAdded { user, name, email, roles, language });
    Ok(Outcome::UserAdded { user })
}

pub(super) fn set_roles(tx: &mut Tx<'_>, user: UserId, roles: &[Role]) -> Result<Outcome, Error> {
    let target = tx.user(user)?;
    let roles = normalized(roles);
    let actor = tx.acting_user()?;
    role_change::authorize(actor.id, actor.roles, Some(user), target.roles, RoleSet::from(&roles[..]))?;
    let was_global = target.roles.contains(Role::GlobalAdmin);
    let is_global = roles.contains(&Role::GlobalAdmin);
    // R04: never leave the organization without a Global admin.
    if was_global && !is_global && tx.state.global_admins().count() == 1 {
        return Err(Error::precondition("an organization keeps at least one Global admin; make someone else Global admin first"));
    }
    tx.emit(Event::UserRolesChanged { user, roles });
    Ok(Outcome::Done)
}

/// Offboarding: releases what `user` holds, then removes them, in one commit.
pub(super) fn remove_user(tx: &mut Tx<'_>, user: UserId) -> Result<Outcome, Error> {
    let target = tx.user(user)?;
    let actor = tx.acting_user()?;
    // Removing a user takes away all their roles: the same rule bounds who
    // may do it (a User admin never removes a Global admin, R04).
    role_change::authorize(actor.id, actor.roles, Some(user), target.roles, RoleSet::EMPTY)?;
    // R04: never leave the organization without a Global admin.
    if target.roles.contains(Role::GlobalAdmin) && tx.state.global_admins().count() == 1 {
        return Err(Error::precondition("an organization keeps at least one Global admin; make someone else Global admin first"));
    }
    // R24-R25: Go-To-Market needs its contact; change it before the user goes.
    if tx.state.marketing_contact.as_ref().is_some_and(|contact| contact.user == user) {
        return Err(Error::precondition(format!("`{user}` is the marketing contact; set another marketing contact first")));
    }
    let released = release_everything_of(tx, user)?;
    tx.emit(Event::UserRemoved { user });
    // One mail to each remaining Global admin, in their language: one per language.
    let mut by_language: BTreeMap<&Language, Vec<Email>> = BTreeMap::new();
    for admin in tx.state.global_admins().filter(|admin| admin.id != user) {
        by_language.entry(&admin.language).or_default().push(admin.email.clone());
    }
    let (now, actor) = (tx.now, tx.actor);
    for (language, to) in by_language {
        let topic = MailTopic::UserRemoved { user: target.name.clone(), email: target.email.to_string(), released: released.clone() };
        tx.mail(now, actor, to, language, topic);
    }
    Ok(Outcome::Done)
}
