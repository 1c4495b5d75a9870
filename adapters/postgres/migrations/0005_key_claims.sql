-- Keys are claimed in the vault (ADR 9). `holder` marks an entry handed out:
-- the benefit it was claimed for (`pkg-7-2/0`), or, for the ranges purchases
-- took by slot before, their package (`pkg-7-2`), as the pools'
-- `keys_allocated` events tell. A free entry has none; purchases claim free
-- entries with FOR UPDATE SKIP LOCKED through pb_vault_free.
ALTER TABLE pb_vault ADD COLUMN holder text;
UPDATE pb_vault v SET holder = taken.package
FROM (
    SELECT substr(stream, 6) AS product,
           (body::jsonb -> 'event' ->> 'first')::bigint AS first,
           (body::jsonb -> 'event' ->> 'count')::bigint AS count,
           body::jsonb -> 'event' ->> 'package' AS package
    FROM pb_events
    WHERE stream LIKE 'pool:%' AND body::jsonb -> 'event' ->> 'type' = 'keys_allocated'
) AS taken
WHERE v.product = taken.product AND v.slot >= taken.first AND v.slot < taken.first + taken.count;
CREATE INDEX pb_vault_free ON pb_vault (product, slot) WHERE holder IS NULL;
CREATE INDEX pb_vault_holder ON pb_vault (product, holder) WHERE holder IS NOT NULL;

-- A process of an older release still writing to this database hands keys
-- out by slot range: its range is marked with its package as it is recorded,
-- and refused when a claim took one of its slots (the check runs after the
-- update, which waits for claims in flight), so no key is issued twice while
-- instances are upgraded one by one. The function runs with the schema it
-- was created in, whatever the writer's search_path.
CREATE FUNCTION pb_vault_range_handed_out() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    taken jsonb := NEW.body::jsonb -> 'event';
    pool text := substr(NEW.stream, 6);
    first_slot bigint := (taken ->> 'first')::bigint;
    end_slot bigint := (taken ->> 'first')::bigint + (taken ->> 'count')::bigint;
    package text := taken ->> 'package';
BEGIN
    UPDATE pb_vault SET holder = package
    WHERE pb_vault.product = pool AND pb_vault.holder IS NULL AND pb_vault.slot >= first_slot AND pb_vault.slot < end_slot;
    IF EXISTS (SELECT 1 FROM pb_vault
               WHERE pb_vault.product = pool AND pb_vault.holder <> package
                 AND pb_vault.slot >= first_slot AND pb_vault.slot < end_slot) THEN
        -- Not a serialization failure: the older release would retry the same
        -- range, which can never pass (claims take the lowest free slots).
        RAISE EXCEPTION 'a key of slot range % to % of % was already handed out', first_slot, end_slot - 1, pool;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER pb_vault_range_handed_out AFTER INSERT ON pb_events FOR EACH ROW
    WHEN (NEW.stream LIKE 'pool:%' AND NEW.body::jsonb -> 'event' ->> 'type' = 'keys_allocated')
    EXECUTE FUNCTION pb_vault_range_handed_out();
