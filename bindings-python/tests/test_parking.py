"""Refused mail through the wheel: retried after growing pauses, parked
after the last allowed attempt (kept, counted, never retried), and sent once
an operator requeues it."""

from __future__ import annotations

from datetime import timedelta

import pytest

import partner_benefits as pb
from support import make_world
from test_mailer import Recorder, queue_two_mails


def test_refused_mail_waits_then_is_parked_and_requeued(clock: pb.ManualClock) -> None:
    mailer = Recorder()
    mailer.down = True
    world = make_world(pb.BenefitCenter.in_memory(clock=clock, mailer=mailer), clock)
    queue_two_mails(world)

    pauses: list[timedelta] = []
    while True:
        report = world.center.dispatch_mail()
        if report.parked:
            break
        assert (report.sent, report.failed) == (0, 2)
        entry = world.center.outbox()[0]
        assert entry.delivery is pb.Delivery.FAILED and entry.retry_at is not None
        pauses.append(entry.retry_at - clock.now())
        # Not tried again before its time.
        idle = world.center.dispatch_mail()
        assert (idle.sent, idle.failed, idle.parked) == (0, 0, 0)
        clock.set(entry.retry_at)
    assert pauses[:3] == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert max(pauses) <= timedelta(hours=6) and len(pauses) == 9, pauses
    assert report.parked == 2
    parked = world.center.outbox()
    assert all(e.delivery is pb.Delivery.PARKED and e.attempts == 10 and e.retry_at is None for e in parked)

    mailer.down = False
    clock.advance(timedelta(days=30))
    nothing = world.center.dispatch_mail()
    assert (nothing.sent, nothing.failed, nothing.parked) == (0, 0, 0) and mailer.sent == []

    with pytest.raises(pb.NotFound):
        world.center.requeue_mail("mail-1-99")
    with pytest.raises(pb.InvalidInput):
        world.center.requeue_mail("not a mail id")
    world.center.requeue_mail(parked[0].mail.id)
    with pytest.raises(pb.InvalidTransition) as twice:
        world.center.requeue_mail(parked[0].mail.id)
    assert twice.value.code == "invalid_transition"
    report = world.center.dispatch_mail()
    assert (report.sent, report.failed, report.parked) == (1, 0, 0)
    assert [m.id for m in mailer.sent] == [parked[0].mail.id]
    assert [e.delivery for e in world.center.outbox()] == [pb.Delivery.SENT, pb.Delivery.PARKED]
