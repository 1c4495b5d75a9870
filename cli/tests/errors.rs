//! Every failure is one line `error[CODE]: message` on stderr: exit 1 for a
//! refused or failed operation, 2 for a wrong command line; no panic, no
//! backtrace, and no file made where there was none.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use common::{Fixture, bare, failure};
use predicates::prelude::*;

#[test]
fn an_unknown_or_malformed_organization_is_refused_with_its_code() {
    let f = Fixture::new();
    for sub in ["show", "usage", "audit"] {
        let line = failure(f.cli().args([sub, "org-99"]), 1, "not_found");
        assert_eq!(line, "error[not_found]: organization `org-99` was not found", "{sub}");
        failure(f.cli().args([sub, "contoso"]), 1, "invalid_input");
    }
    let csv = f.file("users.csv", "name,email\nRiley,riley@contoso.com\n");
    failure(f.cli().args(["users", "import", "org-99"]).arg(&csv).args(["--as", "usr-99-1"]), 1, "not_found");
    // A user of another organization is no user of this one.
    let line = failure(f.cli().args(["users", "import", &f.org.to_string()]).arg(&csv).args(["--as", "fay@fabrikam.com"]), 1, "not_found");
    assert!(line.contains("user `fay@fabrikam.com`"), "{line}");
}

#[test]
fn a_directory_a_missing_directory_or_a_missing_file_as_db_is_refused_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let line = failure(bare().arg("--db").arg(dir.path()).arg("orgs"), 1, "storage");
    assert!(line.contains("is a directory"), "{line}");
    let nested = dir.path().join("no/such/dir/benefits.db");
    let line = failure(bare().arg("--db").arg(&nested).arg("status"), 1, "storage");
    assert!(line.contains("does not exist"), "{line}");
    let missing = dir.path().join("benefits.db");
    for sub in [&["orgs"][..], &["status"], &["process-due"], &["show", "org-1"], &["backup", "copy.db"]] {
        let line = failure(bare().arg("--db").arg(&missing).args(sub), 1, "not_found");
        assert!(line.contains("benefits.db") && line.contains("was not found"), "{sub:?}: {line}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0, "no file was created");
    // A file that is not a store is the store's own refusal, and is left as it was.
    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not a database").unwrap();
    failure(bare().arg("--db").arg(&text).arg("orgs"), 1, "storage");
    assert_eq!(std::fs::read_to_string(&text).unwrap(), "not a database");
}

#[test]
fn a_wrong_command_line_is_a_usage_error_with_status_2() {
    let f = Fixture::new();
    failure(f.cli().arg("frobnicate"), 2, "usage");
    failure(f.cli().arg("show"), 2, "usage");
    failure(f.cli().args(["usage", "org-1", "--format", "xml"]), 2, "usage");
    failure(f.cli().args(["audit", "org-1", "--format", "json"]), 2, "usage");
    failure(f.cli().args(["users", "import", "org-1", "x.csv"]), 2, "usage");
    failure(&mut bare(), 2, "usage");
    let line = failure(bare().arg("orgs"), 2, "usage");
    assert!(line.contains("--db") && line.contains("PARTNER_BENEFITS_DB"), "{line}");
    // The environment names the store as --db does.
    bare().env("PARTNER_BENEFITS_DB", &f.path).arg("orgs").assert().success().stdout(predicate::str::contains("Contoso Ltd"));
    // Help and version are no failure.
    bare().arg("--help").assert().success().stdout(predicate::str::contains("process-due"));
    bare().arg("--version").assert().success().stdout(predicate::str::starts_with("partner-benefits "));
}

#[test]
fn a_postgres_backup_is_unsupported_and_names_pg_dump_without_connecting() {
    // No server is needed: the refusal comes before any connection.
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("copy.db");
    let line = failure(bare().args(["--db", "postgres://pb:secret@127.0.0.1:1/benefits", "backup"]).arg(&dest), 1, "unsupported");
    assert!(line.contains("pg_dump") && !line.contains("secret"), "{line}");
    assert!(!dest.exists());
    // Other subcommands connect, and an unreachable server is a storage error.
    let line = failure(bare().args(["--db", "POSTGRES://pb:secret@127.0.0.1:1/benefits?connect_timeout=2", "status"]), 1, "storage");
    assert!(line.contains("PostgreSQL") && !line.contains("secret"), "{line}");
}
