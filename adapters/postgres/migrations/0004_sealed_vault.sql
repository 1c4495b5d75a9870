-- License keys sealed at rest. An entry is either in clear (`key`, as every
-- 0.1.0 entry is until it is sealed) or sealed (`key_id`, `sealed` and
-- `fingerprint` together). The fingerprint is not UNIQUE for the reason
-- pb_vault_key is not.
ALTER TABLE pb_vault
    ALTER COLUMN key DROP NOT NULL,
    ADD COLUMN key_id text,
    ADD COLUMN sealed bytea,
    ADD COLUMN fingerprint bytea,
    ADD CONSTRAINT pb_vault_one_form CHECK (
        (key IS NULL) = (sealed IS NOT NULL)
        AND (sealed IS NULL) = (key_id IS NULL)
        AND (sealed IS NULL) = (fingerprint IS NULL));
CREATE INDEX pb_vault_fingerprint ON pb_vault (fingerprint) WHERE fingerprint IS NOT NULL;
CREATE INDEX pb_vault_key_id ON pb_vault (key_id);
