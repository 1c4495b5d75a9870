//! `vault status` and `vault reseal`: how the key vault is kept at rest, and
//! sealing it under the vault key (a 0.1.0 vault in place, or a rotation).

use partner_benefits_host::Target;
use serde::Serialize;

use crate::failure::Failure;
use crate::{output, progress};

/// Arguments of `vault status`.
#[derive(Debug, clap::Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// Arguments of `vault reseal`.
#[derive(Debug, clap::Args)]
pub struct ResealArgs {
    /// Entries sealed per transaction (1 to 10000). Each batch commits on
    /// its own, so an interrupted run resumes where it stopped.
    #[arg(long, default_value_t = 1000)]
    batch: u32,
    /// Print JSON instead of a line.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Status {
    /// Entries kept in clear.
    clear: u64,
    /// Sealed entries per vault key id.
    sealed: std::collections::BTreeMap<String, u64>,
    /// The id of the key given with `--vault-key-file`, if any.
    sealing_key: Option<String>,
    /// Entries `vault reseal` would seal.
    to_reseal: u64,
}

/// Prints the vault's entries in clear and sealed per key id.
pub fn status(target: &Target, args: StatusArgs) -> Result<(), Failure> {
    let opened = crate::open::open(target, false, None)?;
    let vault = opened.center.vault_status()?;
    let to_reseal = vault.to_reseal();
    let status = Status { clear: vault.clear, sealed: vault.sealed, sealing_key: vault.sealing_key, to_reseal };
    if args.json {
        return output::json(&status);
    }
    let mut rows = vec![vec!["in clear".into(), status.clear.to_string()]];
    for (id, count) in &status.sealed {
        rows.push(vec![format!("sealed under {id}"), count.to_string()]);
    }
    rows.push(vec!["vault key given".into(), status.sealing_key.clone().unwrap_or_else(|| "none".into())]);
    rows.push(vec!["to reseal".into(), status.to_reseal.to_string()]);
    output::table(&["VAULT", "ENTRIES"], rows)
}

#[derive(Serialize)]
struct Done {
    resealed: u64,
    batches: u64,
    sealing_key: Option<String>,
}

/// Seals every entry in clear or under a previous key, a batch at a time.
pub fn reseal(target: &Target, args: ResealArgs) -> Result<(), Failure> {
    let opened = crate::open::open(target, false, None)?;
    let center = &opened.center;
    let bar = progress::bar(center.vault_status()?.to_reseal(), "resealing");
    let (mut resealed, mut batches) = (0, 0);
    loop {
        let done = center.reseal_vault(args.batch)?;
        resealed += done.resealed;
        batches += 1;
        bar.set_length(resealed + done.remaining);
        bar.set_position(resealed);
        if done.remaining == 0 {
            break;
        }
    }
    bar.finish_and_clear();
    let done = Done { resealed, batches, sealing_key: center.vault_status()?.sealing_key };
    if args.json {
        return output::json(&done);
    }
    println!("resealed {} entries in {} batches under vault key {}", done.resealed, done.batches, done.sealing_key.unwrap_or_default());
    Ok(())
}
