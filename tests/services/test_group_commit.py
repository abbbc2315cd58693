"""The outbox's group commit on a real database: a report's cards claimed together in one transaction are each
leased once (one card per group), recorded together they are all sent and the call taker is told once, and an
item that fails in a batch costs the others nothing."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.db.uow import UnitOfWork
from bot.services import outbox
from bot.services.context import Services
from bot.services.dispatch import Outgoing, Route, SendOutcome, SendResult
from tests.center import NOW, fire


async def test_a_reports_cards_claimed_and_recorded_together_go_once_each_and_are_reported_once(
        services: Services) -> None:
    incident = await fire(services)
    async with services.db.uow() as uow:
        cards = await uow.repo.deliveries_for(incident, "card")
    routes = [Route(c.agency_key, None) for c in cards]
    assert len(routes) >= 2
    claims: outbox.GroupCommit[outbox.Claim, Outgoing | None] = outbox.GroupCommit(
        services, lambda uow, items: outbox.claim_all(uow, services, items))
    jobs = await asyncio.gather(*(claims.run((route, "i1", NOW, 1)) for route in routes))
    assert all(j is not None and j.kind == "card" for j in jobs)
    assert len({j.delivery_id for j in jobs if j is not None}) == len(routes)
    again = await asyncio.gather(*(claims.run((route, "i2", NOW, 1)) for route in routes))
    assert again == [None] * len(routes)  # leased: another instance gets nothing

    records: outbox.GroupCommit[outbox.Sent, None] = outbox.GroupCommit(
        services, lambda uow, items: outbox.record_in(uow, services, items), urgent=True)
    later = NOW + timedelta(seconds=1)
    await asyncio.gather(*(records.run((j, SendResult(SendOutcome.SENT, message_id=100 + n), later))
                           for n, j in enumerate(jobs) if j is not None))
    async with services.db.uow() as uow:
        sent = await uow.repo.deliveries_for(incident, "card")
        reports = await uow.repo.deliveries_for(incident, "notice")
        posted = await uow.repo.posted_messages(incident)
    assert {d.status for d in sent} == {"sent"}
    assert len(posted) == len(routes)
    assert len(reports) == 1  # the call taker is told once that every group has it


async def test_an_item_that_fails_in_a_batch_costs_the_others_nothing(services: Services) -> None:
    incident = await fire(services)

    async def work(uow: UnitOfWork, items: list[str]) -> list[str]:
        for item in items:
            if item == "bad":
                raise RuntimeError("this one fails")
            uow.repo.event(NOW, "test_item", incident_id=incident, detail={"item": item})
        return items

    batch: outbox.GroupCommit[str, str] = outbox.GroupCommit(services, work)
    results = await asyncio.gather(*(batch.run(i) for i in ("a", "bad", "b")), return_exceptions=True)
    assert results[0] == "a" and results[2] == "b" and isinstance(results[1], RuntimeError)
    async with services.db.uow() as uow:
        events = await uow.repo.events(incident)
    assert sorted((e.detail or {})["item"] for e in events if e.kind == "test_item") == ["a", "b"]
