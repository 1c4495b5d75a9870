//! Shared by the SMTP tests: the recorder from the environment, what it
//! recorded, a center with keys to look for, and private recorders.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use partner_benefits::{BenefitCenter, Catalog, Category, LicenseKey, Mailer, ManualClock, MemoryStore};
use serde_json::Value;

pub fn env_or_skip(name: &str, test: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ if std::env::var_os("CI").is_some() => {
            panic!("{test}: env {name} is not set; run the adapter tests through scripts/test-adapters, which starts the SMTP server")
        }
        _ => {
            eprintln!("note: {test} skipped: env {name} is not set (scripts/test-adapters sets it)");
            None
        }
    }
}

/// The shared recorder: (host, port, mail dir).
pub fn server(test: &str) -> Option<(String, u16, PathBuf)> {
    let host = env_or_skip("SMTP_HOST", test)?;
    let port = env_or_skip("SMTP_PORT", test)?.parse().unwrap();
    let dir = env_or_skip("SMTP_MAIL_DIR", test)?;
    Some((host, port, PathBuf::from(dir)))
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// A recipient domain no other test (or run) uses, to pick out this test's mail.
pub fn domain(tag: &str) -> String {
    format!("{tag}-{}-{}.example", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

pub const FROM: &str = "Partner Benefits <benefits@partner.example>";

/// Every recorded message with a recipient at `domain`: its .json record plus the raw .eml.
pub fn delivered(dir: &Path, domain: &str) -> Vec<(Value, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let record: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let hit = record["rcpt_tos"].as_array().unwrap().iter().any(|r| r.as_str().unwrap().ends_with(&format!("@{domain}")));
        if hit {
            let raw = std::fs::read_to_string(path.with_extension("eml")).unwrap();
            found.push((record, raw));
        }
    }
    found.sort_by(|a, b| a.0["eml"].as_str().cmp(&b.0["eml"].as_str()));
    found
}

pub fn header<'a>(record: &'a Value, name: &str) -> &'a str {
    record["headers"][name][0].as_str().unwrap_or_else(|| panic!("no {name} header in {record}"))
}

pub fn start() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single().unwrap()
}

/// A center on memory sending through `mailer`, with keys whose text we can look for.
pub fn center(mailer: Arc<dyn Mailer>, clock: Arc<ManualClock>) -> BenefitCenter {
    let center = BenefitCenter::new(Arc::new(MemoryStore::new()), mailer, clock, Catalog::builtin().unwrap());
    for product in ["windows-server", "office-professional-plus", "microsoft-365-e3"] {
        let keys = (0..10).map(|i| LicenseKey::new(format!("SECRETKEY-{product}-{i}")).unwrap()).collect();
        center.program().stock_keys(product, keys).unwrap();
    }
    center
}

pub fn assert_no_key(record: &Value, raw: &str) {
    assert!(!raw.contains("SECRETKEY"), "a key is in the delivered message:\n{raw}");
    assert!(!record.to_string().contains("SECRETKEY"), "a key is in the decoded message");
}

/// Starts a private recorder on `port` (the same server program the suite
/// uses), with `extra` arguments.
pub fn start_recorder(test: &str, port: u16, dir: &Path, extra: &[&str]) -> Option<Child> {
    let python = env_or_skip("SMTP_PYTHON", test)?;
    let script = env_or_skip("SMTP_SERVER_PY", test)?;
    let child = Command::new(python)
        .args([&script, "--host", "127.0.0.1", "--port", &port.to_string(), "--dir", dir.to_str().unwrap()])
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the private SMTP recorder did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some(child)
}

/// Stops the private recorder and removes its mail, even when a check fails.
pub struct Recorder {
    pub child: Child,
    pub dir: PathBuf,
}

impl Drop for Recorder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A free loopback port (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An organization whose admin assigns a Visual Studio benefit to one user
/// at `d`: one mail (`subscription_assigned`) queued for `devon@d`.
pub fn one_mail(center: &BenefitCenter, d: &str) {
    let org = center.create_organization("Contoso", &format!("p@{d}"), "Avery Admin", &format!("avery@{d}")).unwrap();
    let admin = center.session(org.id, org.admin_id);
    let dev = admin.add_user("Devon", &format!("devon@{d}"), &[]).unwrap();
    admin.purchase_package("action-pack").unwrap();
    let vs = admin.benefits_in(Category::VisualStudio).unwrap().remove(0);
    admin.assign_user(vs.id, dev).unwrap();
}
