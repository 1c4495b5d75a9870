-- A license key is stocked and issued once, under any product: each commit
-- that stocks keys looks them up by their text, so that lookup needs an index.
-- Not UNIQUE: a database written by 0.1.0 may already hold a key twice, and
-- it must keep opening; new duplicates are refused by the store.
CREATE INDEX pb_vault_key ON pb_vault (key);
