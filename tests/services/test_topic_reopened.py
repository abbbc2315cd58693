"""A forum topic reopened (Telegram's service message): the posts held for the agencies bound to it are due at
once, not at their next try; other topics' posts keep their time."""

from __future__ import annotations

from datetime import timedelta

from bot.services import group_health, intake, outbox, people
from bot.services.context import Services
from bot.services.dispatch import Route, SendOutcome, SendResult
from tests.center import ADMIN, NOW, RINA

FORUM = -1009000000001
MISSING = "kategori: orang hilang\nkecamatan: Nusaniwe\nalamat: Pantai Namalatu\nketerangan: anak hilang di pantai"


async def test_reopening_a_topic_makes_its_held_posts_due_now(services: Services) -> None:
    await people.add_user(services, RINA.id, RINA.name, "call_taker", None, NOW)
    for i, key in enumerate(services.rules.agencies):
        if key not in ("sar", "tni_polri"):
            await people.bind_group(services, ADMIN, -1000 - i, f"Grup {key}", key, NOW)
    await people.bind_group(services, ADMIN, FORUM, "Forum", "sar", NOW, thread_id=7)
    await people.bind_group(services, ADMIN, FORUM, "Forum", "tni_polri", NOW, thread_id=8)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, MISSING, NOW)
    assert isinstance(outcome, intake.Accepted)
    sent_at = NOW + timedelta(seconds=1)
    for key in ("sar", "tni_polri"):  # both topics are closed: Telegram refuses, the cards are held
        job = await outbox.claim(services, Route(key, None), "test", sent_at)
        assert job is not None and job.kind == "card"
        await outbox.record(services, job, SendResult(SendOutcome.HELD, detail="Bad Request: TOPIC_CLOSED",
                                                      reason="topic_closed"), sent_at)
    moment = NOW + timedelta(seconds=5)
    assert await group_health.topic_reopened(services, FORUM, 99, moment) == 0  # a topic no agency uses
    assert await group_health.topic_reopened(services, FORUM, 7, moment) == 1
    async with services.db.uow() as uow:
        cards = {d.agency_key: d.next_attempt_at for d in await uow.repo.deliveries_for(outcome.incident_id, "card")}
    assert cards["sar"] is not None and cards["sar"] <= moment
    assert cards["tni_polri"] is not None and cards["tni_polri"] > moment  # another topic: still held
    # Once the card got through the group is reachable again: reopening the topic again hurries nothing.
    job = await outbox.claim(services, Route("sar", None), "test", moment)
    assert job is not None
    await outbox.record(services, job, SendResult(SendOutcome.SENT, message_id=500), moment)
    assert await group_health.topic_reopened(services, FORUM, 7, moment) == 0
