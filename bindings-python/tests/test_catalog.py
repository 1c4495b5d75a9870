"""A host's own catalog, given as JSON; a bad one is InvalidCatalog."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

import partner_benefits as pb


def test_builtin_catalog_round_trips(clock: pb.ManualClock) -> None:
    center = pb.BenefitCenter.in_memory(clock=clock)
    document = json.loads(center.catalog_json())
    assert [p["code"] for p in document["packages"]] == ["action-pack", "silver-core", "gold-core"]
    again = pb.BenefitCenter.in_memory(clock=clock, catalog=center.catalog_json())
    assert again.catalog_json() == center.catalog_json()


def test_a_host_catalog_is_used(clock: pb.ManualClock) -> None:
    document = json.loads(pb.BenefitCenter.in_memory(clock=clock).catalog_json())
    starter = document["packages"][0]
    starter["code"] = "starter"
    starter["price"] = {"amount": "99.00", "currency": "EUR"}
    document["packages"] = [starter]
    center = pb.BenefitCenter.in_memory(clock=clock, catalog=json.dumps(document))
    org = center.create_organization(name="Host", account_email="p@host.com", admin_name="H", admin_email="h@host.com")
    admin = center.session(org.id, org.admin_id)
    package = admin.purchase_package("starter")
    assert package.price == pb.Money(Decimal("99.00"), "EUR")
    with pytest.raises(pb.NotFound):
        admin.purchase_package("action-pack")


@pytest.mark.parametrize(
    "document",
    ["", "{", "[]", '{"schema_version": 1}', '{"schema_version": 99, "technical_activation_lead_days": 3, "packages": []}'],
)
def test_a_bad_catalog_is_invalid_catalog(clock: pb.ManualClock, document: str) -> None:
    with pytest.raises(pb.InvalidCatalog) as caught:
        pb.BenefitCenter.in_memory(clock=clock, catalog=document)
    assert caught.value.code == "invalid_catalog"


def test_a_catalog_error_names_the_field(clock: pb.ManualClock) -> None:
    document = json.loads(pb.BenefitCenter.in_memory(clock=clock).catalog_json())
    document["packages"][0]["benefits"][3]["kind"]["visual_studio"]["seats"] = "three"
    with pytest.raises(pb.InvalidCatalog, match=r"packages\[0\]\.benefits\[3\]"):
        pb.BenefitCenter.in_memory(clock=clock, catalog=json.dumps(document))


@pytest.mark.parametrize("days", [36_501, 4_000_000_000])
def test_day_counts_past_the_calendar_are_refused(clock: pb.ManualClock, days: int) -> None:
    document = json.loads(pb.BenefitCenter.in_memory(clock=clock).catalog_json())
    document["technical_activation_lead_days"] = days
    with pytest.raises(pb.InvalidCatalog, match="technical_activation_lead_days"):
        pb.BenefitCenter.in_memory(clock=clock, catalog=json.dumps(document))
