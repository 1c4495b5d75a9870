//! The changes feed's checks: commit order, paging without a miss or a
//! repeat, nothing from a refused commit, and readers racing writers.

use std::collections::HashSet;
use std::sync::Arc;

use super::{created, level_event, product};
use crate::event::{Actor, Event, RecordedEvent, StreamId};
use crate::store::{Append, Commit, Positioned, Store};

fn append(stream: &StreamId, expected_version: u64, events: Vec<RecordedEvent>) -> Commit {
    Commit { appends: vec![Append { stream: stream.clone(), expected_version, events }], ..Commit::default() }
}

fn pool_stocked(version: u64) -> RecordedEvent {
    RecordedEvent {
        stream: StreamId::KeyPool(product()),
        version,
        at: super::at(),
        actor: Actor::Program,
        event: Event::KeysStocked { first: 0, count: 1 },
    }
}

/// Every change after `after`, read in pages of `page`.
#[allow(clippy::unwrap_used)]
pub fn read_all(store: &dyn Store, after: u64, page: usize) -> Vec<Positioned> {
    let mut all: Vec<Positioned> = Vec::new();
    let mut cursor = after;
    loop {
        let next = store.changes(cursor, page).unwrap();
        let Some(last) = next.last() else { return all };
        cursor = last.position;
        all.extend(next);
    }
}

/// Positions strictly increase and each stream's versions follow on from 1.
#[allow(clippy::panic)]
pub fn assert_ordered(changes: &[Positioned]) {
    for pair in changes.windows(2) {
        assert!(pair[0].position < pair[1].position, "positions must strictly increase: {} then {}", pair[0].position, pair[1].position);
    }
    let mut seen: std::collections::HashMap<&StreamId, u64> = std::collections::HashMap::new();
    for change in changes {
        let last = seen.entry(&change.event.stream).or_insert(0);
        assert_eq!(change.event.version, *last + 1, "`{}` out of version order in the feed", change.event.stream);
        *last = change.event.version;
    }
}

#[allow(clippy::unwrap_used)]
pub(super) fn feed_lists_commits_in_order(store: &dyn Store) {
    assert!(store.changes(0, 10).unwrap().is_empty(), "a fresh store has no changes");
    let (a, b) = (store.allocate_organization_id().unwrap(), store.allocate_organization_id().unwrap());
    let (stream_a, stream_b, pool) = (StreamId::Organization(a), StreamId::Organization(b), StreamId::KeyPool(product()));
    store.commit(append(&stream_a, 0, created(a))).unwrap();
    // One commit over two streams: both of its events, next to each other.
    let two = Commit {
        appends: vec![
            Append { stream: pool.clone(), expected_version: 0, events: vec![pool_stocked(1)] },
            Append { stream: stream_b.clone(), expected_version: 0, events: created(b) },
        ],
        ..Commit::default()
    };
    store.commit(two).unwrap();
    store.commit(append(&stream_a, 1, vec![level_event(a, 2), level_event(a, 3)])).unwrap();
    // Refused (stale): adds nothing to the feed.
    assert!(store.commit(append(&stream_b, 0, created(b))).is_err());

    // Read until all five are there: a server may hold the newest back while
    // an older transaction (anyone's) is open.
    let all = follow(store, 100, 5);
    assert_ordered(&all);
    let order: Vec<(StreamId, u64)> = all.iter().map(|c| (c.event.stream.clone(), c.event.version)).collect();
    assert_eq!(order.len(), 5, "{order:?}");
    assert_eq!(order[0], (stream_a.clone(), 1));
    let middle: HashSet<(StreamId, u64)> = order[1..3].iter().cloned().collect();
    assert_eq!(middle, HashSet::from([(pool.clone(), 1), (stream_b.clone(), 1)]), "a commit's events are adjacent");
    assert_eq!(order[3..], [(stream_a.clone(), 2), (stream_a.clone(), 3)]);
    assert_eq!(all[0].event, created(a)[0], "a change carries the event as committed");

    assert_eq!(read_all(store, 0, 2), all, "paging by two gives the same as one page");
    assert_eq!(store.changes(all[2].position, 100).unwrap(), all[3..].to_vec(), "after a position: only what follows it");
    assert_eq!(store.changes(all[0].position, 1).unwrap(), all[1..2].to_vec(), "the limit is kept");
    assert!(store.changes(all[4].position, 100).unwrap().is_empty());
    assert!(store.changes(u64::MAX, 100).unwrap().is_empty());
}

/// Readers page while two writers commit: what they read, in the order
/// read, is exactly the feed read afterwards, so nothing was missed (a
/// lower position appearing later) and nothing repeated.
#[allow(clippy::unwrap_used, clippy::expect_used)]
pub(super) fn readers_racing_writers_miss_nothing(store: Arc<dyn Store>) {
    const COMMITS: u64 = 60;
    let writers: Vec<_> = (0..2)
        .map(|_| {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let org = store.allocate_organization_id().unwrap();
                let stream = StreamId::Organization(org);
                store.commit(append(&stream, 0, created(org))).unwrap();
                for version in 2..=COMMITS {
                    store.commit(append(&stream, version - 1, vec![level_event(org, version)])).unwrap();
                }
            })
        })
        .collect();
    let reader = {
        let store = Arc::clone(&store);
        std::thread::spawn(move || follow(store.as_ref(), 7, 2 * COMMITS as usize))
    };
    for writer in writers {
        writer.join().expect("a writer panicked");
    }
    let read = reader.join().expect("the reader panicked");
    assert_eq!(read.len() as u64, 2 * COMMITS, "every event read once");
    assert_read_is_the_feed(store.as_ref(), &read);
}

/// Pages through the feed from the start, `page` at a time, while writers
/// run, until it has read `expected` events; what it read, in the order
/// read. It stops on a count, not on an empty page: on a server where any
/// open transaction holds the feed back, an empty page does not mean the
/// writers' events are all there. Panics if they are not within a minute.
#[allow(clippy::unwrap_used, clippy::panic)]
pub fn follow(store: &dyn Store, page: usize, expected: usize) -> Vec<Positioned> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let mut read: Vec<Positioned> = Vec::new();
    let mut cursor = 0;
    while read.len() < expected {
        assert!(std::time::Instant::now() < deadline, "the feed showed {} of {expected} events within a minute", read.len());
        let next = store.changes(cursor, page).unwrap();
        match next.last() {
            Some(last) => cursor = last.position,
            None => std::thread::yield_now(),
        }
        read.extend(next);
    }
    read
}

/// What a reader read while others wrote is, in order, the whole feed read
/// afterwards: no event was missed (a lower position appearing after a higher
/// one was read) and none repeated.
pub fn assert_read_is_the_feed(store: &dyn Store, read: &[Positioned]) {
    assert_ordered(read);
    assert_eq!(read, read_all(store, 0, 1000).as_slice(), "what was read while writing is the feed itself");
}
