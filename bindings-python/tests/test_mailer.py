"""A host mailer: any object with send(mail); a failure leaves the mail queued."""

from __future__ import annotations

import pytest

import partner_benefits as pb
from support import World, days, make_world


class Recorder:
    def __init__(self) -> None:
        self.sent: list[pb.Mail] = []
        self.down = False

    def send(self, mail: pb.Mail) -> None:
        if self.down:
            raise ConnectionError("smtp down")
        self.sent.append(mail)


def world_with(mailer: object, clock: pb.ManualClock) -> World:
    return make_world(pb.BenefitCenter.in_memory(clock=clock, mailer=mailer), clock)  # type: ignore[arg-type]


def queue_two_mails(world: World) -> None:
    package = world.action_pack()
    vs = world.benefit(package.id, "visual-studio")
    world.admin.assign_user(vs.id, world.dev)
    world.admin.assign_user(vs.id, world.dev2)


def test_mail_is_handed_to_send_once(clock: pb.ManualClock) -> None:
    mailer = Recorder()
    world = world_with(mailer, clock)
    queue_two_mails(world)
    assert [e.delivery for e in world.center.outbox()] == [pb.Delivery.PENDING] * 2
    report = world.center.dispatch_mail()
    assert (report.sent, report.failed) == (2, 0)
    mail = mailer.sent[0]
    assert isinstance(mail, pb.Mail) and mail.topic == "subscription_assigned"
    assert mail.to == ["dev1@contoso.com"] and mail.language == "en" and mail.subject and mail.body
    assert mail.organization_id == world.org.id and mail.created_at == clock.now()
    assert mail.id.startswith("mail-1-")
    entries = world.center.outbox()
    assert [e.delivery for e in entries] == [pb.Delivery.SENT] * 2
    assert entries[0].mail == mail and entries[0].attempts == 1 and entries[0].sent_at == clock.now()
    # A sent mail is never sent again.
    again = world.center.dispatch_mail()
    assert (again.sent, again.failed) == (0, 0) and len(mailer.sent) == 2


def test_a_raising_mailer_leaves_mail_queued_for_retry(clock: pb.ManualClock) -> None:
    mailer = Recorder()
    mailer.down = True
    world = world_with(mailer, clock)
    queue_two_mails(world)
    report = world.center.dispatch_mail()
    assert (report.sent, report.failed) == (0, 2)
    entries = world.center.outbox()
    assert [e.delivery for e in entries] == [pb.Delivery.FAILED] * 2
    assert entries[0].attempts == 1 and entries[0].last_error is not None
    assert "ConnectionError" in entries[0].last_error and "smtp down" in entries[0].last_error
    mailer.down = False
    clock.advance(days(1))
    report = world.center.dispatch_mail()
    assert (report.sent, report.failed) == (2, 0)
    assert [e.delivery for e in world.center.outbox()] == [pb.Delivery.SENT] * 2
    assert [e.attempts for e in world.center.outbox()] == [2, 2]
    assert len(mailer.sent) == 2


def test_a_mailer_raising_anything_is_a_refusal(clock: pb.ManualClock) -> None:
    class Broken:
        def send(self, mail: pb.Mail) -> None:
            raise RuntimeError(f"cannot send {mail.id}")

    world = world_with(Broken(), clock)
    queue_two_mails(world)
    assert world.center.dispatch_mail().failed == 2


def test_an_interrupt_stops_the_dispatch_and_is_raised(clock: pb.ManualClock) -> None:
    class Interrupted(Recorder):
        def send(self, mail: pb.Mail) -> None:
            if self.down:
                raise KeyboardInterrupt
            super().send(mail)

    mailer = Interrupted()
    mailer.down = True
    world = world_with(mailer, clock)
    queue_two_mails(world)
    with pytest.raises(KeyboardInterrupt):
        world.center.dispatch_mail()
    assert all(e.delivery is pb.Delivery.FAILED for e in world.center.outbox())
    mailer.down = False
    clock.advance(days(1))
    assert world.center.dispatch_mail().sent == 2 and len(mailer.sent) == 2


def test_without_a_mailer_nothing_is_lost(world: World) -> None:
    queue_two_mails(world)
    report = world.center.dispatch_mail()
    assert (report.sent, report.failed) == (0, 2)
    assert all(e.delivery is pb.Delivery.FAILED for e in world.center.outbox())
    assert "no mailer" in (world.center.outbox()[0].last_error or "")


def test_a_mailer_needs_send(clock: pb.ManualClock) -> None:
    with pytest.raises(TypeError, match="send"):
        pb.BenefitCenter.in_memory(clock=clock, mailer=object())  # type: ignore[arg-type]


def test_mail_values_compare_and_hash(clock: pb.ManualClock) -> None:
    mailer = Recorder()
    world = world_with(mailer, clock)
    queue_two_mails(world)
    world.center.dispatch_mail()
    outbox = [e.mail for e in world.center.outbox()]
    assert outbox == mailer.sent and len(set(outbox)) == 2
    assert repr(outbox[0]).startswith("Mail(id='mail-1-")
