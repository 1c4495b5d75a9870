"""From asyncio: calls run in a worker thread with `asyncio.to_thread` (the
wheel releases the GIL while it works), so the event loop keeps running
while the library waits on its store."""

from __future__ import annotations

import asyncio
from pathlib import Path

import partner_benefits as pb


def test_calls_from_asyncio_run_in_threads_and_the_loop_keeps_running(tmp_path: Path, clock: pb.ManualClock) -> None:
    async def main() -> tuple[int, int]:
        center = await asyncio.to_thread(pb.BenefitCenter.open, tmp_path / "async.db", clock=clock)
        org = await asyncio.to_thread(
            center.create_organization,
            name="Contoso Ltd",
            account_email="partners@contoso.com",
            admin_name="Avery Admin",
            admin_email="avery@contoso.com",
        )
        admin = center.session(org.id, org.admin_id)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        running = asyncio.create_task(ticker())
        # Twenty users added concurrently from the loop, each call in a thread.
        await asyncio.gather(
            *(asyncio.to_thread(admin.add_user, f"User {i}", f"user{i}@contoso.com") for i in range(20))
        )
        running.cancel()
        users = await asyncio.to_thread(admin.users)
        return len(users), ticks

    users, ticks = asyncio.run(main())
    assert users == 21
    assert ticks > 0, "the event loop ran while the calls worked"
