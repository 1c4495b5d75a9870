-- partner-benefits PostgreSQL schema, version 3: the changes feed.
--
-- Sequence values become visible out of order (a transaction that took a
-- lower number can commit after one that took a higher), so a position taken
-- at insert time would let a reader page past an event that appears later.
-- Instead each event records the transaction that wrote it (`txid`), and a
-- position is given only to events of transactions older than every one still
-- in flight (below the snapshot's xmin): their set can no longer change. The
-- reader gives those positions, under a lock only readers take, so writers of
-- distinct organizations never wait on the feed. See docs/adr/0007-changes-feed.md.

ALTER TABLE pb_events
    ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
    ADD COLUMN position bigint NULL;

-- Events written before this version were not numbered when committed: they
-- are numbered by when they happened, each stream's events in version order
-- (the time is the highest so far in the stream, as a clock set back can make
-- a later event earlier), ties by stream (bytewise, as SQLite orders it) then version.
UPDATE pb_events e SET position = numbered.position
FROM (
    SELECT stream, version, row_number() OVER (ORDER BY at, stream COLLATE "C", version) AS position
    FROM (
        SELECT stream, version, max((body::jsonb ->> 'at')::timestamptz) OVER (PARTITION BY stream ORDER BY version) AS at
        FROM pb_events
    ) reached
) numbered
WHERE e.stream = numbered.stream AND e.version = numbered.version;

CREATE UNIQUE INDEX pb_events_position ON pb_events (position);
CREATE INDEX pb_events_unpositioned ON pb_events (txid, stream, version) WHERE position IS NULL;
