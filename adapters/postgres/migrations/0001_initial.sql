-- partner-benefits PostgreSQL schema, version 1.
-- Applied by PostgresStore::connect inside one transaction under an advisory lock.

CREATE SEQUENCE pb_organization_ids;

-- The head of each stream: its version, bumped with a compare-and-set in the
-- committing transaction (optimistic concurrency, enforced by the database).
CREATE TABLE pb_streams (
    stream       text   PRIMARY KEY,
    organization bigint NULL,
    version      bigint NOT NULL CHECK (version >= 0)
);
CREATE INDEX pb_streams_organization ON pb_streams (organization) WHERE organization IS NOT NULL;

-- Append-only events; (stream, version) is unique, so two writers can never
-- both add the same version.
CREATE TABLE pb_events (
    stream  text   NOT NULL,
    version bigint NOT NULL CHECK (version >= 1),
    body    text   NOT NULL,
    PRIMARY KEY (stream, version)
);

CREATE TABLE pb_snapshots (
    stream  text   PRIMARY KEY,
    version bigint NOT NULL,
    state   text   NOT NULL
);

CREATE TABLE pb_vault (
    product text   NOT NULL,
    slot    bigint NOT NULL,
    key     text   NOT NULL,
    PRIMARY KEY (product, slot)
);

CREATE TABLE pb_idempotency (
    organization bigint NOT NULL,
    key          text   NOT NULL,
    request      text   NOT NULL,
    outcome      text   NOT NULL,
    PRIMARY KEY (organization, key)
);

-- The mail outbox. `due` is false once sent (final); `lease_until` holds a
-- dispatcher's claim (microseconds since the Unix epoch, UTC).
CREATE TABLE pb_outbox (
    seq         bigserial PRIMARY KEY,
    id          text      NOT NULL UNIQUE,
    mail        text      NOT NULL,
    delivery    text      NOT NULL,
    due         boolean   NOT NULL,
    lease_until bigint    NULL
);
CREATE INDEX pb_outbox_due ON pb_outbox (seq) WHERE due;
