"""Lifecycle use cases on a real database: permissions from the database, replies, coalesced edits."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

from bot.db.models import PostedMessage
from bot.domain.lifecycle import Action, Verdict
from bot.rules_loader import load_rules
from bot.services import intake, lifecycle, people
from bot.services.context import Actor, Services
from tests.conftest import RULES_DIR, WIT

from .test_intake_services import FIRE, NOW, RINA, setup_center

BUDI = Actor(2001, "Budi")
DAMKAR_CHAT = -1000 - 5  # the 6th agency in agencies.yaml, bound by setup_center


async def fire(services: Services) -> int:
    await setup_center(services)
    outcome = await intake.lapor(services, RINA, RINA.id, True, 10, FIRE, NOW)
    assert isinstance(outcome, intake.Accepted)
    return outcome.incident_id


async def test_group_membership_is_the_credential_by_default(services: Services) -> None:
    incident = await fire(services)
    assert (await lifecycle.press(services, BUDI, DAMKAR_CHAT, incident, Action.CLAIM, NOW)).verdict == Verdict.OK
    again = await lifecycle.press(services, BUDI, DAMKAR_CHAT, incident, Action.CLAIM, NOW)
    assert again.verdict == Verdict.ALREADY


async def test_an_agency_can_require_registered_responders(services: Services, database_url: str,
                                                           tmp_path: Path) -> None:
    strict = requiring_registration(services, tmp_path)
    incident = await fire(strict)
    refused = await lifecycle.press(strict, BUDI, DAMKAR_CHAT, incident, Action.ACK, NOW)
    assert refused.verdict == Verdict.UNREGISTERED
    await people.add_user(strict, BUDI.id, BUDI.name, "responder", "damkar", NOW)
    assert (await lifecycle.press(strict, BUDI, DAMKAR_CHAT, incident, Action.ACK, NOW)).verdict == Verdict.OK


async def test_leadership_and_monitoring_read_and_comment_but_never_claim(services: Services) -> None:
    incident = await fire(services)
    monitoring_chat = -1000 - 2
    result = await lifecycle.press(services, Actor(3001, "Pak Kadis"), monitoring_chat, incident, Action.CLAIM, NOW)
    assert result.verdict == Verdict.READ_ONLY


async def test_many_changes_before_a_send_make_one_edit_per_copy(services: Services) -> None:
    """Edits render the state when they are sent, so one waiting edit per copy shows every change."""
    incident = await fire(services)
    async with services.db.uow() as uow:
        for d in await uow.repo.deliveries_for(incident, "card"):
            d.status = "sent"
            uow.repo.add(PostedMessage(incident_id=incident, agency_key=d.agency_key or "", chat_id=-1,
                                       message_id=d.id, created_at=NOW))
        await uow.commit()
    for step, action in enumerate((Action.ACK, Action.CLAIM, Action.ARRIVE)):
        await lifecycle.press(services, BUDI, DAMKAR_CHAT, incident, action, NOW + timedelta(seconds=step))
    async with services.db.uow() as uow:
        edits = await uow.repo.deliveries_for(incident, "edit")
    assert len(edits) == 8 and len({e.message_id for e in edits}) == 8


async def test_simultaneous_claims_from_two_people_leave_exactly_one_step(services: Services) -> None:
    incident = await fire(services)
    results = await asyncio.gather(*[
        lifecycle.press(services, Actor(2001 + i, f"Petugas {i}"), DAMKAR_CHAT, incident, Action.CLAIM, NOW)
        for i in range(5)])
    assert sorted(r.verdict for r in results) == [Verdict.ALREADY] * 4 + [Verdict.OK]
    async with services.db.uow() as uow:
        steps = [e for e in await uow.repo.events(incident) if e.kind == "step"]
    assert len(steps) == 1 and steps[0].to_state == "claimed"


async def test_strangers_get_no_answer_from_the_desk_even_with_bad_values(services: Services) -> None:
    from bot.services import desk

    await fire(services)
    stranger = Actor(9999, "Orang Asing")
    assert (await desk.close(services, stranger, stranger.id, True, "1", "xyz", "", NOW)).key == "ignore"
    assert (await desk.set_priority(services, stranger, stranger.id, True, "1", "xyz", NOW)).key == "ignore"
    assert (await desk.add_agency(services, stranger, stranger.id, True, "1", "xyz", NOW)).key == "ignore"
    assert (await desk.close(services, RINA, RINA.id, True, "1", "xyz", "", NOW)).key == "desk_bad_outcome"


def requiring_registration(services: Services, tmp_path: Path) -> Services:
    """The same services, with rules in which Damkar lets only its registered responders act."""
    rules_dir = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_dir)
    agencies = (rules_dir / "agencies.yaml").read_text()
    (rules_dir / "agencies.yaml").write_text(agencies.replace(
        "damkar: {name: Damkar, name_en: Fire brigade, kind: responder}",
        "damkar: {name: Damkar, name_en: Fire brigade, kind: responder, require_registration: true}"))
    return Services(services.db, load_rules(rules_dir), WIT, services.tr, services.admin_ids)
