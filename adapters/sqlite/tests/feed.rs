//! The changes feed on one file written by two processes at once: a reader
//! in a third connection pages through it meanwhile and misses nothing,
//! repeats nothing, and sees each stream in version order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use std::process::{Command as Process, Stdio};
use std::sync::Arc;

use common::center_at;
use partner_benefits::conformance::changes::{assert_read_is_the_feed, follow};
use partner_benefits::{OrganizationId, Store, StreamId};
use partner_benefits_sqlite::SqliteStore;

const CHILD: &str = "PB_FEED_CHILD";
/// Users each writer adds, one commit each, to its own organization.
const USERS: usize = 40;

/// A writer: makes its organization, then adds users one commit at a time.
#[test]
fn feed_writer_entry() {
    let Ok(path) = std::env::var(CHILD) else { return };
    let tag = std::env::var("PB_TAG").unwrap();
    let center = center_at(std::path::Path::new(&path), 0);
    let org = center.create_organization(&format!("Writer {tag}"), "partners@w.example", "Avery Admin", "avery@w.example").unwrap();
    let admin = center.session(org.id, org.admin_id);
    for i in 0..USERS {
        admin.add_user(&format!("User {i}"), &format!("user{i}@{tag}.example"), &[]).unwrap();
    }
}

#[test]
fn two_writer_processes_and_a_paging_reader_see_every_event_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("benefits.db");
    // Some history first, so the reader starts behind.
    common::setup(&center_at(&path, 0), 3);
    let reader = SqliteStore::open(&path).unwrap();
    let before = partner_benefits::conformance::changes::read_all(&reader, 0, 1000).len();
    let mut writers: Vec<_> = ["a", "b"]
        .iter()
        .map(|tag| {
            Process::new(std::env::current_exe().unwrap())
                .args(["feed_writer_entry", "--exact", "--nocapture", "--test-threads=1", "-q"])
                .env(CHILD, &path)
                .env("PB_TAG", tag)
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    // Each writer: its organization's creation and its users.
    let read = follow(&reader, 5, before + 2 * (1 + USERS));
    for writer in &mut writers {
        assert!(writer.wait().unwrap().success(), "a writer failed");
    }
    assert_read_is_the_feed(&reader, &read);
    // Exactly the events the streams hold, each once.
    let store: Arc<dyn Store> = Arc::new(SqliteStore::open(&path).unwrap());
    let organizations: Vec<OrganizationId> = store.organizations().unwrap();
    assert_eq!(organizations.len(), 3, "the setup's organization and the two writers'");
    let mut stored = 0;
    let mut streams: Vec<StreamId> = organizations.into_iter().map(StreamId::Organization).collect();
    streams.extend(read.iter().map(|c| c.event.stream.clone()).filter(|s| matches!(s, StreamId::KeyPool(_))));
    streams.sort_by_key(ToString::to_string);
    streams.dedup();
    for stream in &streams {
        stored += store.read_events(stream, 0, usize::MAX).unwrap().len();
    }
    assert_eq!(read.len(), stored, "every stored event read once");
    let written = read.iter().filter(|c| c.event.event.kind() == "user_added").count();
    assert_eq!(written, 3 + 2 * USERS, "the setup's users and both writers'");
}
