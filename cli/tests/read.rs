//! The read subcommands against a prepared store: `orgs`, `show`, `usage`,
//! `audit` and `status`, as JSON (parsed), CSV (header checked) and tables.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use common::{Fixture, json, stdout};
use serde_json::Value;

#[test]
fn orgs_lists_every_organization_as_json_and_as_a_table() {
    let f = Fixture::new();
    let orgs = json(f.cli().args(["orgs", "--json"]));
    let orgs = orgs.as_array().unwrap();
    assert_eq!(orgs.len(), 2);
    assert_eq!(orgs[0]["id"], f.org.to_string());
    assert_eq!(orgs[0]["name"], "Contoso Ltd");
    assert_eq!(orgs[0]["account_email"], "partners@contoso.com");
    assert_eq!(orgs[0]["level"], "member");
    assert_eq!(orgs[0]["users"], 4);
    assert_eq!(orgs[0]["packages"], 1);
    assert_eq!(orgs[1]["id"], f.other.to_string());
    assert_eq!(orgs[1]["users"], 1);

    let table = stdout(f.cli().arg("orgs"));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("ORGANIZATION") && lines[0].contains("PACKAGES"), "{table}");
    assert!(lines[1].starts_with(&format!("{}  ", f.org)) && lines[1].contains("Contoso Ltd"), "{table}");
    // Aligned: each column starts at the same place on every line.
    let at = lines[0].find("NAME").unwrap();
    assert_eq!(&lines[1][at..at + 11], "Contoso Ltd");
    assert_eq!(&lines[2][at..at + 8], "Fabrikam");
}

#[test]
fn show_gives_the_organization_its_users_and_packages() {
    let f = Fixture::new();
    let shown = json(f.cli().args(["show", &f.org.to_string(), "--json"]));
    assert_eq!(shown["organization"]["name"], "Contoso Ltd");
    let users: Vec<&str> = shown["users"].as_array().unwrap().iter().map(|u| u["email"].as_str().unwrap()).collect();
    assert_eq!(users, ["avery@contoso.com", "uma@contoso.com", "devon@contoso.com", "dana@contoso.com"]);
    assert_eq!(shown["users"][1]["roles"], serde_json::json!(["user_admin"]));
    assert_eq!(shown["packages"][0]["template"], "action-pack");
    assert_eq!(shown["marketing_contact"], Value::Null);

    let table = stdout(f.cli().args(["show", &f.org.to_string()]));
    let first = table.lines().next().unwrap();
    assert!(first.starts_with("ORGANIZATION  ") && first.ends_with(&format!("  {}", f.org)), "{table}");
    assert!(table.lines().any(|l| l.starts_with("account email") && l.ends_with("  partners@contoso.com")), "{table}");
    assert!(table.contains("\nUSER ") && table.contains(&format!("{}  Uma Admin", f.user_admin)), "{table}");
    assert!(table.contains("\nPACKAGE ") && table.contains("Microsoft Action Pack"), "{table}");
}

#[test]
fn usage_prints_csv_json_and_a_table_with_seats_and_peak() {
    let f = Fixture::new();
    let org = f.org.to_string();
    let csv = stdout(f.cli().args(["usage", &org, "--format", "csv"]));
    let mut lines = csv.lines();
    let header = lines.next().unwrap();
    assert_eq!(header, "benefit_id,package_id,name,category,seats,assigned,peak,allocated,used,balance");
    assert!(header.contains("benefit_id,") && header.contains("category,seats,assigned,peak"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    let vs = rows.iter().find(|r| r[0] == f.visual_studio.to_string()).unwrap();
    assert_eq!((vs[3], vs[4], vs[5], vs[6]), ("visual_studio", "3", "1", "1"));

    let usage = json(f.cli().args(["usage", &org, "--format", "json"]));
    let usage = usage.as_array().unwrap();
    assert_eq!(usage.len(), rows.len());
    let vs = usage.iter().find(|u| u["benefit_id"] == f.visual_studio.to_string()).unwrap();
    assert_eq!((vs["seats"].as_u64(), vs["assigned"].as_u64(), vs["peak"].as_u64()), (Some(3), Some(1), Some(1)));

    let table = stdout(f.cli().args(["usage", &org]));
    assert!(table.starts_with("BENEFIT ID  PACKAGE ID  NAME"), "{table}");
    assert_eq!(table.lines().count(), rows.len() + 1);
}

#[test]
fn audit_prints_json_lines_and_csv_oldest_first() {
    let f = Fixture::new();
    let org = f.org.to_string();
    let events = f.center().audit_log(f.org).unwrap();
    let jsonl = stdout(f.cli().args(["audit", &org]));
    let lines: Vec<Value> = jsonl.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), events.len());
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["version"], i as u64 + 1);
        assert_eq!(line["stream"], org);
        assert_eq!(line["kind"], events[i].kind);
        // The event itself, as an object.
        assert_eq!(line["details"]["type"], events[i].kind, "{line}");
    }
    assert_eq!(lines[0]["kind"], "organization_created");
    assert_eq!(lines[0]["actor"], "program");

    let csv = stdout(f.cli().args(["audit", &org, "--format", "csv"]));
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["stream", "version", "at", "actor", "kind", "details"]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), events.len());
    assert_eq!(&records[1][4], "user_added");
    let details: Value = serde_json::from_str(&records[1][5]).unwrap();
    assert_eq!(details["email"], "uma@contoso.com");
}

#[test]
fn status_counts_organizations_events_and_the_outbox() {
    let f = Fixture::new();
    let center = f.center();
    let events: usize = [f.org, f.other].iter().map(|&o| center.audit_log(o).unwrap().len()).sum();
    let queued = center.outbox().unwrap().len() as u64;
    assert!(queued > 0, "the fixture queues mail");
    let status = json(f.cli().args(["status", "--json"]));
    assert_eq!(status["store"], "sqlite");
    assert_eq!(status["target"], f.path.display().to_string());
    assert_eq!(status["schema_version"], partner_benefits_sqlite::SCHEMA_VERSION);
    assert_eq!(status["organizations"], 2);
    assert_eq!(status["events"], events as u64);
    assert_eq!(status["outbox_depth"], queued);
    assert_eq!(status["mail_pending"], queued);
    assert_eq!(status["mail_failed"], 0);
    assert_eq!(status["mail_sent"], 0);

    let table = stdout(f.cli().arg("status"));
    assert!(table.starts_with("STORE  ") && table.contains("sqlite"), "{table}");
    assert!(table.lines().any(|l| l.starts_with("organizations  ") && l.ends_with("  2")), "{table}");
}
