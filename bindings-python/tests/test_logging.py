"""The library's log records in Python's `logging`, once enabled: each
command with its organization, kind and outcome code, never a key."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator

import pytest

import partner_benefits as pb
from support import World


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG, logger="partner_benefits")
    pb.enable_logging(logging.INFO)
    yield caplog
    pb.enable_logging(None)


def test_b3_commands_reach_logging_with_their_outcome_and_never_a_key(world: World, records: pytest.LogCaptureFixture) -> None:
    package = world.action_pack()
    vs = next(b for b in world.admin.benefits(package.id) if b.code == "visual-studio")
    world.admin.assign_user(vs.id, world.dev)
    with pytest.raises(pb.PermissionDenied):
        world.as_user(world.dev).assign_user(vs.id, world.dev)
    office = next(b for b in world.admin.benefits(package.id) if b.code == "office-professional-plus")
    keys = world.admin.get_keys(office.id, language="en", os="x64").keys

    ours = [r for r in records.records if r.name.startswith("partner_benefits")]
    applied = [r for r in ours if 'kind="assign_user"' in r.getMessage() and "command applied" in r.getMessage()]
    assert len(applied) == 1, [r.getMessage() for r in ours]
    assert applied[0].levelno == logging.INFO
    assert applied[0].getMessage().startswith(f"command{{organization={world.org.id} ")
    assert 'outcome="ok"' in applied[0].getMessage()
    assert any('outcome="permission_denied"' in r.getMessage() for r in ours)
    assert all(r.levelno >= logging.INFO for r in ours), "nothing below the level asked for"
    for key in keys:
        assert all(key not in r.getMessage() for r in records.records), "a key in the log (B3)"


def test_none_stops_forwarding(world: World, records: pytest.LogCaptureFixture) -> None:
    pb.enable_logging(None)
    records.clear()
    world.admin.add_user("Nia New", "nia@contoso.com")
    assert [r for r in records.records if r.name.startswith("partner_benefits")] == []
    pb.enable_logging(logging.DEBUG)
    world.admin.add_user("Noor New", "noor@contoso.com")
    assert any(r.levelno == logging.DEBUG and "committed" in r.getMessage() for r in records.records)


def test_first_calls_from_many_threads_at_once_all_succeed() -> None:
    # A fresh interpreter: the bridge to `logging` is installed once per
    # process, on the first call, and these are the first calls.
    script = """
import sys, threading
import partner_benefits as pb
barrier = threading.Barrier(8)
failures = []
def call():
    barrier.wait()
    try:
        pb.enable_logging(20)
    except Exception as e:
        failures.append(repr(e))
threads = [threading.Thread(target=call) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(len(failures), failures)
sys.exit(1 if failures else 0)
"""
    for _ in range(5):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
