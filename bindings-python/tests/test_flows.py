"""The seed's flows, end to end from Python."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest

import partner_benefits as pb
from support import ACCOUNT_EMAIL, T0, World, days


def test_users_and_roles(world: World) -> None:
    users = {u.id: u for u in world.admin.users()}
    assert users[world.org.admin_id].roles == [pb.Role.GLOBAL_ADMIN]
    assert users[world.mpn_admin].roles == [pb.Role.MPN_PARTNER_ADMIN]
    assert users[world.dev].roles == []
    assert users[world.dev].language == "en"
    world.admin.set_user_roles(world.dev, [pb.Role.USER_ADMIN, pb.Role.ADMIN_AGENT])
    assert {u.id: u for u in world.admin.users()}[world.dev].roles == [pb.Role.USER_ADMIN, pb.Role.ADMIN_AGENT]
    zh = world.admin.add_user("Li Lei", "li@contoso.com", roles=[pb.Role.ADMIN_AGENT], language="zh-CN")
    assert {u.id: u for u in world.admin.users()}[zh].language == "zh-CN"
    # At least one Global admin stays.
    with pytest.raises(pb.BenefitsError):
        world.admin.set_user_roles(world.org.admin_id, [])


def test_organization_view(world: World) -> None:
    org = world.admin.organization()
    assert org == world.org
    assert org.name == "Contoso Ltd" and org.account_email == ACCOUNT_EMAIL
    assert org.level is pb.PartnerLevel.MEMBER and org.competencies == []
    assert world.admin.organization_id == org.id and world.admin.user_id == org.admin_id


def test_purchase_lists_every_category(world: World) -> None:
    buyer = world.as_user(world.mpn_admin)
    package = buyer.purchase_package("action-pack")
    assert package.template == "action-pack" and package.status is pb.Status.ACTIVE
    assert package.price == pb.Money(Decimal("475.00"), "USD")
    assert package.purchased_at == T0 and package.refundable_until == T0 + days(30)
    assert not package.software_activated
    assert world.admin.packages() == [package] and world.admin.package(package.id) == package
    benefits = world.admin.benefits(package.id)
    assert [b.id for b in benefits] == package.benefit_ids
    assert {b.category for b in benefits} == set(pb.Category)
    assert world.admin.all_benefits() == benefits
    for category in pb.Category:
        listed = world.admin.benefits_in(category)
        assert listed and all(b.category is category for b in listed)
    assert world.admin.benefit(benefits[0].id) == benefits[0]


def test_software_keys_activate_and_close_the_refund(world: World) -> None:
    package = world.action_pack()
    office = world.benefit(package.id, "office-professional-plus")
    assert office.status is pb.Status.NOT_ACTIVATED and office.key_count == 5
    keys = world.admin.get_keys(office.id, language="de", os="arm64")
    assert len(keys.keys) == 5 and len(set(keys.keys)) == 5
    assert keys.benefit_id == office.id and keys.product == office.name
    assert keys.download_links and all("/de/" in link and "arm64" in link for link in keys.download_links)
    assert world.benefit(package.id, "office-professional-plus").status is pb.Status.ACTIVE
    assert world.admin.package(package.id).software_activated
    # The same keys again, not new ones.
    assert world.admin.get_keys(office.id, language="en", os="x64").keys == keys.keys
    with pytest.raises(pb.InvalidInput):
        world.admin.get_keys(office.id, language="fr", os="x64")


def test_cloud_license_keys_and_azure_self_assignment(world: World) -> None:
    package = world.action_pack()
    m365 = world.benefit(package.id, "microsoft-365")
    assert m365.category is pb.Category.CLOUD
    keys = world.admin.get_license_keys(m365.id)
    assert len(keys.keys) == m365.key_count == 5
    active = world.benefit(package.id, "microsoft-365")
    assert active.status is pb.Status.ACTIVE and active.expires_at == T0 + timedelta(days=365)
    azure = world.benefit(package.id, "azure-credit")
    assert azure.monthly_credit == pb.Money(Decimal("100.00"), "USD")
    world.admin.assign_user(azure.id, world.org.admin_id)
    assert world.benefit(package.id, "azure-credit").assigned_users == [world.org.admin_id]


def test_visual_studio_assign_unassign_reassign(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    assert vs.seats == 3 and vs.status is pb.Status.NOT_ACTIVATED
    world.admin.assign_user(vs.id, world.dev)
    assert world.benefit(package.id, "visual-studio").status is pb.Status.PARTLY_ASSIGNED
    world.admin.reassign_user(vs.id, from_user=world.dev, to_user=world.dev2)
    assert world.benefit(package.id, "visual-studio").assigned_users == [world.dev2]
    world.admin.unassign_user(vs.id, world.dev2)
    assert world.benefit(package.id, "visual-studio").assigned_users == []
    assert [m.topic for m in world.mails("subscription_assigned")] == ["subscription_assigned"] * 2


def test_technical_activation_pends_then_requests_draw_hours(world: World) -> None:
    package = world.action_pack()
    hours = world.benefit(package.id, "advisory-hours")
    assert hours.technical_kind == "advisory_hours" and hours.balance == Decimal("5")
    with pytest.raises(pb.InvalidInput) as same:
        world.admin.activate_technical(hours.id, world.dev, ACCOUNT_EMAIL)
    assert same.value.field == "alternate_email"
    world.admin.activate_technical(hours.id, world.dev, "dev.alt@example.com")
    pending = world.benefit(package.id, "advisory-hours")
    assert pending.status is pb.Status.PENDING and pending.alternate_email == "dev.alt@example.com"
    assert pending.active_at == T0 + days(3)
    (mail,) = world.mails("technical_activation_pending")
    assert set(mail.to) == {"dev.alt@example.com", "dev1@contoso.com"}

    world.clock.advance(days(3))
    assert world.center.process_due() >= 1
    assert world.benefit(package.id, "advisory-hours").status is pb.Status.ACTIVE
    assert len(world.mails("technical_activated")) == 1

    first = world.admin.request_assistance(hours.id, pb.Phase.DESIGN, Decimal("1.25"), "design review")
    second = world.admin.request_assistance(hours.id, pb.Phase.DEPLOYMENT, Decimal("2"), "roll-out")
    requests = world.admin.requests()
    assert [r.id for r in requests] == [first, second]
    assert requests[0].phase is pb.Phase.DESIGN and requests[0].amount == Decimal("1.25")
    assert requests[0].status is pb.Status.SUBMITTED and requests[0].requested_by == world.org.admin_id
    assert world.benefit(package.id, "advisory-hours").balance == Decimal("1.75")
    with pytest.raises(pb.InsufficientBalance) as low:
        world.admin.request_assistance(hours.id, pb.Phase.PRESALES, Decimal("2"), "more")
    assert low.value.requested == Decimal("2") and low.value.available == Decimal("1.75")
    world.admin.withdraw_request(first)
    assert world.benefit(package.id, "advisory-hours").balance == Decimal("3")
    world.center.program().complete_request(world.org.id, second)
    statuses = {r.id: r.status for r in world.admin.requests()}
    assert statuses == {first: pb.Status.WITHDRAWN, second: pb.Status.COMPLETED}


def test_marketing_contact_and_offer_lifecycle(world: World) -> None:
    package = world.action_pack()
    offer = world.benefit(package.id, "go-to-market").offers[0]
    assert offer.status is pb.Status.AVAILABLE and world.admin.offers() == [offer]
    with pytest.raises(pb.PreconditionFailed):
        world.admin.activate_offer(offer.id)
    assert world.admin.marketing_contact() is None
    mpn = world.as_user(world.mpn_admin)
    mpn.set_marketing_contact(world.dev, "dev.marketing@example.com", "+1 425 555 0100", "en")
    contact = world.admin.marketing_contact()
    assert contact == world.admin.marketing_contact()
    assert contact is not None and (contact.user_id, contact.email, contact.phone, contact.language) == (
        world.dev,
        "dev.marketing@example.com",
        "+1 425 555 0100",
        "en",
    )
    active_at = mpn.activate_offer(offer.id)
    assert active_at == T0 + days(5)
    assert world.admin.offer(offer.id).status is pb.Status.PENDING
    world.clock.set(active_at)
    active = world.admin.offer(offer.id)
    assert active.status is pb.Status.ACTIVE and active.expires_at == active_at + days(365)
    world.center.process_due()
    assert [m.to for m in world.mails("offer_activated")] == [["dev.marketing@example.com"]]
    world.clock.advance(days(365))
    assert world.admin.offer(offer.id).status is pb.Status.EXPIRED


def test_levels_and_competencies(world: World) -> None:
    program = world.center.program()
    with pytest.raises(pb.PreconditionFailed):
        world.admin.purchase_package("silver-core")
    program.set_partner_level(world.org.id, pb.PartnerLevel.SILVER)
    package = world.admin.purchase_package("silver-core")
    core, isv = world.benefit(package.id, "go-to-market").offers
    assert core.status is pb.Status.AVAILABLE
    assert isv.status is pb.Status.UNAVAILABLE and isv.unavailable_reason
    program.grant_competency(world.org.id, "cloud-platform")
    assert world.admin.offer(isv.id).status is pb.Status.AVAILABLE
    assert world.admin.organization().competencies == ["cloud-platform"]
    program.revoke_competency(world.org.id, "cloud-platform")
    assert world.admin.organization().level is pb.PartnerLevel.SILVER
    with pytest.raises(pb.NotFound):
        program.revoke_competency(world.org.id, "cloud-platform")
    assert program.organizations() == [world.org.id]


def test_renewal_inside_the_window(world: World) -> None:
    package = world.action_pack()
    with pytest.raises(pb.BenefitsError):
        world.admin.renew_package(package.id)
    world.clock.set(package.expires_at - days(10))
    new_expiry = world.admin.renew_package(package.id)
    assert new_expiry > package.expires_at
    assert world.admin.package(package.id).expires_at == new_expiry


def test_cancellation_refunds_inside_30_days(world: World) -> None:
    package = world.action_pack()
    world.clock.advance(days(30) - timedelta(minutes=1))
    refund = world.admin.cancel_package(package.id)
    assert refund == pb.Money(Decimal("475.00"), "USD")
    assert world.admin.package(package.id).status is pb.Status.CANCELLED
    (answer,) = world.admin.cancellations()
    assert answer.granted and answer.refund == refund and answer.target == package.id
    with pytest.raises(pb.RefundNotAllowed) as again:
        world.admin.cancel_package(package.id)
    assert again.value.reason == "already_cancelled"


def test_cancellation_after_30_days_is_refused_and_recorded(world: World) -> None:
    package = world.action_pack()
    world.clock.advance(days(30) + timedelta(minutes=1))
    with pytest.raises(pb.RefundNotAllowed) as refused:
        world.admin.cancel_package(package.id)
    assert refused.value.code == "refund_not_allowed" and refused.value.reason == "window_closed"
    (answer,) = world.admin.cancellations()
    assert not answer.granted and answer.refusal == "window_closed" and answer.refund is None


def test_offer_cancellation(world: World) -> None:
    package = world.action_pack()
    offer = world.benefit(package.id, "go-to-market").offers[0]
    world.admin.set_marketing_contact(world.dev, "dev.marketing@example.com", "+1 425 555 0100", "en")
    world.admin.activate_offer(offer.id)
    refund = world.admin.cancel_offer(offer.id)
    assert isinstance(refund, pb.Money) and refund.currency == "USD"
    assert world.admin.offer(offer.id).status is pb.Status.CANCELLED


def test_audit_log_holds_every_change_and_no_key(world: World) -> None:
    package = world.action_pack()
    office = world.benefit(package.id, "office-professional-plus")
    keys = world.admin.get_keys(office.id, language="en", os="x64")
    log = world.admin.audit_log()
    assert log == world.center.audit_log(world.org.id)
    assert [e.version for e in log] == list(range(1, len(log) + 1))
    assert log[0].kind == "organization_created" and log[0].actor == "program" and log[0].at == T0
    assert {e.stream for e in log} == {world.org.id}
    for entry in log:
        json.loads(entry.details)
        assert not any(key in entry.details for key in keys.keys)
    with pytest.raises(pb.PermissionDenied):
        world.as_user(world.mpn_admin).audit_log()


def test_idempotency_key_applies_once(world: World) -> None:
    once = world.admin.with_idempotency_key("buy-1")
    first = once.purchase_package("action-pack")
    assert once.purchase_package("action-pack") == first
    assert len(world.admin.packages()) == 1
    with pytest.raises(pb.Conflict):
        once.add_user("Other", "other@contoso.com")
    retrying = world.admin.with_retries(3)
    assert retrying.purchase_package("action-pack").id != first.id


def test_key_pool_and_stocking(world: World) -> None:
    program = world.center.program()
    before = program.key_pool("windows-server")
    assert (before.product, before.stocked, before.allocated, before.available) == ("windows-server", 500, 0, 500)
    world.action_pack()
    after = program.key_pool("windows-server")
    assert (after.allocated, after.available) == (1, 499)
    assert program.stock_keys("windows-server", ["REAL-KEY-1", "REAL-KEY-2"]) == 501
    assert program.key_pool("windows-server").stocked == 502


def test_expiry_reminders_and_expiry(world: World) -> None:
    package = world.action_pack()
    world.clock.set(package.expires_at - days(30))
    world.center.process_due()
    world.center.process_due()
    (reminder,) = world.mails("package_expiring")
    assert reminder.to and "renew" in (reminder.subject + reminder.body).lower()
    # Jumping past the 7- and 1-day reminders at once sends each.
    world.clock.set(package.expires_at - days(1))
    world.center.process_due()
    assert len(world.mails("package_expiring")) == 3
    world.clock.set(package.expires_at)
    assert world.admin.package(package.id).status is pb.Status.EXPIRED
    # Renewal stays open in the grace period after expiry.
    renewed = world.admin.renew_package(package.id)
    assert renewed > package.expires_at
    assert world.admin.package(package.id).status is pb.Status.ACTIVE
