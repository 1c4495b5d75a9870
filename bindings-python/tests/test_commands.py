"""Commands as values: Session.execute and the atomic Session.execute_batch."""

from __future__ import annotations

from decimal import Decimal

import pytest

import partner_benefits as pb
from support import World, days


def test_execute_returns_the_outcome(world: World) -> None:
    bought = world.admin.execute(pb.Command.purchase_package("action-pack"))
    assert bought.kind == "package_purchased" and bought.package_id == "pkg-1-1"
    assert bought.user_id is None and bought.refund is None
    assert repr(bought) == "Outcome(kind='package_purchased', package_id='pkg-1-1')"
    added = world.admin.execute(pb.Command.add_user("Eve", "eve@contoso.com", roles=[pb.Role.ADMIN_AGENT]))
    assert added.kind == "user_added" and added.user_id == "usr-1-5"
    office = world.benefit(pb.PackageId("pkg-1-1"), "office-professional-plus")
    revealed = world.admin.execute(pb.Command.get_keys(office.id, language="en", os="x64"))
    assert revealed.kind == "keys_revealed" and revealed.benefit_id == office.id
    refused = world.admin.execute(pb.Command.cancel_package(pb.PackageId("pkg-1-1")))
    assert refused.kind == "cancellation_refused" and refused.refusal == "software_activated"
    assert refused.request_id is not None and refused.request_id.startswith("req-1-")


def test_a_batch_is_all_or_nothing(world: World) -> None:
    good = pb.Command.purchase_package("action-pack")
    bad = pb.Command.add_user("Eve", "not-an-address")
    with pytest.raises(pb.InvalidInput):
        world.admin.execute_batch([good, good, bad])
    assert world.admin.packages() == []
    outcomes = world.admin.execute_batch([good, pb.Command.add_user("Eve", "eve@contoso.com")])
    assert [o.kind for o in outcomes] == ["package_purchased", "user_added"]
    assert world.admin.execute_batch([]) == []


def test_a_batch_sees_its_own_earlier_commands(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    hours = world.benefit(package.id, "advisory-hours")
    outcomes = world.admin.execute_batch(
        [
            pb.Command.assign_user(vs.id, world.dev),
            pb.Command.reassign_user(vs.id, from_user=world.dev, to_user=world.dev2),
            pb.Command.activate_technical(hours.id, world.dev, "dev.alt@example.com"),
            pb.Command.set_marketing_contact(world.dev, "dev.marketing@example.com", "+1 425 555 0100", "en"),
        ]
    )
    assert [o.kind for o in outcomes] == ["done"] * 4
    assert world.benefit(package.id, "visual-studio").assigned_users == [world.dev2]
    world.clock.advance(days(3))
    offer = world.benefit(package.id, "go-to-market").offers[0]
    request = world.admin.execute(pb.Command.request_assistance(hours.id, pb.Phase.PRESALES, Decimal("1"), "x"))
    activated = world.admin.execute(pb.Command.activate_offer(offer.id))
    assert request.kind == "request_submitted" and activated.kind == "offer_activated"
    assert activated.active_at == world.clock.now() + days(5)
    assert request.request_id is not None
    assert world.admin.execute(pb.Command.withdraw_request(request.request_id)).kind == "done"
    granted = world.admin.execute(pb.Command.cancel_offer(offer.id))
    assert granted.kind == "cancellation_granted" and granted.refund is not None


def test_a_removal_is_a_command_too(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    removal = pb.Command.remove_user(world.dev)
    assert removal.kind == "remove_user" and removal == pb.Command.remove_user(world.dev)
    outcomes = world.admin.execute_batch([pb.Command.assign_user(vs.id, world.dev), removal])
    assert [o.kind for o in outcomes] == ["done", "done"]
    assert world.dev not in [u.id for u in world.admin.users()]
    assert world.benefit(package.id, "visual-studio").assigned_users == []
    with pytest.raises(pb.NotFound):
        world.admin.execute(removal)
    with pytest.raises(pb.InvalidInput):
        pb.Command.remove_user(pb.UserId("nobody"))


def test_commands_check_ids_and_enums_when_built(world: World) -> None:
    with pytest.raises(pb.InvalidInput):
        pb.Command.assign_user(pb.BenefitId("ben-1-1"), pb.UserId("nobody"))
    with pytest.raises(pb.InvalidInput):
        pb.Command.set_user_roles(pb.UserId("usr-1-2"), ["emperor"])  # type: ignore[list-item]
    package, benefit, user = pb.PackageId("pkg-1-1"), pb.BenefitId("ben-1-1"), pb.UserId("usr-1-2")
    command = pb.Command.renew_package(package)
    assert command.kind == "renew_package" and command == pb.Command.renew_package(package)
    assert repr(command) == "Command(kind='renew_package')"
    assert pb.Command.unassign_user(benefit, user) != pb.Command.assign_user(benefit, user)


def test_idempotent_execute(world: World) -> None:
    once = world.admin.with_idempotency_key("batch-1")
    first = once.execute(pb.Command.purchase_package("action-pack"))
    assert once.execute(pb.Command.purchase_package("action-pack")) == first
    with pytest.raises(pb.InvalidInput):
        once.execute_batch([pb.Command.purchase_package("action-pack")] * 2)
