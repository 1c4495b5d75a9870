"""License keys sealed at rest: `vault_key=` on open, sealing a vault kept
in clear in place, rotation with `previous_vault_keys=`, and refusals."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import partner_benefits as pb
from support import make_world

OLD_KEY = bytes(range(32))
NEW_KEY = bytes(range(100, 132))


def office_keys(session: pb.Session) -> list[str]:
    office = next(b for b in session.benefits_in(pb.Category.SOFTWARE) if b.code == "office-professional-plus")
    return list(session.get_keys(office.id, language="en", os="x64").keys)


def demo_keys_in(path: Path) -> int:
    """How often a demo key's text appears in the file's bytes (and its WAL)."""
    count = 0
    for name in (path, path.with_name(path.name + "-wal")):
        if name.exists():
            count += name.read_bytes().count(b"DEMO-")
    return count


def seal_all(center: pb.BenefitCenter, batch: int) -> list[int]:
    left = []
    while True:
        done = center.reseal_vault(batch=batch)
        left.append(done.remaining)
        if done.remaining == 0:
            return left


def test_b3_a_vault_kept_in_clear_is_sealed_in_place_and_rotated(tmp_path: Path, clock: pb.ManualClock) -> None:
    path = tmp_path / "benefits.db"
    world = make_world(pb.BenefitCenter.open(path, clock=clock), clock)
    world.action_pack()
    revealed = office_keys(world.admin)
    org, admin = world.org.id, world.org.admin_id
    status = world.center.vault_status()
    stocked = status.clear
    assert stocked >= 500 and status.sealed == [] and status.sealing_key is None and status.to_reseal == stocked
    with pytest.raises(pb.PreconditionFailed):
        world.center.reseal_vault()
    world.center.close()
    assert demo_keys_in(path) > 0, "kept in clear, the keys are in the file"

    # Sealed in place with the host's key, a batch at a time.
    with pb.BenefitCenter.open(path, clock=clock, vault_key=OLD_KEY) as center:
        status = center.vault_status()
        assert status.sealing_key is not None and len(status.sealing_key) == 16
        left = seal_all(center, batch=700)
        assert left[-1] == 0 and len(left) == -(-stocked // 700)
        status = center.vault_status()
        assert status.clear == 0 and status.to_reseal == 0
        assert [(s.key_id, s.entries) for s in status.sealed] == [(status.sealing_key, stocked)]
        assert office_keys(center.session(org, admin)) == revealed
        old_id = status.sealing_key
    assert old_id is not None
    gc.collect()
    assert demo_keys_in(path) == 0, "a key is still in clear in the sealed file"

    # Without the key, or with another: refused, naming the key id.
    for wrong in (None, NEW_KEY):
        with pytest.raises(pb.StorageError) as raised:
            pb.BenefitCenter.open(path, clock=clock, vault_key=wrong)
        assert old_id in str(raised.value)

    # Rotation: the new key current, the old one previous, until resealed.
    with pb.BenefitCenter.open(path, clock=clock, vault_key=NEW_KEY, previous_vault_keys=[OLD_KEY]) as center:
        assert center.vault_status().to_reseal == stocked
        seal_all(center, batch=10_000)
        new_id = center.vault_status().sealing_key
        assert [s.key_id for s in center.vault_status().sealed] == [new_id] and new_id != old_id
    with pb.BenefitCenter.open(path, clock=clock, vault_key=NEW_KEY) as center:
        assert office_keys(center.session(org, admin)) == revealed
    with pytest.raises(pb.StorageError):
        pb.BenefitCenter.open(path, clock=clock, vault_key=OLD_KEY)


def test_b3_a_vault_key_of_the_wrong_length_is_refused_without_echo(tmp_path: Path, clock: pb.ManualClock) -> None:
    for bad in (b"", b"short", bytes(31), bytes(33)):
        with pytest.raises(pb.InvalidInput) as raised:
            pb.BenefitCenter.open(tmp_path / "benefits.db", clock=clock, vault_key=bad)
        assert raised.value.code == "invalid_input" and "32 bytes" in str(raised.value)
    with pytest.raises(pb.InvalidInput):
        pb.BenefitCenter.open(tmp_path / "benefits.db", clock=clock, previous_vault_keys=[OLD_KEY])
    assert not (tmp_path / "benefits.db").exists(), "a refused key made no file"


def test_b3_the_vault_key_never_shows_in_repr_or_errors(tmp_path: Path, clock: pb.ManualClock) -> None:
    secret = b"S" * 32
    center = pb.BenefitCenter.open(tmp_path / "benefits.db", clock=clock, vault_key=secret)
    assert "SSSS" not in repr(center) and "SSSS" not in repr(center.vault_status())
    center.close()
    with pytest.raises(pb.StorageError) as raised:
        pb.BenefitCenter.open(tmp_path / "benefits.db", clock=clock, vault_key=b"T" * 32)
    assert "SSSS" not in str(raised.value) and "TTTT" not in str(raised.value)


def test_reseal_batches_out_of_range_are_invalid_input(tmp_path: Path, clock: pb.ManualClock) -> None:
    with pb.BenefitCenter.open(tmp_path / "benefits.db", clock=clock, vault_key=OLD_KEY) as center:
        for batch in (0, -1, 10_001, 2**40):
            with pytest.raises(pb.InvalidInput):
                center.reseal_vault(batch=batch)
        assert center.reseal_vault(batch=1).remaining == 0, "demo keys stocked under the key are sealed already"
