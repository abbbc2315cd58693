"""The map's use cases: who may open it and as whom (from the database, never from the page), the open reports
they may see, and the day's and month's recap chart."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..domain.map_view import Viewer, places_json, reports_json
from ..domain.model import Role
from ..domain.periods import parse_period
from ..domain.privacy import Audience, audience_of
from .context import Services, role_of
from .stats import chart_png, recap_of

ROLE_AUDIENCE = {Role.ADMIN: Audience.DESK, Role.SUPERVISOR: Audience.DESK, Role.CALL_TAKER: Audience.DESK,
                 Role.LEADER: Audience.OVERSIGHT, Role.RESPONDER: Audience.RESPONDER}
CHART_PERIODS = ("hari", "bulan")


async def registered_viewer(services: Services, user_id: int) -> Viewer | None:
    """Call center staff, leaders, admins and registered agency staff, by their role."""
    async with services.db.uow() as uow:
        role = await role_of(uow.repo, services, user_id)
        person = await uow.repo.person(user_id)
    if role is None:
        return None
    agency = person.agency_key if person is not None else None
    return Viewer(user_id, ROLE_AUDIENCE[role], agency if role == Role.RESPONDER else None)


async def bound_groups(services: Services) -> list[tuple[int, str]]:
    """(chat id, agency key) of every bound group: a member of one may open the map as that group sees cards."""
    async with services.db.uow() as uow:
        return [(g.chat_id, g.agency_key) for g in await uow.repo.groups()]


def group_viewer(services: Services, user_id: int, member_of: list[str]) -> Viewer | None:
    """The widest view among the groups this person is in: the call center's, then oversight's, then an agency's."""
    audiences = [(audience_of(services.rules.agency_kind(key)), key) for key in member_of]
    for wanted in (Audience.DESK, Audience.OVERSIGHT, Audience.RESPONDER):
        for audience, key in audiences:
            if audience == wanted:
                return Viewer(user_id, audience, key if audience == Audience.RESPONDER else None)
    return None


async def open_reports(services: Services, viewer: Viewer, now: datetime) -> dict[str, Any]:
    async with services.db.uow() as uow:
        incidents = await uow.repo.open_for_map(services.rules.priority_ranks())
    return reports_json(viewer, incidents, services.rules, now, services.tz)


def places(services: Services) -> dict[str, Any]:
    return places_json(services.rules, services.tr)


async def recap_chart(services: Services, which: str, now: datetime) -> bytes:
    """The recap chart of today or this month (WIT), as /rekap draws it."""
    if which not in CHART_PERIODS:
        raise ValueError(which)
    summary = await recap_of(services, parse_period(which, now, services.tz, services.tr))
    return await chart_png(services, summary)
