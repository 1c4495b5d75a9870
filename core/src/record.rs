//! Persisted records and their schema versions. A store keeps what this
//! module writes as text; every record names its schema so that a later
//! release reads it as it was written and upgrades it, instead of guessing
//! from its shape.
//!
//! - **Events** are the truth (B2) and are kept forever: each carries
//!   `"schema"`. Release 0.1.0 wrote none: such an event is schema 0, whose
//!   shape schema 1 kept, and upgrades through `From`. An event of a schema
//!   newer than this release knows is a clear `storage` error, never a guess.
//! - **Snapshots** are only a cache of the fold: one of any other schema than
//!   this release's (0.1.0's, an older shape of the fold, damage) is passed
//!   over, and the state rebuilt from the events.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::Error;
use crate::event::{Actor, Event, RecordedEvent, StreamId};
use crate::lifecycle::Timestamp;

/// The schema of events this release writes.
pub const EVENT_SCHEMA: u32 = 1;

/// The schema of snapshots this release writes and reads. Raise it with
/// every change to the shape of the fold's state that a snapshot written
/// before would not read back as (a field without a default, a changed
/// meaning). 3: benefits keep their peak assignment (a schema-2 snapshot
/// lacks it, so it is rebuilt by replay). Keys claimed in the vault (ADR 9)
/// only added a form of `KeySlots` beside the old one, which reads as before.
pub const SNAPSHOT_SCHEMA: u32 = 3;

/// An event as written: the schema, then the recorded event's fields.
#[derive(Serialize)]
struct EventOut<'a> {
    schema: u32,
    stream: &'a StreamId,
    version: u64,
    #[serde(serialize_with = "crate::timestamp_text::serialize")]
    at: &'a Timestamp,
    actor: &'a Actor,
    event: &'a Event,
}

/// An event as release 0.1.0 wrote it (schema 0: no `schema` field), which
/// is also the shape of schema 1. The schema is read beside the fields, in
/// one pass: replaying reads every event of an organization.
#[derive(Deserialize)]
struct EventV0 {
    #[serde(default)]
    schema: u32,
    stream: StreamId,
    version: u64,
    at: Timestamp,
    actor: Actor,
    event: Event,
}

impl From<EventV0> for RecordedEvent {
    fn from(v0: EventV0) -> Self {
        Self { stream: v0.stream, version: v0.version, at: v0.at, actor: v0.actor, event: v0.event }
    }
}

impl Serialize for RecordedEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        EventOut { schema: EVENT_SCHEMA, stream: &self.stream, version: self.version, at: &self.at, actor: &self.actor, event: &self.event }
            .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for RecordedEvent {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let stored = EventV0::deserialize(deserializer)?;
        match stored.schema {
            0 | 1 => Ok(Self::from(stored)),
            newer => Err(D::Error::custom(format!(
                "an event of schema {newer}, written by a newer release of partner-benefits (this one reads up to {EVENT_SCHEMA})"
            ))),
        }
    }
}

/// A snapshot as written: the schema, then the state.
#[derive(Serialize)]
struct SnapshotOut<'a, T> {
    schema: u32,
    state: &'a T,
}

/// A snapshot as read, once its schema is known to be this release's.
#[derive(Deserialize)]
struct SnapshotIn<T> {
    state: T,
}

/// The text of a snapshot of `state`.
pub(crate) fn encode_snapshot<T: Serialize>(state: &T) -> Result<String, Error> {
    serde_json::to_string(&SnapshotOut { schema: SNAPSHOT_SCHEMA, state })
        .map_err(|e| Error::storage(format!("a snapshot does not serialize: {e}")))
}

/// The state a snapshot holds, or `None` when it is not a snapshot of this
/// release's schema (then the state is rebuilt from the events).
pub(crate) fn decode_snapshot<T: DeserializeOwned>(text: &str) -> Option<T> {
    #[derive(Deserialize)]
    struct SchemaOnly {
        schema: u32,
    }
    // The schema is read first, so a snapshot of another schema is never
    // decoded as this one's shape, even where the two happen to agree.
    let schema = serde_json::from_str::<SchemaOnly>(text).ok()?.schema;
    if schema != SNAPSHOT_SCHEMA {
        return None;
    }
    serde_json::from_str::<SnapshotIn<T>>(text).ok().map(|snapshot| snapshot.state)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{OrganizationId, UserId};
    use crate::values::Email;

    fn event() -> RecordedEvent {
        let org = OrganizationId::new(1);
        RecordedEvent {
            stream: StreamId::Organization(org),
            version: 2,
            at: crate::lifecycle::fixed_now_for_tables(),
            actor: Actor::User(UserId::new(org, 1)),
            event: Event::UserRolesChanged { user: UserId::new(org, 2), roles: Vec::new() },
        }
    }

    #[test]
    fn an_event_is_written_with_its_schema_and_reads_back() {
        let text = serde_json::to_string(&event()).unwrap();
        assert!(text.starts_with(r#"{"schema":1,"#), "{text}");
        assert_eq!(serde_json::from_str::<RecordedEvent>(&text).unwrap(), event());
    }

    #[test]
    fn an_event_of_release_0_1_0_without_a_schema_upgrades() {
        let text = r#"{"stream":{"organization":"org-1"},"version":2,"at":"2026-03-02T09:00:00Z","actor":{"kind":"user","user":"usr-1-1"},"event":{"type":"user_roles_changed","user":"usr-1-2","roles":[]}}"#;
        assert_eq!(serde_json::from_str::<RecordedEvent>(text).unwrap(), event());
    }

    #[test]
    fn an_event_of_a_newer_schema_is_refused_by_name() {
        let text = serde_json::to_string(&event()).unwrap().replacen(r#""schema":1"#, r#""schema":7"#, 1);
        let err = serde_json::from_str::<RecordedEvent>(&text).unwrap_err().to_string();
        assert!(err.contains("schema 7") && err.contains("newer release"), "{err}");
    }

    #[test]
    fn a_snapshot_of_another_schema_is_passed_over() {
        let state = vec![Email::sample()];
        let text = encode_snapshot(&state).unwrap();
        assert_eq!(decode_snapshot::<Vec<Email>>(&text), Some(state.clone()));
        // The bare state (how snapshots were written before schemas) and an older schema: rebuilt instead.
        assert_eq!(decode_snapshot::<Vec<Email>>(&serde_json::to_string(&state).unwrap()), None);
        let older = text.replacen(&format!(r#""schema":{SNAPSHOT_SCHEMA}"#), r#""schema":1"#, 1);
        assert_eq!(decode_snapshot::<Vec<Email>>(&older), None);
        assert_eq!(decode_snapshot::<Vec<Email>>("not json"), None);
    }
}
