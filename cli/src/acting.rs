//! Who the command line acts as: the organization given as `ORG`, and the
//! user given with `--as` (an id such as `usr-7-2`, or an email address).
//! Reads that name no user are made as the organization's first Global
//! admin: the command line holds the store, so it shows what any admin may see.

use partner_benefits::{BenefitCenter, Error, OrganizationId, Role, Session, UserId, UserView};

use crate::failure::{Context, Failure};
use crate::open::stream_version;

/// The organization id `ORG` (`org-7`).
pub fn organization(text: &str) -> Result<OrganizationId, Failure> {
    Ok(text.parse()?)
}

/// A session of `organization` that may read it: the first user, by id,
/// who still belongs to it and holds a role. Ids are handed out in order
/// and never reused, so the stream's length bounds the search.
fn viewer(center: &BenefitCenter, organization: OrganizationId) -> Result<Session, Error> {
    let mut bound = 1;
    let mut seq = 1;
    while seq <= bound {
        let session = center.session(organization, UserId::new(organization, seq));
        match session.users() {
            Ok(_) => return Ok(session),
            Err(Error::NotFound { kind: "user", .. } | Error::PermissionDenied { .. }) => {}
            Err(other) => return Err(other),
        }
        if seq == 1 {
            bound = u32::try_from(stream_version(center.store().as_ref(), organization)?).unwrap_or(u32::MAX);
        }
        seq += 1;
    }
    Err(Error::storage(format!("organization `{organization}` has no user who may read it")))
}

/// A session as the organization's first Global admin (an organization
/// always keeps one, R04), with its users. Unknown organization: `not_found`.
pub fn reader(center: &BenefitCenter, organization: OrganizationId) -> Result<(Session, Vec<UserView>), Failure> {
    let viewer = viewer(center, organization)?;
    let users = viewer.users()?;
    let admin = users
        .iter()
        .find(|u| u.roles.contains(&Role::GlobalAdmin))
        .map(|u| u.id)
        .ok_or_else(|| Error::storage(format!("organization `{organization}` has no Global admin")))?;
    Ok((center.session(organization, admin), users))
}

/// The user `text` names among `users`: an id, or an email address (any case).
pub fn user_named(text: &str, users: &[UserView]) -> Result<Option<UserId>, Error> {
    let text = text.trim();
    if text.contains('@') {
        let wanted = text.to_lowercase();
        return Ok(users.iter().find(|u| u.email.as_str() == wanted).map(|u| u.id));
    }
    let id: UserId = text.parse()?;
    Ok(users.iter().any(|u| u.id == id).then_some(id))
}

/// The session `--as USER` acts as, among the organization's `users`.
pub fn acting_as(center: &BenefitCenter, organization: OrganizationId, text: &str, users: &[UserView]) -> Result<Session, Failure> {
    match user_named(text, users).context(|| "--as".to_string())? {
        Some(user) => Ok(center.session(organization, user)),
        None => Err(Error::NotFound { kind: "user", id: text.trim().to_string() }.into()),
    }
}
