//! Core, in memory: commands per second on the mixed workload, against a
//! minimal `HashMap` loop making the same state changes (the memory limit),
//! and how throughput holds from 10³ to 10⁵ commands (flatness).
//!
//! `cargo bench -p partner-benefits-benches --bench core` (add `-- --quick`
//! or set `BENCH_QUICK=1` for the CI smoke run).

use criterion::{BatchSize, Criterion, Throughput};
use partner_benefits::Catalog;
use partner_benefits_benches::measure::{best_baseline, best_core, per_second, prepared_baseline, prepared_core};
use partner_benefits_benches::{DEFAULT_SEED, Size, generate, quick_mode};

fn main() {
    let quick = quick_mode();
    let Ok(catalog) = Catalog::builtin() else {
        eprintln!("the built-in catalog does not load");
        std::process::exit(1);
    };
    let small = generate(Size::SMALL, DEFAULT_SEED, &catalog);

    // Criterion's statistics for the small workload.
    let mut criterion = Criterion::default().configure_from_args();
    if quick {
        criterion = criterion
            .sample_size(10)
            .warm_up_time(std::time::Duration::from_millis(200))
            .measurement_time(std::time::Duration::from_millis(500));
    }
    {
        let mut group = criterion.benchmark_group("core_in_memory");
        group.throughput(Throughput::Elements(small.mix().len() as u64));
        group.bench_function("core/small", |b| {
            b.iter_batched(|| prepared_core(&small), |mut replay| replay.run_all(small.mix()), BatchSize::LargeInput)
        });
        group.bench_function("baseline/small", |b| {
            b.iter_batched(|| prepared_baseline(&small), |mut baseline| baseline.run_all(small.mix()), BatchSize::LargeInput)
        });
        group.finish();
    }

    // The table: best-of-N wall times, ratios measured in this same run.
    let big = if quick { 10_000 } else { 100_000 };
    let runs = if quick { 1 } else { 3 };
    println!();
    println!("| workload | commands | core cmd/s | baseline cmd/s | core / baseline |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    let mut rates = Vec::new();
    for commands in [1_000, big] {
        let workload = generate(Size::scaled(commands), DEFAULT_SEED, &catalog);
        let n = workload.mix().len() as u64;
        let core = per_second(n, best_core(&workload, runs));
        let baseline = per_second(n, best_baseline(&workload, runs));
        println!("| mixed, {} orgs | {n} | {core:.0} | {baseline:.0} | {:.3} |", commands / 100, core / baseline);
        rates.push((n, core, baseline));
    }
    if let [(n0, c0, b0), (n1, c1, b1)] = rates.as_slice() {
        println!();
        println!("flatness: at {n1} commands the core runs at {:.2}x its rate at {n0}; the baseline at {:.2}x", c1 / c0, b1 / b0);
    }
    criterion.final_summary();
}
