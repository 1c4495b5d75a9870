//! The subcommands that write: `users import`, `assign`, `process-due` and
//! `dispatch`, and what each leaves in the store when it refuses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::net::TcpListener;

use common::{Fixture, failure, json, stdout};
use partner_benefits::lifecycle::delivery::DeliveryState;
use partner_benefits::{Role, UserView};
use predicates::prelude::*;

fn users(f: &Fixture) -> Vec<UserView> {
    f.admin().users().unwrap()
}

#[test]
fn users_import_adds_every_row_in_one_commit() {
    let f = Fixture::new();
    let added_events = |f: &Fixture| f.center().audit_log(f.org).unwrap().iter().filter(|e| e.kind == "user_added").count();
    let before = added_events(&f);
    let csv = f.file(
        "users.csv",
        "name,email,roles,language\nRiley New,riley@contoso.com,,\nSam New,Sam@Contoso.com,user_admin;admin_agent,zh-CN\n\"Lee, Jr.\",lee@contoso.com,mpn_partner_admin,en\n",
    );
    let added = json(f.cli().args(["users", "import", &f.org.to_string()]).arg(&csv).args(["--as", "avery@contoso.com", "--json"]));
    let added = added.as_array().unwrap();
    assert_eq!(added.len(), 3);
    assert_eq!((added[0]["line"].as_u64(), added[0]["email"].as_str()), (Some(2), Some("riley@contoso.com")));
    assert_eq!(added[1]["roles"], serde_json::json!(["user_admin", "admin_agent"]));
    assert_eq!(added[2]["name"], "Lee, Jr.");
    let now = users(&f);
    assert_eq!(now.len(), 7);
    let sam = now.iter().find(|u| u.email.as_str() == "sam@contoso.com").unwrap();
    assert_eq!(sam.id.to_string(), added[1]["user_id"].as_str().unwrap());
    assert_eq!(sam.language.as_str(), "zh-CN");
    assert!(sam.roles.contains(&Role::UserAdmin) && sam.roles.contains(&Role::AdminAgent));
    assert_eq!(added_events(&f), before + 3);

    // The table names each row and the total.
    let csv = f.file("more.csv", "name,email\nKim New,kim@contoso.com\n");
    let table = stdout(f.cli().args(["users", "import", &f.org.to_string()]).arg(&csv).args(["--as", &f.admin.to_string()]));
    assert!(table.starts_with("LINE  USER") && table.contains("kim@contoso.com") && table.ends_with("1 users added to org-1\n"), "{table}");
}

#[test]
fn a_malformed_row_refuses_the_whole_file_and_writes_nothing() {
    let f = Fixture::new();
    let before = users(&f);
    let events = f.center().audit_log(f.org).unwrap().len();
    let org = f.org.to_string();
    for (name, text, code, said) in [
        (
            "bad-email.csv",
            "name,email,roles\nRiley,riley@contoso.com,\nSam,not-an-address,\nKim,kim@,\n",
            "invalid_input",
            "line 3: invalid `email`",
        ),
        (
            "bad-role.csv",
            "name,email,roles\nRiley,riley@contoso.com,owner\n",
            "invalid_input",
            "line 2: invalid `role`: `owner` is not a role",
        ),
        ("short.csv", "name,email,roles\nRiley,riley@contoso.com,\nSam\n", "invalid_input", "line 3 has 1 fields where the header has 3"),
        (
            "taken.csv",
            "name,email\nRiley,riley@contoso.com\nDevon Again,devon@contoso.com\n",
            "conflict",
            "line 3: a user with email `devon@contoso.com` already exists",
        ),
        ("twice.csv", "name,email\nRiley,riley@contoso.com\nRiley,RILEY@contoso.com\n", "invalid_input", "is also on line 2"),
        ("column.csv", "name,mail\nRiley,riley@contoso.com\n", "invalid_input", "unknown column `mail`"),
        ("language.csv", "name,email,language\nRiley,riley@contoso.com,en_US!\n", "invalid_input", "not a language tag"),
    ] {
        let csv = f.file(name, text);
        let line = failure(f.cli().args(["users", "import", &org]).arg(&csv).args(["--as", &f.admin.to_string()]), 1, code);
        assert!(line.contains(said), "{name}: {line}");
        assert!(line.contains(&format!("`{}`", csv.display())), "{name} names the file: {line}");
        assert_eq!(users(&f), before, "{name}: users unchanged");
    }
    // The first bad row is shown, and how many more there are.
    let csv = f.file("two-bad.csv", "name,email\n,a@contoso.com\nB,b@\nC,c@contoso.com\n");
    let line = failure(f.cli().args(["users", "import", &org]).arg(&csv).args(["--as", &f.admin.to_string()]), 1, "invalid_input");
    assert!(line.contains("nothing was added (1 more rows are refused too)") && line.contains("line 2: invalid `name`"), "{line}");
    // A refusal of the batch itself (a User admin granting Global admin) writes nothing either.
    let csv = f.file("grant.csv", "name,email,roles\nRiley,riley@contoso.com,\nGia,gia@contoso.com,global_admin\n");
    let line = failure(f.cli().args(["users", "import", &org]).arg(&csv).args(["--as", &f.user_admin.to_string()]), 1, "permission_denied");
    assert!(line.contains("no user was added"), "{line}");
    assert_eq!(users(&f), before);
    assert_eq!(f.center().audit_log(f.org).unwrap().len(), events, "no event was written");
}

#[test]
fn a_missing_csv_file_is_not_found_and_a_directory_is_invalid() {
    let f = Fixture::new();
    let org = f.org.to_string();
    let missing = f.dir.path().join("nope.csv");
    let line = failure(f.cli().args(["users", "import", &org]).arg(&missing).args(["--as", &f.admin.to_string()]), 1, "not_found");
    assert!(line.contains("nope.csv"), "{line}");
    failure(
        f.cli().args(["assign", &org, &f.visual_studio.to_string()]).arg(&missing).args(["--as", &f.admin.to_string()]),
        1,
        "not_found",
    );
    failure(f.cli().args(["users", "import", &org]).arg(f.dir.path()).args(["--as", &f.admin.to_string()]), 1, "invalid_input");
}

#[test]
fn assign_reports_each_row_commits_the_good_ones_and_a_dry_run_commits_nothing() {
    let f = Fixture::new();
    let org = f.org.to_string();
    let benefit = f.visual_studio.to_string();
    // Three seats, one taken: Dana and Uma fit, the last row does not.
    let csv = f.file("assign.csv", &format!("user\ndana@contoso.com\n{}\nnobody@contoso.com\navery@contoso.com\n", f.user_admin));
    let dry =
        f.cli().args(["assign", &org, &benefit]).arg(&csv).args(["--as", &f.admin.to_string(), "--dry-run", "--json"]).output().unwrap();
    assert_eq!(dry.status.code(), Some(1));
    let rows: serde_json::Value = serde_json::from_slice(&dry.stdout).unwrap();
    let oks: Vec<bool> = rows.as_array().unwrap().iter().map(|r| r["ok"].as_bool().unwrap()).collect();
    assert_eq!(oks, [true, true, false, false]);
    assert_eq!(rows[2]["code"], "not_found");
    assert_eq!(rows[2]["user_id"], serde_json::Value::Null);
    assert_eq!(rows[3]["code"], "capacity_exhausted");
    assert_eq!(rows[0]["line"], 2);
    let stderr = String::from_utf8(dry.stderr).unwrap();
    assert!(stderr.starts_with("error[not_found]: 2 of 4 rows would be refused (the first on line 4)"), "{stderr}");
    assert!(stderr.contains("nothing was committed"), "{stderr}");
    assert_eq!(f.admin().benefit(f.visual_studio).unwrap().assigned_users, [f.devs[0]], "a dry run commits nothing");

    let run = f.cli().args(["assign", &org, &benefit]).arg(&csv).args(["--as", "avery@contoso.com"]).assert().code(1);
    let out = String::from_utf8(run.get_output().stdout.clone()).unwrap();
    assert!(out.starts_with("LINE  USER"), "{out}");
    assert!(out.lines().any(|l| l.starts_with("2 ") && l.contains("dana@contoso.com") && l.contains("  assigned")), "{out}");
    assert!(out.lines().any(|l| l.starts_with("5 ") && l.contains("refused") && l.contains("capacity_exhausted")), "{out}");
    run.stderr(predicate::str::starts_with("error[not_found]: 2 of 4 rows were refused"));
    let mut holders = f.admin().benefit(f.visual_studio).unwrap().assigned_users;
    holders.sort();
    assert_eq!(holders, [f.user_admin, f.devs[0], f.devs[1]]);

    // All rows fine: exit 0 and a summary.
    let csv = f.file("none.csv", "user\n");
    let out = stdout(f.cli().args(["assign", &org, &benefit]).arg(&csv).args(["--as", &f.admin.to_string()]));
    assert!(out.ends_with("0 of 0 rows assigned\n"), "{out}");
    // A malformed user stops it all before anything is decided.
    let csv = f.file("bad.csv", "user\nusr-1-3\nbob\n");
    let line = failure(f.cli().args(["assign", &org, &benefit]).arg(&csv).args(["--as", &f.admin.to_string()]), 1, "invalid_input");
    assert!(line.contains("nothing was assigned") && line.contains("line 3"), "{line}");
    // Only a Global admin assigns.
    let csv = f.file("one.csv", &format!("user\n{}\n", f.admin));
    failure(f.cli().args(["assign", &org, &benefit]).arg(&csv).args(["--as", &f.user_admin.to_string()]), 1, "permission_denied");
}

#[test]
fn process_due_records_what_fell_due_once() {
    let f = Fixture::new();
    let report = json(f.cli().args(["process-due", "--json"]));
    assert_eq!(report["organizations"], 2);
    let caught = report["by_organization"].as_array().unwrap();
    assert_eq!(caught.len(), 1, "{report}");
    assert_eq!(caught[0]["organization"], f.org.to_string());
    assert!(caught[0]["events"].as_u64().unwrap() > 0);
    assert_eq!(report["events"], caught[0]["events"]);
    let kinds: Vec<String> = f.center().audit_log(f.org).unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.iter().any(|k| k == "technical_activated"), "{kinds:?}");
    // Nothing is recorded twice.
    let out = stdout(f.cli().arg("process-due"));
    assert_eq!(out, "0 events recorded in 0 of 2 organizations\n");
}

#[test]
fn dispatch_without_a_server_touches_nothing_and_a_refusing_server_leaves_mail_queued() {
    let f = Fixture::new();
    let queued = f.center().outbox().unwrap();
    assert!(!queued.is_empty());
    let line = failure(f.cli().arg("dispatch"), 1, "precondition_failed");
    assert!(
        line.contains("no SMTP server is configured") && line.contains(&format!("{} mails wait in the outbox", queued.len())),
        "{line}"
    );
    assert_eq!(f.center().outbox().unwrap(), queued, "nothing was attempted");
    // --smtp needs a sender.
    failure(f.cli().args(["dispatch", "--smtp", "smtp://127.0.0.1:25"]), 2, "usage");
    // A malformed URL is refused before anything is read.
    let line = failure(f.cli().args(["dispatch", "--smtp", "http://relay:25", "--from", "b@partner.example"]), 1, "invalid_input");
    assert!(line.contains("smtp_url"), "{line}");

    // A port nobody listens on: every mail is refused and stays queued.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("smtp://relay:hunter2@127.0.0.1:{port}?timeout=2");
    let output = f
        .cli()
        .args(["dispatch", "--json"])
        .env("PARTNER_BENEFITS_SMTP", &url)
        .env("PARTNER_BENEFITS_MAIL_FROM", "Partner Benefits <benefits@partner.example>")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!((report["sent"].as_u64(), report["failed"].as_u64()), (Some(0), Some(queued.len() as u64)));
    assert_eq!(report["outbox_depth"], queued.len() as u64);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.starts_with("error[mail]: the SMTP server refused") && !stderr.contains("hunter2"), "{stderr}");
    let after = f.center().outbox().unwrap();
    assert!(after.iter().all(|e| matches!(e.delivery, DeliveryState::Failed { attempts: 1, .. })), "{after:?}");
    let status = json(f.cli().args(["status", "--json"]));
    assert_eq!(status["mail_failed"], queued.len() as u64);
}
