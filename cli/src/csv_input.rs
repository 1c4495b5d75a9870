//! Reading a CSV file given to a subcommand: a header row naming the
//! columns, then one record per line. Every problem names the file and the
//! line, and is found before anything is written.

use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::path::Path;

use partner_benefits::Error;

use crate::failure::Failure;

/// The records of a CSV file, by column name.
pub struct CsvFile {
    /// The path as given, for messages.
    pub shown: String,
    columns: BTreeMap<String, usize>,
    /// Each record with the line it starts on.
    pub rows: Vec<(u64, csv::StringRecord)>,
}

impl CsvFile {
    /// The field `column` of `record`, trimmed; empty when the column is absent.
    pub fn field<'r>(&self, record: &'r csv::StringRecord, column: &str) -> &'r str {
        self.columns.get(column).and_then(|&i| record.get(i)).unwrap_or("")
    }

    /// "`users.csv` line 3", for a message about one record.
    pub fn at(&self, line: u64) -> String {
        format!("`{}` line {line}", self.shown)
    }
}

fn invalid(shown: &str, reason: impl Into<String>) -> Failure {
    Error::InvalidInput { field: shown.to_string(), reason: reason.into() }.into()
}

/// Reads `path`: it must have every column of `required`, may have those of
/// `optional`, and nothing else (a misspelt column is an error, not ignored).
pub fn read(path: &Path, required: &[&str], optional: &[&str]) -> Result<CsvFile, Failure> {
    let shown = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(Error::NotFound { kind: "file", id: shown }.into()),
        Err(e) => return Err(invalid(&shown, format!("cannot be read: {e}"))),
    };
    if path.is_dir() {
        return Err(invalid(&shown, "is a directory, not a CSV file"));
    }
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(file);
    let header = reader.headers().map_err(|e| problem(&shown, e))?.clone();
    if header.iter().all(str::is_empty) {
        return Err(invalid(&shown, format!("has no header row: its first line names the columns ({})", expected(required, optional))));
    }
    let mut columns = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        let name = name.to_lowercase();
        if !required.contains(&name.as_str()) && !optional.contains(&name.as_str()) {
            return Err(invalid(&shown, format!("has an unknown column `{name}`; the columns are {}", expected(required, optional))));
        }
        if columns.insert(name.clone(), i).is_some() {
            return Err(invalid(&shown, format!("names the column `{name}` twice")));
        }
    }
    if let Some(missing) = required.iter().find(|c| !columns.contains_key(**c)) {
        return Err(invalid(&shown, format!("has no `{missing}` column; the columns are {}", expected(required, optional))));
    }
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| problem(&shown, e))?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(str::is_empty) {
            continue;
        }
        rows.push((line, record));
    }
    Ok(CsvFile { shown, columns, rows })
}

fn expected(required: &[&str], optional: &[&str]) -> String {
    let optional = optional.iter().map(|c| format!("{c} (may be left out)"));
    required.iter().map(|c| c.to_string()).chain(optional).collect::<Vec<_>>().join(", ")
}

/// A CSV reading error in words, with its line.
fn problem(shown: &str, err: csv::Error) -> Failure {
    let line = err.position().map(|p| p.line());
    let reason = match err.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("has {len} fields where the header has {expected_len}")
        }
        csv::ErrorKind::Utf8 { .. } => "is not UTF-8 text".to_string(),
        csv::ErrorKind::Io(e) => format!("cannot be read: {e}"),
        other => format!("does not parse as CSV: {other:?}"),
    };
    match line {
        Some(line) => invalid(shown, format!("line {line} {reason}")),
        None => invalid(shown, reason),
    }
}
