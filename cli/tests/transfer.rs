//! `changes`, `export` and `import`: the feed from the shell (and followed
//! while another process writes), and a store moved whole to a new file,
//! keys only when asked for, a bad export changing nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

use common::{Fixture, bare, failure, json, stdout};
use partner_benefits::MAX_CHANGES_PAGE;

fn lines(text: &str) -> Vec<serde_json::Value> {
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

#[test]
fn changes_prints_the_feed_from_a_position_as_a_table_or_json_lines() {
    let f = Fixture::new();
    let feed = f.center().changes(0, MAX_CHANGES_PAGE).unwrap();
    let all = lines(&stdout(f.cli().args(["changes", "--json"])));
    assert_eq!(all.len(), feed.len());
    for (line, change) in all.iter().zip(&feed) {
        assert_eq!(line["position"].as_u64(), Some(change.position));
        assert_eq!(line["stream"].as_str(), Some(change.stream.as_str()));
        assert_eq!(line["kind"].as_str(), Some(change.kind.as_str()));
        assert_eq!(line["organization_id"].as_str().map(str::to_string), change.organization_id.map(|o| o.to_string()));
    }
    let third = feed[2].position;
    let page = lines(&stdout(f.cli().args(["changes", "--json", "--after", &third.to_string(), "--limit", "2"])));
    assert_eq!(page.iter().map(|l| l["position"].as_u64().unwrap()).collect::<Vec<_>>(), [feed[3].position, feed[4].position]);
    let table = stdout(f.cli().args(["changes", "--limit", "3"]));
    let rows: Vec<&str> = table.lines().collect();
    assert!(rows[0].split_whitespace().eq(["POSITION", "STREAM", "VERSION", "AT", "ACTOR", "KIND"]), "{table}");
    assert_eq!(rows.len(), 4, "{table}");
    assert!(rows[1].contains(&feed[0].kind) && rows[1].contains(&feed[0].stream), "{table}");
    // No key is ever in a change (B3).
    assert!(!stdout(f.cli().args(["changes", "--json", "--limit", "10000"])).contains("WINDOWS-SERVER-000"));
    let line = failure(f.cli().args(["changes", "--limit", "0"]), 1, "invalid_input");
    assert!(line.contains("limit"), "{line}");
}

#[test]
fn changes_follow_prints_what_another_process_commits() {
    let f = Fixture::new();
    let last = f.center().changes(0, MAX_CHANGES_PAGE).unwrap().last().unwrap().position;
    let mut follower = std::process::Command::new(assert_cmd::cargo::cargo_bin!("partner-benefits"))
        .arg("--db")
        .arg(&f.path)
        .args(["changes", "--follow", "--json", "--after", &last.to_string()])
        .env_remove("PARTNER_BENEFITS_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(follower.stdout.take().unwrap());
    // Another writer (this test, through the library) commits while it follows.
    f.admin().add_user("Noor New", "noor@contoso.com", &[]).unwrap();
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    follower.kill().unwrap();
    follower.wait().unwrap();
    let change: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!((change["position"].as_u64(), change["kind"].as_str()), (Some(last + 1), Some("user_added")));
}

#[test]
fn export_and_import_move_a_store_whole_keys_only_when_asked() {
    let f = Fixture::new();
    let with_keys = f.dir.path().join("with-keys.jsonl");
    let report = json(f.cli().arg("export").arg(&with_keys).args(["--include-keys", "--json"]));
    let events = f.center().changes(0, MAX_CHANGES_PAGE).unwrap().len() as u64;
    assert_eq!((report["events"].as_u64(), report["keys"].as_u64()), (Some(events), Some(60)));
    let text = std::fs::read_to_string(&with_keys).unwrap();
    assert!(text.contains("WINDOWS-SERVER-00000"), "the keys are in an export made with --include-keys");
    assert!(text.lines().next().unwrap().contains("\"record\":\"header\"") && text.lines().last().unwrap().contains("\"record\":\"end\""));
    let without = f.dir.path().join("without.jsonl");
    stdout(f.cli().arg("export").arg(&without));
    assert!(!std::fs::read_to_string(&without).unwrap().contains("WINDOWS-SERVER-000"), "a key in a default export");
    // Never overwrites.
    let line = failure(f.cli().arg("export").arg(&without), 1, "precondition_failed");
    assert!(line.contains("already exists"), "{line}");

    // Into a new file: organization by organization the same.
    let copy = f.dir.path().join("copy.db");
    let imported = json(bare().arg("--db").arg(&copy).arg("import").arg(&with_keys).arg("--json"));
    assert_eq!(imported["events"].as_u64(), Some(events));
    let show = |db: &std::path::Path, org: &str| json(bare().arg("--db").arg(db).args(["show", org, "--json"]));
    let usage = |db: &std::path::Path, org: &str| json(bare().arg("--db").arg(db).args(["usage", org, "--format", "json"]));
    for org in [f.org.to_string(), f.other.to_string()] {
        assert_eq!(show(&copy, &org), show(&f.path, &org), "{org}");
        assert_eq!(usage(&copy, &org), usage(&f.path, &org), "{org}");
    }
    assert_eq!(
        json(bare().arg("--db").arg(&copy).args(["orgs", "--json"])),
        json(f.cli().args(["orgs", "--json"])),
        "the same organizations"
    );
    // Exported again, the copy gives the same records (its feed holds each
    // stream's events together: the import is one commit).
    let again = f.dir.path().join("again.jsonl");
    stdout(bare().arg("--db").arg(&copy).arg("export").arg(&again).arg("--include-keys"));
    let sorted = |text: &str| {
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    assert_eq!(sorted(&std::fs::read_to_string(&again).unwrap()), sorted(&text));
    // A store in use is refused and keeps what it had.
    let line = failure(bare().arg("--db").arg(&copy).arg("import").arg(&with_keys), 1, "precondition_failed");
    assert!(line.contains("not empty"), "{line}");
}

#[test]
fn a_bad_export_is_refused_by_line_and_leaves_no_file_behind() {
    let f = Fixture::new();
    let export = f.dir.path().join("export.jsonl");
    stdout(f.cli().arg("export").arg(&export));
    let text = std::fs::read_to_string(&export).unwrap();
    let mut rows: Vec<&str> = text.lines().collect();
    let target = f.dir.path().join("target.db");
    let import = |file: &std::path::Path| {
        let mut cmd = bare();
        cmd.arg("--db").arg(&target).arg("import").arg(file);
        cmd
    };
    // Cut short (no end record).
    let cut = f.file("cut.jsonl", &rows[..rows.len() - 1].join("\n"));
    let line = failure(&mut import(&cut), 1, "invalid_input");
    assert!(line.contains("no end record"), "{line}");
    assert!(!target.exists(), "a failed import left a new store file");
    // A line that is not a record.
    rows[3] = "{\"record\":\"event\",\"broken\":true}";
    let broken = f.file("broken.jsonl", &rows.join("\n"));
    let line = failure(&mut import(&broken), 1, "invalid_input");
    assert!(line.contains("line 4"), "{line}");
    assert!(!target.exists());
    let line = failure(&mut import(&f.dir.path().join("missing.jsonl")), 1, "not_found");
    assert!(line.contains("missing.jsonl"), "{line}");
}
