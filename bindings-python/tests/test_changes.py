"""The changes feed through the wheel: every committed event of every stream,
in commit order, paged by position; typed errors for a bad page; no key in a
change (B3)."""

from __future__ import annotations

from pathlib import Path

import pytest

import partner_benefits as pb
from support import World, make_world


def everything(center: pb.BenefitCenter, page: int = 1000) -> list[pb.Change]:
    read: list[pb.Change] = []
    after = 0
    while batch := center.changes(after=after, limit=page):
        read.extend(batch)
        after = batch[-1].position
    return read


def test_the_feed_is_in_commit_order_and_pages_without_a_gap(world: World) -> None:
    before = world.center.changes()
    assert [c.kind for c in before if c.organization_id == world.org.id][0] == "organization_created"
    pools = [c for c in before if c.stream.startswith("pool:")]
    assert pools and all(c.organization_id is None and c.kind == "keys_stocked" for c in pools)
    cursor = before[-1].position

    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    world.admin.assign_user(vs.id, world.dev)
    new = world.center.changes(after=cursor)
    kinds = [c.kind for c in new]
    assert kinds[0] == "package_purchased"
    assert kinds[-2:] == ["seat_assigned", "mail_queued"]
    assert all(c.position > cursor for c in new)
    seat = new[-2]
    assert (seat.organization_id, seat.actor, seat.stream) == (world.org.id, world.org.admin_id, world.org.id)

    whole = world.center.changes(limit=10_000)
    assert everything(world.center, page=1) == whole
    assert [c.position for c in whole] == sorted({c.position for c in whole})
    org_part = [(c.version, c.kind) for c in whole if c.organization_id == world.org.id]
    assert org_part == [(e.version, e.kind) for e in world.center.audit_log(world.org.id)]
    assert world.center.changes(after=whole[-1].position) == []


def test_a_bad_page_is_invalid_input(world: World) -> None:
    for limit in (0, -1, 10_001, 2**40):
        with pytest.raises(pb.InvalidInput) as caught:
            world.center.changes(limit=limit)
        assert caught.value.code == "invalid_input" and caught.value.field == "limit"
    with pytest.raises(pb.InvalidInput) as negative:
        world.center.changes(after=-1)
    assert negative.value.field == "after"
    assert world.center.changes(after=2**62) == []


def test_a_second_center_on_the_file_reads_what_the_first_wrote(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "feed.db"
    writer = make_world(pb.BenefitCenter.open(path, clock=clock), clock)
    reader = pb.BenefitCenter.open(path, clock=clock)
    seen = everything(reader)
    writer.admin.add_user("Noor New", "noor@contoso.com")
    fresh = reader.changes(after=seen[-1].position)
    assert [(c.kind, c.organization_id) for c in fresh] == [("user_added", writer.org.id)]
    assert fresh[0].position == seen[-1].position + 1


def test_b3_no_key_is_in_a_change(world: World) -> None:
    package = world.action_pack()
    office = world.benefit(package.id, "office-professional-plus")
    keys = world.admin.get_keys(office.id, language="en", os="x64").keys
    assert keys
    shown = repr(world.center.changes(limit=10_000))
    for key in keys:
        assert key not in shown
