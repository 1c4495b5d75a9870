"""Python binding bench (issue 8, item 3): a plain timed harness, not a test.

1. Replays the generated workload (the JSON lines of
   `cargo run -p partner-benefits-benches --bin export-workload -- --size small`)
   through the installed `partner_benefits` wheel, the way the Rust replay
   (`benches/workload/replay.rs`) does: the setup steps first (clock, key
   pools, organizations, levels; not timed), then the mix of commands and
   queries, each through `center.session(org, user)` after moving the manual
   clock by the step's `advance_secs`. Reports commands/s (best and median
   of several runs, each on a fresh center) and fails if any step fails: the
   workload is generated to run without errors.
2. Times the per-call cost of a trivial query, `session.organization()` on an
   in-memory center, beside reference calls (a Python method doing nothing, a
   binding call that does no core work, `center.session(...)`), all with the
   loop's own cost subtracted.

Run it with the wheel installed (a release wheel for figures worth quoting):

    python bindings-python/benches/replay.py [--size small|medium|tiny]
        [--workload FILE.jsonl] [--store memory|sqlite] [--runs N] [--quick]

Without `--workload` it runs `cargo run -q -p partner-benefits-benches --bin
export-workload` from the repository to make one. `--quick` (or env
`BENCH_QUICK=1`) does one replay and short timing loops: a smoke check that
the bench still runs, finishing in seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import partner_benefits as pb

REPO = Path(__file__).resolve().parents[2]

# ------------------------------------------------------------------ the workload


def ids(step: dict[str, Any]) -> tuple[pb.OrganizationId, pb.UserId]:
    """The organization and acting user of a step, as the Rust replay numbers them."""
    org = int(step["org"]) + 1
    return pb.OrganizationId(f"org-{org}"), pb.UserId(f"usr-{org}-{int(step['user']) + 1}")


def roles(names: list[str]) -> list[pb.Role]:
    return [pb.Role(name) for name in names]


# One constructor per core command, from the command's JSON (the core's serde form).
COMMANDS: dict[str, Callable[[dict[str, Any]], pb.Command]] = {
    "add_user": lambda c: pb.Command.add_user(c["name"], c["email"], roles=roles(c["roles"]), language=c.get("language")),
    "set_user_roles": lambda c: pb.Command.set_user_roles(c["user"], roles(c["roles"])),
    "purchase_package": lambda c: pb.Command.purchase_package(c["template"]),
    "renew_package": lambda c: pb.Command.renew_package(c["package"]),
    "cancel_package": lambda c: pb.Command.cancel_package(c["package"]),
    "cancel_offer": lambda c: pb.Command.cancel_offer(c["offer"]),
    "get_keys": lambda c: pb.Command.get_keys(c["benefit"], language=c.get("language"), os=c.get("os")),
    "assign_user": lambda c: pb.Command.assign_user(c["benefit"], c["user"]),
    "unassign_user": lambda c: pb.Command.unassign_user(c["benefit"], c["user"]),
    "reassign_user": lambda c: pb.Command.reassign_user(c["benefit"], c["from"], c["to"]),
    "activate_technical": lambda c: pb.Command.activate_technical(c["benefit"], c["user"], c["alternate_email"]),
    "request_assistance": lambda c: pb.Command.request_assistance(
        c["benefit"], pb.Phase(c["phase"]), Decimal(str(c["amount"])), c["description"]
    ),
    "withdraw_request": lambda c: pb.Command.withdraw_request(c["request"]),
    "set_marketing_contact": lambda c: pb.Command.set_marketing_contact(c["user"], c["email"], c["phone"], c["language"]),
    "activate_offer": lambda c: pb.Command.activate_offer(c["offer"]),
}

# A query: what to call on the session.
Action = Callable[[pb.Session], object]


def query(q: dict[str, Any]) -> Action:
    kind = q["query"]
    if kind == "organization":
        return lambda s: s.organization()
    if kind == "package":
        package = q["package"]
        return lambda s: s.package(package)
    if kind == "benefit":
        benefit = q["benefit"]
        return lambda s: s.benefit(benefit)
    if kind == "marketing_contact":
        return lambda s: s.marketing_contact()
    raise SystemExit(f"unknown query {kind!r}: update benches/replay.py")


@dataclass
class Measured:
    """One step of the mix, converted ahead of time (conversion is not timed)."""

    kind: str
    org: pb.OrganizationId
    user: pb.UserId
    advance: timedelta | None
    command: pb.Command | None
    action: Action | None


@dataclass
class Workload:
    setup: list[dict[str, Any]]
    mix: list[Measured]
    seed: int


def compile_workload(lines: list[str]) -> Workload:
    steps = [json.loads(line) for line in lines if line.strip()]
    first = next((i for i, s in enumerate(steps) if s["op"] in ("execute", "query")), len(steps))
    setup, mix = steps[:first], steps[first:]
    compiled: list[Measured] = []
    for step in mix:
        org, user = ids(step)
        advance = timedelta(seconds=int(step["advance_secs"])) if step.get("advance_secs") else None
        if step["op"] == "execute":
            command = step["command"]
            make = COMMANDS.get(command["command"])
            if make is None:
                raise SystemExit(f"unknown command {command['command']!r}: update benches/replay.py")
            compiled.append(Measured(command["command"], org, user, advance, make(command), None))
        elif step["op"] == "query":
            compiled.append(Measured("query", org, user, advance, None, query(step["query"])))
        else:
            raise SystemExit(f"a setup step ({step['op']}) inside the mix is not supported")
    seed = next((int(s.get("seed", 0)) for s in setup if s["op"] == "begin"), 0)
    return Workload(setup, compiled, seed)


def export_workload(size: str) -> list[str]:
    command = ["cargo", "run", "-q", "-p", "partner-benefits-benches", "--bin", "export-workload", "--", "--size", size]
    print(f"exporting the workload: {' '.join(command)}", file=sys.stderr)
    out = subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.PIPE, text=True)
    return out.stdout.splitlines()


# ------------------------------------------------------------------ replay


def rfc3339(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def prepared(workload: Workload, store: str, folder: Path, run: int) -> tuple[pb.BenefitCenter, pb.ManualClock]:
    """A fresh center with the setup applied, as `measure::prepared_core` does."""
    clock = pb.ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    if store == "memory":
        center = pb.BenefitCenter.in_memory(clock=clock, stock_demo_keys=False)
    else:
        center = pb.BenefitCenter.open(folder / f"replay-{run}.db", clock=clock, stock_demo_keys=False)
    program = center.program()
    for step in workload.setup:
        op = step["op"]
        org, _ = ids(step)
        if step.get("advance_secs"):
            clock.advance(timedelta(seconds=int(step["advance_secs"])))
        if op == "begin":
            clock.set(rfc3339(step["start"]))
        elif op == "stock_keys":
            product = step["product"]
            program.stock_keys(product, [f"K-{product}-{n}" for n in range(int(step["count"]))])
        elif op == "create_organization":
            made = center.create_organization(
                name=step["name"],
                account_email=step["account_email"],
                admin_name=step["admin_name"],
                admin_email=step["admin_email"],
            )
            if made.id != org:
                raise SystemExit(f"replay on a fresh store: expected {org}, got {made.id}")
        elif op == "set_partner_level":
            program.set_partner_level(org, pb.PartnerLevel(step["level"]))
        elif op == "grant_competency":
            program.grant_competency(org, step["competency"])
        else:
            raise SystemExit(f"unknown setup step {op!r}: update benches/replay.py")
    return center, clock


def replay(center: pb.BenefitCenter, clock: pb.ManualClock, mix: list[Measured]) -> tuple[float, Counter[str]]:
    """Runs the mix; returns the seconds it took and the failures by `kind:code`."""
    failures: Counter[str] = Counter()
    session = center.session
    advance = clock.advance
    started = time.perf_counter()
    for step in mix:
        if step.advance is not None:
            advance(step.advance)
        acting = session(step.org, step.user)
        try:
            if step.command is not None:
                acting.execute(step.command)
            elif step.action is not None:
                step.action(acting)
        except pb.BenefitsError as err:
            failures[f"{step.kind}:{err.code}"] += 1
    return time.perf_counter() - started, failures


# ------------------------------------------------------------------ per-call cost


def per_call(call: Callable[[], object], loops: int, repeats: int) -> float:
    """Best seconds per call of `call()`, the empty loop's cost subtracted."""

    def timed(body: Callable[[], object] | None) -> float:
        best = float("inf")
        for _ in range(repeats):
            r = range(loops)
            started = time.perf_counter()
            if body is None:
                for _ in r:
                    pass
            else:
                for _ in r:
                    body()
            best = min(best, time.perf_counter() - started)
        return best / loops

    return max(timed(call) - timed(None), 0.0)


class Nothing:
    def method(self) -> None:
        return None


def call_costs(loops: int, repeats: int) -> list[tuple[str, float]]:
    clock = pb.ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc))
    center = pb.BenefitCenter.in_memory(clock=clock)
    org = center.create_organization(
        name="Contoso Ltd", account_email="partners@contoso.com", admin_name="Avery Admin", admin_email="avery@contoso.com"
    )
    session = center.session(org.id, org.admin_id)
    package = session.purchase_package("action-pack")
    benefit = session.benefits(package.id)[0].id
    nothing = Nothing()
    return [
        ("python method doing nothing", per_call(nothing.method, loops, repeats)),
        ("clock.now() (binding, no core work)", per_call(clock.now, loops, repeats)),
        ("center.session(org, user)", per_call(lambda: center.session(org.id, org.admin_id), loops, repeats)),
        ("session.organization()", per_call(session.organization, loops, repeats)),
        ("session.benefit(id)", per_call(lambda: session.benefit(benefit), loops, repeats)),
    ]


# ------------------------------------------------------------------ main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workload", type=Path, help="JSON lines from export-workload (default: export one)")
    parser.add_argument("--size", default="small", help="size to export when no --workload is given (default: small)")
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory", help="where the replay keeps its data")
    parser.add_argument("--runs", type=int, default=5, help="replays to time (best and median are shown; default 5)")
    parser.add_argument("--quick", action="store_true", help="one replay and short loops: checks the bench runs")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK", "0") not in ("", "0")

    lines = args.workload.read_text().splitlines() if args.workload else export_workload(args.size)
    workload = compile_workload(lines)
    runs = 1 if quick else max(args.runs, 1)
    print(f"partner_benefits from {Path(pb.__file__).parent}; Python {sys.version.split()[0]}")
    print(f"workload: {len(workload.mix)} commands and queries after {len(workload.setup)} setup steps (seed {workload.seed:#x})")

    timings: list[float] = []
    failed: Counter[str] = Counter()
    with tempfile.TemporaryDirectory() as folder:
        for run in range(runs):
            center, clock = prepared(workload, args.store, Path(folder), run)
            elapsed, failures = replay(center, clock, workload.mix)
            timings.append(elapsed)
            failed += failures
            del center
    count = len(workload.mix)
    best, median = min(timings), statistics.median(timings)
    print(
        f"replay ({args.store}, {runs} run{'s' if runs > 1 else ''}): best {best * 1e3:.1f} ms = {count / best:,.0f} commands/s"
        f" ({best / count * 1e6:.2f} µs each); median {count / median:,.0f} commands/s"
    )

    loops, repeats = (20_000, 3) if quick else (200_000, 7)
    print(f"per call (best of {repeats} x {loops:,} calls, loop cost subtracted):")
    for name, seconds in call_costs(loops, repeats):
        print(f"  {name:<40} {seconds * 1e6:6.3f} µs")

    if failed:
        print(f"FAILED: {sum(failed.values())} steps failed (the workload is generated to run without any): {dict(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
