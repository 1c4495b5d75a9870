//! Writes a workload as JSON lines for the Python and Kotlin benches:
//! `cargo run -p partner-benefits-benches --bin export-workload -- --size small > small.jsonl`
//! (`--size tiny|small|medium|large`, `--seed N`).

use std::io::Write;

use partner_benefits::Catalog;
use partner_benefits_benches::{DEFAULT_SEED, Size, generate};

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |flag: &str| args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1)).cloned();
    let size_name = value("--size").unwrap_or_else(|| "small".into());
    let Some(size) = Size::named(&size_name) else {
        eprintln!("unknown size `{size_name}`: use tiny, small, medium or large");
        return std::process::ExitCode::from(2);
    };
    let seed = match value("--seed").map(|s| s.parse::<u64>()) {
        None => DEFAULT_SEED,
        Some(Ok(seed)) => seed,
        Some(Err(_)) => {
            eprintln!("--seed takes a number");
            return std::process::ExitCode::from(2);
        }
    };
    let catalog = match Catalog::builtin() {
        Ok(catalog) => catalog,
        Err(err) => {
            eprintln!("the built-in catalog does not load: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let workload = generate(size, seed, &catalog);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if let Err(err) = workload.to_json_lines(&mut out).and_then(|()| out.flush()) {
        eprintln!("writing the workload failed: {err}");
        return std::process::ExitCode::FAILURE;
    }
    std::process::ExitCode::SUCCESS
}
