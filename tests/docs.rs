//! Generated documents that must never drift from the code they describe.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, missing_docs)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The repository's root, canonical.
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn update_docs() -> bool {
    std::env::var("UPDATE_DOCS").is_ok_and(|v| v == "1")
}

/// `docs/permissions.md` is the permission table of `core/src/permission.rs`
/// rendered by `permission_matrix_markdown()`. `UPDATE_DOCS=1` rewrites it.
#[test]
fn b1_permissions_doc_matches_the_permission_table() {
    let path = root().join("docs").join("permissions.md");
    let rendered = partner_benefits::permission_matrix_markdown();
    if update_docs() {
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

// ----- The rules page: docs/RULES.md -----

/// Every rule id the library enforces, in the page's order.
fn rule_ids() -> Vec<String> {
    let r = (1..=31).map(|n| format!("R{n:02}"));
    let p = (1..=6).map(|n| format!("P{n}"));
    let b = (1..=8).map(|n| format!("B{n}"));
    r.chain(p).chain(b).collect()
}

/// Directories no scan enters: build output, dependencies, tools' caches
/// (every hidden directory) and the frozen files of an old release.
fn skipped(relative: &str, name: &str) -> bool {
    name.starts_with('.') || ["target", "node_modules", "__pycache__"].contains(&name) || relative == "tests/fixtures"
}

/// Every file of the repository outside the skipped directories, as paths
/// relative to the root with `/` separators, sorted.
fn repository_files(root: &Path) -> Vec<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let relative = path.strip_prefix(root).unwrap().components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>();
            let relative = relative.join("/");
            let name = path.file_name().unwrap().to_string_lossy().to_string();
            if path.is_dir() {
                if !skipped(&relative, &name) {
                    walk(root, &path, out);
                }
            } else {
                out.push(relative);
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Language {
    Rust,
    Python,
    Kotlin,
}

/// The test sources: every Rust file (unit tests live next to the code),
/// the Python binding's `test_*.py` and the Kotlin binding's test sources.
fn test_sources(files: &[String]) -> Vec<(&str, Language)> {
    files
        .iter()
        .filter_map(|file| {
            let name = file.rsplit('/').next().unwrap_or(file);
            if file.ends_with(".rs") {
                Some((file.as_str(), Language::Rust))
            } else if file.starts_with("bindings-python/tests/") && name.starts_with("test_") && name.ends_with(".py") {
                Some((file.as_str(), Language::Python))
            } else if file.starts_with("bindings-kotlin/src/test/") && name.ends_with(".kt") {
                Some((file.as_str(), Language::Kotlin))
            } else {
                None
            }
        })
        .collect()
}

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The name of the function defined on `line`, if it defines one.
fn defined_function(line: &str, language: Language) -> Option<String> {
    let (keyword, modifiers): (&str, &[&str]) = match language {
        Language::Rust => ("fn", &["pub", "pub(crate)", "pub(super)", "async", "unsafe", "const", "extern"]),
        Language::Python => ("def", &["async"]),
        Language::Kotlin => ("fun", &["public", "internal", "private", "protected", "override", "open", "suspend"]),
    };
    let mut rest = line.trim_start();
    loop {
        let (word, tail) = rest.split_once(' ')?;
        if word == keyword {
            rest = tail.trim_start();
            break;
        }
        if !modifiers.contains(&word) {
            return None;
        }
        rest = tail.trim_start();
    }
    let name = if let Some(quoted) = rest.strip_prefix('`') {
        // Kotlin: fun `a name with spaces`()
        quoted.split_once('`')?.0
    } else {
        let end = rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))?;
        if !rest[end..].starts_with(['(', '<']) {
            return None;
        }
        &rest[..end]
    };
    (!name.is_empty()).then(|| name.to_string())
}

/// Whether `line` is an attribute or annotation marking a test.
fn marks_a_test(line: &str, language: Language) -> bool {
    let line = line.trim();
    match language {
        Language::Rust => line.strip_prefix("#[").is_some_and(|attribute| {
            let path = attribute.split(['(', ']']).next().unwrap_or_default().trim();
            path == "test" || path.ends_with("::test")
        }),
        Language::Kotlin => line.strip_prefix('@').is_some_and(|annotation| {
            let name = annotation.split(['(', ' ']).next().unwrap_or_default();
            ["Test", "ParameterizedTest", "RepeatedTest"].contains(&name)
        }),
        Language::Python => false,
    }
}

/// The text of a comment line (`//`, `///`, `//!` or `#`), if `line` is one.
fn comment(line: &str, language: Language) -> Option<&str> {
    let line = line.trim_start();
    match language {
        Language::Rust | Language::Kotlin => line.strip_prefix("//").map(|c| c.trim_start_matches(['/', '!'])),
        Language::Python => line.strip_prefix('#').map(|c| c.trim_start_matches('#')),
    }
}

/// The rule ids a comment names before a colon: `R18: ...`, `R03, R12: ...`,
/// `R19/R20: ...`, `B4 and B1: ...`. Anything else names none.
fn ids_in_comment(text: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut rest = text.trim_start();
    loop {
        let Some(letter) = rest.chars().next().filter(|c| ['R', 'P', 'B'].contains(c)) else {
            return Vec::new();
        };
        let digits = rest[1..].chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Vec::new();
        }
        ids.push(format!("{letter}{}", &rest[1..=digits]));
        rest = &rest[1 + digits..];
        if rest.starts_with(':') {
            return ids;
        }
        rest = if let Some(tail) = rest.strip_prefix([',', '/', '&']) {
            tail.trim_start()
        } else if let Some(tail) = rest.strip_prefix(" and ") {
            tail.trim_start()
        } else {
            return Vec::new();
        };
    }
}

/// The word parts of a test's name, lowercase: `r18_alternate_email` and
/// `r18AlternateEmail` both give `r18`, `alternate`, `email`.
fn name_parts(name: &str) -> Vec<String> {
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in name.chars() {
        if c == '_' || c == ' ' || c == '-' {
            parts.push(std::mem::take(&mut current));
        } else {
            if c.is_uppercase() && previous.is_some_and(|p| p.is_lowercase() || p.is_ascii_digit()) {
                parts.push(std::mem::take(&mut current));
            }
            current.extend(c.to_lowercase());
        }
        previous = Some(c);
    }
    parts.push(current);
    parts.retain(|part| !part.is_empty());
    parts
}

/// A test function found in a source file.
#[derive(Debug)]
struct FoundTest {
    /// `file::name`.
    entry: String,
    /// Ids its name carries as a word part, uppercase.
    by_name: BTreeSet<String>,
    /// Ids a comment right above it or inside it names.
    by_comment: BTreeSet<String>,
}

/// The tests of one source file. A test is a function marked `#[test]` (or
/// `#[<runtime>::test]`) in Rust, `@Test` in Kotlin, or named `test_*` in
/// Python; "right above" is the run of attribute, annotation, decorator and
/// comment lines directly over its definition; "inside" is every line up to
/// the first one indented no deeper than the definition.
fn tests_in(file: &str, text: &str, language: Language) -> Vec<FoundTest> {
    let lines: Vec<&str> = text.lines().collect();
    let mut found = Vec::new();
    for (at, line) in lines.iter().enumerate() {
        let Some(name) = defined_function(line, language) else { continue };
        let depth = indent(line);
        let above: Vec<&str> = lines[..at]
            .iter()
            .rev()
            .take_while(|l| {
                let t = l.trim_start();
                match language {
                    Language::Rust => t.starts_with("#[") || t.starts_with("//"),
                    Language::Kotlin => t.starts_with('@') || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*'),
                    // Decorators may span lines: their continuations are deeper or close a bracket.
                    Language::Python => {
                        !t.is_empty() && (t.starts_with('@') || t.starts_with('#') || t.starts_with([')', ']']) || indent(l) > depth)
                    }
                }
            })
            .copied()
            .collect();
        let is_test = match language {
            Language::Python => name.starts_with("test_"),
            Language::Rust | Language::Kotlin => above.iter().any(|l| marks_a_test(l, language)),
        };
        if !is_test {
            continue;
        }
        let inside =
            lines[at + 1..].iter().take_while(|l| l.trim().is_empty() || indent(l) > depth || l.trim_start().starts_with(')')).copied();
        let by_comment = above.iter().copied().chain(inside).filter_map(|l| comment(l, language)).flat_map(ids_in_comment).collect();
        let by_name = name_parts(&name).into_iter().map(|part| part.to_uppercase()).collect();
        found.push(FoundTest { entry: format!("{file}::{name}"), by_name, by_comment });
    }
    found
}

/// For each id of `ids`, the tests proving it (sorted, deduplicated); and the
/// ids some test claims that are not rules of the page, with the test.
fn proofs(root: &Path, ids: &[String]) -> (BTreeMap<String, BTreeSet<String>>, Vec<String>) {
    let mut proven: BTreeMap<String, BTreeSet<String>> = ids.iter().map(|id| (id.clone(), BTreeSet::new())).collect();
    let mut unknown = Vec::new();
    let files = repository_files(root);
    for (file, language) in test_sources(&files) {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        for test in tests_in(file, &text, language) {
            for id in &test.by_name {
                if let Some(entries) = proven.get_mut(id) {
                    entries.insert(test.entry.clone());
                }
            }
            for id in &test.by_comment {
                match proven.get_mut(id) {
                    Some(entries) => {
                        entries.insert(test.entry.clone());
                    }
                    None => unknown.push(format!("{} (a comment names {id})", test.entry)),
                }
            }
        }
    }
    (proven, unknown)
}

/// The cells of a Markdown table row, trimmed.
fn cells(row: &str) -> Vec<&str> {
    let inner = row.trim().strip_prefix('|').unwrap_or(row).trim_end();
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    inner.split('|').map(str::trim).collect()
}

/// The page with each rule row's last cell, "proven by", rendered from `proven`.
fn render_rules_page(committed: &str, proven: &BTreeMap<String, BTreeSet<String>>) -> Result<String, String> {
    let mut seen = BTreeSet::new();
    let mut out = String::new();
    for line in committed.lines() {
        let row = cells(line);
        let id = row.first().copied().unwrap_or_default();
        if line.trim_start().starts_with('|') && proven.contains_key(id) {
            if row.len() != 4 {
                return Err(format!(
                    "the row of {id} has {} cells; a rule row is `| id | rule | where it comes from | proven by |`",
                    row.len()
                ));
            }
            if !seen.insert(id.to_string()) {
                return Err(format!("{id} has two rows"));
            }
            let tests = &proven[id];
            let cell =
                if tests.is_empty() { "—".to_string() } else { tests.iter().map(|t| format!("`{t}`")).collect::<Vec<_>>().join("<br>") };
            out.push_str(&format!("| {id} | {} | {} | {cell} |\n", row[1], row[2]));
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    let missing: Vec<_> = proven.keys().filter(|id| !seen.contains(*id)).cloned().collect();
    if !missing.is_empty() {
        return Err(format!("docs/RULES.md has no row for {}", missing.join(", ")));
    }
    Ok(out)
}

/// `docs/RULES.md` states every rule in the project's words; its "proven by"
/// column is generated here from the test sources: a test proves a rule when
/// its name carries the id as a word part (`r18_...`, `..._b7_...`,
/// `r18Something`) or a comment right above or inside it starts with the id
/// and a colon (`// R18: ...`, `# R18: ...`). `UPDATE_DOCS=1` rewrites the
/// column. Every rule must have at least one test.
#[test]
fn rules_page_lists_every_rule_and_the_tests_that_prove_it() {
    let root = root();
    let path = root.join("docs").join("RULES.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default().replace("\r\n", "\n");
    let ids = rule_ids();
    let (proven, unknown) = proofs(&root, &ids);
    let rendered = render_rules_page(&committed, &proven).unwrap_or_else(|problem| panic!("docs/RULES.md: {problem}"));
    if update_docs() {
        std::fs::write(&path, &rendered).unwrap();
    } else {
        let stale: Vec<_> = rendered.lines().filter(|line| !committed.lines().any(|c| c == *line)).collect();
        assert!(
            committed == rendered,
            "docs/RULES.md's \"proven by\" column is out of date with the tests.\n\
             Update it with: UPDATE_DOCS=1 cargo test -p partner-benefits-scenarios --test docs\n\
             then commit docs/RULES.md.\n\n--- expected rows ---\n{}",
            stale.join("\n")
        );
    }
    let unproven: Vec<_> = proven.iter().filter(|(_, tests)| tests.is_empty()).map(|(id, _)| id.as_str()).collect();
    assert!(
        unproven.is_empty(),
        "no test proves {}: name a test after the rule (`r18_...`) or mark it with a `// R18:` comment",
        unproven.join(", ")
    );
    assert!(unknown.is_empty(), "comments name rule ids docs/RULES.md does not list:\n{}", unknown.join("\n"));
}

// ----- Links between the docs -----

/// The targets of the inline Markdown links `[text](target)` of `text`,
/// outside code blocks and code spans.
fn link_targets(text: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Drop code spans so `a[i](j)` in code is not a link.
        let mut plain = String::new();
        let mut in_code = false;
        for c in line.chars() {
            if c == '`' {
                in_code = !in_code;
                plain.push(' ');
            } else if !in_code {
                plain.push(c);
            } else {
                plain.push('x');
            }
        }
        let mut rest = plain.as_str();
        while let Some(at) = rest.find("](") {
            let after = &rest[at + 2..];
            let Some(end) = after.find(')') else { break };
            let target = after[..end].trim();
            // `[text](<target with spaces>)`, `[text](target "title")`
            let target = match target.strip_prefix('<') {
                Some(bracketed) => bracketed.split_once('>').map_or(bracketed, |(t, _)| t),
                None => target.split_once(' ').map_or(target, |(t, _)| t),
            };
            targets.push(target.to_string());
            rest = &after[end..];
        }
    }
    targets
}

/// Whether `target` names a file of the repository: not a web or mail
/// address, not an anchor of the same page, and not a rustdoc intra-doc link
/// (`partner_benefits::Store`: the adapters' READMEs are their crates' docs).
fn is_relative(target: &str) -> bool {
    let intra_doc =
        target.contains("::") && target.split("::").all(|part| !part.is_empty() && part.chars().all(|c| c.is_alphanumeric() || c == '_'));
    !(target.is_empty() || target.starts_with('#') || target.contains("://") || target.starts_with("mailto:") || intra_doc)
}

/// Whether `path`, relative to the directory of `file` (both relative to
/// the root), climbs above the root, read without touching the disk.
fn leaves_the_root(file: &str, path: &str) -> bool {
    let mut depth = file.split('/').count() - 1;
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if depth == 0 => return true,
            ".." => depth -= 1,
            _ => depth += 1,
        }
    }
    false
}

/// Every relative link of every Markdown file of the repository names a file
/// or directory that exists, inside the repository.
#[test]
fn every_relative_link_in_the_docs_resolves_inside_the_repository() {
    let root = root();
    let mut broken = Vec::new();
    let mut checked = 0;
    for file in repository_files(&root).iter().filter(|f| f.ends_with(".md")) {
        let text = std::fs::read_to_string(root.join(file)).unwrap();
        let dir = root.join(file).parent().unwrap().to_path_buf();
        for target in link_targets(&text).into_iter().filter(|t| is_relative(t)) {
            checked += 1;
            let path = target.split('#').next().unwrap_or_default();
            // A leading `/` is the repository's root, as a forge renders it.
            let base = match path.strip_prefix('/') {
                Some(from_root) => root.join(from_root),
                None => dir.join(path),
            };
            match base.canonicalize() {
                Ok(resolved) if resolved.starts_with(&root) => {}
                Ok(_) => broken.push(format!("{file}: `{target}` points outside the repository")),
                Err(_) if leaves_the_root(file, path) => broken.push(format!("{file}: `{target}` points outside the repository")),
                Err(_) => broken.push(format!("{file}: `{target}` does not exist")),
            }
        }
    }
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
    assert!(checked > 0, "no relative link found: is the scan looking at the docs?");
}

// ----- The scanners themselves -----

#[test]
fn the_rule_scan_finds_tests_by_name_and_by_comment_and_nothing_else() {
    let found = |file: &str, text: &str, language: Language| -> Vec<(String, Vec<String>)> {
        let known = rule_ids();
        let claimed = |t: &FoundTest| t.by_name.union(&t.by_comment).filter(|id| known.contains(id)).cloned().collect();
        tests_in(file, text, language).iter().map(|t| (t.entry.clone(), claimed(t))).collect()
    };
    let ids = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    // Rust: an attribute run above, a comment inside; a helper is no test.
    let rust = "mod tests {\n    #[test]\n    // B7: stocked once\n    fn r01_first() {\n        // R03, R12: inside\n        x();\n    }\n\n    fn r02_helper() {\n        // R04: not a test\n    }\n\n    #[tokio::test]\n    async fn stocked_b8_at_the_end() {}\n}\n";
    assert_eq!(
        found("a.rs", rust, Language::Rust),
        [("a.rs::r01_first".to_string(), ids(&["B7", "R01", "R03", "R12"])), ("a.rs::stocked_b8_at_the_end".to_string(), ids(&["B8"]))]
    );
    // Python: only test_ functions; decorators over several lines.
    let python = "@pytest.mark.parametrize(\n    \"x\", [1]\n)\n# R19/R20: both addresses\ndef test_p1_reveal(x: int) -> None:\n    # B2 and B6: inside\n    pass\n\n\ndef helper_r05() -> None:\n    pass\n";
    assert_eq!(found("t.py", python, Language::Python), [("t.py::test_p1_reveal".to_string(), ids(&["B2", "B6", "P1", "R19", "R20"]))]);
    // Kotlin: camelCase names after @Test.
    let kotlin = "class T {\n    @Test\n    fun r18AlternateEmail() {\n    }\n\n    fun r19Helper() {}\n}\n";
    assert_eq!(found("T.kt", kotlin, Language::Kotlin), [("T.kt::r18AlternateEmail".to_string(), ids(&["R18"]))]);
    // An id matches a whole word part: r1 is not r18 and neither is r01.
    assert_eq!(name_parts("test_r18_b7X"), ["test", "r18", "b7", "x"]);
    assert!(!name_parts("r18_x").contains(&"r1".to_string()));
    // A comment names ids only before a colon at its start.
    assert_eq!(ids_in_comment(" R29 applies to offers too"), Vec::<String>::new());
    assert_eq!(ids_in_comment(" see R18: later"), Vec::<String>::new());
    assert_eq!(ids_in_comment(" R09, R10: both"), ["R09", "R10"]);
}

#[test]
fn the_link_scan_reads_inline_links_outside_code() {
    let text = "See [a](a.md#part), [b](<b c.md> \"title\"), [web](https://x.example), [top](#top).\n`[not](code.md)`\n```\n[not](fenced.md)\n```\n[`Store`](partner_benefits::Store)\n";
    let targets = link_targets(text);
    assert_eq!(targets, ["a.md#part", "b c.md", "https://x.example", "#top", "partner_benefits::Store"]);
    let relative: Vec<_> = targets.iter().filter(|t| is_relative(t)).collect();
    assert_eq!(relative, ["a.md#part", "b c.md"]);
    assert!(leaves_the_root("README.md", "../elsewhere/x.md"));
    assert!(leaves_the_root("docs/adr/a.md", "../../../x.md"));
    assert!(!leaves_the_root("docs/adr/a.md", "../../README.md"));
}
