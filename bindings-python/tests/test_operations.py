"""Offboarding (remove_user), bulk assignment with a dry run (assign_users)
and usage(), through the wheel."""

from __future__ import annotations

from decimal import Decimal

import pytest

import partner_benefits as pb
from support import World, days, snapshot


def usage_of(session: pb.Session, benefit_id: str) -> pb.Usage:
    return next(u for u in session.usage() if u.benefit_id == benefit_id)


# ---------------------------------------------------------------- offboarding


def test_removing_a_user_releases_what_they_hold_and_they_are_gone(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    azure = world.benefit(package.id, "azure-credit")
    hours = world.benefit(package.id, "advisory-hours")
    leaver = world.admin.add_user("Lee Leaver", "lee@contoso.com", roles=[pb.Role.GLOBAL_ADMIN])
    world.admin.assign_user(vs.id, leaver)
    world.admin.assign_user(vs.id, world.dev)
    world.as_user(leaver).assign_user(azure.id, leaver)
    world.admin.activate_technical(hours.id, leaver, "lee.alt@example.com")

    world.admin.remove_user(leaver)

    assert world.benefit(package.id, "visual-studio").assigned_users == [world.dev]
    assert world.benefit(package.id, "azure-credit").assigned_users == []
    technical = world.benefit(package.id, "advisory-hours")
    assert technical.status is pb.Status.NOT_ACTIVATED and technical.alternate_email is None
    assert leaver not in [u.id for u in world.admin.users()]
    # The remaining Global admin is told, once.
    [mail] = world.mails("user_removed")
    assert mail.to == ["avery@contoso.com"] and "Lee Leaver" in mail.subject
    # Gone: not found as a target, and as an actor.
    with pytest.raises(pb.NotFound) as again:
        world.admin.remove_user(leaver)
    assert again.value.code == "not_found"
    with pytest.raises(pb.NotFound):
        world.as_user(leaver).users()
    with pytest.raises(pb.InvalidInput):
        world.admin.remove_user(pb.UserId("nobody"))


def test_the_last_global_admin_cannot_be_removed(world: World) -> None:
    before = snapshot(world.admin)
    with pytest.raises(pb.PreconditionFailed) as caught:
        world.admin.remove_user(world.org.admin_id)
    assert caught.value.code == "precondition_failed"
    assert snapshot(world.admin) == before


def test_the_marketing_contact_cannot_be_removed_until_changed(world: World) -> None:
    world.admin.set_marketing_contact(world.dev, "marketing@example.com", "+1 425 555 0100", "en")
    with pytest.raises(pb.PreconditionFailed) as caught:
        world.admin.remove_user(world.dev)
    assert caught.value.code == "precondition_failed"
    world.admin.set_marketing_contact(world.dev2, "marketing@example.com", "+1 425 555 0100", "en")
    world.admin.remove_user(world.dev)


def test_a_user_admin_cannot_remove_a_global_admin(world: World) -> None:
    user_admin = world.admin.add_user("Uma User-admin", "uma@contoso.com", roles=[pb.Role.USER_ADMIN])
    before = snapshot(world.admin)
    with pytest.raises(pb.PermissionDenied) as caught:
        world.as_user(user_admin).remove_user(world.org.admin_id)
    assert caught.value.code == "permission_denied"
    assert snapshot(world.admin) == before
    # Someone whose roles they hold, they may remove.
    world.as_user(user_admin).remove_user(world.dev)
    assert world.dev not in [u.id for u in world.admin.users()]


# ---------------------------------------------------------------- bulk assignment


def test_one_result_per_row_in_order_with_the_code_a_single_call_would_give(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")  # 3 seats
    extra = world.admin.add_user("Extra", "extra@contoso.com")
    gone = world.admin.add_user("Gil Gone", "gil@contoso.com")
    world.admin.remove_user(gone)
    dev, dev2, mpn = world.dev, world.dev2, world.mpn_admin

    results = world.admin.assign_users(vs.id, [dev, dev2, dev, gone, mpn, extra])

    assert [(r.user_id, r.ok, r.code) for r in results] == [
        (dev, True, None),
        (dev2, True, None),
        (dev, False, "conflict"),
        (gone, False, "not_found"),
        (mpn, True, None),
        (extra, False, "capacity_exhausted"),
    ]
    assert all(type(r) is pb.AssignmentResult for r in results)
    assert results[0].message is None
    assert results[5].message is not None and "all 3 seats are assigned" in results[5].message
    assert repr(results[0]) == f"AssignmentResult(user_id='{dev}', ok=True, code=None, message=None)"
    assert sorted(world.benefit(package.id, "visual-studio").assigned_users) == sorted([dev, dev2, mpn])
    with pytest.raises(pb.CapacityExhausted) as single:
        world.admin.assign_user(vs.id, extra)
    assert single.value.code == results[5].code


def test_a_dry_run_leaves_the_state_unchanged_and_equals_the_real_run_that_follows(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    extra = world.admin.add_user("Extra", "extra@contoso.com")
    users = [world.dev, world.dev2, world.mpn_admin, extra, world.dev]
    before = snapshot(world.admin)
    outbox = world.center.outbox()

    dry = world.admin.assign_users(vs.id, users, dry_run=True)

    assert snapshot(world.admin) == before
    assert world.center.outbox() == outbox
    real = world.admin.assign_users(vs.id, users)
    assert dry == real
    assert [r.ok for r in real] == [True, True, True, False, False]
    assert len(world.benefit(package.id, "visual-studio").assigned_users) == 3


def test_more_than_ten_thousand_rows_is_invalid_input(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    with pytest.raises(pb.InvalidInput) as caught:
        world.admin.assign_users(vs.id, [world.dev] * 10_001)
    assert caught.value.code == "invalid_input" and caught.value.field == "user_ids"
    assert "10000" in str(caught.value)
    assert world.benefit(package.id, "visual-studio").assigned_users == []
    assert world.admin.assign_users(vs.id, []) == []


def test_bad_arguments_are_refused_whole(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    with pytest.raises(pb.InvalidInput) as caught:
        world.admin.assign_users(vs.id, [world.dev, pb.UserId("nobody")])
    assert caught.value.field == "user id"
    # One id is no list of ids: a type checker says so (a `UserId` is a
    # sequence of `str`, not of `UserId`), and so does the call.
    with pytest.raises(TypeError):
        world.admin.assign_users(vs.id, world.dev)  # type: ignore[arg-type]
    with pytest.raises(pb.PermissionDenied):
        world.as_user(world.mpn_admin).assign_users(vs.id, [world.dev], dry_run=True)
    assert world.benefit(package.id, "visual-studio").assigned_users == []


# ---------------------------------------------------------------- usage


def test_usage_counts_seats_now_and_the_most_ever_held(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    extra = world.admin.add_user("Extra", "extra@contoso.com")
    world.admin.assign_users(vs.id, [world.dev, world.dev2, world.mpn_admin])
    world.admin.unassign_user(vs.id, world.dev)
    world.admin.unassign_user(vs.id, world.dev2)
    world.admin.assign_user(vs.id, extra)

    row = usage_of(world.admin, vs.id)
    assert (row.package_id, row.name, row.category) == (package.id, vs.name, pb.Category.VISUAL_STUDIO)
    assert row.category is pb.Category.VISUAL_STUDIO
    assert (row.seats, row.assigned, row.peak) == (3, 2, 3)
    assert (row.allocated, row.used, row.balance) == (None, None, None)
    assert repr(row).startswith(f"Usage(benefit_id='{vs.id}', package_id='{package.id}'")
    assert world.admin.usage() == world.admin.usage()
    # Removing a holder lowers `assigned`, never `peak`.
    world.admin.remove_user(extra)
    after = usage_of(world.admin, vs.id)
    assert (after.assigned, after.peak) == (1, 3)
    # Keys and offers are not assigned to users: no rows.
    listed = {u.category for u in world.admin.usage()}
    assert pb.Category.SOFTWARE not in listed and pb.Category.GO_TO_MARKET not in listed


def test_hours_benefits_report_allocated_used_and_balance(world: World) -> None:
    package = world.action_pack()
    hours = world.benefit(package.id, "advisory-hours")
    world.admin.activate_technical(hours.id, world.dev, "dev.alt@example.com")
    world.clock.advance(days(5))
    world.admin.request_assistance(hours.id, pb.Phase.DESIGN, Decimal("2.5"), "architecture review")
    row = usage_of(world.admin, hours.id)
    assert row.category is pb.Category.TECHNICAL
    assert (row.seats, row.assigned, row.peak) == (1, 1, 1)
    assert hours.allocated is not None and row.allocated == hours.allocated
    assert isinstance(row.used, Decimal) and row.used == Decimal("2.5")
    assert row.balance == hours.allocated - Decimal("2.5")
