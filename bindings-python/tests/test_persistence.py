"""Everything survives closing and reopening the SQLite file."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import partner_benefits as pb
from support import build_history, make_world, snapshot


def test_state_survives_reopen(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "benefits.db"
    world = make_world(pb.BenefitCenter.open(path, clock=clock), clock)
    build_history(world)
    before = snapshot(world.admin)
    outbox = world.center.outbox()
    pools = world.center.program().key_pool("office-professional-plus")
    org, admin_id = world.org.id, world.org.admin_id
    del world
    gc.collect()

    reopened = pb.BenefitCenter.open(str(path), clock=clock)
    session = reopened.session(org, admin_id)
    assert snapshot(session) == before
    assert reopened.outbox() == outbox
    # Demo keys were stocked once; reopening does not stock them again.
    assert reopened.program().key_pool("office-professional-plus") == pools
    assert pools.stocked == 500 and pools.allocated == 10
    # The same keys are revealed again after reopening.
    office = next(b for b in session.benefits_in(pb.Category.SOFTWARE) if b.code == "office-professional-plus")
    assert len(session.get_keys(office.id, language="en", os="x64").keys) == 5
    # New work continues the numbering.
    assert session.add_user("New", "new@contoso.com") == "usr-1-5"
    assert reopened.program().organizations() == [org]


def test_two_centers_on_one_file_see_each_other(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "shared.db"
    first = make_world(pb.BenefitCenter.open(path, clock=clock), clock)
    second = pb.BenefitCenter.open(path, clock=clock).session(first.org.id, first.org.admin_id)
    package = first.action_pack()
    assert [p.id for p in second.packages()] == [package.id]
    vs = next(b for b in second.benefits(package.id) if b.category is pb.Category.VISUAL_STUDIO)
    second.assign_user(vs.id, first.dev)
    assert first.benefit(package.id, "visual-studio").assigned_users == [first.dev]


def test_the_system_clock_stocks_no_demo_keys(tmp_path: Path) -> None:
    center = pb.BenefitCenter.open(tmp_path / "prod.db")
    assert center.program().key_pool("windows-server").stocked == 0
    org = center.create_organization(name="Prod", account_email="p@prod.com", admin_name="P", admin_email="a@prod.com")
    with pytest.raises(pb.CapacityExhausted):
        center.session(org.id, org.admin_id).purchase_package("action-pack")
    explicit = pb.BenefitCenter.open(tmp_path / "demo.db", stock_demo_keys=True)
    assert explicit.program().key_pool("windows-server").stocked == 500


def test_unusable_files_are_storage_errors(tmp_path: Path) -> None:
    with pytest.raises(pb.StorageError) as directory:
        pb.BenefitCenter.open(tmp_path)
    assert directory.value.code == "storage"
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(pb.StorageError):
        pb.BenefitCenter.open(garbage)
    assert garbage.read_bytes() == b"this is not a database" * 100
    with pytest.raises(pb.StorageError):
        pb.BenefitCenter.open(tmp_path / "missing" / "dir" / "x.db")
