"""Type mapping: aware UTC datetimes, Decimals, enums, frozen value objects."""

from __future__ import annotations

import enum
import typing
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

import partner_benefits as pb
from support import T0, World


def test_extension_is_abi3() -> None:
    assert pb._native.__file__ is not None and pb._native.__file__.endswith(".abi3.so")


def test_datetimes_are_aware_utc(world: World) -> None:
    package = world.action_pack()
    for value in [package.purchased_at, package.expires_at, package.refundable_until, world.clock.now(), world.center.now()]:
        assert isinstance(value, datetime)
        assert value.tzinfo is not None and value.utcoffset() == timedelta(0)
    assert package.purchased_at == T0


def test_other_offsets_are_normalised_to_utc() -> None:
    plus8 = timezone(timedelta(hours=8))
    clock = pb.ManualClock(datetime(2026, 3, 2, 17, 0, tzinfo=plus8))
    assert clock.now() == T0 and clock.now().utcoffset() == timedelta(0)
    clock.set(datetime(2026, 3, 3, 1, 0, tzinfo=timezone(timedelta(hours=-5))))
    assert clock.now() == datetime(2026, 3, 3, 6, 0, tzinfo=timezone.utc)


def test_naive_datetimes_are_rejected() -> None:
    clock = pb.ManualClock(T0)
    with pytest.raises(ValueError, match="naive"):
        clock.set(datetime(2026, 3, 2))
    assert clock.now() == T0
    with pytest.raises(TypeError):
        pb.ManualClock("2026-03-02T09:00:00Z")  # type: ignore[arg-type]


def test_clock_advances_both_ways() -> None:
    clock = pb.ManualClock(T0)
    clock.advance(timedelta(days=1, seconds=1))
    assert clock.now() == T0 + timedelta(days=1, seconds=1)
    clock.advance(timedelta(seconds=-1))
    assert clock.now() == T0 + timedelta(days=1)
    assert "2026-03-03" in repr(clock)


def test_the_clock_stays_inside_the_calendar() -> None:
    clock = pb.ManualClock(datetime(9999, 12, 31, tzinfo=timezone.utc))
    for by in [timedelta(days=1), timedelta.max, timedelta(days=-4_000_000)]:
        with pytest.raises(pb.InvalidInput):
            clock.advance(by)
    assert clock.now() == datetime(9999, 12, 31, tzinfo=timezone.utc)


def test_money_and_hours_are_decimals(world: World) -> None:
    package = world.action_pack()
    assert isinstance(package.price.amount, Decimal) and package.price.amount == Decimal("475.00")
    assert str(package.price.amount) == "475.00"
    hours = world.benefit(package.id, "advisory-hours")
    assert isinstance(hours.allocated, Decimal) and isinstance(hours.balance, Decimal)
    money = pb.Money(Decimal("12.50"), "EUR")
    assert money == pb.Money(Decimal("12.5"), "EUR") and hash(money) == hash(pb.Money(Decimal("12.5"), "EUR"))
    assert money != pb.Money(Decimal("12.50"), "USD")
    assert repr(money) == "Money(amount=Decimal('12.50'), currency='EUR')"
    assert str(money) == "12.50 EUR"


@pytest.mark.parametrize("cls", [pb.Role, pb.Category, pb.Status, pb.Phase, pb.PartnerLevel, pb.Delivery])
def test_enums_are_enum_subclasses_with_snake_case_values(cls: type[enum.Enum]) -> None:
    assert issubclass(cls, enum.Enum)
    for member in cls:
        assert member.value == member.name.lower()


def test_enum_values_come_back_as_members(world: World) -> None:
    package = world.action_pack()
    benefit = world.admin.benefits(package.id)[0]
    assert benefit.category is pb.Category.SOFTWARE and benefit.status is pb.Status.NOT_ACTIVATED
    assert world.admin.organization().level is pb.PartnerLevel.MEMBER
    # The value itself is accepted where an enum is expected.
    world.center.program().set_partner_level(world.org.id, "gold")  # type: ignore[arg-type]
    assert world.admin.organization().level is pb.PartnerLevel.GOLD
    with pytest.raises(TypeError):
        world.admin.benefits_in(3)  # type: ignore[arg-type]


def test_value_objects_are_frozen_with_eq_and_repr(world: World) -> None:
    package = world.action_pack()
    again = world.admin.package(package.id)
    assert package == again and package is not again and hash(package) == hash(again)
    assert package != world.admin.purchase_package("action-pack")
    with pytest.raises(AttributeError):
        package.name = "x"  # type: ignore[misc]
    text = repr(package)
    assert text.startswith("Package(id='pkg-1-1', template='action-pack'")
    assert "Status.ACTIVE" in text and "Money(amount=Decimal('475.00'), currency='USD')" in text
    for value in [world.admin.organization(), world.admin.users()[0], world.admin.benefits(package.id)[-1]]:
        assert repr(value).startswith(type(value).__name__ + "(")
        assert type(value).__module__ == "partner_benefits"
    assert repr(world.admin) == f"Session(organization_id='{world.org.id}', user_id='{world.org.admin_id}')"


def test_value_classes_cannot_be_built_or_subclassed_from_python() -> None:
    with pytest.raises(TypeError):
        pb.Package()
    with pytest.raises(TypeError):

        class Sub(pb.Benefit):  # type: ignore[misc]
            pass


def test_keys_never_show_in_a_repr(world: World) -> None:
    package = world.action_pack()
    office = world.benefit(package.id, "office-professional-plus")
    keys = world.admin.get_keys(office.id, language="en", os="x64")
    assert all(k.startswith("DEMO-OFFICE-PROFESSIONAL-PLUS-") for k in keys.keys)
    for text in [repr(keys), str(keys), repr([keys]), repr(world.admin.audit_log()), repr(world.center.outbox())]:
        assert not any(key in text for key in keys.keys)
    assert "5 hidden" in repr(keys)
    assert keys == world.admin.get_keys(office.id, language="en", os="x64")
    with pytest.raises(TypeError):
        hash(keys)


def test_ids_are_strings(world: World) -> None:
    assert world.org.id == "org-1" and world.org.admin_id == "usr-1-1"
    assert world.dev == "usr-1-2"
    package = world.action_pack()
    assert package.id == "pkg-1-1" and all(b.startswith("ben-1-") for b in package.benefit_ids)


def test_the_package_names_its_version_as_its_wheel_does() -> None:
    import importlib.metadata

    assert pb.__version__ == importlib.metadata.version("partner-benefits")
    assert all(part.isdigit() for part in pb.__version__.split("."))


def test_the_literal_code_sets_are_the_runtime_s() -> None:
    errors = [c for c in vars(pb).values() if isinstance(c, type) and issubclass(c, pb.BenefitsError) and c is not pb.BenefitsError]
    assert sorted(c.code for c in errors) == sorted(typing.get_args(pb.ErrorCode))
    constructors = {name for name, member in vars(pb.Command).items() if isinstance(member, staticmethod)}
    assert constructors == set(typing.get_args(pb.CommandKind))
    assert typing.get_args(pb.RefundReason) == ("window_closed", "software_activated", "already_cancelled")


def test_typed_ids_are_plain_strings_at_run_time(world: World) -> None:
    user = pb.UserId("usr-1-2")
    assert user == world.dev and type(user) is str and type(world.dev) is str
    assert world.center.session(world.org.id, user).user_id == user
    with pytest.raises(pb.InvalidInput):
        world.center.session(world.org.id, pb.UserId("ben-1-1"))
