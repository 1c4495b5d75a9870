//! Keys claimed in the vault (ADR 9): a commit marks free entries with the
//! benefit they go to. Each claim takes the lowest free entries no other
//! commit is claiming (`FOR UPDATE SKIP LOCKED`), so purchases of distinct
//! organizations neither wait for each other nor see a version move; an
//! entry's mark is set only while it is free, so no key is issued twice.

use partner_benefits::event::KeyClaim;
use partner_benefits::sealing::Keyring;
use partner_benefits::store::{Claim, ClaimSlots, keys_ran_out, range_not_free};
use partner_benefits::values::Code;
use partner_benefits::{Error, LicenseKey};
use postgres::Transaction;

use crate::pool::Conn;
use crate::statements::Statements;
use crate::vault::open_entry;
use crate::{fail, to_i64, to_u64};

/// Marks each claim's entries inside the commit's transaction.
pub(crate) fn claim(tx: &mut Transaction<'_>, st: &Statements, claims: &[Claim]) -> Result<(), Error> {
    for Claim { product, holder, slots } in claims {
        let holder = holder.to_string();
        match *slots {
            ClaimSlots::Free(count) => {
                let marked = tx.execute(&st.claim_free, &[&holder, &product.as_str(), &i64::from(count)]).map_err(fail("claiming keys"))?;
                if marked < u64::from(count) {
                    // Entries other commits hold locks on still look free
                    // here: those commits may yet roll back, so this is a
                    // race to retry, not a dry pool.
                    let in_flight: i64 =
                        tx.query_one(&st.free_keys, &[&product.as_str(), &1_i64]).map_err(fail("counting free keys"))?.get(0);
                    if in_flight > 0 {
                        return Err(Error::Conflict {
                            reason: format!("other commits were claiming the last keys of `{product}`; reload and retry"),
                        });
                    }
                    return Err(keys_ran_out(product, marked, count));
                }
            }
            ClaimSlots::Range { first, count } => {
                let end = first.saturating_add(u64::from(count));
                let (from, to) = (to_i64(first, "slot")?, to_i64(end, "slot")?);
                let marked = tx.execute(&st.claim_range, &[&holder, &product.as_str(), &from, &to]).map_err(fail("claiming key slots"))?;
                if marked < u64::from(count) {
                    let rows = tx.query(&st.marked_by, &[&product.as_str(), &from, &to, &holder]).map_err(fail("reading claimed slots"))?;
                    let ours = rows.iter().map(|r| to_u64(r.get(0), "slot")).collect::<Result<Vec<u64>, Error>>()?;
                    return Err(range_not_free(product, first, count, &ours));
                }
            }
        }
    }
    Ok(())
}

/// Free entries of `product`, counted up to `up_to`.
pub(crate) fn free(conn: &mut Conn, product: &Code, up_to: u64) -> Result<u64, Error> {
    let st = conn.st.free_keys.clone();
    let limit = i64::try_from(up_to).unwrap_or(i64::MAX);
    let row = conn.client.query_one(&st, &[&product.as_str(), &limit]).map_err(fail("counting free keys"))?;
    to_u64(row.get(0), "key count")
}

/// The entries of `product` marked with `claim`, in slot order.
pub(crate) fn claimed(conn: &mut Conn, keyring: &Keyring, product: &Code, claim: &KeyClaim) -> Result<Vec<(u64, LicenseKey)>, Error> {
    let st = conn.st.claimed_keys.clone();
    let rows = conn.client.query(&st, &[&product.as_str(), &claim.to_string()]).map_err(fail("reading claimed keys"))?;
    rows.iter()
        .map(|row| {
            let slot = to_u64(row.get("slot"), "slot")?;
            Ok((slot, open_entry(row, keyring, product.as_str(), slot)?))
        })
        .collect()
}
