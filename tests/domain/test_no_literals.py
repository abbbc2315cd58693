"""Every word a Telegram user reads comes from the catalogues (bot/i18n/*.yaml): a new Indonesian phrase written
as a string literal in bot/ fails here, so that English stays complete (STYLE.md practice 14).

Out of scope, on purpose: docstrings and comments; log messages (for the operator, in English); and modules whose
texts an admin reads on a terminal or in a file, not in Telegram — the CLI (`__main__`, `cli_data`, `demo`), the
start-up validation of settings and rules (`config`, `rules_loader`, `domain/rule_schemas`,
`domain/ladders_and_shifts`), the data exchange formats (`domain/exchange_formats`, `services/exchange`: CSV/CAP/EIDO
content and import errors), the Bot API
emulator (`sandbox/`), and errors raised for an admin at a terminal (ADMIN_ERRORS: bad settings, bad rules, a
wrong `users add`; a bad LANGUAGE itself). Words a call taker *types* (field names, aliases, "luar Kota Ambon")
are input vocabulary, listed in INPUT_WORDS."""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOT = Path(__file__).resolve().parents[2] / "bot"
OUT_OF_SCOPE = {"__main__.py", "cli_data.py", "demo.py", "config.py", "rules_loader.py", "domain/rule_schemas.py",
                "domain/ladders_and_shifts.py", "domain/exchange_formats.py", "services/exchange.py",
                "i18n/__init__.py"}  # the catalogue's only literal: a LANGUAGE that does not exist stops the start
INPUT_WORDS = {"hari ini", "sub kategori", "jenis kejadian", "kelurahan desa", "desa kelurahan", "luar Kota Ambon",
               ", luar Kota Ambon", "Kota Ambon", "kecamatan ", "nama pelapor"}
ADMIN_ERRORS = {"AdminError", "SettingsError", "RulesError", "CliError"}
INDONESIAN = re.compile(
    r"\b(yang|dan|tidak|belum|sudah|untuk|dari|dengan|atau|ini|itu|laporan|grafik|tiba|lokasi|menit|jam|detik|"
    r"hari|minggu|bulan|tahun|kirim|tekan|petugas|instansi|pelapor|rekap|kategori|kecamatan|terdaftar|diterima|"
    r"selesai|waktu|luar|per|sejak|terakhir|januari|februari|maret|mei|juni|juli|agustus|oktober|desember)\b",
    re.IGNORECASE)
LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def _skipped_nodes(tree: ast.AST) -> set[int]:
    """Docstrings, the arguments of log calls, and the messages of errors for an admin at a terminal."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant):
            skipped.add(id(body[0].value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_CALLS:
            skipped |= {id(n) for arg in node.args for n in ast.walk(arg)}
        if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and _is_admin_error(node.exc.func):
            skipped |= {id(n) for n in ast.walk(node.exc)}
    return skipped


def _is_admin_error(func: ast.expr) -> bool:
    if isinstance(func, ast.Name):
        return func.id in ADMIN_ERRORS
    return isinstance(func, ast.Attribute) and func.attr in ADMIN_ERRORS


def indonesian_literals(source: str) -> list[tuple[int, str]]:
    tree = ast.parse(source)
    skipped = _skipped_nodes(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped:
            text = node.value
            if text not in INPUT_WORDS and INDONESIAN.search(text) and (len(text.split()) > 1 or text.istitle()):
                found.append((node.lineno, text))
    return found


def test_the_scan_finds_an_indonesian_phrase_and_skips_docstrings_and_logs() -> None:
    source = '"""Modul laporan untuk petugas."""\nlog.info("laporan %s dikirim ke grup", n)\nx = "Grafik per bulan"\n'
    assert indonesian_literals(source) == [(3, "Grafik per bulan")]
    assert indonesian_literals('caption = "Januari"\nkey = "rekap_title"\n') == [(1, "Januari")]


def test_no_user_visible_indonesian_literal_outside_the_catalogues() -> None:
    found = []
    for path in sorted(BOT.rglob("*.py")):
        relative = path.relative_to(BOT).as_posix()
        if relative in OUT_OF_SCOPE or relative.startswith("sandbox/"):
            continue
        found += [f"bot/{relative}:{line}: {text!r}" for line, text in indonesian_literals(path.read_text("utf-8"))]
    assert found == [], "move these into bot/i18n/id.yaml and en.yaml:\n" + "\n".join(found)
