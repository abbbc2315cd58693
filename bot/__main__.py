"""`sigap112` command line: run the bot, migrate the database, check rules, manage people and groups."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import yaml

from . import cli_data, files, logsafe
from .clock import utcnow
from .config import Settings, SettingsError, load_settings
from .db import migrate
from .db.engine import make_engine, make_session_factory
from .db.uow import Database
from .domain.rule_schemas import ambiguous_durations
from .i18n import Catalogue
from .rules_loader import RulesError, load_bmkg_rules, load_rules
from .services import people, stats
from .services.context import Services


class CliError(Exception):
    """Stops the command with one clear sentence and exit status 2."""


def main(argv: list[str] | None = None) -> int:
    # Everything this process creates (database, -wal/-shm, backups, exports, charts) is the owner's only:
    # it holds callers' personal data.
    os.umask(files.UMASK)
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
        _configure_logging(settings.log_level, settings.log_level_libraries)
        return int(args.func(settings, args) or 0)
    except (SettingsError, RulesError, CliError, people.AdminError, cli_data.DataCliError) as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# At DEBUG these libraries log what goes over the wire: PTB every request's parameters and every update (cards
# and reports with callers' names and numbers), aiosqlite and SQLAlchemy each statement with its values. They
# follow LOG_LEVEL_LIBRARIES (WARNING unless asked), never LOG_LEVEL.
CHATTY_LIBRARIES = ("telegram", "aiosqlite", "sqlalchemy", "asyncpg", "aiohttp", "apscheduler")


def _configure_logging(level: str, libraries: str = "WARNING") -> None:
    logsafe.configure(level, libraries, CHATTY_LIBRARIES)
    # httpx logs every request URL, and Bot API URLs contain the token: never let them reach the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sigap112", description="Sigap 112 — bot Call Center 112 Kota Ambon")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="jalankan bot (long polling; --webhook untuk webhook)")
    run.add_argument("--webhook", action="store_true", help="terima update lewat webhook (WEBHOOK_* di .env)")
    run.set_defaults(func=_run)
    demo = sub.add_parser("demo", help="coba bot tanpa token: bot asli + emulator Bot API, skenario kebakaran")
    demo.add_argument("--dir", help="folder untuk basis data, log dan grafik (bawaan: folder sementara)")
    demo.add_argument("--pace", type=float, default=None,
                      help="detik jeda setelah setiap tombol, agar kartu yang berubah bisa diikuti (bawaan: 0.6)")
    demo.set_defaults(func=_demo)
    settings = sub.add_parser("settings", help="pengaturan").add_subparsers(dest="settings_command", required=True)
    settings.add_parser("check", help="periksa pengaturan dan BOT_TOKEN").set_defaults(func=_settings_check)

    db = sub.add_parser("db", help="basis data").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrasi ke versi terbaru").set_defaults(func=_db_upgrade)
    db.add_parser("current", help="versi skema saat ini").set_defaults(func=_db_current)
    backup = db.add_parser("backup", help="salinan cadangan basis data SQLite (aman saat bot berjalan)")
    backup.add_argument("--output", help="berkas tujuan (bawaan: var/backup/sigap112-<waktu>.db)")
    backup.set_defaults(func=_db_backup)
    down = db.add_parser("downgrade", help="turunkan skema ke revisi tertentu")
    down.add_argument("revision")
    down.set_defaults(func=_db_downgrade)

    sub.add_parser("health", help="kesehatan: pembaruan terakhir, antrean kirim, grup tak terjangkau, jeda sweep") \
        .set_defaults(func=_health)
    rules = sub.add_parser("rules", help="aturan di RULES_DIR").add_subparsers(dest="rules_command", required=True)
    rules.add_parser("check", help="periksa aturan").set_defaults(func=_rules_check)

    users = sub.add_parser("users", help="petugas").add_subparsers(dest="users_command", required=True)
    add = users.add_parser("add", help="daftarkan atau ubah petugas")
    add.add_argument("--id", type=int, required=True, help="ID Telegram")
    add.add_argument("--name", required=True)
    add.add_argument("--role", required=True, help="admin, supervisor, call_taker, responder, leader")
    add.add_argument("--agency", help="kunci instansi dari rules/agencies.yaml")
    add.set_defaults(func=_users_add)
    users.add_parser("list").set_defaults(func=_users_list)
    remove = users.add_parser("remove")
    remove.add_argument("--id", type=int, required=True)
    remove.set_defaults(func=_users_remove)

    groups = sub.add_parser("groups", help="grup instansi").add_subparsers(dest="groups_command", required=True)
    gadd = groups.add_parser("add", help="ikat grup Telegram ke instansi")
    gadd.add_argument("--chat-id", type=int, required=True)
    gadd.add_argument("--key", required=True)
    gadd.add_argument("--title")
    gadd.add_argument("--topic", type=int, help="topik grup forum (message_thread_id); tanpa ini: seluruh grup")
    gadd.set_defaults(func=_groups_add)
    groups.add_parser("list").set_defaults(func=_groups_list)
    cli_data.add_commands(sub, _with_services)
    return parser


def _services(settings: Settings) -> tuple[Services, Callable[[], Coroutine[Any, Any, None]]]:
    rules = load_rules(settings.rules_dir).in_language(settings.language)
    engine = make_engine(settings.database_url)
    services = Services(Database(make_session_factory(engine)), rules, settings.tz, Catalogue(settings.language),
                        frozenset(settings.admin_ids), settings.lapor_per_minute, settings.draft_expiry,
                        settings.call_phone_retention, load_bmkg_rules(settings.rules_dir, rules),
                        board_repost_every=settings.board_repost_every)
    return services, engine.dispose


def _with_services(settings: Settings, work: Callable[[Services], Coroutine[Any, Any, Any]]) -> Any:
    _require_current_schema(settings)

    async def go() -> Any:
        services, dispose = _services(settings)
        try:
            return await work(services)
        finally:
            await dispose()

    return asyncio.run(go())


def _require_current_schema(settings: Settings) -> None:
    current = asyncio.run(migrate.current_revision(settings.database_url))
    head = migrate.head_revision(settings.database_url)
    if current != head:
        raise CliError(
            f"Skema basis data belum terbaru (sekarang {current or 'kosong'}, seharusnya {head}): jalankan "
            "`sigap112 db upgrade` (atau `make run`, yang melakukannya).")


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from .tg.app import build_application

    settings.token()
    if args.webhook:
        from .tg.webhook import webhook_settings

        webhook_settings(settings)  # a missing setting stops start-up with its name
    load_bmkg_rules(settings.rules_dir, load_rules(settings.rules_dir))
    _require_current_schema(settings)
    asyncio.set_event_loop(asyncio.new_event_loop())
    services, dispose = _services(settings)
    rebuilt = asyncio.get_event_loop().run_until_complete(stats.ensure_rollups(services, utcnow()))
    if rebuilt is not None:  # first start after the migration, or other deadlines / time zone
        logging.getLogger(__name__).info("statistics roll-ups rebuilt from %d incidents and %d calls", *rebuilt)
    app = build_application(settings, services, webhook=args.webhook)
    # What start-up made (modules, the rules, SQLAlchemy's mappers: most of the heap) lives as long as the process:
    # frozen, the collector's full passes no longer walk it. Each walk stopped the bot for ≈ 75 ms, in the middle
    # of whatever report was being filed (seen in the latency benchmark's slowest reports).
    gc.collect()
    gc.freeze()
    logging.getLogger(__name__).info("Sigap 112 starts (instance %s, database %s, %s)", settings.instance_id,
                                     settings.database_url.split("@")[-1], "webhook" if args.webhook else "polling")
    loop = asyncio.get_event_loop()
    if args.webhook:
        from .tg.webhook import serve

        loop.run_until_complete(serve(app, settings))
    else:
        from .tg.inbox import serve_polling

        loop.run_until_complete(serve_polling(app, settings))
    loop.run_until_complete(dispose())
    return 0


def _health(settings: Settings, args: argparse.Namespace) -> int:
    import json

    from .services import health

    report = _with_services(settings, lambda s: health.check(s, utcnow(), None))
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["database"] == "ok" else 1


def _settings_check(settings: Settings, args: argparse.Namespace) -> int:
    settings.token()
    env = Path(".env")
    if files.readable_by_others(env):
        print(f"Peringatan: {env.resolve()} berisi BOT_TOKEN dan dapat dibaca pengguna lain; perbaiki dengan "
              f"`chmod 600 {env}`.", file=sys.stderr)
    print(f"Pengaturan sah: Bot API {settings.telegram_api_url}, basis data {settings.database_url.split('@')[-1]}, "
          f"aturan {settings.rules_dir}, zona waktu {settings.timezone}.")
    return 0


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from .demo import PACE, run_demo

    if args.pace is not None and args.pace < 0:
        raise CliError("--pace: jeda tidak boleh negatif")
    return run_demo(Path(args.dir) if args.dir else None, PACE if args.pace is None else args.pace)


def _db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    migrate.upgrade(settings.database_url)
    print(f"Skema basis data pada versi {migrate.head_revision(settings.database_url)}.")
    return 0


def _db_current(settings: Settings, args: argparse.Namespace) -> int:
    current = asyncio.run(migrate.current_revision(settings.database_url))
    head = migrate.head_revision(settings.database_url)
    print(f"sekarang: {current or 'kosong'}; terbaru: {head}")
    return 0 if current == head else 1


def _db_backup(settings: Settings, args: argparse.Namespace) -> int:
    import sqlite3

    from sqlalchemy.engine import make_url

    url = make_url(settings.database_url)
    if url.get_backend_name() != "sqlite":
        raise CliError("Basis data PostgreSQL: cadangkan dengan pg_dump, misalnya "
                       "`pg_dump -Fc -f sigap112.dump <nama-db>` (lihat README, bagian Backup).")
    source = Path(url.database or "")
    if not source.exists():
        raise CliError(f"Basis data {source} tidak ada.")
    target = Path(args.output or f"var/backup/sigap112-{utcnow():%Y%m%d-%H%M%S}.db")
    files.private_dir(target.parent)
    files.write_private(target, b"")  # 0600 before a single caller's row is copied into it
    # SQLite's online backup copies a consistent snapshot even while the bot writes (WAL mode).
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    print(f"Cadangan ditulis ke {target}")
    return 0


def _db_downgrade(settings: Settings, args: argparse.Namespace) -> int:
    migrate.downgrade(settings.database_url, args.revision)
    return 0


def _rules_check(settings: Settings, args: argparse.Namespace) -> int:
    rules = load_rules(settings.rules_dir)
    load_bmkg_rules(settings.rules_dir, rules)
    print(f"Aturan sah: {len(rules.categories)} kategori, {len(rules.agencies)} instansi, "
          f"{len(rules.routing.routes)} rute, {len(rules.gazetteer.kecamatan)} kecamatan, "
          f"{len(rules.gazetteer.villages)} kelurahan/desa.")
    for note in _duration_notes(settings.rules_dir):
        print(f"Catatan durasi: {note}")
    return 0


def _duration_notes(rules_dir: Path) -> list[str]:
    """Durations in the rules written with a unit an Indonesian may misread ('2h' is 2 jam, not 2 hari)."""
    notes = []
    for path in sorted(rules_dir.glob("*.yaml")):
        with path.open(encoding="utf-8") as fh:
            notes += [f"{path.name}: {n}" for n in ambiguous_durations(yaml.safe_load(fh))]
    return notes


def _users_add(settings: Settings, args: argparse.Namespace) -> int:
    person = _with_services(settings, lambda s: people.add_user(s, args.id, args.name, args.role, args.agency,
                                                                utcnow()))
    agency = f", {person.agency_key}" if person.agency_key else ""
    print(f"Tersimpan: {person.telegram_id} {person.name} ({person.role}{agency})")
    return 0


def _users_list(settings: Settings, args: argparse.Namespace) -> int:
    for p in _with_services(settings, people.list_users):
        print(f"{p.telegram_id}\t{p.role}\t{p.agency_key or '-'}\t{p.name}")
    return 0


def _users_remove(settings: Settings, args: argparse.Namespace) -> int:
    if not _with_services(settings, lambda s: people.remove_user(s, args.id, utcnow())):
        raise CliError(f"Tidak ada petugas dengan ID {args.id}.")
    print(f"Dihapus: {args.id}")
    return 0


def _groups_add(settings: Settings, args: argparse.Namespace) -> int:
    async def bind(s: Services) -> people.Binding:
        return await people.bind_group(s, None, args.chat_id, args.title, args.key, utcnow(), args.topic)

    if args.topic is not None and args.topic <= 0:
        raise CliError("--topic harus nomor topik (message_thread_id) yang positif.")
    try:
        binding = _with_services(settings, bind)
    except people.UnknownAgency as exc:
        raise CliError(f"Kunci instansi '{exc}' tidak ada di aturan.") from exc
    moved = f" (dipindah dari grup {binding.previous_chat_of_key})" if binding.previous_chat_of_key else ""
    topic = f", topik {args.topic}" if args.topic else ""
    print(f"Grup {args.chat_id}{topic} terdaftar sebagai {args.key}{moved}.")
    return 0


def _groups_list(settings: Settings, args: argparse.Namespace) -> int:
    for g in _with_services(settings, people.list_groups):
        print(f"{g.agency_key}\t{g.chat_id}\t{g.thread_id or '-'}\t{g.status}\t{g.title or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
