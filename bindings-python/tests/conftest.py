"""Fixtures: an in-memory center on a manual clock with one organization."""

from __future__ import annotations

import pytest

import partner_benefits as pb
from support import T0, World, make_world


@pytest.fixture
def clock() -> pb.ManualClock:
    return pb.ManualClock(T0)


@pytest.fixture
def world(clock: pb.ManualClock) -> World:
    return make_world(pb.BenefitCenter.in_memory(clock=clock), clock)
