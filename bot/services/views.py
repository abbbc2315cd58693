"""Read models the use cases share: what an incident's agencies have done so far."""

from __future__ import annotations

from collections.abc import Sequence

from ..db.uow import UnitOfWork
from ..domain.lifecycle import TargetStatus, TargetView
from ..domain.model import AgencyGroup
from ..domain.render import DeskUpdate
from ..domain.rule_schemas import AgencyKind
from .context import Services


async def target_views(uow: UnitOfWork, services: Services, incident_id: int) -> list[TargetView]:
    """The responding agencies' progress (readers have no steps)."""
    rules = services.rules
    return [TargetView(t.agency_key, rules.agency_name(t.agency_key), TargetStatus(t.status), t.status_at,
                       t.status_by_name, t.note, bool(t.status_by_desk))
            for t in await uow.repo.targets(incident_id) if rules.agency_kind(t.agency_key) == AgencyKind.RESPONDER]


def new_target_views(services: Services, agency_keys: Sequence[str]) -> list[TargetView]:
    """target_views() of a report just made with these agencies (in this order): every one waiting."""
    rules = services.rules
    return [TargetView(key, rules.agency_name(key), TargetStatus.PENDING, None, None)
            for key in agency_keys if rules.agency_kind(key) == AgencyKind.RESPONDER]


async def latest_update(uow: UnitOfWork, incident_id: int) -> DeskUpdate | None:
    """The call center's latest `/kabari` on an incident, as every card shows it."""
    event = await uow.repo.latest_event(incident_id, "update")
    if event is None:
        return None
    return DeskUpdate(str((event.detail or {}).get("note", "")), event.at, event.actor_name or "")


async def bound_groups(uow: UnitOfWork) -> dict[str, AgencyGroup]:
    """Every agency's binding by its key, read once per unit of work (a handful of rows): a new report's filing
    and the rendering of its cards share the read."""
    if "groups" not in uow.cache:
        uow.cache["groups"] = {g.agency_key: g for g in await uow.repo.groups()}
    return uow.cache["groups"]  # type: ignore[return-value]
