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
