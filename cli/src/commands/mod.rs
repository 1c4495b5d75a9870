//! One module per subcommand, each with its `Args` (clap) and its `run`.

pub mod assign;
pub mod audit;
pub mod backup;
pub mod changes;
pub mod dispatch;
pub mod export;
pub mod import;
pub mod orgs;
pub mod process_due;
pub mod show;
pub mod status;
pub mod usage;
pub mod users_import;
pub mod vault;

use crate::cli::{Cli, Command, Users, Vault};
use crate::failure::Failure;
use crate::open;

/// Runs the subcommand `cli` names.
pub fn run(cli: Cli) -> Result<(), Failure> {
    let target = open::target(cli.db.as_deref())?;
    crate::vault_keys::load(cli.vault_key_file.as_deref(), &cli.previous_vault_key_file)?;
    match cli.command {
        Command::Orgs(args) => orgs::run(&target, args),
        Command::Show(args) => show::run(&target, args),
        Command::Usage(args) => usage::run(&target, args),
        Command::Audit(args) => audit::run(&target, args),
        Command::Users(Users::Import(args)) => users_import::run(&target, args),
        Command::Assign(args) => assign::run(&target, args),
        Command::ProcessDue(args) => process_due::run(&target, args),
        Command::Dispatch(args) => dispatch::run(&target, args),
        Command::Backup(args) => backup::run(&target, args),
        Command::Status(args) => status::run(&target, args),
        Command::Changes(args) => changes::run(&target, args),
        Command::Export(args) => export::run(&target, args),
        Command::Import(args) => import::run(&target, args),
        Command::Vault(Vault::Status(args)) => vault::status(&target, args),
        Command::Vault(Vault::Reseal(args)) => vault::reseal(&target, args),
    }
}
