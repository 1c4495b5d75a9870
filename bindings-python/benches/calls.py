"""Per-call cost through the wheel of the calls users make most, beside the
same calls from Rust (`cargo run --release -p partner-benefits-benches
--example calls`), which makes them on the same setup: the binding's
overhead is the difference. A plain timed harness, not a test.

Each call is made N times (2 000; 200 with `--quick`) on a fresh in-memory
center, timed as one loop; the best of 5 such runs is shown (1 with
`--quick`). A purchase returns the package's view, as the wheel's
`purchase_package` does; the refused `cancel_package` raises
`RefundNotAllowed`, caught in the loop.

    python bindings-python/benches/calls.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import TypeVar

import partner_benefits as pb

PACKAGE = "action-pack"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)

S = TypeVar("S")


class World:
    """An in-memory center with one organization, keys for `purchases` packages."""

    def __init__(self, purchases: int) -> None:
        self.center = pb.BenefitCenter.in_memory(clock=pb.ManualClock(START), stock_demo_keys=False)
        catalog = json.loads(self.center.catalog_json())
        template = next(p for p in catalog["packages"] if p["code"] == PACKAGE)
        for benefit in template["benefits"]:
            kind = next(iter(benefit["kind"].values()))
            if purchases > 0 and isinstance(kind, dict) and "product" in kind:
                product = kind["product"]
                keys = [f"K-{product}-{n}" for n in range(purchases * int(kind["keys"]))]
                self.center.program().stock_keys(product, keys)
        made = self.center.create_organization(
            name="Contoso Ltd", account_email="partners@contoso.com", admin_name="Avery Admin", admin_email="avery@contoso.com"
        )
        self.center.program().set_partner_level(made.id, pb.PartnerLevel.MEMBER)
        self.admin = self.center.session(made.id, made.admin_id)


def per_call(n: int, runs: int, setup: Callable[[], S], call: Callable[[S, int], object]) -> float:
    """Best seconds per call of `runs` runs of `n` calls, each on what `setup` makes (untimed)."""
    best = float("inf")
    for _ in range(runs):
        state = setup()
        started = time.perf_counter()
        for i in range(n):
            call(state, i)
        best = min(best, time.perf_counter() - started)
    return best / n


def refused_cancel(state: tuple[pb.Session, pb.PackageId]) -> None:
    session, package = state
    try:
        session.cancel_package(package)
    except pb.RefundNotAllowed:
        return
    raise AssertionError("the refund was not refused")


def with_revealed_software() -> tuple[pb.Session, pb.PackageId]:
    # Software revealed: the refund is refused (R29).
    world = World(1)
    package = world.admin.purchase_package(PACKAGE)
    office = next(b for b in world.admin.benefits(package.id) if b.code == "office-professional-plus")
    world.admin.get_keys(office.id, "en", "x64")
    return world.admin, package.id


def with_seats(n: int) -> list[tuple[pb.Session, pb.BenefitId, pb.UserId]]:
    # A seat per call: Visual Studio pools of 3 seats, 3 users.
    world = World((n + 2) // 3)
    users = [world.admin.add_user(f"User {i}", f"user{i}@contoso.com") for i in range(3)]
    seats: list[tuple[pb.Session, pb.BenefitId, pb.UserId]] = []
    for _ in range((n + 2) // 3):
        package = world.admin.purchase_package(PACKAGE)
        pool = next(b for b in world.admin.benefits(package.id) if b.code == "visual-studio")
        seats.extend((world.admin, pool.id, user) for user in users)
    return seats


def with_package() -> tuple[pb.Session, pb.PackageId]:
    world = World(1)
    return world.admin, world.admin.purchase_package(PACKAGE).id


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="200 calls once: checks the bench runs")
    args = parser.parse_args()
    quick = args.quick or os.environ.get("BENCH_QUICK", "0") not in ("", "0")
    n, runs = (200, 1) if quick else (2_000, 5)

    def create_organization(world: World, i: int) -> object:
        return world.center.create_organization(
            name=f"Org {i}", account_email=f"partners@org{i}.example", admin_name="Avery Admin", admin_email=f"admin@org{i}.example"
        )

    def benefits(state: tuple[pb.Session, pb.PackageId], _: int) -> None:
        session, package = state
        if not session.benefits(package):
            raise AssertionError("no benefits")

    def assign(seats: list[tuple[pb.Session, pb.BenefitId, pb.UserId]], i: int) -> None:
        session, pool, user = seats[i]
        session.assign_user(pool, user)

    rows = [
        ("create_organization", per_call(n, runs, lambda: World(0), create_organization)),
        ("add_user", per_call(n, runs, lambda: World(0), lambda w, i: w.admin.add_user(f"User {i}", f"user{i}@contoso.com"))),
        ("purchase_package (with its view)", per_call(n, runs, lambda: World(n), lambda w, _: w.admin.purchase_package(PACKAGE))),
        ("benefits(package)", per_call(n, runs, with_package, benefits)),
        ("cancel_package, refused", per_call(n, runs, with_revealed_software, lambda s, _: refused_cancel(s))),
        ("assign_user", per_call(n, runs, lambda: with_seats(n), assign)),
    ]
    print(f"partner_benefits from {os.path.dirname(pb.__file__)}; Python {sys.version.split()[0]}")
    print(f"| call (Python, in memory, {n} calls, best of {runs}) | µs per call |")
    print("| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds * 1e6:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
