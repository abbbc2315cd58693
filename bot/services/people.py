"""People and groups: registration from the CLI, /whoami, and binding a group to an agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..domain.model import AgencyGroup, GroupStatus, Person, Role
from . import deliveries
from .context import Actor, Services, role_of


class AdminError(Exception):
    """A CLI admin command that cannot be done; the message says why."""


@dataclass(frozen=True)
class WhoAmI:
    role: Role | None
    agency_key: str | None
    group_key: str | None


@dataclass(frozen=True)
class Known:
    """Who the bot knows, for sorting updates before any database work: registered people (and ADMIN_IDS),
    and the chats bound to an agency."""

    people: frozenset[int]
    groups: frozenset[int]


async def known(services: Services) -> Known:
    async with services.db.uow() as uow:
        people_ = await uow.repo.people()
        groups = await uow.repo.groups()
    return Known(frozenset(p.telegram_id for p in people_) | services.admin_ids,
                 frozenset(g.chat_id for g in groups))


async def who_am_i(services: Services, user_id: int, chat_id: int, thread_id: int | None = None) -> WhoAmI:
    async with services.db.uow() as uow:
        person = await uow.repo.person(user_id)
        group = await uow.repo.group_by_chat(chat_id, thread_id)
        return WhoAmI(await role_of(uow.repo, services, user_id), person.agency_key if person else None,
                      group.agency_key if group else None)


async def add_user(services: Services, telegram_id: int, name: str, role: str, agency: str | None,
                   now: datetime) -> Person:
    if role not in {r.value for r in Role}:
        raise AdminError(f"peran '{role}' tidak dikenal (pilihan: {', '.join(r.value for r in Role)})")
    if agency is not None and agency not in services.rules.agencies:
        raise AdminError(f"instansi '{agency}' tidak ada di aturan (pilihan: {', '.join(services.rules.agencies)})")
    if role == Role.RESPONDER and agency is None:
        raise AdminError("petugas instansi (responder) perlu --agency <kunci>")
    async with services.db.uow() as uow:
        person = await uow.repo.save_person(telegram_id, name, role, agency, now)
        uow.repo.event(now, "person_saved", actor_id=None, detail={"telegram_id": telegram_id, "role": role,
                                                                   "agency": agency})
        await uow.commit()
        return person


async def list_users(services: Services) -> list[Person]:
    async with services.db.uow() as uow:
        return await uow.repo.people()


async def remove_user(services: Services, telegram_id: int, now: datetime) -> bool:
    async with services.db.uow() as uow:
        removed = await uow.repo.remove_person(telegram_id)
        if removed:
            uow.repo.event(now, "person_removed", detail={"telegram_id": telegram_id})
        await uow.commit()
        return removed


async def list_groups(services: Services) -> list[AgencyGroup]:
    async with services.db.uow() as uow:
        return await uow.repo.groups()


@dataclass(frozen=True)
class Binding:
    key: str
    previous_chat_of_key: int | None  # the key was bound to another group, which lost it
    previous_key_of_chat: str | None  # this group was bound to another key, which was released


class NotAdmin(Exception):
    pass


class UnknownAgency(Exception):
    pass


async def bind_group(services: Services, actor: Actor | None, chat_id: int, title: str | None, key: str,
                     now: datetime, thread_id: int | None = None) -> Binding:
    """Bind a chat, or a topic of a forum supergroup (`thread_id`), to an agency key: one place per key and one
    key per place; re-binding moves it. Several agencies may share a supergroup, each in its own topic.
    `actor` None means the CLI (an operator on the server)."""
    if key not in services.rules.agencies:
        raise UnknownAgency(key)
    async with services.db.uow() as uow:
        if actor is not None and await role_of(uow.repo, services, actor.id) != Role.ADMIN:
            raise NotAdmin()
        by_key = await uow.repo.group_by_key(key)
        by_place = await uow.repo.group_at(chat_id, thread_id)
        if by_key is not None and by_key.chat_id == chat_id and by_key.thread_id == thread_id:
            await uow.repo.retitle_group(key, title, now)
            await uow.commit()
            return Binding(key, None, None)
        previous_chat = by_key.chat_id if by_key else None
        previous_key = by_place.agency_key if by_place else None
        for old in (by_key, by_place):
            if old is not None:
                await uow.repo.remove_group(old.agency_key)
        await uow.repo.add_group(key, chat_id, title, now, thread_id)
        await uow.repo.hurry_agency(key, now)  # posts held for its old place go to the new one at once
        uow.repo.event(now, "group_bound", actor_id=actor.id if actor else None,
                       actor_name=actor.name if actor else "cli", chat_id=chat_id, agency_key=key,
                       detail={"previous_chat": previous_chat, "previous_key": previous_key, "thread_id": thread_id})
        await uow.repo.flush()
        await deliveries.refresh_boards(uow.repo, now)  # a group with a board gets it now
        await uow.commit()
        return Binding(key, previous_chat, previous_key)


async def bot_membership(services: Services, actor: Actor | None, chat_id: int, title: str | None, present: bool,
                         now: datetime) -> str | None:
    """The bot was added to or removed from a group. Added to a group no agency uses: tell the admins how to
    bind it (and otherwise ignore the group). Removed from an agency's group: it is unreachable now."""
    from . import deliveries

    async with services.db.uow() as uow:
        bound = await uow.repo.groups_in_chat(chat_id)  # a shared supergroup: every agency in it
        group = bound[0] if bound else None
        if present and group is None:
            key = "bot_added_unknown"
        elif not present and group is not None:
            key = "bot_removed"
            for each in bound:
                await uow.repo.set_group_status(each.agency_key, GroupStatus.UNREACHABLE, "kicked", now)
        else:
            return None
        text = services.tr(key, title=title or "-", chat_id=chat_id, by=actor.name if actor else "-",
                           agency=", ".join(services.rules.agency_name(g.agency_key) for g in bound),
                           keys=", ".join(services.rules.agencies))
        admins = {p.telegram_id for p in await uow.repo.people_with_role({Role.ADMIN.value})} | set(services.admin_ids)
        for admin in sorted(admins):
            deliveries.notice(uow.repo, admin, text, now)
        uow.repo.event(now, key, actor_id=actor.id if actor else None, actor_name=actor.name if actor else None,
                       chat_id=chat_id, agency_key=group.agency_key if group else None)
        await uow.commit()
        return key


async def group_migrated(services: Services, old_chat: int, new_chat: int, now: datetime) -> str | None:
    """A bound group became a supergroup (Telegram's service message says so): re-key it and what waits for it
    at once, instead of at the next send. Returns the agency key, or None when no bound group moved (already
    re-keyed, or a group no agency uses)."""
    async with services.db.uow() as uow:
        group = await uow.repo.group_by_chat(old_chat)
        if group is None or await uow.repo.group_by_chat(new_chat) is not None:
            return None
        await uow.repo.rekey_group(group.agency_key, new_chat, now)
        for delivery in await uow.repo.pending_for_chat(old_chat):
            delivery.chat_id = new_chat
        uow.repo.event(now, "group_migrated", chat_id=new_chat, agency_key=group.agency_key,
                       detail={"from": old_chat, "to": new_chat})
        await uow.commit()
        return group.agency_key
