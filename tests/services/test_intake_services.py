"""Use cases on a real database (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot.db import models as db
from bot.services import intake, outbox, people
from bot.services.context import Actor, Services
from tests.center import ADMIN, FIRE, NOW, RINA, setup_center


async def count(services: Services, model: type) -> int:
    async with services.db.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_report_is_stored_with_one_delivery_per_target_group(services: Services) -> None:
    await setup_center(services)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(outcome, intake.Accepted) and outcome.number == "112-2026-00001"
    async with services.db.uow() as uow:
        cards = await uow.repo.deliveries_for(outcome.incident_id, "card")
    assert sorted(d.agency_key for d in cards) == sorted(outcome.targets)
    assert all(d.status == "pending" for d in cards)


async def test_the_same_message_twice_is_one_incident(services: Services) -> None:
    await setup_center(services)
    first = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    again = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(first, intake.Accepted) and again == intake.Duplicate(first.number)
    assert await count(services, db.Incident) == 1


async def test_concurrent_submissions_get_unique_gapless_numbers(services: Services) -> None:
    await setup_center(services)
    await people.add_user(services, 1002, "Sari", "supervisor", None, NOW)
    actors = [RINA, Actor(1002, "Sari"), Actor(1, "Andi")]
    outcomes = await asyncio.gather(*[
        intake.lapor(services, actors[i % 3], actors[i % 3].id, True, 100 + i, FIRE, NOW + timedelta(seconds=i * 7))
        for i in range(24)])
    numbers = sorted(o.number for o in outcomes if isinstance(o, intake.Accepted))
    assert numbers == [f"112-2026-{n:05d}" for n in range(1, 25)]


async def test_numbers_restart_each_wit_year(services: Services) -> None:
    await setup_center(services)
    # 31 Dec 2026 15:30 UTC is already 1 Jan 2027 00:30 WIT.
    late = await intake.lapor(services, RINA, RINA.id, True, 1, FIRE, datetime(2026, 12, 31, 14, 30, tzinfo=UTC))
    new_year = await intake.lapor(services, RINA, RINA.id, True, 2, FIRE, datetime(2026, 12, 31, 15, 30, tzinfo=UTC))
    assert isinstance(late, intake.Accepted) and late.number.startswith("112-2026-")
    assert isinstance(new_year, intake.Accepted) and new_year.number == "112-2027-00001"


async def test_a_draft_with_mistakes_is_kept_and_completed_by_a_correction(services: Services) -> None:
    await setup_center(services)
    first = await intake.lapor(services, RINA, RINA.id, True, 10, "kategori: medis\nalamat: Jl. A\nketerangan: x", NOW)
    assert isinstance(first, intake.NeedsFix) and [p.field for p in first.problems] == ["kecamatan"]
    done = await intake.correct(services, RINA, RINA.id, True, "kecamatan: Nusaniwe", NOW)
    assert isinstance(done, intake.Accepted)
    assert await intake.correct(services, RINA, RINA.id, True, "kecamatan: Sirimau", NOW) == intake.Refused(
        "lapor_no_draft")


async def test_two_racing_sends_of_one_form_make_one_incident(services: Services) -> None:
    from bot.domain.callback_data import FormPress

    await setup_center(services)
    view = await intake.form_start(services, RINA, RINA.id, True, NOW)
    assert isinstance(view, intake.FormView)
    d = view.draft_id
    for op, value in (("kat", "medis"), ("jen", "-"), ("kec", "1"), ("kel", "-")):
        await intake.form_press(services, RINA, FormPress(d, op, value), NOW)
    await intake.form_text(services, RINA, RINA.id, "Jl. Pattimura", NOW)
    for step in ("pelapor", "telepon"):
        await intake.form_press(services, RINA, FormPress(d, "skip", step), NOW)
    summary = await intake.form_text(services, RINA, RINA.id, "Pingsan di pasar", NOW)
    assert isinstance(summary, intake.FormView) and summary.prompt.text_key == "form_summary"
    assert summary.problems == []
    results = await asyncio.gather(*[intake.form_press(services, RINA, FormPress(d, "send"), NOW) for _ in range(4)])
    assert sum(isinstance(r, intake.Accepted) for r in results) == 1
    assert await count(services, db.Incident) == 1


async def test_a_flood_of_reports_from_one_account_is_slowed_with_the_draft_kept(services: Services) -> None:
    await setup_center(services)
    results = [await intake.lapor(services, RINA, RINA.id, True, 10 + i, FIRE, NOW) for i in range(12)]
    assert sum(isinstance(r, intake.Accepted) for r in results) == services.lapor_per_minute
    assert isinstance(results[-1], intake.RateLimited)
    async with services.db.uow() as uow:
        assert await uow.repo.open_draft(RINA.id, RINA.id) is not None


async def test_only_one_of_two_senders_leases_a_delivery(services: Services) -> None:
    await setup_center(services)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(outcome, intake.Accepted)
    route = outbox.Route("damkar", None)
    jobs = await asyncio.gather(*[outbox.claim(services, route, f"instance-{i}", NOW) for i in range(2)])
    assert sum(job is not None for job in jobs) == 1


async def test_a_sender_passes_over_a_row_being_changed_and_takes_it_once_committed(services: Services,
                                                                                      database_url: str) -> None:
    """A sender never waits for a row another transaction holds (it would hold its own leases meanwhile: one side
    of a deadlock with a handler changing that report); it takes the row once the change is committed."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time: no row is ever held by another transaction")
    await setup_center(services)
    assert isinstance(await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW), intake.Accepted)
    route = outbox.Route("damkar", None)
    async with services.db.uow() as changing:
        await changing.repo.session.execute(
            update(db.Delivery).where(db.Delivery.agency_key == "damkar").values(attempts=0))
        assert await asyncio.wait_for(outbox.claim(services, route, "i1", NOW), 30) is None
        await changing.commit()
    job = await outbox.claim(services, route, "i1", NOW)
    assert job is not None and job.route == route


async def test_a_group_without_binding_is_reported_and_does_not_block(services: Services) -> None:
    await setup_center(services, {"call_center": 0, "pimpinan": 0, "monitoring": 0, "damkar": 0})
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(outcome, intake.Accepted)
    async with services.db.uow() as uow:
        cards = {d.agency_key: d for d in await uow.repo.deliveries_for(outcome.incident_id, "card")}
    assert cards["pln"].status == "failed" and cards["pln"].last_error == "no_group"
    assert cards["damkar"].status == "pending"


async def test_rebinding_a_key_moves_it_to_the_new_group(services: Services) -> None:
    await people.bind_group(services, ADMIN, -1, "Lama", "sar", NOW)
    binding = await people.bind_group(services, ADMIN, -2, "Baru", "sar", NOW)
    assert binding.previous_chat_of_key == -1
    groups = {g.agency_key: g.chat_id for g in await people.list_groups(services)}
    assert groups == {"sar": -2}


async def test_only_an_admin_binds_groups(services: Services) -> None:
    import pytest

    await people.add_user(services, RINA.id, RINA.name, "call_taker", None, NOW)
    with pytest.raises(people.NotAdmin):
        await people.bind_group(services, RINA, -5, "x", "sar", NOW)


async def test_a_group_failing_for_minutes_is_reported_and_its_recovery_too(services: Services) -> None:
    from bot.services.dispatch import SendOutcome, SendResult

    await setup_center(services)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(outcome, intake.Accepted)
    route = outbox.Route("pln", None)
    for minutes in (0, 1, 2, 4):  # timeouts and 5xx: retried; after 3 minutes people are told
        job = await outbox.claim(services, route, "i1", NOW + timedelta(minutes=minutes, seconds=59))
        assert job is not None
        await outbox.record(services, job, SendResult(SendOutcome.RETRY, detail="NetworkError: Bad Gateway"),
                            NOW + timedelta(minutes=minutes, seconds=59))
    groups = {g.agency_key: g.status for g in await people.list_groups(services)}
    assert groups["pln"] == "unreachable"
    async with services.db.uow() as uow:
        notes = [d.text or "" for d in await uow.repo.pending_for_chat(-1000)]  # the call center group
    assert any("PLN" in n and "tidak dapat dihubungi" in n for n in notes)
    job = await outbox.claim(services, route, "i1", NOW + timedelta(minutes=30))
    assert job is not None
    await outbox.record(services, job, SendResult(SendOutcome.SENT, message_id=7), NOW + timedelta(minutes=30))
    assert {g.agency_key: g.status for g in await people.list_groups(services)}["pln"] == "ok"
    async with services.db.uow() as uow:
        notes = [d.text or "" for d in await uow.repo.pending_for_chat(-1000)]
    assert any("dapat dihubungi lagi" in n for n in notes)


async def test_a_draft_left_alone_past_the_expiry_is_dropped_and_said_so(services: Services) -> None:
    from bot.domain.callback_data import FormPress

    await setup_center(services)
    later = NOW + services.draft_expiry
    await intake.lapor(services, RINA, RINA.id, True, 10, "kategori: medis\nalamat: Jl. A\nketerangan: x", NOW)
    assert await intake.correct(services, RINA, RINA.id, True, "kecamatan: Nusaniwe", later) == intake.Refused(
        "draft_expired")
    assert await intake.correct(services, RINA, RINA.id, True, "kecamatan: Nusaniwe", later) == intake.Refused(
        "lapor_no_draft")
    view = await intake.form_start(services, RINA, RINA.id, True, NOW)
    assert isinstance(view, intake.FormView)
    almost = NOW + services.draft_expiry - timedelta(seconds=1)
    assert isinstance(await intake.form_press(services, RINA, FormPress(view.draft_id, "kat", "medis"), almost),
                      intake.FormView)  # each step restarts the clock
    pressed = await intake.form_press(services, RINA, FormPress(view.draft_id, "jen", "-"), almost + timedelta(hours=2))
    assert pressed == intake.Refused("draft_expired")
    assert await intake.form_press(services, RINA, FormPress(view.draft_id, "jen", "-"), later) == intake.Refused(
        "draft_expired")
    assert await count(services, db.Incident) == 0


async def test_a_call_taker_removed_midway_cannot_finish_a_form_or_a_kept_draft(services: Services) -> None:
    from bot.domain.callback_data import FormPress

    await setup_center(services)
    view = await intake.form_start(services, RINA, RINA.id, True, NOW)
    assert isinstance(view, intake.FormView)
    for op, value in (("kat", "medis"), ("jen", "-"), ("kec", "1"), ("kel", "-")):
        await intake.form_press(services, RINA, FormPress(view.draft_id, op, value), NOW)
    await people.remove_user(services, RINA.id, NOW)
    assert await intake.form_text(services, RINA, RINA.id, "Jl. Pattimura", NOW) == intake.Refused(
        "draft_not_allowed")
    assert await intake.form_press(services, RINA, FormPress(view.draft_id, "send"), NOW) == intake.Refused(
        "form_expired")
    await people.add_user(services, RINA.id, RINA.name, "call_taker", None, NOW)
    await intake.lapor(services, RINA, RINA.id, True, 11, "kategori: medis\nalamat: Jl. A\nketerangan: x", NOW)
    await people.remove_user(services, RINA.id, NOW)
    assert await intake.correct(services, RINA, RINA.id, True, "kecamatan: Nusaniwe", NOW) == intake.Refused("ignore")
    assert await count(services, db.Incident) == 0


async def test_a_migrated_group_is_rekeyed_once_with_what_waits_for_it(services: Services) -> None:
    from bot.services import deliveries

    await setup_center(services, ["call_center", "damkar"])
    async with services.db.uow() as uow:
        damkar = await uow.repo.group_by_key("damkar")
        assert damkar is not None
        old = damkar.chat_id
        deliveries.notice(uow.repo, old, "menunggu", NOW)
        await uow.commit()
    assert await people.group_migrated(services, old, -100555, NOW) == "damkar"
    assert await people.group_migrated(services, old, -100555, NOW) is None  # the second service message
    assert await people.group_migrated(services, -100999, -100777, NOW) is None  # a group no agency uses
    async with services.db.uow() as uow:
        moved = await uow.repo.group_by_key("damkar")
        assert moved is not None and moved.chat_id == -100555
        assert [d.text for d in await uow.repo.pending_for_chat(-100555)] == ["menunggu"]
