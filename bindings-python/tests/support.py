"""Helpers shared by the tests: a world of one organization with a few users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

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
    dev: str
    dev2: str
    mpn_admin: str

    def as_user(self, user_id: str) -> pb.Session:
        return self.center.session(self.org.id, user_id)

    def benefit(self, package_id: str, code: str) -> pb.Benefit:
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
