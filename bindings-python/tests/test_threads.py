"""A BenefitCenter shared by Python threads; the GIL is released while the core waits on a store."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import partner_benefits as pb
from support import World, make_world


def test_concurrent_writers_on_one_sqlite_file(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "threads.db"
    world = make_world(pb.BenefitCenter.open(path, clock=clock), clock)
    # A second center on the same file stands for a second process.
    other = pb.BenefitCenter.open(path, clock=clock).session(world.org.id, world.org.admin_id)
    sessions = [world.admin, other]

    def buy(n: int) -> str:
        return sessions[n % 2].with_retries(20).purchase_package("action-pack").id

    with ThreadPoolExecutor(max_workers=6) as pool:
        ids = list(pool.map(buy, range(24)))
    assert len(set(ids)) == 24
    assert len(other.packages()) == 24 == len(world.admin.packages())
    assert world.center.program().key_pool("windows-server").allocated == 24


def test_concurrent_purchases_all_land(world: World) -> None:
    def buy(_: int) -> str:
        return world.admin.with_retries(10).purchase_package("action-pack").id

    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = list(pool.map(buy, range(40)))
    assert len(set(ids)) == 40
    assert len(world.admin.packages()) == 40
    pool_state = world.center.program().key_pool("office-professional-plus")
    assert pool_state.allocated == 40 * 5


def test_concurrent_writers_never_share_the_last_seat(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    users = [world.admin.add_user(f"User {n}", f"user{n}@contoso.com") for n in range(12)]
    outcomes: list[str] = []
    lock = threading.Lock()

    def assign(user: pb.UserId) -> None:
        try:
            world.admin.with_retries(10).assign_user(vs.id, user)
            result = "ok"
        except pb.CapacityExhausted:
            result = "full"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=assign, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == vs.seats and outcomes.count("full") == len(users) - vs.seats
    assert len(world.benefit(package.id, "visual-studio").assigned_users) == vs.seats


def test_the_gil_is_released_during_storage_work(tmp_path: Path) -> None:
    """Another Python thread runs while one call is inside the SQLite store.

    With the GIL held for the whole call, the spinner could record at most a
    tick or two around its edges; released, it ticks every millisecond.
    """
    center = pb.BenefitCenter.open(tmp_path / "gil.db", stock_demo_keys=False)
    keys = [f"K-{n:07}" for n in range(50_000)]
    ticks: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.01)
        start = time.perf_counter()
        assert center.program().stock_keys("windows-server", keys) == 50_000
        end = time.perf_counter()
    finally:
        stop.set()
        spinner.join()
    during = [t for t in ticks if start < t < end]
    assert len(during) >= 5, (end - start, len(during))


def test_the_gil_is_kept_during_work_in_memory() -> None:
    """A call on a center in memory never waits on I/O: it keeps the GIL.

    Handing the GIL off and back would cost a call of about a microsecond
    more than it lets other threads do; the spinner gets no tick while the
    same stocking runs in memory (it got many on a file, above).
    """
    center = pb.BenefitCenter.in_memory(stock_demo_keys=False)
    keys = [f"K-{n:07}" for n in range(200_000)]
    ticks: list[float] = []
    stop = threading.Event()

    def spin() -> None:
        while not stop.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.0005)

    spinner = threading.Thread(target=spin)
    spinner.start()
    try:
        time.sleep(0.01)
        start = time.perf_counter()
        assert center.program().stock_keys("windows-server", keys) == 200_000
        end = time.perf_counter()
    finally:
        stop.set()
        spinner.join()
    during = [t for t in ticks if start < t < end]
    assert end - start > 0.02, "the call must be long enough to tell"
    assert len(during) <= 1, (end - start, len(during))


def test_threads_on_one_organization_in_memory_finish_while_logging_goes_to_python() -> None:
    """With the log forwarded to Python's logging, a call logs while it holds
    its organization's lock, and Python may hand the GIL to another thread
    then: that thread must wait for the lock without holding the GIL."""
    center = pb.BenefitCenter.in_memory()
    org = center.create_organization(
        name="Contoso", account_email="p@contoso.example", admin_name="Avery", admin_email="a@contoso.example"
    )
    admin = center.session(org.id, org.admin_id)
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("partner_benefits")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    pb.enable_logging(logging.DEBUG)
    try:

        def add(t: int) -> None:
            for n in range(150):
                admin.add_user(f"User {t} {n}", f"u{t}-{n}@contoso.example")

        threads = [threading.Thread(target=add, args=(t,), daemon=True) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads), "threads on one organization deadlocked"
    finally:
        pb.enable_logging(None)
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert len(admin.users()) == 1 + 4 * 150
    assert any("committed" in record.getMessage() for record in records), "the commits were logged through Python"


def test_many_centers_in_many_threads(clock: pb.ManualClock) -> None:
    def run(n: int) -> int:
        center = pb.BenefitCenter.in_memory(clock=clock)
        org = center.create_organization(
            name=f"Org {n}", account_email=f"p{n}@example.com", admin_name="A", admin_email=f"a{n}@example.com"
        )
        session = center.session(org.id, org.admin_id)
        session.purchase_package("action-pack")
        return len(session.all_benefits())

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert set(pool.map(run, range(8))) == {7}
