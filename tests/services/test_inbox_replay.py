"""The inbox and replays on a real database: an update stored twice is one row, and every use case an update can
reach does nothing new when the same update is processed again after a crash."""

from __future__ import annotations

from datetime import timedelta

from bot.db.models import PostedMessage
from bot.domain.callback_data import FormPress
from bot.services import inbox, intake, lifecycle
from bot.services.context import Actor, Services
from tests.center import DAMKAR_CHAT, NOW, RINA, fire, setup_center

BUDI = Actor(2001, "Budi")


async def test_an_update_delivered_twice_is_stored_once_and_pending_in_update_order(services: Services) -> None:
    await inbox.store(services, [{"update_id": 7, "message": {"x": 1}}, {"update_id": 5}], "a", NOW)
    await inbox.store(services, [{"update_id": 7, "message": {"x": 2}}, {"update_id": 9}], "a", NOW)
    pending = await inbox.pending(services, "a", 10)
    assert [p.update_id for p in pending] == [5, 7, 9]
    assert pending[1].payload["message"] == {"x": 1}
    assert await inbox.pending(services, "another instance", 10) == []


async def test_processed_updates_are_not_pending_and_are_pruned_after_the_retention(services: Services) -> None:
    await inbox.store(services, [{"update_id": 1}, {"update_id": 2}], "a", NOW)
    await inbox.mark_processed(services, [1], NOW)
    assert [p.update_id for p in await inbox.pending(services, "a", 10)] == [2]
    assert await inbox.prune(services, NOW + timedelta(hours=1)) == 0
    assert await inbox.prune(services, NOW + inbox.RETENTION + timedelta(seconds=1)) == 1
    assert [p.update_id for p in await inbox.pending(services, "a", 10)] == [2]


async def test_a_replayed_reply_adds_its_note_once(services: Services) -> None:
    incident = await fire(services)
    async with services.db.uow() as uow:
        uow.repo.add(PostedMessage(incident_id=incident, agency_key="damkar", chat_id=DAMKAR_CHAT, message_id=50,
                                   created_at=NOW))
        await uow.commit()
    for _ in range(2):
        result = await lifecycle.reply(services, BUDI, DAMKAR_CHAT, 50, "OTW 5 menit", NOW, message_id=51)
        assert result is not None and result.number
    async with services.db.uow() as uow:
        notes = [e for e in await uow.repo.events(incident) if e.kind == "note"]
        steps = [e for e in await uow.repo.events(incident) if e.kind == "step" and e.to_state == "claimed"]
    assert len(notes) == 1 and len(steps) == 1


async def test_a_reply_to_an_unrecorded_copy_of_a_card_counts_and_the_copy_is_kept_in_sync(
        services: Services) -> None:
    incident = await fire(services)
    assert await lifecycle.reply(services, BUDI, DAMKAR_CHAT, 77, "OTW", NOW) is None  # no card known
    result = await lifecycle.reply(services, BUDI, DAMKAR_CHAT, 77, "OTW", NOW, message_id=78, card_of=incident)
    assert result is not None and result.kind == "reply_claimed"
    async with services.db.uow() as uow:
        assert await uow.repo.posted_message(DAMKAR_CHAT, 77) is not None
        edits = await uow.repo.deliveries_for(incident, "edit")
    assert 77 in {e.message_id for e in edits}


async def test_a_card_is_not_adopted_in_a_group_it_was_never_sent_to(services: Services) -> None:
    incident = await fire(services)
    async with services.db.uow() as uow:
        group = await uow.repo.group_by_key("jenazah")
        assert group is not None and await uow.repo.target(incident, "jenazah") is None
    hearse_chat = group.chat_id
    assert await lifecycle.reply(services, BUDI, hearse_chat, 77, "OTW", NOW, message_id=78, card_of=incident) is None


async def test_a_replayed_form_answer_is_not_taken_as_the_answer_to_the_next_question(services: Services) -> None:
    await setup_center(services)
    view = await intake.form_start(services, RINA, RINA.id, True, NOW)
    assert isinstance(view, intake.FormView)
    for op, value in (("kat", "medis"), ("jen", "-"), ("kec", "1"), ("kel", "-")):
        await intake.form_press(services, RINA, FormPress(view.draft_id, op, value), NOW)
    first = await intake.form_text(services, RINA, RINA.id, "Jl. Pattimura", NOW, message_id=20)
    again = await intake.form_text(services, RINA, RINA.id, "Jl. Pattimura", NOW, message_id=20)
    assert isinstance(first, intake.FormView) and isinstance(again, intake.FormView)
    assert again.prompt == first.prompt and again.fields == first.fields
    async with services.db.uow() as uow:
        draft = await uow.repo.draft(view.draft_id)
    assert draft is not None and "deskripsi" not in draft.fields and draft.fields.get("alamat") == "Jl. Pattimura"


async def test_a_card_telegram_accepted_just_before_a_crash_is_recorded_at_restart_not_sent_again(
        services: Services) -> None:
    from bot.services import outbox

    incident = await fire(services)
    route = outbox.Route("damkar", None)
    job = await outbox.claim(services, route, "i1", NOW)
    assert job is not None and job.kind == "card"
    await outbox.note_sent(services, job, 321)  # accepted; the process dies before the full record
    await outbox.release_leases(services, "i1", NOW + timedelta(seconds=5))
    after = await outbox.claim(services, route, "i1", NOW + timedelta(seconds=6))
    assert after is not None and after.kind == "edit" and after.message_id == 321  # brought up to date, not resent
    async with services.db.uow() as uow:
        assert (await uow.repo.posted_message(DAMKAR_CHAT, 321)) is not None
        card = next(d for d in await uow.repo.deliveries_for(incident, "card") if d.agency_key == "damkar")
    assert card.status == "sent" and card.message_id == 321


async def test_a_card_whose_send_never_got_an_answer_is_sent_again_after_a_crash(services: Services) -> None:
    from bot.services import outbox

    await fire(services)
    route = outbox.Route("damkar", None)
    assert await outbox.claim(services, route, "i1", NOW) is not None  # the process dies while sending
    await outbox.release_leases(services, "i1", NOW + timedelta(seconds=5))
    again = await outbox.claim(services, route, "i1", NOW + timedelta(seconds=6))
    assert again is not None and again.kind == "card"
