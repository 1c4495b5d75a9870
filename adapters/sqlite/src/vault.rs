//! The key vault in the file. An entry is in clear (stocked without a vault
//! key, as 0.1.0 did) or sealed under a vault key (see
//! [`partner_benefits::sealing`]); readers open either, writers seal when
//! the store has a current key.

use std::collections::BTreeMap;

use partner_benefits::sealing::{Keyring, SealedEntry};
use partner_benefits::store::{Resealed, VaultKey, VaultStatus, key_already_stocked, no_vault_key};
use partner_benefits::{Error, LicenseKey};
use rusqlite::{Connection, Transaction, params};

use crate::error::{int, is_constraint, sql, uint};

/// A key to stock, prepared before the write lock is taken (sealing and
/// fingerprints are CPU work that need not hold up other writers).
pub(crate) struct Stocking<'k> {
    product: &'k str,
    slot: i64,
    shown_slot: u64,
    clear: &'k str,
    sealed: Option<SealedEntry>,
    fingerprints: Vec<Vec<u8>>,
}

/// Seals (when the ring has a current key) and fingerprints each key.
pub(crate) fn prepare<'k>(keyring: &Keyring, keys: &'k [VaultKey]) -> Result<Vec<Stocking<'k>>, Error> {
    keys.iter()
        .map(|key| {
            Ok(Stocking {
                product: key.product.as_str(),
                slot: int(key.slot, "vault slot")?,
                shown_slot: key.slot,
                clear: key.key.reveal(),
                sealed: keyring.seal(key.product.as_str(), key.slot, &key.key)?,
                fingerprints: keyring.fingerprints(&key.key)?,
            })
        })
        .collect()
}

/// Puts the keys in the vault inside the commit's write transaction.
pub(crate) fn stock(tx: &Transaction<'_>, keys: &[Stocking<'_>], context: &str) -> Result<(), Error> {
    // A key is stocked once under any product (B7), whether the entry holding
    // it is in clear or sealed under any key of the ring. Writers are
    // serialized by the IMMEDIATE transaction, so no other commit can insert
    // the same key between this look-up and the insert.
    let mut in_clear = tx.prepare_cached("SELECT 1 FROM vault WHERE key = ?1 LIMIT 1").map_err(sql(context))?;
    let mut by_fingerprint = tx.prepare_cached("SELECT 1 FROM vault WHERE fingerprint = ?1 LIMIT 1").map_err(sql(context))?;
    let mut insert = tx
        .prepare_cached("INSERT INTO vault (product, slot, key, key_id, sealed, fingerprint) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")
        .map_err(sql(context))?;
    for (position, key) in keys.iter().enumerate() {
        // Looked up before each insert, so a key twice in this commit is found too.
        let mut stocked = in_clear.exists([key.clear]).map_err(sql(context))?;
        for fingerprint in &key.fingerprints {
            stocked = stocked || by_fingerprint.exists([fingerprint]).map_err(sql(context))?;
        }
        if stocked {
            return Err(key_already_stocked(position));
        }
        let inserted = match &key.sealed {
            Some(entry) => insert.execute(params![key.product, key.slot, None::<&str>, entry.key_id, entry.sealed, entry.fingerprint]),
            None => insert.execute(params![key.product, key.slot, key.clear, None::<&str>, None::<Vec<u8>>, None::<Vec<u8>>]),
        };
        inserted.map_err(|e| {
            if is_constraint(&e) {
                Error::Conflict { reason: format!("vault slot {} of `{}` is taken", key.shown_slot, key.product) }
            } else {
                sql(context)(e)
            }
        })?;
    }
    Ok(())
}

/// One stored entry, as read.
pub(crate) struct Entry {
    slot: i64,
    clear: Option<String>,
    key_id: Option<String>,
    sealed: Option<Vec<u8>>,
}

impl Entry {
    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self { slot: row.get("slot")?, clear: row.get("key")?, key_id: row.get("key_id")?, sealed: row.get("sealed")? })
    }

    /// Its slot, as stored.
    pub(crate) fn slot(&self) -> Result<u64, Error> {
        uint(self.slot, "vault slot")
    }

    pub(crate) fn open(self, keyring: &Keyring, product: &str, slot: u64) -> Result<LicenseKey, Error> {
        match (self.clear, self.key_id, self.sealed) {
            (Some(clear), _, _) => {
                LicenseKey::new(clear).map_err(|_| Error::storage(format!("vault slot {slot} of `{product}` holds an unusable key")))
            }
            (None, Some(key_id), Some(sealed)) => keyring.open(product, slot, &key_id, &sealed),
            _ => Err(Error::storage(format!("vault slot {slot} of `{product}` holds neither a key nor a sealed one"))),
        }
    }
}

/// The keys in slots `first..end` of `product`, each slot present.
pub(crate) fn read(tx: &Transaction<'_>, keyring: &Keyring, product: &str, first: u64, end: u64) -> Result<Vec<LicenseKey>, Error> {
    let context = format!("reading the vault of `{product}`");
    let mut statement = tx
        .prepare_cached("SELECT slot, key, key_id, sealed FROM vault WHERE product = ?1 AND slot >= ?2 AND slot < ?3 ORDER BY slot")
        .map_err(sql(&context))?;
    let found: Vec<Entry> = statement
        .query_map(params![product, int(first, "vault slot")?, int(end, "vault slot")?], Entry::from_row)
        .and_then(Iterator::collect)
        .map_err(sql(&context))?;
    let mut found = found.into_iter();
    (first..end)
        .map(|slot| match found.next() {
            Some(entry) if uint(entry.slot, "vault slot")? == slot => entry.open(keyring, product, slot),
            _ => Err(Error::storage(format!("vault slot {slot} of `{product}` is empty"))),
        })
        .collect()
}

/// The ids of the keys the vault's sealed entries are under.
pub(crate) fn sealed_under(conn: &Connection, shown: &str) -> Result<Vec<String>, Error> {
    let context = format!("reading the vault of `{shown}`");
    conn.prepare("SELECT DISTINCT key_id FROM vault WHERE key_id IS NOT NULL ORDER BY key_id")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .map_err(sql(&context))
}

/// Entries in clear and sealed per key id.
pub(crate) fn status(tx: &Transaction<'_>, keyring: &Keyring) -> Result<VaultStatus, Error> {
    let context = "reading the vault's status";
    let counts: Vec<(Option<String>, i64)> = tx
        .prepare_cached("SELECT key_id, count(*) FROM vault GROUP BY key_id")
        .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
        .map_err(sql(context))?;
    let mut status = VaultStatus { sealing_key: keyring.current_id().map(str::to_owned), ..VaultStatus::default() };
    let mut sealed = BTreeMap::new();
    for (key_id, count) in counts {
        let count = uint(count, "vault count")?;
        match key_id {
            None => status.clear = count,
            Some(id) => {
                sealed.insert(id, count);
            }
        }
    }
    status.sealed = sealed;
    Ok(status)
}

/// Seals up to `batch` entries not under the current key, inside `tx`.
pub(crate) fn reseal(tx: &Transaction<'_>, keyring: &Keyring, batch: u32) -> Result<Resealed, Error> {
    let context = "resealing the vault";
    let current = keyring.current_id().ok_or_else(no_vault_key)?;
    let outside = "key_id IS NULL OR key_id <> ?1";
    let due: Vec<(String, Entry)> = tx
        .prepare_cached(&format!("SELECT product, slot, key, key_id, sealed FROM vault WHERE {outside} ORDER BY product, slot LIMIT ?2"))
        .and_then(|mut s| s.query_map(params![current, batch], |r| Ok((r.get("product")?, Entry::from_row(r)?)))?.collect())
        .map_err(sql(context))?;
    let mut update = tx
        .prepare_cached("UPDATE vault SET key = NULL, key_id = ?3, sealed = ?4, fingerprint = ?5 WHERE product = ?1 AND slot = ?2")
        .map_err(sql(context))?;
    let mut resealed = 0;
    for (product, entry) in due {
        let (stored, slot) = (entry.slot, uint(entry.slot, "vault slot")?);
        let key = entry.open(keyring, &product, slot)?;
        let sealed = keyring.seal(&product, slot, &key)?.ok_or_else(no_vault_key)?;
        update.execute(params![product, stored, sealed.key_id, sealed.sealed, sealed.fingerprint]).map_err(sql(context))?;
        resealed += 1;
    }
    let remaining: i64 = tx
        .prepare_cached(&format!("SELECT count(*) FROM vault WHERE {outside}"))
        .and_then(|mut s| s.query_row([current], |r| r.get(0)))
        .map_err(sql(context))?;
    Ok(Resealed { resealed, remaining: uint(remaining, "vault count")? })
}
