"""`BenefitCenter.close()` and `with`: closing releases the store, and every
call on the center, its sessions and its programs raises `StorageError`
after it; never a crash."""

from __future__ import annotations

import functools
import gc
import inspect
import os
import threading
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

import partner_benefits as pb
from support import World, make_world


def wal(path: Path) -> Path:
    return path.with_name(path.name + "-wal")


def open_fds_on(path: Path) -> list[str]:
    """The descriptors of this process open on `path` (Linux; empty elsewhere)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        return []
    found = []
    for fd in os.listdir(fds):
        try:
            target = os.readlink(fds / fd)
        except OSError:
            continue
        if target.startswith(os.fspath(path.resolve())):
            found.append(target)
    return found


def arguments(world: World, name: str, parameter: inspect.Parameter) -> object:
    """A plausible value for each parameter name the façade uses: every
    method can be called without knowing it in advance."""
    package = world.admin.packages()[0]
    benefit = world.admin.benefits(package.id)[0]
    values: dict[str, object] = {
        "organization_id": world.org.id,
        "user_id": world.dev,
        "from_user": world.dev,
        "to_user": world.dev2,
        "user_ids": [world.dev],
        "package_id": package.id,
        "benefit_id": benefit.id,
        "offer_id": pb.OfferId("ofr-1-1"),
        "request_id": pb.RequestId("req-1-1"),
        "name": "Nia New",
        "email": "nia@contoso.com",
        "account_email": "p@fabrikam.com",
        "admin_name": "Fay",
        "admin_email": "fay@fabrikam.com",
        "alternate_email": "nia.alt@example.com",
        "phone": "+1 425 555 0100",
        "roles": [],
        "language": "en",
        "os": "x64",
        "template": "action-pack",
        "phase": pb.Phase.DESIGN,
        "amount": Decimal(1),
        "description": "x",
        "category": pb.Category.SOFTWARE,
        "key": "key-1",
        "retries": 1,
        "command": pb.Command.purchase_package("action-pack"),
        "commands": [pb.Command.purchase_package("action-pack")],
        "dry_run": False,
        "product": "windows-server",
        "keys": ["K-1"],
        "level": pb.PartnerLevel.GOLD,
        "competency": "cloud-platform",
        "after": 0,
        "limit": 10,
        "mail_id": "mail-1-1",
    }
    assert parameter.name in values, f"{name}: no test value for the parameter `{parameter.name}`"
    return values[parameter.name]


def every_call(world: World, obj: object) -> list[tuple[str, Callable[[], object]]]:
    """Each public method of `obj`'s class, bound and given arguments."""
    calls: list[tuple[str, Callable[[], object]]] = []
    cls = type(obj)
    for name, member in vars(cls).items():
        if name.startswith("_") or name == "close" or isinstance(member, staticmethod) or not callable(member):
            continue
        method = getattr(obj, name)
        args: list[object] = []
        kwargs: dict[str, object] = {}
        for parameter in inspect.signature(method).parameters.values():
            if parameter.default is not inspect.Parameter.empty:
                continue
            value = arguments(world, f"{cls.__name__}.{name}", parameter)
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                kwargs[parameter.name] = value
            else:
                args.append(value)
        calls.append((f"{cls.__name__}.{name}", functools.partial(method, *args, **kwargs)))
    return calls


def test_every_call_after_close_is_a_storage_error(tmp_path: Path, clock: pb.ManualClock) -> None:
    center = pb.BenefitCenter.open(tmp_path / "benefits.db", clock=clock)
    world = make_world(center, clock)
    world.action_pack()
    session, program = world.admin, center.program()
    keyed = session.with_idempotency_key("k").with_retries(2)
    calls = [*every_call(world, center), *every_call(world, session), *every_call(world, program)]
    assert len(calls) > 50
    assert not center.closed

    center.close()
    assert center.closed
    center.close()  # again: nothing happens
    assert center.closed
    methods = {"catalog_json", "now", "create_organization", "session", "program", "process_due"}
    methods |= {"dispatch_mail", "outbox", "audit_log", "changes", "requeue_mail", "vault_status", "reseal_vault"}
    assert {name for name, _ in calls if name.startswith("BenefitCenter.")} == {f"BenefitCenter.{m}" for m in methods}
    for name, call in [*calls, ("keyed session", keyed.organization), ("with", center.__enter__)]:
        with pytest.raises(pb.StorageError) as raised:
            call()
        assert raised.value.code == "storage", name
        assert str(raised.value) == "storage error: the center was closed; open the store again for a new center", name
    # Plain data stays readable.
    assert (session.organization_id, session.user_id) == (world.org.id, world.org.admin_id)
    assert repr(center) == f"<closed BenefitCenter.open({os.fspath(tmp_path / 'benefits.db')!r})>"
    # Even a malformed id: the closed center is what is wrong.
    with pytest.raises(pb.StorageError):
        center.session(pb.OrganizationId("nonsense"), pb.UserId("usr-1-1"))


def test_closing_checkpoints_and_releases_the_file(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "benefits.db"
    center = pb.BenefitCenter.open(path, clock=clock)
    world = make_world(center, clock)
    package = world.action_pack()
    session, program = world.admin, center.program()  # alive after close: they hold no store
    assert wal(path).exists()
    if Path("/proc/self/fd").is_dir():
        assert open_fds_on(path)

    center.close()
    # The last connection's close folds the WAL into the file and removes it.
    assert not wal(path).exists()
    assert open_fds_on(path) == []
    assert session.organization_id == world.org.id and program is not None

    # A second open sees everything, and a closed file can be removed.
    again = pb.BenefitCenter.open(path, clock=clock)
    assert again.session(world.org.id, world.org.admin_id).package(package.id) == package
    again.close()
    os.remove(path)
    assert not any(tmp_path.iterdir())
    fresh = pb.BenefitCenter.open(path, clock=clock)
    assert fresh.program().organizations() == []
    fresh.close()


def test_with_closes_on_leaving_the_block(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "benefits.db"
    with pb.BenefitCenter.open(path, clock=clock) as center:
        assert isinstance(center, pb.BenefitCenter) and not center.closed
        org = center.create_organization(
            name="Contoso Ltd", account_email="p@contoso.com", admin_name="Avery", admin_email="avery@contoso.com"
        )
        session = center.session(org.id, org.admin_id)
        session.purchase_package("action-pack")
    assert center.closed and not wal(path).exists()
    with pytest.raises(pb.StorageError):
        session.packages()
    with pytest.raises(pb.StorageError):
        with center:
            pass
    with pb.BenefitCenter.open(path, clock=clock) as reopened:
        assert [p.template for p in reopened.session(org.id, org.admin_id).packages()] == ["action-pack"]


def test_with_closes_on_an_exception_and_lets_it_through(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "benefits.db"
    with pytest.raises(RuntimeError, match="boom"):
        with pb.BenefitCenter.open(path, clock=clock) as center:
            center.create_organization(name="C", account_email="p@c.com", admin_name="A", admin_email="a@c.com")
            raise RuntimeError("boom")
    assert center.closed and not wal(path).exists() and open_fds_on(path) == []
    # A refusal of the library goes through the same way.
    with pytest.raises(pb.NotFound):
        with pb.BenefitCenter.in_memory(clock=clock) as memory:
            memory.audit_log(pb.OrganizationId("org-9"))
    assert memory.closed


def test_an_in_memory_center_closes_too(world: World) -> None:
    world.center.close()
    with pytest.raises(pb.StorageError):
        world.admin.users()
    with pytest.raises(pb.StorageError):
        world.center.outbox()


def test_a_mailer_may_close_the_center_while_it_dispatches(tmp_path: Path, clock: pb.ManualClock) -> None:
    """The dispatch in flight finishes on the store it started with; no deadlock."""
    path = tmp_path / "benefits.db"

    class Closing:
        def __init__(self) -> None:
            self.center: pb.BenefitCenter | None = None
            self.sent: list[str] = []

        def send(self, mail: pb.Mail) -> None:
            if self.center is not None:
                self.center.close()
            self.sent.append(mail.id)

    mailer = Closing()
    center = pb.BenefitCenter.open(path, clock=clock, mailer=mailer)
    world = make_world(center, clock)
    package = world.action_pack()
    seats = world.benefit(package.id, "visual-studio").id
    world.admin.assign_user(seats, world.dev)
    world.admin.assign_user(seats, world.dev2)
    queued = len(center.outbox())
    assert queued >= 2
    mailer.center = center
    report = center.dispatch_mail()
    assert report.sent == queued == len(mailer.sent)
    assert center.closed and not wal(path).exists()
    with pytest.raises(pb.StorageError):
        center.dispatch_mail()
    reopened = pb.BenefitCenter.open(path, clock=clock)
    assert all(entry.delivery is pb.Delivery.SENT for entry in reopened.outbox())
    reopened.close()


def test_close_from_another_thread_during_a_call(tmp_path: Path, clock: pb.ManualClock) -> None:
    """A call in flight finishes; the store goes when it returns."""
    path = tmp_path / "benefits.db"
    entered, go = threading.Event(), threading.Event()

    class Waiting:
        def send(self, mail: pb.Mail) -> None:
            entered.set()
            assert go.wait(10)

    center = pb.BenefitCenter.open(path, clock=clock, mailer=Waiting())
    world = make_world(center, clock)
    world.admin.assign_user(world.benefit(world.action_pack().id, "visual-studio").id, world.dev)
    assert center.outbox()
    results: list[object] = []
    worker = threading.Thread(target=lambda: results.append(center.dispatch_mail()))
    worker.start()
    assert entered.wait(10)
    center.close()  # does not wait for the dispatch
    assert center.closed
    with pytest.raises(pb.StorageError):
        center.outbox()
    assert wal(path).exists()  # still in use by the dispatch
    go.set()
    worker.join(10)
    assert not worker.is_alive()
    [report] = results
    assert isinstance(report, pb.DispatchReport) and report.sent >= 1
    gc.collect()
    assert not wal(path).exists() and open_fds_on(path) == []
