//! The command line's grammar (clap derive). Each subcommand's arguments
//! live beside its code in `commands/`; their doc comments are `--help`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::commands::{
    assign, audit, backup, changes, dispatch, export, import, orgs, process_due, show, status, usage, users_import, vault,
};

/// Runs a partner program's membership benefits from the shell: over the
/// same SQLite file or PostgreSQL database the library and the bindings use.
///
/// Exit status: 0 done; 1 the operation failed or was refused (one line on
/// stderr, `error[CODE]: message`, CODE the library's stable code); 2 the
/// command line is wrong (`error[usage]: ...`).
#[derive(Debug, Parser)]
#[command(name = "partner-benefits", version, propagate_version = true, subcommand_required = true)]
pub struct Cli {
    /// The store: the path of a SQLite file, or a `postgres://` URL. A SQLite
    /// path that does not exist is refused (`not_found`), not created.
    #[arg(long, global = true, value_name = "TARGET", env = "PARTNER_BENEFITS_DB", hide_env_values = true)]
    pub db: Option<String>,

    /// A file holding the 32-byte vault key (raw, or 64 hex digits) that
    /// seals license keys at rest. Needed to open a store whose vault is
    /// sealed; new keys are sealed under it, and `vault reseal` seals the rest.
    #[arg(long, global = true, value_name = "FILE", env = "PARTNER_BENEFITS_VAULT_KEY_FILE")]
    pub vault_key_file: Option<PathBuf>,

    /// A file holding a vault key being rotated out; repeat for several. It
    /// opens what it sealed until `vault reseal` has moved all under the vault key.
    #[arg(long, global = true, value_name = "FILE")]
    pub previous_vault_key_file: Vec<PathBuf>,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands. Their names are a contract: scripts call them.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every organization of the store.
    Orgs(orgs::Args),
    /// Show one organization: its details, users and packages.
    Show(show::Args),
    /// Seats assigned and their peak, and hours used, per benefit.
    Usage(usage::Args),
    /// An organization's audit log, oldest first.
    Audit(audit::Args),
    /// Manage an organization's users.
    #[command(subcommand)]
    Users(Users),
    /// Assign a benefit to the users listed in a CSV file, all in one commit.
    Assign(assign::Args),
    /// Record everything that fell due (activations, expiries, reminders) in every organization.
    ProcessDue(process_due::Args),
    /// Send the queued mail through an SMTP server.
    Dispatch(dispatch::Args),
    /// Copy a SQLite store to a new file, consistently, while others write to it.
    Backup(backup::Args),
    /// The store's schema version, organizations, events and outbox.
    Status(status::Args),
    /// Every committed event of every stream, in commit order, from a position on.
    Changes(changes::Args),
    /// Write every stream (and, with --include-keys, the key vault) to a JSON Lines file.
    Export(export::Args),
    /// Read an export into an empty store, all or nothing.
    Import(import::Args),
    /// The key vault at rest: its status, and sealing it under the vault key.
    #[command(subcommand)]
    Vault(Vault),
}

/// `vault` subcommands.
#[derive(Debug, Subcommand)]
pub enum Vault {
    /// Entries in clear and sealed per vault key id (never a key).
    Status(vault::StatusArgs),
    /// Seal every entry kept in clear or under a previous key under the
    /// vault key, in batches; resumable.
    Reseal(vault::ResealArgs),
}

/// `users` subcommands.
#[derive(Debug, Subcommand)]
pub enum Users {
    /// Add the users listed in a CSV file, all or none.
    Import(users_import::Args),
}
