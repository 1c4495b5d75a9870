//! The changes feed: every committed event of every stream, in commit
//! order, for hosts that react to changes (webhooks, a search index, a BI
//! sync) without re-reading every organization. A change names what
//! happened and where, never its details: no key is ever in one (B3).

use crate::error::Error;
use crate::event::StreamId;
use crate::ids::OrganizationId;
use crate::lifecycle::Timestamp;
use crate::store::Positioned;

/// The most changes one call returns.
pub const MAX_CHANGES_PAGE: u32 = 10_000;

/// One committed event in the feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Its place in the feed: strictly increasing in commit order. Page on
    /// with `after = position` of the last change read.
    pub position: u64,
    /// The stream (`org-1`, `pool:windows-server`).
    pub stream: String,
    /// The organization of the stream; `None` for program streams (key pools).
    pub organization_id: Option<OrganizationId>,
    /// The event's version in its stream.
    pub version: u64,
    /// When it happened.
    pub at: Timestamp,
    /// Who: a user id, `program` or `clock`.
    pub actor: String,
    /// The event kind (`package_purchased`, `seat_assigned`, …).
    pub kind: String,
}

impl From<&Positioned> for Change {
    fn from(positioned: &Positioned) -> Self {
        let recorded = &positioned.event;
        let organization_id = match &recorded.stream {
            StreamId::Organization(id) => Some(*id),
            StreamId::KeyPool(_) => None,
        };
        Self {
            position: positioned.position,
            stream: recorded.stream.to_string(),
            organization_id,
            version: recorded.version,
            at: recorded.at,
            actor: recorded.actor.to_string(),
            kind: recorded.event.kind().to_owned(),
        }
    }
}

/// The page size a caller asked for, refused outside `1..=MAX_CHANGES_PAGE`.
pub(crate) fn page_size(limit: u32) -> Result<usize, Error> {
    if limit == 0 || limit > MAX_CHANGES_PAGE {
        return Err(Error::invalid("limit", format!("{limit} changes asked for; a page holds 1 to {MAX_CHANGES_PAGE}")));
    }
    Ok(limit as usize)
}
