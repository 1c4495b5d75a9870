"""Python threads on distinct organizations, through the installed wheel: the
shape of the Rust `--bench threads` (one in-memory center, one organization
per thread, every thread the same fixed number of calls, started together).
Writes: `add_user` (a fresh organization every 500 users); reads: `users()`
of an organization of 50 users. Reports calls/s over all threads and the
ratio of 2 threads to 1. A plain timed harness, not a test: nothing is
asserted.

    python bindings-python/benches/threads.py [--store memory|sqlite] [--quick]

`--quick` (or env `BENCH_QUICK=1`) runs a tenth of the calls.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from pathlib import Path

import partner_benefits as pb

USERS_READ = 50
USERS_PER_ORGANIZATION = 500


def organization(center: pb.BenefitCenter, tag: str) -> pb.Session:
    org = center.create_organization(
        name=f"Org {tag}", account_email=f"p@{tag}.example", admin_name="Admin", admin_email=f"a@{tag}.example"
    )
    return center.session(org.id, org.admin_id)


def run(center: pb.BenefitCenter, work: str, threads: int, calls: int, round_tag: str) -> float:
    barrier = threading.Barrier(threads + 1)

    def worker(t: int) -> None:
        tag = f"{round_tag}t{t}"
        session = organization(center, tag)
        if work == "reads":
            for u in range(USERS_READ):
                session.add_user(f"User {u}", f"u{u}@{tag}.example")
        barrier.wait()
        for i in range(calls):
            if work == "writes":
                if i > 0 and i % USERS_PER_ORGANIZATION == 0:
                    session = organization(center, f"{tag}-{i}")
                session.add_user(f"User {i}", f"u{i}@{tag}.example")
            else:
                session.users()

    pool = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in pool:
        thread.join()
    return threads * calls / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", choices=["memory", "sqlite"], default="memory")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scale = 10 if args.quick or os.environ.get("BENCH_QUICK") else 1
    with tempfile.TemporaryDirectory() as tmp:
        made = 0

        def center() -> pb.BenefitCenter:
            nonlocal made
            made += 1
            if args.store == "memory":
                return pb.BenefitCenter.in_memory(stock_demo_keys=False)
            return pb.BenefitCenter.open(Path(tmp) / f"threads-{made}.db", stock_demo_keys=False)

        print(f"| calls ({args.store}) | threads | calls/s | vs 1 thread |")
        print("| --- | ---: | ---: | ---: |")
        works: list[tuple[str, str, int]] = [("writes", "add_user", 50_000 // scale), ("reads", "users() of 50", 100_000 // scale)]
        if args.store == "sqlite":
            works = [(w, n, c // 20) for w, n, c in works]
        for work, name, calls in works:

            def best(threads: int) -> float:
                # The best of three runs: the machine's noise only slows a run down.
                return max(run(center(), work, threads, calls, f"r{r}") for r in range(3))

            one, two = best(1), best(2)
            print(f"| {name} | 1 | {one:.0f} | 1.00 |")
            print(f"| {name} | 2 | {two:.0f} | {two / one:.2f} |")


if __name__ == "__main__":
    main()
