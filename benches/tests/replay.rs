//! The generator's workload replays through the core without errors, and
//! round-trips through JSON lines. Asserts nothing about speed.

use partner_benefits::Catalog;
use partner_benefits_benches::baseline::Baseline;
use partner_benefits_benches::replay::Replay;
use partner_benefits_benches::{DEFAULT_SEED, Size, Workload, generate};

#[test]
fn tiny_workload_replays_without_errors() {
    let catalog = Catalog::builtin().unwrap();
    let workload = generate(Size::named("tiny").unwrap(), DEFAULT_SEED, &catalog);
    assert_eq!(workload.mix().len(), 200);
    let mut replay = Replay::in_memory().unwrap();
    let tally = replay.run_all(&workload.steps);
    assert_eq!(tally.failed(), 0, "{:#?}", tally);
    let mut baseline = Baseline::new(catalog);
    baseline.run_all(&workload.steps);
    assert!(baseline.logged() > 0);
}

#[test]
fn small_workload_replays_without_errors_and_covers_the_mix() {
    let catalog = Catalog::builtin().unwrap();
    let workload = generate(Size::SMALL, 7, &catalog);
    let mut replay = Replay::in_memory().unwrap();
    let tally = replay.run_all(&workload.steps);
    assert_eq!(tally.failed(), 0, "{:#?}", tally);
    let kinds: std::collections::BTreeSet<&str> = workload.mix().iter().map(|s| s.op.kind()).collect();
    for kind in [
        "add_user",
        "purchase_package",
        "get_keys",
        "assign_user",
        "unassign_user",
        "reassign_user",
        "activate_technical",
        "request_assistance",
        "set_marketing_contact",
        "activate_offer",
        "cancel_package",
        "query",
    ] {
        assert!(kinds.contains(kind), "the mix has no {kind}: {kinds:?}");
    }
}

#[test]
fn generation_is_deterministic_and_round_trips_as_json_lines() {
    let catalog = Catalog::builtin().unwrap();
    let size = Size::named("tiny").unwrap();
    let workload = generate(size, DEFAULT_SEED, &catalog);
    assert_eq!(workload, generate(size, DEFAULT_SEED, &catalog));
    assert_ne!(workload, generate(size, DEFAULT_SEED + 1, &catalog));
    let mut text = Vec::new();
    workload.to_json_lines(&mut text).unwrap();
    let read = Workload::from_json_lines(std::str::from_utf8(&text).unwrap()).unwrap();
    assert_eq!(read, workload);
}
