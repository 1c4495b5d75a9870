"""Each error kind arrives as its own class with the core's stable code."""

from __future__ import annotations

import string
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable

import pytest

import partner_benefits as pb
from support import ACCOUNT_EMAIL, World

CLASSES: dict[str, type[pb.BenefitsError]] = {
    "permission_denied": pb.PermissionDenied,
    "not_found": pb.NotFound,
    "invalid_input": pb.InvalidInput,
    "invalid_catalog": pb.InvalidCatalog,
    "conflict": pb.Conflict,
    "capacity_exhausted": pb.CapacityExhausted,
    "refund_not_allowed": pb.RefundNotAllowed,
    "insufficient_balance": pb.InsufficientBalance,
    "invalid_transition": pb.InvalidTransition,
    "precondition_failed": pb.PreconditionFailed,
    "storage": pb.StorageError,
    "mail": pb.MailError,
}


@pytest.mark.parametrize(("code", "cls"), sorted(CLASSES.items()))
def test_one_class_per_core_code(code: str, cls: type[pb.BenefitsError]) -> None:
    assert issubclass(cls, pb.BenefitsError) and issubclass(pb.BenefitsError, Exception)
    assert cls.code == code
    assert cls.__module__ == "partner_benefits"
    assert getattr(pb, cls.__name__) is cls


def test_classes_are_distinct() -> None:
    assert len(set(CLASSES.values())) == len(CLASSES)
    assert issubclass(pb.InvalidInput, ValueError)
    assert not issubclass(pb.NotFound, ValueError)


def code_of(call: Callable[[], object]) -> str:
    with pytest.raises(pb.BenefitsError) as caught:
        call()
    assert type(caught.value) is CLASSES[caught.value.code], caught.value
    assert str(caught.value)
    return caught.value.code


def test_permission_denied(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    assert code_of(lambda: world.as_user(world.mpn_admin).assign_user(vs.id, world.dev)) == "permission_denied"
    assert code_of(lambda: world.as_user(world.dev).purchase_package("action-pack")) == "permission_denied"


def test_not_found(world: World) -> None:
    assert code_of(lambda: world.admin.package(pb.PackageId("pkg-1-99"))) == "not_found"
    assert code_of(lambda: world.admin.benefit(pb.BenefitId("ben-1-99"))) == "not_found"
    assert code_of(lambda: world.center.audit_log(pb.OrganizationId("org-99"))) == "not_found"
    # A user of another organization is not found, never let through.
    other = world.center.create_organization(
        name="Fabrikam", account_email="p@fabrikam.com", admin_name="Fay", admin_email="fay@fabrikam.com"
    )
    assert code_of(lambda: world.center.session(world.org.id, other.admin_id).users()) == "not_found"


@pytest.mark.parametrize("bad", ["", "usr", "usr-1", "pkg-1-1", "usr-x-1", "usr-1-99999999999", "usr-1-2 "])
def test_malformed_ids_are_invalid_input(world: World, bad: str) -> None:
    with pytest.raises(pb.InvalidInput) as caught:
        world.admin.assign_user(pb.BenefitId("ben-1-1"), pb.UserId(bad))
    assert caught.value.code == "invalid_input" and caught.value.field == "user id"
    with pytest.raises(ValueError):
        world.center.session(world.org.id, pb.UserId(bad))


def test_invalid_input_values(world: World) -> None:
    assert code_of(lambda: world.admin.add_user("Eve", "not-an-address")) == "invalid_input"
    assert code_of(lambda: world.admin.add_user("", "eve@contoso.com")) == "invalid_input"
    assert code_of(lambda: world.admin.purchase_package("Action Pack")) == "invalid_input"
    assert code_of(lambda: world.admin.add_user("Eve", "eve@contoso.com", roles=["emperor"])) == "invalid_input"  # type: ignore[list-item]
    assert code_of(lambda: world.center.program().stock_keys("windows-server", [""])) == "invalid_input"
    with pytest.raises(pb.InvalidInput):
        pb.Money(Decimal(1), "usd")


def test_naive_datetime_is_a_value_error() -> None:
    with pytest.raises(ValueError) as caught:
        pb.ManualClock(datetime(2026, 3, 2, 9, 0))
    assert isinstance(caught.value, pb.InvalidInput) and caught.value.code == "invalid_input"
    assert "naive" in str(caught.value)


def test_conflict_on_reused_idempotency_key(world: World) -> None:
    session = world.admin.with_idempotency_key("k-1")
    session.add_user("Eve", "eve@contoso.com")
    assert code_of(lambda: session.add_user("Mallory", "mallory@contoso.com")) == "conflict"


def test_capacity_exhausted(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    for n in range(vs.seats):
        world.admin.assign_user(vs.id, world.admin.add_user(f"Seat {n}", f"seat{n}@contoso.com"))
    assert code_of(lambda: world.admin.assign_user(vs.id, world.dev)) == "capacity_exhausted"


def test_capacity_exhausted_when_no_keys(clock: pb.ManualClock) -> None:
    center = pb.BenefitCenter.in_memory(clock=clock, stock_demo_keys=False)
    org = center.create_organization(name="Dry", account_email="p@dry.com", admin_name="Ann", admin_email="ann@dry.com")
    admin = center.session(org.id, org.admin_id)
    assert code_of(lambda: admin.purchase_package("action-pack")) == "capacity_exhausted"
    assert admin.packages() == []


def test_refund_not_allowed_carries_the_reason(world: World) -> None:
    package = world.action_pack()
    office = world.benefit(package.id, "office-professional-plus")
    world.admin.get_keys(office.id, language="en", os="x64")
    with pytest.raises(pb.RefundNotAllowed) as caught:
        world.admin.cancel_package(package.id)
    assert caught.value.code == "refund_not_allowed" and caught.value.reason == "software_activated"


def test_insufficient_balance_and_invalid_transition(world: World) -> None:
    package = world.action_pack()
    hours = world.benefit(package.id, "advisory-hours")
    assert code_of(lambda: world.admin.request_assistance(hours.id, pb.Phase.DESIGN, Decimal(1), "x")) == "precondition_failed"
    world.admin.activate_technical(hours.id, world.dev, "dev.alt@example.com")
    world.clock.advance(timedelta(days=3))
    assert code_of(lambda: world.admin.request_assistance(hours.id, pb.Phase.DESIGN, Decimal(6), "x")) == "insufficient_balance"
    request = world.admin.request_assistance(hours.id, pb.Phase.DESIGN, Decimal(1), "x")
    world.admin.withdraw_request(request)
    assert code_of(lambda: world.admin.withdraw_request(request)) == "invalid_transition"
    assert code_of(lambda: world.admin.request_assistance(hours.id, pb.Phase.DESIGN, Decimal("0.001"), "x")) == "invalid_input"


def test_precondition_failed(world: World) -> None:
    package = world.action_pack()
    offer = world.benefit(package.id, "go-to-market").offers[0]
    assert code_of(lambda: world.admin.activate_offer(offer.id)) == "precondition_failed"


def test_messages_name_the_field_and_never_a_rust_type(world: World) -> None:
    hours = world.benefit(world.action_pack().id, "advisory-hours")
    with pytest.raises(pb.InvalidInput) as caught:
        world.admin.activate_technical(hours.id, world.dev, ACCOUNT_EMAIL)
    message = str(caught.value)
    assert "alternate_email" in message
    assert "Error" not in message and "::" not in message


HOSTILE = ["", " ", "\x00", "\u202e", "ü" * 300, "a" * 100_000, string.printable, "usr-1-1\x00", "-1", "9" * 40]


def test_no_input_reaches_a_panic(world: World) -> None:
    """Every method with hostile text raises a normal exception or succeeds; never a PanicException."""
    package = world.action_pack()
    hours = world.benefit(package.id, "advisory-hours").id
    office = world.benefit(package.id, "office-professional-plus").id
    session = world.admin
    calls: list[Callable[[str], object]] = [
        lambda s: session.add_user(s, s),
        lambda s: session.add_user("Name", f"{s}@x.com", language=s),
        lambda s: session.purchase_package(s),
        lambda s: session.renew_package(pb.PackageId(s)),
        lambda s: session.cancel_package(pb.PackageId(s)),
        lambda s: session.cancel_offer(pb.OfferId(s)),
        lambda s: session.get_keys(pb.BenefitId(s), language=s, os=s),
        lambda s: session.get_keys(office, language=s, os=s),
        lambda s: session.get_license_keys(pb.BenefitId(s)),
        lambda s: session.assign_user(pb.BenefitId(s), pb.UserId(s)),
        lambda s: session.reassign_user(pb.BenefitId(s), pb.UserId(s), pb.UserId(s)),
        lambda s: session.activate_technical(hours, world.dev, s),
        lambda s: session.request_assistance(pb.BenefitId(s), pb.Phase.DESIGN, Decimal(1), s),
        lambda s: session.request_assistance(hours, s, Decimal(1), s),  # type: ignore[arg-type]
        lambda s: session.withdraw_request(pb.RequestId(s)),
        lambda s: session.set_marketing_contact(world.dev, s, s, s),
        lambda s: session.activate_offer(pb.OfferId(s)),
        lambda s: session.benefits(pb.PackageId(s)),
        lambda s: session.benefits_in(s),  # type: ignore[arg-type]
        lambda s: session.with_idempotency_key(s).add_user("Idem", "idem@contoso.com"),
        lambda s: world.center.session(pb.OrganizationId(s), pb.UserId(s)),
        lambda s: world.center.audit_log(pb.OrganizationId(s)),
        lambda s: world.center.create_organization(name=s, account_email=s, admin_name=s, admin_email=s),
        lambda s: world.center.program().stock_keys(s, [s]),
        lambda s: world.center.program().key_pool(s),
        lambda s: world.center.program().grant_competency(world.org.id, s),
        lambda s: world.center.program().set_partner_level(world.org.id, s),  # type: ignore[arg-type]
        lambda s: world.center.program().complete_request(world.org.id, pb.RequestId(s)),
    ]
    for call in calls:
        for text in HOSTILE:
            try:
                call(text)
            except (pb.BenefitsError, ValueError, TypeError):
                pass
    for amount in [Decimal("NaN"), Decimal("Infinity"), Decimal("-1"), Decimal("1e30"), Decimal("1e-30")]:
        with pytest.raises((pb.BenefitsError, ValueError, TypeError)):
            session.request_assistance(hours, pb.Phase.DESIGN, amount, "x")
    with pytest.raises((OverflowError, ValueError, TypeError)):
        session.with_retries(-1)
