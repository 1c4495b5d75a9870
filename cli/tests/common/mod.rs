//! Shared by the command-line tests: a SQLite store prepared through the
//! library, and the built binary run against it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use chrono::{Duration, Utc};
use partner_benefits::{
    BenefitCenter, BenefitId, Catalog, Category, LicenseKey, ManualClock, OrganizationId, RecordingMailer, Role, Session, UserId,
};
use partner_benefits_sqlite::SqliteStore;
use serde_json::Value;

/// A store file with two organizations. In `org` (Contoso): the admin, a
/// User admin, two developers, an Action Pack with one Visual Studio seat
/// assigned, and a technical benefit activated ten days ago (its activation
/// fell due and waits for `process-due`); Fabrikam has its admin only.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
    pub org: OrganizationId,
    pub admin: UserId,
    pub user_admin: UserId,
    pub devs: [UserId; 2],
    pub visual_studio: BenefitId,
    pub other: OrganizationId,
}

pub const PRODUCTS: [&str; 3] = ["windows-server", "office-professional-plus", "microsoft-365-e3"];

/// A center over the file at `path`, its clock ten days back, so steps fall due by now.
pub fn center(path: &Path) -> BenefitCenter {
    let store = Arc::new(SqliteStore::open(path).unwrap());
    let clock = Arc::new(ManualClock::new(Utc::now() - Duration::days(10)));
    BenefitCenter::new(store, Arc::new(RecordingMailer::new()), clock, Catalog::builtin().unwrap())
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("benefits.db");
        let center = center(&path);
        for product in PRODUCTS {
            let keys = (0..20).map(|n| LicenseKey::new(format!("{}-{n:05}", product.to_uppercase())).unwrap()).collect();
            center.program().stock_keys(product, keys).unwrap();
        }
        let org = center.create_organization("Contoso Ltd", "partners@contoso.com", "Avery Admin", "avery@contoso.com").unwrap();
        let admin = center.session(org.id, org.admin_id);
        let user_admin = admin.add_user("Uma Admin", "uma@contoso.com", &[Role::UserAdmin]).unwrap();
        let devs =
            [admin.add_user("Devon Dev", "devon@contoso.com", &[]).unwrap(), admin.add_user("Dana Dev", "dana@contoso.com", &[]).unwrap()];
        admin.purchase_package("action-pack").unwrap();
        let visual_studio = admin.benefits_in(Category::VisualStudio).unwrap().remove(0).id;
        admin.assign_user(visual_studio, devs[0]).unwrap();
        let hours = admin.benefits_in(Category::Technical).unwrap().remove(0).id;
        admin.activate_technical(hours, devs[1], "dana.alt@example.com").unwrap();
        let other = center.create_organization("Fabrikam", "partners@fabrikam.com", "Fay Admin", "fay@fabrikam.com").unwrap();
        Self { dir, path, org: org.id, admin: org.admin_id, user_admin, devs, visual_studio, other: other.id }
    }

    /// A fresh center over the fixture's file (nothing cached).
    pub fn center(&self) -> BenefitCenter {
        center(&self.path)
    }

    /// A session as Contoso's admin, on a fresh center.
    pub fn admin(&self) -> Session {
        self.center().session(self.org, self.admin)
    }

    /// The binary, with `--db` the fixture's file and no stray environment.
    pub fn cli(&self) -> Command {
        let mut cmd = bare();
        cmd.arg("--db").arg(&self.path);
        cmd
    }

    /// A file in the fixture's directory with `text` in it.
    pub fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// The binary with none of its environment variables set.
pub fn bare() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("partner-benefits"));
    for var in ["PARTNER_BENEFITS_DB", "PARTNER_BENEFITS_SMTP", "PARTNER_BENEFITS_MAIL_FROM", "PARTNER_BENEFITS_VAULT_KEY_FILE"] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `cmd`, expects success and returns stdout; stderr must be empty
/// (no progress bar off a terminal).
pub fn stdout(cmd: &mut Command) -> String {
    let output = cmd.output().unwrap();
    let (out, err) = (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert!(output.status.success(), "status {:?}\nstdout: {out}\nstderr: {err}", output.status);
    assert_eq!(err, "", "stderr of a success");
    out
}

/// Runs `cmd` and parses its stdout as JSON.
pub fn json(cmd: &mut Command) -> Value {
    let out = stdout(cmd);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
}

/// Runs `cmd`, expects exit status `status` and one line `error[CODE]: ...`
/// on stderr; returns that line.
pub fn failure(cmd: &mut Command, status: i32, code: &str) -> String {
    let output = cmd.output().unwrap();
    let err = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(status), "stderr: {err}");
    assert!(err.ends_with('\n') && err.lines().count() == 1, "one line on stderr: {err:?}");
    let line = err.trim_end().to_string();
    assert!(line.starts_with(&format!("error[{code}]: ")), "{line}");
    assert!(!line.contains("panicked") && !line.contains("backtrace"), "{line}");
    line
}
