"""`sigap112 demo` plays the whole story with no token and no network."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.words import FORBIDDEN

pytestmark = pytest.mark.e2e


def test_the_demo_plays_the_fire_from_the_call_to_the_chart(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "bot", "demo", "--dir", str(tmp_path / "demo"),
                             "--pace", "0"],  # no pause for a reader: the same story
                            capture_output=True, text=True, timeout=240, cwd=tmp_path,
                            env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path),  # the tree under test
                                 **{k: v for k, v in os.environ.items() if k == "PYTHONPATH"}})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for step in ("Laporan tercatat: 112-", "PLN: ✅ diterima", "Damkar berangkat untuk", "Pengingat 1/1",
                 "ESKALASI", "Dinkes/RS belum menerima laporan", "Telepon pelapor", "DITUTUP: tertangani",
                 "Rekap hari ini", "Gempa M5.6", "Peta guncangan BMKG", "Grafik rekap:", "[foto] Api di lantai 2",
                 "📷 1"):
        assert step in out, step
    # The transcript, read start to finish, uses the glossary's words only (docs/glossary.md).
    assert [(word, instead) for word, instead in FORBIDDEN.items() if re.search(word, out, re.IGNORECASE)] == []
    chart = tmp_path / "demo" / "rekap.png"
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "demo" / "demo.db").exists()
