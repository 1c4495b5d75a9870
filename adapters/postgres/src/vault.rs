//! The key vault in `pb_vault`. An entry is in clear (stocked without a
//! vault key, as 0.1.0 did) or sealed under a vault key (see
//! [`partner_benefits::sealing`]); readers open either, writers seal when
//! the store has a current key.

use std::collections::BTreeMap;

use partner_benefits::sealing::Keyring;
use partner_benefits::store::{Resealed, VaultKey, VaultStatus, key_already_stocked, no_vault_key};
use partner_benefits::{Error, LicenseKey};
use postgres::{IsolationLevel, Row, Transaction};

use crate::pool::Conn;
use crate::statements::Statements;
use crate::{fail, to_i64, to_u64};

/// Checks and inserts the keys inside the commit's transaction.
pub(crate) fn stock(tx: &mut Transaction<'_>, st: &Statements, keyring: &Keyring, keys: &[VaultKey]) -> Result<(), Error> {
    let mut products = Vec::with_capacity(keys.len());
    let mut slots = Vec::with_capacity(keys.len());
    let mut clear_texts = Vec::with_capacity(keys.len());
    let (mut clear, mut key_ids, mut sealed, mut fingerprint) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut lookups, mut owners) = (Vec::new(), Vec::new());
    for (n, key) in keys.iter().enumerate() {
        products.push(key.product.as_str());
        slots.push(to_i64(key.slot, "slot")?);
        clear_texts.push(key.key.reveal());
        for found_by in keyring.fingerprints(&key.key)? {
            lookups.push(found_by);
            owners.push(n as i64 + 1);
        }
        match keyring.seal(key.product.as_str(), key.slot, &key.key)? {
            Some(entry) => {
                clear.push(None);
                key_ids.push(Some(entry.key_id));
                sealed.push(Some(entry.sealed));
                fingerprint.push(Some(entry.fingerprint));
            }
            None => {
                clear.push(Some(key.key.reveal()));
                key_ids.push(None);
                sealed.push(None);
                fingerprint.push(None);
            }
        }
    }
    // Stocking commits queue on this lock, so two of them cannot both find
    // a key absent and both insert it (under any product, B7).
    tx.execute(&st.lock_vault, &[]).map_err(fail("locking the vault"))?;
    if let Some(row) = tx.query_opt(&st.first_stocked, &[&clear_texts, &lookups, &owners]).map_err(fail("looking keys up in the vault"))? {
        let position: i64 = row.get(0);
        return Err(key_already_stocked(usize::try_from(position - 1).unwrap_or(0)));
    }
    tx.execute(&st.insert_keys, &[&products, &slots, &clear, &key_ids, &sealed, &fingerprint])
        .map_err(fail("putting keys in the vault"))?;
    Ok(())
}

/// One stored entry, as read.
pub(crate) fn open_entry(row: &Row, keyring: &Keyring, product: &str, slot: u64) -> Result<LicenseKey, Error> {
    let clear: Option<String> = row.get("key");
    let key_id: Option<String> = row.get("key_id");
    let sealed: Option<Vec<u8>> = row.get("sealed");
    match (clear, key_id, sealed) {
        (Some(clear), _, _) => LicenseKey::new(clear).map_err(|_| Error::storage("a stored license key is malformed")),
        (None, Some(key_id), Some(sealed)) => keyring.open(product, slot, &key_id, &sealed),
        _ => Err(Error::storage(format!("vault slot {slot} of `{product}` holds neither a key nor a sealed one"))),
    }
}

/// The keys in slots `first..first + count` of `product`, each slot present.
pub(crate) fn read(conn: &mut Conn, keyring: &Keyring, product: &str, first: u64, count: u32) -> Result<Vec<LicenseKey>, Error> {
    let end = first.checked_add(u64::from(count)).ok_or_else(|| Error::storage("vault slot range overflows"))?;
    let st = conn.st.vault_keys.clone();
    let rows =
        conn.client.query(&st, &[&product, &to_i64(first, "slot")?, &to_i64(end, "slot")?]).map_err(fail("reading the key vault"))?;
    let mut keys = Vec::with_capacity(rows.len());
    for (expected, row) in (first..end).zip(rows.iter()) {
        if to_u64(row.get("slot"), "slot")? != expected {
            break;
        }
        keys.push(open_entry(row, keyring, product, expected)?);
    }
    if keys.len() as u64 != u64::from(count) {
        let missing = first + keys.len() as u64;
        return Err(Error::storage(format!("vault slot {missing} of `{product}` is empty")));
    }
    Ok(keys)
}

/// The ids of the keys the vault's sealed entries are under.
pub(crate) fn sealed_under(conn: &mut Conn) -> Result<Vec<String>, Error> {
    let st = conn.st.sealed_under.clone();
    Ok(conn.client.query(&st, &[]).map_err(fail("reading the key vault"))?.iter().map(|r| r.get(0)).collect())
}

/// Entries in clear and sealed per key id.
pub(crate) fn status(conn: &mut Conn, keyring: &Keyring) -> Result<VaultStatus, Error> {
    let st = conn.st.vault_status.clone();
    let rows = conn.client.query(&st, &[]).map_err(fail("reading the vault's status"))?;
    let mut status = VaultStatus { sealing_key: keyring.current_id().map(str::to_owned), ..VaultStatus::default() };
    let mut sealed = BTreeMap::new();
    for row in rows {
        let count = to_u64(row.get(1), "vault count")?;
        match row.get::<_, Option<String>>(0) {
            None => status.clear = count,
            Some(id) => {
                sealed.insert(id, count);
            }
        }
    }
    status.sealed = sealed;
    Ok(status)
}

/// Seals up to `batch` entries not under the current key, in one transaction.
pub(crate) fn reseal(conn: &mut Conn, keyring: &Keyring, batch: u32) -> Result<Resealed, Error> {
    let current = keyring.current_id().ok_or_else(no_vault_key)?.to_owned();
    let st = conn.st.clone();
    let mut tx =
        conn.client.build_transaction().isolation_level(IsolationLevel::ReadCommitted).start().map_err(fail("starting a reseal"))?;
    // Queued with stocking commits: a key being stocked meanwhile is looked
    // up against the entries as they are before or after this batch.
    tx.execute(&st.lock_vault, &[]).map_err(fail("locking the vault"))?;
    let due = tx.query(&st.reseal_due, &[&current, &i64::from(batch)]).map_err(fail("reading the entries to reseal"))?;
    let (mut products, mut slots, mut sealed, mut fingerprints) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in &due {
        let product: String = row.get("product");
        let slot: i64 = row.get("slot");
        let key = open_entry(row, keyring, &product, to_u64(slot, "slot")?)?;
        let entry = keyring.seal(&product, to_u64(slot, "slot")?, &key)?.ok_or_else(no_vault_key)?;
        products.push(product);
        slots.push(slot);
        sealed.push(entry.sealed);
        fingerprints.push(entry.fingerprint);
    }
    let resealed = tx.execute(&st.reseal, &[&products, &slots, &current, &sealed, &fingerprints]).map_err(fail("resealing the vault"))?;
    let remaining: i64 = tx.query_one(&st.reseal_remaining, &[&current]).map_err(fail("counting the entries to reseal"))?.get(0);
    tx.commit().map_err(fail("committing a reseal"))?;
    Ok(Resealed { resealed, remaining: to_u64(remaining, "vault count")? })
}
