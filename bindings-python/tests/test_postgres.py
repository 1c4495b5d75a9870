"""`BenefitCenter.open("postgres://...")`: the PostgreSQL store.

Tests that need a server use the database named by the env `PGURL`
(`scripts/test-python` starts a throwaway cluster and sets it). Without
`PGURL` they are skipped, unless `CI` is set: then they fail, so CI cannot
pass without having run them. The tests share that database, so each works
in organizations of its own and asserts nothing about the others'.
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

import partner_benefits as pb
from support import build_history, days, make_world, snapshot


@pytest.fixture
def pgurl() -> str:
    url = os.environ.get("PGURL", "")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI is set but PGURL is not: the PostgreSQL tests must run in CI (scripts/test-python sets PGURL)")
        pytest.skip("PGURL is not set (e.g. postgres://postgres@127.0.0.1:5432/testdb); scripts/test-python starts a server")
    return url


def keyed_products(center: pb.BenefitCenter) -> set[str]:
    """Every `product` named in the catalog (the products with a key pool)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            product = node.get("product")
            if isinstance(product, str):
                found.add(product)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(center.catalog_json()))
    return found


def open_center(url: str, clock: pb.ManualClock) -> pb.BenefitCenter:
    """A center on `url` whose key pools have room for a test's purchases,
    however often the tests already ran against this database."""
    center = pb.BenefitCenter.open(url, clock=clock)
    program = center.program()
    for product in keyed_products(center):
        if program.key_pool(product).available < 100:
            run = uuid.uuid4().hex[:12]
            program.stock_keys(product, [f"PYTEST-{run}-{n:04}" for n in range(500)])
    return center


# ------------------------------------------------------------------ no server needed


@pytest.fixture
def empty_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory, to see that no URL was taken for a SQLite file."""
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "url",
    [
        "postgres://user@localhost:notaport/db",
        "postgresql://user@localhost:99999999/db",
        "postgres://user@localhost/db?sslmode=bogus",
        "postgres://user@localhost/db?connect_timeout=soon",
    ],
)
def test_a_malformed_url_is_a_storage_error(url: str, empty_cwd: Path) -> None:
    with pytest.raises(pb.StorageError) as raised:
        pb.BenefitCenter.open(url)
    assert raised.value.code == "storage"
    assert "does not parse" in str(raised.value)


def test_an_unreachable_server_is_a_storage_error_without_the_password(empty_cwd: Path) -> None:
    # Nothing listens on port 1 of loopback: refused at once.
    for scheme in ("postgres", "postgresql"):
        started = time.monotonic()
        with pytest.raises(pb.StorageError) as raised:
            pb.BenefitCenter.open(f"{scheme}://benefits:hunter2@127.0.0.1:1/benefits")
        assert time.monotonic() - started < 5
        assert raised.value.code == "storage"
        assert "cannot connect" in str(raised.value)
        assert "hunter2" not in str(raised.value)


def test_a_silent_server_times_out_with_the_gil_released(empty_cwd: Path) -> None:
    # A socket that accepts connections (in the kernel's backlog) and never
    # answers: the connect gives up after its 5 s timeout, and meanwhile
    # other Python threads run.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        ticks = 0
        stop = threading.Event()

        def tick() -> None:
            nonlocal ticks
            while not stop.is_set():
                ticks += 1
                time.sleep(0.01)

        ticker = threading.Thread(target=tick)
        ticker.start()
        started = time.monotonic()
        try:
            with pytest.raises(pb.StorageError) as raised:
                pb.BenefitCenter.open(f"postgres://user@127.0.0.1:{port}/db")
        finally:
            stop.set()
            ticker.join()
        elapsed = time.monotonic() - started
    assert 3 < elapsed < 30, elapsed
    assert "did not answer" in str(raised.value)
    # ~100 ticks a second while the GIL is free; far fewer if open held it.
    assert ticks > 50 * elapsed / 2, (ticks, elapsed)


def test_a_path_like_is_always_a_sqlite_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Only a str is a URL (and pathlib folds the "//" anyway).
    monkeypatch.chdir(tmp_path)
    (tmp_path / "postgres:").mkdir()
    center = pb.BenefitCenter.open(Path("postgres://x.db"))
    assert repr(center) == "BenefitCenter.open('postgres:/x.db')"
    assert (tmp_path / "postgres:" / "x.db").is_file()


# ------------------------------------------------------------------ against the server


def with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.username or "postgres"
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit((parts.scheme, f"{user}:{password}@{host}{port}", parts.path, parts.query, parts.fragment))


def test_open_shows_the_url_without_the_password(pgurl: str, clock: pb.ManualClock) -> None:
    # The throwaway server trusts loopback, so a password is accepted and unused.
    url = with_password(pgurl, "hunter2")
    center = pb.BenefitCenter.open(url, clock=clock)
    assert repr(center).startswith("BenefitCenter.open('postgres")
    assert "hunter2" not in repr(center) and ":***@" in repr(center)
    assert center.now() == clock.now()
    # Both URL schemes name the same database.
    other = "postgresql://" + pgurl.split("://", 1)[1]
    org = center.create_organization(name="Scheme Ltd", account_email="s@scheme.com", admin_name="S", admin_email="a@scheme.com")
    seen = pb.BenefitCenter.open(other, clock=clock)
    assert seen.session(org.id, org.admin_id).organization() == center.session(org.id, org.admin_id).organization()


def test_a_flow_on_postgres(pgurl: str, clock: pb.ManualClock) -> None:
    world = make_world(open_center(pgurl, clock), clock)
    buyer = world.as_user(world.mpn_admin)
    package = buyer.purchase_package("action-pack")
    vs = world.benefit(package.id, "visual-studio")
    with pytest.raises(pb.PermissionDenied):
        buyer.assign_user(vs.id, world.dev2)
    world.admin.assign_user(vs.id, world.dev2)
    assert world.benefit(package.id, "visual-studio").assigned_users == [world.dev2]

    software = next(b for b in world.admin.benefits(package.id) if b.category is pb.Category.SOFTWARE)
    keys = world.admin.get_keys(software.id, language=software.languages[0], os=software.os_types[0])
    assert keys.keys and all(isinstance(k, str) for k in keys.keys)

    # Commands as values, and a batch that fails as a whole.
    missing = pb.BenefitId(f"ben-{world.org.id.split('-')[1]}-9999")
    with pytest.raises(pb.NotFound):
        world.admin.execute_batch([pb.Command.add_user("Eve", "eve@contoso.com"), pb.Command.assign_user(missing, world.dev)])
    assert [u.email for u in world.admin.users()].count("eve@contoso.com") == 0

    world.clock.advance(days(3))
    with pytest.raises(pb.RefundNotAllowed) as refused:
        world.admin.cancel_package(package.id)
    assert refused.value.reason == "software_activated"


def test_state_survives_reopen(pgurl: str, clock: pb.ManualClock) -> None:
    world = make_world(open_center(pgurl, clock), clock)
    build_history(world)
    before = snapshot(world.admin)
    pools = world.center.program().key_pool("office-professional-plus")
    mails = world.center.outbox()
    org, admin_id = world.org.id, world.org.admin_id
    del world
    gc.collect()

    reopened = pb.BenefitCenter.open(pgurl, clock=clock)
    session = reopened.session(org, admin_id)
    assert snapshot(session) == before
    assert reopened.program().key_pool("office-professional-plus") == pools
    assert all(entry in reopened.outbox() for entry in mails)
    # The same keys are revealed again; new work continues the numbering.
    office = next(b for b in session.benefits_in(pb.Category.SOFTWARE) if b.code == "office-professional-plus")
    assert len(session.get_keys(office.id, language="en", os="x64").keys) == 5
    number = org.split("-")[1]
    assert session.add_user("New", "new@contoso.com") == f"usr-{number}-5"
    assert org in reopened.program().organizations()


def test_two_centers_on_one_database_see_each_other(pgurl: str, clock: pb.ManualClock) -> None:
    first = make_world(open_center(pgurl, clock), clock)
    second = pb.BenefitCenter.open(pgurl, clock=clock).session(first.org.id, first.org.admin_id)
    package = first.action_pack()
    assert [p.id for p in second.packages()] == [package.id]
    vs = next(b for b in second.benefits(package.id) if b.category is pb.Category.VISUAL_STUDIO)
    second.assign_user(vs.id, first.dev)
    assert first.benefit(package.id, "visual-studio").assigned_users == [first.dev]


def backends(pgurl: str, application: str) -> int:
    """Server connections named `application`, as the server counts them."""
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed (scripts/pg.sh installs it with the server)")
    query = f"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{application}'"
    out = subprocess.run([psql, "-X", "-A", "-t", "-d", pgurl, "-c", query], check=True, stdout=subprocess.PIPE, text=True)
    return int(out.stdout.strip())


def test_close_ends_the_connections(pgurl: str, clock: pb.ManualClock) -> None:
    application = f"pbclose{uuid.uuid4().hex[:12]}"
    parts = urlsplit(pgurl)
    query = "&".join(q for q in (parts.query, f"application_name={application}") if q)
    url = urlunsplit((parts.scheme, parts.netloc, parts.path, query, parts.fragment))
    with open_center(url, clock) as center:
        world = make_world(center, clock)
        package = world.action_pack()
        assert backends(pgurl, application) >= 1
    assert center.closed
    deadline = time.monotonic() + 5
    while backends(pgurl, application) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backends(pgurl, application) == 0
    with pytest.raises(pb.StorageError):
        world.admin.packages()
    with pb.BenefitCenter.open(url, clock=clock) as again:
        assert again.session(world.org.id, world.org.admin_id).package(package.id) == package
