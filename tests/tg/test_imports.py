"""The Telegram layer's modules import one another without a cycle (read from the source, not by importing)."""

from __future__ import annotations

import ast
from pathlib import Path

TG = Path(__file__).resolve().parents[2] / "bot" / "tg"


def tg_imports(path: Path) -> set[str]:
    """The bot/tg modules this module imports, at any depth of the file (TYPE_CHECKING and functions too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("bot.tg."):
            found.add((node.module or "").split(".")[2])
    return found


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, as the modules along it, or None."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return path[path.index(module):] + [module]
        if module in done:
            return None
        for imported in sorted(graph.get(module, ())):
            if found := visit(imported, path + [module]):
                return found
        done.add(module)
        return None

    return next((c for m in sorted(graph) if (c := visit(m, []))), None)


def test_the_telegram_layer_has_no_import_cycle() -> None:
    graph = {p.stem: tg_imports(p) for p in TG.glob("*.py")}
    assert "context" in graph and graph["app"]  # the reader found the modules and their imports
    assert cycle(graph) is None, " -> ".join(cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    found = cycle({"handlers": {"desk"}, "desk": {"common", "handlers"}, "common": set()})
    assert found is not None and found[0] == found[-1] and set(found) == {"handlers", "desk"}


def test_every_telegram_module_stays_under_400_lines() -> None:
    long = {p.name: n for p in TG.glob("*.py") if (n := len(p.read_text().splitlines())) >= 400}
    assert not long
