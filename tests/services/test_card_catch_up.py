"""A copy of a card that is on its way while its report changes is edited once it is recorded, even when the
change carries the same clock reading as the render (two revisions of one BMKG poll share one `now`)."""

from __future__ import annotations

from sqlalchemy import select

from bot.db import models as db
from bot.services import desk, intake, outbox
from bot.services.context import Services
from bot.services.dispatch import Route, SendOutcome, SendResult
from tests.center import FIRE, NOW, RINA, setup_center


async def test_a_copy_sent_while_its_report_changed_at_the_same_moment_gets_an_edit(services: Services) -> None:
    await setup_center(services)
    filed = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(filed, intake.Accepted)
    job = await outbox.claim(services, Route("damkar", None), "test", NOW)
    assert job is not None and job.kind == "card"
    # While Damkar's copy is on its way (not recorded: no copy to edit yet), the call center changes the report.
    changed = await desk.set_priority(services, RINA, RINA.id, True, filed.number, "rendah", NOW)
    assert changed.key == "desk_priority"
    async with services.db.uow() as uow:
        changed_version = (await uow.repo.incident(filed.incident_id)).version  # type: ignore[union-attr]
    await outbox.record(services, job, SendResult(SendOutcome.SENT, message_id=77), NOW)
    async with services.db.uow() as uow:
        # the catch-up changes nothing: the version stays (copies in flight would catch up on each other)
        assert (await uow.repo.incident(filed.incident_id)).version == changed_version  # type: ignore[union-attr]
        edits = (await uow.session.scalars(select(db.Delivery).where(
            db.Delivery.kind == "edit", db.Delivery.agency_key == "damkar", db.Delivery.status == "pending"))).all()
    assert [(e.message_id, e.incident_id) for e in edits] == [(77, filed.incident_id)]
