//! Keys claimed in the vault (ADR 9): a commit marks free entries with the
//! benefit they go to. Writers are serialized by the commit's IMMEDIATE
//! transaction, so the free entries counted here are the ones marked, and
//! none is marked twice.

use partner_benefits::event::KeyClaim;
use partner_benefits::sealing::Keyring;
use partner_benefits::store::{Claim, ClaimSlots, keys_ran_out, range_not_free, slots_not_free};
use partner_benefits::values::Code;
use partner_benefits::{Error, LicenseKey};
use rusqlite::{Transaction, params};

use crate::error::{int, sql, uint};
use crate::vault::Entry;

/// Marks each claim's entries inside the commit's write transaction; too few
/// free keys (or a named slot not free) refuses the whole commit.
pub(crate) fn claim(tx: &Transaction<'_>, claims: &[Claim], context: &str) -> Result<(), Error> {
    // Lowest free slots first, through the partial index of free entries.
    let mut take_free = tx
        .prepare_cached(
            "UPDATE vault SET holder = ?1 WHERE product = ?2 AND slot IN
                (SELECT slot FROM vault WHERE product = ?2 AND holder IS NULL ORDER BY slot LIMIT ?3)",
        )
        .map_err(sql(context))?;
    let mut take_range = tx
        .prepare_cached("UPDATE vault SET holder = ?1 WHERE product = ?2 AND slot >= ?3 AND slot < ?4 AND (holder IS NULL OR holder = ?1)")
        .map_err(sql(context))?;
    let mut marked_by = tx
        .prepare_cached("SELECT slot FROM vault WHERE product = ?1 AND slot >= ?2 AND slot < ?3 AND holder = ?4 ORDER BY slot")
        .map_err(sql(context))?;
    for Claim { product, holder, slots } in claims {
        let holder = holder.to_string();
        match *slots {
            ClaimSlots::Free(count) => {
                let marked = take_free.execute(params![holder, product.as_str(), count]).map_err(sql(context))?;
                if marked < count as usize {
                    return Err(keys_ran_out(product, marked as u64, count));
                }
            }
            ClaimSlots::Range { first, count } => {
                let end = first.checked_add(u64::from(count)).ok_or_else(|| slots_not_free(product, first))?;
                let (from, to) = (int(first, "vault slot")?, int(end, "vault slot")?);
                let marked = take_range.execute(params![holder, product.as_str(), from, to]).map_err(sql(context))?;
                if marked < count as usize {
                    let ours: Vec<i64> = marked_by
                        .query_map(params![product.as_str(), from, to, holder], |r| r.get(0))
                        .and_then(Iterator::collect)
                        .map_err(sql(context))?;
                    let ours = ours.into_iter().map(|slot| uint(slot, "vault slot")).collect::<Result<Vec<u64>, Error>>()?;
                    return Err(range_not_free(product, first, count, &ours));
                }
            }
        }
    }
    Ok(())
}

/// Free entries of `product`, counted up to `up_to`.
pub(crate) fn free(tx: &Transaction<'_>, product: &Code, up_to: u64) -> Result<u64, Error> {
    let context = format!("counting the free keys of `{product}`");
    let limit = i64::try_from(up_to).unwrap_or(i64::MAX);
    let counted: i64 = tx
        .prepare_cached("SELECT count(*) FROM (SELECT 1 FROM vault WHERE product = ?1 AND holder IS NULL LIMIT ?2)")
        .and_then(|mut s| s.query_row(params![product.as_str(), limit], |r| r.get(0)))
        .map_err(sql(&context))?;
    uint(counted, "key count")
}

/// The entries of `product` marked with `claim`, in slot order.
pub(crate) fn claimed(tx: &Transaction<'_>, keyring: &Keyring, product: &Code, claim: &KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error> {
    let context = format!("reading the keys claimed for {claim}");
    let found: Vec<Entry> = tx
        .prepare_cached("SELECT slot, key, key_id, sealed FROM vault WHERE product = ?1 AND holder = ?2 ORDER BY slot")
        .and_then(|mut s| s.query_map(params![product.as_str(), claim.to_string()], Entry::from_row)?.collect())
        .map_err(sql(&context))?;
    found
        .into_iter()
        .map(|entry| {
            let slot = entry.slot()?;
            Ok((slot, entry.open(keyring, product.as_str(), slot)?))
        })
        .collect()
}
