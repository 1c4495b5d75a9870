"""Helpers shared by the tests: a world of one organization with a few users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import partner_benefits as pb

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
ACCOUNT_EMAIL = "partners@contoso.com"


def days(n: float) -> timedelta:
    return timedelta(days=n)


@dataclass
class World:
    clock: pb.ManualClock
    center: pb.BenefitCenter
    org: pb.Organization
    admin: pb.Session
    dev: pb.UserId
    dev2: pb.UserId
    mpn_admin: pb.UserId

    def as_user(self, user_id: pb.UserId) -> pb.Session:
        return self.center.session(self.org.id, user_id)

    def benefit(self, package_id: pb.PackageId, code: str) -> pb.Benefit:
        return next(b for b in self.admin.benefits(package_id) if b.code == code)

    def action_pack(self) -> pb.Package:
        return self.admin.purchase_package("action-pack")

    def mails(self, topic: str) -> list[pb.Mail]:
        return [e.mail for e in self.center.outbox() if e.mail.topic == topic]


def make_world(center: pb.BenefitCenter, clock: pb.ManualClock) -> World:
    org = center.create_organization(
        name="Contoso Ltd",
        account_email=ACCOUNT_EMAIL,
        admin_name="Avery Admin",
        admin_email="avery@contoso.com",
    )
    admin = center.session(org.id, org.admin_id)
    dev = admin.add_user("Devon Dev", "dev1@contoso.com")
    dev2 = admin.add_user("Dana Dev", "dev2@contoso.com", roles=[])
    mpn_admin = admin.add_user("Blake Buyer", "blake@contoso.com", roles=[pb.Role.MPN_PARTNER_ADMIN])
    return World(clock, center, org, admin, dev, dev2, mpn_admin)


def snapshot(session: pb.Session) -> tuple[object, ...]:
    """Everything a session can read about its organization."""
    return (
        session.organization(),
        session.users(),
        session.packages(),
        session.all_benefits(),
        session.requests(),
        session.cancellations(),
        session.marketing_contact(),
        session.audit_log(),
    )


def build_history(world: World) -> None:
    """A bit of everything: seats, hours, a request, GTM, keys, a second package."""
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    world.admin.assign_user(vs.id, world.dev)
    hours = world.benefit(package.id, "advisory-hours")
    world.admin.activate_technical(hours.id, world.dev, "dev.alt@example.com")
    world.clock.advance(days(3))
    world.admin.request_assistance(hours.id, pb.Phase.DEPLOYMENT, Decimal("1.5"), "roll-out")
    world.admin.set_marketing_contact(world.dev, "dev.marketing@example.com", "+1 425 555 0100", "en")
    world.center.program().grant_competency(world.org.id, "cloud-platform")
    office = world.benefit(package.id, "office-professional-plus")
    world.admin.get_keys(office.id, language="en", os="x64")
    world.admin.purchase_package("action-pack")
