"""Revealing a caller's number: only to someone acting for an assigned agency, and always on record."""

from __future__ import annotations

from pathlib import Path

from bot.domain.lifecycle import Verdict
from bot.services import desk, intake, people, reveal
from bot.services.context import Actor, Services
from tests.center import BUDI, DAMKAR_CHAT, FIRE, NOW, RINA, fire, requiring_registration

MONITORING_CHAT = -1000 - 2
SAR_CHAT = -1000 - 4  # SAR is not sent to a fire


async def reveals(services: Services, incident: int) -> list[tuple[str | None, str | None, int | None]]:
    async with services.db.uow() as uow:
        return [(e.actor_name, e.agency_key, e.chat_id) for e in await uow.repo.events(incident)
                if e.kind == "phone_revealed"]


async def test_an_assigned_responder_gets_the_whole_number_and_the_reveal_is_recorded(services: Services) -> None:
    incident = await fire(services)
    result = await reveal.reveal_phone(services, BUDI, DAMKAR_CHAT, incident, NOW)
    assert result.verdict == Verdict.OK and result.phone == "+6281234567890" and result.agency_key == "damkar"
    assert await reveals(services, incident) == [("Budi", "damkar", DAMKAR_CHAT)]


async def test_readers_and_unassigned_groups_are_refused_and_nothing_is_recorded(services: Services) -> None:
    incident = await fire(services)
    leader = await reveal.reveal_phone(services, Actor(3001, "Pak Kadis"), MONITORING_CHAT, incident, NOW)
    stray = await reveal.reveal_phone(services, Actor(9999, "Orang Asing"), SAR_CHAT, incident, NOW)
    unbound = await reveal.reveal_phone(services, Actor(9999, "Orang Asing"), -555, incident, NOW)
    missing = await reveal.reveal_phone(services, BUDI, DAMKAR_CHAT, 424242, NOW)
    assert (leader.verdict, stray.verdict, unbound.verdict) == (Verdict.READ_ONLY, Verdict.NOT_TARGET,
                                                                Verdict.READ_ONLY)
    assert missing.verdict == reveal.UNKNOWN
    assert {leader.phone, stray.phone, unbound.phone} == {None}
    assert await reveals(services, incident) == []


async def test_an_agency_that_requires_registration_reveals_only_to_its_registered_staff(
        services: Services, tmp_path: Path) -> None:
    strict = requiring_registration(services, tmp_path)
    incident = await fire(strict)
    refused = await reveal.reveal_phone(strict, BUDI, DAMKAR_CHAT, incident, NOW)
    assert refused.verdict == Verdict.UNREGISTERED and refused.phone is None
    await people.add_user(strict, BUDI.id, BUDI.name, "responder", "damkar", NOW)
    assert (await reveal.reveal_phone(strict, BUDI, DAMKAR_CHAT, incident, NOW)).phone == "+6281234567890"


async def test_no_number_is_revealed_once_the_report_is_closed_or_when_there_is_none(services: Services) -> None:
    incident = await fire(services)
    closed = await desk.close(services, RINA, RINA.id, True, "1", "palsu", "", NOW)
    assert closed.key == "desk_closed"
    assert (await reveal.reveal_phone(services, BUDI, DAMKAR_CHAT, incident, NOW)).verdict == Verdict.CLOSED
    no_phone = FIRE.replace("telepon: 0812 3456 7890\n", "").replace("Jl. Sudirman", "Jl. Pattimura")
    outcome = await intake.lapor(services, RINA, RINA.id, True, 11, no_phone, NOW)
    assert isinstance(outcome, intake.Accepted)
    phoneless = await reveal.reveal_phone(services, BUDI, DAMKAR_CHAT, outcome.incident_id, NOW)
    assert phoneless.verdict == reveal.NO_PHONE and phoneless.phone is None
    assert await reveals(services, incident) == [] and await reveals(services, outcome.incident_id) == []


