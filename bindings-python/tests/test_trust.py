"""What a hostile or careless caller tried through the wheel: roles beyond
their rights, amounts that are no amounts, ids spelled two ways, dates past
the calendar, a clock moved back. Each refusal is a typed error with its
code, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

import pytest

import partner_benefits as pb
from support import T0, World, days, make_world, snapshot

Y, N = True, False
ROLE_SETS = ["no role", "Global admin", "User admin", "Admin agent", "MPN partner admin"]

# Who may run what, written from the seed and the program (not read from the
# library): columns are ROLE_SETS.
EXPECTED: dict[str, list[bool]] = {
    "add_user": [N, Y, Y, N, N],
    "set_user_roles": [N, Y, Y, N, N],
    "remove_user": [N, Y, Y, N, N],
    "purchase_package": [N, Y, Y, Y, Y],
    "renew_package": [N, Y, Y, Y, Y],
    "cancel_package": [N, Y, N, N, Y],
    "cancel_offer": [N, Y, N, N, Y],
    "set_marketing_contact": [N, Y, N, N, Y],
    "activate_offer": [N, Y, N, N, Y],
    "get_keys": [N, Y, N, N, N],
    "assign_user": [N, Y, N, N, N],
    "unassign_user": [N, Y, N, N, N],
    "reassign_user": [N, Y, N, N, N],
    "activate_technical": [N, Y, N, N, N],
    "assign_self_to_azure": [N, Y, N, N, N],
    "request_assistance": [N, Y, N, Y, Y],
    "withdraw_request": [N, Y, N, Y, Y],
}


@dataclass
class Furnished:
    world: World
    actors: list[pb.UserId]
    package: pb.Package
    ids: Ids


@dataclass
class Ids:
    software: pb.BenefitId
    seats: pb.BenefitId
    azure: pb.BenefitId
    technical: pb.BenefitId
    hours: pb.BenefitId
    holder: pb.UserId
    request: pb.RequestId
    offer: pb.OfferId
    running_offer: pb.OfferId


def furnish() -> Furnished:
    clock = pb.ManualClock(T0)
    world = make_world(pb.BenefitCenter.in_memory(clock=clock), clock)
    admin, program = world.admin, world.center.program()
    program.set_partner_level(world.org.id, pb.PartnerLevel.SILVER)
    program.grant_competency(world.org.id, "cloud-platform")
    user_admin = admin.add_user("Uma User-admin", "uma@contoso.com", roles=[pb.Role.USER_ADMIN])
    agent = admin.add_user("Aki Agent", "aki@contoso.com", roles=[pb.Role.ADMIN_AGENT])
    holder = admin.add_user("Hana Holder", "hana@contoso.com")
    package = admin.purchase_package("silver-core")
    seats = world.benefit(package.id, "visual-studio").id
    admin.assign_user(seats, holder)
    hours = world.benefit(package.id, "advisory-hours").id
    admin.activate_technical(hours, holder, "hana.alt@example.com")
    offers = world.benefit(package.id, "go-to-market").offers
    admin.set_marketing_contact(holder, "hana.m@example.com", "+1 425 555 0101", "en")
    admin.activate_offer(offers[0].id)
    clock.advance(days(3))
    request = admin.request_assistance(hours, pb.Phase.DEPLOYMENT, Decimal(1), "deploy")
    ids = Ids(
        software=world.benefit(package.id, "windows-server").id,
        seats=seats,
        azure=world.benefit(package.id, "azure-credit").id,
        technical=world.benefit(package.id, "presales-deployment").id,
        hours=hours,
        holder=holder,
        request=request,
        offer=offers[1].id,
        running_offer=offers[0].id,
    )
    actors = [world.dev, world.org.admin_id, user_admin, agent, world.mpn_admin]
    return Furnished(world, actors, package, ids)


def command(case: str, f: Furnished, actor: pb.UserId) -> pb.Command:
    i, other = f.ids, f.world.dev2
    C = pb.Command
    builders: dict[str, Callable[[], pb.Command]] = {
        "add_user": lambda: C.add_user("New Hire", "new.hire@contoso.com"),
        "set_user_roles": lambda: C.set_user_roles(other, []),
        "remove_user": lambda: C.remove_user(other),
        "purchase_package": lambda: C.purchase_package("action-pack"),
        "renew_package": lambda: C.renew_package(f.package.id),
        "cancel_package": lambda: C.cancel_package(f.package.id),
        "cancel_offer": lambda: C.cancel_offer(i.running_offer),
        "set_marketing_contact": lambda: C.set_marketing_contact(other, "d2.m@example.org", "+1 425 555 0100", "en"),
        "activate_offer": lambda: C.activate_offer(i.offer),
        "get_keys": lambda: C.get_keys(i.software, language="en", os="x64"),
        "assign_user": lambda: C.assign_user(i.seats, other),
        "unassign_user": lambda: C.unassign_user(i.seats, i.holder),
        "reassign_user": lambda: C.reassign_user(i.seats, i.holder, other),
        "activate_technical": lambda: C.activate_technical(i.technical, other, "d2.alt@example.org"),
        "assign_self_to_azure": lambda: C.assign_user(i.azure, actor),
        "request_assistance": lambda: C.request_assistance(i.hours, pb.Phase.DESIGN, Decimal(1), "review"),
        "withdraw_request": lambda: C.withdraw_request(i.request),
    }
    return builders[case]()


def test_every_command_kind_for_every_role_set_matches_the_written_matrix() -> None:
    checked = 0
    for case, row in EXPECTED.items():
        for column, allowed in enumerate(row):
            f = furnish()
            if case == "renew_package":
                f.world.clock.set(f.package.expires_at - days(10))
            actor = f.actors[column]
            before = snapshot(f.world.admin)
            cmd = command(case, f, actor)
            label = f"{case} as {ROLE_SETS[column]}"
            if allowed:
                f.world.as_user(actor).execute(cmd)
            else:
                with pytest.raises(pb.PermissionDenied) as refused:
                    f.world.as_user(actor).execute(cmd)
                assert refused.value.code == "permission_denied", label
                assert snapshot(f.world.admin) == before, f"{label} changed something"
            checked += 1
    assert checked == len(EXPECTED) * len(ROLE_SETS)


def test_a_user_admin_grants_only_user_admin_and_never_to_itself() -> None:
    f = furnish()
    user_admin = f.world.as_user(f.actors[2])
    other = f.world.dev2
    for role in [pb.Role.GLOBAL_ADMIN, pb.Role.ADMIN_AGENT, pb.Role.MPN_PARTNER_ADMIN]:
        before = snapshot(f.world.admin)
        with pytest.raises(pb.PermissionDenied):
            user_admin.set_user_roles(other, [role])
        with pytest.raises(pb.PermissionDenied):
            user_admin.set_user_roles(f.actors[2], [pb.Role.USER_ADMIN, role])
        with pytest.raises(pb.PermissionDenied):
            user_admin.add_user("Nia New", "nia@contoso.com", roles=[role])
        assert snapshot(f.world.admin) == before
    user_admin.set_user_roles(other, [pb.Role.USER_ADMIN])
    assert next(u for u in f.world.admin.users() if u.id == other).roles == [pb.Role.USER_ADMIN]


# ------------------------------------------------------------- amounts


def active_hours(world: World) -> pb.Benefit:
    """An advisory-hours benefit past its activation lead time, ready to draw from."""
    package = world.action_pack()
    hours = world.benefit(package.id, "advisory-hours")
    world.admin.activate_technical(hours.id, world.dev, "dev.alt@example.com")
    world.clock.advance(days(3))
    return hours


@pytest.mark.parametrize(
    "bad",
    [
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("-Infinity"),
        Decimal("1e100"),
        10**40,
        # Too long for str() under Python's default digit limit.
        pytest.param(10**5000, id="int-of-5001-digits"),
    ],
)
def test_an_amount_that_is_not_a_finite_decimal_is_invalid_input(world: World, bad: object) -> None:
    hours = active_hours(world)
    before = snapshot(world.admin)
    calls: list[Callable[[], object]] = [
        lambda: world.admin.request_assistance(hours.id, pb.Phase.DESIGN, bad, "x"),  # type: ignore[arg-type]
        lambda: pb.Command.request_assistance(hours.id, pb.Phase.DESIGN, bad, "x"),  # type: ignore[arg-type]
        lambda: pb.Money(bad, "USD"),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises(pb.BenefitsError) as caught:
            call()
        assert caught.value.code == "invalid_input"
        assert isinstance(caught.value, pb.InvalidInput) and isinstance(caught.value, ValueError)
        assert caught.value.field == "amount"
    assert snapshot(world.admin) == before


@pytest.mark.parametrize("bad", [True, False, 1.5, "1", None])
def test_an_amount_must_be_a_decimal_or_an_int(world: World, bad: object) -> None:
    hours = active_hours(world)
    before = snapshot(world.admin)
    with pytest.raises(pb.InvalidInput, match="decimal.Decimal or an int"):
        world.admin.request_assistance(hours.id, pb.Phase.DESIGN, bad, "x")  # type: ignore[arg-type]
    with pytest.raises(pb.InvalidInput):
        pb.Money(bad, "USD")  # type: ignore[arg-type]
    assert snapshot(world.admin) == before
    # The exact forms are accepted.
    world.admin.request_assistance(hours.id, pb.Phase.DESIGN, 2, "int hours")
    world.admin.request_assistance(hours.id, pb.Phase.DESIGN, Decimal("0.5"), "decimal hours")
    assert pb.Money(3, "USD").amount == Decimal(3)


# ------------------------------------------------------------- ids


@pytest.mark.parametrize("spelling", ["pkg-+{o}-+{s}", "pkg-0{o}-000{s}", "pkg-{o}-{s} ", "pkg-{o}-{s}\n"])
def test_an_id_has_one_spelling(world: World, spelling: str) -> None:
    package = world.action_pack()
    org, seq = package.id.split("-")[1:]
    before = snapshot(world.admin)
    with pytest.raises(pb.InvalidInput):
        world.admin.cancel_package(pb.PackageId(spelling.format(o=org, s=seq)))
    assert snapshot(world.admin) == before
    assert world.admin.package(pb.PackageId(f"pkg-{org}-{seq}")).id == package.id


def test_a_huge_malformed_id_is_not_echoed_whole(world: World) -> None:
    with pytest.raises(pb.InvalidInput) as caught:
        world.admin.package(pb.PackageId("pkg-" + "1" * 1_000_000))
    assert len(str(caught.value)) < 200


# ------------------------------------------------------------- time


def test_a_purchase_whose_term_would_end_after_9999_is_refused_and_nothing_is_committed() -> None:
    clock = pb.ManualClock(datetime(9999, 6, 1, tzinfo=timezone.utc))
    world = make_world(pb.BenefitCenter.in_memory(clock=clock), clock)
    before = snapshot(world.admin)
    with pytest.raises(pb.PreconditionFailed, match="9999-12-31T23:59:59Z"):
        world.action_pack()
    assert snapshot(world.admin) == before
    assert world.admin.packages() == []
    # A year earlier it fits, and every date shown is one Python holds.
    earlier = pb.ManualClock(datetime(9998, 6, 1, tzinfo=timezone.utc))
    fits = make_world(pb.BenefitCenter.in_memory(clock=earlier), earlier)
    package = fits.action_pack()
    assert package.expires_at == datetime(9999, 6, 1, tzinfo=timezone.utc)
    assert package.refundable_until == datetime(9998, 7, 1, tzinfo=timezone.utc)
    assert all(entry.at.year == 9998 for entry in fits.admin.audit_log())


def test_a_clock_moved_back_never_reopens_a_closed_refund_window(world: World) -> None:
    package = world.action_pack()
    world.clock.advance(days(40))
    with pytest.raises(pb.RefundNotAllowed) as late:
        world.admin.cancel_package(package.id)
    assert late.value.reason == "window_closed"
    world.clock.set(T0 - days(1))
    with pytest.raises(pb.RefundNotAllowed) as again:
        world.admin.cancel_package(package.id)
    assert again.value.reason == "window_closed"
    times = [entry.at for entry in world.admin.audit_log()]
    assert times == sorted(times)
    assert all(c.requested_at == T0 + days(40) for c in world.admin.cancellations())
