//! What goes to standard output: aligned tables for people, JSON (or CSV)
//! for scripts. Every write can fail (a closed pipe, a full disk).

use std::io::{self, Write};

use comfy_table::{Table, presets};
use serde::Serialize;

use crate::failure::Failure;

/// Writes `text` and a line break.
pub fn line(text: &str) -> Result<(), Failure> {
    writeln!(io::stdout().lock(), "{text}").map_err(Failure::Output)
}

/// Writes `value` as pretty JSON and a line break.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Failure> {
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| Failure::Output(e.into()))?;
    writeln!(out).map_err(Failure::Output)
}

/// Writes `value` as one line of JSON (JSON Lines).
pub fn json_line<T: Serialize + ?Sized>(out: &mut impl Write, value: &T) -> Result<(), Failure> {
    serde_json::to_writer(&mut *out, value).map_err(|e| Failure::Output(e.into()))?;
    writeln!(out).map_err(Failure::Output)
}

/// Writes rows under a header in aligned columns (no borders; wide
/// characters counted by their width on screen).
pub fn table(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<(), Failure> {
    let mut table = Table::new();
    table.load_preset(presets::NOTHING);
    table.set_header(header.iter().map(|h| h.to_string()));
    for row in rows {
        table.add_row(row);
    }
    for column in table.column_iter_mut() {
        column.set_padding((0, 2));
    }
    let mut out = io::stdout().lock();
    for row in table.lines() {
        writeln!(out, "{}", row.trim_end()).map_err(Failure::Output)?;
    }
    Ok(())
}

/// A CSV writer on standard output.
pub fn csv() -> csv::Writer<io::StdoutLock<'static>> {
    csv::Writer::from_writer(io::stdout().lock())
}

/// A CSV write error as an output failure.
pub fn csv_failed(err: csv::Error) -> Failure {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => Failure::Output(e),
        other => Failure::Output(io::Error::other(format!("{other:?}"))),
    }
}

/// The snake_case word serde gives a value (`visual_studio`, `global_admin`).
pub fn word<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(text)) => text,
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// An optional value as text, empty when absent.
pub fn or_empty<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}
