"""End-to-end fixtures: the fake Bot API with a populated world, and the real `sigap112 run` process."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.clock import utcnow
from bot.db.engine import make_engine, make_session_factory
from bot.db.uow import Database
from bot.domain.ruleset import Rules
from bot.i18n import Catalogue
from bot.rules_loader import load_rules
from bot.sandbox import world
from bot.sandbox.fake_api import FakeTelegram
from bot.sandbox.process import BotProcess
from bot.services import people
from bot.services.context import Services
from tests.conftest import BACKENDS, RULES_DIR, WIT, MigratedTemplates

from .steps import BLOCK, FAST


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    server = FakeTelegram().start()
    for user_id in (world.ADMIN, world.CALL_TAKER, world.SUPERVISOR, world.LEADER, world.DAMKAR_STAFF,
                    world.PLN_STAFF, world.STRANGER):
        server.add_user(user_id, world.NAMES[user_id])
    for key, chat_id in world.GROUPS.items():
        server.add_group(chat_id, f"Grup {key}")
    server.add_group(world.UNBOUND_GROUP, "Grup lain")
    yield server
    server.stop()
    assert server.violations == [], f"the bot sent what Telegram refuses: {server.violations}"
    assert server.flood_429s == [], f"the bot provoked Telegram's flood control: {server.flood_429s}"


@pytest.fixture(params=BACKENDS)
def e2e_database_url(request: pytest.FixtureRequest, tmp_path: Path,
                     migrated_templates: MigratedTemplates) -> Iterator[str]:
    """A database at the latest migration (what `sigap112 db upgrade` makes; copied from a template)."""
    yield from migrated_templates.copy(request.param, tmp_path)


@pytest.fixture
def process(fake: FakeTelegram, e2e_database_url: str, tmp_path: Path,
            request: pytest.FixtureRequest) -> Iterator[BotProcess]:
    """The real program with a migrated database; not started yet."""
    bot = BotProcess(fake, e2e_database_url, tmp_path, admin_ids=[world.ADMIN])
    yield bot
    bot.stop()
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print("---- bot log ----\n" + bot.logs()[-8000:])


@pytest.fixture
def running(process: BotProcess, fake: FakeTelegram, e2e_database_url: str, rules: Rules) -> BotProcess:
    """The bot running, with the call taker registered and every agency group bound by the admin."""
    register(e2e_database_url, rules, [(world.CALL_TAKER, "Rina", "call_taker"),
                                       (world.SUPERVISOR, "Sari", "supervisor")])
    process.start()
    fake.wait_polling()
    bind_all_groups(fake)
    return process


@pytest.fixture
def fast_rules(tmp_path: Path) -> Path:
    """The shipped rules with an escalation ladder in seconds (steps.BLOCK: reminders at 3 s, the call center at
    6 s, the leaders at 9 s)."""
    rules = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules)
    blocks = "".join(BLOCK.format(name=name) for name in ("kritis", "tinggi", "sedang", "rendah"))
    (rules / "escalation.yaml").write_text(FAST.format(blocks=blocks))
    return rules


def register(database_url: str, rules: Rules, staff: list[tuple[int, str, str]]) -> None:
    """What `sigap112 users add` does, through the same service, without starting a process for each person."""
    async def run() -> None:
        engine = make_engine(database_url)
        try:
            services = Services(Database(make_session_factory(engine)), rules, WIT, Catalogue("id"), frozenset(),
                                lapor_per_minute=10)
            for telegram_id, name, role in staff:
                await people.add_user(services, telegram_id, name, role, None, utcnow())
        finally:
            await engine.dispose()

    asyncio.run(run())


def add_staff(process: BotProcess, staff: list[tuple[int, str, str]]) -> None:
    """`sigap112 users add` for each person before the bot starts, through the same service in this process: a
    CLI process costs a second or more to start. The command itself still runs in test_lifecycle, test_privacy and
    test_stats."""
    register(process.env["DATABASE_URL"], load_rules(Path(process.env["RULES_DIR"])), staff)


def bind_all_groups(fake: FakeTelegram) -> None:
    for key, chat_id in world.GROUPS.items():
        fake.send_text(world.ADMIN, chat_id, f"/daftar_grup {key}")
    for chat_id in world.GROUPS.values():
        fake.wait_for_message(chat_id, "sekarang terdaftar")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    rep = yield
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]
    return rep
