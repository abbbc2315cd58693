"""BMKG's weather warnings (CAP 1.2): a warning in force whose area names a place of the city is posted once, as
an information notice (no incident), to the groups the rules name. A failing feed is recorded, never raised."""

from __future__ import annotations

import hashlib
import logging
from datetime import datetime

from ..domain.bmkg import FeedProblem
from ..domain.cap_feed import CapWarning, concerns, parse_document
from ..feeds import FetchFailed
from ..i18n import Html
from . import deliveries
from .bmkg import Fetch, PollResult, record
from .context import Services

log = logging.getLogger(__name__)
FEED = "bmkg:cap"


async def poll(services: Services, fetch: Fetch, url: str, now: datetime) -> PollResult:
    """The list of warnings (or one CAP alert) at `url`; every alert not seen before is read once."""
    result = PollResult()
    try:
        await _poll(services, fetch, url, now, result)
    except Exception as exc:  # a database hiccup: recorded (when the database lets us), the job runs again
        log.exception("BMKG warnings failed")
        try:
            await record(services, FEED, now, type(exc).__name__, result, good=False)
        except Exception:
            log.exception("BMKG warnings: the failure could not be recorded")
            result.errors.append(f"{FEED}: {type(exc).__name__}")
    return result


async def _poll(services: Services, fetch: Fetch, url: str, now: datetime, result: PollResult) -> None:
    async with services.db.uow() as uow:
        state = await uow.repo.feed_state(FEED, now)
        etag, modified = state.etag, state.last_modified
        await uow.commit()
    answer = await fetch(url, etag, modified)
    if isinstance(answer, FetchFailed):
        return await record(services, FEED, now, answer.detail, result, good=False)
    if answer.not_modified:
        return await record(services, FEED, now, None, result)
    assert services.bmkg is not None
    rules = services.bmkg.warnings
    document = parse_document(answer.body, rules.places + rules.list_places)
    if isinstance(document, FeedProblem):
        return await record(services, FEED, now, f"{document.code}: {document.detail}", result, good=False)
    problems: list[str] = []
    if isinstance(document, CapWarning):
        await _consider(services, document, now, result)
    else:
        for link in document:
            if problem := await _follow(services, fetch, link, now, result):
                problems.append(problem)
    # A link that failed is not marked seen: the list is asked again (no validators kept) and it is tried again.
    validators = (answer.etag, answer.last_modified) if not problems else (None, None)
    await record(services, FEED, now, "; ".join(problems)[:300] or None, result, validators=validators)


async def _follow(services: Services, fetch: Fetch, link: str, now: datetime, result: PollResult) -> str | None:
    key = "url:" + hashlib.sha256(link.encode()).hexdigest()
    async with services.db.uow() as uow:
        if await uow.repo.cap_seen(key):
            return None
    answer = await fetch(link, None, None)
    if isinstance(answer, FetchFailed):
        return f"{link[-60:]}: {answer.detail}"
    document = parse_document(answer.body)
    if not isinstance(document, CapWarning):
        return f"{link[-60:]}: {document.code if isinstance(document, FeedProblem) else 'not a CAP alert'}"
    await _consider(services, document, now, result)
    async with services.db.uow() as uow:
        await uow.repo.claim_cap_alert(key, now)
        await uow.commit()
    return None


async def _consider(services: Services, warning: CapWarning, now: datetime, result: PollResult) -> None:
    """Post it once, when it concerns the city and is in force."""
    assert services.bmkg is not None
    rules = services.bmkg.warnings
    if not concerns(warning, rules.places, now):
        return
    async with services.db.uow() as uow:
        if not await uow.repo.claim_cap_alert(warning.identifier, now):
            return
        text = notice_text(services, warning)
        for key in rules.groups:
            deliveries.notice_to_agency(uow.repo, key, text, now)
        uow.repo.event(now, "bmkg_warning", actor_name=str(services.tr("bmkg_source")),
                       detail={"identifier": warning.identifier, "groups": rules.groups})
        await uow.commit()
    result.created.append(warning.identifier)


def notice_text(services: Services, warning: CapWarning) -> Html:
    tr, tz = services.tr, services.tz
    expires = warning.expires.astimezone(tz).strftime("%d-%m-%Y %H.%M") if warning.expires else tr("none")
    return tr("bmkg_warning_notice", event=warning.event or warning.headline, headline=warning.headline,
              areas="; ".join(warning.areas)[:600], expires=expires, description=warning.description,
              identifier=warning.identifier)
