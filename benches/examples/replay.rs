//! Replays a generated workload through the core once, for profiling:
//! `cargo build --release -p partner-benefits-benches --example replay`, then
//! `valgrind --tool=callgrind target/release/examples/replay small`.
//! Arguments: a size (`tiny|small|medium|large`, or a number of commands) and `baseline` to run the baseline instead.

use partner_benefits::Catalog;
use partner_benefits_benches::measure::{per_second, prepared_baseline, prepared_core, report_failures};
use partner_benefits_benches::{DEFAULT_SEED, Size, generate};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let size = args.first().map_or("small", String::as_str);
    let size = Size::named(size).or_else(|| size.parse().ok().map(Size::scaled)).unwrap_or(Size::SMALL);
    let Ok(catalog) = Catalog::builtin() else { return };
    let workload = generate(size, DEFAULT_SEED, &catalog);
    let started = std::time::Instant::now();
    if args.iter().any(|a| a == "baseline") {
        let mut baseline = prepared_baseline(&workload);
        baseline.run_all(workload.mix());
    } else {
        let mut replay = prepared_core(&workload);
        let tally = replay.run_all(workload.mix());
        report_failures("mix", &tally);
    }
    let elapsed = started.elapsed();
    println!("{} commands in {elapsed:?}: {:.0}/s", workload.mix().len(), per_second(workload.mix().len() as u64, elapsed));
}
