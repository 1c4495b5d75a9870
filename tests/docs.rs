//! Generated documents that must never drift from the code they describe.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::PathBuf;

/// `docs/permissions.md` is the permission table of `core/src/permission.rs`
/// rendered by `permission_matrix_markdown()`. `UPDATE_DOCS=1` rewrites it.
#[test]
fn b1_permissions_doc_matches_the_permission_table() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("docs").join("permissions.md");
    let rendered = partner_benefits::permission_matrix_markdown();
    if std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1") {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default().replace("\r\n", "\n");
    assert!(
        committed == rendered,
        "docs/permissions.md is out of date with core/src/permission.rs.\n\
         Update it with: UPDATE_DOCS=1 cargo test -p partner-benefits-scenarios --test docs\n\
         then commit docs/permissions.md.\n\n--- expected ---\n{rendered}"
    );
}
